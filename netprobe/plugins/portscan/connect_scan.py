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

from netprobe.engine.probes import LINKTYPE_RAW
from netprobe.engine.results import Result, Tag
from netprobe.plugins.portscan.collect import Collector, Totals
from netprobe.plugins.portscan.raw_scan import ScanSpace, secret_of, source_port
from netprobe.plugins.portscan.stamp import SCAN_FLAGS, TcpStamper
from netprobe.plugins.portscan.timing import LossEstimate, RttEstimator, Timing, next_pass

PHASE = "connect"


def _pairs(spaces: list[tuple[ScanSpace, str]]) -> Iterator[tuple[str, int, bytes]]:
    ntop = socket.inet_ntop
    for space, _src in spaces:
        af = socket.AF_INET if space.family == 4 else socket.AF_INET6
        for packed, port in space.pairs():
            yield ntop(af, packed), port, packed


def connect_scan(spaces: list[tuple[ScanSpace, str]], *, seed: int, timing: Timing,
                 rate: float | None, scope: object, collector: Collector,
                 stop_at: float | None = None,
                 on_progress: Callable[[int, int, int], None] | None = None,
                 rtt: RttEstimator | None = None) -> None:
    """Connect to every (host, port) of the (space, source address) groups, all in one
    stream (the kernel routes each); results go to ``collector``.

    ``on_progress(first_tries_done, attempts, answered)`` is called as attempts end.
    """
    from netprobe.wire.connect import connect_many

    spaces = [(space, src) for space, src in spaces if space.count()]
    if not spaces:
        return
    # stand-in probes, stamped as a SYN scan's from each family's source
    stampers = {space.family: TcpStamper(space.family, src, source_port(seed, space.family),
                                         SCAN_FLAGS["syn"], secret_of(seed))
                for space, src in spaces}
    rtt = rtt or RttEstimator(timing)
    loss = LossEstimate()
    totals = collector.totals
    packed_of: dict[tuple[str, int], bytes] = {}
    todo: Iterator[tuple[str, int, bytes]] = _pairs(spaces)
    sends = 0
    first_done = 0
    least_wait = 0.0
    started = time.monotonic()
    answered_hosts: set[str] = set()

    def timeout() -> float:
        return max(least_wait, rtt.timeout())

    def targets(items: Iterator[tuple[str, int, bytes]]) -> Iterator[tuple[str, int]]:
        for host, port, packed in items:
            packed_of[(host, port)] = packed
            yield host, port

    while True:
        sends += 1
        remaining = None if stop_at is None else stop_at - time.monotonic()
        if remaining is not None and remaining <= 0:
            break
        silent: dict[tuple[str, int], Result] = {}
        attempts = 0
        for out in connect_many(targets(todo), timeout=timeout, rate=rate,
                                scope=scope, max_time=remaining):  # type: ignore[arg-type]
            if out.status == "cancelled":
                continue
            attempts += 1
            key = (out.host, out.port)
            packed = packed_of[key]
            stamper = stampers[4 if len(packed) == 4 else 6]
            probe = stamper.stamp_int(packed, out.port)
            answered = out.status != "timeout"
            result = Result(probe, LINKTYPE_RAW, out.started, sends,
                            received=out.finished if answered else None)
            result.tag = Tag(PHASE, {"status": out.status, "errno": out.errno,
                                     "icmp": list(out.icmp) if out.icmp else None})
            totals.sent += 1
            if sends > 1:
                totals.retries += 1
            else:
                first_done += 1
            if answered:
                totals.received += 1
                totals.matched += 1
                rtt.add(out.finished - out.started)
                loss.add(sends)
                answered_hosts.add(out.host)
                collector.answer(PHASE, key, result)
            else:
                silent[key] = result
            if on_progress is not None:
                on_progress(first_done, totals.sent, totals.matched)
        totals.passes += 1
        if attempts == 0:
            break
        collector.pass_done(PHASE, silent)
        dark = bool({h for h, _ in silent} - answered_hosts)
        wait = next_pass(loss, sends, len(silent), timing, time.monotonic() - started, dark)
        if wait is None:
            break
        least_wait = wait
        todo = iter([(h, p, packed_of[(h, p)]) for h, p in silent])
    collector.group_done(PHASE)


#: ports an unprivileged host discovery connects to (nmap's choice)
PING_PORTS = (80, 443)


def connect_ping(hosts: list[str], *, timing: Timing, rate: float | None, scope: object,
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
