"""Scapy's DNS name helpers: ``dns_encode``, ``dns_get_str`` and ``dns_compress``.

``dns_encode(b"www.example.com")`` is the wire form of a name;
``dns_get_str(data)`` reads one back as ``(name, rest)``; ``dns_compress(pkt)``
gives a copy of a packet whose DNS names repeat through compression pointers
(RFC 1035 4.1.4), as Scapy's does: the first writing of a name stays as it is,
later ones end with a pointer to the longest suffix already written.
"""

from __future__ import annotations

from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.layers.dns_name import decode_name, encode_name, looks_encoded

__all__ = ["dns_compress", "dns_encode", "dns_get_str"]

#: record types whose rdata is one name (NS, MD, MF, CNAME, MB, MG, MR, PTR, DNAME)
_NAME_RDATA = frozenset({2, 3, 4, 5, 7, 8, 9, 12, 39})
#: own record classes: (name field, bytes of rdata before it, or the field it follows)
_RDATA_NAMES: dict[str, tuple[tuple[str, int | str], ...]] = {
    "DNSRRMX": (("exchange", 2),),
    "DNSRRSRV": (("target", 6),),
    "DNSRRSOA": (("mname", 0), ("rname", "mname")),
}
#: a pointer reaches offsets below this only (14 bits)
_POINTER_LIMIT = 0x4000


def dns_encode(x: bytes, check_built: bool = False) -> bytes:
    """The wire form of name ``x`` (labels, then the root byte); with ``check_built``,
    a name already in wire form (ending with the root byte or a pointer) as it is."""
    if not isinstance(x, bytes):
        raise TypeError(f"dns_encode: a name is bytes, not {type(x).__name__}")
    if not x or x == b".":
        return b"\x00"
    if check_built and looks_encoded(x):
        return x
    out = b"".join(bytes((len(label[:63]),)) + label[:63] for label in x.split(b"."))
    return out if out.endswith(b"\x00") else out + b"\x00"


def dns_get_str(s: bytes, full: Any = None, _ignore_compression: bool = False
                ) -> tuple[bytes, bytes]:
    """Read the name at the start of ``s``: ``(name, what follows it)``. A compression
    pointer is followed into ``full`` (the whole message), which it must be given."""
    s = bytes(s)
    at, buf = 0, s
    if isinstance(full, (bytes, bytearray)) and bytes(full).endswith(s):
        buf, at = bytes(full), len(full) - len(s)
    first = _first_pointer(s)
    if first is not None and (_ignore_compression or buf is s):
        if not _ignore_compression:
            raise UsageError("DNS message can't be compressed at this point!")
        name, _, _, _ = decode_name(s[:first] + b"\x00", 0, 0, first + 1)
        return name, s[first + 2:]
    name, nxt, _, _ = decode_name(buf, at, 0, len(buf))
    rest = buf[nxt:] if nxt >= 0 else b""
    return name, rest


def _first_pointer(s: bytes) -> int | None:
    """Where the name at the start of ``s`` has its pointer, if it has one."""
    pos = 0
    while pos < len(s):
        c = s[pos]
        if c == 0:
            return None
        if c & 0xC0 == 0xC0:
            return pos
        pos += c + 1
    return None


def dns_compress(pkt: Any) -> Any:
    """A copy of ``pkt`` (a DNS message, alone or stacked) whose repeated names are
    compressed; the original is left as it is."""
    from netprobe.packet.layers.dns import DNS

    out = pkt.copy()
    dns = out.getlayer(DNS)
    if dns is None:
        raise UsageError("dns_compress: can only compress DNS layers")
    seen: dict[bytes, int] = {}
    pos = 12
    for section in ("qd", "an", "ns", "ar"):
        for rec in getattr(dns, section) or ():
            _compress_record(rec, pos, seen)
            pos += len(bytes(rec))
    return out


def _compress_record(rec: Any, pos: int, seen: dict[bytes, int]) -> None:
    """Compress the names of one question or record written at offset ``pos``."""
    cls = type(rec)
    if "qname" in cls.fields_by_name:
        _set_name(rec, "qname", pos, seen)
        return
    if "rrname" not in cls.fields_by_name:
        return
    rd = pos + len(_set_name(rec, "rrname", pos, seen)) + 10
    changed = False
    if cls.__name__ == "DNSRR" and rec.type in _NAME_RDATA and isinstance(rec.rdata,
                                                                            (bytes, str)):
        _set_name(rec, "rdata", rd, seen)
        changed = True
    ends: dict[str, int] = {}
    for name, before in _RDATA_NAMES.get(cls.__name__, ()):
        at = rd + before if isinstance(before, int) else ends[before]
        ends[name] = at + len(_set_name(rec, name, at, seen))
        changed = True
    if changed and "rdlen" in cls.fields_by_name:
        rec.rdlen = None


def _set_name(rec: Any, field: str, pos: int, seen: dict[bytes, int]) -> bytes:
    """Compress field ``field`` of ``rec`` (written at ``pos``); its wire bytes now."""
    value = getattr(rec, field)
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes) or not value or value == b".":
        return encode_name(value if isinstance(value, bytes) else b".")
    if looks_encoded(value) and not value.endswith(b"."):
        return value  # already in wire form: kept
    labels = value.rstrip(b".").split(b".")
    written = b""
    for i in range(len(labels)):
        suffix = b".".join(labels[i:]) + b"."
        if suffix in seen:
            wire = written + bytes((0xC0 | seen[suffix] >> 8, seen[suffix] & 0xFF))
            setattr(rec, field, wire)
            return wire
        here = pos + len(written)
        if here < _POINTER_LIMIT:
            seen[suffix] = here
        written += bytes((len(labels[i]),)) + labels[i]
    return written + b"\x00"
