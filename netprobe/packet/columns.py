"""Decode the headers of a whole batch of packets at once (numpy columns).

The plain shapes of :mod:`netprobe.packet.shape` (a link type of
:data:`~netprobe.packet.shape.LINKS`, up to two VLAN tags, then IPv4 or IPv6
without extension headers, then TCP, UDP, ICMP or any other protocol) are
decoded here with offsets over the whole batch. Everything else (rare
shapes: tunnels, IPv6 extension headers, MPLS, PPPoE, 802.11, LLC/SNAP,
NFLOG, IPv4 with total length 0...) is marked ``REASON_SLOW``, for a
per-packet reader that follows the same rules; the flows tests hold the two
to the same results.

The rules are tshark's with reassembly off, so that a conversation table
built on them is tshark's: a TCP segment counts when its whole header
(options included) was captured and fits in the IP payload; a UDP datagram
when its 8-byte header was captured; an IPv4 fragment after the first has no
ports, so a TCP or UDP one belongs to no flow; an ICMP error is counted in
the ICMP flow only, never in the flow it quotes. Lengths follow tshark's
tvbuffs: the IP total length bounds the payload unless the frame is shorter.
"""

from __future__ import annotations

from typing import NamedTuple

from netprobe.npimport import np
from netprobe.packet import matchkey as mk
from netprobe.packet.byte_rows import be16, be32, gather_rows
from netprobe.packet.flow_events import (
    PORT_PROTOCOLS,
    REASON_FRAGMENT,
    REASON_LINKTYPE,
    REASON_MALFORMED,
    REASON_NOT_IP,
    REASON_SLOW,
    REASON_TRUNCATED,
    SCTP_HEADER,
    SCTP_PORTS,
    Events,
    tcp_bits,
)
from netprobe.packet.shape import (
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    LINKS,
    LOOPBACK_IPV4,
    LOOPBACK_IPV6,
    MAX_8023_LENGTH,
    MAX_VLAN_TAGS,
    NON_IP_LINKS,
    PPP_HDLC_PREFIX,
    RARE_ETHERTYPES,
    RARE_LINKS,
    SLL_HATYPES_NOT_ETHERTYPE,
    VLAN_TAG_LEN,
    VLAN_TPIDS,
    LinkShape,
)

#: IP protocols that carry IP again, or IPv6 extension headers
SLOW_PROTOCOLS = (0, 4, 41, 43, 44, 47, 51, 60, 135, 139, 140, 253, 254)
#: UDP ports of tunnels (Teredo, L2TP, VXLAN, GTP-U)
TUNNEL_PORTS = (3544, 1701, 4789, 2152)


def _table(size: int, members: tuple[int, ...]) -> np.ndarray:
    """A lookup table: ``table.take(values)`` is ``np.isin(values, members)``, faster."""
    t = np.zeros(size, dtype=bool)
    t[list(members)] = True
    return t


_SLOW_ETHERTYPE = _table(65536, RARE_ETHERTYPES)
_VLAN = _table(65536, VLAN_TPIDS)
_SLOW_PROTOCOL = _table(256, SLOW_PROTOCOLS)
_V4_SLOW_PROTOCOL = _table(256, (4, 41, 47, 51))
_PORT_PROTOCOL = _table(256, PORT_PROTOCOLS)
_TUNNEL_PORT = _table(65536, TUNNEL_PORTS)


#: bytes of each packet the batch decoder reads from (beyond the capture: garbage)
HEAD = 96
#: bytes read after each IP header: TCP's fixed header, the longest one read
L4_ROW = mk.TCP_HEADER
#: bytes from the start of the IP header (an IPv6 header and those after it)
IP_ROW = mk.IP6_HEADER + L4_ROW


def decode_batch(buf: np.ndarray, off: np.ndarray, caplen: np.ndarray, wirelen: np.ndarray,
                 linktype: int, head: np.ndarray | None = None) -> tuple[Events, np.ndarray]:
    """Events of the packets at ``buf[off:off + caplen]``, and a reason per packet.

    ``head`` may hold the first bytes of each packet already (one row each);
    without it they are copied from ``buf``. The reason is 0 for a packet
    with events, a ``REASON_*`` code for one that belongs to no flow, and
    ``REASON_SLOW`` for one left to the per-packet decoder.
    """
    n = len(off)
    reason = np.zeros(n, dtype=np.int8)
    if n == 0:
        return Events.empty(), reason
    shape = LINKS.get(linktype)
    if shape is None:
        reason[:] = (REASON_SLOW if linktype in RARE_LINKS
                     else REASON_NOT_IP if linktype in NON_IP_LINKS else REASON_LINKTYPE)
        return Events.empty(), reason
    if head is None:
        head = gather_rows(buf, off, HEAD)
    l3off, kind = _link(head, caplen, shape, reason)
    ip = np.flatnonzero(kind != 0)
    if len(ip) == 0:
        return Events.empty(), reason
    return _ip(buf, off, head, caplen, wirelen, l3off, kind, ip, reason), reason


def _link(head: np.ndarray, caplen: np.ndarray, shape: LinkShape,
          reason: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the IP header starts and its version (4, 6; 0 when not IP)."""
    n = len(head)
    kind = np.zeros(n, dtype=np.int8)
    l3off = np.full(n, shape.header_len, dtype=np.int64)
    if shape.told_by == "ethertype":
        et = be16(head, shape.proto_at)
        tagged = _VLAN.take(et)
        for k in range(MAX_VLAN_TAGS):
            if not tagged.any():
                break
            # the next ethertype ends the k-th tag (every tagged packet has k tags here)
            et = np.where(tagged, be16(head, shape.header_len + k * VLAN_TAG_LEN + 2), et)
            l3off += VLAN_TAG_LEN * tagged
            tagged &= _VLAN.take(et)
        reason[tagged] = REASON_SLOW  # more tags than a fixed reader follows
        _by_ethertype(et, kind, reason)
        if shape.hatype_at is not None:
            special = np.isin(be16(head, shape.hatype_at), SLL_HATYPES_NOT_ETHERTYPE)
            reason[special] = REASON_SLOW  # not an ethertype: the per-packet reader's
            kind[special] = 0
    elif shape.told_by == "family":
        four = np.ascontiguousarray(head[:, shape.proto_at:shape.proto_at + 4])
        if shape.family_order == "host":
            fam = _null_header_values(four.view("<u4").ravel().astype(np.int64))
            # PPP in HDLC framing, or an ethertype of a rare shape: per packet
            reason[(be16(head, 0) == int.from_bytes(PPP_HDLC_PREFIX, "big"))
                   | ((fam > MAX_8023_LENGTH) & (fam <= 0xFFFF)
                      & (_SLOW_ETHERTYPE | _VLAN).take(fam & 0xFFFF))] = REASON_SLOW
        else:
            fam = four.view(shape.family_order + "u4").ravel().astype(np.int64)
        kind[np.isin(fam, LOOPBACK_IPV4) | (fam == ETHERTYPE_IPV4)] = 4
        kind[np.isin(fam, LOOPBACK_IPV6) | (fam == ETHERTYPE_IPV6)] = 6
        kind[reason != 0] = 0
        reason[(kind == 0) & (reason == 0)] = REASON_NOT_IP
    elif shape.told_by == "ipv4":
        kind[:] = 4
    elif shape.told_by == "ipv6":
        kind[:] = 6
    else:  # the version nibble
        first = head[:, 0] >> 4
        kind[first == 4] = 4
        kind[first == 6] = 6
        reason[kind == 0] = REASON_NOT_IP
    # the link header (and, on raw links, the version nibble) must have been captured
    reason[caplen < np.maximum(l3off, 1)] = REASON_TRUNCATED
    kind[reason != 0] = 0
    return l3off, kind


def _null_header_values(raw: np.ndarray) -> np.ndarray:
    """:func:`netprobe.packet.shape.null_header_value` of many headers."""
    high = (raw & 0xFFFF0000) != 0
    shifted = high & ((raw & 0xFF000000) == 0) & ((raw & 0x00FF0000) < 0x00060000)
    swapped = ((raw & 0xFF) << 24) | ((raw & 0xFF00) << 8) | ((raw >> 8) & 0xFF00) | (raw >> 24)
    short = ~high & ((raw & 0xFF) == 0) & ((raw & 0xFF00) < 0x0600)
    return np.where(shifted, raw >> 16, np.where(high, swapped, np.where(
        short, ((raw & 0xFF) << 8) | (raw >> 8), raw)))


def _by_ethertype(et: np.ndarray, kind: np.ndarray, reason: np.ndarray) -> None:
    kind[et == ETHERTYPE_IPV4] = 4
    kind[et == ETHERTYPE_IPV6] = 6
    slow = _SLOW_ETHERTYPE.take(et) | (et <= MAX_8023_LENGTH)
    rest = (kind == 0) & (reason == 0)
    reason[rest & slow] = REASON_SLOW
    reason[rest & ~slow] = REASON_NOT_IP


def _ip_rows(buf: np.ndarray, off: np.ndarray, head: np.ndarray, l3off: np.ndarray,
             ip: np.ndarray) -> np.ndarray:
    """``IP_ROW`` bytes from the IP header of the packets ``ip``, one row each.

    A view of ``head`` when every packet has its IP header at the same offset
    and all are taken (the usual case); a copy otherwise.
    """
    l3 = l3off.take(ip)
    first = int(l3[0])
    width = head.shape[1]
    if (l3 == first).all() and first + IP_ROW <= width:
        view = head[:, first:first + IP_ROW]
        return view if len(ip) == len(head) else view[ip]  # (take is slow on views)
    rows = np.empty((len(ip), IP_ROW), dtype=np.uint8)
    for value in np.flatnonzero(np.bincount(l3)).tolist():
        sel = np.flatnonzero(l3 == value)
        if value + IP_ROW <= width:
            rows[sel] = head[ip[sel], value:value + IP_ROW]
        else:
            rows[sel] = gather_rows(buf, off[ip[sel]] + value, IP_ROW)
    return rows


def _ip(buf: np.ndarray, off: np.ndarray, head: np.ndarray, caplen: np.ndarray,
        wirelen: np.ndarray, l3off: np.ndarray, kind: np.ndarray, ip: np.ndarray,
        reason: np.ndarray) -> Events:
    # Every field is computed for every packet (as IPv4 and, when there are
    # some, as IPv6), then chosen with masks: cheaper than copying subsets.
    everyone = len(ip) == len(off)
    l3 = l3off if everyone else l3off.take(ip)
    start = (off if everyone else off.take(ip)) + l3
    cap3 = (caplen if everyone else caplen.take(ip)) - l3
    rep3 = (wirelen if everyone else wirelen.take(ip)) - l3
    rows = _ip_rows(buf, off, head, l3off, ip)
    v6 = (kind if everyone else kind.take(ip)) == 6
    net = _ip_headers(rows, cap3, rep3, v6)
    why = net.why
    # a fragment after the first has no transport header
    later = (net.fragoff > 0) & (why == 0)
    if later.any():
        why[later & _PORT_PROTOCOL.take(net.proto)] = REASON_FRAGMENT
    rep4 = net.iplen - net.hlen
    cap4 = np.minimum(cap3, net.iplen) - net.hlen
    t = _l4_rows(buf, rows, start, net.hlen)
    thl = _transport_reasons(why, net.proto, t, rep4, cap4, later)
    reason[ip] = why
    return _events(ip, net, v6, t, thl, rep4, cap4, later)


class _IPColumns(NamedTuple):
    """What the IP headers of a batch say, one row per IP packet."""

    why: np.ndarray  # the reason a packet has no flow (REASON_*), 0 when it has one
    proto: np.ndarray
    hlen: np.ndarray  # the IP header's length (IPv6's fixed header's for IPv6)
    iplen: np.ndarray  # the datagram's length on the wire
    fragoff: np.ndarray
    fragmented: np.ndarray
    src: np.ndarray  # addresses as two 64-bit halves
    dst: np.ndarray


def _ip_headers(rows: np.ndarray, cap3: np.ndarray, rep3: np.ndarray,
                v6: np.ndarray) -> _IPColumns:
    """Read the IPv4 and IPv6 headers of ``rows``; mark the shapes left to ``dissect``."""
    m = len(rows)
    b0 = rows[:, mk.IP4_VERSION]
    ihl = (b0 & mk.IP4_IHL_MASK).astype(np.int64) * mk.HEADER_WORD
    tot = be16(rows, mk.IP4_LEN)
    frag = be16(rows, mk.IP4_FRAG)
    proto = rows[:, mk.IP4_PROTO].astype(np.int64)
    # IPv4: the reason a packet has no flow, the weakest first
    why = (tot < ihl).astype(np.int8) * np.int8(REASON_MALFORMED)
    why[tot == 0] = REASON_SLOW
    why[(cap3 < ihl) | (cap3 < mk.IP4_HEADER)] = REASON_TRUNCATED
    why[(ihl < mk.IP4_HEADER) | (b0 >> mk.IP4_VERSION_SHIFT != 4)] = REASON_MALFORMED
    hlen = ihl
    iplen = np.minimum(tot, rep3)
    fragoff = frag & mk.IP4_FRAG_OFFSET
    fragmented = (frag & mk.IP4_FRAG_MASK) != 0
    src = np.zeros((m, 2), dtype=np.uint64)
    dst = np.zeros((m, 2), dtype=np.uint64)
    src[:, 1] = be32(rows, mk.IP4_SRC)
    dst[:, 1] = be32(rows, mk.IP4_DST)
    if v6.any():
        i6 = np.flatnonzero(v6)
        r = rows[i6]
        c3 = cap3.take(i6)
        plen = be16(r, mk.IP6_PLEN)
        x = np.where(plen == 0, REASON_SLOW, 0).astype(np.int8)
        x[c3 < mk.IP6_HEADER] = REASON_TRUNCATED
        x[r[:, mk.IP6_VERSION] >> mk.IP6_VERSION_SHIFT != mk.IP6_VERSION_VALUE] = REASON_MALFORMED
        why[i6] = x
        proto[i6] = r[:, mk.IP6_NH]
        hlen = ihl.copy()
        hlen[i6] = mk.IP6_HEADER
        iplen[i6] = np.minimum(mk.IP6_HEADER + plen, rep3.take(i6))
        fragoff[i6] = 0
        fragmented[i6] = False
        for col, at in ((src, mk.IP6_SRC), (dst, mk.IP6_DST)):
            col[i6] = r[:, at:at + mk.IP6_ADDRESS].copy().view(">u8")
    why[cap3 < 1] = REASON_TRUNCATED
    slow_p = _SLOW_PROTOCOL.take(proto)
    if slow_p.any():
        why[(why == 0) & slow_p & (v6 | _V4_SLOW_PROTOCOL.take(proto))] = REASON_SLOW
    return _IPColumns(why, proto, hlen, iplen, fragoff, fragmented, src, dst)


def _transport_reasons(why: np.ndarray, proto: np.ndarray, t: np.ndarray, rep4: np.ndarray,
                       cap4: np.ndarray, later: np.ndarray) -> np.ndarray:
    """Mark (in ``why``) the transport headers cut or malformed, and the UDP tunnels left
    to ``dissect``; the TCP header lengths."""
    tcp = proto == mk.PROTO_TCP
    udp = proto == mk.PROTO_UDP
    need = tcp * mk.TCP_HEADER + udp * mk.UDP_HEADER + (proto == 132) * SCTP_PORTS
    cut = (cap4 < need) & ~later & (why == 0)
    if cut.any():
        why[cut] = np.where(rep4[cut] < need[cut], REASON_MALFORMED, REASON_TRUNCATED)
    thl = (t[:, mk.TCP_DATAOFS] >> mk.TCP_DATAOFS_SHIFT).astype(np.int64) * mk.HEADER_WORD
    seg = tcp & (why == 0)
    why[seg & (thl > cap4)] = REASON_TRUNCATED
    why[seg & ((thl > rep4) | (thl < mk.TCP_HEADER))] = REASON_MALFORMED
    tun = udp & (why == 0) & (_TUNNEL_PORT.take(be16(t, mk.TCP_SPORT))
                              | _TUNNEL_PORT.take(be16(t, mk.TCP_DPORT)))
    if tun.any():
        why[tun] = REASON_SLOW
    return thl


def _events(ip: np.ndarray, net: _IPColumns, v6: np.ndarray, t: np.ndarray, thl: np.ndarray,
            rep4: np.ndarray, cap4: np.ndarray, later: np.ndarray) -> Events:
    """The events of the packets that have a flow (``net.why`` is 0)."""
    why, proto = net.why, net.proto
    m = len(why)
    tcp = proto == mk.PROTO_TCP
    udp = proto == mk.PROTO_UDP
    sctp = proto == 132
    ports = (tcp | udp | sctp) & ~later
    sp = be16(t, mk.TCP_SPORT)  # the ports of TCP, UDP and SCTP; ICMP's type and code
    dp = be16(t, mk.TCP_DPORT)
    ok = np.flatnonzero(why == 0)
    every = len(ok) == m
    tcp_ok = tcp if every else tcp.take(ok)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if every else values.take(ok, axis=0)

    pay = pick((rep4 - (tcp * thl + udp * mk.UDP_HEADER + sctp * SCTP_HEADER)) * (ports | tcp))
    flags = pick(t[:, mk.TCP_FLAGS])
    bits = tcp_bits(flags, pay, ~pick(net.fragmented)) * tcp_ok
    icmp_like = (proto == 1) | (proto == 58)
    has_type = icmp_like & (cap4 >= 2) & ~later
    icmp = ((sp + 1) * has_type - 1).astype(np.int32)
    keep_ports = pick(ports)
    return Events(
        ip if every else ip.take(ok), (pick(v6) * np.uint8(2) + np.uint8(4)).astype(np.uint8),
        pick(proto).astype(np.uint8), pick(net.src), pick(net.dst),
        ((pick(sp) + 1) * keep_ports - 1).astype(np.int32),
        ((pick(dp) + 1) * keep_ports - 1).astype(np.int32), bits,
        (pick(be32(t, mk.TCP_SEQ_AT)) * tcp_ok).astype(np.uint32),
        (pick(be32(t, mk.TCP_ACK_AT)) * tcp_ok).astype(np.uint32), pay, pick(icmp))


def _l4_rows(buf: np.ndarray, rows: np.ndarray, start: np.ndarray,
             hlen: np.ndarray) -> np.ndarray:
    """The ``L4_ROW`` bytes after each IP header (a view when all are IPv4's without
    options)."""
    out = rows[:, mk.IP4_HEADER:mk.IP4_HEADER + L4_ROW]
    other = np.flatnonzero(hlen != mk.IP4_HEADER)
    if len(other) == 0:
        return out
    out = np.ascontiguousarray(out)
    lengths = hlen.take(other)
    for value in np.flatnonzero(np.bincount(lengths)).tolist():
        sel = other[lengths == value]
        if value + L4_ROW <= rows.shape[1]:
            out[sel] = rows[sel, value:value + L4_ROW]
        else:
            out[sel] = gather_rows(buf, start.take(sel) + value, L4_ROW)
    return out
