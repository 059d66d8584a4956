"""Neighbor Discovery (RFC 4861): solicitations, advertisements, redirects and their options.

As in Scapy, options are layers stacked on the message
(``ICMPv6ND_NS(tgt=...) / ICMPv6NDOptSrcLLAddr(lladdr=...)``); each option's
kind picks the class of the next. An option whose length does not fit its
class's layout is kept whole as ``ICMPv6NDOptUnknown``.
"""

from __future__ import annotations

from socket import AF_INET6, inet_pton
from typing import Any

from netprobe.packet.field import (
    BitField,
    ByteField,
    IntField,
    IPv6Field,
    MACField,
    RawBytesField,
    ShortField,
)
from netprobe.packet.layer import Layer, ParseError, Truncated
from netprobe.packet.layers.icmpv6_message import ICMPv6Message, icmpv6_head

RA_PREFERENCES = {0: "Medium (default)", 1: "High", 2: "Reserved", 3: "Low"}


def choose_nd_option(buf: bytes, off: int, end: int) -> type[Layer] | None:
    """The option class for the bytes at ``off`` (None, Raw, for a lone byte)."""
    if end - off < 2:
        return None
    cls = ND_OPTIONS.get(buf[off])
    if cls is not None and buf[off + 1] * 8 == cls.fixed_len:
        return cls
    return ICMPv6NDOptUnknown


class NDMessage(ICMPv6Message):
    """Base of the Neighbor Discovery messages: options follow as layers."""

    hex_fields = frozenset(("cksum",))

    def mysummary(self) -> str:
        tgt = getattr(self, "tgt", None) if "tgt" in type(self).fields_by_name else None
        return f"{self.name} (tgt: {tgt})" if tgt is not None else ""

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return choose_nd_option(buf, off, end)


class ICMPv6ND_RS(NDMessage):  # noqa: N801 - Scapy's name
    """Router Solicitation (133)."""

    name = 'ICMPv6 Neighbor Discovery - Router Solicitation'
    fields = (
        *icmpv6_head(133),
        IntField("res", 0),
    )
    ignores_addresses = True


class ICMPv6ND_RA(NDMessage):  # noqa: N801 - Scapy's name
    """Router Advertisement (134); answers a Router Solicitation."""

    name = 'ICMPv6 Neighbor Discovery - Router Advertisement'
    fields = (
        *icmpv6_head(134),
        ByteField("chlim", 0),
        BitField("M", 0, 1),
        BitField("O", 0, 1),
        BitField("H", 0, 1),
        BitField("prf", 1, 2, names=RA_PREFERENCES),
        BitField("P", 0, 1),
        BitField("res", 0, 2),
        ShortField("routerlifetime", 1800),
        IntField("reachabletime", 0),
        IntField("retranstimer", 0),
    )
    ignores_addresses = True

    def answers(self, other: Layer) -> bool:
        return isinstance(other, ICMPv6ND_RS)

    def mysummary(self) -> str:
        """Scapy's summary: lifetime, hop limit, preference and the M, O, H flags."""
        prf = RA_PREFERENCES.get(self.prf, self.prf)
        return (f"{self.name} Lifetime {self.routerlifetime} Hop Limit {self.chlim} "
                f"Preference {prf} Managed {self.M} Other {self.O} Home {self.H}")

    def summary_part(self) -> str:
        return f"ICMPv6ND_RA lifetime={self.routerlifetime}"


class ICMPv6ND_NS(NDMessage):  # noqa: N801 - Scapy's name
    """Neighbor Solicitation (135) for ``tgt``."""

    name = 'ICMPv6 Neighbor Discovery - Neighbor Solicitation'
    fields = (
        *icmpv6_head(135),
        IntField("res", 0),
        IPv6Field("tgt", "::"),
    )
    ignores_addresses = True

    def hashkey(self) -> bytes:
        return inet_pton(AF_INET6, self.tgt) + (self._payload.hashkey() if self._payload
                                                 is not None else b"")

    def summary_part(self) -> str:
        return f"{type(self).__name__} tgt={self.tgt}"


class ICMPv6ND_NA(NDMessage):  # noqa: N801 - Scapy's name
    """Neighbor Advertisement (136) for ``tgt``; answers the solicitation for it."""

    name = 'ICMPv6 Neighbor Discovery - Neighbor Advertisement'
    fields = (
        *icmpv6_head(136),
        BitField("R", 1, 1),
        BitField("S", 0, 1),
        BitField("O", 1, 1),
        BitField("res", 0, 29),
        IPv6Field("tgt", "::"),
    )
    hex_fields = frozenset(("cksum", "res"))
    ignores_addresses = True

    hashkey = ICMPv6ND_NS.hashkey
    summary_part = ICMPv6ND_NS.summary_part

    def answers(self, other: Layer) -> bool:
        return isinstance(other, ICMPv6ND_NS) and self.tgt == other.tgt


class ICMPv6ND_Redirect(NDMessage):  # noqa: N801 - Scapy's name
    """Redirect (137): a better first hop ``tgt`` for ``dst``."""

    name = 'ICMPv6 Neighbor Discovery - Redirect'
    fields = (
        *icmpv6_head(137),
        IntField("res", 0),
        IPv6Field("tgt", "::"),
        IPv6Field("dst", "::"),
    )
    hex_fields = frozenset(("cksum", "res"))
    mysummary = Layer.mysummary  # Scapy's Redirect says only its class name


# -- options ----------------------------------------------------------------------------------
class NDOption(Layer):
    """Base of the option layers: ``len`` counts 8-byte units, the next option follows."""

    #: the option's length must be its class's fixed size (else it is read as unknown)
    fixed_size = True

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 2:
            raise Truncated(f"truncated option ({end - off} bytes)")
        n = buf[off + 1] * 8
        if n == 0:
            raise ParseError("option length 0")  # RFC 4861 4.6: such a packet is invalid
        if off + n > end:
            raise Truncated(f"option of {n} bytes cut short ({end - off} captured)")
        if self.fixed_size and n != self.fixed_len:
            raise ParseError(f"option length {n} does not fit {type(self).__name__}")
        self._unpack_fixed(buf, off)
        self.decode_tail(buf, off)
        return off + n, end

    next_layer = NDMessage.next_layer


class ICMPv6NDOptUnknown(NDOption):
    """An option of a kind without a class of its own, kept as bytes.

    ``data`` is zero-padded to fill whole 8-byte units; ``len`` follows it.
    """

    name = 'ICMPv6 Neighbor Discovery Option - Scapy Unimplemented'
    fields = (
        ByteField("type", 0),
        ByteField("len", None),
        RawBytesField("data", b""),
    )
    fixed_size = False

    def build_layer(self, payload: bytes) -> bytes:
        data = self.data or b""
        r = (len(data) + 2) % 8
        if r:
            data += b"\x00" * (8 - r)
        n = (len(data) + 2) // 8 if self.len is None else self.len
        return bytes((self.type, n & 0xFF)) + data + payload

    def decode_tail(self, buf: bytes, off: int) -> None:
        self.data = buf[off + 2:off + buf[off + 1] * 8]


class ICMPv6NDOptSrcLLAddr(NDOption):
    """Source Link-Layer Address (1)."""

    name = 'ICMPv6 Neighbor Discovery Option - Source Link-Layer Address'
    fields = (ByteField("type", 1), ByteField("len", 1), MACField("lladdr", None))
    ls_kinds = {"lladdr": "SourceMACField"}

    def shown_default(self, name: str) -> Any:
        return "00:00:00:00:00:00" if name == "lladdr" else None

    def summary_part(self) -> str:
        return f"{type(self).__name__} {self.lladdr}"

    def mysummary(self) -> str:
        """Scapy's summary: the option's name and the address."""
        return f"{self.name} {self.lladdr or '00:00:00:00:00:00'}"


class ICMPv6NDOptDstLLAddr(ICMPv6NDOptSrcLLAddr):
    """Target Link-Layer Address (2): the source option's layout and text (its subclass,
    as in Scapy)."""

    name = 'ICMPv6 Neighbor Discovery Option - Destination Link-Layer Address'
    fields = (ByteField("type", 2), ByteField("len", 1), MACField("lladdr", None))


class ICMPv6NDOptPrefixInfo(NDOption):
    """Prefix Information (3): an on-link / autoconfiguration prefix."""

    name = 'ICMPv6 Neighbor Discovery Option - Prefix Information'
    fields = (
        ByteField("type", 3),
        ByteField("len", 4),
        ByteField("prefixlen", 64),
        BitField("L", 1, 1),
        BitField("A", 1, 1),
        BitField("R", 0, 1),
        BitField("res1", 0, 5),
        IntField("validlifetime", 0xFFFFFFFF),
        IntField("preferredlifetime", 0xFFFFFFFF),
        IntField("res2", 0),
        IPv6Field("prefix", "::"),
    )
    hex_fields = frozenset(("validlifetime", "preferredlifetime", "res2"))

    def summary_part(self) -> str:
        return f"ICMPv6NDOptPrefixInfo {self.prefix}/{self.prefixlen}"

    def mysummary(self) -> str:
        """Scapy's summary: the prefix and its three flags."""
        return (f"{self.name} {self.prefix}/{self.prefixlen} On-link {self.L} "
                f"Autonomous Address {self.A} Router Address {self.R}")


class ICMPv6NDOptMTU(NDOption):
    """MTU (5): the link's MTU."""

    name = 'ICMPv6 Neighbor Discovery Option - MTU'
    fields = (
        ByteField("type", 5),
        ByteField("len", 1),
        ShortField("res", 0),
        IntField("mtu", 1280),
    )
    hex_fields = frozenset(("res",))

    def mysummary(self) -> str:
        """Scapy's summary: the option's name and the MTU."""
        return f"{self.name} {self.mtu}"

    def summary_part(self) -> str:
        return f"ICMPv6NDOptMTU {self.mtu}"


#: option kind -> class (its ``len`` must match the class's fixed size)
ND_OPTIONS: dict[int, type[NDOption]] = {1: ICMPv6NDOptSrcLLAddr, 2: ICMPv6NDOptDstLLAddr,
                                         3: ICMPv6NDOptPrefixInfo, 5: ICMPv6NDOptMTU}
#: message type -> class
ND_MESSAGES: dict[int, type[ICMPv6Message]] = {133: ICMPv6ND_RS, 134: ICMPv6ND_RA,
                                               135: ICMPv6ND_NS, 136: ICMPv6ND_NA,
                                               137: ICMPv6ND_Redirect}
