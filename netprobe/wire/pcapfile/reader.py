"""Open a capture file, whichever format it is, and stream its records.

The format is recognised by its first bytes, never by the file name's
extension.  A file of zero bytes is refused ("empty file"), as libpcap and
tcpdump refuse it: it holds no header, so it is not a capture file.  A classic
pcap holding only its header, or a pcapng holding only a section header, is a
valid capture with zero packets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile.capture_file import CaptureFile
from netprobe.wire.pcapfile.capture_path import CaptureTarget
from netprobe.wire.pcapfile.chunked_input import ChunkedInput
from netprobe.wire.pcapfile.file_info import CustomBlock, InterfaceInfo, SectionInfo
from netprobe.wire.pcapfile.pcap_format import (
    MAGIC_BYTES,
    PcapHeader,
    iter_pcap_records,
    parse_pcap_header,
)
from netprobe.wire.pcapfile.pcapng_format import SHB_MAGIC_BYTES, PcapngParser
from netprobe.wire.pcapfile.record import CaptureRecord

if TYPE_CHECKING:
    import mmap

_GZIP_MAGIC = b"\x1f\x8b"


class CaptureReader(CaptureFile):
    """A capture file opened for reading: a one-pass iterable of :class:`CaptureRecord`.

    Attributes:
        format: ``"pcap"`` or ``"pcapng"``.
        path: the file's path (``"-"`` for standard input, the name or
            ``"<stream>"`` for a file object).
        linktype: the link type of the first interface, or None when a pcapng
            file describes no interface before its first packet.
        interfaces: every interface seen so far (:class:`InterfaceInfo`);
            record ``ifindex`` values index this list.  A classic pcap has
            exactly one.  pcapng interfaces of later sections appear as the
            stream reaches them.
        sections: pcapng sections seen so far (empty for classic pcap).
        custom_blocks: pcapng custom blocks seen so far (the first 256);
            ``custom_blocks_dropped`` counts the ones past that bound.
        header: the classic pcap header (None for pcapng).
        packets_read: records delivered so far.

    Damage raises :class:`~netprobe.errors.CaptureFileError` with the file
    offset of the damaged record or block, after every good record before it
    has been delivered.  Damage in the file header (or, for pcapng, in the
    blocks before the first packet) is raised by :func:`open_capture` itself.
    """

    def __init__(self, source: CaptureTarget | ChunkedInput) -> None:
        self._src = src = source if isinstance(source, ChunkedInput) else ChunkedInput(source)
        self.path = src.path
        self.interfaces: list[InterfaceInfo] = []
        self.sections: list[SectionInfo] = []
        self.custom_blocks: list[CustomBlock] = []
        self.custom_blocks_dropped = 0
        self.header: PcapHeader | None = None
        self.pcapng: PcapngParser | None = None
        self.packets_read = 0
        try:
            self._records = self._open(src)
        except BaseException:
            src.close()
            raise

    def _open(self, src: ChunkedInput) -> Iterator[CaptureRecord]:
        avail = src.ensure(4)
        magic = src.buf[src.pos : src.pos + 4]
        if avail == 0:
            raise CaptureFileError(self.path, 0, "empty file: not a pcap or pcapng capture file")
        if magic in MAGIC_BYTES:
            self.format = "pcap"
            header = self.header = parse_pcap_header(src)
            self.interfaces.append(
                InterfaceInfo.from_idb(header.linktype, header.snaplen, header.tsresol, 0))
            self.linktype: int | None = header.linktype
            return iter_pcap_records(src, header, self)
        if magic == SHB_MAGIC_BYTES:
            self.format = "pcapng"
            parser = self.pcapng = PcapngParser(src, self)
            parser.prime()
            self.linktype = self.interfaces[0].linktype if self.interfaces else None
            return parser.records()
        if magic.startswith(_GZIP_MAGIC):
            raise CaptureFileError(self.path, 0, "gzip-compressed file: decompress it first")
        if avail < 4:
            raise CaptureFileError(self.path, 0,
                                   f"only {avail} bytes: not a pcap or pcapng capture file")
        raise CaptureFileError(self.path, 0,
                               f"not a pcap or pcapng capture file (starts with {magic.hex(' ')})")

    def resume(self, data: bytes | mmap.mmap, offset: int) -> Iterator[CaptureRecord]:
        """The records from ``offset`` on, ``data`` being the whole file this reader reads
        (:meth:`ChunkedInput.whole`) and ``offset`` a record or block boundary in it.

        The batch mode hands its file over here where its walk meets what it
        leaves to this reader; what the blocks before ``offset`` said (sections,
        interfaces) holds.
        """
        src = self._src
        src.buf, src.pos, src.base = data, offset, 0  # type: ignore[assignment]
        if self.pcapng is not None:
            return self.pcapng.records()
        assert self.header is not None
        return iter_pcap_records(src, self.header, self)

    @property
    def offset(self) -> int:
        """The file offset of the next record or block to read."""
        return self._src.offset(self._src.pos)

    @property
    def byte_order(self) -> str:
        """``"little"`` or ``"big"``: of the header (pcap) or of the current section (pcapng)."""
        if self.header is not None:
            return self.header.byte_order
        return self.sections[-1].byte_order if self.sections else "little"

    def __iter__(self) -> Iterator[CaptureRecord]:
        return self._records

    def __next__(self) -> CaptureRecord:
        return next(self._records)

    def close(self) -> None:
        """Stop reading and release the file (when this reader opened it)."""
        self._records.close()
        self._src.close()


def open_capture(source: CaptureTarget) -> CaptureReader:
    """Open a pcap or pcapng file for streaming reads.

    ``source`` is a path, ``"-"`` for standard input, or a binary file object
    (read from its current position, not closed by the reader).  Raises
    :class:`~netprobe.errors.CaptureFileError` if it cannot be opened or is
    not a capture file.
    """
    return CaptureReader(source)
