"""Capture files as batches of packets: offsets, lengths and times as arrays.

A pcap or pcapng file on disk is memory-mapped and read in place by the
streaming reader (:class:`~netprobe.wire.pcapfile.reader.CaptureReader`),
which reads its header, sections and interfaces; the records between them
are found with :mod:`chain_walk`: no copy of the packets, no Python object
per packet, and any byte range of a classic pcap can be read on its own
(``--jobs``). Where the walk meets what it does not expect (damage, a pcapng
detail), the reader reads the rest of the file from that record on, so both
read the same files the same way and word damage the same. Standard input
and pipes go through the streaming reader alone; its records are gathered
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
from collections.abc import Iterator

from netprobe.errors import CaptureFileError
from netprobe.npimport import np
from netprobe.wire.pcapfile.chain_walk import TS_MAX, Batch, Walk, file_view, resync, walk_records
from netprobe.wire.pcapfile.chunked_input import ChunkedInput
from netprobe.wire.pcapfile.pcap_chain import PcapFormat
from netprobe.wire.pcapfile.pcap_format import HEADER_LEN, VERSION
from netprobe.wire.pcapfile.pcapng_chain import PcapngFormat, packet_blocks
from netprobe.wire.pcapfile.reader import CaptureReader, open_capture
from netprobe.wire.pcapfile.record import CaptureRecord

#: bytes of a file walked per batch
CHUNK = 32 << 20
#: records per batch from the streaming reader
RECORDS_PER_BATCH = 32768
#: bytes searched for the first record of a byte range that starts mid-file
RESYNC_LIMIT = 1 << 20

#: where the first record of a classic pcap starts
PCAP_HEADER_LEN = HEADER_LEN


def is_pcap(path: str) -> bool:
    """Whether ``path`` is a classic pcap the batch mode walks (the format cut into byte
    ranges)."""
    try:
        with BatchReader(path) as capture:
            return capture.pcap is not None
    except (CaptureFileError, OSError):
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
        self._reader: CaptureReader | None = None
        self._mm: mmap.mmap | None = None
        self._file = None
        self.size = 0
        self.format = "stream"
        self._open()

    def _open(self) -> None:
        if self.path == "-":
            return
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise CaptureFileError(self.path, None, f"cannot open: {exc.strerror or exc}") from exc
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise CaptureFileError(self.path, None, "cannot open: Is a directory")
            return  # a pipe or a device: read once, as a stream
        try:
            f = open(self.path, "rb")  # noqa: SIM115 - kept open with the map
        except OSError as exc:
            raise CaptureFileError(self.path, None, f"cannot open: {exc.strerror or exc}") from exc
        try:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # an empty file, or one that cannot be mapped
            f.close()
            self._reader = open_capture(self.path)
            self.format = self._reader.format
            return
        self._mm, self._file, self.size = mm, f, len(mm)
        try:
            reader = self._reader = CaptureReader(ChunkedInput.whole(mm, self.path))
        except BaseException:
            self.close()
            raise
        self.format = reader.format
        if reader.pcapng is not None:
            self.pcapng = PcapngFormat(reader.pcapng, mm)
        elif reader.header is not None and reader.header.version == VERSION:
            # (older versions may hold the two lengths the other way round: the
            # streaming reader alone reads them)
            self.pcap = PcapFormat.of(reader.header, mm, HEADER_LEN)

    @property
    def mapped(self) -> bool:
        """Whether the fast path (a walk of the memory-mapped file) reads this file."""
        return self.pcap is not None or self.pcapng is not None

    def close(self) -> None:
        """Release the reader, the map and the file."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
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

    def _walks(self, fmt: object, pos: int, end: int) -> Iterator[tuple[int, Walk]]:
        """Walk ``[pos, end)`` chunk by chunk, giving back the pages already read."""
        assert self._mm is not None
        a = file_view(self._mm)
        page = mmap.PAGESIZE
        done_to = (pos // page) * page
        while pos < end:
            walk = walk_records(a, fmt, pos, min(end, pos + CHUNK))  # type: ignore[arg-type]
            yield pos, walk
            if walk.damaged:
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

    def _hand_over(self, offset: int) -> Iterator[Batch]:
        """The rest of the file from ``offset`` on, read by the streaming reader."""
        assert self._reader is not None and self._mm is not None
        yield from self._stream_batches(self._reader.resume(self._mm, offset))

    def _pcap_batches(self, start: int | None, end: int | None, exact: bool) -> Iterator[Batch]:
        fmt = self.pcap
        assert fmt is not None and self._mm is not None
        a = file_view(self._mm)
        size = len(a)
        end = size if end is None else min(end, size)
        pos = HEADER_LEN if start is None else max(start, HEADER_LEN)
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
                            consumed=walk.next_offset - at, head=walk.rows[:, fmt.header_len:],
                            rank=walk.rank)
            self.next_offset = walk.next_offset
            if walk.damaged:  # the streaming reader says what is wrong there
                yield from self._hand_over(walk.next_offset)

    def _pcapng_batches(self) -> Iterator[Batch]:
        fmt = self.pcapng
        assert fmt is not None and self._mm is not None and self._reader is not None
        a = file_view(self._mm)
        self.first_offset = 0
        for at, walk in self._walks(fmt, self._reader.offset, len(a)):
            starts, rows = walk.starts, walk.rows
            if walk.rank is not None and len(walk.rank) > 1 and \
                    (walk.rank[1:] < walk.rank[:-1]).any():
                # section and interface blocks must be read in file order
                order = np.argsort(walk.rank)
                starts, rows = starts.take(order), rows.take(order, axis=0)
            p, resume = packet_blocks(a, fmt, starts, rows)
            if resume is None and walk.damaged:
                resume = walk.next_offset
            if len(p):
                p.consumed = walk.next_offset - at
                yield p
            if resume is not None:
                # the streaming reader reads (and words the damage of) every pcapng detail
                yield from self._hand_over(resume)
                return
        self.next_offset = len(a)

    # -- anything else, through the streaming reader -------------------------------

    def _stream_batches(self, records: Iterator[CaptureRecord] | None = None
                        ) -> Iterator[Batch]:
        """Batches of ``records``, or of the whole file read by the streaming reader."""
        if records is None:
            self.first_offset = 0
            try:
                if self._reader is None:
                    self._reader = open_capture(self.path)
            except CaptureFileError as exc:
                self.error = exc
                return
            records = iter(self._reader)
        datas: list[bytes] = []
        caps: list[int] = []
        wires: list[int] = []
        times: list[int] = []
        links: list[int] = []
        size = 0
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
            datas.append(rec.data)
            caps.append(rec.caplen)
            wires.append(rec.wirelen)
            ts = rec.ts_ns
            times.append(ts if -TS_MAX <= ts <= TS_MAX else max(-TS_MAX, min(TS_MAX, ts)))
            links.append(rec.linktype)
            size += rec.caplen
            if len(datas) >= RECORDS_PER_BATCH or size >= CHUNK:
                yield _batch(datas, caps, wires, times, links)
                datas, caps, wires, times, links, size = [], [], [], [], [], 0
        if datas:
            yield _batch(datas, caps, wires, times, links)


def _batch(datas: list[bytes], caps: list[int], wires: list[int], times: list[int],
           links: list[int]) -> Batch:
    caplen = np.array(caps, dtype=np.int64)
    off = np.zeros(len(caps), dtype=np.int64)
    np.cumsum(caplen[:-1], out=off[1:])
    buf = np.frombuffer(b"".join(datas), dtype=np.uint8)
    return Batch(buf, off, caplen, np.array(wires, dtype=np.int64),
                 np.array(times, dtype=np.int64), np.array(links, dtype=np.int32),
                 consumed=int(caplen.sum()))
