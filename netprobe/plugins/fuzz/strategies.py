"""The mutation strategies: new values for integers, new bytes for byte strings.

Pure functions of a :class:`~netprobe.plugins.fuzz.rng.CaseRandom` and the
current value; each returns the new value and a JSON description of what it
did, which goes into the case's record (and its crash file) as it is.

* ``boundary``: integers take edge values of their width (0, 1, max, max-1,
  the sign edges 2**(n-1)-1, 2**(n-1), 2**(n-1)+1, and the byte edges of
  wider fields); byte strings get such a value written at some offset.
* ``random``: a uniform value; for bytes, a run of random bytes.
* ``bitflip``: one bit of an integer, one to eight bits of a byte string.
* ``lie``: a length or count off the truth (0, 1, the truth +/- 1, twice it,
  max...); the length byte of one option in an option list; a checksum off
  by one, zero or all ones.
* ``truncate``: a byte string cut short; a list with an item dropped or cut
  to a prefix.
* ``grow``: bytes appended, inserted or repeated; a list item duplicated.
* ``shuffle``: list items in another order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from netprobe.plugins.fuzz.rng import CaseRandom

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

#: interesting values per width in bytes: what overflows signed and unsigned types
INTERESTING: dict[int, tuple[int, ...]] = {
    1: (0x00, 0x01, 0x7F, 0x80, 0xFF),
    2: (0x0000, 0x0001, 0x00FF, 0x0100, 0x7FFF, 0x8000, 0xFFFF),
    4: (0x00000000, 0x00000001, 0x0000FFFF, 0x00010000, 0x7FFFFFFF, 0x80000000,
        0xFFFFFFFF),
}
#: at most this many bytes are added by one ``grow``
GROW_MAX = 64

#: An item of a list field (a layer, an address, a number).
T = TypeVar("T")


class NotApplicable(Exception):
    """This strategy cannot act on this value (an empty string to flip, no room to grow)."""


@functools.cache
def boundary_values(bits: int) -> tuple[int, ...]:
    """Edge values of an unsigned field of ``bits`` bits, smallest first."""
    top = (1 << bits) - 1
    values = {0, 1, top, top - 1}
    if bits >= 2:
        half = 1 << (bits - 1)
        values |= {half - 1, half, half + 1}
    for edge in (0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000):
        if edge < top:
            values.add(edge)
    return tuple(sorted(v for v in values if 0 <= v <= top))


def lie_values(bits: int, truth: int | None) -> tuple[int, ...]:
    """Values of a length or count field that are not ``truth`` (the real length)."""
    top = (1 << bits) - 1
    values = {0, 1, top, top - 1}
    if truth is not None:
        values |= {truth - 1, truth + 1, truth * 2, truth // 2, truth + (1 << (bits - 1))}
    return tuple(sorted(v for v in values if 0 <= v <= top and v != truth))


def _checksum_lies(bits: int, truth: int | None) -> tuple[int, ...]:
    top = (1 << bits) - 1
    values = {0, top}
    if truth is not None:
        values |= {truth ^ 1, (truth + 1) & top, truth ^ top}
    return tuple(sorted(v for v in values if v != truth))


def int_value(strategy: str, rng: CaseRandom, bits: int, current: int | None, kind: str
              ) -> tuple[int, JSONRecord]:
    """A new value for an integer field of ``bits`` bits; ``current`` is its value now."""
    top = (1 << bits) - 1
    if strategy == "random":
        value = rng.below(top + 1)
    elif strategy == "bitflip":
        value = (current or 0) ^ (1 << rng.below(bits))
    elif strategy == "lie":
        choices = (_checksum_lies(bits, current) if kind == "checksum"
                   else lie_values(bits, current))
        value = rng.choice(choices)
    elif strategy == "boundary":
        if kind == "flags":
            choices = tuple(v for v in {0, top, 1 << rng.below(bits)} if v != current)
            value = rng.choice(sorted(choices)) if choices else 0
        else:
            choices = boundary_values(bits)
            pick = rng.below(len(choices))
            value = choices[pick]
            if value == current:  # the next edge instead: a mutation changes something
                value = choices[(pick + 1) % len(choices)]
    else:
        raise NotApplicable(strategy)
    return value, {"value": value, "was": current}


def fixed_bytes(strategy: str, rng: CaseRandom, data: bytes) -> tuple[bytes, JSONRecord]:
    """New contents of a fixed-size byte string (same size)."""
    n = len(data)
    if not n:
        raise NotApplicable(strategy)
    if strategy == "boundary":
        fill = rng.choice(INTERESTING[1])
        return bytes((fill,)) * n, {"fill": fill}
    if strategy == "random":
        new = rng.randbytes(n)
        return new, {"value": new.hex()}
    if strategy == "bitflip":
        return _flip(rng, data)
    raise NotApplicable(strategy)


def _flip(rng: CaseRandom, data: bytes) -> tuple[bytes, JSONRecord]:
    total = 8 * len(data)
    if not total:
        raise NotApplicable("bitflip")
    count = 1 + rng.below(min(8, total))
    buf = bytearray(data)
    bits = sorted({rng.below(total) for _ in range(count)})
    for bit in bits:
        buf[bit >> 3] ^= 0x80 >> (bit & 7)
    return bytes(buf), {"bits": bits}


def same_size(strategy: str, rng: CaseRandom, data: bytes) -> tuple[bytes, JSONRecord]:
    """``bitflip``, ``boundary`` or ``random`` on a byte string, keeping its size."""
    n = len(data)
    if not n:
        raise NotApplicable(strategy)
    if strategy == "bitflip":
        return _flip(rng, data)
    if strategy == "boundary":
        width = rng.choice([w for w in (1, 2, 4) if w <= n])
        value = rng.choice(INTERESTING[width])
        order = "big" if width == 1 or rng.chance(1, 2) else "little"
        at = rng.below(n - width + 1)
        new = data[:at] + value.to_bytes(width, order) + data[at + width:]
        return new, {"offset": at, "width": width, "value": value, "order": order}
    if strategy == "random":
        run = 1 + rng.below(min(16, n))
        at = rng.below(n - run + 1)
        new = data[:at] + rng.randbytes(run) + data[at + run:]
        return new, {"offset": at, "length": run}
    raise NotApplicable(strategy)


def resized(strategy: str, rng: CaseRandom, data: bytes, room: int
            ) -> tuple[bytes, JSONRecord]:
    """``truncate`` or ``grow`` a byte string; ``room`` is how much it may grow."""
    n = len(data)
    if strategy == "truncate":
        if not n:
            raise NotApplicable(strategy)
        keep = rng.below(n)
        return data[:keep], {"from": n, "to": keep}
    if strategy != "grow" or room < 1:
        raise NotApplicable(strategy)
    how = rng.choice(("append", "insert", "repeat", "double"))
    if how == "double" and n and n <= room:
        return data + data, {"op": how, "from": n, "to": 2 * n}
    if how == "repeat" and n:
        size = 1 + rng.below(min(32, n))
        at = rng.below(n - size + 1)
        times = 1 + rng.below(max(1, min(4, room // size)))
        chunk = data[at:at + size] * times
        chunk = chunk[:room]
        new = data[:at + size] + chunk + data[at + size:]
        return new, {"op": how, "at": at, "size": size, "added": len(chunk), "from": n,
                     "to": len(new)}
    add = rng.randbytes(1 + rng.below(min(GROW_MAX, room)))
    at = n if how != "insert" else rng.below(n + 1)
    new = data[:at] + add + data[at:]
    return new, {"op": "insert" if at < n else "append", "at": at, "added": len(add),
                 "from": n, "to": len(new)}


def list_order(rng: CaseRandom, items: list[T]) -> tuple[list[T], JSONRecord]:
    """The items in another order (``shuffle``); needs two items or more."""
    n = len(items)
    if n < 2:
        raise NotApplicable("shuffle")
    order = list(range(n))
    for _ in range(3):
        rng.shuffle(order)
        if order != sorted(order):
            break
    else:
        order.reverse()
    return [items[i] for i in order], {"order": order}


def list_cut(rng: CaseRandom, items: list[T]) -> tuple[list[T], JSONRecord]:
    """Drop one item, or keep only a prefix (``truncate``)."""
    n = len(items)
    if not n:
        raise NotApplicable("truncate")
    if n > 1 and rng.chance(1, 2):
        drop = rng.below(n)
        return items[:drop] + items[drop + 1:], {"dropped": drop, "from": n}
    keep = rng.below(n)
    return items[:keep], {"kept": keep, "from": n}


def list_grow(rng: CaseRandom, items: list[T], copy: Callable[[T], T]
              ) -> tuple[list[T], JSONRecord]:
    """Duplicate one item at some place (``grow``); ``copy`` copies an item."""
    n = len(items)
    if not n:
        raise NotApplicable("grow")
    which = rng.below(n)
    times = 1 + rng.below(3)
    at = rng.below(n + 1)
    new = items[:at] + [copy(items[which]) for _ in range(times)] + items[at:]
    return new, {"duplicated": which, "times": times, "at": at, "from": n}


def tlv_lie(rng: CaseRandom, region: bytes) -> tuple[bytes, JSONRecord]:
    """Make the length byte of one option lie (IP and TCP options: kind, length, data)."""
    from netprobe.packet.fragment import option_spans

    n = len(region)
    lengths = [(i + 1, olen) for i, _kind, olen in option_spans(region)]  # (offset, value)
    if not lengths:
        raise NotApplicable("lie")
    at, truth = rng.choice(lengths)
    choices = sorted(v for v in {0, 1, 2, truth - 1, truth + 1, n - at + 2, 0xFF}
                     if 0 <= v <= 0xFF and v != truth)
    value = rng.choice(choices)
    new = region[:at] + bytes((value,)) + region[at + 1:]
    return new, {"offset": at, "value": value, "was": truth}
