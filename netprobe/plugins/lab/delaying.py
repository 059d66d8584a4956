"""Put the delays a lab's state asks for into force (netem where it exists, else delay lines).

Switch ports: every change starts from a clean switch. Running port delay
lines are stopped (by PID) and their ports spliced out, then the ports that
need a delay now are spliced in and get a fresh delay line each.

Links between routers: a link keeps its delay namespace while it stays
delayed (only its delay line is restarted when the delay changes), and is
spliced out when its delay goes to 0.

Delay-line processes are recorded in the state file as soon as they have a
PID, and a link's namespace before it exists, so ``down`` removes them even
after a crash half-way.
"""

from __future__ import annotations

from netprobe.errors import RuntimeProblem
from netprobe.plugins.lab import build, execute, processes, splice, state
from netprobe.plugins.lab.impair import (
    Delay,
    PortDelay,
    link_delays,
    link_ends,
    links,
    port_delays,
)
from netprobe.plugins.lab.state import LabState, ProcessRecord
from netprobe.plugins.lab.topology import Topology


def wanted(current: LabState) -> dict[str, Delay]:
    """The delays ``current`` records, as target → Delay."""
    return {target: Delay(*values) for target, values in current.delays.items()}


def has_netem(switch_ns: str) -> bool:
    """True when ``tc ... netem`` works here (this kernel has none: the delay line is used)."""
    add, remove = splice.netem_probe(switch_ns)
    try:
        execute.output(add, timeout=10)
    except RuntimeProblem:
        return False
    execute.run_quietly([[build.Step("remove the netem probe", remove)]])
    return True


def _switch_ns(current: LabState) -> str:
    return build.namespace(current.name, "sw")


def _stop_in(current: LabState, ns: str) -> list[ProcessRecord]:
    """Stop the delay lines recorded in namespace ``ns`` (by PID) and forget them; their
    records."""
    mine = [record for record in current.relays if record.namespace == ns]
    for record in mine:
        if record.pid:  # PID 0: a port spliced in whose delay line has not started yet
            processes.stop(record)
    current.relays = [record for record in current.relays if record.namespace != ns]
    state.save(current)
    return mine


def stop_relays(current: LabState) -> None:
    """Stop the switch ports' delay lines and splice their ports out."""
    switch_ns = _switch_ns(current)
    mine = _stop_in(current, switch_ns)
    if mine:
        # A port whose member is gone (the duplicate host) has nothing to re-attach.
        lines = [line for record in mine for line in splice.splice_out(record.node)]
        execute.run_quietly([[build.batch("splice out delay lines", lines, switch_ns,
                                          force=True)]])


def unsplice_link(current: LabState, topology: Topology, link: str) -> None:
    """Stop ``link``'s delay line, join its cable again, delete its namespace."""
    ns = splice.link_namespace(current.name, link)
    _stop_in(current, ns)
    execute.run_quietly(splice.link_splice_out(current.name, topology, link))
    if processes.namespace_inode(ns) is None and ns in current.namespaces:
        current.namespaces.remove(ns)
    state.save(current)


def clear(current: LabState, topology: Topology) -> None:
    """Take every delay out (after a failure): no delay line, no spliced link."""
    stop_relays(current)
    for link in {splice.link_name(current.name, ns) for ns in current.namespaces} - {None}:
        unsplice_link(current, topology, link)
    current.delays.clear()
    state.save(current)


def _member_device(topology: Topology, port: str) -> str:
    lan = next(net for net in topology.networks if net.bridged)
    iface = topology.node(port).interface_on(lan.name)
    assert iface is not None
    return iface.name


def _netem_steps(current: LabState, topology: Topology, target: str,
                 delay: PortDelay | Delay) -> list[build.Step]:
    lab = current.name
    if isinstance(delay, PortDelay):
        return splice.netem_steps(_switch_ns(current), build.namespace(lab, target),
                                  _member_device(topology, target), delay)
    return [splice.netem_step(f"netem {target} {node}", build.namespace(lab, node), dev, delay)
            for node, dev in link_ends(topology, target)]


def _apply_netem(current: LabState, topology: Topology, entries: list[PortDelay],
                 link_wants: dict[str, Delay]) -> None:
    """Clear every qdisc the lab set (quietly: some are not there), then set the new ones."""
    now: dict[str, PortDelay | Delay] = {entry.port: entry for entry in entries}
    now.update(link_wants)
    offs = {target: Delay() if target in links(topology) else PortDelay(target, Delay(), Delay())
            for target in {*current.netem_ports, *now}}
    execute.run_quietly([[step for target, off in offs.items()
               for step in _netem_steps(current, topology, target, off)]])
    current.netem_ports = sorted(now)
    state.save(current)
    steps = [step for target, delay in now.items()
             for step in _netem_steps(current, topology, target, delay)
             if "replace" in step.argv]  # a direction without delay keeps no qdisc
    if steps:
        execute.run_phase(steps)


def _start(current: LabState, argv: list[str], node: str, ns: str, index: int,
           launched: list) -> None:
    proc, record = processes.spawn(argv, node, ns, [], f"delay line on {node}")
    current.relays[index] = record
    state.save(current)
    launched.append((proc, record))


def _apply_ports(current: LabState, entries: list[PortDelay], launched: list) -> None:
    switch_ns = _switch_ns(current)
    stop_relays(current)
    if not entries:
        return
    # Recorded before the splice (PID 0), so a failure half-way is undone from the state.
    first = len(current.relays)
    current.relays += [ProcessRecord(entry.port, switch_ns, [], 0, 0, []) for entry in entries]
    state.save(current)
    lines = [line for entry in entries for line in splice.splice_in(entry.port)]
    execute.run_phase([build.batch("splice in delay lines", lines, switch_ns)])
    for offset, entry in enumerate(entries):
        _start(current, splice.relay_argv(current.name, switch_ns, entry), entry.port,
               switch_ns, first + offset, launched)


def _apply_links(current: LabState, topology: Topology, link_wants: dict[str, Delay],
                 launched: list) -> None:
    lab = current.name
    spliced = {splice.link_name(lab, ns) for ns in current.namespaces} - {None}
    for link in sorted(spliced - set(link_wants)):
        unsplice_link(current, topology, link)
    for link, delay in sorted(link_wants.items()):
        ns = splice.link_namespace(lab, link)
        argv = splice.link_relay_argv(lab, link, delay)
        running = [r for r in current.relays if r.namespace == ns]
        if running and running[0].argv == argv and processes.is_running(running[0]):
            continue
        _stop_in(current, ns)
        if link not in spliced:
            current.namespaces.append(ns)
            state.save(current)
            execute.run_plan(splice.link_splice_in(lab, topology, link))
        current.relays.append(ProcessRecord(link, ns, [], 0, 0, []))
        _start(current, argv, link, ns, len(current.relays) - 1, launched)


def apply(current: LabState, topology: Topology) -> str:
    """Make the lab's delays what ``current.delays`` says; the backend used."""
    delays = wanted(current)
    entries = port_delays(topology, delays)
    link_wants = link_delays(topology, delays)
    if not current.delay_backend:
        if not entries and not link_wants:
            return ""
        current.delay_backend = (splice.NETEM if has_netem(_switch_ns(current))
                                 else splice.USERSPACE)
        state.save(current)
    if current.delay_backend == splice.NETEM:
        _apply_netem(current, topology, entries, link_wants)
        return current.delay_backend
    launched: list = []
    try:
        _apply_ports(current, entries, launched)
        _apply_links(current, topology, link_wants, launched)
        for proc, record in launched:
            processes.wait_ready(proc, record)
    finally:
        processes.close_pipes(launched)
    return current.delay_backend
