"""VRRP version 2 (RFC 3768) and version 3 (RFC 5798), IP protocol 112, as Scapy 2.8
names and shows them.

``VRRP`` (version 2) checksums its own bytes; ``VRRPv3`` checksums with the IP
or IPv6 pseudo-header, and its ``addrlist`` holds IPv4 addresses over IP, IPv6
addresses over IPv6, and bytes when nothing lies under it. ``ipcount`` left
unset is the number of addresses. Over IPv4 a header whose version nibble is 3
reads as ``VRRPv3``, any other as ``VRRP``; over IPv6 it is ``VRRPv3``, as in
Scapy.
"""

from __future__ import annotations

import socket
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.checksum import checksum
from netprobe.packet.layer import OneValue, Truncated, bind_layers
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6, is_extension
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import (
    BitField,
    ByteField,
    FieldLenField,
    FieldListField,
    IntField,
    IPField,
    ScapyField,
    XShortField,
)

__all__ = ["VRRP", "VRRPv3"]

VRRP_PROTO = 112


class VRRP(Packet):
    """A VRRP version 2 advertisement."""

    # VRRPv3 adds no storage of its own: a header read as VRRP that says version 3
    # becomes a VRRPv3 in place (see parse)
    __slots__ = ("res",)
    ip_frag_bound = False  # Scapy binds it on IP by proto alone: ``frag`` is not shown
    fields_desc = [
        BitField("version", 2, 4),
        BitField("type", 1, 4),
        ByteField("vrid", 1),
        ByteField("priority", 100),
        FieldLenField("ipcount", None, count_of="addrlist", fmt="B"),
        ByteField("authtype", 0),
        ByteField("adv", 1),
        XShortField("chksum", None),
        FieldListField("addrlist", [], IPField("", "0.0.0.0"),
                       count_from=lambda pkt: pkt.ipcount),
        IntField("auth1", 0),
        IntField("auth2", 0),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.chksum is None:
            cs = checksum(pkt)
            pkt = pkt[:6] + cs.to_bytes(2, "big") + pkt[8:]
        return pkt + pay

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if type(self) is VRRP and end > off and buf[off] >> 4 == 3:
            self.__class__ = VRRPv3
            return VRRPv3.parse(self, buf, off, end)
        return super().parse(buf, off, end)


def _network_under(pkt: Any) -> Any:
    """The IP or IPv6 header under ``pkt`` (past IPv6 extension headers), or None."""
    cur = pkt._under
    while cur is not None and is_extension(cur):
        cur = cur._under
    return cur if isinstance(cur, (IP, IPv6)) else None


class AddressListField(OneValue, ScapyField, F.ListField):
    """VRRPv3's addresses: IPv4 over IP, IPv6 over IPv6, bytes over anything else."""

    def __init__(self, name: str, default: Any) -> None:
        F.ListField.__init__(self, name, default)

    ls_kind = "MultipleTypeField (FieldListField, FieldListField, StrField)"

    def check_one(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            value = [value]
        out = []
        for v in value:
            fam = socket.AF_INET6 if ":" in str(v) else socket.AF_INET
            try:
                socket.inet_pton(fam, str(v))
            except OSError:
                raise UsageError(f"{self.name}: {v!r} is not an IP address") from None
            out.append(str(v))
        return out

    def put(self, pkt: Any, value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        net = _network_under(pkt)
        if net is None:
            return b""
        fam = socket.AF_INET6 if isinstance(net, IPv6) else socket.AF_INET
        return b"".join(socket.inet_pton(fam, v) for v in value or ())

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        net = _network_under(pkt)
        if net is None:
            return bytes(buf[off:end]), end
        fam, size = (socket.AF_INET6, 16) if isinstance(net, IPv6) else (socket.AF_INET, 4)
        out = []
        for _ in range(pkt.ipcount or 0):
            if off + size > end:
                if size == 16:  # Scapy keeps what IPv6 addresses there are
                    break
                raise Truncated(f"{self.name}: {pkt.ipcount} addresses announced, "
                                f"{len(out)} present")
            out.append(socket.inet_ntop(fam, bytes(buf[off:off + size])))
            off += size
        return out, off

    def i2repr(self, pkt: Any, value: Any) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(value) + "]"
        if value == b"" and pkt is not None and _network_under(pkt) is not None:
            return "[]"  # the default, over IP: an empty list of addresses
        return repr(value)


class VRRPv3(VRRP):
    """A VRRP version 3 advertisement (IPv4 or IPv6)."""

    name = "VRRPv3"
    fields_desc = [
        BitField("version", 3, 4),
        BitField("type", 1, 4),
        ByteField("vrid", 1),
        ByteField("priority", 100),
        FieldLenField("ipcount", None, count_of="addrlist", fmt="B"),
        BitField("res", 0, 4),
        BitField("adv", 100, 12),
        XShortField("chksum", None),
        # the default is bytes, as in Scapy: an unset ipcount then counts 1
        AddressListField("addrlist", b""),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.chksum is None:
            under = self._under
            ph = getattr(under, "pseudo_header", None) if under is not None else None
            # no IP under it: the checksum stays 0, as Scapy leaves it
            cs = checksum(ph(VRRP_PROTO, len(pkt)) + pkt) if ph is not None else 0
            pkt = pkt[:6] + cs.to_bytes(2, "big") + pkt[8:]
        return pkt + pay


bind_layers(IP, VRRP, proto=VRRP_PROTO)
bind_layers(IP, VRRPv3, proto=VRRP_PROTO)
bind_layers(IPv6, VRRPv3, nh=VRRP_PROTO)
