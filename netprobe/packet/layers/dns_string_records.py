"""DNS records made of character-strings: HINFO (RFC 1035 3.3.2) and NAPTR (RFC 3403),
with Scapy 2.8's class names, field names and defaults (``DNSRRHINFO``,
``DNSRRNAPTR``).

Each string goes with its length byte, a field of its own (``cpulen``, ``flags_len``
...) that is computed when left None, as in Scapy. RDATA that does not decode as
its type says stays ``RawRData`` in a ``DNSRR`` (see ``dns_records``).
"""

from __future__ import annotations

from struct import Struct

from netprobe.packet.field import ByteField, ShortField
from netprobe.packet.layers.dns_name import DNSNameField, NameCache, encode_name
from netprobe.packet.layers.dns_records import RECORD_CLASSES, ResourceRecord, _header
from netprobe.packet.layers.dns_sec import BytesTail, raw_bytes

__all__ = ["DNSRRHINFO", "DNSRRNAPTR"]

_HH = Struct("!HH")


def _string(length: int | None, value: object) -> bytes:
    """A character-string: its length byte (computed when None), then its bytes."""
    data = raw_bytes(value)
    return bytes(((len(data) if length is None else length) & 0xFF,)) + data


def _read_strings(buf: bytes, pos: int, end: int, count: int) -> list[tuple[int, bytes]] | None:
    """``count`` character-strings from ``pos``: (length byte, bytes) each, or None."""
    out = []
    for _ in range(count):
        if pos >= end or pos + 1 + buf[pos] > end:
            return None
        out.append((buf[pos], buf[pos + 1:pos + 1 + buf[pos]]))
        pos += 1 + buf[pos]
    out.append((pos, b""))  # where the strings end
    return out


class DNSRRHINFO(ResourceRecord):
    """An HINFO record: the host's CPU and operating system, as two strings."""

    name = 'DNS HINFO Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField", "cpulen": "FieldLenField",
                "oslen": "FieldLenField"}
    fields = (
        *_header(13),
        ByteField("cpulen", None),
        BytesTail("cpu", b"", "StrLenField"),
        ByteField("oslen", None),
        BytesTail("os", b"", "StrLenField"),
    )

    def build_rdata(self) -> bytes:
        return _string(self.cpulen, self.cpu) + _string(self.oslen, self.os)

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        got = _read_strings(buf, rd, rdend, 2)
        if got is None or got[2][0] != rdend:
            return "HINFO strings do not fill the RDATA"
        (self.cpulen, self.cpu), (self.oslen, self.os) = got[0], got[1]
        return None


class DNSRRNAPTR(ResourceRecord):
    """A NAPTR record: order, preference, flags, services, a regular expression and a
    replacement name (ENUM and SIP use it)."""

    name = 'DNS NAPTR Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField", "flags_len": "FieldLenField",
                "services_len": "FieldLenField", "regexp_len": "FieldLenField"}
    fields = (
        *_header(35),
        ShortField("order", 0),
        ShortField("preference", 0),
        ByteField("flags_len", None),
        BytesTail("flags", b"", "StrLenField"),
        ByteField("services_len", None),
        BytesTail("services", b"", "StrLenField"),
        ByteField("regexp_len", None),
        BytesTail("regexp", b"", "StrLenField"),
        DNSNameField("replacement", ""),
    )

    def build_rdata(self) -> bytes:
        return (_HH.pack(self.order, self.preference) + _string(self.flags_len, self.flags)
                + _string(self.services_len, self.services)
                + _string(self.regexp_len, self.regexp) + encode_name(self.replacement))

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        if rdend - rd < 4:
            return f"NAPTR RDATA of {rdend - rd} bytes is too short"
        got = _read_strings(buf, rd + 4, rdend, 3)
        if got is None:
            return "NAPTR strings run past the RDATA"
        name = self._name_rdata(buf, got[3][0], rdend, base, end, cache, "replacement")
        if isinstance(name, str):
            return name
        if name[1] != rdend:
            return "NAPTR replacement ends before the RDATA does"
        self.order, self.preference = _HH.unpack_from(buf, rd)
        (self.flags_len, self.flags), (self.services_len, self.services) = got[0], got[1]
        self.regexp_len, self.regexp = got[2]
        self.replacement = name[0]
        return None


RECORD_CLASSES.update({13: DNSRRHINFO, 35: DNSRRNAPTR})
