"""Raw-bytes shortcuts for the send-and-match loop's hottest packet shapes.

``hashkey(frame, linktype)`` and ``answers(answer, probe)`` give exactly what
``dissect(...).hashkey()`` and ``dissect(a).answers(dissect(p))`` give, for
IPv4 TCP and UDP packets on the link types of
:data:`netprobe.packet.shape.MATCH_LINKS` (Ethernet, raw IP, Linux cooked),
untagged, without building packet objects. Any other shape returns None and the
caller dissects: the layers stay the authority, and tests check that the
shortcut never disagrees with them.
"""

from __future__ import annotations

from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP
from netprobe.packet.matchkey import (
    HEADER_WORD,
    IP4_FIRST,
    IP4_FRAG_MASK,
    IP4_HEADER,
    IP4_VERSION,
    PROTO_TCP,
    PROTO_UDP,
    TCP_ACK,
    TCP_BARE,
    TCP_BARE_UNLESS,
    TCP_DATAOFS,
    TCP_DATAOFS_SHIFT,
    TCP_HEADER,
    TCP_SYN,
    UDP_HEADER,
    field_bits,
    flag_bits,
    header_struct,
)
from netprobe.packet.shape import ETHERTYPE_IPV4, MATCH_LINKS

_V4_TYPE = ETHERTYPE_IPV4.to_bytes(2, "big")
#: Ethernet's: where the IP header starts and where the ethertype is (the hottest case)
_ETH_IP, _ETH_TYPE, _ = MATCH_LINKS[1]
#: what the shortcuts read of each header, laid out from the layers' fields
_IPH = header_struct(*(field_bits(IP, n) for n in ("version", "len", "frag", "proto", "src",
                                                    "dst")))
_TCPH = header_struct(*(field_bits(TCP, n) for n in ("sport", "dport", "seq", "ack",
                                                      "dataofs")), flag_bits(TCP, "flags", "S"))
_UDPH = header_struct(*(field_bits(UDP, n) for n in ("sport", "dport", "len")))
_PORTS = header_struct(*(field_bits(TCP, n) for n in ("sport", "dport")))


class _UdpBoundPorts:
    """UDP ports with a protocol bound above them (whose ``answers`` may look at the
    payload): read from the binding table when asked, so later families are seen."""

    def __contains__(self, port: int) -> bool:
        table = UDP._dissect_table
        return ("dport", port) in table or ("sport", port) in table


_UDP_KEYED_PORTS = _UdpBoundPorts()


def ip_offset(frame: bytes, linktype: int) -> int | None:
    """Where the IPv4 header starts in ``frame``, or None for other shapes.

    A VLAN-tagged frame is another shape: ``Dot1Q.answers`` compares the
    tags, so the layers decide.
    """
    off, et, version = MATCH_LINKS.get(linktype, (-1, -1, 6))
    if version == 6 or (et >= 0 and frame[et:et + 2] != _V4_TYPE):
        return None
    if len(frame) < off + IP4_HEADER or frame[off + IP4_VERSION] != IP4_FIRST:
        return None  # not IPv4 or with options: let the layers decide
    return off


def parse(frame: bytes, linktype: int) -> tuple[int, int, int, int, int] | None:
    """The parts of a plain IPv4 packet the shortcuts use, or None: (where its header
    starts, proto, src, dst, where its payload ends).

    Parse once, then ask :func:`key_of` and :func:`answers_parsed` as often as needed.
    """
    if linktype == 1 and frame[_ETH_TYPE:_ETH_TYPE + 2] == _V4_TYPE:
        off = _ETH_IP
    else:
        off = ip_offset(frame, linktype)
        if off is None:
            return None
    if len(frame) < off + IP4_HEADER:
        return None
    first, tl, fragw, proto, src, dst = _IPH.unpack_from(frame, off)
    if first != IP4_FIRST or tl < IP4_HEADER or off + tl > len(frame) or fragw & IP4_FRAG_MASK:
        return None  # options, odd length or a fragment: let the layers decide
    return off, proto, src, dst, off + tl


def key_of(parsed: tuple[int, int, int, int, int] | None, frame: bytes) -> bytes | None:
    """:func:`hashkey` from a :func:`parse` result."""
    if parsed is None:
        return None
    off, proto, src, dst, end = parsed
    t = off + IP4_HEADER
    room = end - t
    if proto == PROTO_TCP:
        if room < TCP_HEADER or not (
                TCP_HEADER <= (frame[t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD <= room):
            return None  # a header the layers would not parse as TCP
        sport, dport = _PORTS.unpack_from(frame, t)
    elif proto != PROTO_UDP or room < UDP_HEADER:
        return None
    else:
        sport, dport, length = _UDPH.unpack_from(frame, t)
        if not UDP_HEADER <= length <= room:
            return None
    return ((src ^ dst) << 24 | proto << 16 | (sport ^ dport)).to_bytes(7, "big")


def hashkey(frame: bytes, linktype: int) -> bytes | None:
    """The packet's ``hashkey()`` from its bytes, or None when only dissection can tell."""
    return key_of(parse(frame, linktype), frame)


def answers(answer: bytes, answer_linktype: int, probe: bytes,
            probe_linktype: int) -> bool | None:
    """Whether ``answer`` answers ``probe`` (both IPv4 TCP or UDP); None when unsure."""
    return answers_parsed(parse(answer, answer_linktype), answer,
                          parse(probe, probe_linktype), probe)


def answers_parsed(a: tuple[int, int, int, int, int] | None, answer: bytes,
                   p: tuple[int, int, int, int, int] | None, probe: bytes) -> bool | None:
    """:func:`answers` from two :func:`parse` results."""
    if a is None or p is None:
        return None
    ao, aproto, asrc, _adst, aend = a
    po, pproto, _psrc, pdst, pend = p
    at, pt = ao + IP4_HEADER, po + IP4_HEADER
    if aproto != pproto:
        return None
    if aproto == PROTO_UDP:
        if aend - at < UDP_HEADER or pend - pt < UDP_HEADER:
            return None
        asport, adport, alen = _UDPH.unpack_from(answer, at)
        psport, pdport, _plen = _UDPH.unpack_from(probe, pt)
        if alen < UDP_HEADER:
            return None
        if asrc != pdst or asport != pdport or adport != psport:
            return False  # the answer comes from where the probe went, to its port
        return None if asport in _UDP_KEYED_PORTS or adport in _UDP_KEYED_PORTS else True
    if aproto != PROTO_TCP or aend - at < TCP_HEADER or pend - pt < TCP_HEADER:
        return None
    asport, adport, _aseq, aack, aoff, aflags = _TCPH.unpack_from(answer, at)
    psport, pdport, pseq, _pack, poff, pflags = _TCPH.unpack_from(probe, pt)
    if not (TCP_HEADER <= (aoff >> TCP_DATAOFS_SHIFT) * HEADER_WORD <= aend - at
            and TCP_HEADER <= (poff >> TCP_DATAOFS_SHIFT) * HEADER_WORD <= pend - pt):
        return None  # a header the layers would not parse as TCP
    if asrc != pdst or asport != pdport or adport != psport:
        return False
    # a bare SYN answers nothing (TCP.answers); a SYN is answered with ack = seq + 1
    # when the answer carries ACK
    if aflags & (TCP_BARE | TCP_BARE_UNLESS) == TCP_BARE:
        return False
    if pflags & TCP_SYN and aflags & TCP_ACK:
        return aack == (pseq + 1) & 0xFFFFFFFF
    return True
