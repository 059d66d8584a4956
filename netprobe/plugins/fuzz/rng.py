"""The random numbers of one fuzz case, derived from (seed, case number) alone.

Case ``i`` of seed ``S`` must be the same bytes on every run, on every
machine and with every Python version, and computable without making cases
``0 .. i-1`` first (``--start i``). So each case gets its own generator:
BLAKE2b of ``(S, i)`` gives 512 bits, whose first seven 64-bit words are the
first random numbers and whose last seeds SplitMix64 for any more, written
out here: ``random.Random`` is seeded differently and its
``randrange``/``shuffle`` algorithms are not promised to stay the same across
Python versions.
"""

from __future__ import annotations

import hashlib
import struct
from bisect import bisect_right
from collections.abc import Sequence
from typing import TypeVar

_MASK = (1 << 64) - 1
_WORDS = struct.Struct(">8Q")
_GOLDEN = 0x9E3779B97F4A7C15
#: bumped if the derivation ever changes (old seeds would then mean other cases)
DERIVATION = b"netprobe-fuzz/1"

T = TypeVar("T")


class CaseRandom:
    """SplitMix64 seeded from ``(seed, case)``: small, fast and the same everywhere."""

    __slots__ = ("pool", "state")

    def __init__(self, seed: int, case: int) -> None:
        digest = hashlib.blake2b(b"%s:%d:%d" % (DERIVATION, seed, case)).digest()
        # the hash gives 512 bits: the first seven 64-bit words are used as they come
        # (most cases need no more), the last seeds SplitMix64 for the rest
        words = list(_WORDS.unpack(digest))
        self.state = words.pop()
        words.reverse()
        self.pool = words

    def next64(self) -> int:
        """The next 64 random bits."""
        if self.pool:
            return self.pool.pop()
        z = self.state = (self.state + _GOLDEN) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """A number in ``0 .. n-1`` (multiply-shift: no loop, bias below n / 2**64)."""
        if n <= 1:
            return 0
        if n > 1 << 32:
            return ((self.next64() << 64 | self.next64()) * n) >> 128
        pool = self.pool
        return ((pool.pop() if pool else self.next64()) * n) >> 64

    def chance(self, numerator: int, denominator: int) -> bool:
        """True with probability ``numerator / denominator``."""
        return self.below(denominator) < numerator

    def choice(self, items: Sequence[T]) -> T:
        """One item of a non-empty sequence."""
        return items[self.below(len(items))]

    def weighted(self, cumulative: Sequence[int]) -> int:
        """An index drawn by weight, given the running totals of the weights."""
        return bisect_right(cumulative, self.below(cumulative[-1]))

    def shuffle(self, items: list) -> None:
        """Shuffle ``items`` in place (Fisher-Yates)."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def randbytes(self, n: int) -> bytes:
        """``n`` random bytes."""
        out = bytearray()
        while len(out) < n:
            out += self.next64().to_bytes(8, "big")
        return bytes(out[:n])
