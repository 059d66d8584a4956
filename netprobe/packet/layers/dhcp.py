"""BOOTP (RFC 951) and DHCP (RFC 2131) on UDP ports 67 and 68, as Scapy lays them out.

``BOOTP`` is the fixed 236-byte message and ``options``, the bytes after it:
the DHCP magic cookie when DHCP follows (filled when left empty over
``DHCP``), else whatever the message carries. ``DHCP`` is the option list in
Scapy's form: ``[("message-type", "discover"), ("hostname", b"x"), "end"]``;
an option is a tuple (name or code, values...) or the word ``"pad"``/``"end"``.
Dissected, values come back as Scapy gives them (numbers, addresses as
text, bytes); an option that does not decode is kept as its raw bytes.
"""

from __future__ import annotations

import socket
from struct import Struct
from typing import Any

import netprobe.packet.packet_class  # noqa: F401 - stacking fills default ports (overloads)
from netprobe.errors import UsageError
from netprobe.packet.field import (
    ByteField,
    BytesField,
    FlagsField,
    IntField,
    IPv4Field,
    ListField,
    RawBytesField,
    ShortField,
)
from netprobe.packet.layer import Layer, LengthNote, bind_layers
from netprobe.packet.layers.arp import HARDWARE_TYPE_NAMES
from netprobe.packet.layers.dhcp_options import (
    DHCP_OPTION_CODES,
    DHCP_OPTIONS,
    DHCP_TYPES,
)
from netprobe.packet.layers.udp import UDP

__all__ = ["BOOTP", "DHCP"]

#: the four bytes that say DHCP options follow the BOOTP message
DHCP_MAGIC = b"c\x82Sc"
BOOTP_OPS = {1: "BOOTREQUEST", 2: "BOOTREPLY"}
_TYPE_CODES = {v: k for k, v in DHCP_TYPES.items()}
_FIXED = 236
_I = Struct("!I")
_INT_SIZES = {"B": 1, "H": 2, "I": 4}


class HardwareAddressField(BytesField):
    """``chaddr``: 16 bytes; a MAC address given as text is written as its 6 bytes."""

    __slots__ = ()
    ls_kind = "_BOOTP_chaddr"

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str) and len(value.replace(":", "").replace("-", "")) % 2 == 0:
            try:
                return bytes.fromhex(value.replace(":", "").replace("-", ""))
            except ValueError:
                pass
        return super().check_one(value)

    def i2repr(self, layer: Any, value: Any) -> str:
        """As Scapy shows it: the MAC address, then what pads the 16 bytes."""
        if not isinstance(value, (bytes, bytearray)) or getattr(layer, "htype", 1) != 1:
            return repr(value)
        mac, rest = bytes(value[:6]).hex(":"), bytes(value[6:])
        if rest and not rest.strip(b"\x00"):
            return f"{mac} (+ {len(rest)} nul pad)"
        return f"{mac} (pad: {rest!r})"


class _NulPaddedField(BytesField):
    """``sname`` and ``file``: fixed-size text, shown without the NULs that pad it."""

    __slots__ = ()
    ls_kind = "StrFixedLenField"

    def i2repr(self, layer: Any, value: Any) -> str:
        if isinstance(value, (bytes, bytearray)):
            return repr(bytes(value).rstrip(b"\x00"))
        return repr(value)


class _VendorOptionsField(RawBytesField):
    """BOOTP's ``options``: the DHCP magic cookie is shown as such, as Scapy shows it."""

    __slots__ = ()
    ls_kind = "StrEnumField"

    def i2repr(self, layer: Any, value: Any) -> str:
        text = repr(value)
        return f"{text} (DHCP magic)" if value == DHCP_MAGIC else text


class BOOTP(Layer):
    """A BOOTP message; DHCP rides on it when ``options`` is the magic cookie."""

    #: stacked on UDP/TCP left at its default ports, it sets them as Scapy does
    overloads_lower = True
    hex_fields = frozenset(("xid",))
    ls_kinds = {"xid": "XIntField", "chaddr": "_BOOTP_chaddr", "options": "StrEnumField"}

    fields = (
        ByteField("op", 1, names=BOOTP_OPS),
        ByteField("htype", 1, names=HARDWARE_TYPE_NAMES),
        ByteField("hlen", 6),
        ByteField("hops", 0),
        IntField("xid", 0),
        ShortField("secs", 0),
        FlagsField("flags", 0, 16, "???????????????B"),
        IPv4Field("ciaddr", "0.0.0.0"),
        IPv4Field("yiaddr", "0.0.0.0"),
        IPv4Field("siaddr", "0.0.0.0"),
        IPv4Field("giaddr", "0.0.0.0"),
        HardwareAddressField("chaddr", b"", 16),
        _NulPaddedField("sname", b"", 64),
        _NulPaddedField("file", b"", 128),
        _VendorOptionsField("options", b""),
    )

    #: (bytes read, field values then) of a message cut short by the capture, else None
    __slots__ = ("_wire",)
    keep_slots = ("_wire",)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in self.field_names)

    def build_layer(self, payload: bytes) -> bytes:
        wire = getattr(self, "_wire", None)
        if wire is not None and wire[1] == self._values():
            return wire[0] + payload  # a message read cut short builds back as it was
        options = self.options or b""
        if not options and isinstance(self._payload, DHCP):
            options = DHCP_MAGIC
        return self._pack_fixed() + options + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        self._wire = None
        if end - off < _FIXED:
            # cut by the capture: the fields there are read, the others keep their
            # defaults (as in Scapy), and the bytes build back as they were
            self._unpack_fixed(buf[off:end] + bytes(_FIXED - (end - off)), 0)
            self.options = b""
            self._wire = (buf[off:end], self._values())
            self.note(LengthNote(f"message cut short ({end - off} of {_FIXED} bytes)"))
            return end, end
        self._unpack_fixed(buf, off)
        rest = off + _FIXED
        if buf[rest:rest + 4] == DHCP_MAGIC:
            self.options = DHCP_MAGIC
            return rest + 4, end
        self.options = buf[rest:end]
        return end, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return DHCP if self.options == DHCP_MAGIC else None

    def hashkey(self) -> bytes:
        return _I.pack(self.xid)

    def answers(self, other: Layer) -> bool:
        return isinstance(other, BOOTP) and self.xid == other.xid


def check_dhcp_option(name: str, value: Any) -> Any:
    """An option as Scapy writes it: ``"end"``, ``"pad"``, or (name or code, values...)."""
    if isinstance(value, str):
        if value not in ("end", "pad") and value not in DHCP_OPTION_CODES:
            raise UsageError(f"{name}: unknown option {value!r}")
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)  # raw option bytes, written as they are
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple) or not value:
        raise UsageError(f"{name}: an option is (name, value...), 'pad' or 'end'; "
                         f"got {value!r}")
    key = value[0]
    if isinstance(key, str) and key not in DHCP_OPTION_CODES:
        raise UsageError(f"{name}: unknown option {key!r}")
    if not isinstance(key, (str, int)) or isinstance(key, bool) or (
            isinstance(key, int) and not 0 <= key <= 255):
        raise UsageError(f"{name}: bad option code {key!r}")
    try:
        encode_dhcp_option(value)
    except (ValueError, TypeError, OSError, OverflowError, KeyError) as exc:
        raise UsageError(f"{name}: bad value for {key}: {value[1:]!r} ({exc})") from None
    return value


def _encode_values(kind: str, values: tuple[Any, ...]) -> bytes:
    if kind == "ip":
        return b"".join(socket.inet_aton(v) for v in values)
    if kind in _INT_SIZES:
        return b"".join(int(v).to_bytes(_INT_SIZES[kind], "big") for v in values)
    if kind == "type":
        return bytes(_TYPE_CODES[v] if isinstance(v, str) else v for v in values)
    if kind == "list":
        out = bytearray()
        for v in values:
            out += bytes(v) if isinstance(v, (list, tuple)) else bytes((v,))
        return bytes(out)
    out = bytearray()
    for v in values:
        out += v.encode() if isinstance(v, str) else bytes(v) if isinstance(
            v, (bytes, bytearray)) else str(v).encode()
    return bytes(out)


def encode_dhcp_option(option: Any) -> bytes:
    """One option's bytes (code, length, value; ``pad`` and ``end`` are one byte)."""
    if isinstance(option, bytes):
        return option
    if isinstance(option, str):
        return bytes((DHCP_OPTION_CODES[option],))
    key, values = option[0], option[1:]
    code = DHCP_OPTION_CODES[key] if isinstance(key, str) else key
    if code in (0, 255) and not values:
        return bytes((code,))
    kind = DHCP_OPTIONS.get(code, ("", "str"))[1] if isinstance(key, str) else "str"
    data = _encode_values(kind or "str", values)
    if len(data) > 255:
        raise ValueError(f"{len(data)} bytes of data (at most 255)")
    return bytes((code, len(data))) + data


def _decode_option(code: int, data: bytes) -> Any:
    """One option as Scapy gives it, or None when its value does not decode."""
    entry = DHCP_OPTIONS.get(code)
    if entry is None:
        return (code, data)
    name, kind = entry
    n = len(data)
    if kind == "ip":
        if n == 0 or n % 4:
            return None
        return (name, *(socket.inet_ntoa(data[i:i + 4]) for i in range(0, n, 4)))
    if kind in ("B", "type"):
        return (name, *data) if n else None
    if kind in _INT_SIZES:
        size = _INT_SIZES[kind]
        return (name, int.from_bytes(data, "big")) if n == size else None
    if kind == "list":
        return (name, list(data))
    return (name, data)


def decode_dhcp_options(raw: bytes) -> list[Any]:
    """Every option in ``raw``, in Scapy's form. Never raises."""
    out: list[Any] = []
    i, n = 0, len(raw)
    while i < n:
        code = raw[i]
        if code == 0:
            out.append("pad")
            i += 1
            continue
        if code == 255:
            out.append("end")
            i += 1
            continue
        if i + 1 >= n or i + 2 + raw[i + 1] > n:
            out.append(raw[i:])  # cut short: the rest as it is
            break
        olen = raw[i + 1]
        item = _decode_option(code, raw[i + 2:i + 2 + olen])
        out.append(raw[i:i + 2 + olen] if item is None else item)
        i += 2 + olen
    return out


class DHCPOptionsField(ListField):
    """The options list, shown as Scapy shows it: ``[message-type=offer server_id=1.2.3.4
    name_server=1.1.1.1,8.8.8.8 hostname=b'x' end]``."""

    __slots__ = ()

    def i2repr(self, layer: Any, value: Any) -> str:
        return "[" + " ".join(_option_text(o) for o in value or ()) + "]"


def _option_text(option: Any) -> str:
    if not isinstance(option, tuple) or not option:
        return option if isinstance(option, str) else repr(option)
    name, values = option[0], option[1:]
    code = DHCP_OPTION_CODES.get(name) if isinstance(name, str) else name
    kind = DHCP_OPTIONS.get(code, ("", ""))[1]
    texts = []
    for v in values:
        if kind == "type" and isinstance(v, int):
            texts.append(DHCP_TYPES.get(v, str(v)))
        elif kind == "ip" and isinstance(v, str):
            texts.append(v)
        else:
            texts.append(repr(v))
    return f"{name}={','.join(texts)}"


class DHCP(Layer):
    """DHCP options, after BOOTP's magic cookie."""

    name = "DHCP options"

    ls_defaults = {"options": b""}
    fields = (DHCPOptionsField("options", [], item_check=check_dhcp_option),)

    def build_tail(self) -> bytes:
        return b"".join(encode_dhcp_option(o) for o in self.options or ())

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        self.options = decode_dhcp_options(buf[off:end])
        return end, end

    def message_type(self) -> int | None:
        """The value of option 53 (message-type), or None."""
        for o in self.options or ():
            if isinstance(o, tuple) and o[0] == "message-type" and len(o) > 1:
                return o[1] if isinstance(o[1], int) else _TYPE_CODES.get(o[1])
        return None

    def mysummary(self) -> str:
        """As Scapy says it: ``DHCP Discover`` when read, ``DHCP `` when the type was
        given by name (Scapy looks names up as numbers), nothing without a type."""
        for o in self.options or ():
            if isinstance(o, tuple) and o[0] == "message-type" and len(o) > 1:
                name = DHCP_TYPES.get(o[1], "") if isinstance(o[1], int) else ""
                return f"DHCP {name.capitalize()}"
        return ""

    def summary_part(self) -> str:
        t = self.message_type()
        return "DHCP" if t is None else f"DHCP {DHCP_TYPES.get(t, t)}"


bind_layers(UDP, BOOTP, dport=67, sport=68)
bind_layers(UDP, BOOTP, dport=68, sport=67)
