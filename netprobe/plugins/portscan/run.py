"""Run a planned scan: host discovery, then the TCP and UDP port scans, into a Collector.

This is the plugin's "run" part: it talks to the engine (raw scans), to the
wire (connect scans) and to the discovery and UDP modules, and leaves every
result in the collector, so that the caller can interpret whatever is there
when the scan ends, runs out of ``--max-time`` or is interrupted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from netprobe import costs
from netprobe.engine.results import Counters, Result
from netprobe.plugins.portscan.collect import Collector
from netprobe.plugins.portscan.congestion import RateController
from netprobe.plugins.portscan.interpret import ping_verdict
from netprobe.plugins.portscan.plan import ScanPlan
from netprobe.plugins.portscan.progress import ScanProgress
from netprobe.plugins.portscan.raw_scan import ScanSpace
from netprobe.plugins.portscan.targets import TargetSet
from netprobe.plugins.portscan.timing import RttEstimator

if TYPE_CHECKING:
    from netprobe.plugins.portscan.collect import SavedCounters
    from netprobe.plugins.portscan.verdict import ConnectTag
    from netprobe.services.json_value import JSONRecord
    from netprobe.wire.scope import Scope

#: discovery retries (each host gets several probe kinds; a retry covers loss)
DISCOVERY_RETRIES = 2


class ScanRun:
    """One scan in progress: its plan, collector, progress and deadline."""

    def __init__(self, plan: ScanPlan, *, scope: Scope, privileged: bool,
                 warn: Callable[[str], None]) -> None:
        self.plan = plan
        self.scope = scope
        self.privileged = privileged
        self.warn = warn
        self.collector = Collector()
        self.discovery_mode = "none"
        #: targets that are addresses of this machine (up without discovery)
        self.local_hosts: list[str] = []
        self.started = time.monotonic()
        self.stop_at = None if plan.max_time is None else self.started + plan.max_time
        self.progress = ScanProgress(None)
        self.finished = False
        #: round trips measured by every phase (discovery answers seed the port scans)
        self.rtt = RttEstimator(plan.timing)

    @property
    def elapsed(self) -> float:
        """Seconds since the scan started."""
        return time.monotonic() - self.started

    @property
    def max_time_reached(self) -> bool:
        """Whether ``--max-time`` cut the scan short."""
        return self.stop_at is not None and time.monotonic() >= self.stop_at

    def _remaining(self) -> float | None:
        return None if self.stop_at is None else max(0.0, self.stop_at - time.monotonic())

    def _rate(self) -> float | None:
        """A fixed rate (--rate, a slow template) or the cap (--max-rate), for the phases
        without congestion control."""
        p = self.plan
        return p.rate or p.timing.rate or p.max_rate

    # -- phases ---------------------------------------------------------------------------------
    def run(self) -> None:
        """Discovery (unless -Pn), then the port scans; results land in the collector."""
        try:
            with costs.span("host discovery"):
                targets = self.discover()
            plan = self.plan
            if plan.discovery_only or targets.count() == 0:
                return
            self.progress.bar.total = plan.shard.size(targets.count() * len(plan.tcp_ports)) \
                + plan.shard.size(targets.count() * len(plan.udp_ports))
            if plan.scan is not None:
                with costs.span("tcp scan"):
                    self.scan_tcp(targets)
            if plan.udp:
                with costs.span("udp scan"):
                    self.scan_udp(targets)
            self.finished = True
        finally:
            self.progress.close()

    def discover(self) -> TargetSet:
        """The targets found up (all of them with -Pn)."""
        plan = self.plan
        if plan.skip_discovery and not plan.discovery_only:
            return plan.targets
        hosts = [a for f in plan.targets.families() for a in plan.targets.addresses(f)]
        # our own addresses are up without asking (nmap: "localhost-response")
        self.local_hosts = [h for h in hosts if is_local(h)]
        if self.local_hosts:
            local = set(self.local_hosts)
            hosts = [h for h in hosts if h not in local]
            if not hosts:
                self.discovery_mode = "ping" if self.privileged else "connect"
                return TargetSet.of_addresses(self.local_hosts)
        if self.privileged:
            try:
                from netprobe.plugins.portscan import discovery
            except ImportError:
                self.warn("host discovery is not available; scanning every target (-Pn)")
                return plan.targets
            self.discovery_mode = "ping"
            results = self._other_phase(lambda counters: discovery.discover(
                hosts, timeout=plan.timing.initial_timeout,
                retries=min(DISCOVERY_RETRIES, plan.timing.max_retries),
                rate=self._rate(), iface=plan.iface, counters=counters))
            self._learn_rtt(results)
            verdicts = discovery.hosts_up(results)
            up = [h for h, v in verdicts.items() if v.state == "up"] + self.local_hosts
        else:
            from netprobe.plugins.portscan.connect_scan import connect_ping

            self.discovery_mode = "connect"
            results = connect_ping(hosts, timing=plan.timing, rate=self._rate(),
                                   scope=self.scope, totals=self.collector.totals,
                                   stop_at=self.stop_at)
            self.collector.other.extend(results)
            self._learn_rtt(results)
            tags: dict[str, list[ConnectTag]] = {}
            for r in results:
                if r.tag is not None:
                    tags.setdefault(r.tag["host"], []).append(r.tag.details)
            up = [h for h, t in tags.items() if ping_verdict(t)[0] == "up"] + self.local_hosts
        return TargetSet.of_addresses(up)

    def _learn_rtt(self, results: list[Result]) -> None:
        for r in results:
            if r.received is not None and r.sends == 1:
                self.rtt.add(r.received - r.sent)

    def _groups(self, targets: TargetSet) -> list[tuple[int, str, str, str | None, TargetSet]]:
        """(family, interface, source address, gateway, targets) per route."""
        from netprobe.wire.route import route_to

        groups = []
        for family in targets.families():
            def key(addr: str) -> tuple[str, str, str | None]:
                route = route_to(addr)
                return (self.plan.iface or route.iface, route.src, route.gateway)

            for (iface, src, gateway), part in targets.split(family, key):  # type: ignore[misc]
                groups.append((family, iface, src, gateway, part))
        return groups

    def scan_tcp(self, targets: TargetSet) -> None:
        """The TCP port scan: every route group at once (their passes take turns)."""
        from netprobe.plugins.portscan.connect_scan import connect_scan
        from netprobe.plugins.portscan.raw_scan import GroupScan, raw_tcp_scan

        plan = self.plan
        t = plan.timing
        groups = self._groups(targets)
        if plan.scan == "connect":
            spaces = [(ScanSpace(part, family, plan.tcp_ports, plan.seed, plan.shard), src)
                      for family, _iface, src, _gateway, part in groups]
            connect_scan(spaces, seed=plan.seed, timing=t, rate=self._rate(),
                         scope=self.scope, collector=self.collector, stop_at=self.stop_at,
                         on_progress=self.progress.connect, rtt=self.rtt)
            return
        controller = RateController(plan.rate or t.rate or t.start_rate, growth=t.growth,
                                    min_rate=plan.min_rate or plan.rate,
                                    max_rate=plan.max_rate or plan.rate or t.rate,
                                    adaptive=t.adaptive and plan.rate is None)
        scans = [GroupScan(ScanSpace(part, family, plan.tcp_ports, plan.seed, plan.shard),
                           scan=plan.scan or "syn", iface=iface, src=src, seed=plan.seed,
                           timing=t, controller=controller, collector=self.collector,
                           rtt=self.rtt, gateway=gateway, layer2=plan.iface is None)
                 for family, iface, src, gateway, part in groups]
        raw_tcp_scan(scans, scope=self.scope, collector=self.collector, stop_at=self.stop_at,
                     progress=self.progress)
        self.collector.totals.backoffs = controller.backoffs

    def scan_udp(self, targets: TargetSet) -> None:
        """The UDP port scan through the UDP module."""
        import socket

        from netprobe.plugins.portscan.udp import scan_udp

        plan = self.plan
        pairs: list[tuple[str, int]] = []
        for family in targets.families():
            space = ScanSpace(targets, family, plan.udp_ports, plan.seed + 1, plan.shard)
            af = socket.AF_INET if family == 4 else socket.AF_INET6
            pairs += [(socket.inet_ntop(af, packed), port) for packed, port in space.pairs()]
        if not pairs:
            return
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            return
        self._other_phase(lambda counters: scan_udp(
            pairs, timeout=self.rtt.timeout(), retries=plan.timing.max_retries,
            rate=self._rate(), max_time=remaining, iface=plan.iface, counters=counters,
            on_progress=self.progress))

    def _other_phase(self, call: Callable[[Counters], list[Result]]) -> list[Result]:
        """Run a discovery or UDP phase with fresh counters; its results and counters go to
        the collector, also when Ctrl-C stops it (the module then hands over what it has
        with the interruption)."""
        counters = self.progress.counters()
        try:
            results = call(counters)
        except KeyboardInterrupt as exc:
            self.collector.other.extend(getattr(exc, "results", None) or [])
            raise
        finally:
            self.collector.totals.add(counters)
        self.collector.other.extend(results)
        return results

    # -- what to save -----------------------------------------------------------------------------
    def options(self) -> JSONRecord:
        """The interpretation options a saved run keeps."""
        return self.plan.options(self.discovery_mode, self.local_hosts)

    def counters(self) -> SavedCounters:
        """The scan's counters as saved (duration included)."""
        return self.collector.totals.to_dict(self.elapsed)


def is_local(address: str) -> bool:
    """Whether ``address`` is one of this machine's (its route leaves by loopback)."""
    from netprobe.errors import UsageError
    from netprobe.wire.route import route_to

    try:
        return route_to(address).iface == "lo"
    except UsageError:
        return False

