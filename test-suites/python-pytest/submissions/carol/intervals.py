import sys


def merge(intervals)
    return sorted(intervals)
