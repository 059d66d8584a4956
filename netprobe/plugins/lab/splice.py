"""Delay the switch's ports: the commands that splice delay lines in and out (pure).

Userspace delay line (this kernel: no ``sch_netem``). For a delayed port
``P`` (the switch's end of member P's cable), inside the switch namespace::

    member P ══ P ── [delay line process] ── dl-P ══ dlb-P ── br0

``P`` leaves the bridge, a veth pair ``dl-P``/``dlb-P`` takes its place, and
a delay line relays frames between ``P`` and ``dl-P``, holding those towards
the bridge for ``to_lan`` and those towards the member for ``from_lan``. The
member keeps its interface, addresses and MAC; the bridge learns the MAC on
``dlb-P`` instead. Splicing out deletes the pair and puts ``P`` back.

A link between routers (network ``N`` from ``A``:``ia`` to ``B``:``ib``) has
no switch to splice into, so it gets a namespace of its own, ``LAB-dl-N``::

    A ia ══ side-a ── [delay line] ── side-b ══ ib B        (in LAB-dl-N)

``B``'s interface moves into that namespace (as ``side-a``, still joined to
``A``), and ``B`` gets a new ``ib`` with the same name and MAC, whose peer is
``side-b``; its addresses and routes are put back on it. Splicing out moves
``side-a`` back into ``B`` as ``ib`` and deletes the namespace. ``A`` sees
nothing change.

With ``sch_netem`` the same delays become qdiscs instead: ``to_lan`` on the
member's own interface (its egress), ``from_lan`` on ``P`` (the bridge's
egress towards the member); a link gets one on each end.
"""

from __future__ import annotations

import sys

from netprobe.plugins.lab.build import (
    BRIDGE,
    Step,
    batch,
    in_namespace,
    interface_lines,
    namespace,
    route_line,
    sysctl_step,
)
from netprobe.plugins.lab.impair import Delay, PortDelay, bridge_side, link_ends, relay_side
from netprobe.plugins.lab.processes import DELAYLINE_MODULE
from netprobe.plugins.lab.routing import routes
from netprobe.plugins.lab.topology import Topology

SIDE_A = "side-a"
SIDE_B = "side-b"

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


def _relay_argv(lab: str, ns: str, a: str, b: str, ab: Delay, ba: Delay) -> list[str]:
    """The delay line process in ``ns`` between interfaces ``a`` and ``b``."""
    return [*in_namespace(ns, sys.executable, "-m", DELAYLINE_MODULE), "--lab", lab,
            "--a", a, "--b", b, "--ab", _spec(ab), "--ba", _spec(ba)]


def relay_argv(lab: str, switch_ns: str, entry: PortDelay) -> list[str]:
    """The delay line process for one port: ``a`` is the member's side, ``b`` the bridge's."""
    return _relay_argv(lab, switch_ns, entry.port, relay_side(entry.port), entry.to_lan,
                       entry.from_lan)


def netem_qdisc(dev: str, delay: Delay) -> list[str]:
    """``tc`` arguments that make ``dev``'s egress add ``delay`` (or remove it)."""
    if not delay:
        return ["qdisc", "del", "dev", dev, "root"]
    spec = ["delay", f"{delay.delay_ms:g}ms"]
    if delay.jitter_ms:
        spec += [f"{delay.jitter_ms:g}ms", "distribution", "uniform"]
    return ["qdisc", "replace", "dev", dev, "root", "netem", *spec]


def netem_step(label: str, ns: str, dev: str, delay: Delay) -> Step:
    """The ``tc`` command in ``ns`` that makes ``dev``'s egress add ``delay`` (or not)."""
    return Step(label, in_namespace(ns, "tc", *netem_qdisc(dev, delay)))


def netem_steps(switch_ns: str, member_ns: str, member_dev: str,
                entry: PortDelay) -> list[Step]:
    """The two ``tc`` commands that give one port its delays with netem."""
    return [netem_step(f"netem {entry.port} to lan", member_ns, member_dev, entry.to_lan),
            netem_step(f"netem {entry.port} from lan", switch_ns, entry.port, entry.from_lan)]


def netem_probe(switch_ns: str) -> list[tuple[str, ...]]:
    """Commands whose success shows that ``sch_netem`` exists (add, then remove)."""
    return [in_namespace(switch_ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                         "delay", "1ms"),
            in_namespace(switch_ns, "tc", "qdisc", "del", "dev", "lo", "root")]


def link_namespace(lab: str, link: str) -> str:
    """The namespace holding the delay line of ``link``."""
    return namespace(lab, f"dl-{link}")


def link_name(lab: str, ns: str) -> str | None:
    """The link whose delay namespace ``ns`` is, or None for any other namespace."""
    prefix = link_namespace(lab, "")
    return ns[len(prefix):] if ns.startswith(prefix) and len(ns) > len(prefix) else None


def _restore(topology: Topology, node: str, dev: str) -> list[str]:
    """Lines giving ``node``'s interface ``dev`` back its addresses and every route."""
    iface = next(i for i in topology.node(node).interfaces if i.name == dev)
    return [*interface_lines(topology, iface),
            *(route_line(route, "replace") for route in routes(topology, node))]


def link_splice_in(lab: str, topology: Topology, link: str) -> list[list[Step]]:
    """The phases that put a delay line's namespace into ``link`` (see the module doc)."""
    _, (far, dev) = link_ends(topology, link)
    relay, far_ns = link_namespace(lab, link), namespace(lab, far)
    mac = next(i.mac for i in topology.node(far).interfaces if i.name == dev)
    return [
        [Step(f"namespace {relay}", ("ip", "netns", "add", relay))],
        [sysctl_step(f"quiet {relay}", relay, ["net.ipv6.conf.all.disable_ipv6=1",
                                               "net.ipv6.conf.default.disable_ipv6=1"])],
        [Step(f"move {far} {dev}", ("ip", "-n", far_ns, "link", "set", dev, "netns", relay))],
        [Step(f"rename {dev}", ("ip", "-n", relay, "link", "set", dev, "name", SIDE_A)),
         Step(f"new {far} {dev}", ("ip", "link", "add", dev, "netns", far_ns, "address", mac,
                                   "type", "veth", "peer", "name", SIDE_B, "netns", relay))],
        [batch(f"restore {far}", _restore(topology, far, dev), far_ns),
         batch(f"up {relay}", ["link set lo up", f"link set {SIDE_A} up",
                               f"link set {SIDE_B} up"], relay)],
    ]


def link_splice_out(lab: str, topology: Topology, link: str) -> list[list[Step]]:
    """The phases that take ``link``'s delay line out and join the cable again.

    Each runs with ``ip -force`` where it can: a half-spliced link is repaired
    as far as it can be.
    """
    _, (far, dev) = link_ends(topology, link)
    relay, far_ns = link_namespace(lab, link), namespace(lab, far)
    restore = [f"link set {SIDE_A} name {dev}", *_restore(topology, far, dev)]
    return [
        [Step(f"remove new {far} {dev}", ("ip", "-n", far_ns, "link", "del", dev))],
        [Step(f"move back {dev}", ("ip", "-n", relay, "link", "set", SIDE_A, "netns", far_ns))],
        [batch(f"restore {far}", restore, far_ns, force=True)],
        [Step(f"delete {relay}", ("ip", "netns", "del", relay))],
    ]


def link_relay_argv(lab: str, link: str, delay: Delay) -> list[str]:
    """The delay line of ``link``: the same delay both ways."""
    return _relay_argv(lab, link_namespace(lab, link), SIDE_A, SIDE_B, delay, delay)
