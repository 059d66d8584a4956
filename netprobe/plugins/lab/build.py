"""Turn the topology into the ``ip`` and ``nft`` commands that build it.

Pure: this file only writes command lines. ``execute`` runs them phase by
phase; the steps of one phase run in parallel, and each step is one process
(``ip -batch`` or ``nft -f``) however many lines it carries, so that building
the whole lab takes a few dozen processes.

Only two steps run in the host's own namespace: ``netns add`` and the
``link add`` lines that create each veth pair directly inside two lab
namespaces (``netns`` on both ends), so no interface ever exists on the host.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from netprobe.plugins.lab.routing import Route, routes
from netprobe.plugins.lab.topology import Interface, Node, Topology

BRIDGE = "br0"
TABLE = "netprobe_lab"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,9}$")

# Sysctls every lab namespace gets. rp_filter off: ECMP sends replies back over
# another branch than the request came by; the kernel copies the host's IPv4
# settings into new namespaces, so nothing can be assumed. No DAD, no router
# advertisements: addresses must work the moment ``up`` returns.
COMMON_SYSCTLS = (
    ("net.ipv4.conf.all.rp_filter", "0"),
    ("net.ipv4.conf.default.rp_filter", "0"),
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
    ("net.ipv6.conf.all.accept_ra", "0"),
    ("net.ipv6.conf.default.accept_ra", "0"),
    ("net.ipv6.conf.default.router_solicitations", "0"),
)
# Routers: forward, hash flows on L4 ports over ECMP branches, answer from the
# inbound interface. Every node keeps the kernel's stock ICMP rate limits (one
# error per second to a peer after a burst of about six, as a real router):
# the lab is meant to behave like a network (``status`` records the values).
ROUTER_SYSCTLS = (
    ("net.ipv4.ip_forward", "1"),
    ("net.ipv6.conf.all.forwarding", "1"),
    ("net.ipv4.fib_multipath_hash_policy", "1"),
    ("net.ipv6.fib_multipath_hash_policy", "1"),
    ("net.ipv4.icmp_errors_use_inbound_ifaddr", "1"),
)
# ``lab up --no-ratelimit``: routers do not limit the ICMP errors they originate,
# so traceroute results do not depend on how fast tests run one after another
# (fast tests; the lab's behaviour before it kept stock limits). End hosts keep
# the kernel's limits either way: scanners must cope with a host's limits.
NO_RATELIMIT_SYSCTLS = (
    ("net.ipv4.icmp_ratelimit", "0"),
    ("net.ipv6.icmp.ratelimit", "0"),
)
# The sysctls ``lab impair --icmp-ratelimit MS`` writes (milliseconds between errors).
RATELIMIT_KEYS = tuple(key for key, _ in NO_RATELIMIT_SYSCTLS)
END_SYSCTLS = (
    ("net.ipv4.ip_forward", "0"),
    ("net.ipv6.conf.all.forwarding", "0"),
)
# The switch only bridges frames: no IPv6 of its own keeps the LAN quiet.
SWITCH_SYSCTLS = (
    *END_SYSCTLS,
    ("net.ipv6.conf.all.disable_ipv6", "1"),
    ("net.ipv6.conf.default.disable_ipv6", "1"),
)

# Neighbour discovery must pass a drop-all firewall or IPv6 ping breaks.
_NDP = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert"
# ICMPv6 a silent router must not originate; NDP stays, or it cannot forward.
_ICMPV6_SILENCED = ("destination-unreachable, packet-too-big, time-exceeded, "
                    "parameter-problem, echo-request, echo-reply")


@dataclass(frozen=True)
class Step:
    """One command to run, with what to feed its standard input."""

    label: str
    argv: tuple[str, ...]
    stdin: str = ""


def namespace(lab: str, node: str) -> str:
    """The network namespace of ``node`` in lab ``lab`` (e.g. ``nplab-h1``)."""
    return f"{lab}-{node}"


def check_name(lab: str) -> str:
    """Return ``lab`` if it is a valid lab name, else raise ValueError."""
    if not NAME_PATTERN.match(lab):
        raise ValueError(f"lab name {lab!r}: use 1-10 lowercase letters or digits, "
                         "starting with a letter")
    return lab


def batch(label: str, lines: Iterable[str], ns: str | None = None, force: bool = False) -> Step:
    """One ``ip -batch`` step running ``lines`` (inside ``ns`` when given).

    ``force`` (``ip -force``) goes on after a failed line: how half-done
    work is repaired or removed as far as it can be.
    """
    argv = ("ip", *(("-n", ns) if ns is not None else ()), *(("-force",) if force else ()),
            "-batch", "-")
    return Step(label, argv, "".join(f"{line}\n" for line in lines))


def in_namespace(ns: str, *argv: str) -> tuple[str, ...]:
    """``argv`` run inside network namespace ``ns``."""
    return ("ip", "netns", "exec", ns, *argv)


def sysctl_step(label: str, ns: str, settings: Iterable[str]) -> Step:
    """The step writing ``settings`` (``key=value`` each) inside ``ns``."""
    return Step(label, in_namespace(ns, "sysctl", "-q", "-w", *settings))


def nft_step(label: str, ns: str, script: str) -> Step:
    """The step loading nftables ``script`` inside ``ns``."""
    return Step(label, in_namespace(ns, "nft", "-f", "-"), script)


def nft_table(family: str, table: str,
              chains: Iterable[tuple[str, str, Iterable[str]]]) -> str:
    """An nft table of filter chains: (name, ``hook ... priority ...; policy ...;``, rules)."""
    body = "".join(f"  chain {name} {{\n    type filter {spec}\n"
                   + "".join(f"    {rule}\n" for rule in rules) + "  }\n"
                   for name, spec, rules in chains)
    return f"table {family} {table} {{\n{body}}}\n"


def sysctls(node: Node, ratelimit: bool = True) -> tuple[tuple[str, str], ...]:
    """The sysctl settings ``node`` gets, in the order they are written.

    ``ratelimit`` False switches off routers' ICMP rate limits (``up --no-ratelimit``).
    """
    if node.role == "router":
        return COMMON_SYSCTLS + ROUTER_SYSCTLS + (() if ratelimit else NO_RATELIMIT_SYSCTLS)
    if node.role == "switch":
        return COMMON_SYSCTLS + SWITCH_SYSCTLS
    return COMMON_SYSCTLS + END_SYSCTLS


def firewall(node: Node) -> str:
    """The nftables ruleset of ``node`` (empty when it needs none)."""
    if node.role == "router":
        if node.sends_icmp:
            return ""
        # Errors for forwarded packets are locally generated, so they pass the
        # output hook: dropping them there silences the router and nothing else.
        return nft_table("inet", TABLE, [(
            "output", "hook output priority 0; policy accept;",
            ["meta l4proto icmp drop", f"icmpv6 type {{ {_ICMPV6_SILENCED} }} drop"])])
    if node.role != "host":
        return ""
    rules = ['iif "lo" accept']
    if node.inbound == "ping-only":
        rules.append("icmp type echo-request accept")
        rules.append(f"icmpv6 type {{ echo-request, {_NDP} }} accept")
    elif not node.answers_ping:
        rules.append("icmp type echo-request drop")
        rules.append("icmpv6 type echo-request drop")
    verdicts = {
        "drop": "drop",
        "reject-admin": "reject with icmpx type admin-prohibited",
        "reject-reset": "reject with tcp reset",
        "reject-port-unreach": "reject with icmpx type port-unreachable",
    }
    for rule in node.rules:
        rules.append(f"{rule.proto} dport {rule.port} {verdicts[rule.action]}")
    if len(rules) == 1:
        return ""
    policy = "drop" if node.inbound == "ping-only" else "accept"
    return nft_table("inet", TABLE, [
        ("input", f"hook input priority 0; policy {policy};", rules)])


def _cable_lines(lab: str, topology: Topology, nodes: list[Node],
                 with_bridge: bool) -> list[str]:
    """``link add`` lines: the bridge and one veth pair per cable, made in place."""
    names = {node.name for node in nodes}
    sw = namespace(lab, topology.switch)
    lines = []
    for net in topology.networks:
        members = topology.members(net.name)
        if net.bridged:
            if with_bridge:
                lines.append(f"link add {BRIDGE} netns {sw} type bridge "
                             "stp_state 0 forward_delay 0 mcast_snooping 0")
            for node, iface in members:
                if node.name in names:
                    lines.append(f"link add {iface.name} netns {namespace(lab, node.name)} "
                                 f"address {iface.mac} type veth "
                                 f"peer name {node.name} netns {sw}")
            continue
        if len(members) != 2:
            raise ValueError(f"network {net.name} needs a bridge: it has {len(members)} members")
        (a, ia), (b, ib) = members
        if a.name in names and b.name in names:
            lines.append(f"link add {ia.name} netns {namespace(lab, a.name)} address {ia.mac} "
                         f"type veth peer name {ib.name} netns {namespace(lab, b.name)} "
                         f"address {ib.mac}")
    return lines


def route_line(route: Route, verb: str = "add") -> str:
    """The ``ip -batch`` line for ``route`` (``verb`` ``replace`` to restore one)."""
    # "default" rather than 0.0.0.0/0: ip takes the family from the gateway.
    prefix = "default" if route.prefix.prefixlen == 0 else str(route.prefix)
    if route.multipath:
        hops = " ".join(f"nexthop via {gw} dev {dev}" for gw, dev in route.nexthops)
        return f"route {verb} {prefix} {hops}"
    gw, dev = route.nexthops[0]
    return f"route {verb} {prefix} via {gw} dev {dev}"


def interface_lines(topology: Topology, iface: Interface) -> list[str]:
    """``ip -batch`` lines giving ``iface`` its addresses and bringing it up."""
    net = topology.network(iface.network)
    return [f"addr add {iface.ipv4}/{net.ipv4.prefixlen} dev {iface.name}",
            f"addr add {iface.ipv6}/{net.ipv6.prefixlen} dev {iface.name} nodad",
            f"link set {iface.name} up"]


def plan(lab: str, topology: Topology, only: Iterable[str] | None = None,
         ratelimit: bool = True) -> list[list[Step]]:
    """The phases that build ``topology`` as lab ``lab``.

    With ``only``, build just those nodes and plug them into the existing
    switch (how the duplicate host joins a running lab). ``ratelimit`` False
    switches the routers' ICMP rate limits off (``up --no-ratelimit``).
    """
    check_name(lab)
    with_bridge = only is None
    wanted = set(only) if only is not None else {node.name for node in topology.nodes}
    nodes = [node for node in topology.nodes if node.name in wanted]
    sw = topology.switch

    create = [batch("create namespaces", [f"netns add {namespace(lab, n.name)}" for n in nodes])]
    tune = [sysctl_step(f"sysctl {n.name}", namespace(lab, n.name),
                        (f"{key}={value}" for key, value in sysctls(n, ratelimit)))
            for n in nodes]
    cables = [batch("create links", _cable_lines(lab, topology, nodes, with_bridge))]

    addresses: dict[str, list[str]] = {}
    for node in nodes:
        lines = addresses[node.name] = ["link set lo up"]
        if node.role == "switch":
            lines.append(f"link set {BRIDGE} up")
        for iface in node.interfaces:
            lines += interface_lines(topology, iface)
    ports = []
    for net in topology.networks:
        if net.bridged:
            for node, _ in topology.members(net.name):
                if node.name in wanted:
                    ports += [f"link set {node.name} master {BRIDGE}",
                              f"link set {node.name} up"]
    if ports and with_bridge:
        addresses[sw] += ports  # the switch's own step also enslaves the ports
    addressing = [batch(f"addresses {name}", lines, namespace(lab, name))
                  for name, lines in addresses.items()]
    if ports and not with_bridge:
        addressing.append(batch(f"ports {sw}", ports, namespace(lab, sw)))

    routing = []
    for node in nodes:
        lines = [route_line(route) for route in routes(topology, node.name)]
        if lines:
            routing.append(batch(f"routes {node.name}", lines, namespace(lab, node.name)))

    firewalls = [nft_step(f"firewall {n.name}", namespace(lab, n.name), firewall(n))
                 for n in nodes if firewall(n)]
    # Receive packet steering on every interface: a veth delivers to its peer in the
    # sender's own softirq, so without it the whole lab's kernel work runs on the
    # scanner's CPU. Spreading it over all CPUs behaves more like separate machines.
    mask = format((1 << (os.cpu_count() or 1)) - 1, "x")
    steering = [Step(f"rps {n.name}", in_namespace(
        namespace(lab, n.name), "sh", "-c",
        f"for f in /sys/class/net/*/queues/rx-*/rps_cpus; do echo {mask} > $f; done; true"))
        for n in nodes]
    # A switch forwards frames and nothing more. Where the host has br_netfilter loaded
    # (Docker does it), the kernel would also run every bridged frame through the IP
    # firewall hooks of the switch's namespace: about a tenth of the lab's kernel time
    # at scan rates, for rules that are not there. Off, per namespace, where it exists.
    switching = [Step(f"no bridge netfilter {n.name}", in_namespace(
        namespace(lab, n.name), "sh", "-c",
        "for f in /proc/sys/net/bridge/bridge-nf-call-*; do "
        "[ -e \"$f\" ] && echo 0 > \"$f\"; done; true"))
        for n in nodes if n.role == "switch"]
    return [phase for phase in (create, tune, cables, addressing, steering, switching, routing,
                                firewalls)
            if phase]


def teardown(namespaces: Iterable[str]) -> Step:
    """The step that deletes ``namespaces`` (their links and nft tables go with them).

    ``ip -force`` goes on after a failed line, so one namespace that cannot
    be deleted does not keep the others alive.
    """
    return batch("delete namespaces", (f"netns del {ns}" for ns in namespaces), force=True)
