"""TokenBucket: how many packets it grants over (simulated) time, and how long to wait."""

from __future__ import annotations

import pytest

from netprobe.engine.pacer import TokenBucket


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def drain(bucket: TokenBucket, clock: FakeClock, seconds: float, step: float,
          ask: int = 10_000) -> int:
    """Take greedily every ``step`` seconds for ``seconds``; return the total granted."""
    total = 0
    steps = round(seconds / step)
    for _ in range(steps):
        clock.advance(step)
        total += bucket.take(ask)
    return total


@pytest.mark.parametrize("rate", [1.0, 10.0, 1000.0, 2000.0, 50_000.0])
@pytest.mark.parametrize("step", [0.0001, 0.001, 0.01])
def test_grants_the_rate_over_time(rate: float, step: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock)
    seconds = 10.0 if rate < 100 else 1.0
    granted = bucket.take(10_000) + drain(bucket, clock, seconds, step)
    # Over ``seconds`` the bucket earns rate*seconds tokens; it may start with one.
    expected = rate * seconds
    assert expected - 1 <= granted <= expected + 1


def test_never_more_than_a_burst_after_idling() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, burst=5, clock=clock)
    clock.advance(60.0)  # a long idle time must not save up a minute of tokens
    assert bucket.take(1000) == 5
    assert bucket.take(1000) == 0
    clock.advance(0.002)  # two more tokens earned
    assert bucket.take(1000) == 2


def test_default_burst_is_a_couple_of_milliseconds() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100_000.0, clock=clock)
    clock.advance(10.0)
    assert bucket.take(1 << 20) == 200  # 2 ms at 100 kpps
    slow = TokenBucket(10.0, clock=clock)
    clock.advance(10.0)
    assert slow.take(1 << 20) == 1  # never less than one packet


def test_take_grants_at_most_what_is_asked() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, burst=100, clock=clock)
    clock.advance(1.0)
    assert bucket.take(30) == 30
    assert bucket.take(30) == 30
    assert bucket.take(100) == 40


def test_wait_time_says_when_the_next_token_comes() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, burst=1, clock=clock)
    assert bucket.take(1) == 1  # the first packet may go at once
    assert bucket.take(1) == 0
    assert bucket.wait_time() == pytest.approx(0.01)
    clock.advance(0.004)
    assert bucket.take(1) == 0
    assert bucket.wait_time() == pytest.approx(0.006)
    clock.advance(bucket.wait_time())
    assert bucket.take(1) == 1


def test_wait_time_is_zero_with_a_token_or_no_limit() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100.0, burst=1, clock=clock)
    assert bucket.wait_time() == 0.0
    unlimited = TokenBucket(None, clock=clock)
    assert unlimited.take(123_456) == 123_456
    assert unlimited.wait_time() == 0.0


def test_the_clock_is_read_only_through_the_injected_function() -> None:
    # A frozen fake clock means no tokens are ever earned, however long the real wait.
    clock = FakeClock()
    bucket = TokenBucket(1e6, burst=10, clock=clock)
    assert bucket.take(100) == 1
    assert sum(bucket.take(100) for _ in range(1000)) == 0


@pytest.mark.parametrize("rate", [0, -1, -0.5])
def test_bad_rates_are_rejected(rate: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate)
