"""Decode one packet in Python: the rare packets the batch decoder leaves.

Link types beyond Ethernet/SLL/loopback/raw (PPP, Cisco HDLC, NFLOG,
802.11 with or without radiotap), 802.3 frames with LLC/SNAP, MPLS, PPPoE,
IPv6 extension headers, IPv4 with total length 0 (TSO/BIG TCP), and
tunnels: IP in IP (4, 41), GRE, and UDP tunnels (Teredo 3544, L2TP 1701,
VXLAN 4789, GTP-U 2152). A tunnelled packet gives an event for the outer
flow and one for the inner flow, as tshark counts it in both conversations.

The rules for what counts are those of :mod:`netprobe.packet.columns`, packet by
packet; the tests run whole captures through both and compare.

Not yet :func:`netprobe.packet.dissect.dissect`: dissect has no PPPoE,
Teredo, L2TP or GTP-U layers, and its layers do not keep where they start in
the frame, which the truncation rules here need.
"""

from __future__ import annotations

import struct

from netprobe.packet.flow_events import (
    REASON_FRAGMENT,
    REASON_LINKTYPE,
    REASON_MALFORMED,
    REASON_NONE,
    REASON_NOT_IP,
    REASON_TRUNCATED,
    tcp_bits_one,
)
from netprobe.packet.shape import (
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    LINKS,
    LOOPBACK_IPV4,
    LOOPBACK_IPV6,
    MAX_8023_LENGTH,
    NON_IP_LINKS,
    PPP_HDLC_PREFIX,
    SLL_HATYPE_GRE,
    SLL_HATYPE_NETLINK,
    VLAN_TAG_LEN,
    VLAN_TPIDS,
    LinkShape,
    null_header_value,
)

_BE16 = struct.Struct("!H").unpack_from
_BE32 = struct.Struct("!I").unpack_from
_V4_PREFIX = bytes(12)
#: the Ethernet header, also inside tunnels (VXLAN, GRE bridging, 802.1ah)
_ETHER = LINKS[1]

IPV6_EXTENSIONS = (0, 43, 60, 135, 139, 140, 253, 254)
#: how deep tunnels may nest before the decoder stops following them
MAX_DEPTH = 8


class _Packet:
    """The state of decoding one packet: its bytes, reported end and events."""

    __slots__ = ("data", "events", "wire_end")

    def __init__(self, data: bytes, wirelen: int) -> None:
        self.data = data
        self.wire_end = max(wirelen, len(data))
        self.events: list[tuple] = []


def decode_packet(data: bytes, linktype: int, wirelen: int) -> tuple[list[tuple], int]:
    """Events of one packet and, when it has none, why (a ``REASON_*`` code).

    Each event is ``(ver, proto, src16, dst16, sport, dport, bits, seq, ack,
    paylen, icmp)`` (the columns of :class:`~events.Events` without ``pkt``).
    """
    pkt = _Packet(data, wirelen)
    why = _link(pkt, linktype)
    if pkt.events:
        return pkt.events, REASON_NONE
    return [], why or REASON_NOT_IP


# -- link layers ----------------------------------------------------------------


def _link(pkt: _Packet, linktype: int) -> int:
    d = pkt.data
    n = len(d)
    end = pkt.wire_end
    shape = LINKS.get(linktype)
    if shape is not None:
        return _plain_link(pkt, shape, end)
    if linktype in (9, 50):  # PPP, PPP in HDLC framing
        return _ppp(pkt, 0, end, 0)
    if linktype == 51:  # PPPoE without Ethernet
        return _pppoe(pkt, 0, end, 0)
    if linktype == 104:  # Cisco HDLC: address, control, ethertype
        if n < 4:
            return REASON_TRUNCATED
        return _ethertype(pkt, _BE16(d, 2)[0], 4, end, 0)
    if linktype == 239:
        return _nflog(pkt, end)
    if linktype == 127:
        if n < 4:
            return REASON_TRUNCATED
        return _wlan(pkt, struct.unpack_from("<H", d, 2)[0], end)
    if linktype == 105:
        return _wlan(pkt, 0, end)
    if linktype in NON_IP_LINKS:
        return REASON_NOT_IP
    return REASON_LINKTYPE


def _plain_link(pkt: _Packet, shape: LinkShape, end: int) -> int:
    """A link type of the shape table: its fixed header, then what the header says."""
    d = pkt.data
    hl = shape.header_len
    if shape.told_by == "version":
        return _ip_by_version(pkt, 0, end, 0)
    if shape.told_by == "ipv4":
        return _ipv4(pkt, 0, end, 0)
    if shape.told_by == "ipv6":
        return _ipv6(pkt, 0, end, 0)
    if shape.told_by == "ethertype" and shape.hatype_at is None:
        return _ethernet(pkt, 0, end, 0)
    if len(d) < hl:
        return REASON_TRUNCATED
    if shape.told_by == "family":
        if shape.family_order == "host":
            if d[:2] == PPP_HDLC_PREFIX:
                return _ppp(pkt, 0, end, 0)
            fam = null_header_value(struct.unpack_from("<I", d, shape.proto_at)[0])
            if fam > MAX_8023_LENGTH:
                return _ethertype(pkt, fam, hl, end, 0)
        else:
            fam = _BE32(d, shape.proto_at)[0]
        if fam in LOOPBACK_IPV4:
            return _ipv4(pkt, hl, end, 0)
        if fam in LOOPBACK_IPV6:
            return _ipv6(pkt, hl, end, 0)
        return REASON_NOT_IP
    proto = _BE16(d, shape.proto_at)[0]
    hatype = _BE16(d, shape.hatype_at)[0] if shape.hatype_at is not None else None
    if hatype == SLL_HATYPE_NETLINK:
        return REASON_NOT_IP
    if hatype == SLL_HATYPE_GRE:  # the protocol is a GRE protocol type
        return _gre_payload(pkt, proto, hl, end, 0)
    return _ethertype(pkt, proto, hl, end, 0, llc=proto <= MAX_8023_LENGTH)


def _ethernet(pkt: _Packet, off: int, end: int, depth: int) -> int:
    d = pkt.data
    if len(d) < off + _ETHER.header_len:
        return REASON_TRUNCATED
    et = _BE16(d, off + _ETHER.proto_at)[0]
    off += _ETHER.header_len
    if et <= MAX_8023_LENGTH:
        # 802.3: the length field bounds the payload (the rest is padding)
        return _llc(pkt, off, min(end, off + et), depth)
    return _ethertype(pkt, et, off, end, depth)


def _ethertype(pkt: _Packet, et: int, off: int, end: int, depth: int, llc: bool = False) -> int:
    d = pkt.data
    if llc:
        return _llc(pkt, off, end, depth)
    tags = 0
    while et in VLAN_TPIDS:
        if len(d) < off + VLAN_TAG_LEN:
            return REASON_TRUNCATED
        tags += 1
        if tags > 8:
            return REASON_MALFORMED
        et = _BE16(d, off + 2)[0]
        off += VLAN_TAG_LEN
    if et == ETHERTYPE_IPV4:
        return _ipv4(pkt, off, end, depth)
    if et == ETHERTYPE_IPV6:
        return _ipv6(pkt, off, end, depth)
    if et in (0x8847, 0x8848):
        return _mpls(pkt, off, end, depth)
    if et == 0x8864:
        return _pppoe(pkt, off, end, depth)
    if et == 0x88E7:  # 802.1ah: I-tag, then a whole Ethernet frame
        return _ethernet(pkt, off + 4, end, depth + 1) if depth < MAX_DEPTH else REASON_NOT_IP
    if et <= MAX_8023_LENGTH and tags:
        return _llc(pkt, off, min(end, off + et), depth)
    return REASON_NOT_IP


def _llc(pkt: _Packet, off: int, end: int, depth: int) -> int:
    d = pkt.data
    if len(d) < off + 3:
        return REASON_TRUNCATED if len(d) > off else REASON_NOT_IP
    if d[off] == 0xAA and d[off + 1] == 0xAA and d[off + 2] == 0x03:
        if len(d) < off + 8:
            return REASON_TRUNCATED
        if d[off + 3:off + 6] == b"\x00\x00\x00":
            return _ethertype(pkt, _BE16(d, off + 6)[0], off + 8, end, depth)
    return REASON_NOT_IP


def _mpls(pkt: _Packet, off: int, end: int, depth: int) -> int:
    d = pkt.data
    while True:
        if len(d) < off + 4:
            return REASON_TRUNCATED
        bottom = d[off + 2] & 1
        off += 4
        if bottom:
            break
    if len(d) <= off:
        return REASON_TRUNCATED
    return _ip_by_version(pkt, off, end, depth, other=REASON_NOT_IP)


def _pppoe(pkt: _Packet, off: int, end: int, depth: int) -> int:
    d = pkt.data
    if len(d) < off + 8:
        return REASON_TRUNCATED
    length = _BE16(d, off + 4)[0]
    return _ppp_protocol(pkt, _BE16(d, off + 6)[0], off + 8, min(end, off + 6 + length), depth)


def _ppp(pkt: _Packet, off: int, end: int, depth: int) -> int:
    d = pkt.data
    if len(d) >= off + 2 and d[off] == 0xFF and d[off + 1] == 0x03:
        off += 2
    if len(d) < off + 1:
        return REASON_TRUNCATED
    if d[off] & 1:  # protocol field compressed to one byte
        return _ppp_protocol(pkt, d[off], off + 1, end, depth)
    if len(d) < off + 2:
        return REASON_TRUNCATED
    return _ppp_protocol(pkt, _BE16(d, off)[0], off + 2, end, depth)


def _ppp_protocol(pkt: _Packet, proto: int, off: int, end: int, depth: int) -> int:
    if proto == 0x0021:
        return _ipv4(pkt, off, end, depth)
    if proto == 0x0057:
        return _ipv6(pkt, off, end, depth)
    return REASON_NOT_IP


def _nflog(pkt: _Packet, end: int) -> int:
    d = pkt.data
    if len(d) < 4:
        return REASON_TRUNCATED
    family = d[0]
    off = 4
    while off + 4 <= len(d):
        tlen, ttype = struct.unpack_from("<HH", d, off)
        if tlen < 4:
            tlen, ttype = _BE16(d, off)[0], _BE16(d, off + 2)[0]
            if tlen < 4:
                return REASON_MALFORMED
        if ttype & 0x7FFF == 9:  # NFULA_PAYLOAD
            stop = min(off + tlen, len(d))
            sub = off + 4
            if family == 2:
                return _ipv4(pkt, sub, min(end, off + tlen), 0, cap_end=stop)
            if family == 10:
                return _ipv6(pkt, sub, min(end, off + tlen), 0, cap_end=stop)
            return _ip_by_version(pkt, sub, min(end, off + tlen), 0)
        off += (tlen + 3) & ~3
    return REASON_NOT_IP


def _wlan(pkt: _Packet, off: int, end: int) -> int:
    d = pkt.data
    if len(d) < off + 24:
        return REASON_TRUNCATED
    fc0, flags = d[off], d[off + 1]
    ftype = (fc0 >> 2) & 3
    subtype = fc0 >> 4
    if ftype != 2 or subtype & 4 or flags & 0x40:  # not data, no data, or protected
        return REASON_NOT_IP
    hl = 30 if (flags & 3) == 3 else 24
    if subtype & 8:  # QoS data
        hl += 2
        if flags & 0x80:
            hl += 4
    return _llc(pkt, off + hl, end, 0)


# -- IP -------------------------------------------------------------------------


def _ip_by_version(pkt: _Packet, off: int, end: int, depth: int,
                   other: int = REASON_NOT_IP) -> int:
    d = pkt.data
    if len(d) <= off:
        return REASON_TRUNCATED
    v = d[off] >> 4
    if v == 4:
        return _ipv4(pkt, off, end, depth)
    if v == 6:
        return _ipv6(pkt, off, end, depth)
    return other


def _ipv4(pkt: _Packet, off: int, end: int, depth: int, cap_end: int | None = None) -> int:
    d = pkt.data
    cap = (len(d) if cap_end is None else cap_end) - off
    if cap < 1:
        return REASON_TRUNCATED
    if d[off] >> 4 != 4:
        return REASON_MALFORMED
    ihl = (d[off] & 15) * 4
    if ihl < 20:
        return REASON_MALFORMED
    if cap < 20 or cap < ihl:
        return REASON_TRUNCATED
    tot = _BE16(d, off + 2)[0]
    rep = end - off
    if tot == 0:
        tot = rep  # TSO / BIG TCP: the length is the frame's
    elif tot < ihl:
        return REASON_MALFORMED
    iplen = min(tot, rep)
    frag = _BE16(d, off + 6)[0]
    proto = d[off + 9]
    src = _V4_PREFIX + d[off + 12:off + 16]
    dst = _V4_PREFIX + d[off + 16:off + 20]
    fragoff = frag & 0x1FFF
    cap_ip = min(cap, iplen)
    return _transport(pkt, 4, proto, src, dst, off + ihl, iplen - ihl, cap_ip - ihl,
                      fragoff, (frag & 0x3FFF) != 0, depth)


def _ipv6(pkt: _Packet, off: int, end: int, depth: int, cap_end: int | None = None) -> int:
    d = pkt.data
    cap = (len(d) if cap_end is None else cap_end) - off
    if cap < 1:
        return REASON_TRUNCATED
    if cap < 40:
        return REASON_TRUNCATED if d[off] >> 4 == 6 else REASON_MALFORMED
    if d[off] >> 4 != 6:
        return REASON_MALFORMED
    plen = _BE16(d, off + 4)[0]
    nh = d[off + 6]
    src = bytes(d[off + 8:off + 24])
    dst = bytes(d[off + 24:off + 40])
    rep = end - off
    iplen = min(40 + plen, rep) if plen else rep
    cap_ip = min(cap, iplen)
    p = 40
    fragoff = 0
    fragmented = False
    while nh in IPV6_EXTENSIONS or nh in (44, 51):
        if cap_ip < p + 2:
            return REASON_TRUNCATED if iplen >= p + 2 else REASON_MALFORMED
        if nh == 44:
            if cap_ip < p + 8:
                return REASON_TRUNCATED if iplen >= p + 8 else REASON_MALFORMED
            fo = _BE16(d, off + p + 2)[0]
            fragoff = fo >> 3
            fragmented = True
            nh = d[off + p]
            p += 8
            continue
        length = (d[off + p + 1] + 2) * 4 if nh == 51 else (d[off + p + 1] + 1) * 8
        if nh == 43 and cap_ip >= p + length:
            final = _route_destination(d, off + p, length)
            if final is not None:
                dst = final  # as tshark, the conversation is with the final destination
        if nh == 0 and plen == 0:
            jumbo = _jumbo(d, off + p + 2, off + p + length)
            if jumbo is not None:
                iplen = min(40 + jumbo, rep)
                cap_ip = min(cap, iplen)
        if iplen < p + length:
            return REASON_MALFORMED
        if cap_ip < p + length:
            return REASON_TRUNCATED
        nh = d[off + p]
        p += length
    return _transport(pkt, 6, nh, src, dst, off + p, iplen - p, cap_ip - p, fragoff,
                      fragmented, depth)


def _route_destination(d: bytes, p: int, length: int) -> bytes | None:
    """The final destination a routing header names, while segments are left."""
    rtype, left = d[p + 2], d[p + 3]
    if not left:
        return None
    if rtype in (0, 2) and length >= 24:
        last = p + 8 + ((length - 8) // 16 - 1) * 16
        return bytes(d[last:last + 16])
    if rtype == 4 and length >= 24:  # segment routing: segment 0 is the last one visited
        return bytes(d[p + 8:p + 24])
    return None


def _jumbo(d: bytes, start: int, stop: int) -> int | None:
    """The jumbo payload length in a hop-by-hop header's options, if any."""
    p = start
    stop = min(stop, len(d))
    while p < stop:
        kind = d[p]
        if kind == 0:
            p += 1
            continue
        if p + 2 > stop:
            return None
        if kind == 0xC2 and d[p + 1] == 4 and p + 6 <= stop:
            return _BE32(d, p + 2)[0]
        p += 2 + d[p + 1]
    return None


def _transport(pkt: _Packet, ver: int, proto: int, src: bytes, dst: bytes, off: int, rep: int,
               cap: int, fragoff: int, fragmented: bool, depth: int) -> int:
    d = pkt.data
    events = pkt.events
    if proto == 51 and not fragoff:  # IPv4 authentication header: what follows counts
        if cap < 2:
            return REASON_MALFORMED if rep < 2 else REASON_TRUNCATED
        length = (d[off + 1] + 2) * 4
        if rep < length:
            return REASON_MALFORMED
        if cap < length:
            return REASON_TRUNCATED
        return _transport(pkt, ver, d[off], src, dst, off + length, rep - length, cap - length,
                          0, fragmented, depth)
    if fragoff:
        if proto in (6, 17, 132):
            return REASON_FRAGMENT
        events.append((ver, proto, src, dst, -1, -1, 0, 0, 0, 0, -1))
        return REASON_NONE
    if proto == 6:
        if cap < 20:
            return REASON_MALFORMED if rep < 20 else REASON_TRUNCATED
        thl = (d[off + 12] >> 4) * 4
        if thl < 20 or thl > rep:
            return REASON_MALFORMED
        if thl > cap:
            return REASON_TRUNCATED
        sport, dport, seq, ack = struct.unpack_from("!HHII", d, off)
        flags = ((d[off + 12] & 1) << 8) | d[off + 13]
        pay = rep - thl
        events.append((ver, 6, src, dst, sport, dport, tcp_bits_one(flags, pay, not fragmented),
                       seq, ack, pay, -1))
        return REASON_NONE
    if proto in (17, 132):
        need = 8 if proto == 17 else 4
        if cap < need:
            return REASON_MALFORMED if rep < need else REASON_TRUNCATED
        sport, dport = struct.unpack_from("!HH", d, off)
        events.append((ver, proto, src, dst, sport, dport, 0, 0, 0,
                       rep - (8 if proto == 17 else 12), -1))
        if proto == 17 and depth < MAX_DEPTH:
            _udp_tunnel(pkt, sport, dport, off + 8, off + rep, depth + 1)
        return REASON_NONE
    icmp = -1
    if proto in (1, 58) and cap >= 2:
        icmp = (d[off] << 8) | d[off + 1]
    events.append((ver, proto, src, dst, -1, -1, 0, 0, 0, 0, icmp))
    if depth < MAX_DEPTH:
        end = off + rep
        if proto == 4:
            _ipv4(pkt, off, end, depth + 1)
        elif proto == 41:
            _ipv6(pkt, off, end, depth + 1)
        elif proto == 47:
            _gre(pkt, off, end, depth + 1)
    return REASON_NONE


# -- tunnels --------------------------------------------------------------------


def _gre(pkt: _Packet, off: int, end: int, depth: int) -> int:
    d = pkt.data
    if len(d) < off + 4:
        return REASON_TRUNCATED
    flags, proto = struct.unpack_from("!HH", d, off)
    version = flags & 7
    if version == 0:
        if flags & 0x4000:  # routing present: not followed
            return REASON_NOT_IP
        hl = 4 + (4 if flags & 0x8000 else 0) + (4 if flags & 0x2000 else 0) \
            + (4 if flags & 0x1000 else 0)
    elif version == 1:  # enhanced GRE (PPTP): key always there
        hl = 8 + (4 if flags & 0x1000 else 0) + (4 if flags & 0x0080 else 0)
    else:
        return REASON_NOT_IP
    return _gre_payload(pkt, proto, off + hl, end, depth)


def _gre_payload(pkt: _Packet, proto: int, off: int, end: int, depth: int) -> int:
    if proto == ETHERTYPE_IPV4:
        return _ipv4(pkt, off, end, depth)
    if proto == ETHERTYPE_IPV6:
        return _ipv6(pkt, off, end, depth)
    if proto == 0x880B:
        return _ppp(pkt, off, end, depth)
    if proto == 0x6558:
        return _ethernet(pkt, off, end, depth)
    if proto in (0x8847, 0x8848):
        return _mpls(pkt, off, end, depth)
    return REASON_NOT_IP


def _udp_tunnel(pkt: _Packet, sport: int, dport: int, off: int, end: int, depth: int) -> None:
    # tshark tries the lower port's dissector first
    low, high = (sport, dport) if sport <= dport else (dport, sport)
    port = low if low in _UDP_TUNNELS else (high if high in _UDP_TUNNELS and low >= 1024
                                            else None)
    if port is not None:
        _UDP_TUNNELS[port](pkt, off, end, depth)


def _teredo(pkt: _Packet, off: int, end: int, depth: int) -> None:
    d = pkt.data
    for _ in range(2):
        if len(d) >= off + 2 and d[off] == 0 and d[off + 1] == 1:  # authentication
            if len(d) < off + 4:
                return
            off += 4 + d[off + 2] + d[off + 3] + 9
        elif len(d) >= off + 2 and d[off] == 0 and d[off + 1] == 0:  # origin indication
            off += 8
    if len(d) > off and d[off] >> 4 == 6:
        _ipv6(pkt, off, end, depth)


def _l2tp(pkt: _Packet, off: int, end: int, depth: int) -> None:
    d = pkt.data
    if len(d) < off + 6:
        return
    flags = _BE16(d, off)[0]
    if flags & 0x8000 or flags & 0x000F != 2:  # control message, or not L2TPv2
        return
    p = off + 2
    if flags & 0x4000:
        p += 2
    p += 4  # tunnel and session ids
    if flags & 0x0800:
        p += 4
    if flags & 0x0200:
        if len(d) < p + 2:
            return
        p += 2 + _BE16(d, p)[0]
    if len(d) > p:
        _ppp(pkt, p, end, depth)


def _vxlan(pkt: _Packet, off: int, end: int, depth: int) -> None:
    _ethernet(pkt, off + 8, end, depth)


def _gtpu(pkt: _Packet, off: int, end: int, depth: int) -> None:
    d = pkt.data
    if len(d) < off + 8 or d[off] >> 5 != 1 or not d[off] & 0x10 or d[off + 1] != 0xFF:
        return
    p = off + 8
    if d[off] & 0x07:
        if len(d) < p + 4:
            return
        nxt = d[p + 3] if d[off] & 0x04 else 0
        p += 4
        while nxt:
            if len(d) < p + 1 or d[p] == 0:
                return
            length = d[p] * 4
            if len(d) < p + length:
                return
            nxt = d[p + length - 1]
            p += length
    if len(d) > p:
        _ip_by_version(pkt, p, end, depth)


_UDP_TUNNELS = {3544: _teredo, 1701: _l2tp, 4789: _vxlan, 2152: _gtpu}
