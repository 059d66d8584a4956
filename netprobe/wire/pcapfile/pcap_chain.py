"""Classic pcap as a chain for :mod:`chain_walk` (the layout is :mod:`pcap_format`'s).

A resync candidate is a position whose ``ts_sec`` has the same top byte as
the file's first record (the same era: 2^24 seconds, about 194 days), whose
fraction is below one second, and whose captured length is plausible and no
larger than its wire length.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from netprobe.npimport import np
from netprobe.wire.pcapfile.chain_walk import RESYNC_MAX_CAPLEN, window_matches
from netprobe.wire.pcapfile.pcap_format import (
    MAX_RECORD_LEN,
    MODIFIED_RECORD_HEADER_LEN,
    RECORD_HEADER_LEN,
    PcapHeader,
)


@dataclass(frozen=True)
class PcapFormat:
    """A classic pcap file's record layout (a :class:`chain_walk.ChainFormat`).

    ``order`` is ``"<"`` or ``">"``; ``header_len`` is a record header's
    length; ``top`` is the top byte of the first record's ``ts_sec``.
    """

    order: str
    header_len: int
    ts_units: int
    linktype: int
    top: int = 0

    @classmethod
    def of(cls, header: PcapHeader, data: bytes, start: int) -> PcapFormat:
        """The layout of a file whose header is ``header``, its first record at ``data[start]``."""
        order = "<" if header.byte_order == "little" else ">"
        top = data[start + (3 if order == "<" else 0)] if len(data) > start + 4 else 0
        hlen = MODIFIED_RECORD_HEADER_LEN if header.modified else RECORD_HEADER_LEN
        return cls(order, hlen, header.ts_units, header.linktype, top)

    @property
    def min_header(self) -> int:
        """Bytes a record needs before its length can be read."""
        return self.header_len

    @property
    def u32(self) -> str:
        """The numpy dtype of the file's 32-bit fields."""
        return self.order + "u4"

    def fields(self, rows: np.ndarray) -> np.ndarray:
        """(n, 4) int64 header fields (sec, frac, caplen, wirelen) of walk rows."""
        return np.ascontiguousarray(rows[:, :16]).view(self.u32).astype(np.int64)

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """Each record's total length; -1 where the captured length is absurd."""
        length = rows[:, 8:12].view(self.u32)[:, 0].astype(np.int64)
        length += self.header_len
        if length.max(initial=0) > MAX_RECORD_LEN + self.header_len:
            length[length > MAX_RECORD_LEN + self.header_len] = -1
        return length

    def length_at(self, a: np.ndarray, pos: int) -> int:
        """The total length of the record at ``pos`` (-1 if absurd)."""
        cap = struct.unpack_from(self.order + "I", a, pos + 8)[0]
        return -1 if cap > MAX_RECORD_LEN else self.header_len + cap

    def candidates(self, a: np.ndarray, points: np.ndarray,
                   window: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions after each point whose ``ts_sec`` top byte is the file's."""
        ti = 3 if self.order == "<" else 0
        seg, off = window_matches(a, points, window, self.top)
        cand = points[seg] + off - ti
        keep = cand >= points[seg]
        return seg[keep], cand[keep]

    def plausible(self, a: np.ndarray, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Whether each header looks like a record's of this file."""
        h = self.fields(rows)
        sec, frac, cap, wire = h[:, 0], h[:, 1], h[:, 2], h[:, 3]
        return ((np.abs((sec >> 24) - self.top) <= 1) & (frac < self.ts_units)
                & (cap <= RESYNC_MAX_CAPLEN) & (cap <= wire) & (wire < (1 << 24)))
