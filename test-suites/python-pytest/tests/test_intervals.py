# Staff tests for cs101 Lab 7 (copied into the work dir by the grader, as tests/test_intervals.py).
import pytest

from intervals import contains, merge, total_length


def test_merge_overlapping():
    assert merge([(1, 3), (2, 4)]) == [(1, 4)]


def test_merge_touching():
    assert merge([(1, 2), (2, 3)]) == [(1, 3)]


def test_merge_sorts_and_keeps_input():
    given = [(5, 6), (1, 3), (2, 4)]
    assert merge(given) == [(1, 4), (5, 6)]
    assert given == [(5, 6), (1, 3), (2, 4)]


def test_merge_empty():
    assert merge([]) == []


@pytest.mark.parametrize("intervals, length", [([(1, 3), (2, 4)], 3), ([(0, 10), (2, 3), (20, 21)], 11)])
def test_total_length(intervals, length):
    assert total_length(intervals) == length


def test_contains_ends():
    assert contains([(1, 3)], 1) and contains([(1, 3)], 3)
    assert not contains([(1, 3)], 4)


def test_étiquettes_négatives():
    assert merge([(-5, -1), (-2, 0)]) == [(-5, 0)]
