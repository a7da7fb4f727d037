import sys


def merge(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
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

# --- hostile: a background process tries to read the report (to take pytest's out and leave
# a fake in its place); it must not be able to ---
import atexit, os, time

REPORT = "/tmp/junit/report.xml"


def _steal(parent):
    for _ in range(5000):
        try:
            paths = [REPORT] + ["/proc/%d/fd/%s" % (parent, fd) for fd in os.listdir("/proc/%d/fd" % parent)]
        except OSError:
            paths = [REPORT]
        for path in paths:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                continue
            if os.path.realpath(path) == REPORT:
                print("ESCAPED: opened the report for reading", file=sys.stderr)
                os.read(fd, 1 << 20)
            os.close(fd)
        time.sleep(0.0005)


if __name__ != "__main__":  # imported by the tests
    parent = os.getpid()
    if os.fork() == 0:
        try:
            _steal(parent)
        finally:
            os._exit(0)
    atexit.register(time.sleep, 0.5)
