"""A scripted network path for traceroute tests, in virtual time (no packets leave).

The path copies the practice lab: r1, r2 (which quotes an MPLS label stack
in an RFC 4884 extension), an ECMP hop (r3a or r3b, chosen by hashing the
fields Paris traceroute keeps constant), a silent r4, then the destination
(UDP: port unreachable, ICMP: echo reply, TCP: SYN/ACK). Routers quote the
probe as it reached them, TTL included, like Linux does; with ``ratelimit``
every node limits its ICMP errors as Linux does (a burst, then one per
``ratelimit`` seconds), echo replies and TCP answers not. The engine's loop
runs for real against it: its clock and ``select`` are replaced, so waits
cost nothing and every count is exact.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from netprobe.packet import (
    ICMP,
    IP,
    TCP,
    UDP,
    Ether,
    ICMPExtension,
    ICMPExtensionObject,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6TimeExceeded,
    IPv6,
    MPLSLabel,
    Raw,
    dissect,
)
from netprobe.packet.layer import Layer
from tests.engine.virtual_time import VirtualTime, install, pack_batch

HOP_DELAY = 0.0002  # each hop adds 0.2 ms of round trip
#: ICMP errors a Linux node sends one peer at once (XRLIM_BURST_FACTOR)
BURST = 6

ADDRS = {
    4: {"src": "198.18.1.2", "dst": "198.19.2.10", "r1": "198.18.1.1", "r2": "198.18.101.2",
        "r3a": "198.18.102.2", "r3b": "198.18.103.2", "r4": "198.18.104.2"},
    6: {"src": "2001:db8:1::2", "dst": "2001:db8:2::10", "r1": "2001:db8:1::1",
        "r2": "2001:db8:101::2", "r3a": "2001:db8:102::2", "r3b": "2001:db8:103::2",
        "r4": "2001:db8:104::2"},
}
#: the label stack r2 quotes (two labels: the outer one first)
R2_LABELS = (MPLSLabel(16004, tc=0, s=0, ttl=1), MPLSLabel(299776, tc=5, s=1, ttl=1))


@pytest.fixture
def vt(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualTime]:
    """Virtual time for the engine's loop."""
    yield install(monkeypatch)


def flow_key(probe: Layer) -> tuple:
    """What a load balancer hashes: addresses, protocol, ports / ICMP's first 4 bytes, label."""
    net = probe.getlayer(IP) or probe.getlayer(IPv6)
    label = getattr(net, "fl", 0)
    top = net.payload
    if isinstance(top, (UDP, TCP)):
        return (type(top).__name__, top.sport, top.dport, label)
    data = bytes(top)
    return ("icmp", data[:4], label)


@dataclass
class FakePath:
    """The sender and the capture of the engine, with the path behind them."""

    clock: VirtualTime
    family: int = 4
    #: drop the answer to the k-th probe sent (0-based), to test retries
    lose: set[int] = field(default_factory=set)
    #: the destination answers nothing from ... to ... (s): a rate limit
    dst_quiet: tuple[float, float] = (0.0, 0.0)
    #: seconds per ICMP error token of every node (a Linux limiter: a burst of
    #: ``BURST`` to one peer, then one per this many seconds); None: no limit
    ratelimit: float | None = None
    sent: list[bytes] = field(default_factory=list)
    pending: list[tuple[float, int, bytes]] = field(default_factory=list)
    #: node -> (tokens in seconds, when they were counted)
    tokens: dict[str, tuple[float, float]] = field(default_factory=dict)
    delivered: int = 0
    linktype: int = 1

    def __post_init__(self) -> None:
        self.clock.next_arrival = lambda: min((p[0] for p in self.pending), default=None)

    @property
    def addrs(self) -> dict[str, str]:
        return ADDRS[self.family]

    def node_at(self, probe: Layer, ttl: int) -> str:
        """Which node the probe's TTL runs out at (``dst`` when it gets there)."""
        if ttl >= 5:
            return "dst"
        if ttl == 3:
            return "r3a" if zlib.crc32(repr(flow_key(probe)).encode()) % 2 else "r3b"
        return ("r1", "r2", "", "r4")[ttl - 1]

    # -- the sender's side ---------------------------------------------------------------------
    def send_many(self, packets: list[bytes]) -> int:
        for data in packets:
            k = len(self.sent)
            self.sent.append(data)
            if k in self.lose:
                continue
            answer = self.answer(data)
            if answer is not None:
                delay, frame = answer
                self.pending.append((self.clock.now + delay, k, frame))
        return len(packets)

    def answer(self, data: bytes) -> tuple[float, bytes] | None:
        probe = dissect(data, 101)
        v6 = self.family == 6
        net = probe[IPv6] if v6 else probe[IP]
        ttl = net.hlim if v6 else net.ttl
        node = self.node_at(probe, ttl)
        if node == "r4":
            return None  # silent
        if node == "dst" and self.dst_quiet[0] <= self.clock.now < self.dst_quiet[1]:
            return None
        errors = node != "dst" or isinstance(net.payload, UDP)
        if errors and not self.allow_icmp_error(node):
            return None
        a = self.addrs
        hops = min(ttl, 5)
        delay = HOP_DELAY * hops
        if node != "dst":
            # the router quotes the probe as it arrived: one hop of TTL left
            quoted = arrived(data, 1)
            ext = ICMPExtension((ICMPExtensionObject.mpls(R2_LABELS),)) if node == "r2" else None
            if v6:
                reply = IPv6(src=a[node], dst=a["src"], hlim=64 - hops + 1) / \
                    ICMPv6TimeExceeded(ext=ext) / Raw(quoted)
            else:
                reply = IP(src=a[node], dst=a["src"], ttl=64 - hops + 1) / \
                    ICMP(type=11, code=0, ext=ext) / Raw(quoted)
            return delay, frame(reply)
        left = ttl - 4  # four routers on the way
        top = net.payload
        if isinstance(top, TCP):
            back = (IPv6(src=a["dst"], dst=a["src"], hlim=60) if v6
                    else IP(src=a["dst"], dst=a["src"], ttl=60))
            reply = back / TCP(sport=top.dport, dport=top.sport, flags="SA", seq=4242,
                               ack=(top.seq + 1) & 0xFFFFFFFF)
        elif isinstance(top, UDP):
            quoted = arrived(data, left)
            if v6:
                reply = IPv6(src=a["dst"], dst=a["src"], hlim=60) / \
                    ICMPv6DestUnreach(code=4) / Raw(quoted)
            else:
                reply = IP(src=a["dst"], dst=a["src"], ttl=60) / ICMP(type=3, code=3) / \
                    Raw(quoted)
        elif v6:
            reply = IPv6(src=a["dst"], dst=a["src"], hlim=60) / ICMPv6EchoReply(
                id=top.id, seq=top.seq, data=top.data)
        else:
            reply = IP(src=a["dst"], dst=a["src"], ttl=60) / ICMP(
                type=0, id=top.id, seq=top.seq) / Raw(bytes(top.payload))
        return delay, frame(reply)

    def allow_icmp_error(self, node: str) -> bool:
        """The node's limiter, as Linux keeps it per peer (inet_peer_xrlim_allow):
        tokens are time, capped at a burst, and a refused error costs nothing."""
        if self.ratelimit is None:
            return True
        interval = self.ratelimit
        now = self.clock.now
        token, last = self.tokens.get(node, (BURST * interval, now))
        token = min(BURST * interval, token + (now - last))
        allowed = token >= interval
        if allowed:
            token -= interval
        self.tokens[node] = (token, now)
        return allowed

    # -- the capture's side --------------------------------------------------------------------
    def read_raw_batch(self, n: int) -> tuple[bytes, bytes]:
        due = sorted(p for p in self.pending if p[0] <= self.clock.now)[:n]
        for p in due:
            self.pending.remove(p)
        self.delivered += len(due)
        return pack_batch(due)

    def fileno(self) -> int:
        return 0  # only ever handed to the virtual select

    def stats(self) -> tuple[int, int, int]:
        return (self.delivered, 0, 0)


def arrived(data: bytes, ttl_left: int) -> bytes:
    """The probe ``data`` as it reached a node with ``ttl_left`` (IPv4 checksum redone)."""
    if data[0] >> 4 == 6:
        return data[:7] + bytes((ttl_left,)) + data[8:]
    packet = dissect(data, 101)
    packet.ttl = ttl_left
    packet.chksum = None
    return bytes(packet)


def frame(packet: Layer) -> bytes:
    """``packet`` in an Ethernet frame, as the capture would see it."""
    return bytes(Ether(src="02:00:c6:12:01:01", dst="02:00:c6:12:01:02") / packet)
