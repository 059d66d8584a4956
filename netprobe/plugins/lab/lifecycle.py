"""Bring a lab up, describe it, change it, and take it down again.

The rule every function here keeps: what exists is written in the state file
first, and anything that fails half-way is undone from that file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from netprobe.errors import EnvironmentProblem, RuntimeProblem, UsageError
from netprobe.plugins.lab import build, delaying, execute, processes, splice, state, truth
from netprobe.plugins.lab.impair import (
    LAN,
    STOCK,
    Delay,
    check_delay,
    choose,
    delay_targets,
    links,
    parse_ratelimit,
    ratelimit_sysctls,
    ratelimit_targets,
    ruleset,
    targets,
)
from netprobe.plugins.lab.state import LabState
from netprobe.plugins.lab.topology import (
    DUPLICATE,
    LAB_IPV4,
    LAB_IPV6,
    Topology,
    duplicate_of,
    lab_topology,
)

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

DEFAULT_NAME = "nplab"
DEFAULT_DUPLICATE_OF = "h5"
TOOLS = ("ip", "nft", "sysctl")
SCOPE_VARIABLE = "NETPROBE_SCOPE"
# Recorded by status so that scanners know the limits their answers pass through.
KERNEL_SYSCTLS = ("net.ipv4.icmp_ratelimit", "net.ipv4.icmp_ratemask",
                  "net.ipv4.icmp_msgs_per_sec", "net.ipv4.icmp_msgs_burst",
                  "net.ipv6.icmp.ratelimit")


def require_environment() -> None:
    """Raise EnvironmentProblem unless we are root and the tools exist."""
    if os.geteuid() != 0:
        raise EnvironmentProblem("netprobe lab needs root to create network namespaces "
                                 "(run it with sudo)")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise EnvironmentProblem(f"netprobe lab needs {', '.join(missing)} "
                                 "(packages iproute2, nftables, procps)")


def _name(lab: str) -> str:
    try:
        return build.check_name(lab)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def topology_of(lab_state: LabState | None) -> Topology:
    """The topology of a lab as it stands (with the duplicate host when added)."""
    topology = lab_topology()
    if lab_state is not None and lab_state.duplicate:
        topology = topology.with_node(duplicate_of(topology, lab_state.duplicate))
    return topology


def _named_like(lab: str) -> list[str]:
    """Every namespace lab ``lab`` can have: nodes, the duplicate, links' delay lines."""
    topology = lab_topology()
    return [*(build.namespace(lab, node.name) for node in topology.nodes),
            build.namespace(lab, DUPLICATE),
            *(splice.link_namespace(lab, link) for link in links(topology))]


def _exists(ns: str) -> bool:
    return processes.namespace_inode(ns) is not None


def _load(lab: str) -> LabState | None:
    try:
        return state.load(lab)
    except ValueError as exc:
        raise RuntimeProblem(f"lab {lab}: damaged state file {state.state_path(lab)}: {exc}") \
            from exc


def _require_up(lab: str) -> LabState:
    require_environment()
    current = _load(_name(lab))
    if current is None or current.phase != "up":
        raise UsageError(f"lab {lab} is not up (netprobe lab up --name {lab})")
    return current


def _read_kernel(ns: str) -> dict[str, int | str]:
    text = execute.output(build.in_namespace(ns, "sysctl", "-e", *KERNEL_SYSCTLS))
    values: dict[str, int | str] = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        value = value.strip()
        values[key.strip()] = int(value) if value.isdigit() else value
    return values


def up(lab: str = DEFAULT_NAME, ratelimit: bool = True) -> LabState:
    """Build lab ``lab`` and start its services; undo everything on failure.

    Every node keeps the kernel's stock ICMP rate limits unless ``ratelimit``
    is False (``up --no-ratelimit``, for fast tests): then routers have none.

    UsageError (exit 2) if it is already up; EnvironmentProblem (exit 3)
    without root or tools; RuntimeProblem (exit 4) if building fails.
    """
    require_environment()
    lab = _name(lab)
    topology = lab_topology()
    previous = _load(lab)
    if previous is not None and previous.phase != "up":
        raise UsageError(f"lab {lab} is half built (an earlier up did not finish): "
                         f"netprobe lab down --name {lab} removes it")
    if previous is not None:
        raise UsageError(f"lab {lab} is already up (netprobe lab down --name {lab} first)")
    names = [build.namespace(lab, node.name) for node in topology.nodes]
    leftovers = [ns for ns in _named_like(lab) if _exists(ns)]
    if leftovers:
        raise UsageError(f"lab {lab} has no state but namespace {leftovers[0]} exists "
                         f"(netprobe lab down --force --name {lab} removes it)")
    began = time.monotonic()
    current = LabState(lab, namespaces=names, created=time.time(), owner_pid=os.getpid(),
                       ratelimit=ratelimit)
    try:
        state.claim(current)
    except FileExistsError as exc:
        raise UsageError(f"lab {lab} is already up (netprobe lab down --name {lab} first)") \
            from exc
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write lab state: {exc}") from exc
    launched: list = []
    try:
        execute.run_plan(build.plan(lab, topology, ratelimit=ratelimit))
        for node in topology.nodes:
            if node.services:
                proc, record = processes.launch(lab, build.namespace(lab, node.name), node)
                current.processes.append(record)
                state.save(current)
                launched.append((proc, record))
        for proc, record in launched:
            processes.wait_ready(proc, record)
        current.kernel = {
            "hosts": _read_kernel(build.namespace(lab, topology.by_role("host")[0].name)),
            "routers": _read_kernel(build.namespace(lab, topology.by_role("router")[0].name)),
        }
        current.phase = "up"
        current.built_seconds = round(time.monotonic() - began, 3)
        state.save(current)
    except BaseException:
        # Also on Ctrl-C: a half-built lab must not stay behind.
        processes.close_pipes(launched)
        try:
            teardown(current)
        except Exception as problem:  # report both, re-raise the first
            print(f"netprobe lab: cleaning up failed too: {problem}", file=sys.stderr)
        raise
    return current


def teardown(current: LabState) -> JSONRecord:
    """Remove what ``current`` lists: its processes, then its namespaces.

    Processes inside the lab that the lab did not start are left alone and
    reported. The state file goes only once nothing it lists remains.
    """
    # PID 0: a delay line recorded before it started.
    stopped = [record.pid for record in (*current.relays, *current.processes)
               if record.pid and processes.stop(record)]
    strangers: dict[str, list[int]] = {}
    for ns, pids in processes.processes_in(current.namespaces).items():
        for pid in pids:
            found = processes.adopt(pid, ns)
            if found is not None and processes.is_ours(pid, current.name):
                processes.stop(found)
                stopped.append(pid)
            elif found is not None:
                strangers.setdefault(ns, []).append(pid)
    present = [ns for ns in current.namespaces if _exists(ns)]
    if present:  # what remains is reported just below
        execute.run_quietly([[build.teardown(present)]])
    remaining = [ns for ns in present if _exists(ns)]
    if remaining:
        current.namespaces = remaining
        current.processes = []
        current.relays = []
        state.save(current)
        raise RuntimeProblem(f"could not delete namespace {remaining[0]} "
                             f"(state kept in {state.state_path(current.name)})")
    state.discard(current.name)
    return {"lab": current.name, "namespaces": present, "processes": stopped,
            "left_running": strangers}


def down(lab: str = DEFAULT_NAME, force: bool = False) -> JSONRecord:
    """Take lab ``lab`` down: exactly what its state file lists.

    Without a state file: UsageError, unless ``force`` and namespaces named
    like this lab's exist, which are then removed (after a lost state file).
    """
    require_environment()
    lab = _name(lab)
    current = _load(lab)
    if current is None:
        leftovers = [ns for ns in _named_like(lab) if _exists(ns)]
        if not leftovers:
            raise UsageError(f"lab {lab} is not up")
        if not force:
            raise UsageError(f"lab {lab} has no state file but {len(leftovers)} of its "
                             f"namespaces exist (--force removes them)")
        current = LabState(lab, namespaces=leftovers)
    return teardown(current)


def status(lab: str = DEFAULT_NAME) -> JSONRecord:
    """The lab's truth (``status --json``): topology-derived plus live checks."""
    lab = _name(lab)
    current = _load(lab)
    if current is None:
        return {"lab": lab, "up": False, "state_file": str(state.state_path(lab))}
    topology = topology_of(current)
    doc = truth.document(lab, topology)
    services = [{"node": r.node, "namespace": r.namespace, "pid": r.pid,
                 "running": processes.is_running(r),
                 "ports": [{"proto": proto, "port": port} for proto, port in r.ports]}
                for r in current.processes]
    namespaces = [{"name": ns, "exists": _exists(ns)} for ns in current.namespaces]
    relays_ok = all(processes.is_running(r) for r in current.relays)
    duplicate = None
    if current.duplicate:
        twin = truth.host_truth(lab, topology.node(DUPLICATE))
        duplicate = {"of": current.duplicate, **twin}
    doc.update({
        "up": current.phase == "up",
        "phase": current.phase,
        "state_file": str(state.state_path(lab)),
        "built_seconds": current.built_seconds,
        "namespaces": namespaces,
        "services": services,
        "healthy": current.phase == "up" and all(n["exists"] for n in namespaces)
        and all(s["running"] for s in services) and relays_ok,
        "impair": {target: current.impair.get(target, 0) for target in targets(topology)},
        "impairments": impairments(current),
        "duplicate": duplicate,
        "kernel": current.kernel,
    })
    return doc


def scanner_namespace(lab: str = DEFAULT_NAME) -> str:
    """The namespace where probes start."""
    return build.namespace(lab, lab_topology().scanner)


def run_in_scanner(lab: str, python_args: list[str]) -> int:
    """Run ``python PYTHON_ARGS`` in the scanner namespace; return its exit status.

    The environment passes through (NETPROBE_SCOPE included), with netprobe
    importable from this checkout. Without NETPROBE_SCOPE the scope is the
    lab's own ranges: from the scanner namespace nothing else is reachable.
    """
    _require_up(lab)
    argv = build.in_namespace(scanner_namespace(lab), sys.executable, *python_args)
    env = processes.child_environment()
    env.setdefault(SCOPE_VARIABLE, f"{LAB_IPV4},{LAB_IPV6}")
    try:
        return subprocess.run(argv, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        raise RuntimeProblem(f"cannot run in the lab: {exc}") from exc


def impairments(current: LabState) -> JSONRecord:
    """The impairments in force (``status --json`` key ``impairments``).

    ``icmp_ratelimit`` is how ``up`` left the nodes (``stock``, or ``off on
    routers`` after ``--no-ratelimit``),
    ``icmp_ratelimit_ms`` what ``impair`` set since, per node; ``links``
    lists every target with a loss, delay or jitter; ``delay_line`` says how
    delays are made and lists the delay-line processes.
    """
    links: dict[str, dict] = {}
    delays = delaying.wanted(current)
    for target in sorted({*current.impair, *current.delays}):
        delay = delays.get(target, Delay())
        links[target] = {"loss_percent": current.impair.get(target, 0),
                         "delay_ms": delay.delay_ms, "jitter_ms": delay.jitter_ms}
    return {
        "icmp_ratelimit": "stock" if current.ratelimit else "off on routers",
        "icmp_ratelimit_ms": dict(sorted(current.icmp_ratelimit.items())),
        "links": links,
        "delay_line": {
            "backend": current.delay_backend or None,
            "processes": [{"port": r.node, "namespace": r.namespace, "pid": r.pid,
                           "running": processes.is_running(r)} for r in current.relays],
        },
    }


def _built_sysctls(current: LabState, topology: Topology, node: str) -> JSONRecord:
    """The ICMP sysctls of ``node`` as ``up`` left them (read from a node of its kind)."""
    kind = "routers" if topology.node(node).role == "router" else "hosts"
    return current.kernel.get(kind, {})


def impair(lab: str, loss: int | None = None, target: str = LAN, *,
           delay: float | None = None, jitter: float | None = None,
           icmp_ratelimit: int | str | None = None) -> JSONRecord:
    """Impair ``target`` (``lan``, a member's cable, a link, a router): see ``impair.py``.

    ``loss`` percent of packets dropped at random, ``delay`` ± ``jitter``
    milliseconds added to each direction, ``icmp_ratelimit`` milliseconds
    between ICMP errors (the node's sysctls, IPv4 and IPv6), or ``stock``
    for what ``up`` set. None leaves a setting as it is; 0 removes loss and
    delay. UsageError (exit 2) for a target or value that does not fit.
    """
    current = _require_up(lab)
    topology = topology_of(current)
    if loss is None and delay is None and jitter is None and icmp_ratelimit is None:
        raise UsageError("lab impair: give --loss, --delay, --jitter or --icmp-ratelimit")
    try:
        steps = []
        if loss is not None:
            node, script = ruleset(topology, target, loss)
            steps.append(build.nft_step(f"impair {target}", build.namespace(lab, node), script))
        if delay is not None or jitter is not None:
            choose(target, delay_targets(topology), "delay")
            old = delaying.wanted(current).get(target, Delay())
            if delay == 0 and jitter is None:
                jitter = 0.0  # --delay 0 clears the delay, its jitter with it
            new = check_delay(Delay(old.delay_ms if delay is None else float(delay),
                                    old.jitter_ms if jitter is None else float(jitter)))
        if icmp_ratelimit is not None:
            choose(target, ratelimit_targets(topology), "rate-limit")
            icmp_ratelimit = parse_ratelimit(icmp_ratelimit)
            nodes = [n.name for n in topology.nodes if n.role != "switch"] \
                if target == LAN else [target]
            steps += [build.sysctl_step(f"icmp rate limit {node}", build.namespace(lab, node),
                                        ratelimit_sysctls(icmp_ratelimit,
                                                          _built_sysctls(current, topology, node)))
                      for node in nodes]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if steps:
        execute.run_phase(steps)
    if loss is not None:
        if loss:
            current.impair[target] = loss
        else:
            current.impair.pop(target, None)
    if icmp_ratelimit is not None:
        for node in nodes:
            if icmp_ratelimit == STOCK:
                current.icmp_ratelimit.pop(node, None)
            else:
                current.icmp_ratelimit[node] = icmp_ratelimit
    if delay is not None or jitter is not None:
        if new:
            current.delays[target] = [new.delay_ms, new.jitter_ms]
        else:
            current.delays.pop(target, None)
    state.save(current)
    if delay is not None or jitter is not None:
        try:
            delaying.apply(current, topology)
        except BaseException:
            delaying.clear(current, topology)  # the state tells what is in force: no delay
            raise
    report = {"lab": lab, "target": target, "loss_percent": current.impair.get(target, 0)}
    report.update(impairments(current)["links"].get(target, {}))
    if icmp_ratelimit is not None:
        report["icmp_ratelimit_ms"] = icmp_ratelimit
    return report


def restart_service(lab: str, node_name: str, port: int, proto: str | None = None) -> JSONRecord:
    """(Re)start the process serving ``port`` on ``node_name`` (e.g. after a crash)."""
    current = _require_up(lab)
    for index, record in enumerate(current.processes):
        matches = [p for p in record.ports if p[1] == port and proto in (None, p[0])]
        if record.node == node_name and matches:
            was_running = processes.stop(record)
            node = topology_of(current).node(node_name)
            proc, fresh = processes.launch(lab, record.namespace, node)
            processes.wait_ready(proc, fresh)
            current.processes[index] = fresh
            state.save(current)
            return {"lab": lab, "node": node_name, "port": port, "pid": fresh.pid,
                    "was_running": was_running}
    served = ", ".join(f"{r.node} {p[0]}/{p[1]}" for r in current.processes for p in r.ports)
    raise UsageError(f"no lab service on {node_name} port {port} (services: {served})")


def add_duplicate(lab: str, of: str = DEFAULT_DUPLICATE_OF) -> JSONRecord:
    """Plug host ``dup`` into the LAN with the addresses of ``of`` and its own MAC."""
    current = _require_up(lab)
    if current.duplicate:
        raise UsageError(f"lab {lab} already has a duplicate of {current.duplicate}")
    topology = lab_topology()
    try:
        twin = duplicate_of(topology, of)
    except (KeyError, ValueError) as exc:
        raise UsageError(f"cannot duplicate {of!r}: not a LAN host") from exc
    ns = build.namespace(lab, DUPLICATE)
    current.namespaces.append(ns)
    current.duplicate = of
    state.save(current)
    try:
        execute.run_plan(build.plan(lab, topology.with_node(twin), only=[DUPLICATE],
                                    ratelimit=current.ratelimit))
        if current.delays:  # the LAN-wide delay covers the new member's port too
            delaying.apply(current, topology_of(current))
    except BaseException:
        _remove_duplicate(current)
        raise
    iface = twin.interfaces[0]
    return {"lab": lab, "duplicate_of": of, "namespace": ns, "ipv4": str(iface.ipv4),
            "ipv6": str(iface.ipv6), "mac": iface.mac}


def _remove_duplicate(current: LabState) -> None:
    ns = build.namespace(current.name, DUPLICATE)
    if any(record.node == DUPLICATE for record in current.relays):
        delaying.stop_relays(current)
    if _exists(ns):
        execute.run_phase([build.teardown([ns])])
    if ns in current.namespaces:
        current.namespaces.remove(ns)
    current.duplicate = None
    current.delays.pop(DUPLICATE, None)
    current.impair.pop(DUPLICATE, None)
    state.save(current)
    if current.delays and current.delay_backend == splice.USERSPACE:
        delaying.apply(current, topology_of(current))


def remove_duplicate(lab: str) -> JSONRecord:
    """Unplug and delete the duplicate host."""
    current = _require_up(lab)
    if not current.duplicate:
        raise UsageError(f"lab {lab} has no duplicate host")
    of = current.duplicate
    _remove_duplicate(current)
    return {"lab": lab, "removed_duplicate_of": of}
