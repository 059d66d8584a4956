"""Scapy's reassembly helpers on packets: ``defrag``, ``defragment``, ``fragment6``,
``defragment6``.

The byte work is floor 1's (``packet/reassembly.py``, ``packet/fragment.py``);
this module finds the IP header in each packet, groups fragments into datagrams
and dissects the result again from the packet's own first layer, so a
reassembled frame keeps its link header (the first fragment's).

Unlike Scapy 2.8, a reassembled IPv4 packet keeps its protocol number and
dissects into its upper layer (Scapy's comes back as ``proto=0`` and ``Raw``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from netprobe.errors import UsageError
from netprobe.library.packet_list import PacketList
from netprobe.packet.dissect import dissect_as
from netprobe.packet.fragment import fragment_ipv6, ipv6_header_chain
from netprobe.packet.reassembly import (
    fragment_header_at,
    ipv4_fragment_key,
    ipv6_fragment_key,
    reassemble_ipv4,
    reassemble_ipv6,
)

__all__ = ["defrag", "defragment", "defragment6", "fragment6"]


def _ip_split(pkt: Any, name: str) -> tuple[bytes, bytes] | None:
    """(link bytes before the ``name`` layer, that layer's bytes to the end), or None."""
    cur = pkt
    while cur is not None and type(cur).__name__ != name:
        cur = cur.payload or None
    if cur is None:
        return None
    whole = bytes(pkt)
    mine = bytes(cur)
    return whole[:len(whole) - len(mine)], mine


def _rebuilt(template: Any, link: bytes, ip: bytes) -> Any:
    """``link + ip`` dissected from ``template``'s first layer, carrying its time."""
    pkt = dissect_as(type(template), link + ip)
    try:
        pkt.time = template.time
    except AttributeError:
        pass
    return pkt


def _groups(plist: Iterable[Any]) -> tuple[list[Any], dict[Any, list[tuple[int, Any, bytes,
                                                                              bytes]]]]:
    """(the packets that are no IPv4 fragments, fragments by datagram key in arrival order)."""
    whole: list[Any] = []
    groups: dict[Any, list[tuple[int, Any, bytes, bytes]]] = {}
    for i, pkt in enumerate(plist):
        split = _ip_split(pkt, "IP")
        key = None if split is None else ipv4_fragment_key(split[1])
        if key is None:
            whole.append((i, pkt))
            continue
        groups.setdefault(key, []).append((i, pkt, split[0], split[1]))
    return whole, groups


def _reassembled(frags: list[tuple[int, Any, bytes, bytes]]) -> Any | None:
    ip = reassemble_ipv4([f[3] for f in frags])
    if ip is None:
        return None
    first = min(frags, key=lambda f: (f[3][6] << 8 | f[3][7]) & 0x1FFF)
    pkt = _rebuilt(first[1], first[2], ip)
    # as in Scapy: the length and checksum are left to be computed (to the same values)
    hdr = pkt.getlayer("IP")
    if hdr is not None:
        hdr.len = hdr.chksum = None
    return pkt


def defrag(plist: Iterable[Any]) -> tuple[PacketList, PacketList, PacketList]:
    """Reassemble IPv4 fragments: (packets not fragmented, reassembled packets,
    fragments of datagrams still incomplete), as Scapy's ``defrag``."""
    whole, groups = _groups(plist)
    done, missing = [], []
    for frags in groups.values():
        pkt = _reassembled(frags)
        if pkt is None:
            missing.extend(f[1] for f in frags)
        else:
            done.append(pkt)
    return (PacketList([p for _, p in whole], name="Unfragmented"),
            PacketList(done, name="Defragmented"),
            PacketList(missing, name="Missing fragments"))


def defragment(plist: Iterable[Any]) -> PacketList:
    """Every packet in order, each IPv4 datagram's fragments replaced by the packet
    they make, where its last fragment was. As in Scapy, the fragments of an
    incomplete datagram are left out."""
    whole, groups = _groups(plist)
    placed = list(whole)
    for frags in groups.values():
        pkt = _reassembled(frags)
        if pkt is not None:
            placed.append((max(f[0] for f in frags), pkt))
    placed.sort(key=lambda x: x[0])
    return PacketList([p for _, p in placed], name="Defragmented")


def defragment6(packets: Iterable[Any]) -> Any:
    """The packet that IPv6 fragments (one datagram's, any order) were cut from.

    Raises UsageError when none is a fragment or a piece is missing.
    """
    frags = []
    for pkt in packets:
        split = _ip_split(pkt, "IPv6")
        if split is not None and ipv6_fragment_key(split[1]) is not None:
            frags.append((pkt, split[0], split[1]))
    if not frags:
        raise UsageError("defragment6: no IPv6 fragment among the packets")
    key = ipv6_fragment_key(frags[0][2])
    frags = [f for f in frags if ipv6_fragment_key(f[2]) == key]
    ip = reassemble_ipv6([f[2] for f in frags])
    if ip is None:
        raise UsageError("defragment6: a fragment is missing")
    first = next((f for f in frags if _offset6(f[2]) == 0), frags[0])
    return _rebuilt(first[0], first[1], ip)


def _offset6(ip: bytes) -> int:
    found = fragment_header_at(ip)
    return -1 if found is None else (ip[found[0] + 2] << 8 | ip[found[0] + 3]) & 0xFFF8


def fragment6(pkt: Any, fragSize: int) -> list[Any]:  # noqa: N803 - Scapy's keyword
    """Cut an IPv6 packet into fragments of at most ``fragSize`` bytes each, link
    header included, as Scapy's ``fragment6``.

    The packet may carry an ``IPv6ExtHdrFragment`` marking where to cut (its ``id``
    is used when set, else a random one); without one the Fragment header goes
    after the unfragmentable part (Hop-by-Hop and Routing headers, RFC 8200). A
    packet that fits comes back alone (given an atomic Fragment header if it had
    none), and so does one that leaves no room for data, as in Scapy.
    """
    split = _ip_split(pkt, "IPv6")
    if split is None:
        raise UsageError("fragment6: the packet has no IPv6 header")
    link, ip = split
    frag_hdr = pkt.getlayer("IPv6ExtHdrFragment")
    ident = getattr(frag_hdr, "id", None) if frag_hdr is not None else None
    if frag_hdr is not None:
        ip = _without_fragment_header(ip)
    unfrag_part = ipv6_header_chain(ip, len(ip))[:2]
    unfrag = unfrag_part[0]
    if len(link) + len(ip) + 8 <= fragSize:  # fits, Fragment header included
        if frag_hdr is not None:
            return [pkt]
        return [_rebuilt(pkt, link, _with_fragment_header(ip, unfrag_part))]
    room = fragSize - len(link) - unfrag - 8
    size = room // 8 * 8
    if size < 8:
        return [pkt]  # as Scapy: no room for data, the packet goes as it is
    if ident is None:
        ident = random.randrange(0, 1 << 32)  # the draw Scapy makes (its RandInt)
    pieces = fragment_ipv6(ip, size, ident=ident)
    if len(pieces) > 1 and len(pieces[-2]) - unfrag - 8 + len(pieces[-1]) - unfrag - 8 <= room:
        pieces[-2:] = [_joined(pieces[-2], pieces[-1], unfrag)]
    return [_raw_after_fragment_header(_rebuilt(pkt, link, piece)) for piece in pieces]


def _raw_after_fragment_header(frag: Any) -> Any:
    """The fragment with what follows its Fragment header as ``Raw``, as Scapy's
    ``fragment6`` gives it (the first fragment's transport header is not read)."""
    hdr = frag.getlayer("IPv6ExtHdrFragment")
    if hdr is not None and hdr.payload and type(hdr.payload).__name__ != "Raw":
        from netprobe.packet.layers.raw import Raw

        data = bytes(hdr.payload)
        hdr.remove_payload()
        hdr.add_payload(Raw(load=data))
    return frag


def _joined(before: bytes, last: bytes, unfrag: int) -> bytes:
    """The last two fragments as one (as Scapy, the last one may carry up to the whole
    room left, not only a multiple of 8 bytes)."""
    out = bytearray(before + last[unfrag + 8:])
    out[4:6] = ((len(out) - 40) & 0xFFFF).to_bytes(2, "big")
    out[unfrag + 3] &= 0xFE  # no more fragments
    return bytes(out)


def _without_fragment_header(ip: bytes) -> bytes:
    found = fragment_header_at(ip)
    if found is None:
        return ip
    pos, nh_at = found
    out = bytearray(ip[:pos] + ip[pos + 8:])
    out[nh_at] = ip[pos]
    out[4:6] = (max(len(out) - 40, 0) & 0xFFFF).to_bytes(2, "big")
    return bytes(out)


def _with_fragment_header(ip: bytes, unfrag: tuple[int, int]) -> bytes:
    """``ip`` with an atomic Fragment header (offset 0, no more, ID 0) after its
    unfragmentable part, as Scapy's ``fragment6`` gives a packet that needs no cutting."""
    end, nh_at = unfrag
    out = bytearray(ip[:end] + bytes((ip[nh_at], 0, 0, 0, 0, 0, 0, 0)) + ip[end:])
    out[nh_at] = 44
    out[4:6] = ((len(out) - 40) & 0xFFFF).to_bytes(2, "big")
    return bytes(out)
