"""The raw TCP scans (-sS -sF -sN -sX -sA): stamped probes through the engine, in passes.

Targets are scanned in route groups (family, interface, source, gateway).
Pass 1 sends every (host, port) of a group's permutation once; each later
pass resends the probes still silent, from a new source port, as long as the
loss measured so far says responsive ports may hide among them
(``timing.next_pass``). The groups take their passes in turns, so their waits
overlap. A group's engine session (socket and capture) stays open across its
passes. Timeouts follow the measured round trip: the engine reads
``RunOptions.timeout`` at each batch, and the answers streaming out of the
run update it; the send rate is the congestion controller's. When every probe
of a group goes to one next hop (its gateway, or a single host on the link),
the group sends Ethernet frames through the engine's layer-2 session, which
costs the kernel about half as much per probe.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from netprobe import costs
from netprobe.engine.loop import RunOptions, SendReceiveLoop
from netprobe.engine.probes import PreparedProbe
from netprobe.engine.results import Counters, Result, Tag
from netprobe.plugins.portscan.collect import Collector
from netprobe.plugins.portscan.congestion import RateController
from netprobe.plugins.portscan.permutation import Permutation, Shard
from netprobe.plugins.portscan.progress import ScanProgress
from netprobe.plugins.portscan.stamp import PYTHON_STAMP_MAX, SCAN_FLAGS, TcpStamper
from netprobe.plugins.portscan.targets import TargetSet
from netprobe.plugins.portscan.timing import (
    DELIVERY_SLACK,
    LossEstimate,
    RttEstimator,
    Timing,
    next_pass,
)

if TYPE_CHECKING:
    import numpy as np

    from netprobe.engine.api import Session

#: the tag of every raw TCP scan result (``Result.tag``)
TAG = Tag("tcp")
#: probes stamped at a time
CHUNK = 4096
#: source ports the passes take in turn (base port + pass number, modulo this)
MAX_PASS_PORTS = 64
#: RTT is sampled on answers number 1, 17, 33... of each pass (mask)
RTT_SAMPLING = 15
#: a group of at most this many probes is a small job: its fixed costs are most of its
#: time, so it sends through the raw IP socket (no neighbour lookup, no packet socket)
#: and, for IPv4, reads its answers from raw IP sockets (``IpCapture``: no packet
#: socket to set up and release, which costs the kernel RCU grace periods)
SMALL_JOB = 4096
#: the capture ring: answers are read as they come, so the ring only bridges a stall of
#: the reader (8 MB: about 300 ms of answers at 100,000 a second); every page of it is
#: resident, and a sweep's memory matters
CAPTURE_BUFFER = 8 << 20


def source_port(seed: int, family: int) -> int:
    """The scan's TCP source port (fixed per seed: the same seed sends the same bytes)."""
    return 33000 + (seed * 2654435761 + family) % 28000


def secret_of(seed: int) -> int:
    """The key of the sequence-number cookies."""
    return (seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF


class ScanSpace:
    """(host, port) pairs of one family: index ``i`` is host ``i % H``, port ``i // H``."""

    def __init__(self, targets: TargetSet, family: int, ports: list[int], seed: int,
                 shard: Shard) -> None:
        self.targets = targets
        self.family = family
        self.port_list = list(ports)
        self.hosts = targets.count(family)
        self.size = self.hosts * len(ports)
        self.shard = shard
        self.permutation = Permutation(self.size, seed * 4 + family)

    def count(self) -> int:
        """How many pairs this shard holds."""
        return self.shard.size(self.size)

    @property
    def small(self) -> bool:
        """Few enough pairs to make with Python integers (numpy is not imported)."""
        return self.count() <= PYTHON_STAMP_MAX

    def chunks(self, chunk: int = CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(destination address rows, ports) in permutation order, ``chunk`` at a time."""
        from netprobe.npimport import np

        h = np.uint64(self.hosts)
        ports = np.array(self.port_list, dtype=np.uint64)
        for start in range(0, self.count(), chunk):
            idx = self.permutation.at(self.shard.positions(self.size, start, chunk))
            yield self.targets.packed(self.family, idx % h), ports[idx // h]

    def pair_lists(self) -> tuple[list[bytes], list[int]]:
        """Every (destination address bytes, port) of this shard in permutation order, as
        two lists, computed with Python integers: the order of :meth:`chunks`."""
        h = self.hosts
        idx = self.permutation.at_ints(self.shard.position_ints(self.size, 0, self.count()))
        ports = self.port_list
        return (self.targets.packed_ints(self.family, [i % h for i in idx]),
                [ports[i // h] for i in idx])

    def pairs(self) -> Iterator[tuple[bytes, int]]:
        """(destination address bytes, port) in permutation order, by the cheaper way."""
        if self.small:
            yield from zip(*self.pair_lists(), strict=True)
            return
        for dst, ports in self.chunks():
            raw, w = dst.tobytes(), dst.shape[1]
            yield from ((raw[i * w:(i + 1) * w], int(p)) for i, p in enumerate(ports.tolist()))


def _first_pass(space: ScanSpace, stamper: TcpStamper) -> Iterator[PreparedProbe]:
    if space.small:
        yield from stamper.prepared_bytes(stamper.stamp_ints(*space.pair_lists()))
        return
    for dst, ports in space.chunks():
        yield from stamper.prepared(stamper.rows(dst, ports))


def capture_filter(family: int, src: str, loopback: bool = False,
                   ports: tuple[int, int] | None = None) -> str:
    """The kernel filter for answers to a TCP scan from ``src``.

    On loopback (``loopback``) the capture also sees our own probes come in:
    only TCP segments that can answer a scan probe pass (RST, or SYN with ACK;
    no scan type's probe carries either), to our source ports (``ports``, first
    and last), so that what is counted as received is what answered.
    """
    icmp = "icmp" if family == 4 else "icmp6"
    if not loopback:
        return f"(tcp or {icmp}) and dst host {src}"
    if family == 4:
        answer = "(tcp[13] & 4 != 0 or tcp[13] & 18 == 18)"
    else:  # libpcap reads no TCP header behind IPv6: ours follows the fixed header
        answer = "ip6[6] = 6 and (ip6[53] & 4 != 0 or ip6[53] & 18 == 18)"
    if ports is not None:
        answer = f"tcp dst portrange {ports[0]}-{ports[1]} and {answer}"
    return f"((tcp and {answer}) or {icmp}) and dst host {src}"


def link_for(space: ScanSpace, iface: str, gateway: str | None) -> tuple[str, str] | None:
    """(next hop MAC, our MAC) when every probe of ``space`` goes to one next hop: the
    gateway, or the one target on the link. None: send through the raw IP socket.

    Frames handed to the interface cost the kernel about half of what packets routed
    from a raw IP socket cost (no routing or neighbour lookups per packet), and the
    answers' processing moves off the sending CPU.
    """
    from netprobe.wire import iface as iface_mod
    from netprobe.wire.neighbour import next_hop_mac

    if gateway is None and space.hosts != 1:
        return None
    try:
        hop = next_hop_mac(space.targets.address(space.family, 0), timeout=1.0)
        with costs.span("interface lookup"):
            ours = iface_mod.interface(iface).mac
    except Exception:
        return None
    if hop is None or not ours:
        return None
    return hop[1], ours


class GroupScan:
    """The raw scan of one route group (one family, interface, source), pass by pass.

    Each pass sends from its own source port, as nmap does for its tries: a server
    whose SYN/ACK was answered by a lost RST holds a half-open connection and answers
    a repeated SYN on the same ports at most twice a second, but a new connection at
    once. Groups run their passes in turns (:func:`raw_tcp_scan`), so that their
    waits for late answers overlap instead of adding up.
    """

    def __init__(self, space: ScanSpace, *, scan: str, iface: str, src: str, seed: int,
                 timing: Timing, controller: RateController, collector: Collector,
                 rtt: RttEstimator, gateway: str | None = None, layer2: bool = True,
                 tag: Tag = TAG) -> None:
        self.space = space
        self.scan = scan
        self.iface = iface
        self.src = src
        self.seed = seed
        self.timing = timing
        self.controller = controller
        self.collector = collector
        self.rtt = rtt
        self.tag = tag
        self.family = space.family
        self.base_port = source_port(seed, space.family)
        self.small = space.count() <= SMALL_JOB
        self.link = link_for(space, iface, gateway) if layer2 and not self.small else None
        first = self.stamper_for(1)
        self.target_key = first.target
        self.probes: Iterator[PreparedProbe] = _first_pass(space, first)
        self.loss = LossEstimate()
        self.sends = 0
        self.least_wait = 0.0
        self.started = time.monotonic()
        self.answered_hosts: set[bytes] = set()
        self.done = space.count() == 0
        self.session: Session | None = None

    def stamper_for(self, send: int) -> TcpStamper:
        """The stamper of pass ``send`` (its own source port)."""
        return TcpStamper(self.family, self.src,
                          self.base_port + (send - 1) % MAX_PASS_PORTS, SCAN_FLAGS[self.scan],
                          secret_of(self.seed), link=self.link)

    def open(self, scope: object) -> None:
        """Open the raw socket and the capture (kept across passes: late answers wait)."""
        from netprobe.engine.api import Session

        reader: Callable[..., object] | None = None
        if self.small:
            from netprobe.wire.lightcapture import IpCapture, LinkCapture

            if self.family == 4:
                reader = IpCapture
            elif LinkCapture.supports(self.iface):
                reader = LinkCapture
        if reader is None:  # libpcap (pcapy: 2 ms of imports) only where it is used
            from netprobe.wire.capture import Capture

            reader = functools.partial(Capture, buffer_size=CAPTURE_BUFFER)
        self.session = Session(iface=self.iface, layer2=self.link is not None,
                               capture_class=reader,
                               first_dst=self.space.targets.address(self.family, 0),
                               capture_filter=capture_filter(
                                   self.family, self.src, loopback=self.iface == "lo",
                                   ports=(self.base_port, self.base_port + MAX_PASS_PORTS - 1)),
                               scope=scope)

    def close(self) -> None:
        """Close the socket and the capture."""
        if self.session is not None:
            self.session.close()
            self.session = None

    def run_pass(self, stop_at: float | None, progress: ScanProgress | None) -> None:
        """Send this pass's probes and collect what comes back; decide about the next."""
        if self.done:
            return
        collector, rtt, controller, loss = self.collector, self.rtt, self.controller, self.loss
        self.sends += 1
        sends = self.sends
        remaining = None if stop_at is None else stop_at - time.monotonic()
        if remaining is not None and remaining <= 0:
            self.done = True
            return
        options = RunOptions(rate=controller.rate, retries=0,
                             timeout=max(self.least_wait, rtt.timeout()), iface=self.iface,
                             max_time=remaining, rate_control=controller)
        counters = Counters()
        controller.new_run()
        if progress is not None:
            progress.start_run(resend=sends > 1)
        loop = SendReceiveLoop(self.session.sender, self.session.capture, options, counters,
                               progress)
        silent: dict[bytes, Result] = {}
        answered_now: list[Result] = []
        answered = spent = 0  # answers of this pass, and the sends they took
        tag, target_key = self.tag, self.target_key
        try:
            for r in loop.run(self.probes):
                r.tag = tag
                if r.answer_bytes is None:
                    r.sends = sends
                    silent[target_key(r.probe_bytes)] = r
                    continue
                if sends > 1:
                    r.sends = sends + r.sends - 1
                    collector.answer(self, target_key(r.probe_bytes), r)
                answered += 1
                spent += r.sends
                if answered & RTT_SAMPLING == 1 and r.received is not None:
                    # one answer in 16 is plenty of samples, and cheaper
                    rtt.add(r.received - r.sent)
                    options.timeout = max(self.least_wait, rtt.timeout())
                    controller.lag = (rtt.srtt or 0.0) + DELIVERY_SLACK
                answered_now.append(r)
        finally:
            if sends == 1:
                # pass 1 has nothing silent to replace: its answers are settled as they are
                collector.settled.extend(answered_now)
            loss.add_many(answered, spent)
            collector.totals.add(counters, resend=sends > 1)
            collector.totals.passes += 1
            collector.totals.backoffs = controller.backoffs
        if counters.sent == 0:
            self.done = True  # --max-time ran out before this pass could send
            return
        collector.pass_done(self, silent)
        if silent:
            self.answered_hosts.update(target_key(r.probe_bytes)[:-2] for r in answered_now)
        # hosts (address part of the keys) with silent probes that never answered
        dark = bool({k[:-2] for k in silent} - self.answered_hosts)
        wait = next_pass(loss, sends, len(silent), self.timing,
                         time.monotonic() - self.started, dark)
        if wait is None:
            self.done = True
            return
        self.least_wait = wait
        self.probes = iter(self.stamper_for(sends + 1).again([r.probe_bytes
                                                              for r in silent.values()]))


def raw_tcp_scan(groups: list[GroupScan], *, scope: object, collector: Collector,
                 stop_at: float | None = None, progress: ScanProgress | None = None) -> None:
    """Run the groups' passes in turns until each is done; results go to ``collector``."""
    live = [g for g in groups if not g.done]
    try:
        for g in live:
            g.open(scope)
        while live:
            for g in live:
                g.run_pass(stop_at, progress)
                if g.done:
                    collector.group_done(g)
            live = [g for g in live if not g.done]
    finally:
        for g in groups:
            g.close()
