"""Streaming read and write of capture files: classic pcap and pcapng.

Reading (``open_capture``) recognises the format by its magic number, reads
in large chunks and yields :class:`CaptureRecord` tuples in constant memory,
whatever the size of the file.  Damage is reported as
:class:`~netprobe.errors.CaptureFileError` with its file offset, after every
good record before it.  Writing (``PcapWriter``, ``PcapngWriter``) is atomic
when the destination is a path.  Timestamps are exact integers throughout.

Batch mode (:class:`netprobe.wire.pcapfile.batch.BatchReader`, numpy, not
imported here): the same reader reads a memory-mapped file's headers, sections
and interfaces, and the records between them are found many at a time, as
arrays of offsets, lengths and times; from what the walk does not expect on,
the reader reads the records itself, so both modes read the same files the
same way.

A file of zero bytes is not a capture file and is refused (as tcpdump does;
tshark shows it as empty); a pcap of only its header is a valid empty capture.
"""

from netprobe.packet.linktypes import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
)
from netprobe.wire.pcapfile.file_info import (
    NETPROBE_PEN,
    CustomBlock,
    InterfaceInfo,
    SectionInfo,
)
from netprobe.wire.pcapfile.pcap_writer import PcapWriter
from netprobe.wire.pcapfile.pcapng_writer import PcapngWriter
from netprobe.wire.pcapfile.reader import CaptureReader, open_capture
from netprobe.wire.pcapfile.record import CaptureRecord
from netprobe.wire.pcapfile.timestamp import (
    MICRO,
    NANO,
    convert_timestamp,
    format_timestamp,
    tsresol_from_units,
    units_from_tsresol,
)

__all__ = ["LINKTYPE_ETHERNET", "LINKTYPE_IPV4", "LINKTYPE_IPV6", "LINKTYPE_LINUX_SLL",
           "LINKTYPE_LINUX_SLL2", "LINKTYPE_NULL", "LINKTYPE_RAW", "MICRO", "NANO",
           "NETPROBE_PEN", "CaptureReader", "CaptureRecord", "CustomBlock",
           "InterfaceInfo", "PcapWriter", "PcapngWriter", "SectionInfo",
           "convert_timestamp", "format_timestamp", "open_capture",
           "tsresol_from_units", "units_from_tsresol"]
