"""VXLAN (RFC 7348) and its GPE and Group Policy variants, on UDP port 4789.

Scapy's names and layout: ``flags`` (``OAM``, ``R``, ``NextProtocol``,
``Instance``, ``V1``, ``V2``, ``R``, ``G`` from bit 0), then 24 bits that mean
``reserved0`` + ``NextProtocol`` when the NextProtocol flag is set (VXLAN-GPE),
``gpflags`` + ``gpid`` when the G flag is (Group Policy), ``reserved1``
otherwise; then ``vni`` and ``reserved2``. As in Scapy, building over
Ethernet, IPv4 or IPv6 with ``flags`` unset sets the NextProtocol flag and
fills ``NextProtocol``; what rides is chosen by ``NextProtocol`` when its flag
is set, else it is an Ethernet frame.
"""

from __future__ import annotations

from typing import Any

import netprobe.packet.packet_class  # noqa: F401 - stacking fills default ports (overloads)
from netprobe.packet.field import FlagsField
from netprobe.packet.layer import ConditionalLayer, Layer, OptionalUInt, Truncated, bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.udp import UDP
from netprobe.packet.present_bits import pack_present, unpack_present

__all__ = ["VXLAN"]

VXLAN_FLAGS = ("OAM", "R", "NextProtocol", "Instance", "V1", "V2", "R", "G")
NEXT_PROTOCOLS = {0: "NotDefined", 1: "IPv4", 2: "IPv6", 3: "Ethernet", 4: "NSH"}
#: UDP ports that carry VXLAN: IANA's, VXLAN-GPE's and Linux's former default
VXLAN_PORTS = (4789, 4790, 8472)
_NEXT = 0x04
_GROUP = 0x80


def _middle(name: str, default: Any, bits: int, names: dict[int, str] | None = None) -> Any:
    """One of the flag-dependent fields after the flags, or the VNI (``bits`` wide)."""
    return OptionalUInt(name, default, "I", names, bits)


class VXLAN(ConditionalLayer):
    """A VXLAN header: flags, the flag-dependent middle, the 24-bit ``vni``."""

    #: stacked on UDP/TCP left at its default ports, it sets them as Scapy does
    overloads_lower = True

    fields = (
        FlagsField("flags", None, 8, VXLAN_FLAGS),
        _middle("reserved0", 0, 16),
        _middle("NextProtocol", None, 8, NEXT_PROTOCOLS),
        _middle("reserved1", 0, 24),
        _middle("gpflags", 0, 8),
        _middle("gpid", 0, 16),
        _middle("vni", 0, 24),
        _middle("reserved2", 0, 8),
    )
    payload_fields = ("flags",)
    payload_defaults = {"flags": 0x08}
    hex_fields = frozenset(("vni", "reserved2"))

    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields on the wire for these flags (Scapy shows these)."""
        f = self._flags()
        if f & _NEXT:
            mid: tuple[str, ...] = ("reserved0", "NextProtocol")
        elif f & _GROUP:
            mid = ("gpflags", "gpid")
        else:
            mid = ("reserved1",)
        return ("flags", *mid, "vni", "reserved2")

    def _flags(self) -> int:
        if self.flags is not None:
            return int(self.flags)
        from netprobe.packet.layer import _upper_value

        return _upper_value(self, "flags")

    def _next_protocol(self) -> int:
        if self.NextProtocol is not None:
            return self.NextProtocol
        from netprobe.packet.layer import _upper_value

        return _upper_value(self, "NextProtocol") if self._payload is not None else 0

    def build_layer(self, payload: bytes) -> bytes:
        auto = {"flags": self._flags, "NextProtocol": self._next_protocol}
        return pack_present(self, self.present_fields(), auto) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise Truncated(f"truncated header ({end - off} of 8 bytes)")
        self.flags = buf[off]
        self.reserved0, self.NextProtocol, self.reserved1 = 0, 0, 0
        self.gpflags, self.gpid = 0, 0
        return unpack_present(self, self.present_fields(), buf, off, end), end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.flags & _NEXT:
            return _BY_NEXT_PROTOCOL.get(self.NextProtocol)
        return Ether

    def mysummary(self) -> str:
        if self.flags is not None and self.flags & _GROUP:
            return f"VXLAN (vni={self.vni:#x} gpid={self.gpid})"
        return f"VXLAN (vni={self.vni:#x})"

    summary_part = mysummary


_BY_NEXT_PROTOCOL: dict[int, type[Layer]] = {1: IP, 2: IPv6, 3: Ether}

bind_layers(UDP, VXLAN, dport=4789, sport=4789)  # what building fills, as Scapy does
for _port in VXLAN_PORTS:
    UDP._dissect_table.setdefault(("dport", _port), VXLAN)
    UDP._dissect_table.setdefault(("sport", _port), VXLAN)
for _next, _cls in _BY_NEXT_PROTOCOL.items():
    bind_layers(VXLAN, _cls, dissect=False, flags=0x0C, NextProtocol=_next)
