"""pcapng: blocks, sections, interfaces and the packet stream.

Every block is ``type u32, total length u32, body, total length u32`` in the
byte order of its section, which the section header block (SHB) declares
with its byte-order magic.  An SHB starts a new section and forgets the
interfaces of the previous one.  Packets come in enhanced (EPB), simple (SPB)
and obsolete packet blocks (PB); every other block type is skipped, custom
blocks are kept for the caller (up to a bound).

The parser checks each block's length (at least 12, a multiple of 4, the
trailing copy equal) before looking inside it, so damage is reported at the
offset of the block where it starts.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING

from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile.file_info import (
    CUSTOM_BLOCK_COPY,
    CUSTOM_BLOCK_NOCOPY,
    CustomBlock,
    InterfaceInfo,
    SectionInfo,
)
from netprobe.wire.pcapfile.pcap_format import MAX_RECORD_LEN
from netprobe.wire.pcapfile.pcapng_options import (
    IDB_TEXTS,
    IF_TSOFFSET,
    IF_TSRESOL,
    SHB_TEXTS,
    iter_options,
    keep_text,
)
from netprobe.wire.pcapfile.record import CaptureRecord
from netprobe.wire.pcapfile.timestamp import DEFAULT_TSRESOL

if TYPE_CHECKING:
    from netprobe.wire.pcapfile.chunked_input import ChunkedInput
    from netprobe.wire.pcapfile.reader import CaptureReader

BLOCK_SHB = 0x0A0D0D0A
BLOCK_IDB = 0x00000001
BLOCK_PB = 0x00000002
BLOCK_SPB = 0x00000003
BLOCK_NRB = 0x00000004
BLOCK_ISB = 0x00000005
BLOCK_EPB = 0x00000006
#: decryption secrets block (read past: it holds no packet)
BLOCK_DSB = 0x0000000A
BYTE_ORDER_MAGIC = 0x1A2B3C4D

SHB_MAGIC_BYTES = b"\x0a\x0d\x0d\x0a"
_BOM_ORDER = {b"\x4d\x3c\x2b\x1a": "little", b"\x1a\x2b\x3c\x4d": "big"}

MIN_BLOCK_LEN = 12
MIN_SHB_LEN = 28
MIN_IDB_LEN = 20
MIN_EPB_LEN = 32
MIN_SPB_LEN = 16
MIN_CUSTOM_LEN = 16
#: where a packet's data starts in an EPB (and an obsolete PB), and in an SPB
EPB_DATA = 28
SPB_DATA = 12
#: Longer blocks are taken as damage (a packet block holds at most one record).
MAX_BLOCK_LEN = MAX_RECORD_LEN + (1 << 16)

#: Custom blocks kept for the caller; past either bound they are only counted,
#: so a file made of custom blocks cannot exhaust memory.
MAX_CUSTOM_BLOCKS = 256
MAX_CUSTOM_BYTES = 4 << 20

PACKET_BLOCKS = (BLOCK_EPB, BLOCK_SPB, BLOCK_PB)

#: the blocks the parser reads: their names (in messages) and shortest lengths
BLOCKS = {
    BLOCK_SHB: ("section header block", MIN_SHB_LEN),
    BLOCK_IDB: ("interface description block", MIN_IDB_LEN),
    BLOCK_EPB: ("enhanced packet block", MIN_EPB_LEN),
    BLOCK_PB: ("packet block", MIN_EPB_LEN),
    BLOCK_SPB: ("simple packet block", MIN_SPB_LEN),
    CUSTOM_BLOCK_COPY: ("custom block", MIN_CUSTOM_LEN),
    CUSTOM_BLOCK_NOCOPY: ("custom block", MIN_CUSTOM_LEN),
}

_EOF = object()

#: Where a packet block's record is: its interface's table entry ``(index,
#: linktype, units, tsoffset, snaplen)``, timestamp count, data start, caplen, wirelen.
_Place = tuple[tuple[int, int, int, int, int], int, int, int, int]


class _Structs:
    """The layouts of one byte order (the writer's too: see ``LITTLE``)."""

    __slots__ = ("epb", "head", "i64", "idb", "order", "pb", "shb", "u32")

    def __init__(self, order: str) -> None:
        e = "<" if order == "little" else ">"
        self.order = order
        self.u32 = struct.Struct(e + "I")
        # type, length (the start of every block)
        self.head = struct.Struct(e + "II")
        # type, length, interface id, timestamp high, low, caplen, wirelen
        self.epb = struct.Struct(e + "IIIIIII")
        # byte-order magic, major, minor (at offset 8 of an SHB)
        self.shb = struct.Struct(e + "IHH")
        # linktype, reserved, snaplen (at offset 8 of an IDB)
        self.idb = struct.Struct(e + "HHI")
        # interface id, drops, timestamp high, low, caplen, wirelen (offset 8 of a PB)
        self.pb = struct.Struct(e + "HHIIII")
        self.i64 = struct.Struct(e + "q")


_STRUCTS = {"little": _Structs("little"), "big": _Structs("big")}
#: what the writer writes: one little-endian section
LITTLE = _STRUCTS["little"]


class PcapngParser:
    """Reads a pcapng stream block by block into a :class:`CaptureReader`'s state.

    Interfaces are numbered across sections in the order their IDBs appear;
    :attr:`table` maps the current section's interface ids to
    ``(index, linktype, units, tsoffset, snaplen)``.
    """

    def __init__(self, src: ChunkedInput, reader: CaptureReader) -> None:
        self.src = src
        self.reader = reader
        self.path = src.path
        self.s: _Structs | None = None
        self.table: list[tuple[int, int, int, int, int]] = []
        self.custom_bytes = 0

    # -- errors -------------------------------------------------------------

    def _damage(self, pos: int, message: str) -> CaptureFileError:
        return CaptureFileError(self.path, self.src.base + pos, message)

    # -- one block, slow path -----------------------------------------------

    def read_block(self, buf: bytes, pos: int) -> tuple[bytes, int, object]:
        """Handle the block at ``buf[pos]``; return the new buffer, position and result.

        The result is a packet's place (see :meth:`_timed_packet`), ``None``
        for a block that holds no packet, or ``_EOF`` at a clean end of file.
        """
        src = self.src
        if len(buf) - pos < MIN_BLOCK_LEN:
            buf, pos = src.refill(buf, pos, MIN_BLOCK_LEN)
            if not buf:
                return buf, pos, _EOF
            if len(buf) < MIN_BLOCK_LEN:
                raise self._damage(pos, f"truncated block header: {len(buf)} bytes at end of file")
        if buf[pos : pos + 4] == SHB_MAGIC_BYTES:
            buf, pos, s, btype, blen = self._section_header(buf, pos)
        else:
            s = self.s
            if s is None:
                raise self._damage(pos, "file does not start with a section header block")
            btype, blen = s.head.unpack_from(buf, pos)
        if blen < MIN_BLOCK_LEN or blen & 3:
            raise self._damage(pos, f"bad block length {blen} (block type 0x{btype:08x}): "
                               "not a multiple of 4 of at least 12")
        if blen > MAX_BLOCK_LEN:
            raise self._damage(
                pos, f"block length {blen} (block type 0x{btype:08x}) is implausibly large")
        if len(buf) - pos < blen:
            buf, pos = src.refill(buf, pos, blen)
            if len(buf) < blen:
                raise self._damage(pos,
                                   f"truncated block: type 0x{btype:08x} announces {blen} bytes, "
                                   f"{len(buf)} left in file")
        trailer = s.u32.unpack_from(buf, pos + blen - 4)[0]
        if trailer != blen:
            raise self._damage(pos, f"block length {blen} at the start but {trailer} at the end "
                               f"(block type 0x{btype:08x})")
        known = BLOCKS.get(btype)
        if known is not None and blen < known[1]:
            raise self._damage(pos, f"{known[0]} of {blen} bytes is shorter than {known[1]}")
        result = None
        if btype == BLOCK_EPB:
            result = self._timed_packet(buf, pos, blen, False)
        elif btype == BLOCK_SPB:
            result = self._simple_packet(buf, pos, blen)
        elif btype == BLOCK_IDB:
            self._interface(buf, pos, blen)
        elif btype == BLOCK_SHB:
            self._start_section(s, buf, pos, blen)
        elif btype == BLOCK_PB:
            result = self._timed_packet(buf, pos, blen, True)
        elif btype in (CUSTOM_BLOCK_COPY, CUSTOM_BLOCK_NOCOPY):
            self._custom(buf, pos, blen, btype == CUSTOM_BLOCK_COPY)
        # Any other block (NRB, ISB, DSB, unknown) carries nothing we need.
        return buf, pos + blen, result

    def _section_header(self, buf: bytes, pos: int) -> tuple[bytes, int, _Structs, int, int]:
        """Check an SHB's byte order and version; return buffer, position, structs, type, length."""
        if len(buf) - pos < 16:
            buf, pos = self.src.refill(buf, pos, 16)
            if len(buf) < 16:
                raise self._damage(
                    pos, f"truncated section header block: {len(buf)} bytes at end of file")
        order = _BOM_ORDER.get(buf[pos + 8 : pos + 12])
        if order is None:
            raise self._damage(pos, "section header block has no valid byte-order magic")
        s = _STRUCTS[order]
        _, major, minor = s.shb.unpack_from(buf, pos + 8)
        if major != 1:
            raise self._damage(
                pos, f"unsupported pcapng version {major}.{minor} (major version must be 1)")
        return buf, pos, s, BLOCK_SHB, s.u32.unpack_from(buf, pos + 4)[0]

    def _start_section(self, s: _Structs, buf: bytes, pos: int, blen: int) -> None:
        _, major, minor = s.shb.unpack_from(buf, pos + 8)
        texts: dict[str, str] = {}
        for code, value in iter_options(buf, pos + 24, pos + blen - 4, s.order, self.path,
                                        self.src.base):
            keep_text(SHB_TEXTS, texts, code, value)
        info = SectionInfo(self.src.base + pos, s.order, (major, minor), **texts)
        self.s = s
        self.table = []
        self.reader.sections.append(info)

    def _interface(self, buf: bytes, pos: int, blen: int) -> None:
        s = self.s
        linktype, _, snaplen = s.idb.unpack_from(buf, pos + 8)
        tsresol = DEFAULT_TSRESOL
        tsoffset = 0
        texts: dict[str, str] = {}
        for code, value in iter_options(buf, pos + 16, pos + blen - 4, s.order, self.path,
                                        self.src.base):
            if code == IF_TSRESOL and value:
                tsresol = value[0]
            elif code == IF_TSOFFSET and len(value) >= 8:
                tsoffset = s.i64.unpack_from(value, 0)[0]
            else:
                keep_text(IDB_TEXTS, texts, code, value)
        interfaces = self.reader.interfaces
        info = InterfaceInfo.from_idb(linktype, snaplen, tsresol, tsoffset, **texts,
                                      section=len(self.reader.sections) - 1,
                                      local_id=len(self.table))
        self.table.append((len(interfaces), linktype, info.ts_units, tsoffset, snaplen))
        interfaces.append(info)

    def _lookup(self, pos: int, ifid: int, kind: str) -> tuple[int, int, int, int, int]:
        try:
            return self.table[ifid]
        except IndexError:
            raise self._damage(
                pos,
                f"{kind} refers to interface {ifid}, but its section describes {len(self.table)}",
            ) from None

    # A packet block's place: (interface table entry, timestamp count, data start,
    # caplen, wirelen); :meth:`records` makes the record, in one place.

    def _timed_packet(self, buf: bytes, pos: int, blen: int, obsolete: bool) -> _Place:
        """The place of an enhanced or obsolete packet block (the same layout after the
        interface id, 32 bits in an EPB, 16 in a PB: timestamp, lengths, data at offset 28)."""
        what = BLOCKS[BLOCK_PB if obsolete else BLOCK_EPB][0]
        if obsolete:
            ifid, _, high, low, caplen, wirelen = self.s.pb.unpack_from(buf, pos + 8)
        else:
            _, _, ifid, high, low, caplen, wirelen = self.s.epb.unpack_from(buf, pos)
        if caplen + MIN_EPB_LEN > blen:
            raise self._damage(pos, f"{what} of {blen} bytes cannot hold {caplen} captured bytes")
        return self._lookup(pos, ifid, what), (high << 32) | low, pos + EPB_DATA, caplen, wirelen

    def _simple_packet(self, buf: bytes, pos: int, blen: int) -> _Place:
        wirelen = self.s.u32.unpack_from(buf, pos + 8)[0]
        # An SPB belongs to interface 0 and is cut to its snaplen (0: unlimited).
        index, linktype, units, _, snaplen = self._lookup(pos, 0, "simple packet block")
        caplen = min(wirelen, snaplen) if snaplen else wirelen
        if caplen + MIN_SPB_LEN > blen:
            raise self._damage(
                pos, f"simple packet block of {blen} bytes cannot hold {caplen} captured bytes")
        # An SPB has no timestamp: report the epoch (no offset), in the interface's units.
        return (index, linktype, units, 0, snaplen), 0, pos + SPB_DATA, caplen, wirelen

    def _custom(self, buf: bytes, pos: int, blen: int, copyable: bool) -> None:
        reader = self.reader
        body = blen - MIN_CUSTOM_LEN
        if (len(reader.custom_blocks) >= MAX_CUSTOM_BLOCKS
            or self.custom_bytes + body > MAX_CUSTOM_BYTES):
            reader.custom_blocks_dropped += 1
            return
        self.custom_bytes += body
        pen = self.s.u32.unpack_from(buf, pos + 8)[0]
        reader.custom_blocks.append(
            CustomBlock(pen, buf[pos + 12 : pos + blen - 4], copyable, self.src.base + pos))

    # -- the stream ----------------------------------------------------------

    def prime(self) -> None:
        """Read the blocks before the first packet: sections, interfaces, metadata."""
        src = self.src
        buf, pos = src.buf, src.pos
        while True:
            if len(buf) - pos < 8:
                buf, pos = src.refill(buf, pos, MIN_BLOCK_LEN)
            s = self.s
            if (s is not None and len(buf) - pos >= 8
                    and s.u32.unpack_from(buf, pos)[0] in PACKET_BLOCKS):
                break
            buf, pos, result = self.read_block(buf, pos)
            if result is _EOF:
                break
        src.buf, src.pos = buf, pos

    def records(self) -> Iterator[CaptureRecord]:
        """Yield every packet record; raise :class:`CaptureFileError` at damage.

        The common case, an EPB wholly inside the buffer, is decoded inline;
        everything else goes through :meth:`read_block`.
        """
        src = self.src
        reader = self.reader
        new = tuple.__new__
        rec_type = CaptureRecord
        buf, pos = src.buf, src.pos
        end = len(buf)
        s = self.s
        if s is None:  # empty stream: prime() found nothing
            return
        epb, tail, table = s.epb.unpack_from, s.u32.unpack_from, self.table
        while True:
            inline = False
            if end - pos >= EPB_DATA:
                btype, blen, ifid, high, low, caplen, wirelen = epb(buf, pos)
                nxt = pos + blen
                if (btype == BLOCK_EPB and nxt <= end and caplen + MIN_EPB_LEN <= blen
                    and not blen & 3 and ifid < len(table) and tail(buf, nxt - 4)[0] == blen):
                    entry = table[ifid]
                    stamp = (high << 32) | low
                    start = pos + EPB_DATA
                    pos = nxt
                    inline = True
            if not inline:
                buf, pos, place = self.read_block(buf, pos)
                end = len(buf)
                s = self.s
                epb, tail, table = s.epb.unpack_from, s.u32.unpack_from, self.table
                if place is None:
                    continue
                if place is _EOF:
                    return
                # The place is in the buffer read_block returns.
                entry, stamp, start, caplen, wirelen = place  # type: ignore[misc]
            index, linktype, units, tsoffset, _ = entry
            sec, frac = divmod(stamp, units)
            reader.packets_read += 1
            yield new(rec_type, (buf[start : start + caplen], caplen, wirelen, linktype,
                                 sec + tsoffset, frac, units, index))
