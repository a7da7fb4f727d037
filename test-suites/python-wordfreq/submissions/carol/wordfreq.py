# carol -- wordfreq assignment
import sys
import string

LETTERS = string.ascii_letters


def split_words(text):
    words = []
    current = ""
    for ch in text:
        if ch in LETTERS:
            current += ch.lower()
        else:
            if current != "":
                words.append(current)
            current = ""
    if current != "":
        words.append(current)
    return words


option = sys.argv[1]   # --top, --min-length or --stats
top = 10
min_length = 1
if option == "--top":
    top = int(sys.argv[2])
elif option == "--min-length":
    min_length = int(sys.argv[2])

text = sys.stdin.read()
words = [w for w in split_words(text) if len(w) >= min_length]
freq = {}
for w in words:
    if w in freq:
        freq[w] += 1
    else:
        freq[w] = 1

if option == "--stats":
    total = 0
    for w in words:
        total += len(w)
    print("lines " + str(len(text.splitlines())))
    print("words " + str(len(words)))
    print("unique " + str(len(freq)))
    print("average " + str(total / len(words)))
else:
    pairs = list(freq.items())
    pairs.sort(key=lambda p: p[0])            # alphabetical first
    pairs.sort(key=lambda p: p[1], reverse=True)   # stable sort keeps alphabetical order for ties
    for p in pairs[:top]:
        print(p[0] + " " + str(p[1]))
