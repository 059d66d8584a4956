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

from struct import Struct

from netprobe.packet.layers.udp import UDP
from netprobe.packet.shape import ETHERTYPE_IPV4, MATCH_LINKS

_from_bytes = int.from_bytes
_V4_TYPE = ETHERTYPE_IPV4.to_bytes(2, "big")
#: Ethernet's: where the IP header starts and where the ethertype is (the hottest case)
_ETH_IP, _ETH_TYPE, _ = MATCH_LINKS[1]


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
    if len(frame) < off + 20 or frame[off] != 0x45:
        return None  # not IPv4 or with options: let the layers decide
    return off


_IPH = Struct("!BxHxxHxBxxII")  # version/IHL, total length, flags/fragment, proto, src, dst
_HH = Struct("!HH")
_TCP_SEQ = Struct("!HHII")
_TCP_FLAGS = Struct("!H")


def _ipv4(frame: bytes, linktype: int) -> tuple[int, int, int, int, int] | None:
    """(offset, proto, src, dst, end of IP payload) of a plain IPv4 packet, else None."""
    if linktype == 1 and frame[_ETH_TYPE:_ETH_TYPE + 2] == _V4_TYPE:
        off = _ETH_IP
    else:
        off = ip_offset(frame, linktype)
        if off is None:
            return None
    if len(frame) < off + 20:
        return None
    vihl, tl, fragw, proto, src, dst = _IPH.unpack_from(frame, off)
    if vihl != 0x45 or tl < 20 or off + tl > len(frame) or fragw & 0x3FFF:
        return None  # options, odd length or a fragment: let the layers decide
    return off, proto, src, dst, off + tl


def parse(frame: bytes, linktype: int) -> tuple[int, int, int, int, int] | None:
    """The parts of a plain IPv4 TCP/UDP packet the shortcuts use, or None.

    Parse once, then ask :func:`key_of` and :func:`answers_parsed` as often as needed.
    """
    return _ipv4(frame, linktype)


def key_of(parsed: tuple[int, int, int, int, int] | None, frame: bytes) -> bytes | None:
    """:func:`hashkey` from a :func:`parse` result."""
    if parsed is None:
        return None
    off, proto, src, dst, end = parsed
    t = off + 20
    if proto == 6:
        if end - t < 20:
            return None
        hl = (frame[t + 12] >> 4) * 4
        if hl < 20 or t + hl > end:
            return None
        sport, dport = _HH.unpack_from(frame, t)
        return ((src ^ dst) << 24 | 6 << 16 | (sport ^ dport)).to_bytes(7, "big")
    if proto == 17:
        if end - t < 8:
            return None
        sport, dport = _HH.unpack_from(frame, t)
        ulen = frame[t + 4] << 8 | frame[t + 5]
        if ulen < 8 or t + ulen > end:
            return None
        return ((src ^ dst) << 24 | 17 << 16 | (sport ^ dport)).to_bytes(7, "big")
    return None


def hashkey(frame: bytes, linktype: int) -> bytes | None:
    """The packet's ``hashkey()`` from its bytes, or None when only dissection can tell."""
    return key_of(_ipv4(frame, linktype), frame)


def answers(answer: bytes, answer_linktype: int, probe: bytes,
            probe_linktype: int) -> bool | None:
    """Whether ``answer`` answers ``probe`` (both IPv4 TCP or UDP); None when unsure."""
    return answers_parsed(_ipv4(answer, answer_linktype), answer,
                          _ipv4(probe, probe_linktype), probe)


def answers_parsed(a: tuple[int, int, int, int, int] | None, answer: bytes,
                   p: tuple[int, int, int, int, int] | None, probe: bytes) -> bool | None:
    """:func:`answers` from two :func:`parse` results."""
    if a is None or p is None:
        return None
    ao, aproto, asrc, _adst, aend = a
    po, pproto, _psrc, pdst, pend = p
    if aproto != pproto or aproto not in (6, 17):
        return None
    at, pt = ao + 20, po + 20
    need = 20 if aproto == 6 else 8
    if aend - at < need or pend - pt < need:
        return None
    if asrc != pdst:
        return False  # the answer comes from where the probe went
    if aproto == 17:
        if (answer[at + 4] << 8 | answer[at + 5]) < 8:
            return None
        asport, adport = _HH.unpack_from(answer, at)
        psport, pdport = _HH.unpack_from(probe, pt)
        if asport != pdport or adport != psport:
            return False
        if asport in _UDP_KEYED_PORTS or adport in _UDP_KEYED_PORTS:
            return None
        return True
    for frame, t, end in ((answer, at, aend), (probe, pt, pend)):
        hl = (frame[t + 12] >> 4) * 4
        if hl < 20 or t + hl > end:
            return None  # a header the layers would not parse as TCP
    asport, adport, _aseq, aack = _TCP_SEQ.unpack_from(answer, at)
    psport, pdport, pseq, _pack = _TCP_SEQ.unpack_from(probe, pt)
    if asport != pdport or adport != psport:
        return False
    # a bare SYN answers nothing (TCP.answers); a SYN is answered with ack = seq + 1
    # when the answer carries ACK
    if answer[at + 13] & 0x12 == 0x02:
        return False
    if probe[pt + 13] & 0x02 and answer[at + 13] & 0x10:
        return aack == (pseq + 1) & 0xFFFFFFFF
    return True
