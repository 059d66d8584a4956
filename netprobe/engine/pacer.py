"""A token bucket that paces sending to a rate, in batches, without sleeping blindly."""

from __future__ import annotations

import math
import time


class TokenBucket:
    """Allows ``rate`` packets per second on average, bursts of at most ``burst``.

    ``take(n)`` returns how many of ``n`` may go now; ``wait_time()`` says how
    long until the next one may. With ``rate`` None the bucket never limits.
    """

    def __init__(self, rate: float | None, burst: int | None = None,
                 clock: object = time.monotonic) -> None:
        # ``not 0 < rate < inf`` also catches NaN, which every comparison lets through
        if rate is not None and not 0 < rate < math.inf:
            raise ValueError(f"rate must be a positive finite number, not {rate}")
        self.rate = rate
        self.clock = clock
        # Up to 25 ms of packets may go at once after a stall (the process was not
        # scheduled, a capture drain took long): the average rate holds on a busy
        # machine, and any 100 ms window still stays within a few percent.
        self.burst = burst or (max(1, int(rate * 0.025)) if rate else 1 << 30)
        # Grant tokens in chunks of at least this many (up to 2 ms worth, at most 64):
        # one syscall and one loop turn per chunk instead of per packet.
        self.chunk = max(1, min(64, self.burst, int(rate * 0.002) if rate else 1))
        self.tokens = float(min(self.burst, 1))
        self.last = clock()  # type: ignore[operator]

    def set_rate(self, rate: float | None) -> None:
        """Change the rate from now on (congestion control); tokens already earned stay."""
        if rate is not None and not 0 < rate < math.inf:
            raise ValueError(f"rate must be a positive finite number, not {rate}")
        if rate == self.rate:
            return
        if self.rate is not None:
            self.take(0)  # settle the tokens earned at the old rate
        self.rate = rate
        self.burst = max(1, int(rate * 0.025)) if rate else 1 << 30
        self.chunk = max(1, min(64, self.burst, int(rate * 0.002) if rate else 1))
        self.tokens = min(self.tokens, float(self.burst))
        self.last = self.clock()  # type: ignore[operator]

    def take(self, n: int) -> int:
        """Consume up to ``n`` tokens; return how many were granted."""
        if self.rate is None:
            return n
        now = self.clock()  # type: ignore[operator]
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < min(self.chunk, n):
            return 0
        granted = min(n, int(self.tokens))
        self.tokens -= granted
        return granted

    def wait_time(self) -> float:
        """Seconds until the next chunk of tokens is available (0 when it is)."""
        if self.rate is None or self.tokens >= self.chunk:
            return 0.0
        return (self.chunk - self.tokens) / self.rate
