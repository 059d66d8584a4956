"""Exact packet times: a ``Decimal`` that mixes with floats, as Scapy's ``EDecimal`` does.

A packet read from a capture file carries its timestamp to the file's resolution
(nanoseconds need more digits than a float holds). Scripts subtract times, divide
by floats and compare them with ``time.time()``: those work on this type, where a
plain ``Decimal`` refuses floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["EDecimal", "exact_time", "quotient_time"]


def _coerce(other: Any) -> Any:
    if isinstance(other, float):
        return Decimal(repr(other))
    return other


class EDecimal(Decimal):
    """Seconds since the epoch, exact; arithmetic with floats and ints gives EDecimal."""

    __slots__ = ()

    def __add__(self, other: Any) -> Any:
        return EDecimal(Decimal.__add__(self, _coerce(other)))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return EDecimal(Decimal.__sub__(self, _coerce(other)))

    def __rsub__(self, other: Any) -> Any:
        return EDecimal(Decimal.__rsub__(self, _coerce(other)))

    def __mul__(self, other: Any) -> Any:
        return EDecimal(Decimal.__mul__(self, _coerce(other)))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return EDecimal(Decimal.__truediv__(self, _coerce(other)))

    def __rtruediv__(self, other: Any) -> Any:
        return EDecimal(Decimal.__rtruediv__(self, _coerce(other)))

    def __floordiv__(self, other: Any) -> Any:
        return EDecimal(Decimal.__floordiv__(self, _coerce(other)))

    def __mod__(self, other: Any) -> Any:
        return EDecimal(Decimal.__mod__(self, _coerce(other)))

    def __neg__(self) -> Any:  # type: ignore[override]
        return EDecimal(Decimal.__neg__(self))

    def __abs__(self) -> Any:  # type: ignore[override]
        return EDecimal(Decimal.__abs__(self))

    def __eq__(self, other: object) -> bool:
        return Decimal.__eq__(self, _coerce(other))

    def __hash__(self) -> int:
        return Decimal.__hash__(self)

    def __lt__(self, other: Any) -> bool:
        return Decimal.__lt__(self, _coerce(other))

    def __le__(self, other: Any) -> bool:
        return Decimal.__le__(self, _coerce(other))

    def __gt__(self, other: Any) -> bool:
        return Decimal.__gt__(self, _coerce(other))

    def __ge__(self, other: Any) -> bool:
        return Decimal.__ge__(self, _coerce(other))


#: units per second -> decimal places (10**6 -> 6); other units use a division
_PLACES = {10**k: k for k in range(0, 19)}


def exact_time(sec: int, frac: int, units: int) -> EDecimal:
    """``sec + frac / units`` exactly, with as many decimals as the units have
    (``1.500000`` for microseconds, as Scapy prints a time read from a pcap)."""
    k = _PLACES.get(units)
    if k is not None:
        return EDecimal(Decimal(sec * units + frac).scaleb(-k))
    return EDecimal(Decimal(sec) + Decimal(frac) / Decimal(units))


def quotient_time(sec: int, frac: int, units: int) -> EDecimal:
    """``sec + frac / units`` as the quotient of the count of units by the units, as
    Scapy gives the time of a pcapng packet (``951619590.81597``: no trailing zeros)."""
    return EDecimal(Decimal(sec * units + frac) / Decimal(units))
