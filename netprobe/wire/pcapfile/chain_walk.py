"""Find the records of a capture file without a Python step per record.

A capture file is a chain: each record (pcap) or block (pcapng) says how
long it is, so where record *n* starts is only known once record *n - 1* has
been read. Walking that chain one record at a time in Python costs about
half a microsecond per record, as much as everything else the flow analysis
does.

This module walks many chains at once instead. A byte range is cut into
segments; at the start of each segment a *resync* looks for the first
position where a few consecutive plausible record headers follow each other
(what is plausible is the format's business: see :class:`ChainFormat`). All
the segment chains then advance together with numpy, one record per chain
per step.

The guesses are only guesses, so nothing rests on them: segment 0 starts at
a known record boundary, and the chain of segment *k* is kept only if the
chain of segment *k - 1* ends exactly where segment *k* was guessed to
start. At the first mismatch the walk starts again, exactly, from where the
last verified chain ended. The result is always the file's true chain; the
heuristic only decides how fast it is found.

The same resync lets a byte range of a large file be handed to another
process (``--jobs``): the part before it says where its last record ends,
and the two are joined only if they agree (see ``analysis.join_parts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from numpy.lib.stride_tricks import as_strided

from netprobe.npimport import np
from netprobe.packet.byte_rows import gather_rows, row_view

#: bytes between two resync points: about 70 typical records (fewer points
#: cost less searching than the longer lockstep walk they bring)
SEGMENT = 65536
#: bytes searched for a record start after each resync point
WINDOW = 2048
#: consecutive plausible headers a resync candidate needs
DEPTH = 4
#: below this many live chains the rest is walked record by record
MIN_LOCKSTEP = 24
#: captured lengths a resync accepts (larger records are real but rare: a
#: segment that starts inside one is simply joined to the segment before)
RESYNC_MAX_CAPLEN = 262144
#: bytes copied from each record by the walk: its header and the packet's first
#: bytes (enough for Ethernet, two VLAN tags, IPv6 and TCP: no second trip)
ROW = 112


class ChainFormat(Protocol):
    """What the walk needs to know of a file format."""

    #: bytes a record needs before its length can be read
    min_header: int

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """The total length (header included) of each record, from its first ``min_header`` bytes;
        -1 for a header that cannot be a record's (the walk stops there: damage)."""

    def length_at(self, a: np.ndarray, pos: int) -> int:
        """The same for the one record at ``pos`` (scalar, for short walks)."""

    def candidates(self, a: np.ndarray, points: np.ndarray, window: int) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
        """Possible record starts after each point: (point index, position), sorted."""

    def plausible(self, a: np.ndarray, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Whether each candidate's header looks like a record's."""


@dataclass
class Walk:
    """The records found in a byte range.

    ``starts`` are the records' file offsets and ``rows`` their first
    ``ROW`` bytes, both in walk order; ``rank`` gives file order.
    ``next_offset`` is where the record after the last one
    starts (at or past the range's end), or, when ``damaged``, the offset of
    a record that cannot be read (the records before it are all in
    ``starts``; the streaming reader says what is wrong there).
    """

    starts: np.ndarray
    rows: np.ndarray
    next_offset: int
    damaged: bool = False
    #: each record's place in file order (the records themselves are in the
    #: order the chains were walked, which saves sorting them)
    rank: np.ndarray | None = None


#: times are int64 nanoseconds: from 1678 to 2262 (a time past them is clamped)
TS_MAX = (1 << 63) - 1


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


def file_view(buffer: object) -> np.ndarray:
    """The whole file as a uint8 array (no copy)."""
    return np.frombuffer(buffer, dtype=np.uint8)  # type: ignore[call-overload]


def walk_records(a: np.ndarray, fmt: ChainFormat, start: int, end: int) -> Walk:
    """Every record starting in ``[start, end)``, ``start`` being a record boundary."""
    size = len(a)
    end = min(end, size)
    starts: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    ranks: list[np.ndarray] = []
    found = 0
    pos = start
    while pos < end:
        ch = _lockstep(a, fmt, pos, end)
        n = len(ch.firsts)
        # chain k is the file's own chain when chain k - 1 ends where k starts
        joins = np.flatnonzero(ch.stops[:-1] != ch.firsts[1:])
        good = int(joins[0]) + 1 if len(joins) else n
        damaged = np.flatnonzero(ch.damaged[:good])
        if len(damaged):
            good = int(damaged[0]) + 1
        if good == n:
            starts.append(ch.starts)
            rows.append(ch.rows)
            ranks.append(ch.rank + found)
        else:
            keep = np.flatnonzero(ch.ids < good)
            starts.append(ch.starts.take(keep))
            rows.append(ch.rows.take(keep, axis=0))
            ranks.append(ch.rank.take(keep) + found)
        found += len(starts[-1])
        stop = int(ch.stops[good - 1])
        if len(damaged):
            return _result(starts, rows, ranks, stop, True)
        if good == n:
            return _result(starts, rows, ranks, stop, False)
        # A wrong guess: walk one segment exactly before guessing again, so
        # that a file that defeats the heuristic still makes progress.
        s, stop, broken = _walk_one(a, fmt, stop, min(end, stop + SEGMENT))
        starts.append(s)
        rows.append(gather_rows(a, s, ROW))
        ranks.append(np.arange(found, found + len(s)))
        found += len(s)
        if broken:
            return _result(starts, rows, ranks, stop, True)
        pos = stop
    return _result(starts, rows, ranks, pos, False)


def window_matches(items: np.ndarray, firsts: np.ndarray, width: int,
                   value: int) -> tuple[np.ndarray, np.ndarray]:
    """Where ``value`` is among the ``width`` items from each of ``firsts`` (increasing
    item indexes): (index into ``firsts``, offset in items), sorted (for
    :meth:`ChainFormat.candidates`)."""
    step = int(firsts[1] - firsts[0]) if len(firsts) > 1 else 1
    if len(firsts) > 1 and np.all(np.diff(firsts) == step):
        size = items.itemsize
        win = as_strided(items[int(firsts[0]):], shape=(len(firsts), width),
                         strides=(step * size, size))
        flat = np.flatnonzero(win == value)
        return flat // width, flat % width
    segs, offs = [], []
    for i, p in enumerate(firsts.tolist()):
        o = np.flatnonzero(items[p:p + width] == value)
        segs.append(np.full(len(o), i))
        offs.append(o)
    return np.concatenate(segs), np.concatenate(offs)


def resync(a: np.ndarray, fmt: ChainFormat, offset: int, limit: int) -> int | None:
    """The first plausible record start in ``[offset, limit)``, or None.

    Used to start a part of a file at an unknown record boundary; the caller
    checks the guess against the part before.
    """
    found = _resync_many(a, fmt, np.array([offset], dtype=np.int64),
                         max(0, min(limit, len(a)) - offset))
    return None if found[0] < 0 else int(found[0])


# -- internals ----------------------------------------------------------------


@dataclass
class _Chains:
    """Chains walked together, their records in walk order.

    ``ids`` says which chain each record is on and ``rank`` its place in
    the order of the chains (file order, if the chains join).
    """

    firsts: np.ndarray
    stops: np.ndarray
    damaged: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    ids: np.ndarray
    rank: np.ndarray


def _result(starts: list[np.ndarray], rows: list[np.ndarray], ranks: list[np.ndarray],
            nxt: int, damaged: bool) -> Walk:
    if len(starts) == 1:  # the usual case: no copy
        return Walk(starts[0], rows[0], nxt, damaged, ranks[0])
    if starts:
        return Walk(np.concatenate(starts), np.concatenate(rows), nxt, damaged,
                    np.concatenate(ranks))
    return Walk(np.zeros(0, np.int64), np.zeros((0, ROW), np.uint8), nxt, damaged,
                np.zeros(0, np.int64))


def _resync_many(a: np.ndarray, fmt: ChainFormat, points: np.ndarray,
                 window: int) -> np.ndarray:
    """For each point, the first plausible record start in ``[point, point + window)``."""
    size = len(a)
    found = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0 or window <= 0:
        return found
    # points too near the end of the file for a whole window get no guess
    # (their segment is then walked as part of the one before)
    usable = np.flatnonzero(points + window + ROW <= size)
    if len(usable) < len(points):
        if len(usable) == 0:
            last = size - ROW - int(points[0])
            if len(points) == 1 and last > 0:
                return _resync_many(a, fmt, points, last)
            return found
        found[usable] = _resync_many(a, fmt, points[usable], window)
        return found
    seg, cand = fmt.candidates(a, points, window)
    # follow each candidate's chain; a failing candidate is dropped at once, so
    # that no implausible length sends a read to some far page of the file
    p = cand.copy()
    done = np.zeros(len(cand), dtype=bool)
    for _ in range(DEPTH):
        live = np.flatnonzero(~done)
        q = p[live]
        inside = q + ROW <= size
        rows = gather_rows(a, np.where(inside, q, 0), ROW)
        length = fmt.lengths(rows)
        ok = inside & (length > 0) & fmt.plausible(a, rows, q)
        keep = np.ones(len(p), dtype=bool)
        keep[live[~ok]] = False
        p[live] = q + length
        done |= p == size  # a chain that ends exactly at the end of the file is fine
        seg, cand, p, done = seg[keep], cand[keep], p[keep], done[keep]
        if len(p) == 0:
            break
    if len(seg):
        first = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
        found[seg[first]] = cand[first]
    return found


def _lockstep(a: np.ndarray, fmt: ChainFormat, start: int, end: int) -> _Chains:
    """Chains from ``start`` and from each resync point after it, walked together."""
    points = np.arange(start + SEGMENT, end, SEGMENT, dtype=np.int64)
    guesses = _resync_many(a, fmt, points, WINDOW)
    # guesses increase with their points (a window is shorter than a segment)
    firsts = np.concatenate(([start], guesses[(guesses > start) & (guesses < end)]))
    limits = np.append(firsts[1:], end)
    n = len(firsts)
    size = len(a)
    stops = np.zeros(n, dtype=np.int64)
    damaged = np.zeros(n, dtype=bool)
    pos_steps: list[np.ndarray] = []
    id_steps: list[np.ndarray] = []
    # Chains walk together while their records lie well inside the file, so
    # that a step needs no bounds checks; near its end they finish one by one.
    edge = size - ROW
    pos, lim, ids = firsts.copy(), limits.copy(), np.arange(n)
    near = pos > edge
    tails = list(zip(pos[near].tolist(), lim[near].tolist(), ids[near].tolist()))
    pos, lim, ids = pos[~near], lim[~near], ids[~near]
    lim2 = np.minimum(lim, edge + 1)
    # a step reads the records' headers only; their rows are gathered once at the end
    width = fmt.min_header
    view = row_view(a, width)
    step = 0
    while len(pos) >= MIN_LOCKSTEP:
        length = fmt.lengths(view[pos].view(np.uint8).reshape(-1, width))
        nxt = pos + length
        if length.min() <= 0:  # a header no record can have: damage
            bad = length <= 0
            stops[ids[bad]] = pos[bad]
            damaged[ids[bad]] = True
            keep = ~bad
            pos, lim, lim2, ids, nxt = pos[keep], lim[keep], lim2[keep], ids[keep], nxt[keep]
        live = nxt < lim2
        if not live.all():
            over = nxt > size  # a record that runs past the end of the file
            if over.any():
                stops[ids[over]] = pos[over]
                damaged[ids[over]] = True
                keep = ~over
                pos, lim, lim2, ids, nxt, live = (pos[keep], lim[keep], lim2[keep], ids[keep],
                                                  nxt[keep], live[keep])
            done = ~live
            late = done & (nxt < lim)  # still short of its limit, but near the end
            stops[ids[done]] = nxt[done]
            tails += zip(nxt[late].tolist(), lim[late].tolist(), ids[late].tolist())
        pos_steps.append(pos)
        id_steps.append(ids)
        step += 1
        if not live.all():
            nxt, lim, lim2, ids = nxt[live], lim[live], lim2[live], ids[live]
        pos = nxt
    tails += zip(pos.tolist(), lim.tolist(), ids.tolist())
    # every chain in the lockstep walk was at its k-th record at step k: they
    # all started together
    step_no = [np.repeat(np.arange(step, dtype=np.int64), [len(x) for x in id_steps])]
    counts = np.bincount(np.concatenate(id_steps), minlength=n) if id_steps else \
        np.zeros(n, dtype=np.int64)
    # the few chains still running finish one record at a time
    for p, lm, i in tails:
        s, stop, broken = _walk_one(a, fmt, p, lm)
        pos_steps.append(s)
        id_steps.append(np.full(len(s), i))
        step_no.append(np.arange(counts[i], counts[i] + len(s)))
        counts[i] += len(s)
        stops[i] = stop
        damaged[i] = broken
    if pos_steps:
        all_ids = np.concatenate(id_steps)
        base = np.concatenate(([0], np.cumsum(counts)[:-1]))
        rank = base.take(all_ids) + np.concatenate(step_no)
        starts = np.concatenate(pos_steps)
        return _Chains(firsts, stops, damaged, starts, gather_rows(a, starts, ROW), all_ids,
                       rank)
    z = np.zeros(0, np.int64)
    return _Chains(firsts, stops, damaged, z, np.zeros((0, ROW), np.uint8), z, z)


def _walk_one(a: np.ndarray, fmt: ChainFormat, start: int,
              end: int) -> tuple[np.ndarray, int, bool]:
    """The exact chain from ``start`` until a record starts at or past ``end``.

    Returns the starts, where the walk stopped and whether it stopped at damage.
    """
    size = len(a)
    hl = fmt.min_header
    offs: list[int] = []
    pos = start
    broken = False
    length_at = fmt.length_at
    while pos < end:
        if pos + hl > size:
            broken = True
            break
        length = length_at(a, pos)
        if length <= 0 or pos + length > size:
            broken = True
            break
        offs.append(pos)
        pos += length
    return np.array(offs, dtype=np.int64), pos, broken
