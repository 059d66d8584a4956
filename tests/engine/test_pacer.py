"""TokenBucket: how many packets it grants over simulated time, and how long to wait.

The clock is injected, so nothing here sleeps or depends on the machine's speed.
Steps are powers of two so that the simulated times add up exactly in floating point.
"""

from __future__ import annotations

import math
import random

import pytest

from netprobe.engine.loop import RunOptions
from netprobe.engine.pacer import TokenBucket
from netprobe.errors import UsageError


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


RATES = [1.0, 10.0, 100.0, 1000.0, 2000.0, 50_000.0, 1_000_000.0]


@pytest.mark.parametrize("rate", RATES)
def test_a_sender_that_waits_as_told_gets_the_rate(rate: float) -> None:
    """Drive the bucket the way the loop does: take, and when refused wait ``wait_time()``
    plus some scheduling lateness. The long-run rate must be the asked one."""
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock)
    rnd = random.Random(rate)
    seconds = 20.0 if rate < 100 else 2.0
    granted = 0
    turns = 0
    while clock.now < seconds:
        turns += 1
        assert turns < 10_000_000
        got = bucket.take(256)
        granted += got
        if not got:
            wait = bucket.wait_time()
            assert wait > 0, "a refused take must say how long to wait"
            # the kernel wakes us up to 50 us late
            clock.advance(wait + rnd.uniform(0, 50e-6))
    expected = rate * clock.now
    assert abs(granted - expected) <= max(2.0, expected * 0.01)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("step", [2.0 ** -14, 2.0 ** -11])
def test_greedy_polling_gets_the_rate(rate: float, step: float) -> None:
    """Asking for as much as possible every ``step`` seconds also gets the rate (the steps
    are shorter than the burst lasts, so no token is lost to the burst cap)."""
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock)
    seconds = 4.0 if rate < 100 else 1.0
    granted = bucket.take(1 << 30)
    for _ in range(round(seconds / step)):
        clock.advance(step)
        granted += bucket.take(1 << 30)
    expected = rate * seconds
    # tokens not yet granted at the end are less than one chunk: 2 ms worth, at most 64
    assert expected - max(2.0, min(64, rate * 0.002) + 1) <= granted <= expected + 1


def test_never_more_than_a_burst_after_idling() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1024.0, burst=5, clock=clock)
    clock.advance(60.0)  # a long idle time must not save up a minute of tokens
    assert bucket.take(1000) == 5
    assert bucket.take(1000) == 0
    clock.advance(2 / 1024)  # two more tokens earned
    assert bucket.take(1000) == 2


@pytest.mark.parametrize("rate", [10.0, 2000.0, 100_000.0, 1_000_000.0])
def test_default_burst_is_a_small_part_of_a_second(rate: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock)
    clock.advance(3600.0)
    burst = bucket.take(1 << 30)
    assert 1 <= burst <= max(1, rate * 0.05)
    assert bucket.take(1 << 30) == 0


def test_take_grants_at_most_what_is_asked() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1024.0, burst=100, clock=clock)
    clock.advance(1.0)
    assert bucket.take(30) == 30
    assert bucket.take(30) == 30
    assert bucket.take(100) == 40
    assert bucket.take(100) == 0


@pytest.mark.parametrize("rate", [1.0, 100.0, 2000.0, 40_000.0, 1_000_000.0])
def test_wait_time_is_exactly_when_the_next_grant_comes(rate: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock)
    while bucket.take(1 << 30):
        pass
    wait = bucket.wait_time()
    assert 0 < wait <= max(1.0 / rate, 0.002) + 1e-12
    clock.advance(wait * 0.9)
    assert bucket.take(1 << 30) == 0
    clock.advance(bucket.wait_time() * 1.0001)
    assert bucket.take(1 << 30) >= 1


def test_wait_time_is_zero_with_tokens_or_no_limit() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, burst=1, clock=clock)
    assert bucket.wait_time() == 0.0  # the first packet may go at once
    assert bucket.take(1) == 1
    assert bucket.wait_time() == pytest.approx(0.01)
    unlimited = TokenBucket(None, clock=clock)
    assert unlimited.take(123_456) == 123_456
    assert unlimited.wait_time() == 0.0


def test_time_only_comes_from_the_injected_clock() -> None:
    # A frozen clock means no tokens are ever earned, however long the real wait.
    clock = FakeClock()
    bucket = TokenBucket(1e6, burst=10, clock=clock)
    assert bucket.take(100) <= 1  # at most the one token it starts with
    assert sum(bucket.take(100) for _ in range(1000)) == 0
    clock.advance(1.0)
    assert bucket.take(100) == 10


@pytest.mark.parametrize("rate", [0, -1, -0.5, math.nan, math.inf, -math.inf])
def test_bad_rates_are_rejected(rate: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate)


@pytest.mark.parametrize("rate", [0, -3, math.nan, math.inf])
def test_run_options_reject_bad_rates_as_usage_errors(rate: float) -> None:
    with pytest.raises(UsageError):
        RunOptions(rate=rate).check()
