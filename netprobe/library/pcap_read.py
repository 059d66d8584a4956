"""Reading capture files as packets: ``rdpcap``, ``PcapReader``, ``RawPcapReader``.

Built on ``netprobe.wire.pcapfile`` (the one pcap/pcapng parser): pcap and
pcapng alike, any byte order, micro- or nanosecond timestamps. Packets carry
``time`` (exact, an :class:`~netprobe.library.timestamps.EDecimal`) and
``wirelen``. ``rdpcap`` keeps the records and dissects each packet when it is
first looked at. A damaged file gives every packet before the damage, then
:class:`~netprobe.library.capture_errors.CaptureDamaged`.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, BinaryIO, NamedTuple

from netprobe.errors import CaptureFileError
from netprobe.library.capture_errors import CaptureDamaged, NotACaptureFile
from netprobe.library.packet_list import PacketList
from netprobe.library.timestamps import exact_time, quotient_time
from netprobe.packet.dissect import dissect
from netprobe.wire.pcapfile import CaptureRecord, open_capture
from netprobe.wire.pcapfile.capture_file import CaptureFile
from netprobe.wire.pcapfile.timestamp import NANO

__all__ = ["PcapNgReader", "PcapReader", "RawPcapNgReader", "RawPcapReader", "rdpcap"]


class PacketMetadata(NamedTuple):
    """What ``RawPcapReader`` gives with each classic pcap record (Scapy's fields:
    ``usec`` holds nanoseconds in a nanosecond file)."""

    sec: int
    usec: int
    wirelen: int
    caplen: int


class PacketMetadataNg(NamedTuple):
    """What ``RawPcapReader`` gives with each pcapng record (Scapy's fields)."""

    linktype: int
    tsresol: int
    tshigh: int
    tslow: int
    wirelen: int
    comments: Any = None
    ifname: bytes | None = None
    direction: Any = None
    process_information: Any = None


def _loader(packet_time: Callable[[int, int, int], Any]) -> Callable[[CaptureRecord], Any]:
    """A record's packet: dissected, with its ``wirelen`` and its ``time`` as
    ``packet_time(seconds, fraction, units)`` gives it."""
    def load(rec: CaptureRecord) -> Any:
        pkt = dissect(rec.data, rec.linktype, rec.wirelen)
        pkt.time = packet_time(rec.ts_sec, rec.ts_frac, rec.ts_units)
        pkt.wirelen = rec.wirelen
        return pkt
    return load


#: how a record becomes a packet, per file format (a pcapng packet's time is written as
#: Scapy writes it: no trailing zeros)
RECORD_LOADERS: dict[str, Callable[[CaptureRecord], Any]] = {
    "pcap": _loader(exact_time), "pcapng": _loader(quotient_time)}

_GZIP_MAGIC = b"\x1f\x8b"

_NOT_CAPTURE = ("empty file", "only ", "not a pcap or pcapng", "gzip-compressed",
                "not a classic pcap")


def _damage(exc: CaptureFileError, packets: Any = None) -> CaptureDamaged:
    """The library's exception for a wire-floor capture error."""
    if exc.offset == 0 and exc.message.startswith(_NOT_CAPTURE):
        return NotACaptureFile(exc.path, exc.offset, exc.message, packets)
    return CaptureDamaged(exc.path, exc.offset, exc.message, packets)


class RawPcapReader(CaptureFile):
    """A pcap or pcapng file's records as ``(bytes, metadata)``; iterate it, or use
    ``read_packet()`` (``EOFError`` at the end). A context manager.

    ``filename`` is a path or a binary file object. A missing file raises
    ``FileNotFoundError``, a file that is no capture ``Scapy_Exception``.
    """

    def __init__(self, filename: str | os.PathLike | BinaryIO, count: int = -1) -> None:
        self._own: BinaryIO | None = None
        if isinstance(filename, (str, os.PathLike)):
            self.filename = os.fspath(filename)
            self._own = open(self.filename, "rb")  # noqa: SIM115 - closed by close()
            if self._own.read(2) == _GZIP_MAGIC:
                # a gzip-compressed capture is read through as Scapy reads it
                self._own.close()
                self._own = gzip.open(self.filename, "rb")  # noqa: SIM115
            else:
                self._own.seek(0)
            source: Any = self._own
        else:
            source = filename
            self.filename = getattr(filename, "name", "<stream>")
        try:
            self._reader = open_capture(source)
        except CaptureFileError as exc:
            self.close()
            raise _damage(exc) from None
        except BaseException:
            self.close()
            raise
        self._records = iter(self._reader)
        self._left = count
        iface = self._reader.interfaces[0] if self._reader.interfaces else None
        #: the link type of the first interface (a pcap's only one)
        self.linktype = self._reader.linktype
        #: True when timestamps count nanoseconds
        self.nano = iface is not None and iface.ts_units == NANO
        self.snaplen = iface.snaplen if iface is not None else 0
        self.format = self._reader.format
        # as Scapy's: a reader opened on a pcapng file is its pcapng reader
        if self.format == "pcapng" and type(self) in _NG_CLASSES:
            self.__class__ = _NG_CLASSES[type(self)]

    # -- records --------------------------------------------------------------------------------
    def _next_record(self) -> CaptureRecord:
        if self._left == 0:
            raise StopIteration
        try:
            rec = next(self._records)
        except CaptureFileError as exc:
            raise _damage(exc) from None
        if self._left > 0:
            self._left -= 1
        return rec

    def _metadata(self, rec: CaptureRecord) -> Any:
        if self.format == "pcap":
            return PacketMetadata(rec.ts_sec, rec.ts_frac, rec.wirelen, rec.caplen)
        count = rec.ts_sec * rec.ts_units + rec.ts_frac
        iface = self._reader.interfaces[rec.ifindex]
        name = iface.name.encode() if iface.name is not None else None
        return PacketMetadataNg(rec.linktype, rec.ts_units, count >> 32, count & 0xFFFFFFFF,
                                rec.wirelen, None, name, None, {})

    def _convert(self, rec: CaptureRecord) -> Any:
        return rec.data, self._metadata(rec)

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        return self._convert(self._next_record())

    def read_packet(self, size: int = 0) -> Any:
        """The next packet; ``EOFError`` at the end of the file."""
        try:
            return next(self)
        except StopIteration:
            raise EOFError from None

    def read_all(self, count: int = -1) -> Any:
        """The remaining packets (at most ``count``), as a list."""
        return list(islice(self, None if count < 0 else count))

    def dispatch(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback`` on every remaining packet."""
        for p in self:
            callback(p)

    def fileno(self) -> int:
        """The file descriptor being read."""
        if self._own is None:
            raise OSError("reading a file object: no descriptor of our own")
        return self._own.fileno()

    def close(self) -> None:
        """Stop reading and close the file (when opened from a path)."""
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.close()
        if self._own is not None:
            self._own.close()
            self._own = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # nothing to tell at garbage collection
            pass


class PcapReader(RawPcapReader):
    """A pcap or pcapng file's packets, dissected one by one as they are read: iterate it
    (``for pkt in PcapReader(path)``), in constant memory whatever the file's size."""

    def _convert(self, rec: CaptureRecord) -> Any:
        return RECORD_LOADERS[self.format](rec)

    def read_all(self, count: int = -1) -> PacketList:
        """The remaining packets (at most ``count``), as a ``PacketList`` whose packets
        are dissected when first looked at. A damaged file raises
        :class:`CaptureDamaged` carrying the packets before the damage."""
        name = os.path.basename(self.filename)
        lazy = (CaptureRecord, RECORD_LOADERS[self.format])
        if self._left >= 0 and (count < 0 or count > self._left):
            count = self._left
        records: list[CaptureRecord] = []
        append = records.append
        try:
            for rec in self._records if count < 0 else islice(self._records, count):
                append(rec)
        except CaptureFileError as exc:
            raise _damage(exc, PacketList(records, name=name, lazy=lazy)) from None
        finally:
            if self._left > 0:
                self._left -= len(records)
        return PacketList(records, name=name, lazy=lazy)


class RawPcapNgReader(RawPcapReader):
    """Scapy's name for the raw reader of pcapng files (this one reads both formats)."""


class PcapNgReader(PcapReader):
    """Scapy's name for the reader of pcapng files (this one reads both formats)."""


#: the reader a pcapng file's reader becomes (``type(PcapReader("x.pcapng"))``)
_NG_CLASSES: dict[type, type] = {RawPcapReader: RawPcapNgReader, PcapReader: PcapNgReader}


def rdpcap(filename: str | os.PathLike | BinaryIO, count: int = -1) -> PacketList:
    """Read a pcap or pcapng file (at most ``count`` packets) into a ``PacketList``.

    A damaged file raises :class:`CaptureDamaged` after reading up to the damage;
    the packets before it are in the exception's ``packets``.
    """
    with PcapReader(filename) as reader:
        return reader.read_all(count)
