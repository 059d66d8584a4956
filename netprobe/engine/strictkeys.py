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
the general path. The answer side is computed for a whole ``next_batch`` buffer
in one call by the compiled ``answer_keys`` (``_batch.c``, see
:mod:`netprobe.engine.compiled`), or, where that is not built, by
:func:`answer_key` per packet: the C function is the same rules, and the tests
hold the two to identical keys on any bytes.

The key's fields are what the layers declare beside ``hashkey``
(``match_fields``, ``match_next``, ``match_never``), turned into byte offsets
by :mod:`netprobe.packet.matchkey` (:data:`~netprobe.packet.matchkey.KEY4`,
:data:`~netprobe.packet.matchkey.KEY6`); the C functions in ``_batch.c`` read
the same offsets, generated from there. IPv4: the answer's source address and
ports (= the probe's destination and ports, swapped): 8 bytes, then for SYN
probes and answers carrying ACK the acknowledgement number (= the probe's
sequence number + 1): 12 bytes. IPv6 (whose ``answers()`` also checks the
answer's destination) adds the destination address: 36 bytes, 40 with the
acknowledgement number. Keys of different lengths never meet. An answer
with SYN and no ACK has no key (``answers()``: a bare SYN answers nothing).
"""

from __future__ import annotations

import struct

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
_be16 = struct.Struct("!H").unpack_from
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
    """The strict key of one captured packet, or None when it has none.

    A packet has a key when it is a plain IPv4 TCP segment (no IP options, not
    a fragment, lengths consistent) or a plain IPv6 one (TCP right after the fixed
    header) on a link type of :data:`~netprobe.packet.shape.MATCH_LINKS`, untagged,
    and not a bare SYN; the key ends with its ACK number when it carries the ACK flag.
    """
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


def answer_keys(buf: bytes, meta: bytes, linktype: int) -> list[bytes | None] | None:
    """:func:`answer_key` of every packet of a capture batch (``next_batch``'s buffer and
    packed :data:`META`), one by one; None for link types the keys are not read from.

    The compiled ``answer_keys`` takes the same arguments and gives the same keys in one
    call. A record that points past the buffer's end has no key.
    """
    if linktype not in MATCH_LINKS:
        return None
    end = len(buf)
    return [answer_key(buf[off:off + caplen], linktype) if off + caplen <= end else None
            for _s, _u, off, caplen in META.iter_unpack(meta)]


#: the strict key of every packet of a capture batch, as :func:`answer_keys` says it: by
#: the compiled function where it was built, else by that one
capture_keys = cbatch.answer_keys if cbatch is not None else answer_keys
