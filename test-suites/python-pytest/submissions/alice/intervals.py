import sys


def merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total_length(intervals):
    return sum(end - start for start, end in merge(intervals))


def contains(intervals, x):
    return any(start <= x <= end for start, end in intervals)


if __name__ == "__main__":
    pairs = [tuple(int(v) for v in line.split()) for line in sys.stdin if line.strip()]
    for start, end in merge(pairs):
        print(start, end)
