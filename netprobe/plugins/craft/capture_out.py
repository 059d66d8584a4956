"""``craft -w OUT``: the crafted packets as a capture file."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.plugins.craft.plan import Crafted

if TYPE_CHECKING:
    from netprobe.wire.pcapfile.capture_writer import CaptureWriter


def write_capture(path: str, crafted: list[Crafted]) -> None:
    """Write the packets to ``path`` (pcapng if it ends in .pcapng, else pcap), atomically.

    Packets read from a capture keep their timestamps; made ones get the time of
    writing. A pcap holds one link type; a pcapng one interface per link type.
    Nothing is written when a packet has no link type (a bare TCP header).
    """
    from netprobe.wire.pcapfile import PcapngWriter, PcapWriter

    linktypes = []
    for c in crafted:
        if c.linktype is None:
            raise UsageError(f"{type(c.layer).__name__} is no link layer: a capture file needs "
                             "packets that start with Ether(), IP() or IPv6() (or another "
                             "link layer)")
        if c.linktype not in linktypes:
            linktypes.append(c.linktype)
    pcapng = path.endswith(".pcapng")
    if not pcapng and len(linktypes) > 1:
        raise UsageError(f"{path}: the packets have several link types "
                         f"({', '.join(map(str, linktypes))}); write a .pcapng file instead")
    writer: CaptureWriter
    ifaces: dict[int, int] = {}
    if pcapng:
        writer = PcapngWriter(path)
        for lt in linktypes:
            ifaces[lt] = writer.add_interface(lt)
    else:
        writer = PcapWriter(path, linktypes[0] if linktypes else 101, nanosecond=True)
    try:
        now = time.time_ns()
        for c in crafted:
            sec, frac, units = c.ts if c.ts is not None else (now // 10**9, now % 10**9, 10**9)
            data = c.build()
            if pcapng:
                writer.write(data, sec, frac, units, ifindex=ifaces[c.linktype])
            else:
                writer.write(data, sec, frac, units)
    except BaseException:
        writer.abort()
        raise
    writer.close()
