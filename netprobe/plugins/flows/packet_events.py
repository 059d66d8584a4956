"""Flow events of one packet, from its dissection: the shapes the column decoder leaves.

The packet is dissected by :func:`netprobe.packet.dissect.dissect` (every link
type and tunnel the layers know: PPP, NFLOG, 802.11, LLC/SNAP, MPLS, PPPoE,
GRE and PPTP's enhanced GRE, IP in IP, Teredo, L2TP, VXLAN, GTP-U, IPv6 extension
headers), which says where each layer lay in the frame. Here are only the counting rules, the same
as :mod:`netprobe.packet.columns` applies to whole batches (the tests run
captures through both and compare): which layers make a flow, what is
truncated (cut by the snap length) and what is malformed (cut or contradicted
by the lengths the headers announce), the payload lengths from the lengths on
the wire. A tunnelled packet gives an event for the outer flow and one for the
inner flow, as tshark counts it in both conversations; the packets an ICMP
error quotes are not flows.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from netprobe.packet import matchkey as mk
from netprobe.packet import optional_layers
from netprobe.packet.dissect import LINKTYPES, Span, dissect
from netprobe.packet.flow_events import (
    PORT_PROTOCOLS,
    REASON_FRAGMENT,
    REASON_LINKTYPE,
    REASON_MALFORMED,
    REASON_NONE,
    REASON_NOT_IP,
    REASON_TRUNCATED,
    SCTP_HEADER,
    SCTP_PORTS,
    tcp_bits_one,
)
from netprobe.packet.layer import Layer, LayerMeta, Truncated
from netprobe.packet.layers.gre import GRE
from netprobe.packet.layers.gtp import G_PDU, GTP_U_PORT, GTP_U_Header
from netprobe.packet.layers.icmp_quote import IPerror, IPerror6
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_ext import (
    ExtensionHeader,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.l2tp import L2TP
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.teredo import Teredo
from netprobe.packet.layers.udp import UDP
from netprobe.packet.layers.vxlan import VXLAN
from netprobe.packet.shape import NON_IP_LINKS

#: one flow event: (ver, proto, src16, dst16, sport, dport, bits, seq, ack, paylen, icmp)
Event = tuple[int, int, bytes, bytes, int, int, int, int, int, int, int]

_V4_PREFIX = bytes(12)
#: how deep tunnels may nest before they are no longer followed
MAX_DEPTH = 8
#: the UDP ports whose tunnels are followed, and the layer dissection finds there
UDP_TUNNELS: dict[int, type[Layer]] = {3544: Teredo, 1701: L2TP, 4789: VXLAN,
                                       GTP_U_PORT: GTP_U_Header}
#: IP protocols that carry IP without a header of their own
IP_IN_IP = (4, 41)


@dataclass
class _Packet:
    """One dissected packet: its layers, where they lay, its events."""

    data: bytes
    linktype: int
    layers: list[Layer]
    spans: list[Span]
    caplen: int
    events: list[Event] = field(default_factory=list)


def decode_packet(data: bytes, linktype: int, wirelen: int) -> tuple[list[Event], int]:
    """Events of one packet and, when it has none, why (a ``REASON_*`` code)."""
    if linktype not in LINKTYPES:
        return [], REASON_NOT_IP if linktype in NON_IP_LINKS else REASON_LINKTYPE
    optional_layers.load_all()  # tunnels as tshark follows them (Teredo, MPLS...)
    spans: list[Span] = []
    top = dissect(data, linktype, wirelen, spans)
    pkt = _Packet(data, linktype, top.chain()[:len(spans)], spans, len(data))
    why = _walk(pkt, 0, max(wirelen, len(data)), 0)
    if pkt.events:
        return pkt.events, REASON_NONE
    return [], why or REASON_NOT_IP


def _walk(pkt: _Packet, i: int, end: int, depth: int) -> int:
    """Find the first IP layer from ``i`` on and count it; ``end``: the reported end."""
    layers, spans = pkt.layers, pkt.spans
    while i < len(layers):
        layer = layers[i]
        stop, failure = spans[i][1:]
        if stop < pkt.caplen:  # a header's length (802.3, PPPoE, NFLOG) bounds the rest
            end = min(end, stop)
        kind = type(layer)
        if kind.__name__ in _LENGTH_OF_PAYLOAD and i + 1 < len(layers):
            end = min(end, spans[i + 1][0] + layer.len)  # also past what was captured
        if kind is IP or kind is IPv6:
            if layer.version != (4 if kind is IP else 6):
                return REASON_MALFORMED
            return (_ipv4 if kind is IP else _ipv6)(pkt, i, end, depth)
        if failure is not None:
            return _failed_network(pkt, i)
        i += 1
    return _cut_after(layers[-1], pkt) if layers else REASON_TRUNCATED


def _failed_network(pkt: _Packet, i: int) -> int:
    """Why a layer on the way to IP failed: an IP header's first byte says malformed."""
    start, stop, failure = pkt.spans[i]
    if i:
        expected = pkt.layers[i - 1].next_layer(pkt.data, start, stop)
    else:  # the link layer itself
        expected = LINKTYPES[pkt.linktype]
        if expected.__class__ is not LayerMeta:
            expected = expected(pkt.data)
    if i and (expected is None or expected.__name__ not in _ON_THE_WAY):
        return REASON_NOT_IP  # ARP, or a link header that names something else
    if not isinstance(failure, Truncated):
        return REASON_MALFORMED
    head = pkt.data[start:start + 1]
    if head and expected is IP and (head[0] >> mk.IP4_VERSION_SHIFT != 4 or (
            head[0] & mk.IP4_IHL_MASK) * mk.HEADER_WORD < mk.IP4_HEADER):
        return REASON_MALFORMED
    if head and expected is not None and issubclass(expected, IPv6) and (
            head[0] >> mk.IP6_VERSION_SHIFT != mk.IP6_VERSION_VALUE):
        return REASON_MALFORMED
    return REASON_TRUNCATED


def _cut_after(last: Layer, pkt: _Packet) -> int:
    """Why a chain that ends without IP has none: cut before a header it names, or not IP."""
    stop = pkt.spans[len(pkt.layers) - 1][1]
    try:
        nxt = last.next_layer(pkt.data, stop, stop)
    except IndexError:  # a layer that reads its payload's first byte to choose: none
        return REASON_TRUNCATED
    return REASON_TRUNCATED if nxt is not None and nxt.__name__ in _ON_THE_WAY else REASON_NOT_IP


#: link layers whose ``len`` counts the bytes after their header (the rest is padding)
_LENGTH_OF_PAYLOAD = frozenset({"PPPoE", "Dot3"})
#: the layers on the way to an IP header: a chain cut before one of them is truncated
_ON_THE_WAY = frozenset({"IP", "IPv6", "MPLS", "PPPoE", "PPP", "HDLC", "Dot1Q", "Dot1AD", "LLC",
                         "SNAP", "Ether", "GRE", "Dot11", "RadioTap", "NFLOG"})


def _address(family: int, text: str) -> bytes:
    packed = socket.inet_pton(family, text)
    return _V4_PREFIX + packed if family == socket.AF_INET else packed


def _ipv4(pkt: _Packet, i: int, end: int, depth: int) -> int:
    ip = pkt.layers[i]
    start, stop, _ = pkt.spans[i]
    ihl = ip.ihl * mk.HEADER_WORD
    rep = end - start
    tot = ip.len or rep  # 0: TSO / BIG TCP, the length is the frame's
    if tot < ihl:
        return REASON_MALFORMED
    iplen = min(tot, rep)
    src = _address(socket.AF_INET, ip.src)
    dst = _address(socket.AF_INET, ip.dst)
    cap_ip = min(stop - start, iplen)
    flow = _Flow(4, ip.proto, src, dst, start + ihl, iplen - ihl, cap_ip - ihl,
                 ip.frag, ip.frag != 0 or bool(int(ip.flags) & 1), depth)
    return _transport(pkt, i + 1, flow)


def _ipv6(pkt: _Packet, i: int, end: int, depth: int) -> int:
    ip = pkt.layers[i]
    start, stop, _ = pkt.spans[i]
    rep = end - start
    hdr = _Headers(pkt, start, min(mk.IP6_HEADER + ip.plen, rep) if ip.plen else rep, stop - start,
                   _address(socket.AF_INET6, ip.dst))
    i += 1
    while i < len(pkt.layers) and _extension(pkt, i):
        why = hdr.extension(i, ip.plen, rep)
        if why:
            return why
        i += 1
    p = (pkt.spans[i][0] if i < len(pkt.spans) else stop) - start
    cap_ip = min(hdr.cap, hdr.iplen)
    if i == len(pkt.layers) and pkt.layers[i - 1].nh in IPV6_EXTENSIONS and cap_ip < p + 2:
        return REASON_TRUNCATED if hdr.iplen >= p + 2 else REASON_MALFORMED
    flow = _Flow(6, pkt.layers[i - 1].nh, _address(socket.AF_INET6, ip.src), hdr.dst,
                 start + p, hdr.iplen - p, cap_ip - p, hdr.fragoff, hdr.fragmented, depth)
    return _transport(pkt, i, flow)


#: IPv6 next-header values that are extension headers (the authentication header too)
IPV6_EXTENSIONS = (0, 43, 44, 51, 60, 135, 139, 140, 253, 254)


def _extension(pkt: _Packet, i: int) -> bool:
    """Whether the layer at ``i`` is an IPv6 extension header, or one that failed."""
    return isinstance(pkt.layers[i], ExtensionHeader) or (
        pkt.spans[i][2] is not None and getattr(pkt.layers[i - 1], "nh", None)
        in IPV6_EXTENSIONS)


@dataclass
class _Headers:
    """What an IPv6 header and its extension headers say, read one header at a time."""

    pkt: _Packet
    start: int  # where the IPv6 header starts
    iplen: int  # the length of the datagram on the wire
    cap: int  # captured from the start of the IPv6 header
    dst: bytes
    fragoff: int = 0
    fragmented: bool = False

    def extension(self, i: int, plen: int, rep: int) -> int:
        """Read the extension header at ``i``; a ``REASON_*`` when it is cut or malformed."""
        ext = self.pkt.layers[i]
        at, stop, failure = self.pkt.spans[i]
        p = at - self.start
        cap_ip = min(self.cap, self.iplen)
        if failure is not None:  # cut: say by what, from its length byte
            if cap_ip < p + 2:
                return REASON_TRUNCATED if self.iplen >= p + 2 else REASON_MALFORMED
            nh = self.pkt.layers[i - 1].nh
            size = self.pkt.data[at + 1]
            length = 8 if nh == 44 else (size + 2) * 4 if nh == 51 else (size + 1) * 8
            return REASON_MALFORMED if self.iplen < p + length else REASON_TRUNCATED
        length = (self.pkt.spans[i + 1][0] if i + 1 < len(self.pkt.spans) else stop) - at
        if isinstance(ext, IPv6ExtHdrFragment):
            self.fragoff, self.fragmented = ext.offset, True
        elif isinstance(ext, IPv6ExtHdrRouting):
            self.dst = _route_destination(ext) or self.dst  # as tshark: the final destination
        elif isinstance(ext, IPv6ExtHdrHopByHop) and not plen:
            jumbo = _jumbo(ext)
            if jumbo is not None:
                self.iplen = min(mk.IP6_HEADER + jumbo, rep)
        if self.iplen < p + length:
            return REASON_MALFORMED
        return REASON_NONE


def _route_destination(ext: Layer) -> bytes | None:
    """The final destination a routing header names, while segments are left."""
    if not ext.segleft or not ext.addresses:
        return None
    if ext.type in (0, 2):
        return _address(socket.AF_INET6, ext.addresses[-1])
    if ext.type == 4:  # segment routing: segment 0 is the last one visited
        return _address(socket.AF_INET6, ext.addresses[0])
    return None


def _jumbo(ext: Layer) -> int | None:
    """The jumbo payload length among a hop-by-hop header's options, if any."""
    for opt in ext.options or ():
        if getattr(opt, "otype", None) == 0xC2 and getattr(opt, "optlen", None) == 4:
            return getattr(opt, "jumboplen", None)
    return None


@dataclass
class _Flow:
    """What an IP header says of the flow whose transport follows it."""

    ver: int
    proto: int
    src: bytes
    dst: bytes
    off: int  # where the transport starts in the frame
    rep: int  # its length on the wire
    cap: int  # its length captured
    fragoff: int
    fragmented: bool
    depth: int

    def cut(self, need: int) -> int:
        """Why a transport header of ``need`` bytes is not there."""
        return REASON_MALFORMED if self.rep < need else REASON_TRUNCATED


def _transport(pkt: _Packet, i: int, flow: _Flow) -> int:
    """Count the transport layer at ``i`` above an IP header (``flow``)."""
    layer = pkt.layers[i] if i < len(pkt.layers) else None
    if flow.ver == 4 and flow.proto == 51 and not flow.fragoff:
        return _auth_header(pkt, i, flow)
    if flow.fragoff:
        if flow.proto in PORT_PROTOCOLS:
            return REASON_FRAGMENT
        return _add(pkt, flow, -1, -1)
    if flow.proto == mk.PROTO_TCP:
        return _tcp(pkt, i, layer, flow)
    if flow.proto in PORT_PROTOCOLS:
        return _udp(pkt, i, layer, flow)
    icmp = -1
    if flow.proto in (1, 58) and flow.cap >= 2:
        icmp = (layer.type << 8) | layer.code if hasattr(layer, "code") else \
            _word(pkt, flow.off)  # a message no layer reads: its type and code
    _add(pkt, flow, -1, -1, icmp=icmp)
    if flow.depth < MAX_DEPTH and layer is not None and flow.proto in (*IP_IN_IP, 47):
        _inner(pkt, i, flow)
    return REASON_NONE


def _add(pkt: _Packet, flow: _Flow, sport: int, dport: int, bits: int = 0, seq: int = 0,
         ack: int = 0, paylen: int = 0, icmp: int = -1) -> int:
    pkt.events.append((flow.ver, flow.proto, flow.src, flow.dst, sport, dport, bits, seq, ack,
                       paylen, icmp))
    return REASON_NONE


def _auth_header(pkt: _Packet, i: int, flow: _Flow) -> int:
    """An IPv4 authentication header: what follows it counts."""
    if flow.cap < 2:
        return flow.cut(2)
    if i >= len(pkt.layers):
        return REASON_MALFORMED
    at = pkt.spans[i][0]
    length = (pkt.data[at + 1] + 2) * 4  # its length byte: whether it was parsed or not
    if flow.rep < length:
        return REASON_MALFORMED
    if flow.cap < length:
        return REASON_TRUNCATED
    inner = _Flow(flow.ver, pkt.layers[i].nh, flow.src, flow.dst, flow.off + length,
                  flow.rep - length, flow.cap - length, 0, flow.fragmented, flow.depth)
    return _transport(pkt, i + 1, inner)


def _tcp(pkt: _Packet, i: int, layer: Layer | None, flow: _Flow) -> int:
    if flow.cap < mk.TCP_HEADER:
        return flow.cut(mk.TCP_HEADER)
    if not isinstance(layer, TCP):
        return REASON_MALFORMED  # a data offset under 5 words
    thl = layer.dataofs * mk.HEADER_WORD
    if thl > flow.rep:
        return REASON_MALFORMED
    if thl > flow.cap:
        return REASON_TRUNCATED
    pay = flow.rep - thl
    flags = int(layer.flags)
    return _add(pkt, flow, layer.sport, layer.dport,
                tcp_bits_one(flags, pay, not flow.fragmented), layer.seq, layer.ack, pay)


def _udp(pkt: _Packet, i: int, layer: Layer | None, flow: _Flow) -> int:
    """UDP, or SCTP (its common header starts with the ports too)."""
    udp = flow.proto == mk.PROTO_UDP
    need = mk.UDP_HEADER if udp else SCTP_PORTS
    if flow.cap < need:
        return flow.cut(need)
    if isinstance(layer, UDP):
        sport, dport = layer.sport, layer.dport
    else:  # SCTP has no layer: its common header starts with the two ports
        sport, dport = _word(pkt, flow.off + mk.TCP_SPORT), _word(pkt, flow.off + mk.TCP_DPORT)
    _add(pkt, flow, sport, dport, paylen=flow.rep - (mk.UDP_HEADER if udp else SCTP_HEADER))
    if udp and flow.depth < MAX_DEPTH:
        low, high = sorted((sport, dport))  # tshark tries the lower port's dissector first
        port = low if low in UDP_TUNNELS else (high if high in UDP_TUNNELS and low >= 1024
                                              else None)
        nxt = pkt.layers[i + 1] if i + 1 < len(pkt.layers) else None
        if port is not None and type(nxt) is UDP_TUNNELS[port] and _carries_data(nxt):
            _inner(pkt, i + 1, flow)
    return REASON_NONE


def _carries_data(tunnel: Layer) -> bool:
    """Whether a tunnel header carries a packet: an L2TP control message or version does not,
    nor a GTP-U message other than a version 1 G-PDU."""
    if type(tunnel) is L2TP:
        return tunnel.version == 2 and not tunnel.hdr.control
    if type(tunnel) is GTP_U_Header:
        return tunnel.version == 1 and tunnel.PT == 1 and tunnel.gtp_type == G_PDU
    return True


def _word(pkt: _Packet, off: int) -> int:
    """The big-endian 16-bit number at ``off`` in the frame."""
    return int.from_bytes(pkt.data[off:off + 2], "big")


def _inner(pkt: _Packet, i: int, flow: _Flow) -> None:
    """Count the flow a tunnel at ``i`` carries (its failures are not the packet's)."""
    end = flow.off + flow.rep
    for j in range(i, len(pkt.layers)):
        if isinstance(pkt.layers[j], (IPerror, IPerror6)):
            return
        if type(pkt.layers[j]) in (IP, IPv6):
            _walk(pkt, j, end, flow.depth + 1)
            return
        if type(pkt.layers[j]) is GRE and j > i:
            return
