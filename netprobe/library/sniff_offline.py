"""``sniff(offline=...)``: replay capture files or packets through ``sniff``'s keywords.

``offline`` is a file (path or binary file object), a list of files, a packet or a
list of packets. ``filter`` is a pcap-filter(7) expression compiled by libpcap's
own compiler for each link type met (``netprobe.wire.bpf``) and run on the bytes
of each record before it is dissected, so packets the filter drops cost nothing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

from netprobe.library.packet_list import PacketList
from netprobe.library.pcap_read import RECORD_LOADERS, RawPcapReader
from netprobe.library.pcap_write import linktype_of
from netprobe.library.sniff_loop import SniffLoop
from netprobe.packet.layer import Layer
from netprobe.wire.bpf import CompiledFilter, compile_filter

__all__ = ["sniff_offline"]


#: the filter compiled for a link type (compiled when the link type is first met)
FilterFor = Callable[[int], CompiledFilter]


def _is_file(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike)) or hasattr(source, "read")


def _from_file(source: Any, bpf: FilterFor | None) -> Iterator[Any]:
    with RawPcapReader(source) as reader:
        packet_from_record = RECORD_LOADERS[reader.format]
        for rec in iter(reader._next_record, None):
            if bpf is None or bpf(rec.linktype).matches(rec.data):
                yield packet_from_record(rec)


def _sources(offline: Any, bpf: FilterFor | None) -> Iterator[Any]:
    if _is_file(offline) or isinstance(offline, Layer):
        offline = [offline]
    items = offline if isinstance(offline, PacketList) else list(offline)
    if items and all(_is_file(x) for x in items):
        for source in items:
            yield from _from_file(source, bpf)
    else:
        yield from (p for p in items if bpf is None or bpf(linktype_of(p)).matches(bytes(p)))


def sniff_offline(offline: Any, *, count: int = 0, store: bool = True,
                  prn: Callable[[Any], Any] | None = None,
                  lfilter: Callable[[Any], bool] | None = None,
                  stop_filter: Callable[[Any], bool] | None = None,
                  filter: str | None = None) -> PacketList:
    """Packets from files or lists, through ``sniff``'s keywords; a ``PacketList``."""
    loop = SniffLoop(count, store, prn, lfilter, stop_filter)
    packets = _sources(offline, functools.cache(functools.partial(compile_filter, filter))
                       if filter else None)
    try:
        for pkt in packets:
            if loop.take(pkt):
                break
    finally:
        packets.close()
    return loop.result()
