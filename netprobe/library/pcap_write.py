"""Writing packets to capture files: ``wrpcap``, ``PcapWriter``, ``PcapNgWriter``.

Built on ``netprobe.wire.pcapfile``'s writers, so every write is atomic: the file
appears, whole, when the writer closes (or when the program ends, for a writer
never closed, as Scapy's file would be flushed then); a ``with`` block that raises
leaves nothing behind. The link type comes from the first packet unless given;
each packet's ``time`` and ``wirelen`` are written with it. ``append=True`` copies
the existing file's records into the new one first, so appending is atomic too.
"""

from __future__ import annotations

import gzip
import os
import time
import weakref
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal
from typing import Any, BinaryIO

from netprobe.errors import CaptureFileError, UsageError
from netprobe.library.pcap_read import _damage
from netprobe.packet.dissect import LINKTYPES
from netprobe.packet.layer import Layer
from netprobe.wire import pcapfile
from netprobe.wire.pcapfile.atomic_output import AtomicOutput
from netprobe.wire.pcapfile.capture_file import CaptureFile

__all__ = ["PcapNgWriter", "PcapWriter", "linktype_of", "wrpcap", "wrpcapng"]

#: Scapy's header snap length
DEFAULT_SNAPLEN = 65535
#: link type of bytes and of packets whose outer layer names none (Scapy: Ethernet)
DEFAULT_LINKTYPE = pcapfile.LINKTYPE_ETHERNET


def _layer_linktypes() -> dict[str, int]:
    """Outer layer class name -> the link type a file of such packets declares: the
    dissection table read backwards (the lowest number when several), with IPv4 and
    IPv6 as their own link types (228, 229), as Scapy writes them."""
    out: dict[str, int] = {"IP": 228, "IPv6": 229}
    for number, chooser in sorted(LINKTYPES.items()):
        names = (chooser.__name__,) if isinstance(chooser, type) else getattr(
            chooser, "layer_names", ())
        for name in names:
            out.setdefault(name, number)
    return out


def linktype_of(pkt: Any) -> int:
    """The link type for a file starting with ``pkt`` (Ethernet for bytes)."""
    if not isinstance(pkt, Layer):
        return DEFAULT_LINKTYPE
    return _layer_linktypes().get(type(pkt).__name__, DEFAULT_LINKTYPE)


def _timestamp(t: Any, units: int) -> tuple[int, int]:
    """A time (seconds) as (seconds, fraction in ``units``), exactly (rounded down)."""
    if isinstance(t, int):
        return t, 0
    d = t if isinstance(t, Decimal) else Decimal(repr(float(t)))
    count = int((d * units).to_integral_value(ROUND_FLOOR))
    return divmod(count, units)


def _packets(pkt: Any) -> Iterable[Any]:
    """One packet, bytes, a packet set (each of its packets) or a list of those (an
    ``sr()`` pair gives its probe and its answer, when there is one)."""
    if pkt is None:
        return ()
    if isinstance(pkt, (bytes, bytearray, memoryview)):
        return (bytes(pkt),)
    if isinstance(pkt, Layer):
        return pkt  # a packet set iterates over its packets; a packet over itself
    return (p for item in pkt for p in _packets(item))


def _finish(out: Any, gz: Any, atomic: Any) -> None:
    """Close the capture writer, then the gzip stream and its atomic file, if any."""
    if not out.closed:
        out.close()
    if gz is not None:
        gz.close()
        atomic.commit()


def _discard(out: Any, gz: Any, atomic: Any) -> None:
    """Give up the capture writer and, for a gzip file, its atomic file."""
    out.abort()
    if gz is not None:
        atomic.abort()


class PcapWriter(CaptureFile):
    """Write packets to a classic pcap file (``nano=True``: nanosecond timestamps).

    Scapy's arguments; ``endianness``, ``sync`` and ``bufsz`` are accepted and have
    no effect (the file is little-endian and appears whole at close). ``gz=True``
    compresses the file (with gzip, as Scapy does); it cannot be appended to.
    """

    #: True for the pcapng writer
    _pcapng = False

    def __init__(self, filename: str | os.PathLike | BinaryIO, linktype: int | None = None,
                 gz: bool = False, endianness: str = "", append: bool = False,
                 sync: bool = False, nano: bool = False, snaplen: int = DEFAULT_SNAPLEN,
                 bufsz: int = 4096) -> None:
        if gz and append:
            raise UsageError("cannot append to a gzip-compressed capture: write a new file")
        self.gz = gz
        self._gz: Any = None
        self._atomic: Any = None
        self.filename = filename if not isinstance(filename, os.PathLike) else os.fspath(filename)
        self.linktype = linktype
        self.nano = nano
        self.snaplen = snaplen
        self.append = append
        self.sync = sync
        self._out: Any = None
        self._ifaces: dict[int, int] = {}
        self._units = 10**9 if nano else 10**6
        self._finalizer: weakref.finalize | None = None
        self._ng = self._pcapng

    # -- opening ----------------------------------------------------------------------------------
    def _open(self, first: Any) -> None:
        existing = None
        if self.append and isinstance(self.filename, str) and os.path.exists(self.filename) \
                and os.path.getsize(self.filename) > 0:
            try:
                existing = pcapfile.open_capture(self.filename)
            except CaptureFileError as exc:
                raise _damage(exc) from None
        try:
            self._dest: Any = self.filename
            if self.gz:
                self._atomic = AtomicOutput(self.filename)
                self._dest = self._gz = gzip.GzipFile(fileobj=self._atomic.file, mode="wb")
            self._out = self._make(existing, first)
            if existing is not None:
                with existing:
                    for rec in existing:
                        self._write_record(rec)
        except CaptureFileError as exc:
            if self._out is not None:
                _discard(self._out, self._gz, self._atomic)
            raise _damage(exc) from None
        # committed when the writer goes away unclosed (at the latest at exit), as a
        # Scapy script that never closes its writer still finds its file complete
        self._finalizer = weakref.finalize(self, _finish, self._out, self._gz, self._atomic)

    def _make(self, existing: Any, first: Any) -> Any:
        if existing is not None and existing.format == "pcap" and not self._pcapng:
            header = existing.header
            self.linktype = header.linktype_field
            self._units = header.ts_units
            return pcapfile.PcapWriter(self._dest, header.linktype_field,
                                       nanosecond=header.ts_units == 10**9,
                                       snaplen=header.snaplen)
        if existing is not None or self._pcapng:
            # appending to a pcapng (even through PcapWriter) keeps it a pcapng
            self._ng = True
            self._units = 10**9
            out = pcapfile.PcapngWriter(self._dest)
            if existing is not None:
                for iface in existing.interfaces:
                    out.add_interface(iface.linktype, iface.name, iface.tsresol, iface.snaplen,
                                      iface.description)
            return out
        if self.linktype is None:
            self.linktype = linktype_of(first)
        return pcapfile.PcapWriter(self._dest, self.linktype, nanosecond=self.nano,
                                   snaplen=self.snaplen)

    def _write_record(self, rec: Any) -> None:
        self._out.write_record(rec)
        if self._ng:
            self._ifaces.setdefault(rec.linktype, rec.ifindex)

    def write_header(self, pkt: Any = None) -> None:
        """Start the file (the link type from ``pkt`` unless given to the writer)."""
        if self._out is None:
            self._open(pkt)

    # -- writing ----------------------------------------------------------------------------------
    def write(self, pkt: Any) -> None:
        """Write a packet, bytes, a packet set or a list of packets."""
        for p in _packets(pkt):
            self.write_packet(p)

    def _iface(self, linktype: int) -> int:
        """The interface a packet of ``linktype`` is written on (pcapng: one per type)."""
        if not self._ng:
            return 0
        index = self._ifaces.get(linktype)
        if index is None:
            index = self._ifaces[linktype] = self._out.add_interface(linktype, tsresol=9)
        return index

    def write_packet(self, packet: Any, sec: int | None = None, usec: int | None = None,
                     caplen: int | None = None, wirelen: int | None = None) -> None:
        """Write one packet (or bytes); ``sec``/``usec`` override its time."""
        if self._out is None:
            self._open(packet)
        data = bytes(packet)
        is_packet = isinstance(packet, Layer)
        if is_packet:
            linktype = linktype_of(packet)
            if wirelen is None:
                wirelen = packet.wirelen
        else:  # bytes: written on the writer's link type, at the time they are written
            linktype = self.linktype if self.linktype is not None else DEFAULT_LINKTYPE
        if sec is None:
            sec, frac = _timestamp(packet.time if is_packet else time.time(), self._units)
        else:
            frac = usec or 0
        if caplen is not None:
            data = data[:caplen]
        if wirelen is None or wirelen < len(data):
            wirelen = len(data)
        try:
            self._out.write(data, sec, frac, self._units, wirelen, self._iface(linktype))
        except CaptureFileError as exc:
            raise _damage(exc) from None

    def flush(self) -> None:
        """Nothing to do: the file appears whole when the writer closes."""

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._out is None:
            self._open(None)
        if self._finalizer is not None:
            self._finalizer.detach()
        try:
            _finish(self._out, self._gz, self._atomic)
        except CaptureFileError as exc:
            raise _damage(exc) from None

    def abort(self) -> None:
        """Give up: nothing is left at the destination."""
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._out is not None:
            _discard(self._out, self._gz, self._atomic)


class PcapNgWriter(PcapWriter):
    """Write packets to a pcapng file: nanosecond timestamps, one interface per link type."""

    _pcapng = True

    def __init__(self, filename: str | os.PathLike | BinaryIO, linktype: int | None = None,
                 append: bool = False, **kwargs: Any) -> None:
        super().__init__(filename, linktype=linktype, append=append, nano=True,
                         **{k: v for k, v in kwargs.items() if k != "nano"})


def wrpcap(filename: str | os.PathLike | BinaryIO, pkt: Any, *args: Any, **kwargs: Any) -> None:
    """Write packets to a pcap file (``PcapWriter``'s arguments: ``linktype``,
    ``append``, ``nano``...)."""
    with PcapWriter(filename, *args, **kwargs) as writer:
        writer.write(pkt)


def wrpcapng(filename: str | os.PathLike | BinaryIO, pkt: Any, *args: Any, **kwargs: Any,
             ) -> None:
    """Write packets to a pcapng file."""
    with PcapNgWriter(filename, *args, **kwargs) as writer:
        writer.write(pkt)

