"""Write classic pcap files (little-endian, microsecond or nanosecond timestamps)."""

from __future__ import annotations

from netprobe.errors import UsageError
from netprobe.wire.pcapfile.capture_path import CaptureTarget
from netprobe.wire.pcapfile.capture_writer import CaptureWriter
from netprobe.wire.pcapfile.pcap_format import (
    HEADER_STRUCT,
    LINKTYPE_MASK,
    MAGIC_MICRO,
    MAGIC_NANO,
    RECORD_STRUCT,
    VERSION,
)
from netprobe.wire.pcapfile.record import CaptureRecord
from netprobe.wire.pcapfile.timestamp import MICRO, NANO, convert_timestamp

_U32 = 1 << 32
DEFAULT_SNAPLEN = 262144


class PcapWriter(CaptureWriter):
    """A classic pcap writer: one link type, one timestamp resolution.

    ``linktype`` is written as given, so FCS bits in its upper half survive a
    copy.  ``snaplen`` is only the header field: records are written whole.
    Timestamps in other units are converted exactly (rounded down where the
    file's units are coarser).  Writing to a path is atomic: see
    :class:`~netprobe.wire.pcapfile.atomic_output.AtomicOutput`.
    """

    def __init__(self, dest: CaptureTarget, linktype: int, nanosecond: bool = False,
                 snaplen: int = DEFAULT_SNAPLEN) -> None:
        if not 0 <= linktype < _U32:
            raise UsageError(f"link type {linktype} does not fit a pcap header")
        if not 0 <= snaplen < _U32:
            raise UsageError(f"snaplen {snaplen} does not fit a pcap header")
        super().__init__(dest)
        self.linktype_field = linktype
        self.linktype = linktype & LINKTYPE_MASK
        self.ts_units = NANO if nanosecond else MICRO
        self.snaplen = snaplen
        self._pack = RECORD_STRUCT["little"].pack
        magic = MAGIC_NANO if nanosecond else MAGIC_MICRO
        self._emit(HEADER_STRUCT["little"].pack(magic, *VERSION, 0, 0, snaplen, linktype))

    def _framing(self, caplen: int, wirelen: int, ts_sec: int, ts_frac: int, ts_units: int,
                 ifindex: int) -> tuple[bytes, bytes]:
        """The record header: a classic pcap has a single interface, so ``ifindex`` must be 0."""
        if ifindex != 0:
            raise UsageError(
                f"a classic pcap has one interface; cannot write to interface {ifindex}")
        units = self.ts_units
        if ts_units != units or not 0 <= ts_frac < _U32:
            ts_sec, ts_frac = convert_timestamp(ts_sec, ts_frac, ts_units, units)
        if not (0 <= ts_sec < _U32 and 0 <= wirelen < _U32 and caplen < _U32):
            raise self._out_of_range(f"record does not fit classic pcap "
                                     f"(timestamp {ts_sec} s, {caplen}/{wirelen} bytes); "
                                     "use pcapng for timestamps before 1970 or after 2106")
        return self._pack(ts_sec, ts_frac, caplen, wirelen), b""

    def _interface_of(self, rec: CaptureRecord) -> int:
        """Interface 0, for a record of this file's link type only."""
        if rec.linktype != self.linktype:
            raise UsageError(
                f"record has link type {rec.linktype}, this pcap holds link type {self.linktype}; "
                "use pcapng for several link types")
        return 0
