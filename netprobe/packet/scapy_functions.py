"""Scapy's functions on packets: ``raw``, ``fuzz``, ``fragment`` (and ``ls`` from
``present.py``), written on netprobe's layers."""

from __future__ import annotations

import os
import random
import socket
import struct
import time
import zlib
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.layer import BUILD_BINDINGS, NoPayload, bind_layers, dissect_table_for
from netprobe.packet.present import ls

__all__ = ["NoPayload", "bind_bottom_up", "bind_top_down", "bytes_encode", "bytes_hex", "chb",
           "corrupt_bits", "corrupt_bytes", "crc32", "fragment", "fuzz", "hex_bytes",
           "inet_aton", "inet_ntoa", "lhex", "ls", "os", "plain_str", "random", "raw", "socket",
           "split_bottom_up", "split_top_down", "struct", "strxor", "time"]
#: ``os``, ``random``, ``socket``, ``struct`` and ``time`` are here because scripts rely on
#: Scapy's ``*`` bringing them (``struct.pack`` in a user layer's ``post_build``)


def bytes_encode(x: Any) -> bytes:
    """``x`` as bytes: text encoded as UTF-8, a packet built (Scapy's ``bytes_encode``)."""
    return x.encode() if isinstance(x, str) else bytes(x)


def bytes_hex(x: Any) -> bytes:
    """The hex digits of ``x``'s bytes, as bytes (``b'4500...'``)."""
    return bytes_encode(x).hex().encode()


def hex_bytes(x: Any) -> bytes:
    """The bytes written by hex digits ``x`` (text or bytes)."""
    return bytes.fromhex(x.decode() if isinstance(x, bytes) else x)


def chb(x: int) -> bytes:
    """One byte of value ``x``."""
    return bytes((x,))


def plain_str(x: Any) -> str:
    """Bytes as text, undecodable bytes as ``\\xNN``; anything else as ``str()``."""
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).decode("utf8", "backslashreplace")
    return str(x)


def lhex(x: Any) -> Any:
    """Numbers as hex text, inside lists and tuples too (``[0x1, (0x2, 0x3)]``)."""
    if isinstance(x, int):
        return hex(x)
    if isinstance(x, tuple):
        return "(" + ", ".join(lhex(v) for v in x) + ")"
    if isinstance(x, list):
        return "[" + ", ".join(lhex(v) for v in x) + "]"
    return x


def strxor(s1: bytes, s2: bytes) -> bytes:
    """The two byte strings xor-ed byte by byte (as long as the shorter)."""
    return bytes(a ^ b for a, b in zip(s1, s2))


def corrupt_bytes(data: bytes, p: float = 0.01, n: int | None = None) -> bytes:
    """``data`` with ``n`` of its bytes (by default a share ``p``, at least one) changed
    to other random values, at random places (``random`` module: seedable)."""
    buf = bytearray(bytes(data))
    if not buf:
        return b""
    count = max(1, int(len(buf) * p)) if n is None else min(n, len(buf))
    for i in random.sample(range(len(buf)), count):
        buf[i] = (buf[i] + random.randint(1, 255)) % 256
    return bytes(buf)


def corrupt_bits(data: bytes, p: float = 0.01, n: int | None = None) -> bytes:
    """``data`` with ``n`` of its bits (by default a share ``p``, at least one) flipped,
    at random places (``random`` module: seedable)."""
    buf = bytearray(bytes(data))
    if not buf:
        return b""
    bits = len(buf) * 8
    count = max(1, int(bits * p)) if n is None else min(n, bits)
    for i in random.sample(range(bits), count):
        buf[i // 8] ^= 1 << (i % 8)
    return bytes(buf)


def crc32(data: bytes) -> int:
    """The CRC-32 of ``data`` (zlib's)."""
    return zlib.crc32(data)


def inet_aton(text: str) -> bytes:
    """A dotted-quad IPv4 address as its 4 bytes."""
    return socket.inet_aton(text)


def inet_ntoa(packed: bytes) -> str:
    """4 bytes as a dotted-quad IPv4 address."""
    return socket.inet_ntoa(packed)


def raw(pkt: Any) -> bytes:
    """The packet's bytes (Scapy's ``raw``; the same as ``bytes(pkt)``)."""
    return bytes(pkt)


def fuzz(pkt: Any) -> Any:
    """A copy whose fields left at their default take a random value each time it is built
    (fields that fill themselves, lengths and checksums, stay computed), as Scapy's
    ``fuzz``. Random values come from ``random`` (``random.seed`` repeats them)."""
    from netprobe.packet import randval as R  # noqa: N812
    from netprobe.packet.present import overloads

    out = pkt.copy()
    for layer in out.chain():
        given = layer.fields_given()
        filled = overloads(layer)  # what the layer above puts in: kept, as Scapy's
        for f in type(layer).fields_desc:
            if f.name in given or f.name in filled:
                continue
            default = f.default
            if default is None and f.name in type(layer).payload_fields:
                # a protocol number filled from above, with none: Scapy's default
                default = type(layer).payload_defaults.get(f.name, 0)
            if default is None:
                continue
            value: Any = None
            own = getattr(f, "randval", None)  # a field that says (Scapy's field classes)
            if own is not None:
                value = own()
            elif isinstance(f, F.TailField):
                continue
            elif isinstance(f, F.UIntField):
                value = R.RandNum(0, f.maxval)
            elif isinstance(f, F.IPv4Field):
                value = R.RandIP()
            elif isinstance(f, F.IPv6Field):
                value = R.RandIP6()
            elif isinstance(f, F.MACField):
                value = R.RandMAC()
            if value is not None:
                value.fuzzed = True  # not shown by repr(), as in Scapy
                setattr(layer, f.name, value)
    return out


def fragment(pkt: Any, fragsize: int = 1480) -> list[Any]:
    """IPv4 fragments of each packet (Scapy's ``fragment``): ``fragsize`` payload bytes
    each (rounded down to a multiple of 8), the IP header copied, ``MF`` set on all
    but the last; each fragment's payload is ``Raw``."""
    from netprobe.packet.layers.ip import IP
    from netprobe.packet.layers.raw import Raw

    fragsize -= fragsize % 8
    if fragsize < 8:
        raise UsageError("fragment size must be at least 8 bytes")
    out: list[Any] = []
    for p in pkt:
        ip = p.getlayer(IP)
        if ip is None:
            raise UsageError("fragment() takes IPv4 packets")
        built = ip.build()
        hl = (built[0] & 0x0F) * 4
        total = int.from_bytes(built[2:4], "big") or len(built)
        data = built[hl:total]
        proto = built[9]
        base_off = ip.frag or 0
        pieces = [data[i:i + fragsize] for i in range(0, len(data), fragsize)] or [b""]
        for i, piece in enumerate(pieces):
            q = ip.copy()
            q.remove_payload()
            q.proto = proto
            q.len = None
            q.chksum = None
            q.ihl = None
            if i < len(pieces) - 1:
                q.flags = int(q.flags or 0) | 1  # MF
            q.frag = base_off + i * fragsize // 8
            out.append(q / Raw(load=piece))
    return out


# -- one-way bindings (Scapy's bind_bottom_up / bind_top_down and their undoing) ----------------
def bind_bottom_up(lower: Any, upper: Any, **values: Any) -> None:
    """Dissect ``upper`` above ``lower`` when ``lower``'s fields have ``values``; building
    ``lower / upper`` does not set them."""
    table = dissect_table_for(lower, upper)
    for key, value in values.items():
        table.setdefault((key, value), upper)


def bind_top_down(lower: Any, upper: Any, **values: Any) -> None:
    """Building ``lower / upper`` sets ``lower``'s unset fields to ``values``; dissecting
    does not choose ``upper`` from them."""
    bind_layers(lower, upper, dissect=False, **values)


def split_bottom_up(lower: Any, upper: Any, **values: Any) -> None:
    """Undo ``bind_bottom_up`` (the dissection side of ``bind_layers``)."""
    for table in (lower._dissect_table, lower.__dict__.get("_late_dissect_table", {})):
        for key, value in values.items():
            if table.get((key, value)) is upper:
                del table[(key, value)]


def split_top_down(lower: Any, upper: Any, **values: Any) -> None:
    """Undo ``bind_top_down`` (the building side of ``bind_layers``)."""
    bound = BUILD_BINDINGS.get((lower, upper))
    if bound is None:
        return
    for key, value in values.items():
        if bound.get(key) == value:
            del bound[key]
    if not bound:
        del BUILD_BINDINGS[(lower, upper)]
