"""From capture files to conversation tables: parts, batches, merging.

The work is cut into *parts*: a whole file, or (``--jobs``) a byte range of
a large classic pcap. :func:`analyse_part` turns one part into a partial
:class:`FlowTable`; it is a plain picklable function of a picklable
:class:`Part`, so the same parts run in this process, on local processes or
on a Dask cluster (:mod:`netprobe.services.cluster`).

A byte range that starts in the middle of a file begins at the first
plausible record it finds; :func:`join_parts` keeps it only if the part
before ends exactly there, and otherwise reads it again from where the part
before ended, so the merged table is exactly the one-process table.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from netprobe.errors import CaptureFileError
from netprobe.npimport import np
from netprobe.packet.columns import decode_batch
from netprobe.packet.flow_events import REASON_LINKTYPE, REASON_SLOW, Events
from netprobe.plugins.flows.flow_table import FlowTable
from netprobe.wire.pcapfile.batch import PCAP_HEADER_LEN, Batch, BatchReader, is_pcap

#: a classic pcap larger than this is split into byte ranges under --jobs
SPLIT_MIN = 64 << 20
#: freed memory glibc keeps for the next batch (its mallopt parameters, from malloc.h)
KEEP_FREED = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@dataclass(frozen=True)
class Part:
    """A piece of work: a file, or the records of a file starting in ``[start, end)``."""

    path: str
    file_index: int
    index: int = 0
    start: int | None = None
    end: int | None = None
    exact: bool = True
    size: int = 0  # bytes this part covers (progress)


@dataclass
class PartResult:
    """What a part found: its table, where its records start and end, its damage."""

    part: Part
    table: FlowTable
    first_offset: int | None = None
    next_offset: int | None = None
    error: str | None = None
    error_offset: int | None = None
    mapped: bool = False


@dataclass
class FileResult:
    """A whole file's table (all its parts joined) and its error, if any."""

    path: str
    table: FlowTable
    errors: list[str] = field(default_factory=list)


def analyse_batch(table: FlowTable, batch: Batch, slow_only: bool = False) -> None:
    """Decode a batch and add it to ``table``.

    ``slow_only`` sends every packet through the per-packet decoder (tests
    use it to hold the two decoders to the same results).
    """
    n = len(batch)
    if n == 0:
        return
    reasons = np.zeros(n, dtype=np.int8)
    parts: list[Events] = []
    links = batch.linktype
    kinds = np.unique(links) if links[0] != links[-1] or not (links == links[0]).all() \
        else links[:1]
    for lt in kinds.tolist():
        idx = np.flatnonzero(links == lt) if len(kinds) > 1 else np.arange(n)
        if slow_only:
            ev, why = Events.empty(), np.full(len(idx), REASON_SLOW, dtype=np.int8)
        else:
            head = None
            if batch.head is not None:
                head = batch.head if len(kinds) == 1 else batch.head[idx]
            ev, why = decode_batch(batch.buf, batch.off[idx], batch.caplen[idx],
                                   batch.wirelen[idx], lt, head)
        if len(ev):
            ev.pkt = idx[ev.pkt]
            parts.append(ev)
        slow = np.flatnonzero(why == REASON_SLOW)
        if len(slow):
            # dissect and its layer families load only for captures that need them
            from netprobe.plugins.flows.packet_events import decode_packet

            rows = []
            buf = batch.buf
            for j in slow.tolist():
                i = int(idx[j])
                o = int(batch.off[i])
                data = buf[o:o + int(batch.caplen[i])].tobytes()
                events, r = decode_packet(data, lt, int(batch.wirelen[i]))
                why[j] = r
                rows.extend((i, *e) for e in events)
            parts.append(Events.from_tuples(rows))
        reasons[idx] = why
        if why[0] == REASON_LINKTYPE:
            unknown = table.totals.unknown_links
            unknown[lt] = unknown.get(lt, 0) + len(idx)
    table.count_packets(batch.wirelen, batch.ts, reasons, batch.rank)
    table.add(Events.concat(parts), batch.ts, batch.wirelen, batch.rank)


def keep_freed_memory() -> None:
    """Have glibc keep the arrays a batch frees for the next one, instead of handing them
    back and faulting fresh zeroed pages in again (a third of the table's time); a no-op
    elsewhere."""
    try:
        import ctypes  # numpy has imported it, when the Python build has it

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, TypeError, AttributeError):  # no ctypes, no C library
        return  # by that name (Windows: TypeError), or no mallopt (macOS, BSDs)
    mallopt(_M_MMAP_THRESHOLD, KEEP_FREED)
    mallopt(_M_TRIM_THRESHOLD, 2 * KEEP_FREED)


def analyse_part(part: Part, progress: Callable[[int], None] | None = None,
                 slow_only: bool = False) -> PartResult:
    """Read one part into a partial table (picklable in, picklable out)."""
    keep_freed_memory()
    table = FlowTable()
    try:
        capture = BatchReader(part.path)
    except CaptureFileError as exc:
        return PartResult(part, table, error=str(exc), error_offset=exc.offset)
    except OSError as exc:
        msg = f"{part.path}: cannot open: {exc.strerror or exc}"
        return PartResult(part, table, error=msg)
    with capture:
        for batch in capture.batches(part.start, part.end, exact=part.exact):
            analyse_batch(table, batch, slow_only)
            if progress is not None:
                progress(batch.consumed)
            del batch
        err = capture.error
        return PartResult(part, table, capture.first_offset, capture.next_offset,
                          None if err is None else str(err),
                          None if err is None else err.offset, capture.mapped)


def plan_parts(paths: list[str], jobs: int, split_min: int = SPLIT_MIN) -> list[Part]:
    """Cut the files into parts: large classic pcaps into byte ranges when ``jobs > 1``.

    A pcap of ``split_min`` bytes or more is cut into about two ranges per
    job (at least ``split_min / 2`` bytes each), so that the jobs stay busy.
    """
    parts: list[Part] = []
    for fi, path in enumerate(paths):
        size = _file_size(path)
        if jobs > 1 and size >= split_min and is_pcap(path):
            pieces = int(min(max(2, jobs * 2), max(2, size // max(1, split_min // 2))))
            step = (size - PCAP_HEADER_LEN) // pieces
            bounds = [PCAP_HEADER_LEN + i * step for i in range(pieces)] + [size]
            for i in range(pieces):
                parts.append(Part(path, fi, i, bounds[i] if i else None,
                                  bounds[i + 1] if i + 1 < pieces else None,
                                  exact=i == 0, size=bounds[i + 1] - bounds[i]))
        else:
            parts.append(Part(path, fi, 0, size=size))
    return parts


def join_parts(results: list[PartResult],
               rerun: Callable[[Part], PartResult] = analyse_part) -> list[FileResult]:
    """Join the parts of each file into one table per file, in file order.

    A byte range is kept only if it starts where the part before it ended;
    otherwise it is read again (``rerun``) from exactly there. Damage ends
    a file: the parts after it are dropped.
    """
    by_file: dict[int, list[PartResult]] = {}
    for r in results:
        by_file.setdefault(r.part.file_index, []).append(r)
    files = []
    for fi in sorted(by_file):
        rs = sorted(by_file[fi], key=lambda r: r.part.index)
        head = rs[0]
        table = head.table
        errors = [head.error] if head.error else []
        expected = head.next_offset
        stopped = head.error is not None
        for r in rs[1:]:
            if stopped:
                break
            p = r.part
            end = p.end if p.end is not None else float("inf")
            if expected is None or expected >= end:
                continue  # the part before read past this whole range
            if r.first_offset != expected:
                r = rerun(Part(p.path, p.file_index, p.index, expected, p.end, True, p.size))
            table.merge(r.table, by_time=False)
            if r.error:
                errors.append(r.error)
                stopped = True
            expected = r.next_offset
        files.append(FileResult(head.part.path, table, errors))
    return files


def merge_files(files: list[FileResult]) -> FlowTable:
    """One table for several files: one stream of packets in timestamp order."""
    order = sorted(range(len(files)), key=lambda i: (_first_ts(files[i].table), i))
    total = FlowTable()
    for i in order:
        total.merge(files[i].table, by_time=True)
    return total


def _first_ts(table: FlowTable) -> int:
    t = table.totals.first_ts
    return t if t is not None else np.iinfo(np.int64).max


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size if path != "-" else 0
    except OSError:
        return 0
