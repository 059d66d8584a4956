"""One captured packet as read from (or written to) a capture file."""

from __future__ import annotations

from typing import NamedTuple

from netprobe.wire.pcapfile.timestamp import NANO, format_timestamp, timestamp_count


class CaptureRecord(NamedTuple):
    """A packet record: its bytes, lengths, link type and exact timestamp.

    The timestamp is ``ts_sec + ts_frac / ts_units`` exactly, in the file's own
    units (10**6 or 10**9 for classic pcap, the interface's ``if_tsresol`` for
    pcapng).  ``ts_frac`` is kept as stored, so a damaged file's fraction of
    ``ts_units`` or more survives a round trip; :attr:`ts_str` and
    :attr:`ts_ns` give the true value.  ``ifindex`` indexes
    :attr:`CaptureReader.interfaces` (0 for classic pcap).

    A tuple, because the reader makes one per packet on hot paths.
    """

    data: bytes
    caplen: int
    wirelen: int
    linktype: int
    ts_sec: int
    ts_frac: int
    ts_units: int
    ifindex: int = 0

    @property
    def ts_str(self) -> str:
        """The timestamp as a full-precision decimal string, e.g. ``'1700000000.123456789'``."""
        return format_timestamp(self.ts_sec, self.ts_frac, self.ts_units)

    @property
    def ts_ns(self) -> int:
        """Nanoseconds since the epoch (rounded down when the units are finer)."""
        return timestamp_count(self.ts_sec, self.ts_frac, self.ts_units, NANO)
