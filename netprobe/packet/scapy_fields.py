"""Scapy's field classes, for protocols declared with ``fields_desc`` (``packet_class.py``).

Each class has Scapy's name, signature and defaults, and is a netprobe field
kind: the fixed-size ones (numbers, bits, flags, addresses, fixed strings)
describe themselves as code templates, so ``LayerMeta`` packs and unpacks them
in one ``struct`` call with the rest of the header, exactly as for netprobe's
own layers. The variable-length ones (strings with a length from another field,
nested packets, conditional and padded fields) are tail fields: each says how
it writes itself (``put``) and reads itself (``take``), and ``Packet`` runs
them in order after the fixed part. ``i2repr`` gives the text ``show()`` and
``repr()`` print, as Scapy prints it (hex for the ``X`` fields, names for
enumerations).
"""

from __future__ import annotations

import datetime
import socket
import struct
import time
from collections.abc import Callable, Mapping
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet import ouinames
from netprobe.packet.layer import Truncated

__all__ = [
    "BitEnumField", "BitField", "BitFieldLenField", "ByteEnumField", "ByteEnumKeysField",
    "ByteField", "ConditionalField", "DestIPField", "DestMACField", "Emph", "EnumField", "Field",
    "FieldLenField", "FieldListField", "FlagsField", "IEEEDoubleField", "IEEEFloatField",
    "IP6Field", "IPField", "IntEnumField", "IntEnumKeysField", "IntField", "LEFieldLenField",
    "LEIntEnumField", "LEIntField", "LELongEnumField", "LELongField", "LEShortEnumField",
    "LEShortField", "LESignedIntField", "LESignedLongField", "LESignedShortField",
    "LEThreeBytesField", "LEX3BytesField", "LenField", "LongEnumField", "LongField", "MACField",
    "MultipleTypeField", "NBytesField", "OUIField", "PacketField", "PacketLenField",
    "PacketListField", "PadField", "ScalingField", "ShortEnumField", "ShortEnumKeysField",
    "ShortField", "SignedByteField", "SignedIntEnumField", "SignedIntField", "SignedLongField",
    "SignedShortField", "SourceIP6Field", "SourceIPField", "SourceMACField", "StrField",
    "StrFixedLenField", "StrLenField", "StrNullField", "StrStopField", "ThreeBytesField",
    "UTCTimeField", "X3BytesField", "XBitField", "XByteEnumField", "XByteField", "XIntField",
    "XLE3BytesField", "XLEIntEnumField", "XLEIntField", "XLELongField", "XLEShortField",
    "XLongField", "XNBytesField", "XShortEnumField", "XShortField", "XStrField",
    "XStrFixedLenField", "XStrLenField", "YesNoByteField",
]

_SIZES = {"B": 1, "H": 2, "I": 4, "Q": 8, "b": 1, "h": 2, "i": 4, "q": 8}


def _plain(value: Any) -> str:
    """Scapy's display of a plain value: numbers and text as they are, bytes as ``b'..'``."""
    if isinstance(value, F.Volatile):
        return repr(value)
    if isinstance(value, (bytes, list)):
        return repr(value)
    return str(value)


def _hex(value: Any) -> str:
    """Scapy's display of an ``X`` field: ``0x3``."""
    if isinstance(value, F.Volatile):
        return repr(value)
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hex(v) for v in value) + "]"
    return str(value)


def _enum_table(enum: Any) -> dict[int, str] | None:
    """An enumeration as {value: name}: from a dict (either way round) or a list."""
    if enum is None:
        return None
    if isinstance(enum, Mapping):
        out = {}
        for k, v in enum.items():
            if isinstance(k, str) and isinstance(v, int):
                k, v = v, k
            out[k] = v
        return out
    if hasattr(enum, "keys") and hasattr(enum, "__getitem__"):  # IP_PROTOS, TCP_SERVICES...
        return {k: enum[k] for k in enum.keys()}  # noqa: SIM118 - not a dict
    return dict(enumerate(enum))


class ScapyField:
    """What every field kind of this module adds to netprobe's: Scapy's ways of showing,
    writing and reading one value with the packet at hand."""

    def i2repr(self, pkt: Any, value: Any) -> str:
        """The text ``show()`` and ``repr()`` print for ``value``."""
        return _plain(value)

    def text(self, value: Any) -> str:
        """netprobe's name for ``i2repr`` without a packet."""
        return self.i2repr(None, value)

    def put(self, pkt: Any, value: Any) -> bytes:
        """``value`` on the wire (used after a variable-length field, or alone)."""
        raise NotImplementedError

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        """Read the value at ``off`` (not past ``end``); return it and where it ends."""
        raise NotImplementedError

    def i2len(self, pkt: Any, value: Any) -> int:
        """How many bytes ``value`` takes (what ``FieldLenField(length_of=...)`` counts)."""
        return len(self.put(pkt, value))

    # Scapy's conversions between the user's value (h), the stored one (i) and the
    # wire's (m). A field class of a user's that overrides any of them (or addfield /
    # getfield) is written and read through them (see ``custom_field``). Here each
    # leaves the value as it is.
    def i2m(self, pkt: Any, x: Any) -> Any:
        """Stored value -> the value put on the wire (the same for m2i, i2h, h2i)."""
        return x

    m2i = i2h = h2i = i2m

    def any2i(self, pkt: Any, x: Any) -> Any:
        """Any value a user gives -> the stored value."""
        return self.h2i(pkt, x)

    def addfield(self, pkt: Any, s: bytes, val: Any) -> bytes:
        """``s`` with this field's bytes for ``val`` added."""
        return s + self.put(pkt, self.i2m(pkt, val))

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, Any]:
        """(what is left of ``s``, the value read from its start)."""
        value, used = self.take(pkt, s, 0, len(s))
        return s[used:], self.m2i(pkt, value)

    def randval(self) -> Any:
        """A random value of this field's kind (what ``fuzz()`` puts in it), or None."""
        return None

    def __repr__(self) -> str:
        # Scapy's: <ShortField (Disney).mickey>, the layers that declare it
        from netprobe.packet.present import field_repr

        return field_repr(self, type(self).__name__)  # type: ignore[arg-type]


#: struct code -> the random value of its size (as Scapy's fields draw them)
_RAND_BY_CODE = {"B": "RandByte", "H": "RandShort", "I": "RandInt", "Q": "RandLong",
                 "b": "RandSByte", "h": "RandSShort", "i": "RandSInt", "q": "RandSLong"}


def _rand(kind: str, *args: Any) -> Any:
    # random values are loaded when first asked for (``fuzz``): importing the fields
    # pulls in neither ``random`` nor ``randval``
    from netprobe.packet import randval

    return getattr(randval, kind)(*args)


def _rand_num(code: str) -> Any:
    return _rand(_RAND_BY_CODE[code])


def _rand_bits(bits: int) -> Any:
    return _rand("RandNum", 0, (1 << bits) - 1)


def _rand_bytes() -> Any:
    return _rand("RandBin", _rand("RandNum", 0, 1200))


def _need(off: int, size: int, end: int, name: str) -> None:
    if off + size > end:
        raise Truncated(f"{name}: {size} bytes needed, {max(end - off, 0)} left")


def _limit(length_from: Callable[[Any], int] | None, pkt: Any, off: int, end: int) -> int:
    """Where a value starting at ``off`` stops: ``length_from(pkt)`` bytes on, not past ``end``."""
    if length_from is None:
        return end
    return min(end, off + max(int(length_from(pkt)), 0))


class _Tail(ScapyField, F.TailField):
    """A field written and read after the fixed part of the header, never computed."""

    def __init__(self, name: str, default: Any) -> None:
        F.TailField.__init__(self, name, default)
        self.auto = False


# -- numbers ------------------------------------------------------------------------------------
class _NumField(ScapyField, F.UIntField):
    """An integer of 1, 2, 4 or 8 bytes, big-endian unless ``fmt`` starts with ``<``;
    Scapy's hooks write and read it through ``put`` and ``take`` (unset: 0)."""

    coerce = True

    def __init__(self, name: str, default: Any, fmt: str = "H", enum: Any = None) -> None:
        little = fmt.startswith("<")
        code = fmt.lstrip("<>!=@")
        if code not in _SIZES:
            raise TypeError(f"{name}: unsupported format {fmt!r}")
        F.UIntField.__init__(self, name, default, code.upper(), _enum_table(enum))
        self.fmt = code
        self.little = little
        self.size = _SIZES[code]
        self.signed = code.islower()
        if self.signed:
            self.minval, self.maxval = -(1 << (8 * self.size - 1)), (1 << (8 * self.size - 1)) - 1
        self.st = struct.Struct(("<" if little else "!") + code)
        if isinstance(default, str) and self.names:  # a default given by its name
            self.default = self.check_one(default)

    # generated code: little-endian values are swapped into the big-endian header struct
    def pack_expr(self, v: str) -> str:
        e = f"(0 if {v} is None else {v})" if self.auto else v
        if self.little:
            e = (f"int.from_bytes(({e}).to_bytes({self.size}, 'little', signed={self.signed}),"
                 f" 'big', signed={self.signed})")
        return e

    def unpack_expr(self, w: str) -> str:
        if self.little:
            return (f"int.from_bytes(({w}).to_bytes({self.size}, 'big', signed={self.signed}),"
                    f" 'little', signed={self.signed})")
        return w

    def i2m(self, pkt: Any, x: Any) -> Any:
        return 0 if x is None else x

    def put(self, pkt: Any, value: Any) -> bytes:
        return self.st.pack(0 if value is None else value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        _need(off, self.size, end, self.name)
        return self.st.unpack_from(buf, off)[0], off + self.size

    def randval(self) -> Any:
        return _rand_num(self.fmt)


class _HexMixin:
    def i2repr(self, pkt: Any, value: Any) -> str:
        return _hex(value)


class _EnumMixin:
    names: dict[int, str] | None

    def i2repr(self, pkt: Any, value: Any) -> str:
        if isinstance(value, int) and self.names and value in self.names:
            return self.names[value]
        return self._show_unknown(value)

    def _show_unknown(self, value: Any) -> str:
        return _plain(value)


def _num(cls_name: str, fmt: str, doc: str, base: tuple[type, ...] = (_NumField,)) -> type:
    def __init__(self: Any, name: str, default: Any) -> None:  # noqa: N807
        _NumField.__init__(self, name, default, fmt)

    return type(cls_name, base, {"__init__": __init__, "__doc__": doc, "__module__": __name__})


ByteField = _num("ByteField", "B", "An unsigned 8-bit integer.")
ShortField = _num("ShortField", "H", "An unsigned 16-bit integer.")
IntField = _num("IntField", "I", "An unsigned 32-bit integer.")
LongField = _num("LongField", "Q", "An unsigned 64-bit integer.")
SignedByteField = _num("SignedByteField", "b", "A signed 8-bit integer.")
SignedShortField = _num("SignedShortField", "h", "A signed 16-bit integer.")
SignedIntField = _num("SignedIntField", "i", "A signed 32-bit integer.")
SignedLongField = _num("SignedLongField", "q", "A signed 64-bit integer.")
LEShortField = _num("LEShortField", "<H", "An unsigned 16-bit little-endian integer.")
LEIntField = _num("LEIntField", "<I", "An unsigned 32-bit little-endian integer.")
LELongField = _num("LELongField", "<Q", "An unsigned 64-bit little-endian integer.")
XByteField = _num("XByteField", "B", "An 8-bit integer shown in hex.", (_HexMixin, _NumField))
XShortField = _num("XShortField", "H", "A 16-bit integer shown in hex.", (_HexMixin, _NumField))
XIntField = _num("XIntField", "I", "A 32-bit integer shown in hex.", (_HexMixin, _NumField))
XLongField = _num("XLongField", "Q", "A 64-bit integer shown in hex.", (_HexMixin, _NumField))
LESignedShortField = _num("LESignedShortField", "<h", "A signed 16-bit little-endian integer.")
LESignedIntField = _num("LESignedIntField", "<i", "A signed 32-bit little-endian integer.")
LESignedLongField = _num("LESignedLongField", "<q", "A signed 64-bit little-endian integer.")
XLEShortField = _num("XLEShortField", "<H", "A little-endian 16-bit integer shown in hex.",
                     (_HexMixin, _NumField))
XLEIntField = _num("XLEIntField", "<I", "A little-endian 32-bit integer shown in hex.",
                   (_HexMixin, _NumField))


class EnumField(_EnumMixin, _NumField):
    """An integer whose values have names (``enum``: {value: name} or a list of names)."""

    def __init__(self, name: str, default: Any, enum: Any, fmt: str = "H") -> None:
        _NumField.__init__(self, name, default, fmt, enum)

    def pack_expr(self, v: str) -> str:
        # a name assigned after the packet was made (``pkt.code = "bye"``) is read here
        v = f"({v} if isinstance({v}, int) else 0 if {v} is None else _chk_{self.name}({v}))"
        return super().pack_expr(v)

    def put(self, pkt: Any, value: Any) -> bytes:
        return super().put(pkt, self.check(value) if isinstance(value, str) else value)


def _enum(cls_name: str, fmt: str, doc: str, hexa: bool = False) -> type:
    def __init__(self: Any, name: str, default: Any, enum: Any) -> None:  # noqa: N807
        _NumField.__init__(self, name, default, fmt, enum)

    ns: dict[str, Any] = {"__init__": __init__, "__doc__": doc, "__module__": __name__}
    if hexa:
        ns["_show_unknown"] = lambda self, value: _hex(value)
    return type(cls_name, (EnumField,), ns)


ByteEnumField = _enum("ByteEnumField", "B", "An 8-bit integer with named values.")
ShortEnumField = _enum("ShortEnumField", "H", "A 16-bit integer with named values.")
IntEnumField = _enum("IntEnumField", "I", "A 32-bit integer with named values.")
LEShortEnumField = _enum("LEShortEnumField", "<H", "A little-endian 16-bit named integer.")
LEIntEnumField = _enum("LEIntEnumField", "<I", "A little-endian 32-bit named integer.")
SignedIntEnumField = _enum("SignedIntEnumField", "i", "A signed 32-bit named integer.")
XByteEnumField = _enum("XByteEnumField", "B", "An 8-bit named integer, hex when unnamed.", True)
XShortEnumField = _enum("XShortEnumField", "H", "A 16-bit named integer, hex when unnamed.",
                        True)


class _LengthOf:
    """A number that, left unset (None), is the length of field ``length_of`` (or the
    number of items of ``count_of``), passed through ``adjust(pkt, x)``."""

    def _counts(self, length_of: str | None, count_of: str | None,
                adjust: Callable[[Any, int], int]) -> None:
        self.length_of = length_of
        self.count_of = count_of
        self.adjust = adjust

    def compute(self, pkt: Any, payload: bytes) -> int:
        """The value building uses when the field is unset."""
        if self.length_of is not None:
            f = type(pkt).fields_by_name[self.length_of]
            x = f.i2len(pkt, getattr(pkt, self.length_of))
        elif self.count_of is not None:
            v = getattr(pkt, self.count_of)
            x = 0 if v is None else len(v) if isinstance(v, list) else 1
        else:
            return 0
        return self.adjust(pkt, x)


class FieldLenField(_LengthOf, _NumField):
    """An integer that, left unset (None), is the length of field ``length_of`` (or the
    number of items of ``count_of``), passed through ``adjust(pkt, x)``."""

    def __init__(self, name: str, default: Any, length_of: str | None = None, fmt: str = "H",
                 count_of: str | None = None,
                 adjust: Callable[[Any, int], int] = lambda pkt, x: x) -> None:
        _NumField.__init__(self, name, default, fmt)
        self._counts(length_of, count_of, adjust)


class LenField(_NumField):
    """An integer that, left unset (None), is the length of the payload (``adjust(x)``)."""

    def __init__(self, name: str, default: Any, fmt: str = "H",
                 adjust: Callable[[int], int] = lambda x: x) -> None:
        _NumField.__init__(self, name, default, fmt)
        self.adjust = adjust

    def compute(self, pkt: Any, payload: bytes) -> int:
        """The value building uses when the field is unset."""
        return self.adjust(len(payload))


# -- bits and flags -----------------------------------------------------------------------------
class BitField(ScapyField, F.BitField):
    """An unsigned integer of ``size`` bits; neighbouring bit fields share bytes."""

    def __init__(self, name: str, default: Any, size: int) -> None:
        F.BitField.__init__(self, name, default, size)

    def i2len(self, pkt: Any, value: Any) -> int:
        return self.bits // 8

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind (an enumerated one without its width)."""
        if isinstance(self, BitEnumField):
            return type(self).__name__
        return f"{type(self).__name__}  ({self.bits} bit{'s' if self.bits > 1 else ''})"

    def randval(self) -> Any:
        return _rand_bits(self.bits)


class XBitField(_HexMixin, BitField):
    """A bit field shown in hex."""


class BitFieldLenField(_LengthOf, BitField):
    """A bit field that, left unset (None), is the length of field ``length_of`` (or the
    number of items of ``count_of``), passed through ``adjust(pkt, x)``."""

    def __init__(self, name: str, default: Any, size: int, length_of: str | None = None,
                 count_of: str | None = None,
                 adjust: Callable[[Any, int], int] = lambda pkt, x: x) -> None:
        BitField.__init__(self, name, default, size)
        self._counts(length_of, count_of, adjust)


class ThreeBytesField(BitField):
    """An unsigned 24-bit integer."""

    def __init__(self, name: str, default: Any) -> None:
        BitField.__init__(self, name, default, 24)

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind."""
        return type(self).__name__


class X3BytesField(_HexMixin, ThreeBytesField):
    """A 24-bit integer shown in hex."""


class BitEnumField(_EnumMixin, BitField):
    """A bit field with named values."""

    def __init__(self, name: str, default: Any, size: int, enum: Any) -> None:
        BitField.__init__(self, name, default, size)
        self.names = _enum_table(enum)


class FlagsField(ScapyField, F.FlagsField):
    """Flags of ``size`` bits named by ``names``, bit 0 first: a string of one-letter
    names (``"FSRPAU"``, shown ``SA``) or a list of names (shown ``SYN+ACK``)."""

    def __init__(self, name: str, default: Any, size: int, names: Any) -> None:
        letters = names if isinstance(names, str) else tuple(names)
        F.FlagsField.__init__(self, name, default, size, letters)

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is None or isinstance(value, F.Volatile):
            return _plain(value)
        return str(self.valuetype(value))

    def randval(self) -> Any:
        return _rand_bits(self.bits)


# -- addresses ----------------------------------------------------------------------------------
class _Address(ScapyField):
    """An address of ``size`` bytes: ``encode`` puts its text on the wire, ``decode`` reads
    it; unset, it is ``unset``; ``fuzz()`` draws it with ``randval``'s ``rand_kind``."""

    size: int
    unset: str
    rand_kind: str

    def put(self, pkt: Any, value: Any) -> bytes:
        return self.encode(value or self.unset)  # type: ignore[attr-defined]

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        _need(off, self.size, end, self.name)  # type: ignore[attr-defined]
        return self.decode(buf[off:off + self.size]), off + self.size  # type: ignore[attr-defined]

    def randval(self) -> Any:
        return _rand(self.rand_kind)


class IPField(_Address, F.IPv4Field):
    """An IPv4 address (dotted quad); unset, it is ``0.0.0.0``."""

    size, unset, rand_kind = 4, "0.0.0.0", "RandIP"
    encode, decode = staticmethod(socket.inet_aton), staticmethod(socket.inet_ntoa)

    def __init__(self, name: str, default: Any) -> None:
        F.IPv4Field.__init__(self, name, default)
        #: text already checked as an address -> its bytes
        self.known: dict[str, bytes] = {}

    # addresses already checked are remembered with their bytes (``_known_NAME`` in the
    # generated code): building many packets to few hosts checks and converts each once
    def code_globals(self) -> dict[str, Any]:
        """Names the generated code of a layer with this field uses."""
        return {f"_known_{self.name}": self.known}

    def pack_expr(self, v: str) -> str:
        return f"(_known_{self.name}.get({v}) or _ip4('0.0.0.0' if {v} is None else {v}))"

    def check_expr(self, v: str) -> str:
        return (f"({v} if {v}.__class__ is str and {v} in _known_{self.name} "
                f"else _chk_{self.name}({v}))")

    def check(self, value: Any) -> Any:
        v = F.IPv4Field.check(self, value)
        if type(v) is str and len(self.known) < 65536:
            self.known[v] = socket.inet_aton(v)
        return v


class IP6Field(_Address, F.IPv6Field):
    """An IPv6 address; unset, it is ``::``."""

    size, unset, rand_kind = 16, "::", "RandIP6"
    encode, decode = staticmethod(F._ip6_to_bytes), staticmethod(F._ip6_text)

    def __init__(self, name: str, default: Any) -> None:
        F.IPv6Field.__init__(self, name, default)

    def pack_expr(self, v: str) -> str:
        return f"_ip6('::' if {v} is None else {v})"


class MACField(_Address, F.MACField):
    """A MAC address; unset, it is ``00:00:00:00:00:00``."""

    size, unset, rand_kind = 6, "00:00:00:00:00:00", "RandMAC"
    encode = staticmethod(F._mac_to_bytes)

    @staticmethod
    def decode(raw: bytes) -> str:
        return raw.hex(":")

    def __init__(self, name: str, default: Any) -> None:
        if isinstance(default, bytes) and len(default) == 6:  # ETHER_ANY, mac2str(...)
            default = default.hex(":")
        F.MACField.__init__(self, name, default)


# -- strings ------------------------------------------------------------------------------------
def _to_bytes(name: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value).encode()  # as Scapy does
    if hasattr(value, "build"):
        return bytes(value)  # a packet given as a string's value
    raise UsageError(f"{name}: expected bytes or text, got {type(value).__name__}")


class StrFixedLenField(ScapyField, F.BytesField):
    """Bytes of a fixed ``length`` (zero-padded, cut), or of ``length_from(pkt)`` bytes."""

    def __new__(cls, name: str, default: Any, length: int | None = None,
                length_from: Callable[[Any], int] | None = None) -> Any:
        if length_from is not None and cls is StrFixedLenField:
            cls = _StrFixedLenTail  # its length is known only when the packet is
        return object.__new__(cls)

    def __init__(self, name: str, default: Any, length: int | None = None,
                 length_from: Callable[[Any], int] | None = None) -> None:
        F.BytesField.__init__(self, name, default.encode() if isinstance(default, str) else default,
                              length or 0)
        self.length = length
        self.length_from = length_from

    def pack_expr(self, v: str) -> str:
        return f"(b'' if {v} is None else {v})"

    def check_one(self, value: Any) -> Any:
        return _to_bytes(self.name, value)

    def _len(self, pkt: Any) -> int:
        return self.length_from(pkt) if self.length_from is not None else self.length or 0

    def put(self, pkt: Any, value: Any) -> bytes:
        n = self._len(pkt)
        raw = b"" if value is None else _to_bytes(self.name, value)
        return raw[:n].ljust(n, b"\x00")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        n = self._len(pkt)
        _need(off, n, end, self.name)
        return buf[off:off + n], off + n

    def i2repr(self, pkt: Any, value: Any) -> str:
        if isinstance(value, bytes):
            return repr(value.rstrip(b"\x00"))
        return _plain(value)

    def randval(self) -> Any:
        return _rand("RandBin", self.length) if self.length_from is None else _rand_bytes()


class _StrFixedLenTail(StrFixedLenField, F.TailField):
    """A ``StrFixedLenField`` whose length comes from the packet: read after the fixed part."""


_StrFixedLenTail.__name__ = _StrFixedLenTail.__qualname__ = "StrFixedLenField"


class _StrTail(_Tail):
    """A tail field whose value is bytes."""

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default.encode() if isinstance(default, str) else default)

    def check_one(self, value: Any) -> Any:
        return _to_bytes(self.name, value)

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"" if value is None else _to_bytes(self.name, value)

    to_json = F.BytesField.to_json

    def randval(self) -> Any:
        return _rand_bytes()


class StrField(_StrTail):
    """Bytes to the end of the layer (or ``remain`` bytes before it)."""

    def __init__(self, name: str, default: Any, fmt: str = "H", remain: int = 0) -> None:
        super().__init__(name, default)
        self.remain = remain

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = max(off, end - self.remain)
        return buf[off:stop], stop


class StrLenField(_StrTail):
    """Bytes whose length is ``length_from(pkt)`` (often a ``FieldLenField``'s value)."""

    def __init__(self, name: str, default: Any, length_from: Callable[[Any], int] | None = None,
                 max_length: int | None = None) -> None:
        super().__init__(name, default)
        self.length_from = length_from
        self.max_length = max_length

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = _limit(self.length_from, pkt, off, end)
        return buf[off:stop], stop


class StrNullField(_StrTail):
    """Bytes ended by a zero byte (written after the value, not part of it)."""

    def put(self, pkt: Any, value: Any) -> bytes:
        return super().put(pkt, value) + b"\x00"

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        i = buf.find(b"\x00", off, end)
        if i < 0:
            return buf[off:end], end
        return buf[off:i], i + 1


class _XStr:
    def i2repr(self, pkt: Any, value: Any) -> str:
        return value.hex() if isinstance(value, bytes) else _plain(value)


class XStrField(_XStr, StrField):
    """A ``StrField`` shown in hex."""


class XStrLenField(_XStr, StrLenField):
    """A ``StrLenField`` shown in hex."""


class XStrFixedLenField(_XStr, StrFixedLenField):
    """A ``StrFixedLenField`` shown in hex."""


# -- packets inside packets ---------------------------------------------------------------------
def read_packet(cls: Any, data: bytes) -> tuple[Any, bytes]:
    """Dissect ``data`` as ``cls`` (a layer class, or a function of the bytes); return the
    packet and the bytes it left (its trailing ``Padding``, which is taken off it)."""
    from netprobe.packet.dissect import dissect_as
    from netprobe.packet.layer import LayerMeta

    pkt = dissect_as(cls, data) if isinstance(cls, LayerMeta) else cls(data)
    rest = b""
    last = pkt
    while last._payload is not None:
        last = last._payload
    while last.is_padding and last._under is not None:
        rest = (last.load or b"") + rest
        under = last._under
        under._payload = None
        last._under = None
        last = under
    return pkt, rest


class PacketField(_Tail):
    """A whole packet of class ``pkt_cls`` inside this one; it ends where the inner
    packet's ``extract_padding`` says."""

    def __init__(self, name: str, default: Any, pkt_cls: Any) -> None:
        _Tail.__init__(self, name, default)
        self.cls = pkt_cls

    def check_one(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray)):
            return read_packet(self.cls, bytes(value))[0]
        if not hasattr(value, "build"):
            raise UsageError(f"{self.name}: expected a packet, got {type(value).__name__}")
        return value

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"" if value is None else bytes(value)

    #: where the inner packet stops (PacketLenField's); None: where it says
    length_from: Callable[[Any], int] | None = None

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = _limit(self.length_from, pkt, off, end)
        if stop <= off:
            return None, off
        value, rest = read_packet(self.cls, buf[off:stop])
        return value, stop - len(rest)

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value)

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.to_dicts()


class PacketLenField(PacketField):
    """A packet inside this one, ``length_from(pkt)`` bytes long."""

    def __init__(self, name: str, default: Any, pkt_cls: Any,
                 length_from: Callable[[Any], int] | None = None) -> None:
        super().__init__(name, default, pkt_cls)
        self.length_from = length_from

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = _limit(self.length_from, pkt, off, end)
        if stop <= off:
            return None, off
        return read_packet(self.cls, buf[off:stop])[0], stop


class _Repeated(ScapyField, F.ListField):
    """Values one after another: ``count_from(pkt)`` of them, or ``length_from(pkt)``
    bytes of them, or up to the end of the layer; ``max_count`` at the most."""

    def __init__(self, name: str, default: Any, count_from: Callable[[Any], int] | None,
                 length_from: Callable[[Any], int] | None, max_count: int | None) -> None:
        F.ListField.__init__(self, name, [] if default is None else default)
        self.count_from = count_from
        self.length_from = length_from
        self.max_count = max_count

    def _one(self, pkt: Any, buf: bytes, off: int, stop: int) -> tuple[Any, int]:
        """One value at ``off`` and where it ends."""
        raise NotImplementedError

    def _items(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[list[Any], int, int]:
        """The values, where the last one ends, and where ``length_from`` stops them."""
        stop = _limit(self.length_from, pkt, off, end)
        count = None if self.count_from is None else int(self.count_from(pkt))
        items: list[Any] = []
        while off < stop and (count is None or len(items) < count):
            if self.max_count is not None and len(items) >= self.max_count:
                break
            value, nxt = self._one(pkt, buf, off, stop)
            items.append(value)
            if nxt <= off:
                break
            off = nxt
        return items, off, stop


class PacketListField(_Repeated):
    """Packets of class ``pkt_cls`` one after another: ``count_from(pkt)`` of them, or
    ``length_from(pkt)`` bytes of them, or up to the end of the layer."""

    def __init__(self, name: str, default: Any, pkt_cls: Any = None,
                 count_from: Callable[[Any], int] | None = None,
                 length_from: Callable[[Any], int] | None = None,
                 next_cls_cb: Any = None, max_count: int | None = None) -> None:
        super().__init__(name, default, count_from, length_from, max_count)
        self.cls = pkt_cls

    def check_one(self, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, (bytes, bytearray)) or hasattr(value, "build"):
            value = [value]
        out = []
        for v in value:
            if isinstance(v, (bytes, bytearray)):
                v = read_packet(self.cls, bytes(v))[0]
            elif not hasattr(v, "build"):
                raise UsageError(f"{self.name}: expected packets, got {type(v).__name__}")
            out.append(v)
        return out

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"".join(bytes(p) for p in value or ())

    def _one(self, pkt: Any, buf: bytes, off: int, stop: int) -> tuple[Any, int]:
        item, rest = read_packet(self.cls, buf[off:stop])
        return item, stop - len(rest)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        items, off, stop = self._items(pkt, buf, off, end)
        return items, (off if self.count_from is not None or self.length_from is None else stop)

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value)


class FieldListField(_Repeated):
    """Values of one field kind (``field``) one after another: ``count_from(pkt)`` of
    them, or ``length_from(pkt)`` bytes of them, or up to the end of the layer."""

    def __init__(self, name: str, default: Any, field: Any,
                 length_from: Callable[[Any], int] | None = None,
                 count_from: Callable[[Any], int] | None = None,
                 max_count: int | None = None) -> None:
        super().__init__(name, default, count_from, length_from, max_count)
        self.field = field

    def check_one(self, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            value = [value]
        return [v if isinstance(v, F.Volatile) else self.field.check(v) for v in value]

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"".join(self.field.put(pkt, v) for v in value or ())

    def _one(self, pkt: Any, buf: bytes, off: int, stop: int) -> tuple[Any, int]:
        return self.field.take(pkt, buf, off, stop)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        return self._items(pkt, buf, off, end)[:2]

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, list):
            return _plain(value)
        return "[" + ", ".join(self.field.i2repr(pkt, v) for v in value) + "]"


class NBytesField(_Tail):
    """An unsigned integer of ``sz`` bytes, big-endian."""

    def __init__(self, name: str, default: Any, sz: int) -> None:
        _Tail.__init__(self, name, default)
        self.sz = sz

    def check_one(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"{self.name}: expected an integer, got {value!r}")
        if not 0 <= value < 1 << (8 * self.sz):
            raise UsageError(f"{self.name}: {value} does not fit in {self.sz} bytes")
        return value

    def put(self, pkt: Any, value: Any) -> bytes:
        return (value or 0).to_bytes(self.sz, "big")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        _need(off, self.sz, end, self.name)
        return int.from_bytes(buf[off:off + self.sz], "big"), off + self.sz

    def randval(self) -> Any:
        return _rand("RandNum", 0, (1 << (8 * self.sz)) - 1)


class XNBytesField(_HexMixin, NBytesField):
    """An ``NBytesField`` shown in hex."""


def Emph(fld: Any) -> Any:  # noqa: N802 - Scapy's name
    """Scapy's emphasis on a field in ``show()``: the field itself here (no colours)."""
    return fld


# -- wrappers -----------------------------------------------------------------------------------
def _to_wrapped(name: str) -> Callable[..., Any]:
    """A method that calls the wrapped field's method ``name`` with the same arguments."""

    def call(self: Any, *args: Any) -> Any:
        return getattr(self.fld, name)(*args)

    call.__name__ = name
    return call


class _Wrapper(_Tail):
    """A field that wraps another (``fld``), under the same name and default."""

    def __init__(self, fld: Any) -> None:
        _Tail.__init__(self, fld.name, fld.default)
        self.auto = fld.auto
        self.fld = fld
        self.names = getattr(fld, "names", None)

    # what the base field class defines is passed on by hand (``__getattr__`` is not asked);
    # i2len is ScapyField's: the bytes put writes
    check, put, take, i2repr, to_json, randval = map(
        _to_wrapped, ("check", "put", "take", "i2repr", "to_json", "randval"))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "fld":
            raise AttributeError(attr)
        return getattr(self.fld, attr)


class ConditionalField(_Wrapper):
    """``fld`` is present only when ``cond(pkt)`` is true (else it is neither built nor read,
    and ``show()`` leaves it out)."""

    def __init__(self, fld: Any, cond: Callable[[Any], bool]) -> None:
        super().__init__(fld)
        self.cond = cond
        self.bits = fld.bits  # a conditional bit field is read and written with its neighbours

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind: the wrapped field's, marked."""
        return f"{getattr(self.fld, 'ls_kind', type(self.fld).__name__)} (Cond)"

    def put(self, pkt: Any, value: Any) -> bytes:
        return self.fld.put(pkt, value) if self.cond(pkt) else b""

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        if not self.cond(pkt):
            return None, off
        return self.fld.take(pkt, buf, off, end)


class MultipleTypeField(_Tail):
    """One field of several kinds: the first of ``flds`` (``(field, cond)`` pairs) whose
    ``cond(pkt)`` holds, else ``dflt`` (an address read as IPv4 or IPv6 by a family
    field). ``cond`` may be a pair (``cond(pkt)`` for reading, ``cond(pkt, value)`` for
    building). Unset, the field reads as the chosen kind's default."""

    def __init__(self, flds: list[tuple[Any, Any]], dflt: Any) -> None:
        _Tail.__init__(self, dflt.name, None)
        self.flds = list(flds)
        self.dflt = dflt
        self.names = None

    def _pick(self, pkt: Any, value: Any = None, building: bool = False) -> Any:
        for fld, cond in self.flds:
            if isinstance(cond, tuple):
                ok = cond[1](pkt, value) if building else cond[0](pkt)
            else:
                ok = cond(pkt)
            if ok:
                return fld
        return self.dflt

    def chosen_default(self, pkt: Any) -> Any:
        """The default of the kind ``pkt`` chooses (what the field reads as while unset)."""
        return self._pick(pkt).default

    def check(self, value: Any) -> Any:
        if value is None or isinstance(value, F.Volatile):
            return value
        # no packet to choose by yet: the value is kept as the first kind that takes it
        for fld in [f for f, _ in self.flds] + [self.dflt]:
            try:
                return fld.check(value)
            except (UsageError, ValueError, TypeError, OSError):
                continue
        return self.dflt.check(value)

    def put(self, pkt: Any, value: Any) -> bytes:
        fld = self._pick(pkt, value, building=True)
        return fld.put(pkt, fld.default if value is None else value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        return self._pick(pkt).take(pkt, buf, off, end)

    def i2repr(self, pkt: Any, value: Any) -> str:
        fld = self._pick(pkt)
        if value is None:
            value = fld.default
        show = getattr(fld, "i2repr", None)
        return show(pkt, value) if show is not None else fld.text(value)

    def randval(self) -> Any:
        return self.dflt.randval()

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind: every kind it may be, the default last."""
        kinds = [getattr(f, "ls_kind", type(f).__name__) for f, _ in self.flds]
        return f"MultipleTypeField ({', '.join([*kinds, type(self.dflt).__name__])})"


class PadField(_Wrapper):
    """``fld`` followed by ``padwith`` bytes (zeros) up to a multiple of ``align`` bytes."""

    def __init__(self, fld: Any, align: int, padwith: bytes | None = None) -> None:
        super().__init__(fld)
        self.align = align
        self.padwith = padwith or b"\x00"

    def put(self, pkt: Any, value: Any) -> bytes:
        raw = self.fld.put(pkt, value)
        pad = -len(raw) % self.align
        return raw + (self.padwith * pad)[:pad]

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        value, stop = self.fld.take(pkt, buf, off, end)
        return value, min(stop + (-(stop - off) % self.align), end)


# -- fields of the user's own -------------------------------------------------------------------
class Field(_Tail):
    """Scapy's base field: a value packed with ``struct`` format ``fmt`` (unset: 0); subclass
    it and override ``i2m``/``m2i``/``addfield``/``getfield``/``i2repr`` as in Scapy."""

    def __init__(self, name: str, default: Any, fmt: str = "H") -> None:
        _Tail.__init__(self, name, default)
        self.fmt = fmt if fmt[:1] in "@=<>!" else "!" + fmt
        self.st = struct.Struct(self.fmt)
        self.sz = self.st.size

    def check(self, value: Any) -> Any:
        if isinstance(value, F.Volatile):
            return value
        return self.any2i(None, value)

    def i2m(self, pkt: Any, x: Any) -> Any:
        return 0 if x is None else x

    def addfield(self, pkt: Any, s: bytes, val: Any) -> bytes:
        return s + self.st.pack(self.i2m(pkt, val))

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, Any]:
        size = self.st.size
        if len(s) < size:
            raise Truncated(f"{self.name}: {size} bytes needed, {len(s)} left")
        return s[size:], self.m2i(pkt, self.st.unpack_from(s)[0])

    def put(self, pkt: Any, value: Any) -> bytes:
        return self.addfield(pkt, b"", value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        rest, value = self.getfield(pkt, buf[off:end])
        return value, end - len(rest)

    def i2len(self, pkt: Any, value: Any) -> int:
        return len(self.addfield(pkt, b"", value))

    def i2repr(self, pkt: Any, value: Any) -> str:
        return _plain(self.i2h(pkt, value))

    def randval(self) -> Any:
        code = self.fmt.lstrip("@=<>!")
        return _rand_num(code) if code in _RAND_BY_CODE else None


#: Scapy's hooks a user's field class may override
_CUSTOM_HOOKS = ("i2m", "m2i", "h2i", "any2i", "addfield", "getfield")


def is_custom(f: Any) -> bool:
    """True when ``f``'s class is a user's that overrides one of Scapy's conversion hooks
    (its values then go through them, after the fixed part of the header)."""
    if isinstance(f, Field):  # Scapy's base: written and read through its hooks already
        return False
    for klass in type(f).__mro__:
        if klass.__module__ == __name__ or klass.__module__.startswith("netprobe."):
            return False
        if any(h in vars(klass) for h in _CUSTOM_HOOKS):
            return True
    return False


class CustomField(_Wrapper):
    """A user's subclass of one of this module's fields that overrides Scapy's hooks,
    written and read through them (``addfield``/``getfield``) instead of generated code."""

    def __init__(self, fld: Any) -> None:
        super().__init__(fld)
        self.auto = False

    def check(self, value: Any) -> Any:
        if isinstance(value, F.Volatile) or value is None:
            return value
        return self.fld.any2i(None, value)

    def put(self, pkt: Any, value: Any) -> bytes:
        return self.fld.addfield(pkt, b"", value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        rest, value = self.fld.getfield(pkt, buf[off:end])
        return value, end - len(rest)

    to_json = F.Field.to_json

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind: the user's class."""
        return type(self.fld).__name__

    def __repr__(self) -> str:
        return repr(self.fld)


# -- bit fields after a variable-length field ---------------------------------------------------
class BitRun:
    """Bit fields read and written together after the fixed part (whole bytes); a
    ``ConditionalField`` among them takes its bits only when its condition holds."""

    def __init__(self, fields: list[Any]) -> None:
        self.fields = fields
        self.size = sum(f.bits for f in fields) // 8
        self.conditional = any(hasattr(f, "cond") for f in fields)

    def _present(self, pkt: Any) -> list[Any]:
        if not self.conditional:
            return self.fields
        return [f for f in self.fields if not hasattr(f, "cond") or f.cond(pkt)]

    def put(self, pkt: Any) -> bytes:
        """The run's bytes from ``pkt``'s values."""
        acc = total = 0
        for f in self._present(pkt):
            v = getattr(pkt, f.name)
            acc = (acc << f.bits) | ((v or 0) & ((1 << f.bits) - 1))
            total += f.bits
        if total % 8:
            raise ValueError(f"{self.fields[0].name}: the bit fields present do not fill "
                             "whole bytes")
        return acc.to_bytes(total // 8, "big")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> int:
        """Read the run into ``pkt``; return where it ends."""
        present = self._present(pkt)
        if self.conditional:
            for f in self.fields:
                if f not in present:
                    setattr(pkt, f.name, None)
        total = sum(f.bits for f in present)
        size = total // 8
        _need(off, size, end, self.fields[0].name)
        acc = int.from_bytes(buf[off:off + size], "big")
        shift = total
        for f in present:
            shift -= f.bits
            v = (acc >> shift) & ((1 << f.bits) - 1)
            setattr(pkt, f.name, f.check_one(v) if isinstance(f, F.FlagsField) else v)
        return off + size


# -- more of Scapy's field names, on the kinds above --------------------------------------------
class SourceIPField(IPField):
    """An IPv4 source address (Scapy's; unset, it builds as ``0.0.0.0`` here)."""

    def __init__(self, name: str, dstname: str | None = None) -> None:
        IPField.__init__(self, name, None)


class DestIPField(IPField):
    """An IPv4 destination address (Scapy's name for an ``IPField``)."""


class SourceIP6Field(IP6Field):
    """An IPv6 source address (Scapy's; unset, it builds as ``::`` here)."""

    def __init__(self, name: str, dstname: str | None = None) -> None:
        IP6Field.__init__(self, name, None)


class SourceMACField(MACField):
    """A source MAC address (Scapy's; unset, it builds as ``00:00:00:00:00:00`` here)."""

    def __init__(self, name: str, getif: Any = None) -> None:
        MACField.__init__(self, name, None)


class DestMACField(MACField):
    """A destination MAC address (Scapy's; unset, it builds as ``00:00:00:00:00:00``)."""

    def __init__(self, name: str) -> None:
        MACField.__init__(self, name, None)


class LEFieldLenField(FieldLenField):
    """A little-endian ``FieldLenField``."""

    def __init__(self, name: str, default: Any, length_of: str | None = None, fmt: str = "<H",
                 count_of: str | None = None,
                 adjust: Callable[[Any, int], int] = lambda pkt, x: x) -> None:
        FieldLenField.__init__(self, name, default, length_of, fmt, count_of, adjust)


class IEEEFloatField(Field):
    """A 32-bit IEEE 754 number, big-endian."""

    def __init__(self, name: str, default: Any) -> None:
        Field.__init__(self, name, default, "!f")


class IEEEDoubleField(Field):
    """A 64-bit IEEE 754 number, big-endian."""

    def __init__(self, name: str, default: Any) -> None:
        Field.__init__(self, name, default, "!d")


LongEnumField = _enum("LongEnumField", "Q", "A 64-bit integer with named values.")
XLELongField = _num("XLELongField", "<Q", "A little-endian 64-bit integer shown in hex.",
                    (_HexMixin, _NumField))


# -- more of Scapy's field kinds ----------------------------------------------------------------
LELongEnumField = _enum("LELongEnumField", "<Q", "A little-endian 64-bit named integer.")
XLEIntEnumField = _enum("XLEIntEnumField", "<I",
                        "A little-endian 32-bit named integer, hex when unnamed.", True)
#: Scapy's ``...EnumKeysField``: an enumeration whose random values are its keys
ByteEnumKeysField = _enum("ByteEnumKeysField", "B", "An 8-bit named integer (fuzzed by its keys).")
ShortEnumKeysField = _enum("ShortEnumKeysField", "H",
                           "A 16-bit named integer (fuzzed by its keys).")
IntEnumKeysField = _enum("IntEnumKeysField", "I", "A 32-bit named integer (fuzzed by its keys).")


class LEThreeBytesField(Field):
    """An unsigned 24-bit little-endian integer."""

    def __init__(self, name: str, default: Any) -> None:
        Field.__init__(self, name, default, "B")
        self.sz = 3

    def addfield(self, pkt: Any, s: bytes, val: Any) -> bytes:
        return s + int(self.i2m(pkt, val)).to_bytes(3, "little")

    def getfield(self, pkt: Any, s: bytes) -> tuple[bytes, Any]:
        if len(s) < 3:
            raise Truncated(f"{self.name}: 3 bytes needed, {len(s)} left")
        return s[3:], self.m2i(pkt, int.from_bytes(s[:3], "little"))

    def randval(self) -> Any:
        return _rand("RandNum", 0, 0xFFFFFF)


class XLE3BytesField(_HexMixin, LEThreeBytesField):
    """A 24-bit little-endian integer shown in hex."""


LEX3BytesField = XLE3BytesField


class OUIField(X3BytesField):
    """A 24-bit organisation identifier, shown with its organisation's name."""

    i2repr = ouinames.OUIField.i2repr


class StrStopField(_StrTail):
    """Bytes up to and with ``stop`` (and ``additional`` bytes after it); to the end of
    the layer when ``stop`` is not found. Built as given."""

    def __init__(self, name: str, default: Any, stop: bytes, additional: int = 0) -> None:
        super().__init__(name, default)
        self.stop = stop
        self.additional = additional

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        i = buf.find(self.stop, off, end)
        if i < 0:
            return buf[off:end], end
        stop = min(i + len(self.stop) + self.additional, end)
        return buf[off:stop], stop


class YesNoByteField(ByteField):
    """A byte shown ``no`` (0) or ``yes``; ``config`` names values or ranges otherwise
    (``{"no": 0, "yes": 1, "maybe": (2, 9)}``)."""

    def __init__(self, name: str, default: Any, config: dict[str, Any] | None = None) -> None:
        ByteField.__init__(self, name, default)
        self.config = config

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, int):
            return _plain(value)
        if self.config is None:
            return "no" if value == 0 else "yes"
        for text, v in self.config.items():
            if (isinstance(v, tuple) and v[0] <= value <= v[1]) or v == value:
                return text
        return str(value)


class UTCTimeField(Field):
    """A time in seconds (or milli-, micro-, nanoseconds) since 1970, shown as a date
    and the seconds (``Tue, 14 Nov 2023 22:13:20  (1700000000)``); unset, now."""

    def __init__(self, name: str, default: Any, use_msec: bool = False, use_micro: bool = False,
                 use_nano: bool = False, epoch: Any = None,
                 strf: str = "%a, %d %b %Y %H:%M:%S %z", fmt: str = "I") -> None:
        Field.__init__(self, name, default, fmt)
        self.delta = 0 if epoch is None else int(
            (epoch - datetime.datetime(1970, 1, 1)).total_seconds()
            if isinstance(epoch, datetime.datetime) else epoch)
        self.div = 1e9 if use_nano else 1e6 if use_micro else 1e3 if use_msec else 1
        self.strf = strf

    def _now(self) -> int:
        return int((time.time() - self.delta) * self.div)

    def i2m(self, pkt: Any, x: Any) -> Any:
        return self._now() if x is None else int(x)

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is None:
            value = self._now()
        seconds = int(value / self.div) + self.delta
        when = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
        return f"{when.strftime(self.strf)} ({int(value / self.div)})"


class ScalingField(Field):
    """A number sent scaled: the wire holds ``round((value - offset) / scaling)``, read
    back as ``raw * scaling + offset`` (``ndigits`` decimals); shown with its unit."""

    def __init__(self, name: str, default: Any, scaling: float = 1, unit: str = "",
                 offset: float = 0, ndigits: int = 3, fmt: str = "B") -> None:
        Field.__init__(self, name, default, fmt)
        self.scaling = scaling
        self.unit = unit
        self.offset = offset
        self.ndigits = ndigits

    def check(self, value: Any) -> Any:
        if value is None or isinstance(value, F.Volatile):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{self.name}: expected a number, got {value!r}")
        return value

    def i2m(self, pkt: Any, x: Any) -> Any:
        return round(((0 if x is None else x) - self.offset) / self.scaling)

    def m2i(self, pkt: Any, x: Any) -> Any:
        v = x * self.scaling + self.offset
        return round(v, self.ndigits)

    def i2repr(self, pkt: Any, value: Any) -> str:
        return f"{value} {self.unit}".rstrip() if self.unit else _plain(value)
