"""RIP v1 and v2 (RFC 1058, RFC 2453, MD5 authentication RFC 2082) on UDP port 520,
as Scapy 2.8 names and shows it.

``RIP`` is the header; each route is a ``RIPEntry`` layer above it, and an
authentication entry (address family 0xffff) is a ``RIPAuth`` layer, whose
fields depend on ``authtype``: a 16-byte ``password`` (simple), the MD5 header
fields (md5), or the trailing ``authdata`` (md5authdata). Building over UDP
fills both ports with 520.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import (
    ByteEnumField,
    ByteField,
    ConditionalField,
    IntEnumField,
    IntField,
    IPField,
    ShortEnumField,
    ShortField,
    StrFixedLenField,
    StrLenField,
)

__all__ = ["RIP", "RIPAuth", "RIPEntry"]

RIP_PORT = 520
RIP_COMMANDS = {1: "req", 2: "resp", 3: "traceOn", 4: "traceOff", 5: "sun", 6: "trigReq",
                7: "trigResp", 8: "trigAck", 9: "updateReq", 10: "updateResp",
                11: "updateAck"}
RIP_AUTH_TYPES = {1: "md5authdata", 2: "simple", 3: "md5"}
_AUTH_FAMILY = 0xFFFF


class _RouteEntries(Packet):
    """A layer that route or authentication entries may follow."""

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if end - off < 2:
            return None
        return RIPAuth if buf[off:off + 2] == b"\xff\xff" else RIPEntry


class RIP(_RouteEntries):
    """The RIP header: command and version."""

    name = "RIP header"
    overloads_lower = True
    fields_desc = [
        ByteEnumField("cmd", 1, RIP_COMMANDS),
        ByteField("version", 1),
        ShortField("null", 0),
    ]


class RIPEntry(_RouteEntries):
    """One route."""

    name = "RIP entry"
    fields_desc = [
        ShortEnumField("AF", 2, {2: "IP"}),
        ShortField("RouteTag", 0),
        IPField("addr", "0.0.0.0"),
        IPField("mask", "0.0.0.0"),
        IPField("nextHop", "0.0.0.0"),
        IntEnumField("metric", 1, {16: "Unreach"}),
    ]


def _auth(kind: int) -> Callable[[Any], bool]:
    """The condition "this authentication type"."""
    return lambda pkt: pkt.authtype == kind


class RIPAuth(_RouteEntries):
    """An authentication entry (address family 0xffff)."""

    name = "RIP authentication"
    fields_desc = [
        ShortEnumField("AF", _AUTH_FAMILY, {_AUTH_FAMILY: "Auth"}),
        ShortEnumField("authtype", 2, RIP_AUTH_TYPES),
        ConditionalField(StrFixedLenField("password", None, 16), _auth(2)),
        ConditionalField(ShortField("digestoffset", 0), _auth(3)),
        ConditionalField(ByteField("keyid", 0), _auth(3)),
        ConditionalField(ByteField("authdatalen", 0), _auth(3)),
        ConditionalField(IntField("seqnum", 0), _auth(3)),
        ConditionalField(StrFixedLenField("zeropad", None, 8), _auth(3)),
        ConditionalField(StrLenField("authdata", None), _auth(1)),
    ]


bind_layers(UDP, RIP, sport=RIP_PORT, dport=RIP_PORT)
bind_layers(RIP, RIPEntry, dissect=False)
bind_layers(RIPEntry, RIPEntry, dissect=False)
bind_layers(RIPAuth, RIPEntry, dissect=False)
