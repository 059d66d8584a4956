"""The practice lab, declared: networks, nodes, addresses, MACs, services, firewalls.

This file is the single source of truth. ``build`` turns it into ``ip``/``nft``
commands, ``routing`` derives the routes and the path to the far network from
it, and ``truth`` derives what a correct scanner must report. Nothing else
decides an address, a port state or a firewall rule.

Only 198.18.0.0/15 and 2001:db8::/32 are used (benchmarking and documentation
ranges), so nothing in the lab can be confused with a real network.

Picture::

    scan ─┐
    h1..h6 ┼─ [sw: bridge br0] ── r1 ── r2 ─┬─ r3a ─┬─ r4 ── far
    (dup) ─┘      198.18.1.0/24             └─ r3b ─┘  (silent)  198.19.2.0/24
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

LAB_IPV4 = ipaddress.IPv4Network("198.18.0.0/15")
LAB_IPV6 = ipaddress.IPv6Network("2001:db8::/32")

Proto = Literal["tcp", "udp"]
# What a host's firewall does to one port, before any socket sees the packet.
Action = Literal["drop", "reject-admin", "reject-reset", "reject-port-unreach"]
# What a listener does with a connection or datagram (see services.py).
Kind = Literal["ssh", "smtp", "http", "banner", "dns", "echo", "fragile"]
Role = Literal["scanner", "host", "router", "switch"]
DUPLICATE = "dup"  # the host ``lab add-duplicate`` plugs in


@dataclass(frozen=True)
class Network:
    """One layer-2 segment with its IPv4 and IPv6 prefixes.

    A bridged network is a Linux bridge in the switch namespace that every
    member plugs into; any other network is a veth pair between its two members.
    """

    name: str
    ipv4: ipaddress.IPv4Network
    ipv6: ipaddress.IPv6Network
    bridged: bool = False


@dataclass(frozen=True)
class Interface:
    """A node's interface on one network (name as seen inside the node)."""

    name: str
    network: str
    ipv4: ipaddress.IPv4Address
    ipv6: ipaddress.IPv6Address
    mac: str


@dataclass(frozen=True)
class Service:
    """A real listener run inside a node by ``services.py``."""

    proto: Proto
    port: int
    kind: Kind


@dataclass(frozen=True)
class PortRule:
    """A firewall rule on one port of a host (nftables, input hook)."""

    proto: Proto
    port: int
    action: Action


@dataclass(frozen=True)
class Node:
    """One network namespace of the lab.

    ``inbound`` is ``"ping-only"`` for a host whose firewall drops everything
    except ICMP echo (and the neighbour discovery IPv6 needs); ``answers_ping``
    False makes the firewall drop echo requests; ``sends_icmp`` False makes a
    router drop every ICMP message it would originate (a silent hop).
    ``closed`` lists ports that are closed on purpose and worth probing: they
    change nothing in the build, they only appear in the truth.
    """

    name: str
    role: Role
    interfaces: tuple[Interface, ...] = ()
    gateway: str | None = None
    services: tuple[Service, ...] = ()
    rules: tuple[PortRule, ...] = ()
    closed: tuple[tuple[Proto, int], ...] = ()
    inbound: Literal["accept", "ping-only"] = "accept"
    answers_ping: bool = True
    sends_icmp: bool = True
    note: str = ""

    def interface_on(self, network: str) -> Interface | None:
        """The node's interface on ``network``, or None when not attached."""
        for iface in self.interfaces:
            if iface.network == network:
                return iface
        return None


@dataclass(frozen=True)
class Topology:
    """The whole lab: networks, nodes, and which node is the bridge."""

    networks: tuple[Network, ...]
    nodes: tuple[Node, ...]
    switch: str = "sw"
    scanner: str = "scan"
    far: str = "far"

    def node(self, name: str) -> Node:
        """The node called ``name`` (KeyError when there is none)."""
        return {node.name: node for node in self.nodes}[name]

    def network(self, name: str) -> Network:
        """The network called ``name`` (KeyError when there is none)."""
        return {net.name: net for net in self.networks}[name]

    def members(self, network: str) -> list[tuple[Node, Interface]]:
        """Every (node, interface) attached to ``network``, in declaration order."""
        found = []
        for node in self.nodes:
            iface = node.interface_on(network)
            if iface is not None:
                found.append((node, iface))
        return found

    def by_role(self, role: Role) -> list[Node]:
        """The nodes with ``role``, in declaration order."""
        return [node for node in self.nodes if node.role == role]

    def with_node(self, node: Node) -> Topology:
        """A copy with one more node (used for the duplicate-address host)."""
        return Topology(self.networks, (*self.nodes, node), self.switch,
                        self.scanner, self.far)


def mac_for(ipv4: ipaddress.IPv4Address, first: int = 0x02, second: int = 0x00) -> str:
    """A deterministic, locally administered MAC built from an IPv4 address.

    02:00 followed by the four address bytes: unique as long as addresses
    are, and readable back (02:00:c6:12:01:0b is 198.18.1.11).
    """
    octets = [first, second, *ipv4.packed]
    return ":".join(f"{octet:02x}" for octet in octets)


def _net(name: str, v4: str, v6: str, bridged: bool = False) -> Network:
    return Network(name, ipaddress.IPv4Network(v4), ipaddress.IPv6Network(v6), bridged)


def _iface(name: str, net: Network, host: int) -> Interface:
    """An interface whose IPv6 host part repeats the IPv4 one's digits (.11 → ::11)."""
    v4 = net.ipv4[host]
    # "2001:db8:1::" + "11": the same digits in both families help humans.
    v6 = ipaddress.IPv6Address(f"{net.ipv6.network_address}{host}")
    if v6 not in net.ipv6:
        raise ValueError(f"{v6} is outside {net.ipv6}")
    return Interface(name, net.name, v4, v6, mac_for(v4))


def lab_topology() -> Topology:
    """The practice lab as declared: the one topology ``netprobe lab`` builds."""
    lan = _net("lan", "198.18.1.0/24", "2001:db8:1::/64", bridged=True)
    r1_r2 = _net("r1-r2", "198.18.101.0/24", "2001:db8:101::/64")
    r2_r3a = _net("r2-r3a", "198.18.102.0/24", "2001:db8:102::/64")
    r2_r3b = _net("r2-r3b", "198.18.103.0/24", "2001:db8:103::/64")
    r3a_r4 = _net("r3a-r4", "198.18.104.0/24", "2001:db8:104::/64")
    r3b_r4 = _net("r3b-r4", "198.18.105.0/24", "2001:db8:105::/64")
    farnet = _net("farnet", "198.19.2.0/24", "2001:db8:2::/64")

    def host(name: str, number: int, **kwargs: object) -> Node:
        return Node(name, "host", (_iface("eth0", lan, number),), gateway="r1", **kwargs)

    tcp = "tcp"
    udp = "udp"
    nodes = (
        Node("sw", "switch", note="Linux bridge br0 joining every LAN member"),
        Node("scan", "scanner", (_iface("eth0", lan, 2),), gateway="r1",
             note="where probes start (lab run); default routes via r1"),
        host("h1", 11,
             services=(Service(tcp, 22, "ssh"), Service(tcp, 80, "http"),
                       Service(tcp, 443, "banner"), Service(tcp, 8080, "http"),
                       Service(tcp, 8443, "http"), Service(udp, 53, "dns"),
                       Service(udp, 123, "echo")),
             rules=(PortRule(tcp, 8080, "drop"), PortRule(tcp, 8443, "reject-admin"),
                    PortRule(udp, 123, "drop")),
             closed=((tcp, 23), (udp, 161)),
             note="server behind a firewall: open, dropped and rejected ports"),
        host("h2", 12,
             services=(Service(tcp, 22, "ssh"), Service(tcp, 25, "smtp"),
                       Service(tcp, 139, "banner"), Service(udp, 514, "echo"),
                       Service(udp, 9999, "fragile")),
             rules=(PortRule(tcp, 139, "reject-reset"),
                    PortRule(udp, 514, "reject-port-unreach")),
             closed=((tcp, 80), (udp, 53)),
             note="firewall that fakes closed ports; fragile UDP 9999 "
                  "(dies on a datagram starting de ad, longer than 100 bytes)"),
        host("h3", 13,
             services=(Service(tcp, 22, "ssh"), Service(udp, 53, "dns")),
             inbound="ping-only",
             note="drops everything but ping (its listeners are unreachable)"),
        host("h4", 14,
             services=(Service(tcp, 80, "http"),),
             answers_ping=False, closed=((tcp, 22),),
             note="does not answer ping; TCP 80 open"),
        host("h5", 15,
             services=(Service(tcp, 80, "http"), Service(tcp, 3306, "banner"),
                       Service(udp, 53, "dns")),
             closed=((tcp, 22),),
             note="plain host"),
        host("h6", 16,
             services=(Service(tcp, 22, "ssh"), Service(tcp, 80, "http"),
                       Service(udp, 161, "echo")),
             closed=((udp, 53),),
             note="plain host"),
        Node("r1", "router", (_iface("eth0", lan, 1), _iface("eth1", r1_r2, 1)),
             note="LAN gateway"),
        Node("r2", "router", (_iface("eth0", r1_r2, 2), _iface("eth1", r2_r3a, 1),
                              _iface("eth2", r2_r3b, 1)),
             note="splits traffic to the far network over r3a and r3b (ECMP, L4 hash)"),
        Node("r3a", "router", (_iface("eth0", r2_r3a, 2), _iface("eth1", r3a_r4, 1)),
             note="ECMP branch a"),
        Node("r3b", "router", (_iface("eth0", r2_r3b, 2), _iface("eth1", r3b_r4, 1)),
             note="ECMP branch b"),
        Node("r4", "router", (_iface("eth0", r3a_r4, 2), _iface("eth1", r3b_r4, 2),
                              _iface("eth2", farnet, 1)),
             sends_icmp=False, answers_ping=False,
             note="silent router: originates no ICMP (no time-exceeded, no echo reply)"),
        Node("far", "host", (_iface("eth0", farnet, 10),), gateway="r4",
             services=(Service(tcp, 80, "http"),),
             closed=((tcp, 81), (udp, 33434)),
             note="far network host, beyond the router chain"),
    )
    return Topology((lan, r1_r2, r2_r3a, r2_r3b, r3a_r4, r3b_r4, farnet), nodes)


def duplicate_of(topology: Topology, of: str) -> Node:
    """A host ``dup`` on the LAN claiming the same IPv4 and IPv6 address as ``of``.

    It has its own MAC (02:01 + the address) and no services: it exists so
    that address-conflict detection has something to detect.
    """
    target = topology.node(of)
    lan = next((net for net in topology.networks if net.bridged), None)
    iface = target.interface_on(lan.name) if lan else None
    if target.role != "host" or iface is None:
        raise ValueError(f"{of} is not a host on the LAN")
    twin = Interface("eth0", iface.network, iface.ipv4, iface.ipv6,
                     mac_for(iface.ipv4, second=0x01))
    return Node(DUPLICATE, "host", (twin,), gateway=target.gateway,
                note=f"claims the addresses of {of} with another MAC")
