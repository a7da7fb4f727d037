# Gina Rossi - cs101 wordfreq
import re
import sys

DEBUG = True   # TODO turn off before submitting


def debug(*parts):
    if DEBUG:
        print("[debug]", *parts, file=sys.stderr)


def main():
    top = 10
    min_length = 1
    stats = False
    argv = sys.argv[1:]
    i = 0
    while i < len(argv):
        if argv[i] == "--stats":
            stats = True
        elif argv[i] == "--top":
            i += 1
            top = int(argv[i])
        elif argv[i] == "--min-length":
            i += 1
            min_length = int(argv[i])
        i += 1
    debug("top =", top, "min_length =", min_length, "stats =", stats)

    counts = {}
    words = []
    n_lines = 0
    for line_no, line in enumerate(sys.stdin, start=1):
        n_lines += 1
        for word in re.findall(r"[a-z]+", line.lower()):
            if len(word) < min_length:
                continue
            words.append(word)
            counts[word] = counts.get(word, 0) + 1
            debug(f"line {line_no}: word={word!r} count now {counts[word]}")

    if stats:
        avg = sum(len(w) for w in words) / len(words) if words else 0.0
        print(f"lines {n_lines}")
        print(f"words {len(words)}")
        print(f"unique {len(counts)}")
        print(f"average {avg:.3f}")
    else:
        ranking = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        debug("ranking:", ranking[:top])
        for word, count in ranking[:top]:
            print(word, count)


if __name__ == "__main__":
    main()
