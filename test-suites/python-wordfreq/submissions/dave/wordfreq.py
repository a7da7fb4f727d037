# Dave Okafor  cs101  wordfreq
# I wrote my own tokenizer instead of using regex because we didn't cover regex yet.
import sys


def tokenize(text):
    words = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isdigit():
            # numbers are not words, skip them
            continue
        if c.isalpha():
            start = i
            while i < n and text[i].isalpha():
                i += 1
            words.append(text[start:i].lower())
        else:
            i += 1
    return words


def main():
    top = 10
    min_length = 1
    stats = False
    args = sys.argv[1:]
    for k in range(len(args)):
        if args[k] == "--top":
            top = int(args[k + 1])
        elif args[k] == "--min-length":
            min_length = int(args[k + 1])
        elif args[k] == "--stats":
            stats = True

    text = sys.stdin.read()
    words = [w for w in tokenize(text) if len(w) >= min_length]
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1

    if stats:
        avg = 0.0
        if words:
            avg = sum(len(w) for w in words) / len(words)
        print("lines %d" % len(text.splitlines()))
        print("words %d" % len(words))
        print("unique %d" % len(counts))
        print("average %.4f" % avg)
        return

    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for w, c in items[:top]:
        print("%s %d" % (w, c))


main()
