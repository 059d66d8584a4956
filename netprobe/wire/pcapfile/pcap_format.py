"""Classic pcap: the 24-byte file header and the record stream.

Layout (all fields in the writer's byte order, told by the magic number)::

    header:  magic u32, version major u16, minor u16, thiszone i32, sigfigs u32,
             snaplen u32, linktype u32 (low 16 bits: LINKTYPE_*, upper bits: FCS info)
    record:  ts_sec u32, ts_frac u32, caplen u32, wirelen u32, data[caplen]

The "modified" (Kuznetzov) variant, magic 0xA1B2CD34, adds ifindex u32,
protocol u16, pkt_type u8 and a pad byte to each record header (24 bytes).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile.record import CaptureRecord
from netprobe.wire.pcapfile.timestamp import MICRO, NANO, tsresol_from_units

if TYPE_CHECKING:
    from netprobe.wire.pcapfile.chunked_input import ChunkedInput
    from netprobe.wire.pcapfile.reader import CaptureReader

MAGIC_MICRO = 0xA1B2C3D4
MAGIC_NANO = 0xA1B23C4D
MAGIC_MODIFIED = 0xA1B2CD34

HEADER_LEN = 24
RECORD_HEADER_LEN = 16
MODIFIED_RECORD_HEADER_LEN = 24
VERSION = (2, 4)

#: A record longer than this is taken as damage, not data: no link type
#: needs more (libpcap's own ceiling is 256 KiB for most, 128 MiB for D-Bus).
MAX_RECORD_LEN = 1 << 28

LINKTYPE_MASK = 0xFFFF

# The first four bytes of a file, as stored, for each magic in each byte order:
# (byte order, units per second, modified record headers).
MAGIC_BYTES: dict[bytes, tuple[str, int, bool]] = {}
for _magic, _units, _modified in ((MAGIC_MICRO, MICRO, False), (MAGIC_NANO, NANO, False),
                                  (MAGIC_MODIFIED, MICRO, True)):
    MAGIC_BYTES[struct.pack("<I", _magic)] = ("little", _units, _modified)
    MAGIC_BYTES[struct.pack(">I", _magic)] = ("big", _units, _modified)

HEADER_STRUCT = {"little": struct.Struct("<IHHiIII"), "big": struct.Struct(">IHHiIII")}
RECORD_STRUCT = {"little": struct.Struct("<IIII"), "big": struct.Struct(">IIII")}


@dataclass(slots=True)
class PcapHeader:
    """The classic pcap file header, decoded."""

    byte_order: str
    version: tuple[int, int]
    ts_units: int
    modified: bool
    thiszone: int
    sigfigs: int
    snaplen: int
    linktype_field: int

    @property
    def linktype(self) -> int:
        """The LINKTYPE_* value (low 16 bits of the link-type field)."""
        return self.linktype_field & LINKTYPE_MASK

    @property
    def tsresol(self) -> int:
        """The pcapng ``if_tsresol`` byte equal to this file's resolution."""
        return tsresol_from_units(self.ts_units)


def parse_pcap_header(src: ChunkedInput) -> PcapHeader:
    """Read and check the 24-byte header at the start of ``src``."""
    avail = src.ensure(HEADER_LEN)
    buf, pos = src.buf, src.pos
    kind = MAGIC_BYTES.get(buf[pos : pos + 4])
    if kind is None:
        raise CaptureFileError(src.path, src.offset(pos),
                               "not a classic pcap file (unknown magic number)")
    if avail < HEADER_LEN:
        raise CaptureFileError(src.path, src.offset(pos),
                               f"truncated pcap file header: {avail} of {HEADER_LEN} bytes")
    order, units, modified = kind
    _, major, minor, thiszone, sigfigs, snaplen, linktype = HEADER_STRUCT[order].unpack_from(buf,
                                                                                             pos)
    if major != VERSION[0] or minor > VERSION[1]:
        # 2.0 to 2.3 are older libpcap's writing of the same format (libpcap and
        # tshark read them); anything else is refused, as libpcap does.
        raise CaptureFileError(
            src.path,
            src.offset(pos + 4),
            f"unsupported pcap version {major}.{minor} (2.4 is defined; 2.0-2.3 are read)",
        )
    src.pos = pos + HEADER_LEN
    return PcapHeader(order, (major, minor), units, modified, thiszone, sigfigs, snaplen, linktype)


def iter_pcap_records(src: ChunkedInput, header: PcapHeader, reader: CaptureReader
                      ) -> Iterator[CaptureRecord]:
    """Yield every record after the header; raise :class:`CaptureFileError` at damage.

    Every good record before the damage is yielded first.  ``reader``'s
    ``packets_read`` counts the records as they go.
    """
    hlen = MODIFIED_RECORD_HEADER_LEN if header.modified else RECORD_HEADER_LEN
    unpack = RECORD_STRUCT[header.byte_order].unpack_from
    linktype = header.linktype
    units = header.ts_units
    path = src.path
    new = tuple.__new__
    rec_type = CaptureRecord
    # Before 2.3 libpcap wrote the two lengths the other way round; 2.3 files
    # hold either order (libpcap's rule: swapped when caplen > len).
    swapped = {0: 2, 1: 2, 2: 2, 3: 1}.get(header.version[1], 0)

    buf, pos = src.buf, src.pos
    end = len(buf)
    while True:
        if end - pos < hlen:
            buf, pos = src.refill(buf, pos, hlen)
            end = len(buf)
            if end < hlen:
                if end == 0:
                    return
                raise CaptureFileError(
                    path, src.base,
                    f"truncated record header: {end} of {hlen} bytes at end of file")
        sec, frac, caplen, wirelen = unpack(buf, pos)
        if swapped and (swapped == 2 or caplen > wirelen):
            caplen, wirelen = wirelen, caplen
        start = pos + hlen
        nxt = start + caplen
        # (the bound holds whatever the buffer: a file read whole, for the batch
        # mode, is one buffer)
        if nxt > end or caplen > MAX_RECORD_LEN:
            if caplen > MAX_RECORD_LEN:
                raise CaptureFileError(
                    path,
                    src.base + pos,
                    f"record claims {caplen} captured bytes: damaged record header",
                )
            buf, pos = src.refill(buf, pos, hlen + caplen)
            end = len(buf)
            start = hlen
            nxt = start + caplen
            if nxt > end:
                raise CaptureFileError(path, src.base,
                                       f"truncated record: {caplen} captured bytes announced, "
                                       f"{end - hlen} left in file")
        pos = nxt
        reader.packets_read += 1
        yield new(rec_type, (buf[start:nxt], caplen, wirelen, linktype, sec, frac, units, 0))
