"""pcapng as a chain for :mod:`chain_walk`, and its packet blocks as arrays.

Every block is ``type u32, total length u32, body, total length u32`` in the
byte order of its section; blocks start on 4-byte boundaries. Packets come
in enhanced (EPB), simple (SPB) and obsolete (PB) packet blocks, which are
decoded here a whole walk at a time; section and interface blocks (few) are
read one by one, in order, so that each packet finds its interface's link
type and timestamp resolution.

Whatever this fast path does not expect (a section in the other byte order,
a block whose trailing length disagrees, a packet that names an interface
not described yet, a length that does not fit) is left to the project's
streaming reader, which reads and reports every pcapng detail: the caller
switches to it at that block (see ``batch``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from numpy.lib.stride_tricks import as_strided

from netprobe.npimport import np
from netprobe.packet.byte_rows import gather_rows
from netprobe.wire.pcapfile.chain_walk import RESYNC_MAX_CAPLEN
from netprobe.wire.pcapfile.file_info import CUSTOM_BLOCK_COPY, CUSTOM_BLOCK_NOCOPY
from netprobe.wire.pcapfile.pcapng_format import (
    BLOCK_EPB,
    BLOCK_IDB,
    BLOCK_ISB,
    BLOCK_NRB,
    BLOCK_PB,
    BLOCK_SHB,
    BLOCK_SPB,
    BYTE_ORDER_MAGIC,
    MAX_BLOCK_LEN,
    MIN_BLOCK_LEN,
    MIN_IDB_LEN,
    MIN_SHB_LEN,
)

#: decryption secrets block (read past, as the project reader does)
BLOCK_DSB = 0x0000000A
#: block types a resync accepts, besides packet blocks
KNOWN_BLOCKS = (BLOCK_IDB, BLOCK_NRB, BLOCK_ISB, CUSTOM_BLOCK_COPY, CUSTOM_BLOCK_NOCOPY,
                BLOCK_DSB)
_TS_MAX = (1 << 63) - 1


@dataclass
class Interface:
    """What a packet needs of its interface."""

    linktype: int
    snaplen: int
    units: int
    tsoffset: int


@dataclass
class PcapngFormat:
    """A pcapng file's block layout (a :class:`chain_walk.ChainFormat`), one byte order.

    It also keeps the state of the stream: the sections and their
    interfaces seen so far (``interfaces[section][local_id]``).
    """

    order: str
    min_header: int = 8
    sections: list[list[Interface]] = field(default_factory=list)

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
        words = window // 4
        count = (len(a) - int(points[0])) // 4
        base = np.ndarray(shape=(count,), dtype=self.u32, buffer=a, offset=int(points[0]))
        step = int(points[1] - points[0]) if len(points) > 1 else 4
        if len(points) > 1 and np.all(np.diff(points) == step):
            win = as_strided(base, shape=(len(points), words), strides=(step, 4))
            flat = np.flatnonzero(win == BLOCK_EPB)
            seg, off = flat // words, flat % words
        else:
            segs, offs = [], []
            for i, p in enumerate(points.tolist()):
                o = np.flatnonzero(base[(p - int(points[0])) // 4:][:words] == BLOCK_EPB)
                segs.append(np.full(len(o), i))
                offs.append(o)
            seg, off = np.concatenate(segs), np.concatenate(offs)
        return seg, points[seg] + 4 * off

    def plausible(self, a: np.ndarray, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Whether each block looks like one: known type, trailing length equal."""
        r = np.ascontiguousarray(rows[:, :28]).view(self.u32)
        btype = r[:, 0].astype(np.int64)
        blen = r[:, 1].astype(np.int64)
        ok = np.isin(btype, (BLOCK_EPB, BLOCK_SPB, BLOCK_PB, *KNOWN_BLOCKS))
        ok &= (blen >= MIN_BLOCK_LEN) & ((blen & 3) == 0) & (pos + blen <= len(a))
        epb = btype == BLOCK_EPB
        ok &= ~epb | ((r[:, 5] <= RESYNC_MAX_CAPLEN) & (r[:, 5] + 32 <= blen))
        tail = gather_rows(a, np.where(ok, pos + blen - 4, 0), 4).view(self.u32)[:, 0]
        return ok & (tail == blen)

    def damage(self, a: np.ndarray, pos: int) -> str:
        """A short reason (the streaming reader words the one the user sees)."""
        return f"unexpected block at offset {pos}"


class Unexpected(Exception):
    """Something the fast path leaves to the streaming reader, at a block offset."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


@dataclass
class Packets:
    """Packet blocks decoded: data offsets, lengths, times (ns), link types, first bytes."""

    off: np.ndarray
    caplen: np.ndarray
    wirelen: np.ndarray
    ts: np.ndarray
    linktype: np.ndarray
    head: np.ndarray


def packet_blocks(a: np.ndarray, fmt: PcapngFormat, starts: np.ndarray,
                  rows: np.ndarray) -> Packets:
    """The packets among walked blocks, reading section and interface blocks on the way.

    Raises :class:`Unexpected` at the first block the fast path does not
    handle; ``fmt`` then still describes the stream before that block.
    """
    r32 = np.ascontiguousarray(rows[:, :28]).view(fmt.u32).astype(np.int64)
    btype, blen = r32[:, 0], r32[:, 1]
    # every block's trailing length must repeat its length
    tail = gather_rows(a, starts + blen - 4, 4).view(fmt.u32)[:, 0].astype(np.int64)
    wrong = np.flatnonzero(tail != blen)
    limit = int(wrong[0]) if len(wrong) else len(starts)
    control = np.flatnonzero(~np.isin(btype[:limit], (BLOCK_EPB, BLOCK_SPB, BLOCK_PB)))
    # packet blocks between control blocks share a section and an interface table
    pieces: list[Packets] = []
    prev = 0
    for c in [*control.tolist(), limit]:
        if c > prev:
            pieces.append(_packets(a, fmt, starts[prev:c], rows[prev:c], r32[prev:c]))
        if c == limit:
            break
        _control(a, fmt, int(starts[c]), int(btype[c]), int(blen[c]))
        prev = c + 1
    if limit < len(starts):
        if pieces:
            # the packets before it are still delivered; the caller stops there
            raise _Partial(_concat(pieces), int(starts[limit]))
        raise Unexpected(int(starts[limit]))
    return _concat(pieces)


class _Partial(Unexpected):
    """Packets decoded before an unexpected block."""

    def __init__(self, packets: Packets, offset: int) -> None:
        super().__init__(offset)
        self.packets = packets


def _control(a: np.ndarray, fmt: PcapngFormat, pos: int, btype: int, blen: int) -> None:
    """Read a non-packet block: a new section, a new interface, or nothing."""
    from netprobe.errors import CaptureFileError
    from netprobe.wire.pcapfile.pcapng_options import IF_TSOFFSET, IF_TSRESOL, iter_options
    from netprobe.wire.pcapfile.timestamp import DEFAULT_TSRESOL, units_from_tsresol

    if btype == BLOCK_SHB:
        if blen < MIN_SHB_LEN:
            raise Unexpected(pos)
        bom = struct.unpack_from(fmt.order + "I", a, pos + 8)[0]
        major = struct.unpack_from(fmt.order + "H", a, pos + 12)[0]
        if bom != BYTE_ORDER_MAGIC or major != 1:
            raise Unexpected(pos)  # the other byte order, or a version to explain
        fmt.sections.append([])
        return
    if btype != BLOCK_IDB:
        return
    if blen < MIN_IDB_LEN or not fmt.sections:
        raise Unexpected(pos)
    linktype, snaplen = struct.unpack_from(fmt.order + "H2xI", a, pos + 8)
    tsresol, tsoffset = DEFAULT_TSRESOL, 0
    order = "little" if fmt.order == "<" else "big"
    try:
        for code, value in iter_options(a, pos + 16, pos + blen - 4, order, "", 0):
            if code == IF_TSRESOL and len(value):
                tsresol = int(value[0])
            elif code == IF_TSOFFSET and len(value) >= 8:
                tsoffset = struct.unpack_from(fmt.order + "q", value)[0]
    except CaptureFileError:
        raise Unexpected(pos) from None  # the streaming reader words the damage
    fmt.sections[-1].append(Interface(linktype, snaplen, units_from_tsresol(tsresol), tsoffset))


def _packets(a: np.ndarray, fmt: PcapngFormat, starts: np.ndarray, rows: np.ndarray,
             r32: np.ndarray) -> Packets:
    """Packet blocks of one section, in order, under its current interfaces."""
    if not fmt.sections or not fmt.sections[-1]:
        raise Unexpected(int(starts[0]))
    table = fmt.sections[-1]
    btype, blen = r32[:, 0], r32[:, 1]
    epb = btype != BLOCK_SPB  # EPB and PB share their layout from here on
    ifid = np.where(btype == BLOCK_EPB, r32[:, 2],
                    np.where(btype == BLOCK_PB, r32[:, 2] & 0xFFFF if fmt.order == "<"
                             else r32[:, 2] >> 16, 0))
    bad = np.flatnonzero(ifid >= len(table))
    if len(bad):
        raise Unexpected(int(starts[bad[0]]))
    links = np.array([i.linktype for i in table], dtype=np.int32)
    snaps = np.array([i.snaplen for i in table], dtype=np.int64)
    units = np.array([i.units for i in table], dtype=np.int64)
    offsets = np.array([i.tsoffset for i in table], dtype=np.int64)
    wirelen = np.where(epb, r32[:, 6], r32[:, 2])
    snap0 = snaps[0]
    caplen = np.where(epb, r32[:, 5], np.minimum(wirelen, snap0) if snap0 else wirelen)
    room = blen - np.where(epb, 32, 16)
    over = np.flatnonzero(caplen > room)
    if len(over):
        raise Unexpected(int(starts[over[0]]))
    dataoff = np.where(epb, 28, 12)
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
    return Packets(starts + dataoff, caplen, wirelen, ts, links.take(ifid), head[:, :width])


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
    ns[sec > edge] = _TS_MAX
    ns[sec < -edge] = -_TS_MAX
    return ns


def _concat(pieces: list[Packets]) -> Packets:
    if len(pieces) == 1:
        return pieces[0]
    if not pieces:
        z = np.zeros(0, np.int64)
        return Packets(z, z, z, z, z.astype(np.int32), np.zeros((0, 84), np.uint8))
    return Packets(*(np.concatenate([getattr(p, f) for p in pieces])
                     for f in ("off", "caplen", "wirelen", "ts", "linktype", "head")))
