# frank - wordfreq (assignment 3)
# tested on my machine, works!!
import sys
import re

top = 10
min_length = 1
stats = False
args = sys.argv[1:]
while args:
    opt = args.pop(0)
    if opt == "--top":
        top = int(args.pop(0))
    elif opt == "--min-length":
        min_length = int(args.pop(0))
    elif opt == "--stats":
        stats = True

text = sys.stdin.read()
words = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= min_length]
counts = {}
for w in words:
    counts[w] = counts.get(w, 0) + 1

if stats:
    print "lines", len(text.splitlines())
    print "words", len(words)
    print "unique", len(counts)
    if words:
        print "average", float(sum(len(w) for w in words)) / len(words)
    else:
        print "average", 0
else:
    for w in sorted(counts, key=lambda w: (-counts[w], w))[:top]:
        print w, counts[w]
