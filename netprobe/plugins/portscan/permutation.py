"""A random permutation of ``range(n)`` with O(1) state, and exact shards of it.

The scan order of (target, port) pairs comes from a small block cipher (a
balanced Feistel network on the smallest even number of bits covering ``n``)
restricted to ``range(n)`` by cycle walking: position ``i`` goes to
``E(i)``, or ``E(E(i))``... until the value falls inside the range. It is a
bijection, so every pair is probed exactly once, and it needs only the keys
(derived from the seed), never a table of ``n`` entries: a scan of 2^40
pairs costs what a scan of ten costs in memory.

``--shard K/N`` keeps the positions ``K-1, K-1+N, K-1+2N, ...`` of the same
permutation: N shards are disjoint and their union is the whole scan.

Everything is computed on numpy arrays of positions (a batch of 4,096 at a
time), so the order costs nothing next to sending. A small scan gets the same
order from the same arithmetic on Python integers (``at_ints``), without
importing numpy (a tenth of a second of a small command's start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

try:  # hashlib's own BLAKE2b, without hashlib loading OpenSSL (3 ms of a small scan)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other interpreters
    from hashlib import blake2b

if TYPE_CHECKING:
    import numpy as np

#: Feistel rounds; four make a pseudo-random permutation (Luby-Rackoff)
ROUNDS = 4
#: the largest space the permutation handles (positions fit in an unsigned 64-bit word)
MAX_SIZE = 1 << 62

_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1


def _mix(x: np.ndarray, key: np.uint64) -> np.ndarray:
    """SplitMix64's finaliser of ``x ^ key``: every output bit depends on every input bit."""
    from netprobe.npimport import np

    z = x ^ key
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def _mix_int(x: int, key: int) -> int:
    """:func:`_mix` of one Python integer (the same arithmetic modulo 2^64)."""
    z = x ^ key
    z = ((z ^ (z >> 30)) * _M1) & _MASK64
    z = ((z ^ (z >> 27)) * _M2) & _MASK64
    return z ^ (z >> 31)


class Permutation:
    """A seeded bijection of ``range(size)``; ``at(positions)`` gives the values there."""

    def __init__(self, size: int, seed: int) -> None:
        if not 0 <= size <= MAX_SIZE:
            raise ValueError(f"cannot permute {size} items (at most 2^62)")
        self.size = size
        self.seed = seed
        bits = max(2, (max(size, 1) - 1).bit_length())
        self.half = (bits + 1) // 2
        self.int_mask = (1 << self.half) - 1
        digest = blake2b(f"netprobe-permutation:{seed}:{size}".encode(),
                                 digest_size=8 * ROUNDS).digest()
        self.int_keys = [int.from_bytes(digest[8 * r:8 * r + 8], "big") for r in range(ROUNDS)]

    def __len__(self) -> int:
        return self.size

    def _encrypt(self, x: np.ndarray) -> np.ndarray:
        from netprobe.npimport import np

        half = np.uint64(self.half)
        mask = np.uint64(self.int_mask)
        left = x >> half
        right = x & mask
        for key in self.int_keys:
            left, right = right, left ^ (_mix(right, np.uint64(key)) & mask)
        return (left << half) | right

    def _encrypt_int(self, x: int) -> int:
        half, mask = self.half, self.int_mask
        left, right = x >> half, x & mask
        for key in self.int_keys:
            left, right = right, left ^ (_mix_int(right, key) & mask)
        return (left << half) | right

    def at_ints(self, positions: list[int]) -> list[int]:
        """:meth:`at` on Python integers (for small scans: no numpy)."""
        out = []
        n = self.size
        for x in positions:
            x = self._encrypt_int(x)
            while x >= n:  # cycle walking, as in ``at``
                x = self._encrypt_int(x)
            out.append(x)
        return out

    def at(self, positions: np.ndarray) -> np.ndarray:
        """The permuted values at ``positions`` (each in ``range(size)``), as uint64."""
        from netprobe.npimport import np

        x = self._encrypt(np.asarray(positions, dtype=np.uint64))
        n = np.uint64(self.size)
        outside = x >= n
        # Cycle walking: the cycle through a position inside the range comes back
        # inside it, on average after fewer than four steps here (domain < 4 * size).
        while outside.any():
            x[outside] = self._encrypt(x[outside])
            outside = x >= n
        return x

    def __getitem__(self, position: int) -> int:
        if not 0 <= position < self.size:
            raise IndexError(position)
        return self.at_ints([position])[0]


class Shard:
    """Part ``index`` (1-based) of ``count`` of a permutation: every count-th position."""

    def __init__(self, index: int = 1, count: int = 1) -> None:
        if count < 1 or not 1 <= index <= count:
            raise ValueError(f"shard {index}/{count}: K must be between 1 and N")
        self.index = index
        self.count = count

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def size(self, total: int) -> int:
        """How many of ``total`` positions this shard holds."""
        first = self.index - 1
        return 0 if first >= total else (total - first + self.count - 1) // self.count

    def position_ints(self, total: int, start: int, count: int) -> list[int]:
        """:meth:`positions` as Python integers."""
        end = min(self.size(total), start + count)
        return [k * self.count + self.index - 1 for k in range(start, max(start, end))]

    def positions(self, total: int, start: int, count: int) -> np.ndarray:
        """This shard's positions number ``start`` .. ``start + count - 1`` (of its own)."""
        from netprobe.npimport import np

        end = min(self.size(total), start + count)
        k = np.arange(start, max(start, end), dtype=np.uint64)
        return k * np.uint64(self.count) + np.uint64(self.index - 1)


def parse_shard(text: str) -> Shard:
    """``"K/N"`` as a Shard; ValueError with the reason for anything else."""
    head, sep, tail = text.partition("/")
    try:
        index, count = int(head), int(tail)
    except ValueError:
        raise ValueError(f"shard {text!r}: expected K/N, e.g. 2/4") from None
    if not sep:
        raise ValueError(f"shard {text!r}: expected K/N, e.g. 2/4")
    if count < 1:
        raise ValueError(f"shard {text!r}: N must be 1 or more")
    if not 1 <= index <= count:
        raise ValueError(f"shard {text!r}: K must be between 1 and {count}")
    return Shard(index, count)


def order(size: int, seed: int, shard: Shard | None = None,
          batch: int = 4096) -> np.ndarray:
    """The whole (sharded) order at once: for tests and small scans."""
    from netprobe.npimport import np

    shard = shard or Shard()
    perm = Permutation(size, seed)
    parts = [perm.at(shard.positions(size, s, batch))
             for s in range(0, shard.size(size), batch)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)
