"""IP fragmentation of built packets: IPv4 (RFC 791) and IPv6 (RFC 8200 section 4.5).

Works on bytes, after building: whatever the packet holds (a crafted bad
checksum, options, extension headers) is cut as it is, and each fragment gets
the headers the RFCs say it must carry. A link-layer header in front (Ethernet,
VLAN tags) is repeated on every fragment.

``size`` is the number of payload bytes each fragment carries (the last one
may carry fewer): the IPv4 payload, or IPv6's fragmentable part. Offsets
count in units of 8 bytes, so ``size`` must be a multiple of 8.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from struct import Struct

from netprobe.errors import UsageError
from netprobe.packet.checksum import checksum
from netprobe.packet.shape import LINKS, network_start

__all__ = ["fragment", "fragment_ipv4", "fragment_ipv6", "in_first_fragment",
           "ipv6_header_chain", "network_offset", "option_spans"]

_H = Struct("!H")
_FRAG6 = Struct("!BBHI")
#: IPv6 headers that sit in the unfragmentable part (Hop-by-Hop, Routing), the
#: one that may precede a Routing header there (Destination Options), and the
#: Fragment header (``reassembly.py`` reads the same numbers)
HOP_BY_HOP, ROUTING, FRAGMENT, DEST_OPTS = 0, 43, 44, 60
#: the headers that may come before a Fragment header (:func:`ipv6_header_chain` walks them)
_CHAIN = (HOP_BY_HOP, ROUTING, DEST_OPTS)
#: IPv4's More Fragments flag, in the flags-and-offset word
MF = 0x2000


def network_offset(frame: bytes, linktype: int) -> int:
    """Where the IP header starts in ``frame``: after the link header and VLAN tags
    (:func:`netprobe.packet.shape.network_start`).

    Raises UsageError when the frame carries no IPv4 or IPv6 packet that can be
    found at a fixed place (only raw-IP and Ethernet link types are read).
    """
    shape = LINKS.get(linktype)
    if shape is not None and shape.header_len == 0:
        return 0  # raw IP: the caller reads the version
    if linktype != 1:
        raise UsageError(f"cannot fragment packets of link type {linktype}: only Ethernet "
                         "frames and IP packets")
    start = network_start(frame, linktype)
    if start is None:
        raise UsageError("only IPv4 and IPv6 packets can be fragmented")
    return start[0]


def fragment(frame: bytes, size: int, *, linktype: int = 101,
             ident: int | None = None) -> list[bytes]:
    """Cut the IP packet in ``frame`` into fragments of ``size`` payload bytes.

    A packet whose payload fits in ``size`` comes back alone and unchanged.
    ``ident`` is the IPv6 fragment identification (default: a CRC-32 of the
    packet, so the same packet is always cut the same way); for IPv4 it is
    used only when the header's own ID is 0, because Linux gives each raw
    packet with ID 0 an ID of its own and the fragments would no longer belong
    together.
    """
    off = network_offset(frame, linktype)
    link, packet = frame[:off], frame[off:]
    if not packet:
        raise UsageError("no IP header to fragment")
    version = packet[0] >> 4
    if ident is None:
        ident = zlib.crc32(packet) or 1
    if version == 4:
        pieces = fragment_ipv4(packet, size, ident=ident & 0xFFFF or 1)
    elif version == 6:
        pieces = fragment_ipv6(packet, size, ident=ident & 0xFFFFFFFF)
    else:
        raise UsageError(f"IP version {version}: only IPv4 and IPv6 packets can be fragmented")
    if len(pieces) == 1:  # small enough already: unchanged
        return [frame]
    return [link + p for p in pieces]


def _check_size(size: int) -> None:
    if size < 8 or size % 8:
        raise UsageError(f"fragment size {size}: must be a positive multiple of 8 (offsets "
                         "count in units of 8 bytes)")


def option_spans(options: bytes) -> Iterator[tuple[int, int, int]]:
    """(offset, kind, length byte) of each option of an IPv4 or TCP option list that has a
    length byte, in order. No-operation (kind 1) is skipped; End of Options (kind 0)
    ends the walk, and so does an option cut before its length byte. An option whose
    length is under 2 is the last one given: what follows it cannot be read."""
    i, n = 0, len(options)
    while i < n:
        kind = options[i]
        if kind == 0:  # End of Options: the rest is padding
            return
        if kind == 1:
            i += 1
            continue
        if i + 1 >= n:
            return
        olen = options[i + 1]
        yield i, kind, olen
        if olen < 2:
            return
        i += olen


def copied_ipv4_options(options: bytes) -> bytes:
    """The options a later IPv4 fragment carries: those with the copy flag, padded.

    RFC 791: options whose type has the high bit set go in every fragment, the
    others only in the first. No-operation options are dropped too.
    """
    out = bytearray()
    for i, kind, olen in option_spans(options):
        if olen < 2:
            break  # damaged: what follows cannot be read as options
        if kind & 0x80:
            out += options[i:i + olen]
    if len(out) % 4:
        out += bytes(4 - len(out) % 4)
    return bytes(out)


def fragment_ipv4(packet: bytes, size: int, *, ident: int = 1) -> list[bytes]:
    """Fragments of an IPv4 packet (``packet`` starts at its header).

    Every fragment keeps the original header's fields (DF included: the packet
    was built that way on purpose) with its own total length, offset, MF flag
    and header checksum. A packet that is itself a fragment is cut further:
    offsets continue from its own and its MF flag stays on the last piece.
    An ID of 0 is replaced by ``ident``.
    """
    _check_size(size)
    if len(packet) < 20:
        raise UsageError(f"IPv4 packet of {len(packet)} bytes: too short to fragment")
    hl = (packet[0] & 0x0F) * 4
    total = _H.unpack_from(packet, 2)[0]
    if hl < 20 or hl > len(packet):
        raise UsageError(f"IPv4 header length {hl}: cannot fragment")
    if total == 0 or total > len(packet):
        total = len(packet)
    if total < hl:
        raise UsageError(f"IPv4 total length {total} is less than the header: cannot fragment")
    payload = packet[hl:total]
    if len(payload) <= size:
        return [packet]
    word = _H.unpack_from(packet, 6)[0]
    first_off = word & 0x1FFF
    keep_flags = word & 0xC000  # reserved ("evil") and DF
    last_mf = word & MF
    if first_off * 8 + len(payload) > 0xFFFF:
        raise UsageError("fragment offsets would run past 65535 bytes")
    header = bytearray(packet[:hl])
    if header[4] == 0 and header[5] == 0:
        _H.pack_into(header, 4, ident & 0xFFFF)
    later = bytearray(header[:20])
    later_opts = copied_ipv4_options(bytes(header[20:hl]))
    later += later_opts
    later[0] = 0x40 | (len(later) // 4)
    out = []
    for pos in range(0, len(payload), size):
        chunk = payload[pos:pos + size]
        last = pos + size >= len(payload)
        hdr = bytearray(header if pos == 0 else later)
        _H.pack_into(hdr, 2, len(hdr) + len(chunk))
        mf = last_mf if last else MF
        _H.pack_into(hdr, 6, keep_flags | mf | (first_off + pos // 8))
        _H.pack_into(hdr, 10, 0)
        _H.pack_into(hdr, 10, checksum(bytes(hdr)))
        out.append(bytes(hdr) + chunk)
    return out


def ipv6_header_chain(packet: bytes, end: int) -> tuple[int, int, int, int]:
    """Walk the extension headers that may come before a Fragment header.

    The walk follows Hop-by-Hop, Routing and Destination Options headers from
    the IPv6 header (``packet`` starts there, 40 bytes at least) and stops at
    the first other header, or at one whose first two bytes are not before
    ``end``. It gives (end of the unfragmentable part, offset of the
    next-header byte naming what follows that part, offset where the walk
    stopped, offset of the next-header byte naming the header there). The
    unfragmentable part is the IPv6 header and the headers every node on the
    path reads: Hop-by-Hop, Routing, and Destination Options before a Routing
    header. A stop offset past ``end``, or a stop at one of the three walked
    headers, means the chain is cut short; nothing here raises.
    """
    unfrag_end, unfrag_nh_at = 40, 6
    pos, nh_at = 40, 6
    while packet[nh_at] in _CHAIN and pos + 2 <= end:
        walked = packet[nh_at]
        nh_at = pos
        pos += (packet[pos + 1] + 1) * 8
        if walked != DEST_OPTS:
            unfrag_end, unfrag_nh_at = pos, nh_at
    return unfrag_end, unfrag_nh_at, pos, nh_at


def _unfragmentable_end(packet: bytes, end: int) -> tuple[int, int]:
    """(end of the unfragmentable part, offset of the nh byte that names what follows it);
    a usage error when the chain of headers is cut short or holds a Fragment header."""
    unfrag_end, nh_at, stop, stop_nh_at = ipv6_header_chain(packet, end)
    if packet[stop_nh_at] in _CHAIN or stop > end:
        raise UsageError("IPv6 extension headers cut short: cannot fragment")
    if packet[stop_nh_at] == FRAGMENT:
        raise UsageError("the IPv6 packet is a fragment already (it has a Fragment "
                         "header)")
    return unfrag_end, nh_at


def fragment_ipv6(packet: bytes, size: int, *, ident: int) -> list[bytes]:
    """Fragments of an IPv6 packet (``packet`` starts at its header).

    Each fragment is the unfragmentable part (with its last next-header byte
    set to 44), a Fragment header (the original next header, the offset, the M
    flag, ``ident``) and ``size`` bytes of the fragmentable part.
    """
    _check_size(size)
    if len(packet) < 40:
        raise UsageError(f"IPv6 packet of {len(packet)} bytes: too short to fragment")
    plen = _H.unpack_from(packet, 4)[0]
    if plen == 0 and len(packet) > 40:
        raise UsageError("IPv6 jumbograms (payload length 0) cannot be fragmented")
    end = min(40 + plen, len(packet))
    unfrag_end, nh_at = _unfragmentable_end(packet, end)
    rest = packet[unfrag_end:end]
    if len(rest) <= size:
        return [packet]
    if (len(rest) - 1) // 8 > 0x1FFF:
        raise UsageError("fragment offsets would run past 65535 bytes")
    unfrag = bytearray(packet[:unfrag_end])
    next_header = unfrag[nh_at]
    unfrag[nh_at] = FRAGMENT
    out = []
    for pos in range(0, len(rest), size):
        chunk = rest[pos:pos + size]
        more = 0 if pos + size >= len(rest) else 1
        hdr = bytearray(unfrag)
        _H.pack_into(hdr, 4, unfrag_end - 40 + 8 + len(chunk))
        frag = _FRAG6.pack(next_header, 0, (pos // 8) << 3 | more, ident)
        out.append(bytes(hdr) + frag + chunk)
    return out


def in_first_fragment(layer: object) -> bool:
    """True when ``layer`` rides in the first of several fragments (offset 0, more to come).

    Such a probe carries only the start of its upper layer: an answer can be
    compared with its headers, not with the rest of its payload.
    """
    under = getattr(layer, "_under", None)
    while under is not None:
        name = type(under).__name__
        if name == "IPv6ExtHdrFragment":
            return under.offset == 0 and under.m == 1  # type: ignore[attr-defined]
        if name == "IP":
            return under.frag == 0 and bool(under.flags & 1)  # type: ignore[attr-defined]
        under = getattr(under, "_under", None)
    return False
