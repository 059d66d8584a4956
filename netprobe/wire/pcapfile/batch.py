"""Capture files as batches of packets: offsets, lengths and times as arrays.

A pcap or pcapng file on disk is memory-mapped and its records found with
:mod:`chain_walk`: no copy of the packets, no Python object per packet, and
any byte range of a classic pcap can be read on its own (``--jobs``).
Standard input, pipes, and whatever the pcapng fast path does not expect go
through the project's streaming reader
(:func:`netprobe.wire.pcapfile.open_capture`), whose records are gathered
into the same batches.

pcapy-ng was measured for this and set aside: its ``next_batch`` returns
timestamps in microseconds and the captured length but not the length on
the wire, which the byte counts need, and ``loop_to_buffer`` returns neither.

Damage stops a file where it is: the packets before it are delivered, and
:attr:`BatchReader.error` says what and where.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from netprobe.errors import CaptureFileError
from netprobe.npimport import np
from netprobe.wire.pcapfile.chain_walk import file_view, resync, walk_records
from netprobe.wire.pcapfile.pcap_chain import PcapFormat, packet_head
from netprobe.wire.pcapfile.pcap_format import (
    HEADER_LEN,
    LINKTYPE_MASK,
    MAGIC_BYTES,
    MODIFIED_RECORD_HEADER_LEN,
    RECORD_HEADER_LEN,
    VERSION,
)
from netprobe.wire.pcapfile.pcapng_chain import PcapngFormat, Unexpected, packet_blocks
from netprobe.wire.pcapfile.pcapng_format import BYTE_ORDER_MAGIC

#: bytes of a file walked per batch
CHUNK = 32 << 20
#: records per batch from the streaming reader
RECORDS_PER_BATCH = 32768
#: bytes searched for the first record of a byte range that starts mid-file
RESYNC_LIMIT = 1 << 20

#: where the first record of a classic pcap starts
PCAP_HEADER_LEN = HEADER_LEN
#: times are int64 nanoseconds: from 1678 to 2262 (a damaged time is clamped)
_TS_LIMIT = 1 << 63


@dataclass
class Batch:
    """Packets as arrays: ``buf[off[i]:off[i] + caplen[i]]`` is packet ``i``.

    ``ts`` is in nanoseconds since the epoch; ``linktype`` is one value per
    packet; ``head`` (optional) holds each packet's first bytes, one row
    each; ``rank`` (optional) each packet's place in file order, when the
    arrays are in the order the records were found. ``consumed`` is how
    many bytes of the file the batch covers (for progress bars).
    """

    buf: np.ndarray
    off: np.ndarray
    caplen: np.ndarray
    wirelen: np.ndarray
    ts: np.ndarray
    linktype: np.ndarray
    consumed: int = 0
    head: np.ndarray | None = None
    #: each packet's place in file order when the arrays are in another order
    rank: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.off)


def is_pcap(path: str) -> bool:
    """Whether ``path`` starts like a classic pcap file (the format cut into byte ranges)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) in MAGIC_BYTES
    except OSError:
        return False


class BatchReader:
    """One capture file, read in batches.

    After :meth:`batches` has run, ``first_offset`` is where the first
    record read starts (None if there was none) and ``next_offset`` where
    the record after the last one starts; ``error`` is the
    :class:`CaptureFileError` that stopped reading, if any.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.error: CaptureFileError | None = None
        self.first_offset: int | None = None
        self.next_offset: int | None = None
        self.pcap: PcapFormat | None = None
        self.pcapng: PcapngFormat | None = None
        self._mm: mmap.mmap | None = None
        self._file = None
        self.size = 0
        self.format = "pcap"
        self._open()

    def _open(self) -> None:
        if self.path == "-":
            self.format = "stream"
            return
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise CaptureFileError(self.path, None, f"cannot open: {exc.strerror or exc}") from exc
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise CaptureFileError(self.path, None, "cannot open: Is a directory")
            self.format = "stream"  # a pipe or a device: read once, as a stream
            return
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open with the map
        except OSError as exc:
            raise CaptureFileError(self.path, None, f"cannot open: {exc.strerror or exc}") from exc
        try:
            header = f.read(PCAP_HEADER_LEN)
            kind = MAGIC_BYTES.get(header[:4])
            if kind is None or len(header) < PCAP_HEADER_LEN:
                f.close()
                # the project reader judges (and words the complaint about) the rest;
                # a pcapng it accepts is then mapped like a pcap
                self._check_with_reader()
                if self.format == "pcapng":
                    self._map_pcapng()
                return
            byte_order, units, modified = kind
            order = "<" if byte_order == "little" else ">"
            hlen = MODIFIED_RECORD_HEADER_LEN if modified else RECORD_HEADER_LEN
            major, minor, snaplen, linktype = struct.unpack_from(order + "HH8xII", header, 4)
            if (major, minor) != VERSION:
                # whether (and how) another version is read is the streaming reader's call
                f.close()
                self._check_with_reader()
                return
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            f.close()
            return  # the streaming reader reads it
        except BaseException:
            f.close()
            raise
        top = mm[PCAP_HEADER_LEN + (3 if order == "<" else 0)] if len(mm) > PCAP_HEADER_LEN + 4 \
            else 0
        self.pcap = PcapFormat(order, hlen, units, linktype & LINKTYPE_MASK, snaplen, top)
        self._mm, self._file, self.size = mm, f, len(mm)

    def _check_with_reader(self) -> None:
        from netprobe.wire.pcapfile import open_capture

        with open_capture(self.path) as reader:
            self.format = reader.format

    def _map_pcapng(self) -> None:
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open with the map
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return
        order = "<" if struct.unpack_from("<I", mm, 8)[0] == BYTE_ORDER_MAGIC else ">"
        self.pcapng = PcapngFormat(order)
        self._mm, self._file, self.size = mm, f, len(mm)

    @property
    def mapped(self) -> bool:
        """Whether the fast path (a memory-mapped file) reads this file."""
        return self._mm is not None

    def close(self) -> None:
        """Release the map and the file."""
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:
                pass  # a batch still refers to it; it goes with the last reference
            self._mm = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> BatchReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def batches(self, start: int | None = None, end: int | None = None, *,
                exact: bool = True) -> Iterator[Batch]:
        """The packets of the file, or of the records starting in ``[start, end)``.

        ``start`` must be a record boundary unless ``exact`` is false, in
        which case the first plausible record at or after it is taken (a
        byte range of a large file; the caller checks it against the range
        before). Byte ranges are for classic pcap files only.
        """
        if self.pcap is not None:
            yield from self._pcap_batches(start, end, exact)
        elif self.pcapng is not None:
            yield from self._pcapng_batches()
        else:
            yield from self._stream_batches()

    # -- memory-mapped files -----------------------------------------------------

    def _walks(self, fmt: object, pos: int, end: int) -> Iterator[tuple[int, object]]:
        """Walk ``[pos, end)`` chunk by chunk, giving back the pages already read."""
        assert self._mm is not None
        a = file_view(self._mm)
        page = mmap.PAGESIZE
        done_to = (pos // page) * page
        while pos < end:
            walk = walk_records(a, fmt, pos, min(end, pos + CHUNK))  # type: ignore[arg-type]
            yield pos, walk
            if walk.damage is not None:
                return
            pos = walk.next_offset
            # the pages behind us go back to the page cache: memory stays flat
            upto = (min(pos, len(a)) // page) * page
            if upto > done_to and self._mm is not None:
                try:
                    self._mm.madvise(mmap.MADV_DONTNEED, done_to, upto - done_to)
                except (OSError, ValueError, AttributeError):
                    pass
                done_to = upto

    def _pcap_batches(self, start: int | None, end: int | None, exact: bool) -> Iterator[Batch]:
        fmt = self.pcap
        assert fmt is not None and self._mm is not None
        a = file_view(self._mm)
        size = len(a)
        end = size if end is None else min(end, size)
        pos = PCAP_HEADER_LEN if start is None else max(start, PCAP_HEADER_LEN)
        if not exact:
            found = resync(a, fmt, pos, min(size, pos + RESYNC_LIMIT))
            if found is None:
                self.next_offset = pos
                return
            pos = found
        self.first_offset = pos
        self.next_offset = pos
        frac_ns = 1_000_000_000 // fmt.ts_units
        for at, walk in self._walks(fmt, pos, end):
            n = len(walk.starts)
            if n:
                h = fmt.fields(walk.rows)
                yield Batch(a, walk.starts + fmt.header_len, h[:, 2], h[:, 3],
                            h[:, 0] * 1_000_000_000 + h[:, 1] * frac_ns,
                            np.full(n, fmt.linktype, dtype=np.int32),
                            consumed=walk.next_offset - at, head=packet_head(walk.rows, fmt),
                            rank=walk.rank)
            self.next_offset = walk.next_offset
            if walk.damage is not None:
                self.error = CaptureFileError(self.path, walk.next_offset, walk.damage)

    def _pcapng_batches(self) -> Iterator[Batch]:
        fmt = self.pcapng
        assert fmt is not None and self._mm is not None
        a = file_view(self._mm)
        self.first_offset = 0
        delivered = 0
        for at, walk in self._walks(fmt, 0, len(a)):
            stop = walk.damage is not None
            starts, rows = walk.starts, walk.rows
            if walk.rank is not None and len(walk.rank) > 1 and \
                    (walk.rank[1:] < walk.rank[:-1]).any():
                # section and interface blocks must be read in file order
                order = np.argsort(walk.rank)
                starts, rows = starts.take(order), rows.take(order, axis=0)
            try:
                p = packet_blocks(a, fmt, starts, rows)
            except Unexpected as exc:
                p = getattr(exc, "packets", None)
                stop = True
            if p is not None and len(p.off):
                delivered += len(p.off)
                yield Batch(a, p.off, p.caplen, p.wirelen, p.ts, p.linktype,
                            consumed=walk.next_offset - at, head=p.head)
            if stop:
                # the project reader takes over: it reads (and words the damage of)
                # every pcapng detail; the packets already counted are skipped
                yield from self._stream_batches(skip=delivered)
                return
        self.next_offset = len(a)

    # -- anything else, through the streaming reader -------------------------------

    def _stream_batches(self, skip: int = 0) -> Iterator[Batch]:
        from netprobe.wire.pcapfile import open_capture

        self.first_offset = 0
        try:
            reader = open_capture(self.path)
        except CaptureFileError as exc:
            self.error = exc
            return
        datas: list[bytes] = []
        caps: list[int] = []
        wires: list[int] = []
        times: list[int] = []
        links: list[int] = []
        size = 0
        with reader:
            records = iter(reader)
            while True:
                try:
                    rec = next(records, None)
                except CaptureFileError as exc:
                    self.error = exc
                    rec = None
                except OSError as exc:
                    self.error = CaptureFileError(self.path, None, exc.strerror or str(exc))
                    rec = None
                if rec is None:
                    break
                if skip:
                    skip -= 1
                    continue
                datas.append(rec.data)
                caps.append(rec.caplen)
                wires.append(rec.wirelen)
                ts = rec.ts_ns
                times.append(ts if -_TS_LIMIT < ts < _TS_LIMIT else _clamp(ts))
                links.append(rec.linktype)
                size += rec.caplen
                if len(datas) >= RECORDS_PER_BATCH or size >= CHUNK:
                    yield _batch(datas, caps, wires, times, links)
                    datas, caps, wires, times, links, size = [], [], [], [], [], 0
        if datas:
            yield _batch(datas, caps, wires, times, links)


def _clamp(ts: int) -> int:
    return max(-_TS_LIMIT + 1, min(_TS_LIMIT - 1, ts))


def _batch(datas: list[bytes], caps: list[int], wires: list[int], times: list[int],
           links: list[int]) -> Batch:
    caplen = np.array(caps, dtype=np.int64)
    off = np.zeros(len(caps), dtype=np.int64)
    np.cumsum(caplen[:-1], out=off[1:])
    buf = np.frombuffer(b"".join(datas), dtype=np.uint8)
    return Batch(buf, off, caplen, np.array(wires, dtype=np.int64),
                 np.array(times, dtype=np.int64), np.array(links, dtype=np.int32),
                 consumed=int(caplen.sum()))
