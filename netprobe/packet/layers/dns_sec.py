"""DNSSEC resource records (RFC 4034, 5155, 4431): RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY,
DS and DLV, and the transaction signature TSIG (RFC 8945), with Scapy 2.8's class
names, field names and defaults.

They are ``ResourceRecord`` layers like ``DNSRRMX`` (``dns_records``): put in a DNS
section's list, read from a message by their type. Three of Scapy's behaviours are
kept, since scripts print what they give:

- ``saltlength`` and ``hashlength`` default to 0 and are written as they are; leave
  them None to have them computed from ``salt`` and ``nexthashedownername``.
- ``typebitmaps`` given as a list of type numbers is stored as the RFC 4034 type
  bitmap (bytes, what ``.typebitmaps`` then reads); it shows as the list of type names.
- ``DNSRRDLV`` lists ``type`` 43 (DS) as its class default, and every new one is
  given type 32769 (DLV).

RDATA that does not decode as its type says stays ``RawRData`` in a ``DNSRR``, as
for the other records, so a rebuilt message carries the same bytes.
"""

from __future__ import annotations

import time
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import (
    BitField,
    ByteField,
    FlagsField,
    IntField,
    ShortField,
    TailField,
    UIntField,
)
from netprobe.packet.layer import OneValue
from netprobe.packet.layers.dns_name import DNSNameField, NameCache, encode_name
from netprobe.packet.layers.dns_records import (
    RECORD_CLASSES,
    FixedThenTail,
    PlainClass,
    ResourceRecord,
    _header,
    raw_bytes,
)
from netprobe.packet.layers.dns_types import DNS_CLASSES, DNS_TYPES

__all__ = ["DNSRRDLV", "DNSRRDNSKEY", "DNSRRDS", "DNSRRNSEC", "DNSRRNSEC3", "DNSRRNSEC3PARAM",
           "DNSRRRSIG", "DNSRRTSIG"]

#: DNSSEC algorithm numbers (IANA), named as Scapy names them
DNSSEC_ALGORITHMS: dict[int, str] = {
    0: "Reserved", 1: "RSA/MD5", 2: "Diffie-Hellman", 3: "DSA/SHA-1", 4: "Reserved",
    5: "RSA/SHA-1", 6: "DSA-NSEC3-SHA1", 7: "RSASHA1-NSEC3-SHA1", 8: "RSA/SHA-256",
    9: "Reserved", 10: "RSA/SHA-512", 11: "Reserved", 12: "GOST R 34.10-2001",
    13: "ECDSA Curve P-256 with SHA-256", 14: "ECDSA Curve P-384 with SHA-384",
    15: "Ed25519", 16: "Ed448", 252: "Reserved for Indirect Keys",
    253: "Private algorithms - domain name", 254: "Private algorithms - OID",
    255: "Reserved"}
#: DS digest types
DNSSEC_DIGESTS: dict[int, str] = {0: "Reserved", 1: "SHA-1", 2: "SHA-256",
                                  3: "GOST R 34.11-94", 4: "SHA-384"}
#: NSEC3 hash algorithms
NSEC3_HASHES: dict[int, str] = {0: "Reserved", 1: "SHA-1"}
#: DNSKEY flags, bit 0 (the lowest) first: SEP is bit 0, Zone Key bit 8
DNSKEY_FLAGS = "S???????Z???????"

_RRSIG = Struct("!HBBIIIH")
_NSEC3 = Struct("!BBH")
_HBB = Struct("!HBB")
_TSIG_MID = Struct("!HH")
_TSIG_END = Struct("!HHH")


# -- the field kinds Scapy shows its own way ---------------------------------------------------
class UTCTimeField(UIntField):
    """A 32-bit time in seconds since 1970, shown as Scapy shows it:
    ``Tue, 14 Nov 2023 22:13:20  (1700000000)``."""

    __slots__ = ()
    ls_kind = "UTCTimeField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, "I")

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, int):
            return repr(value)
        stamp = time.strftime("%a, %d %b %Y %H:%M:%S", time.gmtime(value))
        return f"{stamp}  ({value})"


def types_to_bitmap(types: list[int]) -> bytes:
    """RFC 4034 4.1.2: type numbers as windows of bitmaps (duplicates dropped, sorted)."""
    windows: dict[int, bytearray] = {}
    for t in sorted({abs(int(x)) for x in types if int(x) <= 0xFFFF}):
        bits = windows.setdefault(t >> 8, bytearray())
        low = t & 0xFF
        while len(bits) <= low >> 3:
            bits.append(0)
        bits[low >> 3] |= 0x80 >> (low & 7)
    return b"".join(bytes((w, len(b))) + bytes(b) for w, b in sorted(windows.items()))


def bitmap_to_types(raw: bytes) -> list[int] | None:
    """The type numbers of a type bitmap, or None when the bytes are not one."""
    out: list[int] = []
    i, n = 0, len(raw)
    while i < n:
        if n - i < 2:
            return None
        window, size = raw[i], raw[i + 1]
        if not 1 <= size <= 32 or i + 2 + size > n:
            return None
        for j, byte in enumerate(raw[i + 2:i + 2 + size]):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    out.append(window << 8 | j << 3 | bit)
        i += 2 + size
    return out


class TypeBitmapField(OneValue, TailField):
    """``typebitmaps``: RR types as an RFC 4034 bitmap; given as type numbers or bytes,
    stored as the bitmap's bytes; shown as the list of type names (Scapy's RRlistField)."""

    __slots__ = ()
    ls_kind = "RRlistField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default)
        self.auto = False

    def check_one(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, (list, tuple)) and all(
                isinstance(x, int) and not isinstance(x, bool) for x in value):
            return types_to_bitmap(list(value))
        raise UsageError(f"{self.name}: expected a list of RR type numbers or the bitmap's "
                         f"bytes, got {value!r}")

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is None or value == []:
            return "[]"
        types = bitmap_to_types(bytes(value))
        if types is None:
            return repr(bytes(value))
        return repr([DNS_TYPES.get(t, t) for t in types])

    def to_json(self, value: Any) -> Any:
        if value is None:
            return None
        types = bitmap_to_types(bytes(value))
        if types is None:
            return bytes(value).hex()
        return [DNS_TYPES.get(t, str(t)) for t in types]


class BytesTail(OneValue, TailField):
    """Bytes (text is encoded), shown as ``b'..'``; ``kind`` is Scapy's field class."""

    __slots__ = ("kind",)

    def __init__(self, name: str, default: Any, kind: str) -> None:
        super().__init__(name, default)
        self.auto = False
        self.kind = kind

    @property
    def ls_kind(self) -> str:
        """Scapy's field class."""
        return self.kind

    def check_one(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes):
            return value
        if isinstance(value, (str, bytearray, memoryview)):
            return raw_bytes(value)
        raise UsageError(f"{self.name}: expected bytes, got {type(value).__name__}")

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(raw_bytes(value))

    def to_json(self, value: Any) -> Any:
        return None if value is None else raw_bytes(value).hex()


def _len_or(value: int | None, data: Any) -> int:
    return len(raw_bytes(data)) if value is None else value


# -- records ------------------------------------------------------------------------------------
class DNSRRRSIG(ResourceRecord):
    """An RRSIG record (RFC 4034 3): the signature over an RRset."""

    name = 'DNS RRSIG Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField"}
    fields = (
        *_header(46),
        ShortField("typecovered", 1, names=DNS_TYPES),
        ByteField("algorithm", 5, names=DNSSEC_ALGORITHMS),
        ByteField("labels", 0),
        IntField("originalttl", 0),
        UTCTimeField("expiration", 0),
        UTCTimeField("inception", 0),
        ShortField("keytag", 0),
        DNSNameField("signersname", ""),
        BytesTail("signature", b"", "StrField"),
    )

    def build_rdata(self) -> bytes:
        return (_RRSIG.pack(self.typecovered, self.algorithm, self.labels, self.originalttl,
                            self.expiration, self.inception, self.keytag)
                + encode_name(self.signersname) + raw_bytes(self.signature))

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        if rdend - rd < _RRSIG.size + 1:
            return f"RRSIG RDATA of {rdend - rd} bytes is too short"
        got = self._name_rdata(buf, rd + _RRSIG.size, rdend, base, end, cache, "signersname")
        if isinstance(got, str):
            return got
        (self.typecovered, self.algorithm, self.labels, self.originalttl, self.expiration,
         self.inception, self.keytag) = _RRSIG.unpack_from(buf, rd)
        self.signersname, pos = got
        self.signature = buf[pos:rdend]
        return None


class DNSRRNSEC(ResourceRecord):
    """An NSEC record (RFC 4034 4): the next owner name and the types at this one."""

    name = 'DNS NSEC Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField"}
    fields = (*_header(47), DNSNameField("nextname", ""), TypeBitmapField("typebitmaps", []))

    def build_rdata(self) -> bytes:
        return encode_name(self.nextname) + raw_bytes(self.typebitmaps or b"")

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        got = self._name_rdata(buf, rd, rdend, base, end, cache, "nextname")
        if isinstance(got, str):
            return got
        self.nextname, pos = got
        self.typebitmaps = buf[pos:rdend]
        return None


class DNSRRNSEC3(ResourceRecord):
    """An NSEC3 record (RFC 5155 3): hashed owner names and the types at this one."""

    name = 'DNS NSEC3 Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField",
                "saltlength": "FieldLenField", "hashlength": "FieldLenField"}
    fields = (
        *_header(50),
        ByteField("hashalg", 0),
        BitField("flags", 0, 8, names={1: "Opt-Out"}),
        ShortField("iterations", 0),
        ByteField("saltlength", 0),
        BytesTail("salt", b"", "StrLenField"),
        ByteField("hashlength", 0),
        BytesTail("nexthashedownername", b"", "StrLenField"),
        TypeBitmapField("typebitmaps", []),
    )

    def build_rdata(self) -> bytes:
        salt, nxt = raw_bytes(self.salt), raw_bytes(self.nexthashedownername)
        return (_NSEC3.pack(self.hashalg, self.flags, self.iterations)
                + bytes((_len_or(self.saltlength, salt) & 0xFF,)) + salt
                + bytes((_len_or(self.hashlength, nxt) & 0xFF,)) + nxt
                + raw_bytes(self.typebitmaps or b""))

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        pos = rd + _NSEC3.size
        if rdend - pos < 1 or rdend - pos - 1 < buf[pos]:
            return "NSEC3 salt runs past the RDATA"
        salt_end = pos + 1 + buf[pos]
        if rdend - salt_end < 1 or rdend - salt_end - 1 < buf[salt_end]:
            return "NSEC3 hash runs past the RDATA"
        hash_end = salt_end + 1 + buf[salt_end]
        self.hashalg, self.flags, self.iterations = _NSEC3.unpack_from(buf, rd)
        self.saltlength, self.salt = buf[pos], buf[pos + 1:salt_end]
        self.hashlength = buf[salt_end]
        self.nexthashedownername = buf[salt_end + 1:hash_end]
        self.typebitmaps = buf[hash_end:rdend]
        return None


class DNSRRNSEC3PARAM(ResourceRecord):
    """An NSEC3PARAM record (RFC 5155 4): the NSEC3 parameters of a zone."""

    name = 'DNS NSEC3PARAM Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField", "saltlength": "FieldLenField"}
    fields = (
        *_header(51),
        ByteField("hashalg", 0),
        ByteField("flags", 0),
        ShortField("iterations", 0),
        ByteField("saltlength", 0),
        BytesTail("salt", b"", "StrLenField"),
    )

    def build_rdata(self) -> bytes:
        salt = raw_bytes(self.salt)
        return (_NSEC3.pack(self.hashalg, self.flags, self.iterations)
                + bytes((_len_or(self.saltlength, salt) & 0xFF,)) + salt)

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        pos = rd + _NSEC3.size
        if rdend - pos < 1 or pos + 1 + buf[pos] != rdend:
            return "NSEC3PARAM salt does not fill the RDATA"
        self.hashalg, self.flags, self.iterations = _NSEC3.unpack_from(buf, rd)
        self.saltlength, self.salt = buf[pos], buf[pos + 1:rdend]
        return None


class DNSRRDNSKEY(FixedThenTail):
    """A DNSKEY record (RFC 4034 2): a zone's public key; flag S is SEP, Z the zone key."""

    name = 'DNS DNSKEY Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField"}
    fields = (
        *_header(48),
        FlagsField("flags", 256, 16, DNSKEY_FLAGS),
        ByteField("protocol", 3),
        ByteField("algorithm", 5, names=DNSSEC_ALGORITHMS),
        BytesTail("publickey", b"", "StrField"),
    )
    rdata_layout = ("DNSKEY", _HBB, ("flags", "protocol", "algorithm"), "publickey")


class DNSRRDS(FixedThenTail):
    """A DS record (RFC 4034 5): the digest of a child zone's key."""

    name = 'DNS DS Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField"}
    fields = (
        *_header(43),
        ShortField("keytag", 0),
        ByteField("algorithm", 5, names=DNSSEC_ALGORITHMS),
        ByteField("digesttype", 5, names=DNSSEC_DIGESTS),
        BytesTail("digest", b"", "StrField"),
    )
    rdata_layout = ("DS", _HBB, ("keytag", "algorithm", "digesttype"), "digest")


class DNSRRDLV(DNSRRDS):
    """A DLV record (RFC 4431): a DS record kept in a lookaside zone (type 32769)."""

    name = 'DNS DLV Resource Record'


_made_dlv_init = DNSRRDLV.__init__


def _dlv_init(self: DNSRRDLV, *args: Any, **kwargs: Any) -> None:
    """As Scapy's: a new DLV record is given type 32769 (its class default is 43)."""
    _made_dlv_init(self, *args, **kwargs)
    if "type" not in kwargs and not args:
        self.type = 32769


DNSRRDLV.__init__ = _dlv_init  # type: ignore[method-assign]

class TimeSignedField(UIntField):
    """TSIG's 48-bit time signed, shown as Scapy shows it: ``Tue Nov 14 22:13:20 2023``."""

    __slots__ = ()
    ls_kind = "TimeSignedField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, "Q")
        self.maxval = (1 << 48) - 1

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, int):
            return repr(value)
        return time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(value))


class DNSRRTSIG(PlainClass, ResourceRecord):
    """A TSIG record (RFC 8945): the signature of a message with a shared key. As in
    Scapy, its class is 16 bits (no cache-flush bit)."""

    name = 'DNS TSIG Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField", "mac_len": "FieldLenField",
                "other_len": "FieldLenField"}
    fields = (
        DNSNameField("rrname", ""),
        ShortField("type", 250, names=DNS_TYPES),
        ShortField("rclass", 1, names=DNS_CLASSES),
        IntField("ttl", 0),
        ShortField("rdlen", None),
        DNSNameField("algo_name", "hmac-sha1"),
        TimeSignedField("time_signed", 0),
        ShortField("fudge", 0),
        ShortField("mac_len", None),
        BytesTail("mac_data", b"", "StrLenField"),
        ShortField("original_id", 0),
        ShortField("error", 0),
        ShortField("other_len", None),
        BytesTail("other_data", b"", "StrLenField"),
    )

    def build_rdata(self) -> bytes:
        mac, other = raw_bytes(self.mac_data), raw_bytes(self.other_data)
        return (encode_name(self.algo_name) + (self.time_signed & 0xFFFFFFFFFFFF).to_bytes(6, "big")
                + _TSIG_MID.pack(self.fudge, _len_or(self.mac_len, mac)) + mac
                + _TSIG_END.pack(self.original_id, self.error, _len_or(self.other_len, other))
                + other)

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        got = self._name_rdata(buf, rd, rdend, base, end, cache, "algo_name")
        if isinstance(got, str):
            return got
        algo, pos = got
        if rdend - pos < 10:
            return "TSIG RDATA cut short after its algorithm"
        fudge, mac_len = _TSIG_MID.unpack_from(buf, pos + 6)
        mac_end = pos + 10 + mac_len
        if rdend - mac_end < 6:
            return "TSIG MAC runs past the RDATA"
        original_id, error, other_len = _TSIG_END.unpack_from(buf, mac_end)
        if mac_end + 6 + other_len != rdend:
            return "TSIG other data does not fill the RDATA"
        self.algo_name, self.time_signed = algo, int.from_bytes(buf[pos:pos + 6], "big")
        self.fudge, self.mac_len, self.mac_data = fudge, mac_len, buf[pos + 10:mac_end]
        self.original_id, self.error, self.other_len = original_id, error, other_len
        self.other_data = buf[mac_end + 6:rdend]
        return None


RECORD_CLASSES.update({46: DNSRRRSIG, 47: DNSRRNSEC, 50: DNSRRNSEC3, 51: DNSRRNSEC3PARAM,
                       48: DNSRRDNSKEY, 43: DNSRRDS, 32769: DNSRRDLV, 250: DNSRRTSIG})
