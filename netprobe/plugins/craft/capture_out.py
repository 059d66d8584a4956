"""``craft -w OUT``: the crafted packets as a capture file."""

from __future__ import annotations

import time

from netprobe.errors import UsageError
from netprobe.plugins.craft.plan import Crafted


def write_capture(path: str, crafted: list[Crafted]) -> None:
    """Write the packets to ``path`` (pcapng if it ends in .pcapng, else pcap), atomically.

    Packets read from a capture keep their timestamps; made ones get the time of
    writing. A pcap holds one link type; a pcapng one interface per link type.
    Nothing is written when a packet has no link type (a bare TCP header).
    """
    from netprobe.services.capture_out import CaptureOut

    linktypes = []
    for c in crafted:
        if c.linktype is None:
            raise UsageError(f"{type(c.layer).__name__} is no link layer: a capture file needs "
                             "packets that start with Ether(), IP() or IPv6() (or another "
                             "link layer)")
        if c.linktype not in linktypes:
            linktypes.append(c.linktype)
    out = CaptureOut(path, nanosecond=True)
    if not out.pcapng and len(linktypes) > 1:
        raise UsageError(f"{path}: the packets have several link types "
                         f"({', '.join(map(str, linktypes))}); write a .pcapng file instead")
    try:
        for lt in linktypes if out.pcapng else ():
            out.interface(lt)  # every interface first, in order of appearance
        now = time.time_ns()
        for c in crafted:
            sec, frac, units = c.ts if c.ts is not None else (now // 10**9, now % 10**9, 10**9)
            out.write(c.build(), c.linktype or 0, sec, frac, units)
    except BaseException:
        out.abort()
        raise
    out.close(empty_linktype=101)
