"""The connect scan (-sT): the kernel's own TCP handshakes, no privileges needed.

The same permutation and the same resend passes as the raw scans, through
``netprobe.wire.connect``. Each attempt becomes a :class:`Result` so that
interpretation, ``--save`` and ``netprobe interpret`` treat every scan alike:
the probe is a stand-in SYN stamped like a SYN scan's (the kernel sent the
real one, with its own sequence number and options), there is no answer
packet, and the outcome (connected, refused, the ICMP error, timeout) is the
result's tag: phase ``connect``, details ``status``, ``errno``, ``icmp``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from netprobe.engine.results import Result, Tag
from netprobe.packet.linktypes import LINKTYPE_RAW
from netprobe.plugins.portscan.collect import Collector, Totals
from netprobe.plugins.portscan.raw_scan import ScanSpace, secret_of, source_port
from netprobe.plugins.portscan.stamp import SCAN_FLAGS, TcpStamper
from netprobe.plugins.portscan.timing import LossEstimate, RttEstimator, Timing, next_pass

if TYPE_CHECKING:  # the wire is imported when a scan runs
    from netprobe.wire.connect import ConnectOutcome
    from netprobe.wire.scope import Scope

PHASE = "connect"


def _pairs(spaces: list[tuple[ScanSpace, str]]) -> Iterator[tuple[str, int, bytes]]:
    ntop = socket.inet_ntop
    for space, _src in spaces:
        af = socket.AF_INET if space.family == 4 else socket.AF_INET6
        for packed, port in space.pairs():
            yield ntop(af, packed), port, packed


def connect_scan(spaces: list[tuple[ScanSpace, str]], *, seed: int, timing: Timing,
                 rate: float | None, scope: Scope | None, collector: Collector,
                 stop_at: float | None = None,
                 on_progress: Callable[[int, int, int], None] | None = None,
                 rtt: RttEstimator | None = None) -> None:
    """Connect to every (host, port) of the (space, source address) groups, all in one
    stream (the kernel routes each); results go to ``collector``.

    ``on_progress(first_tries_done, attempts, answered)`` is called as attempts end.
    """
    spaces = [(space, src) for space, src in spaces if space.count()]
    if not spaces:
        return
    scan = _ConnectScan(spaces, seed, rtt or RttEstimator(timing), collector, on_progress)
    todo: Iterator[tuple[str, int, bytes]] = _pairs(spaces)
    started = time.monotonic()
    while True:
        scan.sends += 1
        remaining = None if stop_at is None else stop_at - time.monotonic()
        if remaining is not None and remaining <= 0:
            break
        attempts, silent = scan.one_pass(todo, rate, scope, remaining)
        collector.totals.passes += 1
        if attempts == 0:
            break
        collector.pass_done(PHASE, silent)
        dark = bool({h for h, _ in silent} - scan.answered_hosts)
        wait = next_pass(scan.loss, scan.sends, len(silent), timing,
                         time.monotonic() - started, dark)
        if wait is None:
            break
        scan.least_wait = wait
        todo = iter([(h, p, scan.packed_of[(h, p)]) for h, p in silent])
    collector.group_done(PHASE)


class _ConnectScan:
    """One connect scan's state across its passes: stand-in stamps, times, counts."""

    def __init__(self, spaces: list[tuple[ScanSpace, str]], seed: int, rtt: RttEstimator,
                 collector: Collector,
                 on_progress: Callable[[int, int, int], None] | None) -> None:
        # stand-in probes, stamped as a SYN scan's from each family's source
        self.stampers = {space.family: TcpStamper(space.family, src,
                                                  source_port(seed, space.family),
                                                  SCAN_FLAGS["syn"], secret_of(seed))
                         for space, src in spaces}
        self.rtt = rtt
        self.loss = LossEstimate()
        self.collector = collector
        self.on_progress = on_progress
        self.packed_of: dict[tuple[str, int], bytes] = {}
        self.sends = 0  # the pass under way (1: first tries)
        self.first_done = 0
        self.least_wait = 0.0
        self.answered_hosts: set[str] = set()

    def timeout(self) -> float:
        """How long an attempt waits: the round-trip estimate, at least the last pass's wait."""
        return max(self.least_wait, self.rtt.timeout())

    def _targets(self, items: Iterator[tuple[str, int, bytes]]) -> Iterator[tuple[str, int]]:
        for host, port, packed in items:
            self.packed_of[(host, port)] = packed
            yield host, port

    def one_pass(self, todo: Iterator[tuple[str, int, bytes]], rate: float | None,
                 scope: Scope | None, remaining: float | None,
                 ) -> tuple[int, dict[tuple[str, int], Result]]:
        """Try every pair of ``todo``: (attempts that ended, results of the silent ones)."""
        from netprobe.wire.connect import connect_many

        silent: dict[tuple[str, int], Result] = {}
        attempts = 0
        for out in connect_many(self._targets(todo), timeout=self.timeout, rate=rate,
                                scope=scope, max_time=remaining):
            if out.status == "cancelled":
                continue
            attempts += 1
            self._take(out, silent)
        return attempts, silent

    def _take(self, out: ConnectOutcome, silent: dict[tuple[str, int], Result]) -> None:
        """Count one outcome and hand its result on (answered) or keep it (``silent``)."""
        key = (out.host, out.port)
        packed = self.packed_of[key]
        probe = self.stampers[4 if len(packed) == 4 else 6].stamp_int(packed, out.port)
        answered = out.status != "timeout"
        result = Result(probe, LINKTYPE_RAW, out.started, self.sends,
                        received=out.finished if answered else None)
        result.tag = Tag(PHASE, {"status": out.status, "errno": out.errno,
                                 "icmp": list(out.icmp) if out.icmp else None})
        totals = self.collector.totals
        totals.sent += 1
        if self.sends > 1:
            totals.retries += 1
        else:
            self.first_done += 1
        if answered:
            totals.received += 1
            totals.matched += 1
            self.rtt.add(out.finished - out.started)
            self.loss.add(self.sends)
            self.answered_hosts.add(out.host)
            self.collector.answer(PHASE, key, result)
        else:
            silent[key] = result
        if self.on_progress is not None:
            self.on_progress(self.first_done, totals.sent, totals.matched)


#: ports an unprivileged host discovery connects to (nmap's choice)
PING_PORTS = (80, 443)


def connect_ping(hosts: list[str], *, timing: Timing, rate: float | None, scope: Scope | None,
                 totals: Totals, stop_at: float | None = None) -> list[Result]:
    """Unprivileged host discovery: connect to ports 80 and 443 of each host, twice at most.

    A host that accepts or refuses either connection is up. Results are tagged
    ``connect-ping`` with details ``host``, ``port``, ``status``, ``errno``, ``icmp``.
    """
    from netprobe.wire.connect import connect_many
    from netprobe.wire.route import route_to

    stampers: dict[int, TcpStamper] = {}
    found: dict[str, Result] = {}
    results: list[Result] = []
    todo = [(h, p) for h in hosts for p in PING_PORTS]
    for attempt in (1, 2):
        remaining = None if stop_at is None else stop_at - time.monotonic()
        if not todo or (remaining is not None and remaining <= 0):
            break
        silent = []
        for out in connect_many(todo, timeout=timing.initial_timeout, rate=rate, scope=scope,
                                max_time=remaining):
            if out.status == "cancelled":
                continue
            family = 6 if ":" in out.host else 4
            stamper = stampers.get(family)
            if stamper is None:
                stamper = stampers[family] = TcpStamper(family, route_to(out.host).src, 40000,
                                                        SCAN_FLAGS["syn"], 0)
            af = socket.AF_INET if family == 4 else socket.AF_INET6
            probe = stamper.stamp_int(socket.inet_pton(af, out.host), out.port)
            answered = out.status not in ("timeout",)
            r = Result(probe, LINKTYPE_RAW, out.started, attempt,
                       received=out.finished if answered else None)
            r.tag = Tag("connect-ping", {"host": out.host, "port": out.port,
                                         "status": out.status, "errno": out.errno,
                                         "icmp": list(out.icmp) if out.icmp else None})
            totals.sent += 1
            totals.retries += attempt - 1
            if answered:
                totals.received += 1
                found[out.host] = r
            else:
                silent.append((out.host, out.port))
            results.append(r)
        todo = [(h, p) for h, p in silent if h not in found]
    return results
