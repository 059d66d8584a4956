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

The key's fields are what the layers declare beside ``hashkey``
(``match_fields``, ``match_next``, ``match_never``), turned into byte offsets
by :mod:`netprobe.packet.matchkey` (:data:`~netprobe.packet.matchkey.KEY4`,
:data:`~netprobe.packet.matchkey.KEY6`); the C twins in ``_batch.c`` read the
same offsets, generated from there. IPv4: the answer's source address and
ports (= the probe's destination and ports, swapped): 8 bytes, then for SYN
probes and answers carrying ACK the acknowledgement number (= the probe's
sequence number + 1): 12 bytes. IPv6 (whose ``answers()`` also checks the
answer's destination) adds the destination address: 36 bytes, 40 with the
acknowledgement number. Keys of different lengths never meet. An answer
with SYN and no ACK has no key (``answers()``: a bare SYN answers nothing).
"""

from __future__ import annotations

import struct
import sys
from typing import TYPE_CHECKING, Any

from netprobe.engine.compiled import batch as cbatch
from netprobe.packet.matchkey import (
    ACK_SIZE,
    HEADER_WORD,
    IP4_FIRST,
    IP4_FRAG,
    IP4_FRAG_MASK,
    IP4_HEADER,
    IP4_LEN,
    IP4_PROTO,
    IP4_VERSION,
    IP6_DST,
    IP6_HEADER,
    IP6_NH,
    IP6_PLEN,
    IP6_VERSION,
    IP6_VERSION_SHIFT,
    IP6_VERSION_VALUE,
    KEY4,
    KEY6,
    MULTICAST6_FIRST,
    PROTO_TCP,
    TCP_ACK,
    TCP_BARE,
    TCP_BARE_UNLESS,
    TCP_DATAOFS,
    TCP_DATAOFS_SHIFT,
    TCP_FLAGS,
    TCP_HEADER,
    TCP_SYN,
    KeyLayout,
)
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
PREFIX = KEY4.prefix
#: the same for IPv6
PREFIX6 = KEY6.prefix
#: lengths of keys that end with an acknowledgement number (IPv4, IPv6): without its
#: last ACK_SIZE bytes such a key is the key of a non-SYN probe
WITH_ACK = frozenset({PREFIX + ACK_SIZE, PREFIX6 + ACK_SIZE})
_WRAP = (1 << 8 * ACK_SIZE) - 1
_V4_TYPE = ETHERTYPE_IPV4.to_bytes(2, "big")
_V6_TYPE = ETHERTYPE_IPV6.to_bytes(2, "big")
_be16 = struct.Struct("!H").unpack_from
#: the data offset of a TCP header without options
_MIN_DATAOFS = TCP_HEADER // HEADER_WORD
#: the answer's bytes of each prefix: (start, end) from the IP header
_RUNS4 = tuple((at, at + size) for at, size in KEY4.answer_runs)
_RUNS6 = tuple((at, at + size) for at, size in KEY6.answer_runs)
#: the probe's bytes of each prefix, in key order: (start, end) from the IP header
_PROBE4 = tuple((p.probe_at, p.probe_at + p.size) for p in KEY4.parts)
_PROBE6 = tuple((p.probe_at, p.probe_at + p.size) for p in KEY6.parts)


def _syn_key(data: bytes, ip: int, prefix: bytes, key: KeyLayout) -> bytes:
    """``prefix``, and the probe's sequence number + 1 when it is a SYN."""
    if data[ip + key.tcp_at + TCP_FLAGS] & TCP_SYN:  # SYN: the answer's ACK number decides
        seq = int.from_bytes(data[ip + key.seq_at:ip + key.seq_at + ACK_SIZE], "big")
        return prefix + ((seq + 1) & _WRAP).to_bytes(ACK_SIZE, "big")
    return prefix


def probe_key(data: bytes, fast: tuple | None) -> bytes | None:
    """The strict key answers to this probe will carry, or None (general path only).

    ``fast`` is :func:`netprobe.packet.fastpath.parse` of ``data``: the probe
    must be a plain IPv4 TCP segment the fast path understands.
    """
    if fast is None:
        return None
    off, proto, _src, _dst, end = fast
    t = off + KEY4.tcp_at
    if proto != PROTO_TCP or end - t < TCP_HEADER:
        return None
    hl = (data[t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD
    if hl < TCP_HEADER or t + hl > end:
        return None
    return _syn_key(data, off, b"".join([data[off + a:off + b] for a, b in _PROBE4]), KEY4)


def probe_key6(data: bytes, ip: int) -> bytes | None:
    """:func:`probe_key` of an IPv6 TCP probe whose header starts at ``ip`` (TCP right
    after the fixed header, a unicast destination), or None."""
    t = ip + KEY6.tcp_at
    if (len(data) < t + TCP_HEADER
            or data[ip + IP6_VERSION] >> IP6_VERSION_SHIFT != IP6_VERSION_VALUE
            or data[ip + IP6_NH] != PROTO_TCP or data[ip + IP6_DST] == MULTICAST6_FIRST):
        return None
    plen = _be16(data, ip + IP6_PLEN)[0]
    hl = (data[t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD
    if plen < TCP_HEADER or t + plen > len(data) or hl < TCP_HEADER or hl > plen:
        return None
    return _syn_key(data, ip, b"".join([data[ip + a:ip + b] for a, b in _PROBE6]), KEY6)


def probe_ip6(data: bytes, linktype: int) -> int | None:
    """Where an IPv6 header starts in a probe of this link type (untagged), or None."""
    ip, et, version = MATCH_LINKS.get(linktype, (-1, -1, 4))
    if version == 4 or len(data) <= ip:
        return None
    if et >= 0:
        return ip if _be16(data, et)[0] == ETHERTYPE_IPV6 else None
    return ip if data[ip + IP6_VERSION] >> IP6_VERSION_SHIFT == IP6_VERSION_VALUE else None


def template_keys6(arr: np.ndarray, ip: int) -> list[bytes | None]:
    """:func:`probe_key6` of every row of a batch of same-layout IPv6 TCP probes."""
    return [probe_key6(row, ip) for row in map(bytes, arr)]


def template_keys(arr: np.ndarray, ip: int) -> list[bytes | None]:
    """:func:`probe_key` of every row of a batch of same-layout IPv4 TCP probes.

    ``arr`` is a (count, length) uint8 matrix; ``ip`` where the IPv4 header
    starts (no options: the template's fast path says so).
    """
    from netprobe.npimport import np

    t = ip + KEY4.tcp_at
    n = arr.shape[0]
    out = _prefix_matrix(np, arr, ip, _PROBE4)
    seq = np.ascontiguousarray(arr[:, ip + KEY4.seq_at:ip + KEY4.seq_at + ACK_SIZE])
    ack = seq.view(f">u{ACK_SIZE}").ravel() + np.uint32(1)  # wraps, as seq + 1 does
    out[:, PREFIX:] = ack.astype(f">u{ACK_SIZE}").view(np.uint8).reshape(n, ACK_SIZE)
    syn = (arr[:, t + TCP_FLAGS] & TCP_SYN) != 0
    ok = (arr[:, t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) >= _MIN_DATAOFS
    return _split(out, ok, syn)


def _prefix_matrix(np: Any, rows: np.ndarray, base: int,
                   runs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """A (count, prefix + ACK_SIZE) uint8 matrix: the key prefix read from the columns
    ``base + start:base + end`` of ``rows`` for each run, in order; the last ACK_SIZE
    columns are left for the acknowledgement number."""
    width = sum(b - a for a, b in runs)
    out = np.empty((rows.shape[0], width + ACK_SIZE), dtype=np.uint8)
    col = 0
    for a, b in runs:
        out[:, col:col + b - a] = rows[:, base + a:base + b]
        col += b - a
    return out


def _split(out: np.ndarray, ok: np.ndarray, whole: np.ndarray) -> list[bytes | None]:
    """Each row of :func:`_prefix_matrix`'s ``out`` as a key: None where not ``ok``,
    with its acknowledgement number where ``whole``, else the prefix alone."""
    size = out.shape[1]
    width = size - ACK_SIZE
    raw = out.tobytes()
    flags = ok.tolist()
    full = whole.tolist()
    return [None if not flags[i] else raw[i * size:i * size + (size if full[i] else width)]
            for i in range(len(flags))]

def capture_keys(buf: bytes, meta: bytes, linktype: int,
                 large_run: bool = False) -> list[bytes | None] | None:
    """The strict key of every packet of a capture batch (``next_batch``'s buffer and
    packed meta), by the fastest implementation at hand: the compiled one, else numpy
    for batches of ``NUMPY_BATCH`` or more when numpy is loaded or the run is large,
    else Python per packet. None for link types the keys are not read from."""
    if cbatch is not None:
        return cbatch.answer_keys(buf, meta, linktype)
    n = len(meta) // META.size
    if n >= NUMPY_BATCH and (large_run or "numpy" in sys.modules):
        from netprobe.npimport import np

        return answer_keys(buf, np.frombuffer(meta, dtype=np.uint32, count=n * 4).reshape(n, 4),
                           linktype)
    if linktype not in MATCH_LINKS:
        return None
    return [answer_key(buf[off:off + caplen], linktype)
            for _s, _u, off, caplen in META.iter_unpack(meta)]


def _col16(np: Any, h: np.ndarray, at: int) -> np.ndarray:
    """The big-endian 16-bit column at ``at`` of the gathered headers ``h``."""
    return (h[:, at].astype(np.int64) << 8) | h[:, at + 1]


def _flags_ok(np: Any, flags: np.ndarray) -> np.ndarray:
    """Rows whose TCP flags are not a bare SYN (which answers nothing)."""
    return ((flags & TCP_BARE) == 0) | ((flags & TCP_BARE_UNLESS) != 0)


def _gather(np: Any, h: np.ndarray, base: int, runs: tuple[tuple[int, int], ...],
            ok: np.ndarray, with_ack: np.ndarray, ack_at: int) -> list[bytes | None]:
    """The keys of the rows of ``h`` that are ``ok``: the prefix ``runs``, and the
    acknowledgement number at ``ack_at`` where ``with_ack``."""
    out = _prefix_matrix(np, h, base, runs)
    out[:, -ACK_SIZE:] = h[:, base + ack_at:base + ack_at + ACK_SIZE]
    return _split(out, ok, with_ack)

def answer_keys(buf: bytes, meta: np.ndarray, linktype: int) -> list[bytes | None] | None:
    """The strict key of every packet of a capture batch (None where it has none).

    ``meta`` is the batch's (n, 4) uint32 matrix of sec, usec, offset, caplen.
    A packet has a key when it is a plain IPv4 TCP segment (no IP options, not
    a fragment, lengths consistent) on a link type of
    :data:`~netprobe.packet.shape.MATCH_LINKS`, untagged, and not a bare SYN;
    the key ends with its ACK number when it carries the ACK flag.
    Returns None for link types it does not read.
    """
    from netprobe.npimport import np

    if linktype not in MATCH_LINKS:
        return None
    base, et, version = MATCH_LINKS[linktype]
    n = meta.shape[0]
    need = base + IP6_HEADER + TCP_HEADER  # an IPv6 header and a TCP header (IPv4 needs less)
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
    ok = (caplen >= base + IP4_HEADER + TCP_HEADER) & inside & (version != 6)
    if et >= 0:
        ok &= (h[:, et] == _V4_TYPE[0]) & (h[:, et + 1] == _V4_TYPE[1])
    ok &= (h[:, base + IP4_VERSION] == IP4_FIRST) & (h[:, base + IP4_PROTO] == PROTO_TCP)
    ok &= (_col16(np, h, base + IP4_FRAG) & IP4_FRAG_MASK) == 0  # not a fragment
    tl = _col16(np, h, base + IP4_LEN)
    ok &= (tl >= IP4_HEADER + TCP_HEADER) & (base + tl <= caplen)
    t = base + KEY4.tcp_at
    thl = (h[:, t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT).astype(np.int64) * HEADER_WORD
    ok &= (thl >= TCP_HEADER) & (IP4_HEADER + thl <= tl)
    flags = h[:, t + TCP_FLAGS]
    ok &= _flags_ok(np, flags)
    keys4 = _gather(np, h, base, _RUNS4, ok, (flags & TCP_ACK) != 0, KEY4.ack_at)
    return [k if k is not None else keys6[i] for i, k in enumerate(keys4)]


def _answer_keys6(np: Any, h: np.ndarray, caplen: np.ndarray, base: int, et: int,
                  inside: np.ndarray) -> list[bytes | None]:
    """The IPv6 part of :func:`answer_keys`: a key per row of the gathered headers ``h``
    that is a plain IPv6 TCP segment (TCP right after the fixed header), else None.
    ``et`` is where the link header's ethertype is (-1: none)."""
    n = h.shape[0]
    ok = (caplen >= base + IP6_HEADER + TCP_HEADER) & inside
    if et >= 0:
        ok &= (h[:, et] == _V6_TYPE[0]) & (h[:, et + 1] == _V6_TYPE[1])
    ok &= ((h[:, base + IP6_VERSION] >> IP6_VERSION_SHIFT) == IP6_VERSION_VALUE)
    ok &= h[:, base + IP6_NH] == PROTO_TCP
    if not ok.any():
        return [None] * n
    plen = _col16(np, h, base + IP6_PLEN)
    t = base + KEY6.tcp_at
    thl = (h[:, t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT).astype(np.int64) * HEADER_WORD
    ok &= (plen >= TCP_HEADER) & (base + IP6_HEADER + plen <= caplen)
    ok &= (thl >= TCP_HEADER) & (thl <= plen)
    flags = h[:, t + TCP_FLAGS]
    ok &= _flags_ok(np, flags)
    return _gather(np, h, base, _RUNS6, ok, (flags & TCP_ACK) != 0, KEY6.ack_at)


def _answer_prefix(frame: bytes, base: int, runs: tuple[tuple[int, int], ...],
                   key: KeyLayout) -> bytes | None:
    """The key of a plain TCP segment whose IP header starts at ``base`` (checked)."""
    flags = frame[base + key.tcp_at + TCP_FLAGS]
    if flags & TCP_BARE and not flags & TCP_BARE_UNLESS:
        return None  # a bare SYN answers nothing
    out = frame[base + runs[0][0]:base + runs[0][1]]
    for a, b in runs[1:]:
        out += frame[base + a:base + b]
    if flags & TCP_ACK:
        return out + frame[base + key.ack_at:base + key.ack_at + ACK_SIZE]
    return out


def answer_key(frame: bytes, linktype: int) -> bytes | None:
    """:func:`answer_keys` for one packet, in plain Python (small batches)."""
    base, et, version = MATCH_LINKS.get(linktype, (-1, -1, 0))
    if base < 0 or len(frame) < base + IP4_HEADER + TCP_HEADER:
        return None
    if ((et >= 0 and _be16(frame, et)[0] != ETHERTYPE_IPV4) or version == 6
            or frame[base + IP6_VERSION] >> IP6_VERSION_SHIFT == IP6_VERSION_VALUE):
        return _answer_key6(frame, base, et) if version != 4 else None
    if (frame[base + IP4_VERSION] != IP4_FIRST or frame[base + IP4_PROTO] != PROTO_TCP
            or _be16(frame, base + IP4_FRAG)[0] & IP4_FRAG_MASK):
        return None
    tl = _be16(frame, base + IP4_LEN)[0]
    thl = (frame[base + KEY4.tcp_at + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD
    if (tl < IP4_HEADER + TCP_HEADER or base + tl > len(frame) or thl < TCP_HEADER
            or IP4_HEADER + thl > tl):
        return None
    return _answer_prefix(frame, base, _RUNS4, KEY4)


def _answer_key6(frame: bytes, base: int, et: int) -> bytes | None:
    """:func:`answer_key` of an IPv6 packet (None unless a plain IPv6 TCP segment)."""
    if len(frame) < base + IP6_HEADER + TCP_HEADER:
        return None
    if et >= 0 and _be16(frame, et)[0] != ETHERTYPE_IPV6:
        return None
    if (frame[base + IP6_VERSION] >> IP6_VERSION_SHIFT != IP6_VERSION_VALUE
            or frame[base + IP6_NH] != PROTO_TCP):
        return None
    plen = _be16(frame, base + IP6_PLEN)[0]
    thl = (frame[base + KEY6.tcp_at + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD
    if (plen < TCP_HEADER or base + IP6_HEADER + plen > len(frame) or thl < TCP_HEADER
            or thl > plen):
        return None
    return _answer_prefix(frame, base, _RUNS6, KEY6)
