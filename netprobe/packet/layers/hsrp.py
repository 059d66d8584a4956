"""HSRP version 1 (RFC 2281) on UDP port 1985, as Scapy 2.8 names and shows it.

``HSRP`` is the hello/coup/resign message (shown as ``HSRPv1``); ``HSRPmd5`` is
the MD5 authentication TLV that may follow it. As in Scapy, building over UDP
fills both ports with 1985, a datagram from or to port 1985 reads as HSRP, and
the TLV after it is read as ``HSRPmd5`` under UDP (alone, as ``Raw``, as Scapy does).
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet, fills_length
from netprobe.packet.route import resolve_source
from netprobe.packet.scapy_fields import (
    ByteEnumField,
    ByteField,
    IPField,
    StrFixedLenField,
    XIntField,
    XShortField,
)

__all__ = ["HSRP", "HSRPmd5"]

HSRP_PORT = 1985
HSRP_OPCODES = {0: "Hello", 1: "Coup", 2: "Resign", 3: "Advertise"}
HSRP_STATES = {0: "Initial", 1: "Learn", 2: "Listen", 4: "Speak", 8: "Standby", 16: "Active"}


class HSRP(Packet):
    """An HSRP version 1 message."""

    name = "HSRPv1"
    overloads_lower = True
    fields_desc = [
        ByteField("version", 0),
        ByteEnumField("opcode", 0, HSRP_OPCODES),
        ByteEnumField("state", 16, HSRP_STATES),
        ByteField("hellotime", 3),
        ByteField("holdtime", 10),
        ByteField("priority", 120),
        ByteField("group", 1),
        ByteField("reserved", 0),
        StrFixedLenField("auth", b"cisco" + b"\x00" * 3, 8),
        IPField("virtualIP", "192.168.1.1"),
    ]

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        # what follows in a longer datagram is the MD5 TLV (read as Scapy reads it: only
        # under UDP; read alone, the bytes stay Raw)
        under = self._under
        if isinstance(under, UDP) and (under.len or 0) > 28:
            return HSRPmd5
        return None


class HSRPmd5(Packet):
    """HSRP's MD5 authentication TLV; ``len`` left unset is the length after it (28)."""

    name = "HSRP MD5 Authentication"
    ls_kinds = {"sourceip": "SourceIPField"}
    fields_desc = [
        ByteEnumField("type", 4, {4: "MD5 authentication"}),
        ByteField("len", None),
        ByteEnumField("algo", 1, {1: "MD5"}),
        ByteField("padding", 0),
        XShortField("flags", 0),
        IPField("sourceip", None),
        XIntField("keyid", 0),
        StrFixedLenField("authdigest", b"\x00" * 16, 16),
    ]

    post_build = fills_length("len", 1, 1, uncounted=2)

    def build_layer(self, payload: bytes) -> bytes:
        if self.sourceip is None:
            # unset, the source address of the route to the IP destination below, as Scapy's
            under = self._under
            while under is not None and not hasattr(under, "pseudo_header"):
                under = under._under
            self.sourceip = resolve_source(under.dst if under is not None else "0.0.0.0")
            try:
                return super().build_layer(payload)
            finally:
                self.sourceip = None
        return super().build_layer(payload)

    def shown_default(self, name: str) -> Any:
        return None


bind_layers(UDP, HSRP, sport=HSRP_PORT, dport=HSRP_PORT)
