"""Exact capture timestamps: ``seconds + frac / units`` in integers, never floats.

Classic pcap counts in 10**6 or 10**9 units per second; pcapng lets each
interface choose ``10**-k`` or ``2**-k`` (the ``if_tsresol`` option).  Floats
cannot hold nanoseconds of a 2024 epoch time (53-bit mantissa), so every
conversion here is integer arithmetic.
"""

from __future__ import annotations

from functools import lru_cache

from netprobe.errors import UsageError

MICRO = 10**6
NANO = 10**9

#: The pcapng default resolution when an interface carries no ``if_tsresol``.
DEFAULT_TSRESOL = 6


def units_from_tsresol(code: int) -> int:
    """Units per second for a pcapng ``if_tsresol`` byte (high bit set: power of 2)."""
    if code & 0x80:
        return 1 << (code & 0x7F)
    return 10 ** (code & 0x7F)


def tsresol_from_units(units: int) -> int:
    """The ``if_tsresol`` byte for ``units`` per second (a power of 10, else of 2)."""
    if units >= 1:
        k, u = 0, units
        while u % 10 == 0:
            u //= 10
            k += 1
        if u == 1 and k <= 0x7F:
            return k
        k = units.bit_length() - 1
        if units == 1 << k and k <= 0x7F:
            return 0x80 | k
    raise UsageError(f"timestamp units {units} are neither 10**k nor 2**k (k <= 127)")


def convert_timestamp(sec: int, frac: int, from_units: int, to_units: int) -> tuple[int, int]:
    """Re-express ``sec + frac/from_units`` in ``to_units``, rounding down when inexact.

    The result is normalised: ``0 <= frac < to_units``.
    """
    if from_units == to_units and 0 <= frac < to_units:
        return sec, frac
    return divmod(timestamp_count(sec, frac, from_units, to_units), to_units)


def timestamp_count(sec: int, frac: int, from_units: int, to_units: int) -> int:
    """Whole ``to_units`` since the epoch for ``sec + frac/from_units`` (rounded down)."""
    if from_units == to_units >= 1:
        return sec * to_units + frac
    if from_units < 1 or to_units < 1:
        raise UsageError(f"timestamp units must be positive, got {from_units} and {to_units}")
    return (sec * from_units + frac) * to_units // from_units


@lru_cache(maxsize=256)
def _decimal_places(units: int) -> tuple[int, int] | None:
    """``(k, m)`` with ``units * m == 10**k`` (smallest k), or None if no such k exists."""
    twos = fives = 0
    u = units
    while u % 2 == 0:
        u //= 2
        twos += 1
    while u % 5 == 0:
        u //= 5
        fives += 1
    if u != 1:
        return None
    k = max(twos, fives)
    return k, 10**k // units


def format_timestamp(sec: int, frac: int, units: int) -> str:
    """Full-precision decimal string of ``sec + frac/units``.

    For ``10**k`` units there are exactly k decimals; for ``2**k`` units the
    exact expansion (also k decimals).  Units with another prime factor have no
    finite decimal expansion: those are cut (not rounded) to 9 decimals.
    A fraction of ``units`` or more (seen in damaged files) carries into the
    seconds, so the string is always the true value.
    """
    if units < 1:
        raise UsageError(f"timestamp units must be positive, got {units}")
    total = sec * units + frac
    sign = ""
    if total < 0:
        sign = "-"
        total = -total
    whole, rem = divmod(total, units)
    places = _decimal_places(units)
    if places is None:
        k = 9
        digits = rem * NANO // units
    else:
        k, mult = places
        digits = rem * mult
    if k == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{digits:0{k}d}"
