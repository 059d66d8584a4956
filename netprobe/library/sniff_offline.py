"""``sniff(offline=...)``: replay capture files or packets through ``sniff``'s keywords.

``offline`` is a file (path or binary file object), a list of files, a packet or a
list of packets. ``filter`` is a pcap-filter(7) expression compiled by libpcap's
own compiler for each link type met (``netprobe.wire.bpf``) and run on the bytes
of each record before it is dissected, so packets the filter drops cost nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from netprobe.library.packet_list import PacketList
from netprobe.library.pcap_read import RECORD_LOADERS, RawPcapReader
from netprobe.library.pcap_write import linktype_of
from netprobe.library.sniff_loop import SniffLoop
from netprobe.packet.layer import Layer
from netprobe.wire.bpf import CompiledFilter, compile_filter

__all__ = ["sniff_offline"]


class _Filters:
    """One compiled program per link type, compiled when the link type is first met."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.by_linktype: dict[int, CompiledFilter] = {}

    def matches(self, data: bytes, linktype: int) -> bool:
        f = self.by_linktype.get(linktype)
        if f is None:
            f = self.by_linktype[linktype] = compile_filter(self.expression, linktype)
        return f.matches(data)


def _is_file(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike)) or hasattr(source, "read")


def _from_file(source: Any, bpf: _Filters | None) -> Iterator[Any]:
    with RawPcapReader(source) as reader:
        packet_from_record = RECORD_LOADERS[reader.format]
        for rec in iter(reader._next_record, None):
            if bpf is None or bpf.matches(rec.data, rec.linktype):
                yield packet_from_record(rec)


def _from_packets(packets: Iterable[Any], bpf: _Filters | None) -> Iterator[Any]:
    for pkt in packets:
        if bpf is not None and not bpf.matches(bytes(pkt), linktype_of(pkt)):
            continue
        yield pkt


def _sources(offline: Any, bpf: _Filters | None) -> Iterator[Any]:
    if _is_file(offline):
        yield from _from_file(offline, bpf)
    elif isinstance(offline, Layer):
        yield from _from_packets([offline], bpf)
    else:
        items = list(offline) if not isinstance(offline, PacketList) else offline
        if items and all(_is_file(x) for x in items):
            for source in items:
                yield from _from_file(source, bpf)
        else:
            yield from _from_packets(items, bpf)


def sniff_offline(offline: Any, *, count: int = 0, store: bool = True,
                  prn: Callable[[Any], Any] | None = None,
                  lfilter: Callable[[Any], bool] | None = None,
                  stop_filter: Callable[[Any], bool] | None = None,
                  filter: str | None = None) -> PacketList:
    """Packets from files or lists, through ``sniff``'s keywords; a ``PacketList``."""
    loop = SniffLoop(count, store, prn, lfilter, stop_filter)
    packets = _sources(offline, _Filters(filter) if filter else None)
    try:
        for pkt in packets:
            if loop.take(pkt):
                break
    finally:
        packets.close()
    return loop.result()
