# Alice Nguyen - cs101 assignment 3 (wordfreq)
# Counts words from stdin. Uses argparse for the options.
import argparse
import re
import sys


def get_words(text, min_length):
    # only ASCII letters make up a word, everything else is a separator
    words = re.findall(r"[a-zA-Z]+", text)
    return [w.lower() for w in words if len(w) >= min_length]


def main():
    parser = argparse.ArgumentParser(description="word frequencies")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--min-length", type=int, default=1)
    parser.add_argument("--stats", action="store_true")
    args = parser.parse_args()

    text = sys.stdin.read()
    words = get_words(text, args.min_length)

    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1

    if args.stats:
        n_lines = len(text.splitlines())
        if len(words) > 0:
            avg = sum(len(w) for w in words) / len(words)
        else:
            avg = 0
        print("lines", n_lines)
        print("words", len(words))
        print("unique", len(counts))
        print("average %.2f" % avg)
    else:
        # sort by count (biggest first), then alphabetically
        ordered = sorted(counts, key=lambda w: (-counts[w], w))
        for w in ordered[:args.top]:
            print(w, counts[w])


main()
