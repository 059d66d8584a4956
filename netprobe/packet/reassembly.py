"""IP reassembly on bytes: IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5) fragments.

The counterpart of ``fragment.py``: pure functions that take the IP packets of
one datagram's fragments (each starting at its IP header) and give the packet
they were cut from, or None while a piece is missing. Where fragments overlap
the bytes that arrived first are kept. Grouping fragments into datagrams is the
caller's business; :func:`ipv4_fragment_key`/:func:`ipv6_fragment_key` give the
keys the RFCs use.
"""

from __future__ import annotations

from struct import Struct

from netprobe.packet.checksum import checksum
from netprobe.packet.fragment import FRAGMENT, MF, ipv6_header_chain

__all__ = ["fragment_header_at", "ipv4_fragment_key", "ipv6_fragment_key", "reassemble_ipv4",
           "reassemble_ipv6"]

_H = Struct("!H")
_I = Struct("!I")


def ipv4_fragment_key(packet: bytes) -> tuple[bytes, bytes, int, int] | None:
    """(source, destination, protocol, identification) of an IPv4 fragment, or None
    when ``packet`` is not a fragment (offset 0 and no More Fragments flag)."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    word = _H.unpack_from(packet, 6)[0]
    if not word & (MF | 0x1FFF):
        return None
    return packet[12:16], packet[16:20], packet[9], _H.unpack_from(packet, 4)[0]


def _bits(packet: bytes) -> tuple[int, int, bytes]:
    """(offset in bytes, more-fragments flag, data) of one IPv4 fragment."""
    hl = (packet[0] & 0x0F) * 4
    total = _H.unpack_from(packet, 2)[0]
    end = total if hl <= total <= len(packet) else len(packet)
    word = _H.unpack_from(packet, 6)[0]
    return (word & 0x1FFF) * 8, word & MF, packet[hl:end]


def _join(pieces: list[tuple[int, int, bytes]]) -> bytes | None:
    """The data of (offset, more, data) pieces, or None while a hole or the end is missing."""
    pieces = sorted(pieces, key=lambda p: p[0])
    ends = [off + len(data) for off, more, data in pieces if not more]
    if not ends:
        return None
    total = min(ends)
    buf = bytearray(total)
    have = 0  # bytes known from 0
    for off, _more, data in pieces:
        if off > have:
            return None  # a hole
        stop = min(off + len(data), total)
        if stop > have:
            buf[have:stop] = data[have - off:stop - off]
            have = stop
    return bytes(buf) if have >= total else None


def reassemble_ipv4(fragments: list[bytes]) -> bytes | None:
    """The IPv4 packet the ``fragments`` (one datagram's, any order) were cut from.

    The header is the first fragment's (offset 0, options included) with the
    More Fragments flag and offset cleared, the total length and the checksum
    recomputed. None while a fragment is missing.
    """
    firsts = [f for f in fragments if _bits(f)[0] == 0]
    if not firsts:
        return None
    data = _join([_bits(f) for f in fragments])
    if data is None:
        return None
    first = firsts[0]
    hl = (first[0] & 0x0F) * 4
    hdr = bytearray(first[:hl])
    _H.pack_into(hdr, 2, (hl + len(data)) & 0xFFFF)
    word = _H.unpack_from(hdr, 6)[0]
    _H.pack_into(hdr, 6, word & 0xC000)
    _H.pack_into(hdr, 10, 0)
    _H.pack_into(hdr, 10, checksum(bytes(hdr)))
    return bytes(hdr) + data


def fragment_header_at(packet: bytes) -> tuple[int, int] | None:
    """(offset of the Fragment header, offset of the byte naming it) in an IPv6 packet."""
    if len(packet) < 40 or packet[0] >> 4 != 6:
        return None
    _, _, pos, nh_at = ipv6_header_chain(packet, len(packet))
    if packet[nh_at] != FRAGMENT or pos + 8 > len(packet):
        return None
    return pos, nh_at


def ipv6_fragment_key(packet: bytes) -> tuple[bytes, bytes, int] | None:
    """(source, destination, identification) of an IPv6 fragment, or None when
    ``packet`` has no Fragment header."""
    found = fragment_header_at(packet)
    if found is None:
        return None
    pos, _ = found
    return packet[8:24], packet[24:40], _I.unpack_from(packet, pos + 4)[0]


def reassemble_ipv6(fragments: list[bytes]) -> bytes | None:
    """The IPv6 packet the ``fragments`` (one datagram's, any order) were cut from.

    The unfragmentable part is the first fragment's, its last next-header byte
    set to what the Fragment header named, the payload length recomputed; the
    Fragment header is gone. None while a fragment is missing.
    """
    pieces = []
    first = None
    for f in fragments:
        found = fragment_header_at(f)
        if found is None:
            continue
        pos, nh_at = found
        plen = _H.unpack_from(f, 4)[0]
        end = 40 + plen if 40 + plen <= len(f) else len(f)
        word = _H.unpack_from(f, pos + 2)[0]
        off = word & 0xFFF8
        pieces.append((off, word & 1, f[pos + 8:end]))
        if off == 0 and first is None:
            first = (f, pos, nh_at)
    if first is None:
        return None
    data = _join(pieces)
    if data is None:
        return None
    f, pos, nh_at = first
    unfrag = bytearray(f[:pos])
    unfrag[nh_at] = f[pos]
    _H.pack_into(unfrag, 4, (len(unfrag) - 40 + len(data)) & 0xFFFF)
    return bytes(unfrag) + data
