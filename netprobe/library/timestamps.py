"""Exact packet times: a ``Decimal`` that mixes with floats, as Scapy's ``EDecimal`` does.

A packet read from a capture file carries its timestamp to the file's resolution
(nanoseconds need more digits than a float holds). Scripts subtract times, divide
by floats and compare them with ``time.time()``: those work on this type, where a
plain ``Decimal`` refuses floats.
"""

from __future__ import annotations

from collections.abc import Callable
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

    def __hash__(self) -> int:
        return Decimal.__hash__(self)


def _arithmetic(name: str) -> Callable[..., Any]:
    """``Decimal``'s operator ``name`` taking floats and giving an EDecimal."""
    base = getattr(Decimal, name)

    def operator(self: EDecimal, *other: Any) -> Any:
        return EDecimal(base(self, *map(_coerce, other)))
    return operator


def _comparison(name: str) -> Callable[..., Any]:
    """``Decimal``'s comparison ``name`` taking floats."""
    base = getattr(Decimal, name)

    def compare(self: EDecimal, other: Any) -> Any:
        return base(self, _coerce(other))
    return compare


for _name in ("add", "sub", "rsub", "mul", "truediv", "rtruediv", "floordiv", "mod", "neg",
              "abs"):
    setattr(EDecimal, f"__{_name}__", _arithmetic(f"__{_name}__"))
EDecimal.__radd__ = EDecimal.__add__  # type: ignore[method-assign]
EDecimal.__rmul__ = EDecimal.__mul__  # type: ignore[method-assign]
for _name in ("eq", "lt", "le", "gt", "ge"):
    setattr(EDecimal, f"__{_name}__", _comparison(f"__{_name}__"))


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
