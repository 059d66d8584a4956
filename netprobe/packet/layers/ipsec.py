"""IPsec ESP (RFC 4303) on IP protocol 50, plain: ``spi``, ``seq`` and the rest as ``data``.

netprobe neither encrypts nor decrypts (Scapy's ``SecurityAssociation`` is not
here): an ESP packet is built from the bytes given and read back as them, as Scapy
does for a packet outside a security association. AH (protocol 51) lives with
the IPv6 extension headers (``ipv6_ext.py``), whose format it shares.

Building over UDP fills both ports with 4500 (NAT traversal, RFC 3948), as Scapy
does, and a datagram from port 4500 to port 4500 reads as ESP unless it starts with
the non-ESP marker (four zero bytes: IKE follows), ``NON_ESP``, or is a one-byte
keep-alive, ``NAT_KEEPALIVE``; shorter datagrams stay ``Raw``.
"""

from __future__ import annotations

from netprobe.packet.layer import Layer, ParseError, bind_layers
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.raw import Raw
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import IntField, XByteField, XIntField, XStrField

__all__ = ["ESP", "NAT_KEEPALIVE", "NON_ESP"]

ESP_PROTO = 50
NAT_T_PORT = 4500


class _NATTraversal(Packet):
    """What UDP port 4500 carries: ESP, the non-ESP marker or a keep-alive.

    The three classes share one layout, so that the datagram read as this class takes
    the class its bytes say (RFC 3948 section 2.2: a single 0xFF byte is a keep-alive,
    four zero bytes mark what follows as not ESP, anything of 8 bytes or more is ESP).
    """

    __slots__ = ("data", "nat_keepalive", "non_esp", "seq", "spi")

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if type(self) is ESP and isinstance(self._under, UDP):
            data = buf[off:end]
            if data == b"\xff":
                self.__class__ = NAT_KEEPALIVE
            elif len(data) >= 4 and data[:4] == b"\x00\x00\x00\x00":
                self.__class__ = NON_ESP
            elif len(data) < 8:
                raise ParseError(f"{len(data)} bytes are neither ESP nor a NAT-T marker")
        return Packet.parse(self, buf, off, end)


class ESP(_NATTraversal):
    """An ESP header and its (encrypted, opaque) rest."""

    #: Scapy binds ESP under IP by ``proto`` alone (``frag`` is not filled)
    ip_frag_bound = False
    fields_desc = [XIntField("spi", 1), IntField("seq", 0), XStrField("data", None)]

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        return Raw


class NON_ESP(_NATTraversal):  # noqa: N801 - Scapy's name
    """The non-ESP marker of UDP port 4500: four zero bytes, then IKE."""

    fields_desc = [XIntField("non_esp", 0)]


class NAT_KEEPALIVE(_NATTraversal):  # noqa: N801 - Scapy's name
    """A NAT-T keep-alive: one 0xFF byte."""

    fields_desc = [XByteField("nat_keepalive", 0xFF)]


bind_layers(IP, ESP, proto=ESP_PROTO)
bind_layers(IPv6, ESP, nh=ESP_PROTO)
for _cls in (ESP, NON_ESP, NAT_KEEPALIVE):
    bind_layers(UDP, _cls, dissect=False, sport=NAT_T_PORT, dport=NAT_T_PORT)
UDP._dissect_table.setdefault(("dport", NAT_T_PORT), ESP)
UDP._dissect_table.setdefault(("sport", NAT_T_PORT), ESP)
