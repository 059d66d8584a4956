"""``portscan --scheduler tcp://HOST:PORT``: one scan run as tasks on a Dask cluster.

The scan is cut into tasks that :func:`netprobe.services.cluster.run_tasks`
runs on the cluster's workers; each worker probes from its own machine, with
its own privileges and its own scope (``NETPROBE_SCOPE`` there). Two rounds:

1. host discovery (unless ``-Pn``): the targets are cut into contiguous,
   disjoint slices, one task each; every host is probed by one task only;
2. the port scan of the hosts found up: task ``t`` of ``T`` scans shard
   ``t+1/T`` of the scan's seeded order (``--shard K/N`` given too: its
   shards ``K+N*t / N*T``), the same disjoint parts as ``--shard``. Every
   task gets the same up-host list, so the shards' permutations agree and
   their union is exactly the whole scan.

Dask runs a task again on another worker when its worker dies, and
``run_tasks`` keeps one result per task, so the merge (:func:`merge_parts`,
pure) holds exactly one result set per slice and per shard: nothing is
counted twice. The merged run is an ordinary ``SavedRun`` for
``interpret.report``: one output, one ``--save`` file, one history run.

The workers must be able to import netprobe (the same version) and should
route the targets the same way: the raw scan numbers its shards per route
group, so workers that group the targets differently could leave pairs out;
:func:`missing_pairs` counts them and the command warns.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from netprobe.engine.results import Result
from netprobe.plugins.portscan.collect import Collector
from netprobe.plugins.portscan.permutation import Shard
from netprobe.plugins.portscan.plan import ScanPlan
from netprobe.plugins.portscan.targets import TargetSet

if TYPE_CHECKING:
    from netprobe.plugins.portscan.collect import SavedCounters
    from netprobe.services.json_value import JSONRecord

#: round trips a discovery task hands to the port round (a sample is enough)
MAX_RTTS = 64
#: counters that are not sums over the tasks
_NOT_SUMMED = ("elapsed", "rate")


@dataclass
class TaskSpec:
    """One task sent to a worker: the plan to run there, and which round it is."""

    plan: ScanPlan
    #: "discovery" (round 1) or "ports" (round 2)
    phase: str
    #: 0-based task number in its round
    index: int
    #: round trips measured by round 1 (seconds): they seed the shard's timeouts, as
    #: discovery's answers seed a single-machine scan's
    rtts: list[float] = field(default_factory=list)


@dataclass
class TaskOutcome:
    """What a worker sends back (picklable): results, counters and how it ended."""

    phase: str
    index: int
    results: list[Result] = field(default_factory=list)
    counters: SavedCounters = field(default_factory=dict)
    discovery_mode: str = "none"
    #: round 1: the hosts of its slice found up
    up: list[str] = field(default_factory=list)
    max_time_reached: bool = False
    worker: str = ""
    #: round 1: round trips of its probes answered at the first send (seconds)
    rtts: list[float] = field(default_factory=list)


def sub_shards(shard: Shard, tasks: int) -> list[Shard]:
    """Shard ``K/N`` cut into ``tasks`` shards of the same order: ``K+N*t / N*T``.

    Their positions are disjoint and together exactly those of ``K/N``.
    """
    return [Shard(shard.index + shard.count * t, shard.count * tasks) for t in range(tasks)]


def host_slices(hosts: Sequence[str], tasks: int) -> list[list[str]]:
    """``hosts`` in at most ``tasks`` contiguous, disjoint, non-empty slices."""
    n = max(1, min(tasks, len(hosts)))
    size, extra = divmod(len(hosts), n)
    bounds = [i * size + min(i, extra) for i in range(n + 1)]
    return [list(hosts[a:b]) for a, b in pairwise(bounds) if b > a]


def run_task(spec: TaskSpec) -> TaskOutcome:
    """Run one task on this machine (a worker): discovery of a slice, or one shard."""
    from netprobe.errors import EnvironmentProblem, NetprobeError, RuntimeProblem
    from netprobe.plugins.portscan.run import ScanRun
    from netprobe.wire.privileges import can_open_raw_sockets, raw_denied_message
    from netprobe.wire.scope import Scope

    worker = socket.gethostname()
    plan = spec.plan
    privileged = can_open_raw_sockets()
    try:
        if spec.phase == "ports" and plan.needs_raw and not privileged:
            kind = "a UDP scan (-sU)" if plan.scan in (None, "connect") else \
                f"a {plan.scan.upper()} scan"
            raise EnvironmentProblem(raw_denied_message(
                kind, "give the worker root or CAP_NET_RAW, or use a connect scan (-sT)"))
        scan = ScanRun(plan, scope=Scope.from_environment(), privileged=privileged,
                       warn=lambda text: None)
        up: list[str] = []
        if spec.phase == "discovery":
            try:
                found = scan.discover()
            finally:
                scan.progress.close()
            up = [a for f in found.families() for a in found.addresses(f)]
        else:
            for rtt in spec.rtts:
                scan.rtt.add(rtt)
            scan.run()
    except NetprobeError as exc:
        try:
            raised: Exception = type(exc)(f"worker {worker}: {exc}")
        except TypeError:
            raised = RuntimeProblem(f"worker {worker}: {exc}")
        raise raised from None
    except PermissionError as exc:
        raise EnvironmentProblem(f"worker {worker}: {exc}") from None
    results = scan.collector.results()
    for r in results:  # send bytes, not dissected layers
        r._probe = r._answer = None
    rtts = [r.received - r.sent for r in results
            if spec.phase == "discovery" and r.received is not None and r.sends == 1]
    return TaskOutcome(phase=spec.phase, index=spec.index, results=results,
                       counters=scan.counters(), discovery_mode=scan.discovery_mode, up=up,
                       max_time_reached=scan.max_time_reached, worker=worker,
                       rtts=rtts[:MAX_RTTS])


def merge_counters(parts: Sequence[Mapping[str, object]], elapsed: float) -> SavedCounters:
    """The tasks' counters added up (numbers only); the duration is the whole run's, the
    rate over it."""
    total: SavedCounters = {}
    for counters in parts:
        for key, value in counters.items():
            if key in _NOT_SUMMED or not isinstance(value, int | float):
                continue
            total[key] = total.get(key, 0) + value
    total.setdefault("sent", 0)
    total["elapsed"] = round(elapsed, 6)
    total["rate"] = round(total["sent"] / elapsed, 1) if elapsed > 0 else None
    return total


def merge_parts(outcomes: Sequence[TaskOutcome]) -> tuple[list[Result], list[SavedCounters]]:
    """Results and counters of one outcome per (round, task): the first kept, others dropped.

    ``run_tasks`` already gives one outcome per task; keeping the first per
    key makes a rerun that was somehow reported twice harmless too.
    """
    seen: set[tuple[str, int]] = set()
    results: list[Result] = []
    counters: list[SavedCounters] = []
    for outcome in sorted(outcomes, key=lambda o: (o.phase != "discovery", o.index)):
        key = (outcome.phase, outcome.index)
        if key in seen:
            continue
        seen.add(key)
        results.extend(outcome.results)
        counters.append(outcome.counters)
    return results, counters


def discovery_mode(outcomes: Sequence[TaskOutcome]) -> str:
    """The discovery the round-1 tasks did ("ping", "connect", or "none" without round 1)."""
    modes = sorted({o.discovery_mode for o in outcomes if o.phase == "discovery"} - {"none"})
    return modes[0] if modes else "none"


def missing_pairs(plan: ScanPlan, up: int, results: Sequence[Result]) -> int:
    """How many (host, proto, port) pairs of the port scan have no result at all."""
    from netprobe.plugins.portscan.interpret import build

    wanted = (plan.shard.size(up * len(plan.tcp_ports)) if plan.scan else 0) + \
        (plan.shard.size(up * len(plan.udp_ports)) if plan.udp else 0)
    if not wanted:
        return 0
    hosts = build(results, {"scan": plan.scan or "", "discovery": "none"})
    found = sum(len(h.ports) for h in hosts.values())
    return max(0, wanted - found)


class DistributedScan:
    """A scan run on a Dask cluster, with the face of ``ScanRun`` that the command uses.

    ``run()`` fills ``collector`` with the merged results (also when
    interrupted: the tasks finished by then); ``options()`` and ``counters()``
    describe the whole run.
    """

    def __init__(self, plan: ScanPlan, *, scheduler: str, tasks: int | None,
                 warn: Callable[[str], None]) -> None:
        self.plan = plan
        self.scheduler = scheduler
        self.tasks = tasks
        self.warn = warn
        self.collector = Collector()
        self.outcomes: dict[tuple[str, int], TaskOutcome] = {}
        self.started = time.monotonic()
        self.ended: float | None = None
        self._counters: list[SavedCounters] = []

    @property
    def max_time_reached(self) -> bool:
        """Whether ``--max-time`` cut any task short."""
        return any(o.max_time_reached for o in self.outcomes.values())

    def _round(self, specs: list[TaskSpec]) -> list[TaskOutcome]:
        from netprobe.services.cluster import run_tasks

        def done(_i: int, outcome: TaskOutcome) -> None:
            self.outcomes[(outcome.phase, outcome.index)] = outcome

        return run_tasks(run_task, specs, scheduler=self.scheduler, on_done=done)

    def _remaining(self) -> float | None:
        if self.plan.max_time is None:
            return None
        return max(0.001, self.plan.max_time - (time.monotonic() - self.started))

    def run(self) -> None:
        """Both rounds on the cluster, then the merge into ``collector``."""
        from netprobe.services.cluster import worker_count

        plan = self.plan
        scanned = 0
        rtts: list[float] = []
        try:
            count = self.tasks or worker_count(self.scheduler)
            targets = plan.targets
            if not plan.skip_discovery or plan.discovery_only:
                hosts = [a for f in targets.families() for a in targets.addresses(f)]
                specs = [TaskSpec(plan._replace(
                    targets=TargetSet.of_addresses(part), discovery_only=True,
                    skip_discovery=False, max_time=self._remaining()), "discovery", i)
                    for i, part in enumerate(host_slices(hosts, count))]
                found = self._round(specs)
                rtts = [x for o in found for x in o.rtts][:4 * MAX_RTTS]
                targets = TargetSet.of_addresses([a for o in found for a in o.up])
            if not plan.discovery_only and targets.count() and not self.max_time_reached:
                specs = [TaskSpec(plan._replace(
                    targets=targets, skip_discovery=True, discovery_only=False,
                    shard=shard, max_time=self._remaining()), "ports", i, rtts)
                    for i, shard in enumerate(sub_shards(plan.shard, count))]
                self._round(specs)
                scanned = targets.count()
        finally:
            self.ended = time.monotonic()
            self._merge()
        lost = missing_pairs(plan, scanned, self.collector.other) if scanned else 0
        if lost and not self.max_time_reached:
            self.warn(f"{lost} (host, port) pairs got no result: do the workers route the "
                      "targets the same way?")

    def _merge(self) -> None:
        results, counters = merge_parts(list(self.outcomes.values()))
        self.collector.other = results
        self._counters = counters

    def options(self) -> JSONRecord:
        """The interpretation options of the merged run (as ``ScanRun.options``)."""
        return self.plan.options(discovery_mode(list(self.outcomes.values())))

    def counters(self) -> SavedCounters:
        """The tasks' counters added up, over the whole run's duration."""
        end = self.ended if self.ended is not None else time.monotonic()
        return merge_counters(self._counters, end - self.started)
