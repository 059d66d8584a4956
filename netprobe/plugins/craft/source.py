"""Where the packets ``craft`` works on come from: an expression, a capture file, hex.

Each source gives :class:`Source` items: a packet (possibly a packet set), the
link type its bytes are written with, and whether it was read from bytes (a
packet read from bytes has every field filled in; an edit must let lengths and
checksums be computed again).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from netprobe.errors import UsageError
from netprobe.packet.layer import Layer
from netprobe.packet.linktypes import LINKTYPE_ETHERNET, LINKTYPE_RAW

#: how many packets a --from file or --from-hex may hold
MAX_PACKETS = 1_000_000


@dataclass
class Source:
    """One packet (or packet set) to craft from."""

    layer: Layer
    #: the capture link type of its bytes, None for headers no capture starts with
    linktype: int | None
    #: read from bytes: every field holds what the bytes held
    from_bytes: bool = False
    #: the capture timestamp (seconds, fraction, units) of a packet read from a file
    ts: tuple[int, int, int] | None = None
    #: the bytes it was read from: an unchanged packet is written and sent as they were
    #: (building a dissected packet again need not give the same bytes, e.g. DNS names
    #: compressed another way)
    raw: bytes | None = None


def linktype_of(layer: Layer) -> int | None:
    """The capture link type a packet starting with ``layer`` is written with.

    IP and IPv6 go as LINKTYPE_RAW (101); a link layer as the link type it is
    registered for (Ether 1, Loopback 0, CookedLinux 113, ...); anything else
    (a bare TCP header, ARP without Ether) has none.
    """
    from netprobe.packet import LINKTYPES

    cls = type(layer)
    if cls.__name__ in ("IP", "IPv6"):
        return LINKTYPE_RAW
    found = [n for n, c in LINKTYPES.items()
             if c is cls or cls.__name__ in getattr(c, "layer_names", ())]
    return min(found) if found else None


def from_expression(text: str) -> list[Source]:
    """The packet (set) an expression describes; UsageError when it does not parse."""
    from netprobe.packet.expr import parse_packet

    packet = parse_packet(text)
    return [Source(packet, linktype_of(packet))]


def from_capture(path: str) -> Iterator[Source]:
    """Every packet of a pcap or pcapng file (``-``: standard input), dissected.

    A file that is not a capture, or is damaged, raises CaptureFileError (exit 4)
    after the packets before the damage have been given.
    """
    from netprobe.packet import LINKTYPES, dissect
    from netprobe.wire.pcapfile import open_capture

    n = 0
    with open_capture(path) as reader:
        for rec in reader:
            n += 1
            if n > MAX_PACKETS:
                raise UsageError(f"{path}: more than {MAX_PACKETS} packets; cut the file "
                                 "first (netprobe read -c N -w OUT)")
            if rec.linktype not in LINKTYPES:
                raise UsageError(f"{path}: packet {n} has link type {rec.linktype}, which "
                                 "netprobe does not dissect")
            if rec.caplen < rec.wirelen:
                raise UsageError(f"{path}: packet {n} was captured in part ({rec.caplen} of "
                                 f"{rec.wirelen} bytes); only whole packets can be crafted")
            data = bytes(rec.data)
            yield Source(dissect(data, rec.linktype), rec.linktype, True,
                         (rec.ts_sec, rec.ts_frac, rec.ts_units), data)


_HEX_JUNK = re.compile(r"[\s:.\-]")


def parse_hex(text: str, linktype: int | None = None) -> Source:
    """One packet from hex digits (spaces, colons, dots and dashes between bytes allowed).

    Without ``linktype`` the first byte decides: a plausible IPv4 or IPv6
    header makes it a raw IP packet, anything else an Ethernet frame.
    """
    from netprobe.packet import LINKTYPES, dissect

    digits = _HEX_JUNK.sub("", text)
    if digits.lower().startswith("0x"):
        digits = digits[2:]
    if not digits:
        raise UsageError("--from-hex: no hex digits")
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), None)
        why = f"{bad!r} is not a hex digit" if bad else "odd number of hex digits"
        raise UsageError(f"--from-hex: {why}") from None
    if linktype is None:
        linktype = guess_linktype(data)
    elif linktype not in LINKTYPES:
        raise UsageError(f"--linktype {linktype}: netprobe does not dissect that link type")
    return Source(dissect(data, linktype), linktype, True, raw=data)


def guess_linktype(data: bytes) -> int:
    """Raw IP (101) when ``data`` starts like an IPv4 or IPv6 header, else Ethernet (1)."""
    if len(data) >= 20 and data[0] >> 4 == 4 and data[0] & 0x0F >= 5:
        total = data[2] << 8 | data[3]
        if 20 <= total <= len(data):
            return LINKTYPE_RAW
    if len(data) >= 40 and data[0] >> 4 == 6:
        plen = data[4] << 8 | data[5]
        if 40 + plen <= len(data):
            return LINKTYPE_RAW
    return LINKTYPE_ETHERNET


def from_hex(texts: Iterable[str], linktype: int | None = None) -> list[Source]:
    """Packets from hex strings; ``-`` reads one packet per line of standard input."""
    import sys

    out: list[Source] = []
    for text in texts:
        if text == "-":
            for line in sys.stdin:
                if line.strip() and not line.lstrip().startswith("#"):
                    out.append(parse_hex(line, linktype))
                    if len(out) > MAX_PACKETS:
                        raise UsageError(f"--from-hex: more than {MAX_PACKETS} packets")
        else:
            out.append(parse_hex(text, linktype))
    return out
