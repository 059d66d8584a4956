"""What ``sniff`` does with each packet, live or from files: Scapy's keyword semantics.

``lfilter`` drops a packet before anything else; a kept packet is stored (unless
``store=False``), counted, given to ``prn`` (whose answer, when not None, is
printed), then ``stop_filter`` may end the sniff; ``count`` kept packets end it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netprobe.library.packet_list import PacketList

__all__ = ["SniffLoop"]


class SniffLoop:
    """Takes packets one by one (:meth:`take`) until it says stop; ``result()`` is the
    ``PacketList`` called ``Sniffed``."""

    __slots__ = ("count", "done", "lfilter", "prn", "seen", "stop_filter", "store", "stored")

    def __init__(self, count: int = 0, store: bool = True,
                 prn: Callable[[Any], Any] | None = None,
                 lfilter: Callable[[Any], bool] | None = None,
                 stop_filter: Callable[[Any], bool] | None = None) -> None:
        self.count = count or 0
        self.store = store
        self.prn = prn
        self.lfilter = lfilter
        self.stop_filter = stop_filter
        self.stored: list[Any] = []
        self.seen = 0
        self.done = False

    def take(self, pkt: Any) -> bool:
        """Handle one packet; True when the sniff is over."""
        if self.lfilter is not None and not self.lfilter(pkt):
            return False
        if self.store:
            self.stored.append(pkt)
        self.seen += 1
        if self.prn is not None:
            shown = self.prn(pkt)
            if shown is not None:
                print(shown)
        if (self.stop_filter is not None and self.stop_filter(pkt)) or \
                (0 < self.count <= self.seen):
            self.done = True
        return self.done

    def result(self) -> PacketList:
        """The stored packets."""
        return PacketList(self.stored, name="Sniffed")
