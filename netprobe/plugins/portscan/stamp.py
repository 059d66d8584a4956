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
"""

from __future__ import annotations

import socket
from itertools import repeat

from netprobe.engine.compiled import batch as cbatch
from netprobe.engine.probes import LINKTYPE_ETHERNET, LINKTYPE_RAW, PreparedProbe
from netprobe.engine.strictkeys import template_keys, template_keys6
from netprobe.npimport import np
from netprobe.packet.dissect import dissect
from netprobe.packet.layer import Layer

#: TCP flags of each scan type's probe (nmap's)
SCAN_FLAGS = {"syn": 0x02, "fin": 0x01, "null": 0x00, "xmas": 0x29, "ack": 0x10}

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _cookie(dst: np.ndarray, dport: np.ndarray, secret: int) -> np.ndarray:
    """A 32-bit keyed hash per row of (destination bytes, port)."""
    acc = np.full(len(dport), np.uint64(secret & 0xFFFFFFFFFFFFFFFF), dtype=np.uint64)
    for b in range(dst.shape[1]):
        acc = (acc * np.uint64(0x100000001B3)) ^ dst[:, b].astype(np.uint64)
    z = acc ^ (dport.astype(np.uint64) << np.uint64(32))
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return z & np.uint64(0xFFFFFFFF)


def _fold(total: np.ndarray) -> np.ndarray:
    """One's-complement sum folded to 16 bits, complemented: the Internet checksum."""
    for _ in range(3):
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def _put(arr: np.ndarray, offset: int, size: int, values: np.ndarray) -> None:
    v = values.astype(np.uint64)
    for b in range(size):
        arr[:, offset + b] = (v >> np.uint64(8 * (size - 1 - b))) & np.uint64(0xFF)


def _words(arr: np.ndarray, start: int, end: int) -> np.ndarray:
    """Sum of the big-endian 16-bit words of columns ``start:end`` per row (uint64)."""
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
        from netprobe.packet.layers.ipv6 import IPv6
        from netprobe.packet.layers.tcp import TCP

        self.family = family
        self.secret = secret
        self.sport = sport
        # nmap's SYN probe carries an MSS option; the others none
        options = [("MSS", 1460)] if flags & 0x02 else []
        placeholder = "0.0.0.0" if family == 4 else "::"
        tcp = TCP(sport=sport, dport=1, flags=flags, seq=0, window=window, options=options)
        net: Layer = (IP(src=src, dst=placeholder, ttl=ttl, id=secret & 0xFFFF) if family == 4
                      else IPv6(src=src, dst=placeholder, hlim=ttl))
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
        self._check(net, tcp)

    # -- rows ---------------------------------------------------------------------------------
    def rows(self, dst: np.ndarray, dport: np.ndarray) -> np.ndarray:
        """Probes to ``dst`` (rows of address bytes) and ``dport``, as a uint8 matrix."""
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
        built (the same keys as :meth:`keys` and ``template_keys``), else from numpy.
        """
        width = arr.shape[1]
        raw = arr.tobytes()
        if self.family == 4 and cbatch is not None:
            keys, stricts = cbatch.ipv4_keys(raw, width, self.ip)
        else:
            keys = self.keys(arr)
            stricts = (template_keys(arr, self.ip) if self.family == 4
                       else template_keys6(arr, self.ip))
        rows = [raw[i:i + width] for i in range(0, len(raw), width)]
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
        dst = np.array([list(socket.inet_pton(af, a)) for a, _ in samples], dtype=np.uint8)
        ports = np.array([p for _, p in samples], dtype=np.uint64)
        arr = self.rows(dst, ports)
        keys = self.keys(arr)
        for i, (addr, port) in enumerate(samples):
            n = net.copy()
            n.dst = addr
            t = tcp.copy()
            t.dport = port
            t.seq = int.from_bytes(arr[i, self.seq_off:self.seq_off + 4].tobytes(), "big")
            packet = n / t if self.head is None else self.head.copy() / n / t
            built = bytes(packet)
            if built != arr[i].tobytes():
                raise AssertionError(f"stamped probe to {addr}:{port} differs from the built one")
            if dissect(built, self.linktype).hashkey() != keys[i]:
                raise AssertionError(f"stamped key of {addr}:{port} differs from hashkey()")
