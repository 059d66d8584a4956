"""pcapng as a chain for :mod:`chain_walk`, and its packet blocks as arrays.

The blocks are :mod:`pcapng_format`'s. Packet blocks are decoded here a whole
walk at a time; the few others (sections, interfaces, custom blocks) are read
one by one, in order, by the streaming reader's parser, so that each packet
finds its interface's link type and timestamp resolution.

Whatever this fast path does not expect (a section in the other byte order,
a block whose trailing length disagrees, a packet that names an interface
not described yet, a length that does not fit) is left to the streaming
reader, which reads and reports every pcapng detail: the caller hands the
file over to it at that block (see ``batch``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from netprobe.errors import CaptureFileError
from netprobe.npimport import np
from netprobe.packet.byte_rows import gather_rows
from netprobe.wire.pcapfile.chain_walk import RESYNC_MAX_CAPLEN, TS_MAX, Batch, window_matches
from netprobe.wire.pcapfile.file_info import CUSTOM_BLOCK_COPY, CUSTOM_BLOCK_NOCOPY
from netprobe.wire.pcapfile.pcapng_format import (
    BLOCK_DSB,
    BLOCK_EPB,
    BLOCK_IDB,
    BLOCK_ISB,
    BLOCK_NRB,
    BLOCK_PB,
    BLOCK_SPB,
    EPB_DATA,
    MAX_BLOCK_LEN,
    MIN_BLOCK_LEN,
    MIN_EPB_LEN,
    MIN_SPB_LEN,
    PACKET_BLOCKS,
    SPB_DATA,
    PcapngParser,
)

#: block types a resync accepts, besides packet blocks
KNOWN_BLOCKS = (BLOCK_IDB, BLOCK_NRB, BLOCK_ISB, CUSTOM_BLOCK_COPY, CUSTOM_BLOCK_NOCOPY,
                BLOCK_DSB)


@dataclass
class PcapngFormat:
    """A pcapng file's block layout (a :class:`chain_walk.ChainFormat`), one byte order.

    ``parser`` is the streaming reader's, reading the whole file ``data``: it
    keeps the sections and interfaces seen so far.
    """

    parser: PcapngParser
    data: object
    min_header: int = 8

    @property
    def order(self) -> str:
        """``"<"`` or ``">"``: the byte order of the current section."""
        assert self.parser.s is not None
        return "<" if self.parser.s.order == "little" else ">"

    @property
    def u32(self) -> str:
        """The numpy dtype of the file's 32-bit fields."""
        return self.order + "u4"

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """Each block's total length; -1 where it cannot be a block's."""
        blen = rows[:, 4:8].view(self.u32)[:, 0].astype(np.int64)
        bad = (blen < MIN_BLOCK_LEN) | ((blen & 3) != 0) | (blen > MAX_BLOCK_LEN)
        return np.where(bad, -1, blen)

    def length_at(self, a: np.ndarray, pos: int) -> int:
        """The total length of the block at ``pos`` (-1 if impossible)."""
        blen = struct.unpack_from(self.order + "I", a, pos + 4)[0]
        return -1 if blen < MIN_BLOCK_LEN or blen & 3 or blen > MAX_BLOCK_LEN else blen

    def candidates(self, a: np.ndarray, points: np.ndarray,
                   window: int) -> tuple[np.ndarray, np.ndarray]:
        """4-byte aligned positions after each point that hold an EPB's type."""
        points = (points + 3) & ~3
        count = (len(a) - int(points[0])) // 4
        words = np.ndarray(shape=(count,), dtype=self.u32, buffer=a, offset=int(points[0]))
        seg, off = window_matches(words, (points - points[0]) // 4, window // 4, BLOCK_EPB)
        return seg, points[seg] + 4 * off

    def plausible(self, a: np.ndarray, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Whether each block looks like one: known type, trailing length equal."""
        r = np.ascontiguousarray(rows[:, :28]).view(self.u32)
        btype = r[:, 0].astype(np.int64)
        blen = r[:, 1].astype(np.int64)
        ok = np.isin(btype, (*PACKET_BLOCKS, *KNOWN_BLOCKS))
        ok &= (blen >= MIN_BLOCK_LEN) & ((blen & 3) == 0) & (pos + blen <= len(a))
        epb = btype == BLOCK_EPB
        ok &= ~epb | ((r[:, 5] <= RESYNC_MAX_CAPLEN) & (r[:, 5] + MIN_EPB_LEN <= blen))
        tail = gather_rows(a, np.where(ok, pos + blen - 4, 0), 4).view(self.u32)[:, 0]
        return ok & (tail == blen)


class Unexpected(Exception):
    """Something the fast path leaves to the streaming reader, from a block offset on."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def packet_blocks(a: np.ndarray, fmt: PcapngFormat, starts: np.ndarray,
                  rows: np.ndarray) -> tuple[Batch, int | None]:
    """The packets among walked blocks, reading the other blocks on the way, and the
    offset of the first block the fast path leaves to the streaming reader (None: none).

    The packets are those before that block, which the streaming reader reads
    on from; ``fmt`` then describes the stream there.
    """
    r32 = np.ascontiguousarray(rows[:, :28]).view(fmt.u32).astype(np.int64)
    btype, blen = r32[:, 0], r32[:, 1]
    # every block's trailing length must repeat its length
    tail = gather_rows(a, starts + blen - 4, 4).view(fmt.u32)[:, 0].astype(np.int64)
    wrong = np.flatnonzero(tail != blen)
    limit = int(wrong[0]) if len(wrong) else len(starts)
    control = np.flatnonzero(~np.isin(btype[:limit], PACKET_BLOCKS))
    # packet blocks between control blocks share a section and an interface table
    pieces: list[Batch] = []
    prev = 0
    try:
        for c in [*control.tolist(), limit]:
            if c > prev:
                pieces.append(_packets(a, fmt, starts[prev:c], rows[prev:c], r32[prev:c]))
            if c == limit:
                break
            _control(fmt, int(starts[c]), int(blen[c]))
            prev = c + 1
    except Unexpected as exc:
        return _concat(a, pieces), exc.offset
    return _concat(a, pieces), int(starts[limit]) if limit < len(starts) else None


def _control(fmt: PcapngFormat, pos: int, blen: int) -> None:
    """Read a non-packet block with the streaming reader's parser."""
    order = fmt.order
    try:
        fmt.parser.read_block(fmt.data, pos)  # type: ignore[arg-type]
    except CaptureFileError:
        raise Unexpected(pos) from None  # the streaming reader reads it again and says why
    if fmt.order != order:
        raise Unexpected(pos + blen)  # a section in the other byte order: the rest is its


def _packets(a: np.ndarray, fmt: PcapngFormat, starts: np.ndarray, rows: np.ndarray,
             r32: np.ndarray) -> Batch:
    """Packet blocks of one section, in order, under its current interfaces (any of them
    unexpected: :class:`Unexpected` at the first, the streaming reader reads them all)."""
    table = fmt.parser.table
    if not table:
        raise Unexpected(int(starts[0]))
    btype, blen = r32[:, 0], r32[:, 1]
    epb = btype != BLOCK_SPB  # EPB and PB share their layout from here on
    ifid = np.where(btype == BLOCK_EPB, r32[:, 2],
                    np.where(btype == BLOCK_PB, r32[:, 2] & 0xFFFF if fmt.order == "<"
                             else r32[:, 2] >> 16, 0))
    if (ifid >= len(table)).any():
        raise Unexpected(int(starts[0]))
    _, links, units, offsets, snaps = (np.array(column, dtype=np.int64) for column in zip(*table))
    wirelen = np.where(epb, r32[:, 6], r32[:, 2])
    snap0 = snaps[0]
    caplen = np.where(epb, r32[:, 5], np.minimum(wirelen, snap0) if snap0 else wirelen)
    room = blen - np.where(epb, MIN_EPB_LEN, MIN_SPB_LEN)
    if (caplen > room).any():
        raise Unexpected(int(starts[0]))
    dataoff = np.where(epb, EPB_DATA, SPB_DATA)
    # times: a 64-bit count of the interface's units (none in an SPB: the epoch)
    high = (r32[:, 3] & 0xFFFFFFFF).astype(np.uint64)
    low = (r32[:, 4] & 0xFFFFFFFF).astype(np.uint64)
    ticks = np.where(epb, (high << np.uint64(32)) | low, np.uint64(0))
    u = units.take(ifid)
    ts = _nanoseconds(ticks, u, offsets.take(ifid))
    head = np.empty((len(starts), rows.shape[1] - 12), dtype=np.uint8)
    e = np.flatnonzero(epb)
    s = np.flatnonzero(~epb)
    width = rows.shape[1] - 28
    head[e, :width] = rows.take(e, axis=0)[:, 28:]
    head[e, width:] = 0
    head[s] = rows.take(s, axis=0)[:, 12:]
    return Batch(a, starts + dataoff, caplen, wirelen, ts, links.astype(np.int32).take(ifid),
                 head=head[:, :width])


def _nanoseconds(ticks: np.ndarray, units: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Nanoseconds since the epoch from tick counts (rounded down, clamped to int64)."""
    limit = np.uint64(1 << 62)
    big = ticks >= limit
    t = np.where(big, limit, ticks).astype(np.int64)
    sec, frac = np.divmod(t, units)
    if (units <= 10**9).all() and (10**9 % units == 0).all():
        frac_ns = frac * (10**9 // units)
    else:
        frac_ns = np.array([f * 10**9 // int(un) for f, un in zip(frac.tolist(), units.tolist())],
                           dtype=np.int64)
    sec = sec + offsets
    # past the int64 range (from 1678 to 2262) a time is clamped, as the stream reader does
    edge = 9_223_372_035
    ns = np.clip(sec, -edge, edge) * 10**9 + frac_ns
    ns[sec > edge] = TS_MAX
    ns[sec < -edge] = -TS_MAX
    return ns


def _concat(a: np.ndarray, pieces: list[Batch]) -> Batch:
    if len(pieces) == 1:
        return pieces[0]
    if not pieces:
        z = np.zeros(0, np.int64)
        return Batch(a, z, z, z, z, z.astype(np.int32), head=np.zeros((0, 84), np.uint8))
    return Batch(a, *(np.concatenate([getattr(p, f) for p in pieces])
                      for f in ("off", "caplen", "wirelen", "ts", "linktype")),
                 head=np.concatenate([p.head for p in pieces]))  # type: ignore[misc]
