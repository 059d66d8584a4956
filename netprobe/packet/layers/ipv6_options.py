"""Options of the IPv6 Hop-by-Hop and Destination Options headers (RFC 8200 section 4.2).

Each option is a small layer (Scapy's classes: ``Pad1``, ``PadN``, ``RouterAlert``,
``Jumbo``, ``HAO``, and ``HBHOptUnknown`` for every other kind), listed in the
header's ``options`` field. Building pads each option to its alignment and the
header to a multiple of 8 bytes, as Scapy does.
"""

from __future__ import annotations

from ipaddress import IPv6Address
from struct import Struct
from typing import Any, ClassVar

from netprobe.errors import UsageError
from netprobe.packet.field import (
    ByteField,
    IntField,
    IPv6Field,
    RawBytesField,
    ShortField,
    UIntField,
)
from netprobe.packet.layer import Layer, ParseError, Truncated

HBH_OPTIONS = {0x00: "Pad1", 0x01: "PadN", 0x04: "Tunnel Encapsulation Limit",
               0x05: "Router Alert", 0x06: "Quick-Start", 0xC2: "Jumbo Payload",
               0xC9: "Home Address Option"}

_H = Struct("!H")
_I = Struct("!I")

#: Scapy's names for Router Alert values (RFC 2711 and later)
ROUTER_ALERTS = {0: "Datagram contains a MLD message", 1: "Datagram contains RSVP message",
                 2: "Datagram contains an Active Network message", 68: "NSIS NATFW NSLP",
                 69: "MPLS OAM", 65535: "Reserved"}
#: what the two high bits of an option type ask of a node that does not know it
_ACTIONS = ("00: skip", "01: discard", "10: discard+ICMP", "11: discard+ICMP not mcast")
_CHANGES = ("0: Don't change en-route", "1: May change en-route")


class OptionTypeField(UIntField):
    """An option's type (one byte), shown as Scapy shows it: its name, then what its
    high bits say (``PadN [00: skip, 0: Don't change en-route]``)."""

    __slots__ = ()
    ls_kind = "_OTypeField"

    def __init__(self, name: str, default: int) -> None:
        super().__init__(name, default, "B", HBH_OPTIONS)

    def i2repr(self, layer: Any, value: Any) -> str:
        if not isinstance(value, int):
            return str(value)
        name = HBH_OPTIONS.get(value, str(value))
        return f"{name} [{_ACTIONS[value >> 6 & 3]}, {_CHANGES[value >> 5 & 1]}]"


class IPv6Option(Layer):
    """Base of the option layers: their alignment requirement ``xn + y`` (RFC 8200 4.2)."""

    align: ClassVar[tuple[int, int]] = (1, 0)

    def alignment_delta(self, pos: int) -> int:
        """Padding bytes needed before this option when it would start at ``pos``."""
        x, y = self.align
        return x * ((pos - y + x - 1) // x) + y - pos


class _LengthData(IPv6Option):
    """An option whose ``optlen`` (None: computed) counts ``optdata``."""

    ls_kinds = {"optlen": "FieldLenField", "optdata": "StrLenField"}

    def build_layer(self, payload: bytes) -> bytes:
        data = self.optdata or b""
        n = len(data) if self.optlen is None else self.optlen
        return bytes((self.otype, n & 0xFF)) + data + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 2:
            raise Truncated(f"truncated option ({end - off} of 2 bytes)")
        self.otype, self.optlen = buf[off], buf[off + 1]
        stop = min(end, off + 2 + self.optlen)
        if stop < off + 2 + self.optlen:
            self.note(f"option data cut short ({stop - off - 2} of {self.optlen} bytes)")
        self.optdata = buf[off + 2:stop]
        return stop, end


class Pad1(IPv6Option):
    """One byte of padding."""

    fields = (OptionTypeField("otype", 0x00),)


class PadN(_LengthData):
    """Two or more bytes of padding."""

    fields = (OptionTypeField("otype", 0x01), ByteField("optlen", None),
              RawBytesField("optdata", b""))


class HBHOptUnknown(_LengthData):
    """An option of any other kind, kept as its bytes."""

    name = 'Scapy6 Unknown Option'
    fields = (OptionTypeField("otype", 0x01), ByteField("optlen", None),
              RawBytesField("optdata", b""))


class RouterAlert(IPv6Option):
    """Router Alert (RFC 2711): routers look inside (MLD, RSVP)."""

    name = 'Router Alert'
    fields = (OptionTypeField("otype", 0x05), ByteField("optlen", 2),
              ShortField("value", None, names=ROUTER_ALERTS))
    align = (2, 0)


class Jumbo(IPv6Option):
    """Jumbo Payload (RFC 2675). ``jumboplen`` left None is filled by the header."""

    name = 'Jumbo Payload'
    fields = (OptionTypeField("otype", 0xC2), ByteField("optlen", 4),
              IntField("jumboplen", None))
    align = (4, 2)


class HAO(IPv6Option):
    """Home Address (RFC 6275), in a Destination Options header."""

    name = 'Home Address Option'
    fields = (OptionTypeField("otype", 0xC9), ByteField("optlen", 16),
              IPv6Field("hoa", "::"))
    align = (8, 6)


#: ``_meta`` of an option read from bytes (time, wirelen, dissected)
_READ = (None, None, True)

#: option kind -> (class, the optlen that class's fixed layout has)
_KNOWN = {0x05: (RouterAlert, 2), 0xC2: (Jumbo, 4), 0xC9: (HAO, 16)}


def check_option(name: str, value: Any) -> IPv6Option:
    """An option layer, or ``(kind, data)`` for an option of any kind."""
    if isinstance(value, IPv6Option):
        return value
    if (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int)
            and isinstance(value[1], (bytes, bytearray))):
        if value[0] == 0 and not value[1]:
            return Pad1()
        return HBHOptUnknown(otype=value[0], optdata=bytes(value[1]))
    raise UsageError(f"{name}: an option is an option layer (Pad1, PadN, RouterAlert, Jumbo, "
                     f"HAO, HBHOptUnknown) or (kind, data); got {value!r}")


def _padding(n: int) -> bytes:
    """``n`` bytes of padding: Pad1 for one, PadN otherwise."""
    if n == 1:
        return b"\x00"
    return bytes((1, n - 2)) + b"\x00" * (n - 2) if n else b""


def encode_options(options: list[IPv6Option] | None, autopad: int, jumbo: int | None = None,
                   start: int = 2) -> bytes:
    """The options as bytes; ``autopad`` aligns each one and pads to a multiple of 8.

    ``jumbo`` fills a Jumbo option left without a length.
    """
    out = bytearray()
    pos = start
    for opt in options or ():
        if autopad:
            d = opt.alignment_delta(pos)
            if d:
                out += _padding(d)
                pos += d
        raw = opt.build()
        if jumbo is not None and type(opt) is Jumbo and opt.jumboplen is None:
            raw = raw[:2] + _I.pack(jumbo & 0xFFFFFFFF) + raw[6:]
        out += raw
        pos += len(raw)
    if autopad and pos % 8:
        out += _padding(8 - pos % 8)
    return bytes(out)


def decode_options(raw: bytes, start: int = 2) -> tuple[list[IPv6Option], bool, str | None]:
    """Parse option bytes: (options, whether autopad rebuilds them, problem or None).

    Raises ParseError when a kind byte has no length byte after it.
    """
    out: list[IPv6Option] = []
    aligned = True
    i, n = 0, len(raw)
    while i < n:  # each pass consumes at least one byte
        kind = raw[i]
        if kind == 0:
            pad = Pad1()
            pad._meta = _READ
            out.append(pad)
            i += 1
            continue
        if i + 1 >= n:
            raise ParseError(f"option {kind} cut short")
        olen = raw[i + 1]
        data = raw[i + 2:i + 2 + olen]
        if i + 2 + olen > n:
            cut = HBHOptUnknown(otype=kind, optlen=olen, optdata=data)
            cut._meta = _READ
            out.append(cut)
            return out, False, f"option {kind} has length {olen}, beyond its header"
        known = _KNOWN.get(kind)
        if kind == 1:
            opt: IPv6Option = PadN(optlen=olen, optdata=data)
        elif known is not None and known[1] == olen:
            if kind == 0x05:
                opt = RouterAlert(value=_H.unpack(data)[0])
            elif kind == 0xC2:
                opt = Jumbo(jumboplen=_I.unpack(data)[0])
            else:
                opt = HAO(hoa=IPv6Address(data).compressed)
        else:
            opt = HBHOptUnknown(otype=kind, optlen=olen, optdata=data)
        if aligned and opt.alignment_delta(start + i):
            aligned = False
        opt._meta = _READ  # read from bytes: every field counts as given (repr lists them)
        out.append(opt)
        i += 2 + olen
    return out, aligned, None
