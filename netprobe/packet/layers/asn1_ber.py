"""ASN.1 values and their BER encoding, as SNMP carries them (X.690; RFC 2578 types).

The value classes have the names Scapy users type (``ASN1_INTEGER(5)``,
``ASN1_OID("1.3.6.1.2.1.1.1.0")``, ``ASN1_STRING(b"public")``, ``ASN1_NULL(0)``)
and print as Scapy prints them: ``0x5 <ASN1_INTEGER[5]>``,
``<ASN1_OID['.1.3.6.1.2.1.1.1.0']>``. ``bytes(value)`` is its BER encoding;
``val`` is the Python value. Integers are written on as many bytes as Scapy
writes them (the magnitude's bytes plus one), which a BER reader accepts.

Reading (``read_tlv``, ``read_value``) never goes past the end it is given and
raises ``BERError`` (a ``ParseError``: the dissector turns it into a note and
``Raw``) on bytes that are not BER: indefinite or oversized lengths, a length
past the end.
"""

from __future__ import annotations

import socket
from typing import Any, ClassVar

from netprobe.errors import UsageError
from netprobe.packet.layer import ParseError

__all__ = [
    "ASN1_BOOLEAN",
    "ASN1_COUNTER32",
    "ASN1_COUNTER64",
    "ASN1_GAUGE32",
    "ASN1_INTEGER",
    "ASN1_IPADDRESS",
    "ASN1_NULL",
    "ASN1_OID",
    "ASN1_STRING",
    "ASN1_TIME_TICKS",
    "ASN1_Object",
]


class BERError(ParseError):
    """Bytes that are not a BER encoding."""


# -- encoding -----------------------------------------------------------------------------------
def encode_length(n: int) -> bytes:
    """A BER length: one byte below 128, else 0x80 + the count of length bytes."""
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def encode_tlv(tag: int, content: bytes) -> bytes:
    """Tag, length and content."""
    return bytes((tag,)) + encode_length(len(content)) + content


def encode_integer(value: int) -> bytes:
    """Two's complement on the magnitude's byte count plus one (as Scapy writes it)."""
    size = abs(value).bit_length() // 8 + 1
    return value.to_bytes(size, "big", signed=True) if value < 0 else (
        value.to_bytes(size, "big"))


def encode_oid(text: str) -> bytes:
    """An object identifier's content: the first two arcs in one, then base 128."""
    try:
        arcs = [int(x) for x in text.strip(".").split(".") if x != ""]
    except ValueError:
        raise UsageError(f"{text!r} is not an OID (numbers separated by dots)") from None
    if len(arcs) < 2 or any(a < 0 for a in arcs):
        raise UsageError(f"{text!r} is not an OID (two numbers at least)")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def decode_oid(content: bytes) -> str:
    """An object identifier's content as dotted text."""
    arcs: list[int] = []
    acc = 0
    for b in content:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    if acc or (content and content[-1] & 0x80):
        raise BERError("OID ends inside an arc")
    if not arcs:
        return ""
    first = arcs[0]
    head = [first // 40, first % 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


# -- values -------------------------------------------------------------------------------------
class ASN1_Object:  # noqa: N801 - Scapy's name
    """An ASN.1 value: ``val`` and the tag it is encoded with."""

    __slots__ = ("val",)
    tag: ClassVar[int] = 0
    #: tag -> value class, for reading
    by_tag: ClassVar[dict[int, type[ASN1_Object]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ASN1_Object.by_tag.setdefault(cls.tag, cls)

    def __init__(self, val: Any) -> None:
        self.val = val

    def content(self) -> bytes:
        """The encoded value, without tag and length."""
        v = self.val
        if isinstance(v, str):
            return v.encode()
        return bytes(v or b"")

    @classmethod
    def from_content(cls, content: bytes) -> ASN1_Object:
        """The value a content of this type reads as."""
        return cls(content)

    def enc(self) -> bytes:
        """The BER encoding."""
        return encode_tlv(self.tag, self.content())

    def __bytes__(self) -> bytes:
        return self.enc()

    def __str__(self) -> str:
        return self.enc().decode("utf-8", "backslashreplace")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}[{self.val!r}]>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ASN1_Object):
            return bool(self.val == other.val)
        return bool(self.val == other)

    __hash__ = None  # type: ignore[assignment]


class ASN1_INTEGER(ASN1_Object):  # noqa: N801
    """An INTEGER (tag 2)."""

    __slots__ = ()
    tag = 0x02

    def content(self) -> bytes:
        return encode_integer(int(self.val))

    @classmethod
    def from_content(cls, content: bytes) -> ASN1_Object:
        if not content:
            raise BERError(f"empty {cls.__name__[5:]}")
        return cls(int.from_bytes(content, "big", signed=True))

    def __repr__(self) -> str:
        return f"{hex(self.val)} <{type(self).__name__}[{self.val!r}]>"

    def __int__(self) -> int:
        return int(self.val)

    __index__ = __int__


class ASN1_BOOLEAN(ASN1_INTEGER):  # noqa: N801
    """A BOOLEAN (tag 1)."""

    __slots__ = ()
    tag = 0x01

    def __repr__(self) -> str:
        return f"{bool(self.val)} <{type(self).__name__}[{self.val!r}]>"


class ASN1_STRING(ASN1_Object):  # noqa: N801
    """An OCTET STRING (tag 4)."""

    __slots__ = ()
    tag = 0x04


class ASN1_NULL(ASN1_Object):  # noqa: N801
    """NULL (tag 5): no content."""

    __slots__ = ()
    tag = 0x05

    def content(self) -> bytes:
        return b""

    @classmethod
    def from_content(cls, content: bytes) -> ASN1_Object:
        return cls(0)


class ASN1_OID(ASN1_Object):  # noqa: N801
    """An OBJECT IDENTIFIER (tag 6), ``val`` as dotted text."""

    __slots__ = ()
    tag = 0x06

    def __init__(self, val: Any) -> None:
        text = str(val).strip(".")
        encode_oid(text)  # refuse what is not an OID now, not when building
        super().__init__(text)

    def content(self) -> bytes:
        return encode_oid(self.val)

    @classmethod
    def from_content(cls, content: bytes) -> ASN1_Object:
        out = object.__new__(cls)
        out.val = decode_oid(content)
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__}[{'.' + self.val!r}]>"


class ASN1_IPADDRESS(ASN1_STRING):  # noqa: N801
    """An SNMP IpAddress (application tag 0): four bytes, ``val`` as dotted text."""

    __slots__ = ()
    tag = 0x40

    def content(self) -> bytes:
        try:
            return socket.inet_aton(str(self.val))
        except OSError:
            raise UsageError(f"{self.val!r} is not an IPv4 address") from None

    @classmethod
    def from_content(cls, content: bytes) -> ASN1_Object:
        if len(content) != 4:
            raise BERError(f"IpAddress of {len(content)} bytes")
        return cls(socket.inet_ntoa(content))


class ASN1_COUNTER32(ASN1_INTEGER):  # noqa: N801
    """An SNMP Counter32 (application tag 1)."""

    __slots__ = ()
    tag = 0x41


class ASN1_GAUGE32(ASN1_INTEGER):  # noqa: N801
    """An SNMP Gauge32 (application tag 2)."""

    __slots__ = ()
    tag = 0x42


class ASN1_TIME_TICKS(ASN1_INTEGER):  # noqa: N801
    """An SNMP TimeTicks (application tag 3): hundredths of a second."""

    __slots__ = ()
    tag = 0x43


class ASN1_COUNTER64(ASN1_INTEGER):  # noqa: N801
    """An SNMP Counter64 (application tag 6)."""

    __slots__ = ()
    tag = 0x46


# -- reading ------------------------------------------------------------------------------------
def read_tlv(buf: bytes, off: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the encoding at ``off``; never past ``end``."""
    if off + 2 > end:
        raise BERError(f"{end - off} bytes where a tag and length were expected")
    tag = buf[off]
    if tag & 0x1F == 0x1F:
        raise BERError(f"multi-byte tag {tag:#x} is not read")
    first = buf[off + 1]
    at = off + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            raise BERError("indefinite length")
        if count > 4 or at + count > end:
            raise BERError(f"length of {count} bytes")
        length = int.from_bytes(buf[at:at + count], "big")
        at += count
    if at + length > end:
        raise BERError(f"length {length} runs {at + length - end} bytes past the end")
    return tag, at, at + length


def read_value(buf: bytes, off: int, end: int) -> tuple[ASN1_Object, int]:
    """The value encoded at ``off`` (a class of this module by its tag) and where it ends."""
    tag, start, stop = read_tlv(buf, off, end)
    cls = ASN1_Object.by_tag.get(tag)
    if cls is None:
        raise BERError(f"tag {tag:#x} is not read")
    return cls.from_content(bytes(buf[start:stop])), stop
