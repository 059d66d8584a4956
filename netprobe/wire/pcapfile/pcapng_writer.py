"""Write pcapng files: one little-endian section, any number of interfaces, EPBs."""

from __future__ import annotations

from netprobe.errors import UsageError
from netprobe.wire.pcapfile.capture_path import CaptureTarget
from netprobe.wire.pcapfile.capture_writer import CaptureWriter
from netprobe.wire.pcapfile.file_info import (
    CUSTOM_BLOCK_COPY,
    CUSTOM_BLOCK_NOCOPY,
    InterfaceInfo,
)
from netprobe.wire.pcapfile.pcapng_format import (
    BLOCK_EPB,
    BLOCK_IDB,
    BLOCK_SHB,
    BYTE_ORDER_MAGIC,
    LITTLE,
)
from netprobe.wire.pcapfile.pcapng_options import (
    IDB_TEXTS,
    IF_TSOFFSET,
    IF_TSRESOL,
    SHB_TEXTS,
    build_options,
    text_options,
)
from netprobe.wire.pcapfile.record import CaptureRecord
from netprobe.wire.pcapfile.timestamp import timestamp_count

_U32_LIMIT = 1 << 32
_U64_LIMIT = 1 << 64
_PADS = tuple(bytes(-n % 4) for n in range(4))


def _block(btype: int, body: bytes) -> bytes:
    """A whole block around ``body`` (already padded to a multiple of 4)."""
    length = 12 + len(body)
    return LITTLE.head.pack(btype, length) + body + LITTLE.u32.pack(length)


class PcapngWriter(CaptureWriter):
    """A pcapng writer.

    The section header is written at once, with an optional ``comment`` and
    the writing application's name; interfaces are added with
    :meth:`add_interface` (at any time before they are used).  Writing to a
    path is atomic: see :class:`~netprobe.wire.pcapfile.atomic_output.AtomicOutput`.
    """

    def __init__(self, dest: CaptureTarget, *, comment: str | None = None,
                 application: str | None = "netprobe", hardware: str | None = None,
                 os_name: str | None = None) -> None:
        super().__init__(dest)
        options = text_options(SHB_TEXTS, {"comment": comment, "hardware": hardware,
                                           "os": os_name, "application": application})
        # Section length -1: unknown, since we stream.
        head = LITTLE.shb.pack(BYTE_ORDER_MAGIC, 1, 0) + LITTLE.i64.pack(-1)
        self._emit(_block(BLOCK_SHB, head + build_options(options)))
        self.interfaces: list[InterfaceInfo] = []
        # Per interface: (units per second, link type, tsoffset) for the hot path.
        self._iface_units: list[tuple[int, int, int]] = []

    def add_interface(self, linktype: int, name: str | None = None, tsresol: int = 9,
                      snaplen: int = 0, description: str | None = None, tsoffset: int = 0) -> int:
        """Describe an interface (an IDB); return its index for :meth:`write`.

        ``tsresol`` is the pcapng ``if_tsresol`` byte: ``k`` for ``10**-k``
        seconds, ``0x80 | k`` for ``2**-k``.  ``snaplen`` 0 means unlimited.
        ``tsoffset`` (seconds) is recorded in the IDB; timestamps given to
        :meth:`write` are always absolute and the offset is subtracted.
        """
        if not 0 <= linktype <= 0xFFFF:
            raise UsageError(f"link type {linktype} does not fit a pcapng interface (16 bits)")
        if not 0 <= tsresol <= 0xFF:
            raise UsageError(f"if_tsresol must be one byte, got {tsresol}")
        if not 0 <= snaplen < _U32_LIMIT:
            raise UsageError(f"snaplen {snaplen} does not fit a pcapng interface")
        options = text_options(IDB_TEXTS, {"name": name, "description": description})
        options.append((IF_TSRESOL, bytes([tsresol])))
        if tsoffset:
            options.append((IF_TSOFFSET, LITTLE.i64.pack(tsoffset)))
        body = LITTLE.idb.pack(linktype, 0, snaplen) + build_options(options)
        self._emit(_block(BLOCK_IDB, body))
        info = InterfaceInfo.from_idb(linktype, snaplen, tsresol, tsoffset, name=name,
                                      description=description, local_id=len(self.interfaces))
        self.interfaces.append(info)
        self._iface_units.append((info.ts_units, linktype, tsoffset))
        return len(self.interfaces) - 1

    def _framing(self, caplen: int, wirelen: int, ts_sec: int, ts_frac: int, ts_units: int,
                 ifindex: int) -> tuple[bytes, bytes]:
        """An EPB's head and tail on interface ``ifindex``, in that interface's time units."""
        ifaces = self._iface_units
        if not 0 <= ifindex < len(ifaces):
            raise UsageError(f"no interface {ifindex} in this pcapng writer ({len(ifaces)} added)")
        units, _, tsoffset = ifaces[ifindex]
        count = timestamp_count(ts_sec - tsoffset, ts_frac, ts_units, units)
        if not (0 <= count < _U64_LIMIT and 0 <= wirelen < _U32_LIMIT and caplen < _U32_LIMIT - 64):
            raise self._out_of_range(
                f"record does not fit pcapng (timestamp {ts_sec} s, {caplen}/{wirelen} bytes)")
        pad = _PADS[caplen & 3]
        length = 32 + caplen + len(pad)
        head = LITTLE.epb.pack(BLOCK_EPB, length, ifindex, count >> 32, count & 0xFFFFFFFF, caplen,
                              wirelen)
        return head, pad + LITTLE.u32.pack(length)

    def _interface_of(self, rec: CaptureRecord) -> int:
        """The interface of the same index, which must exist here with the record's link type.

        Mirror a reader's :attr:`~CaptureReader.interfaces` with
        :meth:`add_interface` to copy a file.
        """
        if (not 0 <= rec.ifindex < len(self._iface_units)
            or self._iface_units[rec.ifindex][1] != rec.linktype):
            raise UsageError(f"record is on interface {rec.ifindex} with link type {rec.linktype}; "
                             "add a matching interface first")
        return rec.ifindex

    def write_custom_block(self, pen: int, data: bytes, copyable: bool = True) -> None:
        """Append a custom block of vendor ``pen`` (e.g. :data:`NETPROBE_PEN`) carrying ``data``.

        The format stores no payload length: ``data`` is padded with zero
        bytes to a multiple of 4, and a reader gets it back padded, so use a
        self-delimiting payload (JSON, a length prefix...).  ``copyable``
        False marks the block as one that rewriting tools must drop.
        """
        if not 0 <= pen < _U32_LIMIT:
            raise UsageError(f"private enterprise number {pen} does not fit 32 bits")
        btype = CUSTOM_BLOCK_COPY if copyable else CUSTOM_BLOCK_NOCOPY
        self._emit(_block(btype, LITTLE.u32.pack(pen) + bytes(data) + _PADS[len(data) & 3]))
