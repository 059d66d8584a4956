"""Exact-match keys for TCP answers, made for whole capture batches at once.

The loop's general matching finds a probe's bucket by ``hashkey()`` and then
asks ``answers()`` of every probe in it: correct for any packet, but a dozen
Python calls per answer. Most answers of a scan are TCP segments answering a
plain IPv4 TCP probe, and for those ``answers()`` reduces to a comparison of
fixed bytes: the answer comes from the probe's destination, its ports are the
probe's swapped, and when the probe is a SYN and the answer carries ACK, its
acknowledgement number is the probe's sequence number plus one.

So each such probe gets a *strict key* holding exactly those bytes (for a
non-SYN probe, whose answers are not checked by ACK number, the key stops
before it), and each captured segment the same key read from its own bytes
(with its ACK number when it carries the flag: the loop then also tries the
key without it, for non-SYN probes); a dictionary hit
is then a match by the same rule as ``answers()``, and a miss falls back to
the general path. The answer side is computed with numpy over a whole
``next_batch`` buffer: one gather and a few column operations per batch
instead of per-packet parsing.

Key layout, IPv4: answer source address (= probe destination), answer source
port (= probe destination port), answer destination port (= probe source
port): 8 bytes; then, for SYN probes and answers carrying ACK, the
acknowledgement number (= probe sequence + 1): 12 bytes. IPv6 (whose
``answers()`` also checks the answer's destination): answer source and
destination addresses (= probe destination and source), the ports: 36 bytes,
40 with the acknowledgement number. Keys of different lengths never meet.
"""

from __future__ import annotations

import struct
import sys
from typing import TYPE_CHECKING, Any

from netprobe.engine.compiled import batch as cbatch
from netprobe.packet.shape import ETHERTYPE_IPV4, ETHERTYPE_IPV6, MATCH_LINKS

if TYPE_CHECKING:  # numpy is imported when a batch is large enough to need it
    import numpy as np

#: without the compiled keys: capture batches at least this large get theirs with numpy
NUMPY_BATCH = 16
#: numpy (0.1-0.3 s to import) is imported for that only by runs that have sent this many
#: probes; smaller runs use it only when something else imported it already
NUMPY_RUN = 4096
#: pcapy-ng's next_batch metadata: native uint32 sec, usec, offset, caplen per packet
META = struct.Struct("=IIII")

#: length of an IPv4 key that ends before the acknowledgement number
PREFIX = 8
#: the same for IPv6
PREFIX6 = 36
#: lengths of keys that end with an acknowledgement number (IPv4, IPv6): without its
#: last 4 bytes such a key is the key of a non-SYN probe
WITH_ACK = frozenset({PREFIX + 4, PREFIX6 + 4})
_MASK32 = 0xFFFFFFFF
_V4_TYPE = ETHERTYPE_IPV4.to_bytes(2, "big")
_V6_TYPE = ETHERTYPE_IPV6.to_bytes(2, "big")


def probe_key(data: bytes, fast: tuple | None) -> bytes | None:
    """The strict key answers to this probe will carry, or None (general path only).

    ``fast`` is :func:`netprobe.packet.fastpath.parse` of ``data``: the probe
    must be a plain IPv4 TCP segment the fast path understands.
    """
    if fast is None:
        return None
    off, proto, _src, _dst, end = fast
    t = off + 20
    if proto != 6 or end - t < 20:
        return None
    hl = (data[t + 12] >> 4) * 4
    if hl < 20 or t + hl > end:
        return None
    prefix = data[off + 16:off + 20] + data[t + 2:t + 4] + data[t:t + 2]
    if data[t + 13] & 0x02:  # SYN: the answer's ACK number decides
        seq = int.from_bytes(data[t + 4:t + 8], "big")
        return prefix + ((seq + 1) & _MASK32).to_bytes(4, "big")
    return prefix


def probe_key6(data: bytes, ip: int) -> bytes | None:
    """:func:`probe_key` of an IPv6 TCP probe whose header starts at ``ip`` (TCP right
    after the fixed header, a unicast destination), or None."""
    t = ip + 40
    if len(data) < t + 20 or data[ip] >> 4 != 6 or data[ip + 6] != 6 or data[ip + 24] == 0xFF:
        return None
    plen = data[ip + 4] << 8 | data[ip + 5]
    hl = (data[t + 12] >> 4) * 4
    if plen < 20 or t + plen > len(data) or hl < 20 or hl > plen:
        return None
    prefix = data[ip + 24:ip + 40] + data[ip + 8:ip + 24] + data[t + 2:t + 4] + data[t:t + 2]
    if data[t + 13] & 0x02:
        seq = int.from_bytes(data[t + 4:t + 8], "big")
        return prefix + ((seq + 1) & _MASK32).to_bytes(4, "big")
    return prefix


def probe_ip6(data: bytes, linktype: int) -> int | None:
    """Where an IPv6 header starts in a probe of this link type (untagged), or None."""
    ip, et, version = MATCH_LINKS.get(linktype, (-1, -1, 4))
    if version == 4 or len(data) <= ip:
        return None
    if et >= 0:
        return ip if data[et:et + 2] == _V6_TYPE else None
    return ip if data[ip] >> 4 == 6 else None


def template_keys6(arr: np.ndarray, ip: int) -> list[bytes | None]:
    """:func:`probe_key6` of every row of a batch of same-layout IPv6 TCP probes."""
    return [probe_key6(row, ip) for row in map(bytes, arr)]


def template_keys(arr: np.ndarray, ip: int) -> list[bytes | None]:
    """:func:`probe_key` of every row of a batch of same-layout IPv4 TCP probes.

    ``arr`` is a (count, length) uint8 matrix; ``ip`` where the IPv4 header
    starts (no options: the template's fast path says so).
    """
    from netprobe.npimport import np

    t = ip + 20
    n = arr.shape[0]
    out = np.empty((n, 12), dtype=np.uint8)
    out[:, 0:4] = arr[:, ip + 16:ip + 20]
    out[:, 4:6] = arr[:, t + 2:t + 4]
    out[:, 6:8] = arr[:, t:t + 2]
    seq = ((arr[:, t + 4].astype(np.uint64) << np.uint64(24))
           | (arr[:, t + 5].astype(np.uint64) << np.uint64(16))
           | (arr[:, t + 6].astype(np.uint64) << np.uint64(8))
           | arr[:, t + 7].astype(np.uint64))
    ack = (seq + np.uint64(1)) & np.uint64(_MASK32)
    for b in range(4):
        out[:, 8 + b] = (ack >> np.uint64(24 - 8 * b)) & np.uint64(0xFF)
    syn = ((arr[:, t + 13] & 0x02) != 0).tolist()
    ok = ((arr[:, t + 12] >> 4) >= 5).tolist()
    raw = out.tobytes()
    return [None if not ok[i] else raw[i * 12:i * 12 + (12 if syn[i] else PREFIX)]
            for i in range(n)]


def capture_keys(buf: bytes, meta: bytes, linktype: int,
                 large_run: bool = False) -> list[bytes | None] | None:
    """The strict key of every packet of a capture batch (``next_batch``'s buffer and
    packed meta), by the fastest implementation at hand: the compiled one, else numpy
    for batches of ``NUMPY_BATCH`` or more when numpy is loaded or the run is large,
    else Python per packet. None for link types the keys are not read from."""
    if cbatch is not None:
        return cbatch.answer_keys(buf, meta, linktype)
    n = len(meta) // 16
    if n >= NUMPY_BATCH and (large_run or "numpy" in sys.modules):
        from netprobe.npimport import np

        return answer_keys(buf, np.frombuffer(meta, dtype=np.uint32, count=n * 4).reshape(n, 4),
                           linktype)
    if linktype not in MATCH_LINKS:
        return None
    return [answer_key(buf[off:off + caplen], linktype)
            for _s, _u, off, caplen in META.iter_unpack(meta)]


def answer_keys(buf: bytes, meta: np.ndarray, linktype: int) -> list[bytes | None] | None:
    """The strict key of every packet of a capture batch (None where it has none).

    ``meta`` is the batch's (n, 4) uint32 matrix of sec, usec, offset, caplen.
    A packet has a key when it is a plain IPv4 TCP segment (no IP options, not
    a fragment, lengths consistent) on a link type of
    :data:`~netprobe.packet.shape.MATCH_LINKS`, untagged; the key ends with
    its ACK number when it carries the ACK flag.
    Returns None for link types it does not read.
    """
    from netprobe.npimport import np

    if linktype not in MATCH_LINKS:
        return None
    base, et, version = MATCH_LINKS[linktype]
    n = meta.shape[0]
    need = base + 60  # an IPv6 header and a TCP header (IPv4 needs less)
    a = np.frombuffer(buf, dtype=np.uint8)
    if not len(a):
        return [None] * n
    offs = meta[:, 2].astype(np.int64)
    caplen = meta[:, 3].astype(np.int64)
    idx = offs[:, None] + np.arange(need, dtype=np.int64)
    np.minimum(idx, len(a) - 1, out=idx)
    h = a[idx]
    inside = offs + caplen <= len(a)
    keys6 = (_answer_keys6(np, h, caplen, base, et, inside) if version != 4 else [None] * n)
    ok = (caplen >= base + 40) & inside & (version != 6)
    if et >= 0:
        ok &= (h[:, et] == _V4_TYPE[0]) & (h[:, et + 1] == _V4_TYPE[1])
    ok &= (h[:, base] == 0x45) & (h[:, base + 9] == 6)
    ok &= ((h[:, base + 6] & 0x3F) | h[:, base + 7]) == 0  # not a fragment
    tl = (h[:, base + 2].astype(np.int64) << 8) | h[:, base + 3]
    ok &= (tl >= 40) & (base + tl <= caplen)
    thl = (h[:, base + 32] >> 4).astype(np.int64) * 4
    ok &= (thl >= 20) & (20 + thl <= tl)
    t = base + 20
    key = np.empty((n, 12), dtype=np.uint8)
    key[:, 0:4] = h[:, base + 12:base + 16]
    key[:, 4:8] = h[:, t:t + 4]
    key[:, 8:12] = h[:, t + 8:t + 12]
    raw = key.tobytes()
    flags = ok.tolist()
    acks = ((h[:, t + 13] & 0x10) != 0).tolist()
    return [keys6[i] if not flags[i] else raw[i * 12:i * 12 + (12 if acks[i] else PREFIX)]
            for i in range(n)]


def _answer_keys6(np: Any, h: np.ndarray, caplen: np.ndarray, base: int, et: int,
                  inside: np.ndarray) -> list[bytes | None]:
    """The IPv6 part of :func:`answer_keys`: a key per row of the gathered headers ``h``
    that is a plain IPv6 TCP segment (TCP right after the fixed header), else None.
    ``et`` is where the link header's ethertype is (-1: none)."""
    n = h.shape[0]
    ok = (caplen >= base + 60) & inside
    if et >= 0:
        ok &= (h[:, et] == _V6_TYPE[0]) & (h[:, et + 1] == _V6_TYPE[1])
    ok &= ((h[:, base] >> 4) == 6) & (h[:, base + 6] == 6)
    if not ok.any():
        return [None] * n
    plen = (h[:, base + 4].astype(np.int64) << 8) | h[:, base + 5]
    thl = (h[:, base + 52] >> 4).astype(np.int64) * 4
    ok &= (plen >= 20) & (base + 40 + plen <= caplen) & (thl >= 20) & (thl <= plen)
    key = np.empty((n, 40), dtype=np.uint8)
    key[:, 0:36] = h[:, base + 8:base + 44]
    key[:, 36:40] = h[:, base + 48:base + 52]
    raw = key.tobytes()
    flags = ok.tolist()
    acks = ((h[:, base + 53] & 0x10) != 0).tolist()
    return [None if not flags[i] else raw[i * 40:i * 40 + (40 if acks[i] else PREFIX6)]
            for i in range(n)]


def answer_key(frame: bytes, linktype: int) -> bytes | None:
    """:func:`answer_keys` for one packet, in plain Python (small batches)."""
    base, et, version = MATCH_LINKS.get(linktype, (-1, -1, 0))
    if base < 0 or len(frame) < base + 40:
        return None
    if (et >= 0 and frame[et:et + 2] != _V4_TYPE) or frame[base] >> 4 == 6 or version == 6:
        return _answer_key6(frame, base, et) if version != 4 else None
    if frame[base] != 0x45 or frame[base + 9] != 6 or (frame[base + 6] & 0x3F) or frame[base + 7]:
        return None
    tl = frame[base + 2] << 8 | frame[base + 3]
    thl = (frame[base + 32] >> 4) * 4
    if tl < 40 or base + tl > len(frame) or thl < 20 or 20 + thl > tl:
        return None
    t = base + 20
    key = frame[base + 12:base + 16] + frame[t:t + 4]
    return key + frame[t + 8:t + 12] if frame[t + 13] & 0x10 else key


def _answer_key6(frame: bytes, base: int, et: int) -> bytes | None:
    """:func:`answer_key` of an IPv6 packet (None unless a plain IPv6 TCP segment)."""
    if len(frame) < base + 60:
        return None
    if et >= 0 and frame[et:et + 2] != _V6_TYPE:
        return None
    if frame[base] >> 4 != 6 or frame[base + 6] != 6:
        return None
    plen = frame[base + 4] << 8 | frame[base + 5]
    thl = (frame[base + 52] >> 4) * 4
    if plen < 20 or base + 40 + plen > len(frame) or thl < 20 or thl > plen:
        return None
    key = frame[base + 8:base + 44]
    return key + frame[base + 48:base + 52] if frame[base + 53] & 0x10 else key
