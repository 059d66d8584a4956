"""TCP scan probes stamped by the thousand with numpy: no packet object per probe.

One probe is built with the layers (``IP()/TCP()`` or ``IPv6()/TCP()``, under an
``Ether()`` header for a layer-2 sender) and
checked by dissection; every other probe is that packet's bytes with three
columns changed — destination address, destination port, sequence number —
and both checksums recomputed column-wise. The rows come in any order the
scan's permutation asks for (engine's ``ProbeTemplate`` stamps a packet set
in its product order and cannot vary IPv6 addresses; a scan needs arbitrary
(host, port) pairs of either family).

The sequence number is a cookie: a keyed hash of destination and port, so
an answer that acknowledges ``seq + 1`` proves it answers this scan's probe
(stateless matching); the engine checks ``ack == seq + 1`` for SYN answers.
Each probe also carries the engine's hash key, computed column-wise exactly
as the layers' ``hashkey()`` computes it (checked at construction).

Small scans stamp with Python integers instead (``stamp_ints``, the same
arithmetic, checked against the numpy rows by the tests): importing numpy
costs a small command more than stamping a thousand probes one by one.
"""

from __future__ import annotations

import socket
from itertools import repeat
from typing import TYPE_CHECKING

from netprobe.engine.compiled import batch as cbatch
from netprobe.engine.probes import LINKTYPE_ETHERNET, LINKTYPE_RAW, PreparedProbe
from netprobe.engine.strictkeys import probe_key, probe_key6
from netprobe.packet.dissect import dissect
from netprobe.packet.fastpath import parse as fast_parse
from netprobe.packet.layer import Layer

if TYPE_CHECKING:
    import numpy as np

#: TCP flags of each scan type's probe (nmap's)
SCAN_FLAGS = {"syn": 0x02, "fin": 0x01, "null": 0x00, "xmas": 0x29, "ack": 0x10}
#: up to this many probes at a time are stamped with Python integers (no numpy)
PYTHON_STAMP_MAX = 1024

_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_FNV = 0x100000001B3
_MASK64 = (1 << 64) - 1


def _cookie(dst: np.ndarray, dport: np.ndarray, secret: int) -> np.ndarray:
    """A 32-bit keyed hash per row of (destination bytes, port)."""
    from netprobe.npimport import np

    acc = np.full(len(dport), np.uint64(secret & _MASK64), dtype=np.uint64)
    for b in range(dst.shape[1]):
        acc = (acc * np.uint64(_FNV)) ^ dst[:, b].astype(np.uint64)
    z = acc ^ (dport.astype(np.uint64) << np.uint64(32))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    z = z ^ (z >> np.uint64(31))
    return z & np.uint64(0xFFFFFFFF)


def cookie_int(dst: bytes, dport: int, secret: int) -> int:
    """:func:`_cookie` of one (destination bytes, port), on Python integers."""
    acc = secret & _MASK64
    for b in dst:
        acc = ((acc * _FNV) & _MASK64) ^ b
    z = acc ^ ((dport << 32) & _MASK64)
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return (z ^ (z >> 31)) & 0xFFFFFFFF


def _words_int(data: bytes | bytearray) -> int:
    """Sum of the big-endian 16-bit words of ``data`` (even length)."""
    return sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))


def _fold_int(total: int) -> int:
    """The Internet checksum of a one's-complement sum (Python integer)."""
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _fold(total: np.ndarray) -> np.ndarray:
    """One's-complement sum folded to 16 bits, complemented: the Internet checksum."""
    for _ in range(3):
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def _put(arr: np.ndarray, offset: int, size: int, values: np.ndarray) -> None:
    from netprobe.npimport import np

    v = values.astype(np.uint64)
    for b in range(size):
        arr[:, offset + b] = (v >> np.uint64(8 * (size - 1 - b))) & np.uint64(0xFF)


def _words(arr: np.ndarray, start: int, end: int) -> np.ndarray:
    """Sum of the big-endian 16-bit words of columns ``start:end`` per row (uint64)."""
    from netprobe.npimport import np

    block = arr[:, start:end].astype(np.uint64)
    return (block[:, 0::2] << np.uint64(8)).sum(axis=1) + block[:, 1::2].sum(axis=1)


class TcpStamper:
    """Makes a scan's TCP probes from a source, a source port and the scan's flags."""

    def __init__(self, family: int, src: str, sport: int, flags: int, secret: int,
                 *, ttl: int = 64, window: int = 1024,
                 link: tuple[str, str] | None = None) -> None:
        """``link`` (destination MAC, source MAC) makes Ethernet frames for a layer-2
        sender instead of bare IP packets for a raw IP socket."""
        from netprobe.packet.layers.ether import Ether
        from netprobe.packet.layers.ip import IP
        from netprobe.packet.layers.tcp import TCP

        self.family = family
        self.secret = secret
        self.sport = sport
        # nmap's SYN probe carries an MSS option; the others none
        options = [("MSS", 1460)] if flags & 0x02 else []
        placeholder = "0.0.0.0" if family == 4 else "::"
        tcp = TCP(sport=sport, dport=1, flags=flags, seq=0, window=window, options=options)
        if family == 4:
            net: Layer = IP(src=src, dst=placeholder, ttl=ttl, id=secret & 0xFFFF)
        else:  # the IPv6 layers only for an IPv6 scan (2 ms of an IPv4 one's start)
            from netprobe.packet.layers.ipv6 import IPv6

            net = IPv6(src=src, dst=placeholder, hlim=ttl)
        self.link = link
        self.head: Layer | None = Ether(dst=link[0], src=link[1]) if link else None
        top = net if self.head is None else self.head / net
        self.cls = type(top)
        self.linktype = LINKTYPE_RAW if link is None else LINKTYPE_ETHERNET
        self.base = bytes(top / tcp)
        #: where the IP header starts
        self.ip = 0 if link is None else 14
        self.ip_len = 20 if family == 4 else 40
        ip = self.ip
        self.dst_off = ip + (16 if family == 4 else 24)
        self.dst_len = 4 if family == 4 else 16
        self.src_bytes = socket.inet_pton(socket.AF_INET if family == 4 else socket.AF_INET6, src)
        t = ip + self.ip_len
        self.tcp_len = len(self.base) - t
        self.dport_off, self.seq_off, self.tcp_cksum_off = t + 2, t + 4, t + 16
        # the sums of what every probe shares, for stamping with Python integers:
        # the IPv4 header without its destination and checksum, and the TCP segment
        # without port, sequence number and checksum plus the pseudo-header's source,
        # protocol and length
        base = bytearray(self.base)
        base[self.dst_off:self.dst_off + self.dst_len] = bytes(self.dst_len)
        base[self.dport_off:self.dport_off + 2] = bytes(2)
        base[self.seq_off:self.seq_off + 4] = bytes(4)
        base[self.tcp_cksum_off:self.tcp_cksum_off + 2] = bytes(2)
        if family == 4:
            base[ip + 10:ip + 12] = bytes(2)
        self._blank = bytes(base)
        self._ip_sum = _words_int(base[ip:ip + 20]) if family == 4 else 0
        self._tcp_sum = (_words_int(base[t:]) + _words_int(self.src_bytes) + 6
                         + self.tcp_len)
        self._check(net, tcp)

    # -- one probe at a time (Python integers) ---------------------------------------------------
    def stamp_int(self, dst: bytes, dport: int) -> bytes:
        """The probe to ``dst`` (address bytes) and ``dport``: a row of :meth:`rows`."""
        out = bytearray(self._blank)
        d = self.dst_off
        out[d:d + self.dst_len] = dst
        dst_sum = _words_int(dst)
        seq = cookie_int(dst, dport, self.secret)
        out[self.dport_off:self.dport_off + 2] = dport.to_bytes(2, "big")
        out[self.seq_off:self.seq_off + 4] = seq.to_bytes(4, "big")
        if self.family == 4:
            ip = self.ip
            out[ip + 10:ip + 12] = _fold_int(self._ip_sum + dst_sum).to_bytes(2, "big")
        tcp = self._tcp_sum + dst_sum + dport + (seq >> 16) + (seq & 0xFFFF)
        c = self.tcp_cksum_off
        out[c:c + 2] = _fold_int(tcp).to_bytes(2, "big")
        return bytes(out)

    def stamp_ints(self, dsts: list[bytes], ports: list[int]) -> list[bytes]:
        """:meth:`stamp_int` of every (destination, port) pair."""
        return list(map(self.stamp_int, dsts, ports))

    def prepared_bytes(self, rows: list[bytes]) -> list[PreparedProbe]:
        """:meth:`prepared` for probes as bytes (stamped with Python integers)."""
        if not rows:
            return []
        if self.family == 4 and cbatch is not None:
            keys, stricts = cbatch.ipv4_keys(b"".join(rows), len(rows[0]), self.ip)
        else:
            src, w, t = self.src_bytes, self.dst_len, self.ip + self.ip_len
            d = self.dst_off
            keys = [bytes(a ^ b for a, b in zip(row[d:d + w], src, strict=True)) + b"\x06"
                    + (int.from_bytes(row[t:t + 2], "big")
                       ^ int.from_bytes(row[t + 2:t + 4], "big")).to_bytes(2, "big")
                    for row in rows]
            stricts = self._strict_keys(rows)
        return list(map(PreparedProbe, rows, keys, repeat(self.linktype), repeat(self.cls),
                        repeat(None), repeat(None), stricts))

    def _strict_keys(self, rows: list[bytes]) -> list[bytes | None]:
        """The exact-match keys of the probes' answers, probe by probe (where the
        compiled batch operations are not built)."""
        if self.family == 4:
            return [probe_key(row, fast_parse(row, self.linktype)) for row in rows]
        return [probe_key6(row, self.ip) for row in rows]

    # -- rows ---------------------------------------------------------------------------------
    def rows(self, dst: np.ndarray, dport: np.ndarray) -> np.ndarray:
        """Probes to ``dst`` (rows of address bytes) and ``dport``, as a uint8 matrix."""
        from netprobe.npimport import np

        n = len(dport)
        arr = np.tile(np.frombuffer(self.base, dtype=np.uint8), (n, 1))
        if not n:
            return arr
        arr[:, self.dst_off:self.dst_off + self.dst_len] = dst
        _put(arr, self.dport_off, 2, dport)
        _put(arr, self.seq_off, 4, _cookie(dst, dport, self.secret))
        ip = self.ip
        t = ip + self.ip_len
        if self.family == 4:
            arr[:, ip + 10:ip + 12] = 0
            _put(arr, ip + 10, 2, _fold(_words(arr, ip, ip + 20)))
            pseudo = _words(arr, ip + 12, ip + 20) + np.uint64(6 + self.tcp_len)
        else:
            pseudo = _words(arr, ip + 8, ip + 40) + np.uint64(6 + self.tcp_len)
        arr[:, self.tcp_cksum_off:self.tcp_cksum_off + 2] = 0
        _put(arr, self.tcp_cksum_off, 2, _fold(pseudo + _words(arr, t, t + self.tcp_len)))
        return arr

    def keys(self, arr: np.ndarray) -> list[bytes]:
        """The engine's hash key of every row: (src ^ dst, protocol 6, sport ^ dport)."""
        from netprobe.npimport import np

        w = self.dst_len
        out = np.empty((arr.shape[0], w + 3), dtype=np.uint8)
        src = np.frombuffer(self.src_bytes, dtype=np.uint8)
        out[:, :w] = arr[:, self.dst_off:self.dst_off + w] ^ src
        out[:, w] = 6
        t = self.ip + self.ip_len
        out[:, w + 1:w + 3] = arr[:, t:t + 2] ^ arr[:, t + 2:t + 4]
        raw = out.tobytes()
        size = w + 3
        return [raw[i:i + size] for i in range(0, len(raw), size)]

    def prepared(self, arr: np.ndarray) -> list[PreparedProbe]:
        """The rows as the engine's prepared probes (bytes, hash key, link type, and the
        exact-match key of their TCP answers).

        IPv4 keys come from the engine's compiled batch operations where they are
        built (the same keys as :meth:`keys` and :meth:`_strict_keys`); otherwise the
        hash keys come from numpy (:meth:`keys`) and the strict keys probe by probe.
        """
        width = arr.shape[1]
        raw = arr.tobytes()
        rows = [raw[i:i + width] for i in range(0, len(raw), width)]
        if self.family == 4 and cbatch is not None:
            keys, stricts = cbatch.ipv4_keys(raw, width, self.ip)
        else:
            keys = self.keys(arr)
            stricts = self._strict_keys(rows)
        # one constructor call per probe through map (positional: fast); no loop of ours
        return list(map(PreparedProbe, rows, keys, repeat(self.linktype), repeat(self.cls),
                        repeat(None), repeat(None), stricts))

    def target(self, probe: bytes) -> bytes:
        """What a probe of this stamper asks about: destination address and port (not the
        source port, which changes from pass to pass)."""
        return probe[self.dst_off:self.dst_off + self.dst_len] \
            + probe[self.dport_off:self.dport_off + 2]

    def again(self, probes: list[bytes]) -> list[PreparedProbe]:
        """Probes to the same destinations and ports as ``probes`` (stamped by a stamper
        of this family and link), from this stamper's source port."""
        if not probes:
            return []
        if len(probes) <= PYTHON_STAMP_MAX:
            d, p = self.dst_off, self.dport_off
            return self.prepared_bytes([
                self.stamp_int(old[d:d + self.dst_len], int.from_bytes(old[p:p + 2], "big"))
                for old in probes])
        from netprobe.npimport import np

        old = np.frombuffer(b"".join(probes), dtype=np.uint8).reshape(len(probes), -1)
        dst = old[:, self.dst_off:self.dst_off + self.dst_len]
        ports = (old[:, self.dport_off].astype(np.uint64) << np.uint64(8)) \
            | old[:, self.dport_off + 1]
        return self.prepared(self.rows(dst, ports))

    # -- self-check ---------------------------------------------------------------------------
    def _check(self, net: Layer, tcp: Layer) -> None:
        """Stamp two probes and compare them with the layers' own build and hash key."""
        samples = ([("198.18.1.1", 22), ("203.0.113.250", 65535)] if self.family == 4
                   else [("2001:db8::1", 22), ("2001:db8:ffff::fffe", 65535)])
        af = socket.AF_INET if self.family == 4 else socket.AF_INET6
        rows = self.stamp_ints([socket.inet_pton(af, a) for a, _ in samples],
                               [p for _, p in samples])
        keys = [p.key for p in self.prepared_bytes(rows)]
        for i, (addr, port) in enumerate(samples):
            n = net.copy()
            n.dst = addr
            t = tcp.copy()
            t.dport = port
            t.seq = int.from_bytes(rows[i][self.seq_off:self.seq_off + 4], "big")
            packet = n / t if self.head is None else self.head.copy() / n / t
            built = bytes(packet)
            if built != rows[i]:
                raise AssertionError(f"stamped probe to {addr}:{port} differs from the built one")
            if dissect(built, self.linktype).hashkey() != keys[i]:
                raise AssertionError(f"stamped key of {addr}:{port} differs from hashkey()")
