"""Virtual time for the send-and-match loop, shared by the tests that run it on a fake network.

The loop's clock, ``select`` and token bucket are replaced: time moves only
when the loop waits (or a test sleeps), so a run of seconds takes
milliseconds and every count is exact. ``install(monkeypatch)`` puts a
:class:`VirtualTime` in place; fixtures of the test packages wrap it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from netprobe.engine import loop as loop_mod
from netprobe.engine.pacer import TokenBucket

WALL0 = 1_700_000_000.0
#: pcapy-ng's next_batch metadata: sec, usec, offset, caplen per packet
META = struct.Struct("=IIII")


class VirtualTime:
    """The loop's clock: moves only when the loop waits in ``select`` (or a test sleeps)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits = 0
        #: when the next packet arrives (None: none pending or not known): select
        #: returns then, as a real select on the capture does
        self.next_arrival: Callable[[], float | None] = lambda: None

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return WALL0 + self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def select(self, r: list, w: list, x: list, timeout: float | None = None) -> tuple:
        assert timeout is not None and timeout >= 0, "the loop must never block forever"
        self.waits += 1
        assert self.now < 600 and self.waits < 1_000_000, "runaway loop"
        # a real select() never returns sooner than about a microsecond
        until = self.now + max(timeout, 1e-6)
        arrival = self.next_arrival()
        if arrival is not None and self.now <= arrival < until:
            until = max(arrival, self.now + 1e-6)
        self.now = until
        return [], [], []


def install(monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    """Run the engine's loop on a new virtual clock (undone with the monkeypatch)."""
    clock = VirtualTime()

    class TimeModule:
        monotonic = staticmethod(clock.monotonic)
        time = staticmethod(clock.time)

    class SelectModule:
        select = staticmethod(clock.select)

    monkeypatch.setattr(loop_mod, "time", TimeModule)
    monkeypatch.setattr(loop_mod, "select", SelectModule)
    monkeypatch.setattr(loop_mod, "TokenBucket",
                        lambda rate: TokenBucket(rate, clock=clock.monotonic))
    return clock


def pack_batch(due: list[tuple[float, int, bytes]]) -> tuple[bytes, bytes]:
    """Frames due at virtual times, laid out as pcapy-ng's ``next_batch`` gives them."""
    buf = bytearray()
    meta = bytearray()
    for at, _, frame in due:
        ts = WALL0 + at
        sec = int(ts)
        usec = round((ts - sec) * 1e6)
        meta += META.pack(sec, usec, len(buf), len(frame))
        buf += frame
    return bytes(buf), bytes(meta)
