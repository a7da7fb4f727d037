#!/usr/bin/env python3
"""cs101 assignment "wordfreq" -- reference solution.

Usage: python3 wordfreq.py [--top N] [--min-length K] [--stats]

Reads text from standard input. A word is a maximal run of ASCII letters
(a-z, A-Z); case is ignored and words are reported in lowercase. Anything
else (digits, punctuation, apostrophes, whitespace) separates words.

Default mode prints the N (default 10) most frequent words, one per line as
"word count", most frequent first, ties in alphabetical order. With
--min-length K only words of at least K letters are counted. With no words
the output is empty.

--stats prints four lines instead:
    lines L      number of lines (a last line without a newline counts)
    words W      number of words
    unique U     number of distinct words
    average A    average word length (0 when there are no words)
"""
import re
import sys
from collections import Counter

WORD = re.compile(r"[a-z]+")


def usage(message):
    print(f"wordfreq: {message}", file=sys.stderr)
    print("usage: python3 wordfreq.py [--top N] [--min-length K] [--stats]", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    top, min_length, stats = 10, 1, False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--stats":
            stats = True
            i += 1
        elif arg in ("--top", "--min-length"):
            if i + 1 >= len(argv):
                usage(f"{arg} needs a number")
            try:
                value = int(argv[i + 1])
            except ValueError:
                usage(f"{arg} needs a number, not {argv[i + 1]!r}")
            if value < 0:
                usage(f"{arg} must not be negative")
            if arg == "--top":
                top = value
            else:
                min_length = value
            i += 2
        else:
            usage(f"unknown option {arg!r}")
    return top, min_length, stats


def main():
    top, min_length, stats = parse_args(sys.argv[1:])
    text = sys.stdin.read()
    words = [w for w in WORD.findall(text.lower()) if len(w) >= min_length]
    counts = Counter(words)

    if stats:
        average = sum(map(len, words)) / len(words) if words else 0.0
        print(f"lines {len(text.splitlines())}")
        print(f"words {len(words)}")
        print(f"unique {len(counts)}")
        print(f"average {average:.6f}")
        return

    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    for word, count in ranked[:top]:
        print(f"{word} {count}")


if __name__ == "__main__":
    main()
