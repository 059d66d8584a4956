"""Paris traceroute probes: a constant flow identifier, a probe identifier routers quote back.

Load balancers hash the fields that name a flow: addresses, protocol, ports,
and for ICMP the first four bytes of the message (type, code and checksum);
IPv6 balancers may add the flow label. A classic traceroute changes a port
(or the ICMP sequence, hence the checksum) from probe to probe, so successive
TTLs can take different branches and it draws links that do not exist.
Here every probe of a flow keeps those fields, and the probe is told apart
by a field that is not hashed but is quoted back in ICMP errors:

========  ==============================  =======================================
method    flow identifier (constant)      probe identifier (varies)
========  ==============================  =======================================
udp       ports (+ flow label)            UDP checksum, set through 2 payload bytes
icmp      id, checksum (+ flow label)     sequence; 2 payload bytes keep the checksum
tcp       ports (+ flow label)            sequence number
========  ==============================  =======================================

IPv4 probes also carry the identifier in the IP ID. Flow ``n`` (``--flow``
and the flows of ``--multipath``) adds ``n`` to the source port (UDP, TCP),
or to the checksum (ICMP), and to the IPv6 flow label.
"""

from __future__ import annotations

from struct import Struct
from typing import NamedTuple

from netprobe.packet.layer import Layer

#: the bytes after the two compensation bytes of UDP and ICMP probes
TAG = b"netprobe"
#: probe identifiers run from 1 to this (0 and 0xFFFF are not checksums one can send)
MAX_IDENT = 0xFFFE
#: the checksum of ICMP flow 0, and the flow label of IPv6 flow 0
FLOW_BASE = 0x4E50

_H = Struct("!H")


def ones_add(a: int, b: int) -> int:
    """16-bit one's complement addition (the Internet checksum's arithmetic)."""
    s = a + b
    return (s & 0xFFFF) + (s >> 16)


def compensation(checksum_with_zero: int, target: int) -> int:
    """The 16-bit word that, written where a zero word was, turns the checksum into ``target``.

    The checksum is the complement of the one's complement sum ``S``: with a
    word ``w`` added, ``~(S + w) = target``, so ``w = ~target - S``, and
    ``-S`` is ``~S``, the checksum computed with the zero word.
    """
    return ones_add(~target & 0xFFFF, checksum_with_zero)


def ident_of(n: int) -> int:
    """The probe identifier of the ``n``-th probe of a trace (1 ... 0xFFFE, then again)."""
    return n % MAX_IDENT + 1


def flow_checksum(flow: int) -> int:
    """The constant ICMP checksum of flow ``flow``."""
    return (FLOW_BASE + flow) % MAX_IDENT + 1


def flow_label(flow: int) -> int:
    """The IPv6 flow label of flow ``flow`` (never 0, which means "no label")."""
    return (FLOW_BASE + flow) % 0xFFFFF + 1


def flow_port(base: int, flow: int) -> int:
    """The source port of flow ``flow`` when flow 0 uses ``base`` (1 ... 65535)."""
    return (base - 1 + flow) % 65535 + 1


class ProbeMaker(NamedTuple):
    """Builds the bytes of one probe: ``build(ttl, flow, ident)``.

    ``sport`` is flow 0's source port (UDP, TCP) or ICMP identifier; ``dport``
    the destination port (UDP, TCP).
    """

    method: str
    family: int
    src: str
    dst: str
    sport: int = 33456
    dport: int = 33434

    def build(self, ttl: int, flow: int, ident: int) -> bytes:
        """The probe for ``ttl`` in flow ``flow`` identified by ``ident`` (1 ... 0xFFFE)."""
        if not 1 <= ident <= MAX_IDENT:
            raise ValueError(f"probe identifier {ident} out of 1..{MAX_IDENT}")
        head = self._network(ttl, flow, ident)
        header_len = 20 if self.family == 4 else 40
        if self.method == "tcp":
            from netprobe.packet import TCP

            return (head / TCP(sport=flow_port(self.sport, flow), dport=self.dport,
                               seq=ident, flags="S", window=5840)).build()
        if self.method == "udp":
            from netprobe.packet import UDP, Raw

            packet = head / UDP(sport=flow_port(self.sport, flow), dport=self.dport) / Raw(
                load=b"\0\0" + TAG)
            return _set_checksum(packet.build(), header_len + 6, header_len + 8, ident)
        if self.method == "icmp":
            if self.family == 4:
                from netprobe.packet import Raw
                from netprobe.packet.layers.icmp import ICMP

                packet = head / ICMP(type=8, id=self.sport, seq=ident) / Raw(load=b"\0\0" + TAG)
            else:
                from netprobe.packet.layers.icmpv6 import ICMPv6EchoRequest

                packet = head / ICMPv6EchoRequest(id=self.sport, seq=ident, data=b"\0\0" + TAG)
            return _set_checksum(packet.build(), header_len + 2, header_len + 8,
                                 flow_checksum(flow))
        raise ValueError(f"unknown probe method {self.method!r}")

    def _network(self, ttl: int, flow: int, ident: int) -> Layer:
        if self.family == 4:
            from netprobe.packet import IP

            return IP(src=self.src, dst=self.dst, ttl=ttl, id=ident)
        from netprobe.packet.layers.ipv6 import IPv6

        return IPv6(src=self.src, dst=self.dst, hlim=ttl, fl=flow_label(flow))


def _set_checksum(data: bytes, checksum_at: int, word_at: int, target: int) -> bytes:
    """``data`` whose zero word at ``word_at`` is changed so that its checksum is ``target``."""
    out = bytearray(data)
    (current,) = _H.unpack_from(out, checksum_at)
    _H.pack_into(out, word_at, compensation(current, target))
    _H.pack_into(out, checksum_at, target)
    return bytes(out)
