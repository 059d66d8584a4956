"""The fields a ``ConditionalLayer`` has on the wire, as one run of bits.

VXLAN, L2TP and GTP's PDU session container write the fields their flags or type
name (``present_fields()``) one after another, high bits first, each as wide as its
largest value (a 4-bit ``BitField``, an ``OptionalUInt`` of ``bits`` bits, a
16-bit ``ShortField``...). These two functions build and read that run for any
such layer, so that each layer says only which fields are there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netprobe.packet.layer import Layer, Truncated


def pack_present(layer: Layer, names: tuple[str, ...],
                 auto: dict[str, Callable[[], int]] | None = None) -> bytes:
    """The fields ``names`` of ``layer`` as bytes (an unset one is 0, or what its
    function in ``auto`` gives)."""
    by_name = type(layer).fields_by_name
    acc = total = 0
    for name in names:
        f = by_name[name]
        value = getattr(layer, name)
        if value is None and auto and name in auto:
            value = auto[name]()
        acc = acc << f.maxval.bit_length() | (int(value or 0) & f.maxval)
        total += f.maxval.bit_length()
    return acc.to_bytes(total // 8, "big")


def unpack_present(layer: Layer, names: tuple[str, ...], buf: Any, off: int, end: int,
                   head: int | None = None) -> int:
    """Set the fields ``names`` of ``layer`` from ``buf[off:end]``; returns where the
    whole bytes they fill end (Truncated when the bytes are fewer than they take; its
    text counts from ``head``, the header's first byte, when the fields come later)."""
    fields = [type(layer).fields_by_name[n] for n in names]
    total = sum(f.maxval.bit_length() for f in fields)
    size = (total + 7) // 8
    if end - off < size:
        start = off if head is None else head
        raise Truncated(f"truncated header ({end - start} of {off - start + size} bytes)")
    word = int.from_bytes(buf[off:off + size], "big")
    shift = 8 * size
    for f in fields:
        shift -= f.maxval.bit_length()
        setattr(layer, f.name, word >> shift & f.maxval)
    return off + total // 8
