"""ICMP for IPv4 (RFC 792, 950, 1256, 4884, 4950).

The four bytes after the checksum mean something different for each type
(identifier and sequence, gateway, pointer, next-hop MTU ...), and timestamp
and address-mask messages are longer. Scapy models this with conditional
fields; here one ``ICMP`` class keeps every one of Scapy's field names and
lays out, per type, exactly the fields Scapy puts on the wire for that type,
so bytes match Scapy for every type and users write the same names.
"""

from __future__ import annotations

import time
from socket import AF_INET, inet_ntoa, inet_pton
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.checksum import checksum
from netprobe.packet.field import (
    ByteField,
    Field,
    IPv4Field,
    OptionalUInt,
    ShortField,
    TailField,
    UIntField,
)
from netprobe.packet.layer import ConditionalLayer, Layer, Truncated, bind_layers
from netprobe.packet.layers.icmp_extension import (
    ExtensionField,
    ICMPExtension,
    ICMPExtensionObject,
    MPLSLabel,
    attach_extension,
    locate_extension,
)
from netprobe.packet.layers.icmp_quote import IPerror, quoted_hashkey
from netprobe.packet.layers.ip import IP
from netprobe.packet.shape import ICMP as ICMP_NAMES
from netprobe.packet.shape import scapy_code_names

__all__ = ["ICMP", "ICMPExtension", "ICMPExtensionObject", "MPLSLabel"]

ICMP_TYPES = {0: "echo-reply", 3: "dest-unreach", 4: "source-quench", 5: "redirect",
              8: "echo-request", 9: "router-advertisement", 10: "router-solicitation",
              11: "time-exceeded", 12: "parameter-problem", 13: "timestamp-request",
              14: "timestamp-reply", 15: "information-request", 16: "information-response",
              17: "address-mask-request", 18: "address-mask-reply", 30: "traceroute",
              31: "datagram-conversion-error", 32: "mobile-host-redirect",
              33: "ipv6-where-are-you", 34: "ipv6-i-am-here",
              35: "mobile-registration-request", 36: "mobile-registration-reply",
              37: "domain-name-request", 38: "domain-name-reply", 39: "skip", 40: "photuris"}

#: type -> code -> Scapy's name of the code (from the one ICMP table, packet/shape.py)
ICMP_CODES = {t: names for t in ICMP_NAMES[4] if (names := scapy_code_names(4, t))}

#: error types: the payload is the start of the packet that caused the error
ERROR_TYPES = frozenset((3, 4, 5, 11, 12))
#: types whose payload may be followed by an RFC 4884 extension structure
EXTENSIBLE_TYPES = frozenset((3, 11, 12))
#: (request type, reply type)
ANSWER_PAIRS = frozenset(((8, 0), (13, 14), (15, 16), (17, 18), (33, 34), (35, 36), (37, 38)))
#: types carrying an identifier and a sequence number
ID_SEQ_TYPES = frozenset((0, 8, 13, 14, 15, 16, 17, 18, 37, 38))


class _CodeField(UIntField):
    """ICMP's code: a number, or a name any type gives it (``code="port-unreachable"``)."""

    __slots__ = ()

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            for codes in ICMP_CODES.values():
                for k, n in codes.items():
                    if n == value:
                        return k
            raise UsageError(f"{self.name}: unknown ICMP code name {value!r}")
        return super().check_one(value)


class _Shown(Field):
    """A field Scapy shows for some ICMP types that holds no bytes here (``unused`` of
    zero bytes, ``extpad``): ``show()`` and ``repr()`` print its fixed text."""

    __slots__ = ("shown",)

    def __init__(self, name: str, shown: str) -> None:
        super().__init__(name, None)
        self.shown = shown

    def i2repr(self, pkt: Any, value: Any) -> str:
        return self.shown


_EMPTY_UNUSED = _Shown("unused", "b''")
#: Scapy's ``extpad`` before an RFC 4884 extension (ICMPv6 errors show it too)
class _ExtPad(_Shown):
    """``extpad``: Scapy's text, with the zero bytes that padded a quote read before its
    extension (``b'' (100 octets)``)."""

    __slots__ = ()

    def i2repr(self, pkt: Any, value: Any) -> str:
        n = pkt.__dict__.get("_extpad") if pkt is not None else None
        return f"{self.shown} ({n} octets)" if n else self.shown


EXTPAD_SHOWN = _EXTPAD = _ExtPad("extpad", "b''")


class _Timestamp(OptionalUInt):
    """An RFC 792 timestamp (milliseconds since midnight UT), shown as Scapy shows it:
    ``h:m:s.ms``."""

    __slots__ = ()

    def i2repr(self, layer: Any, value: Any) -> str:
        if not isinstance(value, int):
            return str(value)
        sec, ms = divmod(value, 1000)
        minute, sec = divmod(sec, 60)
        hour, minute = divmod(minute, 60)
        return f"{hour}:{minute}:{sec}.{ms}"


class _RestIPv4(IPv4Field, TailField):
    """An IPv4 address of the type-dependent part (kept out of the fixed struct)."""

    __slots__ = ()
    settable = True


# The part after the checksum, per type: (struct, field names). Scapy's layout.
_ID_SEQ = (Struct("!HH"), ("id", "seq"))
_LAYOUTS: dict[int, tuple[Struct, tuple[str, ...]]] = {
    0: _ID_SEQ, 8: _ID_SEQ, 15: _ID_SEQ, 16: _ID_SEQ,
    13: (Struct("!HHIII"), ("id", "seq", "ts_ori", "ts_rx", "ts_tx")),
    14: (Struct("!HHIII"), ("id", "seq", "ts_ori", "ts_rx", "ts_tx")),
    17: (Struct("!HH4s"), ("id", "seq", "addr_mask")),
    18: (Struct("!HH4s"), ("id", "seq", "addr_mask")),
    37: (Struct("!HHI"), ("id", "seq", "unused")),
    38: (Struct("!HHI"), ("id", "seq", "unused")),
    3: (Struct("!BBH"), ("reserved", "length", "nexthopmtu")),
    5: (Struct("!4s"), ("gw",)),
    11: (Struct("!BBH"), ("reserved", "length", "unused")),
    12: (Struct("!BBH"), ("ptr", "length", "unused")),
}
_OTHER = (Struct("!I"), ("unused",))
_ADDRESS_FIELDS = frozenset(("gw", "addr_mask"))
_TIMESTAMPS = ("ts_ori", "ts_rx", "ts_tx")
_HEAD = ("type", "code", "chksum")
_HH = Struct("!HH")
_H = Struct("!H")


def _now_ms() -> int:
    """Milliseconds since midnight UT, the RFC 792 timestamp (what Scapy sends)."""
    return int(time.time() % 86400 * 1000)


class ICMP(ConditionalLayer):
    """An ICMP message. ``chksum`` fills itself; errors quote the offending IP packet.

    Which fields go on the wire depends on ``type`` (as in Scapy): ``id``/``seq``
    for echo, timestamp, information and address-mask messages; ``ts_ori``,
    ``ts_rx``, ``ts_tx`` for timestamps; ``gw`` for redirects; ``ptr`` for
    parameter problems; ``reserved``/``length``/``nexthopmtu`` for destination
    unreachable; ``unused`` elsewhere. ``length`` (RFC 4884) fills itself when
    an extension structure ``ext`` is attached.
    """

    hex_fields = frozenset(("chksum", "id", "seq"))
    #: what follows a quote padded for its extension is the extension, not a trailer
    owns_trailer = True
    ls_kinds = {"code": "MultiEnumField (Depends on 8)", "id": "XShortField (Cond)",
                "seq": "XShortField (Cond)", "ts_ori": "ICMPTimeStampField (Cond)",
                "ts_rx": "ICMPTimeStampField (Cond)", "ts_tx": "ICMPTimeStampField (Cond)",
                "gw": "IPField (Cond)", "ptr": "ByteField (Cond)",
                "reserved": "ByteField (Cond)", "length": "ByteField (Cond)",
                "addr_mask": "IPField (Cond)", "nexthopmtu": "ShortField (Cond)",
                "unused": "MultipleTypeField (ShortField, IntField, StrFixedLenField)",
                "ext": "_ICMPExtensionField (Cond)"}
    ls_defaults = {"length": 0, "unused": b""}
    fields = (
        ByteField("type", 8, names=ICMP_TYPES),
        _CodeField("code", 0, "B"),
        ShortField("chksum", None),
        OptionalUInt("id", 0, "H"),
        OptionalUInt("seq", 0, "H"),
        _Timestamp("ts_ori", None, "I"),
        _Timestamp("ts_rx", None, "I"),
        _Timestamp("ts_tx", None, "I"),
        _RestIPv4("gw", "0.0.0.0"),
        OptionalUInt("ptr", 0, "B"),
        OptionalUInt("reserved", 0, "B"),
        OptionalUInt("length", None, "B"),
        _RestIPv4("addr_mask", "0.0.0.0"),
        OptionalUInt("nexthopmtu", 0, "H"),
        OptionalUInt("unused", 0, "I"),
        ExtensionField("ext", None),
    )
    #: (``type``: a name assigned is stored as its number, ``del`` gives 8 back, as Scapy)
    deletable_fields = ("chksum", "type")

    @property
    def quotes_packet(self) -> bool:
        """True for error messages, whose payload is a quoted IP packet."""
        return self.type in ERROR_TYPES

    # -- building -------------------------------------------------------------------------------
    def _rest(self) -> bytes:
        st, names = _LAYOUTS.get(self.type, _OTHER)
        values = []
        for n in names:
            v = getattr(self, n)
            if v is None:
                v = _now_ms() if n in _TIMESTAMPS else 0
            elif n in _ADDRESS_FIELDS:
                v = inet_pton(AF_INET, v)
            values.append(v)
        return st.pack(*values)

    def build_layer(self, payload: bytes) -> bytes:
        length = self.length
        if self.ext is not None and self.type in EXTENSIBLE_TYPES:
            payload, length = attach_extension(payload, self.ext, length, 4,
                                               self.__dict__.get("_quoted"))
        rest = self._rest()
        if length is not None and self.type in (3, 11, 12):
            rest = rest[:1] + bytes((length & 0xFF,)) + rest[2:]
        msg = bytearray(self._pack_fixed() + rest + payload)
        if self.chksum is None:
            _H.pack_into(msg, 2, checksum(msg))
        return bytes(msg)

    # -- dissection -----------------------------------------------------------------------------
    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise Truncated(f"truncated header ({end - off} of 8 bytes)")
        self._unpack_fixed(buf, off)
        t = self.type
        st, names = _LAYOUTS.get(t, _OTHER)
        body = off + 4 + st.size
        if body > end:
            raise Truncated(f"truncated header ({end - off} of {body - off} bytes)")
        # every field exists on every ICMP object; those this type lacks keep defaults
        self.id = self.seq = self.ptr = self.reserved = self.nexthopmtu = self.unused = 0
        self.length = 0
        self.ts_ori = self.ts_rx = self.ts_tx = None
        self.gw = self.addr_mask = "0.0.0.0"
        self.ext = None
        for n, v in zip(names, st.unpack_from(buf, off + 4)):
            setattr(self, n, inet_ntoa(v) if n in _ADDRESS_FIELDS else v)
        pend = end
        if t in EXTENSIBLE_TYPES and end - body > 4:
            ext, pend, problem = locate_extension(buf, body, end, self.length, 4, True)
            if ext is not None:  # held as layers, as Scapy holds it (icmp_ext_layers)
                from netprobe.packet.layers.icmp_ext_layers import extension_layers, quote_end

                ext = extension_layers(buf[pend:end])
                pend = quote_end(self, buf, body, pend)
            self.ext = ext
            if problem:
                self.note(problem)
        return body, pend

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return IPerror if self.type in ERROR_TYPES else None

    # -- matching -------------------------------------------------------------------------------
    def hashkey(self) -> bytes:
        t = self.type
        if t in ERROR_TYPES:
            return quoted_hashkey(self._payload)
        if t in ID_SEQ_TYPES:
            return _HH.pack(self.id, self.seq)
        return b""

    def answers(self, other: Layer) -> int:
        # 1 or 0, not True or False: Scapy's ICMP answers with numbers, and scripts print them
        if not isinstance(other, ICMP):
            return 0
        return int((other.type, self.type) in ANSWER_PAIRS and self.id == other.id
                   and self.seq == other.seq)

    def same_probe(self, probe: Layer) -> bool:
        """True when this quoted ICMP header is ``probe``'s (type, and id/seq if it has them)."""
        if not isinstance(probe, ICMP) or self.type != probe.type:
            return False
        if self.type in ID_SEQ_TYPES:
            return self.id == probe.id and self.seq == probe.seq
        return True

    # -- presentation ---------------------------------------------------------------------------
    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields this message's type puts on the wire (Scapy shows these)."""
        t = self.type
        names = (*_HEAD, *_LAYOUTS.get(t, _OTHER)[1])
        return (*names, "ext") if t in EXTENSIBLE_TYPES else names

    def shown_names(self, name: str) -> Any:
        if name == "code":
            return ICMP_CODES.get(self.type)
        return super().shown_names(name)

    def shown_fields(self) -> Any:
        # Scapy's: the type's own fields, an empty ``unused`` when the type has none,
        # and ``extpad`` before the extension of the types that may carry one
        by_name = type(self).fields_by_name
        t = self.type
        layout = _LAYOUTS.get(t, _OTHER)[1]
        out = [by_name[n] for n in (*_HEAD, *layout)]
        if "unused" not in layout:
            out.append(_EMPTY_UNUSED)
        if t in EXTENSIBLE_TYPES:
            out += [_EXTPAD, by_name["ext"]]
        return out

    def shown_default(self, name: str) -> Any:
        return 0 if name == "length" else None

    def mysummary(self) -> str:
        from netprobe.packet.present import value_text

        text = f"{value_text(self, 'type')} {value_text(self, 'code')}"
        under = self._under
        if under is not None and type(under).__name__ == "IP":
            src = under.src if under.src is not None else under.shown_default("src")
            if self.ext is not None and self.type in EXTENSIBLE_TYPES:
                from netprobe.packet.layers.icmp_ext_layers import summary_text

                text += summary_text(self.ext)
            return f"ICMP {src} > {under.dst} {text}"
        return f"ICMP {text}"

    def summary_part(self) -> str:
        t = self.type
        text = f"ICMP {ICMP_TYPES.get(t, t)}"
        code = ICMP_CODES.get(t, {}).get(self.code)
        if code:
            text += f" {code}"
        elif self.code:
            text += f" code={self.code}"
        if t in ID_SEQ_TYPES:
            text += f" id={self.id:#x} seq={self.seq}"
        if self.ext is not None and self.ext.labels:
            text += " mpls=" + ",".join(str(lab.label) for lab in self.ext.labels)
        return text


bind_layers(IP, ICMP, proto=1)
