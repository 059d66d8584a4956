"""Packets shown one after another, as ``read`` and ``sniff`` show them.

JSON records, or one tcpdump-like line per packet (its time stamp as ``-t``
.. ``-tttt`` asks, relative to the packet before or the first) and, with
``-x``/``-xx``, its bytes in hex. The pieces are :mod:`netprobe.services.packetview`'s.
Also the one filter the two commands take, as ``--filter`` or as trailing words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.services import packetview

if TYPE_CHECKING:
    from netprobe.packet.layer import Layer
    from netprobe.services.output import Output

__all__ = ["PacketShow", "one_filter"]


def one_filter(command: str, bpf: str | None, expression: str | None) -> str | None:
    """The filter given as ``--filter`` (``bpf``) or as the trailing words
    (``expression``); both at once is a :class:`UsageError` of ``command``."""
    if expression is None:
        return bpf
    if bpf is not None:
        raise UsageError(f"{command}: two filters, --filter {bpf!r} and {expression!r}: "
                         "give one")
    return expression


class PacketShow:
    """Shows packets in turn on ``output``; keeps the times the stamps are relative to."""

    def __init__(self, output: Output, link: bool, hexdump: int, tstamp: int) -> None:
        self.output = output
        self.link = link
        self.hexdump = hexdump
        self.tstamp = tstamp
        self.first_ns: int | None = None
        self.previous_ns: int | None = None

    @property
    def json(self) -> bool:
        """Whether packets are shown as JSON records (:meth:`record`), else as lines."""
        return self.output.json

    def record(self, n: int, ts_str: str, wirelen: int, caplen: int, linktype: int,
               pkt: Layer) -> None:
        """Packet number ``n`` as a JSON record."""
        self.output.emit(packetview.packet_record(n, ts_str, wirelen, caplen, linktype, pkt))

    def line(self, n: int, ts_ns: int, wirelen: int, data: bytes, pkt: Layer) -> None:
        """Packet number ``n`` as a line (and its bytes in hex, when asked)."""
        output = self.output
        self.first_ns = ts_ns if self.first_ns is None else self.first_ns
        ts = packetview.time_stamp(ts_ns, self.tstamp, self.previous_ns, self.first_ns)
        self.previous_ns = ts_ns
        output.line(packetview.packet_line(n, ts, wirelen, pkt, self.link))
        if self.hexdump:
            skip = 0 if self.hexdump > 1 else packetview.link_header_length(pkt, data)
            for text in packetview.hex_lines(data[skip:]):
                output.line(text)
