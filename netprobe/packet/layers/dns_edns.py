"""EDNS(0) (RFC 6891): the OPT pseudo-record and its options.

Field names and defaults follow Scapy's ``DNSRROPT`` and ``EDNS0TLV``: the
record's class is the requester's UDP payload size (4096), its TTL is split
into extended RCODE, version and flags (``z``, whose top bit is DNSSEC OK and
set by default, as in Scapy). Every option is kept as code, length and bytes;
option bytes that do not parse stay in the list as raw ``bytes``.
"""

from __future__ import annotations

from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import ByteField, ListField, RawBytesField, ShortField
from netprobe.packet.layer import DISSECTED, Layer, LengthNote, Truncated
from netprobe.packet.layers.dns_edns_options import OPTION_CLASSES, _EDNS0Option, read_option
from netprobe.packet.layers.dns_name import DNSNameField, NameCache
from netprobe.packet.layers.dns_records import RECORD_CLASSES, PlainClass, ResourceRecord
from netprobe.packet.layers.dns_types import DNS_CLASSES, DNS_TYPES, EDNS0_TYPES

_HH = Struct("!HH")


class EDNS0TLV(Layer):
    """One EDNS(0) option: code, length (computed when unset) and data."""

    name = 'DNS EDNS0 TLV'
    held_in_fields = True  # pkt[EDNS0TLV] finds it in its OPT record, as Scapy's lookup
    ls_kinds = {"optlen": "FieldLenField", "optdata": "StrLenField"}
    fields = (
        ShortField("optcode", 0, names=EDNS0_TYPES),
        ShortField("optlen", None),
        RawBytesField("optdata", b""),
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # As Scapy's: EDNS0TLV(raw) of an option whose code has a class is that class
        if (cls is EDNS0TLV and args and isinstance(args[0], (bytes, bytearray))
                and len(args[0]) >= 2 and int.from_bytes(args[0][:2], "big") in OPTION_CLASSES):
            return OPTION_CLASSES[int.from_bytes(args[0][:2], "big")](*args, **kwargs)
        return object.__new__(cls)

    def build_layer(self, payload: bytes) -> bytes:
        data = self.optdata or b""
        length = len(data) if self.optlen is None else self.optlen
        return _HH.pack(self.optcode, length) + data + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated option ({end - off} of 4 bytes)")
        self.optcode, self.optlen = _HH.unpack_from(buf, off)
        nxt = off + 4 + self.optlen
        if nxt > end:
            raise Truncated(f"option data of {self.optlen} bytes runs past the end")
        self.optdata = buf[off + 4:nxt]
        return nxt, nxt

    def summary_part(self) -> str:
        return f"EDNS0TLV {EDNS0_TYPES.get(self.optcode, self.optcode)}"


def check_edns_option(name: str, value: Any) -> EDNS0TLV | bytes:
    """An OPT option: an ``EDNS0TLV``, a ``(code, data)`` pair, or raw bytes sent as they are."""
    if isinstance(value, (EDNS0TLV, _EDNS0Option)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, tuple) and len(value) == 2:
        return EDNS0TLV(optcode=value[0], optdata=value[1])
    raise UsageError(f"{name}: an EDNS option is EDNS0TLV(...), (code, data) or bytes; "
                     f"got {value!r}")


class DNSRROPT(PlainClass, ResourceRecord):
    """The OPT pseudo-record (type 41) carrying EDNS(0) options in ``rdata``."""

    name = 'DNS OPT Resource Record'
    ls_kinds = {"z": "BitEnumField", "rdlen": "FieldLenField"}
    fields = (
        DNSNameField("rrname", ""),
        ShortField("type", 41, names=DNS_TYPES),
        ShortField("rclass", 4096, names=DNS_CLASSES),
        ByteField("extrcode", 0),
        ByteField("version", 0),
        ShortField("z", 32768, names={32768: "D0"}),
        ShortField("rdlen", None),
        ListField("rdata", [], item_check=check_edns_option),
    )
    packet_lists = frozenset(("rdata",))

    def _ttl_word(self) -> int:
        return (self.extrcode & 0xFF) << 24 | (self.version & 0xFF) << 16 | self.z & 0xFFFF

    def _set_ttl_word(self, word: int) -> None:
        self.extrcode = word >> 24
        self.version = word >> 16 & 0xFF
        self.z = word & 0xFFFF

    def build_rdata(self) -> bytes:
        return b"".join(o.build_layer(b"") if isinstance(o, Layer) else bytes(o)
                        for o in self.rdata or ())

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        opts: list[Any] = []
        pos = rd
        while pos < rdend:
            if rdend - pos < 4:
                self.note(LengthNote(f"EDNS option header cut short ({rdend - pos} bytes)"))
                opts.append(buf[pos:rdend])
                break
            code, length = _HH.unpack_from(buf, pos)
            nxt = pos + 4 + length
            if nxt > rdend:
                self.note(LengthNote(f"EDNS option {code} of {length} bytes runs past the "
                                     "RDATA"))
                opts.append(buf[pos:rdend])
                break
            opt = read_option(buf[pos:nxt]) if code in OPTION_CLASSES else None
            if opt is None:
                opt = _new(EDNS0TLV)
                opt._payload = opt._under = opt._errors = None
                opt._meta = DISSECTED
                opt.optcode, opt.optlen, opt.optdata = code, length, buf[pos + 4:nxt]
            opts.append(opt)
            pos = nxt
        self.rdata = opts
        return None

    def summary_part(self) -> str:
        return f"DNSRROPT size={self.rclass} options={len(self.rdata or ())}"


_new = object.__new__

RECORD_CLASSES[41] = DNSRROPT
