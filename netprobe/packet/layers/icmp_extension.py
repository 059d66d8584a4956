"""RFC 4884 ICMP extension structures, with RFC 4950 MPLS label stacks.

Routers append an extension structure after the (padded) quoted datagram of
Destination Unreachable, Time Exceeded and Parameter Problem messages; MPLS
routers put the label stack a probe travelled with in it, which traceroute shows.

The structure is kept as small immutable values (not layers): it sits *after*
the quoted packet, while a layer's payload is the quoted packet itself. Being
immutable, a value can be shared by every copy of a packet template. They are
plain classes (:class:`_Value`), not dataclasses: an ICMP trace imports this module,
and making a dataclass costs about 1 ms of start-up.
"""

from __future__ import annotations

from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.checksum import checksum
from netprobe.packet.field import TailField

EXTENSION_CLASSES = {1: "MPLS", 2: "Interface Information", 3: "Interface Identification",
                     4: "Extended Information"}

_HDR = Struct("!HH")
_OBJ = Struct("!HBB")
_I = Struct("!I")

#: quoted datagrams are padded to this many bytes when an extension follows
ORIGINAL_DATAGRAM_MIN = 128


class _Value:
    """An immutable value with the fields ``_fields`` (its ``__slots__``, in order):
    compared, hashed and shown by them (``Name(field=value, ...)``), as a frozen
    dataclass is."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle call the class again (the fields cannot be set)
        return type(self), self._values()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self._fields) + ")"


_set = object.__setattr__


class MPLSLabel(_Value):
    """One MPLS label stack entry (RFC 3032) as quoted by RFC 4950."""

    _fields = ("label", "tc", "s", "ttl")
    __slots__ = ("label", "s", "tc", "ttl")
    label: int
    tc: int
    s: int
    ttl: int

    def __init__(self, label: int, tc: int = 0, s: int = 1, ttl: int = 0) -> None:
        _set(self, "label", label)
        _set(self, "tc", tc)
        _set(self, "s", s)
        _set(self, "ttl", ttl)
        for name, bits in (("label", 20), ("tc", 3), ("s", 1), ("ttl", 8)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << bits:
                raise UsageError(f"MPLSLabel.{name}: {v!r} is not a {bits}-bit value")

    @property
    def exp(self) -> int:
        """The traffic class under its older name (RFC 3032's EXP bits)."""
        return self.tc

    def encode(self) -> bytes:
        """The 4-byte label stack entry."""
        return _I.pack(self.label << 12 | self.tc << 9 | self.s << 8 | self.ttl)

    @classmethod
    def decode(cls, raw: bytes, off: int = 0) -> MPLSLabel:
        """Read one entry at ``off`` (4 bytes must be there)."""
        (w,) = _I.unpack_from(raw, off)
        return cls(w >> 12, w >> 9 & 7, w >> 8 & 1, w & 0xFF)

    def to_dict(self) -> dict[str, int]:
        """JSON form."""
        return {"label": self.label, "tc": self.tc, "s": self.s, "ttl": self.ttl}


class ICMPExtensionObject(_Value):
    """One extension object: class number, C-type and its data.

    ``len`` left None is computed (4 + data length) when building. MPLS
    label stacks (class 1, C-type 1) are read through ``labels``; build one with
    ``ICMPExtensionObject.mpls([...])``.
    """

    _fields = __slots__ = ("classnum", "classtype", "data", "len")
    classnum: int
    classtype: int
    data: bytes
    len: int | None

    def __init__(self, classnum: int = 0, classtype: int = 0, data: bytes = b"",
                 len: int | None = None) -> None:  # the RFC's field name
        _set(self, "classnum", classnum)
        _set(self, "classtype", classtype)
        _set(self, "data", data)
        _set(self, "len", len)
        for name in ("classnum", "classtype"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 255:
                raise UsageError(f"ICMPExtensionObject.{name}: {v!r} is not a byte")
        if not isinstance(self.data, (bytes, bytearray)):
            raise UsageError(f"ICMPExtensionObject.data: expected bytes, got {self.data!r}")
        _set(self, "data", bytes(self.data))
        if self.len is not None and (isinstance(self.len, bool) or not isinstance(self.len, int)
                                     or not 0 <= self.len <= 0xFFFF):
            raise UsageError(f"ICMPExtensionObject.len: {self.len!r} is not a 16-bit value")

    @classmethod
    def mpls(cls, labels: list[MPLSLabel] | tuple[MPLSLabel, ...]) -> ICMPExtensionObject:
        """An MPLS label stack object (RFC 4950: class 1, C-type 1)."""
        return cls(1, 1, b"".join(lab.encode() for lab in labels))

    @property
    def is_mpls(self) -> bool:
        """True for an MPLS label stack object."""
        return self.classnum == 1 and self.classtype == 1

    @property
    def labels(self) -> list[MPLSLabel]:
        """The MPLS label stack entries (empty for other objects)."""
        if not self.is_mpls:
            return []
        d = self.data
        return [MPLSLabel.decode(d, i) for i in range(0, len(d) - 3, 4)]

    def encode(self) -> bytes:
        """The object's bytes."""
        n = 4 + len(self.data) if self.len is None else self.len
        return _OBJ.pack(n, self.classnum, self.classtype) + self.data

    def to_dict(self) -> dict[str, Any]:
        """JSON form; MPLS objects list their labels."""
        d: dict[str, Any] = {"len": self.len, "classnum": self.classnum,
                             "classname": EXTENSION_CLASSES.get(self.classnum),
                             "classtype": self.classtype}
        if self.is_mpls:
            d["labels"] = [lab.to_dict() for lab in self.labels]
        else:
            d["data"] = self.data.hex()
        return d


class ICMPExtension(_Value):
    """An RFC 4884 extension structure: a header and its objects.

    ``chksum`` left None is computed over the structure when building.
    """

    _fields = ("objects", "version", "reserved", "chksum")
    __slots__ = ("chksum", "objects", "reserved", "version")
    objects: tuple[ICMPExtensionObject, ...]
    version: int
    reserved: int
    chksum: int | None

    def __init__(self, objects: tuple[ICMPExtensionObject, ...] | ICMPExtensionObject = (),
                 version: int = 2, reserved: int = 0, chksum: int | None = None) -> None:
        _set(self, "version", version)
        _set(self, "reserved", reserved)
        _set(self, "chksum", chksum)
        objs = objects
        if isinstance(objs, ICMPExtensionObject):
            objs = (objs,)
        objs = tuple(objs)
        for o in objs:
            if not isinstance(o, ICMPExtensionObject):
                raise UsageError(f"ICMPExtension.objects: {o!r} is not an ICMPExtensionObject")
        _set(self, "objects", objs)
        for name, bits in (("version", 4), ("reserved", 12)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << bits:
                raise UsageError(f"ICMPExtension.{name}: {v!r} is not a {bits}-bit value")
        if self.chksum is not None and (not isinstance(self.chksum, int)
                                        or not 0 <= self.chksum <= 0xFFFF):
            raise UsageError(f"ICMPExtension.chksum: {self.chksum!r} is not a 16-bit value")

    @property
    def labels(self) -> list[MPLSLabel]:
        """Every MPLS label stack entry of every MPLS object, outermost first."""
        return [lab for o in self.objects for lab in o.labels]

    def encode(self) -> bytes:
        """The structure's bytes, checksum filled unless set by hand."""
        body = b"".join(o.encode() for o in self.objects)
        first = self.version << 12 | self.reserved
        if self.chksum is not None:
            return _HDR.pack(first, self.chksum) + body
        return _HDR.pack(first, checksum(_HDR.pack(first, 0) + body)) + body

    def __bytes__(self) -> bytes:
        return self.encode()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"version": self.version, "reserved": self.reserved, "chksum": self.chksum,
                "objects": [o.to_dict() for o in self.objects]}

    @classmethod
    def decode(cls, raw: bytes) -> tuple[ICMPExtension | None, str | None]:
        """Read a structure filling all of ``raw``: (extension or None, problem or None).

        Only a structure whose objects exactly cover the bytes is accepted, so
        building it again gives the same bytes. Never raises.
        """
        n = len(raw)
        if n < 4:
            return None, f"extension of {n} bytes is shorter than its header"
        first, ck = _HDR.unpack_from(raw, 0)
        if first >> 12 != 2:
            return None, f"extension version is {first >> 12}, not 2"
        objs = []
        i = 4
        while i < n:  # each pass consumes at least 4 bytes
            if n - i < 4:
                return None, f"{n - i} bytes after the last extension object"
            olen, cnum, ctype = _OBJ.unpack_from(raw, i)
            if olen < 4 or i + olen > n:
                return None, f"extension object length {olen} is bad"
            objs.append(ICMPExtensionObject(cnum, ctype, raw[i + 4:i + olen], olen))
            i += olen
        problem = None if checksum(raw) == 0 else "extension checksum is wrong"
        return cls(tuple(objs), first >> 12, first & 0xFFF, ck), problem


def check_extension(name: str, value: Any) -> ICMPExtension | None:
    """Accept an ICMPExtension, one object or a list of objects (wrapped in a structure)."""
    if value is None or isinstance(value, ICMPExtension):
        return value
    from netprobe.packet.layers.icmp_ext_layers import ICMPExtension_Header

    if isinstance(value, ICMPExtension_Header):  # written as Scapy users write it
        return value
    if isinstance(value, ICMPExtensionObject):
        return ICMPExtension((value,))
    if isinstance(value, (list, tuple)) and all(isinstance(o, ICMPExtensionObject)
                                                for o in value):
        return ICMPExtension(tuple(value))
    raise UsageError(f"{name}: expected an ICMPExtension, got {value!r}")


class ExtensionField(TailField):
    """A layer field holding an RFC 4884 extension structure, or None."""

    __slots__ = ()

    def check_one(self, value: Any) -> Any:
        return check_extension(self.name, value)

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.to_dict()

    def text(self, value: Any) -> str:
        if value is None:
            return "None"
        labels = value.labels
        objs = ", ".join(EXTENSION_CLASSES.get(o.classnum, str(o.classnum))
                         for o in value.objects)
        text = f"ICMPExtension v{value.version} [{objs}]"
        if labels:
            text += " labels " + " ".join(f"{lab.label}/tc={lab.tc}/s={lab.s}/ttl={lab.ttl}"
                                          for lab in labels)
        return text


def locate_extension(buf: bytes, body: int, end: int, length: int, unit: int,
                     guess: bool) -> tuple[ICMPExtension | None, int, str | None]:
    """Find and decode the extension after the quoted datagram starting at ``body``.

    ``length`` is the message's RFC 4884 length in ``unit``-byte words. With no
    length, ``guess`` allows the pre-RFC 4884 convention (MPLS extensions at
    offset 128 of the quoted data, RFC 4950 section 8) when a valid-looking
    header sits there. Returns (extension or None, end of the quoted data,
    problem or None).
    """
    if length:
        start = body + length * unit
        if start + 4 > end or buf[start] >> 4 != 2:
            return None, end, None  # no extension follows (or not one of this version)
        ext, problem = ICMPExtension.decode(buf[start:end])
        if ext is None:
            return None, end, problem
        return ext, start, problem
    start = body + ORIGINAL_DATAGRAM_MIN
    if not guess or start + 8 > end or buf[start] >> 4 != 2 or checksum(buf[start:end]):
        return None, end, None
    ext, problem = ICMPExtension.decode(buf[start:end])
    if ext is None or problem:
        return None, end, None
    return ext, start, None


def attach_extension(payload: bytes, ext: ICMPExtension, length: int | None,
                     unit: int, quoted: bytes | None = None) -> tuple[bytes, int]:
    """Pad the quoted ``payload`` and append ``ext``; returns (bytes, length to put).

    A dissected message already carries the extension's bytes after its quoted
    data (they come back as trailing padding, possibly followed by the frame's
    own trailer); those are not appended twice. ``quoted`` is the quote as read
    when the message was read without its padding (``icmp_ext_layers.quote_end``):
    what follows it in ``payload`` is then the frame's trailer, put back after.
    """
    if quoted is not None and len(payload) > len(quoted) and payload.startswith(quoted):
        built, words = attach_extension(payload[:len(quoted)], ext, length, unit)
        return built + payload[len(quoted):], words
    raw = ext.encode()
    if length is None and not isinstance(ext, ICMPExtension):
        length = 0  # given as Scapy's layers (icmp_ext_layers): sent as Scapy sends it
    if length:
        region = length * unit
    elif length == 0:
        region = ORIGINAL_DATAGRAM_MIN  # what Scapy does: a fixed 128-byte original
    else:
        region = max(ORIGINAL_DATAGRAM_MIN, -(-len(payload) // unit) * unit)
    words = region // unit if length is None else length
    if payload[region:region + len(raw)] == raw:
        return payload, words
    if len(payload) < region:
        payload += b"\x00" * (region - len(payload))
    return payload + raw, words
