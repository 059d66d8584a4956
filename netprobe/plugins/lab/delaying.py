"""Put the delays a lab's state asks for into force (netem where it exists, else delay lines).

Every change starts from a clean switch: running delay lines are stopped (by
PID) and their ports spliced out, then the ports that need a delay now are
spliced in and get a fresh delay line each. Delay-line processes are recorded
in the state file as soon as they have a PID, so ``down`` stops them even
after a crash half-way.
"""

from __future__ import annotations

import subprocess

from netprobe.errors import RuntimeProblem
from netprobe.plugins.lab import build, execute, processes, splice, state
from netprobe.plugins.lab.impair import Delay, PortDelay, port_delays
from netprobe.plugins.lab.state import LabState, ProcessRecord
from netprobe.plugins.lab.topology import Topology


def wanted(current: LabState) -> dict[str, Delay]:
    """The delays ``current`` records, as target → Delay."""
    return {target: Delay(*values) for target, values in current.delays.items()}


def has_netem(switch_ns: str) -> bool:
    """True when ``tc ... netem`` works here (this kernel has none: the delay line is used)."""
    add, remove = splice.netem_probe(switch_ns)
    try:
        done = subprocess.run(list(add), capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    if done.returncode != 0:
        return False
    subprocess.run(list(remove), capture_output=True, timeout=10, check=False)
    return True


def stop_relays(current: LabState) -> list[int]:
    """Stop every delay line of ``current`` and splice its port out; their PIDs."""
    # PID 0 marks a port spliced in whose delay line has not started yet.
    stopped = [record.pid for record in current.relays
               if record.pid and processes.stop(record)]
    ports = [record.node for record in current.relays]
    switch_ns = current.relays[0].namespace if current.relays else ""
    current.relays = []
    state.save(current)
    if ports:
        lines = "".join(f"{line}\n" for port in ports for line in splice.splice_out(port))
        try:
            execute.run_phase([build.Step("splice out delay lines",
                                          ("ip", "-n", switch_ns, "-force", "-batch", "-"),
                                          lines)])
        except RuntimeProblem:
            pass  # a port whose member is gone (the duplicate host) has nothing to re-attach
    return stopped


def _member_device(topology: Topology, port: str) -> str:
    lan = next(net for net in topology.networks if net.bridged)
    iface = topology.node(port).interface_on(lan.name)
    assert iface is not None
    return iface.name


def _apply_netem(current: LabState, topology: Topology, entries: list[PortDelay]) -> None:
    switch_ns = build.namespace(current.name, topology.switch)
    now = {entry.port: entry for entry in entries}
    cleared = [PortDelay(port, Delay(), Delay()) for port in current.netem_ports
               if port not in now]
    for entry in cleared:  # a qdisc already gone is fine
        for step in splice.netem_steps(switch_ns, build.namespace(current.name, entry.port),
                                       _member_device(topology, entry.port), entry):
            subprocess.run(list(step.argv), capture_output=True, timeout=10, check=False)
    current.netem_ports = list(now)
    state.save(current)
    steps = [step for entry in entries for step in splice.netem_steps(
        switch_ns, build.namespace(current.name, entry.port),
        _member_device(topology, entry.port), entry)]
    if steps:
        execute.run_phase(steps)


def _apply_relays(current: LabState, topology: Topology, entries: list[PortDelay]) -> None:
    switch_ns = build.namespace(current.name, topology.switch)
    stop_relays(current)
    if not entries:
        return
    launched = []
    try:
        lines = "".join(f"{line}\n" for entry in entries for line in splice.splice_in(entry.port))
        # Recorded before the splice (PID 0), so a failure half-way is undone from the state.
        for entry in entries:
            current.relays.append(ProcessRecord(entry.port, switch_ns, [], 0, 0, []))
        state.save(current)
        execute.run_phase([build.Step("splice in delay lines",
                                      ("ip", "-n", switch_ns, "-batch", "-"), lines)])
        for index, entry in enumerate(entries):
            proc, record = processes.spawn(splice.relay_argv(current.name, switch_ns, entry),
                                           entry.port, switch_ns, [],
                                           f"delay line on {entry.port}")
            current.relays[index] = record
            state.save(current)
            launched.append((proc, record))
        for proc, record in launched:
            processes.wait_ready(proc, record)
    except BaseException:
        for proc, _ in launched:
            if proc.stdout and not proc.stdout.closed:
                proc.stdout.close()
        stop_relays(current)
        raise


def apply(current: LabState, topology: Topology) -> str:
    """Make the lab's delays what ``current.delays`` says; the backend used."""
    entries = port_delays(topology, wanted(current))
    if not current.delay_backend:
        if not entries:
            return ""
        current.delay_backend = (splice.NETEM
                                 if has_netem(build.namespace(current.name, topology.switch))
                                 else splice.USERSPACE)
        state.save(current)
    if current.delay_backend == splice.NETEM:
        _apply_netem(current, topology, entries)
    else:
        _apply_relays(current, topology, entries)
    return current.delay_backend
