"""MPLS label stack entries (RFC 3032), stacked as deep as the packet goes.

Each ``MPLS`` layer is one 4-byte entry: ``label`` (20 bits), ``cos`` (the
traffic class, 3 bits), ``s`` (bottom of stack) and ``ttl``, Scapy's names and
defaults. ``s`` left unset is 0 under another entry and 1 otherwise, as Scapy
builds it. Under the bottom entry the first nibble says what rides: 4 IPv4, 6
IPv6, 0 an Ethernet pseudowire control word (``EoMCW``), anything else an
Ethernet frame without one. Ethertypes 0x8847 (unicast) and 0x8848 (multicast)
carry it; building under Ethernet or a VLAN tag fills 0x8847. As in Scapy,
those ethertypes are dissected as MPLS once ``load_contrib("mpls")`` has run
(the command line always does it); GRE's MPLS payload too.
"""

from __future__ import annotations

from netprobe.packet.field import BitField, ByteField, ShortField
from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ether import ETHER_TYPES, Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.link import Dot1AD, Dot1Q
from netprobe.packet.optional_layers import register

__all__ = ["MPLS", "EoMCW"]

ETHER_TYPES.setdefault(0x8848, "MPLS_MULTI")


class MPLS(Layer):
    """One MPLS label stack entry."""

    fields = (
        BitField("label", 3, 20),
        BitField("cos", 0, 3),
        BitField("s", None, 1),
        ByteField("ttl", 0),
    )
    payload_fields = ("s",)
    payload_defaults = {"s": 1}

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if not self.s:
            return MPLS
        nibble = buf[off] >> 4
        if nibble == 4:
            return IP
        if nibble == 6:
            return IPv6
        if nibble == 0:
            return EoMCW
        return Ether


class EoMCW(Layer):
    """The Ethernet-over-MPLS pseudowire control word (RFC 4448): then an Ethernet frame."""

    fields = (
        BitField("zero", 0, 4),
        BitField("reserved", 0, 12),
        ShortField("seq", 0),
    )

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return Ether


bind_layers(MPLS, MPLS, s=0)
# building fills 0x8847; dissecting waits for load_contrib("mpls"), as in Scapy, and then
# takes multicast MPLS (0x8848) too, as tshark does (Scapy leaves it Raw)
for _lower in (Ether, Dot1Q, Dot1AD):
    bind_layers(_lower, MPLS, dissect=False, type=0x8847)
register("mpls", [(lower, ("type", t), MPLS) for lower in (Ether, Dot1Q)
                  for t in (0x8847, 0x8848)])
