# Bob Schmidt, cs101, assignment 3
import sys
import re
from collections import Counter

top = 10
min_len = 0
stats = False

# read the command line options
i = 1
while i < len(sys.argv):
    if sys.argv[i] == "--top":
        top = int(sys.argv[i + 1])
        i += 2
    elif sys.argv[i] == "--min-length":
        min_len = int(sys.argv[i + 1])
        i += 2
    elif sys.argv[i] == "--stats":
        stats = True
        i += 1
    else:
        print("unknown option", sys.argv[i], file=sys.stderr)
        sys.exit(2)

text = sys.stdin.read()
all_words = re.findall("[a-z]+", text.lower())
# skip the short words
words = [w for w in all_words if len(w) > min_len]
counter = Counter(words)

if stats:
    print("lines", len(text.splitlines()))
    print("words", len(words))
    print("unique", len(counter))
    if words:
        print("average", round(sum(len(w) for w in words) / len(words), 4))
    else:
        print("average", 0)
else:
    result = sorted(counter.items(), key=lambda p: (-p[1], p[0]))
    for word, n in result[:top]:
        print(word, n)
