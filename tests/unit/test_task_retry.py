"""Backoff: delays double from the first, stop growing at the cap, and attempts run out."""

from datetime import timedelta

import pytest

from files.tasks.retry import Backoff


def test_delays_double_up_to_the_cap():
    backoff = Backoff(attempts=10, first=timedelta(seconds=30), cap=timedelta(minutes=5))

    delays = [backoff.delay(attempt) for attempt in range(1, 7)]

    assert delays == [timedelta(seconds=seconds) for seconds in (30, 60, 120, 240, 300, 300)]


def test_gives_up_after_the_last_attempt_only():
    backoff = Backoff(attempts=3)

    assert [backoff.gives_up_after(attempt) for attempt in (1, 2, 3)] == [False, False, True]


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"first": timedelta(0)}, {"first": timedelta(hours=2)}],
)
def test_refuses_a_backoff_that_cannot_work(options):
    with pytest.raises(ValueError):
        Backoff(**options)


def test_the_span_runs_from_the_first_attempt_to_the_last():
    backoff = Backoff(attempts=4, first=timedelta(seconds=30), cap=timedelta(minutes=1))

    assert backoff.span() == timedelta(seconds=30 + 60 + 60)
    assert Backoff(attempts=1).span() == timedelta(0)
