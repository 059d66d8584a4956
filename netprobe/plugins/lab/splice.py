"""Delay the switch's ports: the commands that splice delay lines in and out (pure).

Userspace delay line (this kernel: no ``sch_netem``). For a delayed port
``P`` (the switch's end of member P's cable), inside the switch namespace::

    member P ══ P ── [delay line process] ── dl-P ══ dlb-P ── br0

``P`` leaves the bridge, a veth pair ``dl-P``/``dlb-P`` takes its place, and
a delay line relays frames between ``P`` and ``dl-P``, holding those towards
the bridge for ``to_lan`` and those towards the member for ``from_lan``. The
member keeps its interface, addresses and MAC; the bridge learns the MAC on
``dlb-P`` instead. Splicing out deletes the pair and puts ``P`` back.

With ``sch_netem`` the same delays become two qdiscs instead: ``to_lan`` on
the member's own interface (its egress), ``from_lan`` on ``P`` (the bridge's
egress towards the member).
"""

from __future__ import annotations

import sys

from netprobe.plugins.lab.build import BRIDGE, Step, in_namespace
from netprobe.plugins.lab.impair import Delay, PortDelay, bridge_side, relay_side
from netprobe.plugins.lab.processes import DELAYLINE_MODULE

USERSPACE = "userspace delay line"
NETEM = "netem"


def splice_in(port: str) -> list[str]:
    """``ip -batch`` lines (switch namespace) that detach ``port`` and add the pair."""
    inner, outer = relay_side(port), bridge_side(port)
    return [f"link set {port} nomaster",
            f"link add {inner} type veth peer name {outer}",
            f"link set {outer} master {BRIDGE}",
            f"link set {outer} up",
            f"link set {inner} up"]


def splice_out(port: str) -> list[str]:
    """``ip -batch`` lines (switch namespace) that remove the pair and re-attach ``port``.

    Run with ``ip -force`` so a half-spliced port is repaired as far as it can be.
    """
    return [f"link del {relay_side(port)}", f"link set {port} master {BRIDGE}"]


def _spec(delay: Delay) -> str:
    return f"{delay.delay_ms:g}/{delay.jitter_ms:g}"


def relay_argv(lab: str, switch_ns: str, entry: PortDelay) -> list[str]:
    """The delay line process for one port: ``a`` is the member's side, ``b`` the bridge's."""
    return [*in_namespace(switch_ns, sys.executable, "-m", DELAYLINE_MODULE), "--lab", lab,
            "--a", entry.port, "--b", relay_side(entry.port),
            "--ab", _spec(entry.to_lan), "--ba", _spec(entry.from_lan)]


def netem_qdisc(dev: str, delay: Delay) -> list[str]:
    """``tc`` arguments that make ``dev``'s egress add ``delay`` (or remove it)."""
    if not delay:
        return ["qdisc", "del", "dev", dev, "root"]
    spec = ["delay", f"{delay.delay_ms:g}ms"]
    if delay.jitter_ms:
        spec += [f"{delay.jitter_ms:g}ms", "distribution", "uniform"]
    return ["qdisc", "replace", "dev", dev, "root", "netem", *spec]


def netem_steps(switch_ns: str, member_ns: str, member_dev: str,
                entry: PortDelay) -> list[Step]:
    """The two ``tc`` commands that give one port its delays with netem."""
    return [Step(f"netem {entry.port} to lan",
                 in_namespace(member_ns, "tc", *netem_qdisc(member_dev, entry.to_lan))),
            Step(f"netem {entry.port} from lan",
                 in_namespace(switch_ns, "tc", *netem_qdisc(entry.port, entry.from_lan)))]


def netem_probe(switch_ns: str) -> list[tuple[str, ...]]:
    """Commands whose success shows that ``sch_netem`` exists (add, then remove)."""
    return [in_namespace(switch_ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                         "delay", "1ms"),
            in_namespace(switch_ns, "tc", "qdisc", "del", "dev", "lo", "root")]
