"""Routes and paths derived from the topology, never declared by hand.

End nodes (scanner, hosts) get default routes via their gateway. Routers get a
route to every network they are not attached to, through every neighbour on a
shortest path (several neighbours at the same distance make an ECMP route).
The same graph gives the hop-by-hop path a traceroute should see.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from dataclasses import dataclass

from netprobe.plugins.lab.topology import Interface, Node, Topology

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Prefix = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Route:
    """A route in one node: a prefix and one or more (gateway, device) next hops."""

    prefix: Prefix
    nexthops: tuple[tuple[Address, str], ...]

    @property
    def multipath(self) -> bool:
        """True when traffic is split over several next hops (ECMP)."""
        return len(self.nexthops) > 1


@dataclass(frozen=True)
class Hop:
    """One TTL step of the path: which nodes may answer, from which addresses."""

    ttl: int
    nodes: tuple[str, ...]
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    answers: bool


def _shared(a: Node, b: Node) -> list[tuple[Interface, Interface]]:
    """Pairs of interfaces (a's, b's) that sit on the same network."""
    pairs = []
    for mine in a.interfaces:
        theirs = b.interface_on(mine.network)
        if theirs is not None:
            pairs.append((mine, theirs))
    return pairs


def _router_distances(topology: Topology, network: str) -> dict[str, int]:
    """Hops from every router to ``network`` (0 = attached), by breadth-first search."""
    routers = topology.by_role("router")
    dist = {r.name: 0 for r in routers if r.interface_on(network) is not None}
    queue = deque(dist)
    while queue:
        here = topology.node(queue.popleft())
        for other in routers:
            if other.name not in dist and _shared(here, other):
                dist[other.name] = dist[here.name] + 1
                queue.append(other.name)
    return dist


def _next_routers(topology: Topology, router: Node, network: str) -> list[Node]:
    """The neighbour routers one step closer to ``network`` (several = ECMP)."""
    dist = _router_distances(topology, network)
    mine = dist.get(router.name)
    if mine is None or mine == 0:
        return []
    return [other for other in topology.by_role("router")
            if dist.get(other.name) == mine - 1 and _shared(router, other)]


def routes(topology: Topology, name: str) -> list[Route]:
    """Every route node ``name`` needs beyond its connected networks (v4 then v6)."""
    node = topology.node(name)
    found: list[Route] = []
    if node.role in ("scanner", "host") and node.gateway:
        gateway = topology.node(node.gateway)
        mine, theirs = _shared(node, gateway)[0]
        found.append(Route(ipaddress.IPv4Network("0.0.0.0/0"), ((theirs.ipv4, mine.name),)))
        found.append(Route(ipaddress.IPv6Network("::/0"), ((theirs.ipv6, mine.name),)))
        return found
    if node.role != "router":
        return found
    for family in ("ipv4", "ipv6"):
        for net in topology.networks:
            if node.interface_on(net.name) is not None:
                continue
            hops = []
            for other in _next_routers(topology, node, net.name):
                for mine, theirs in _shared(node, other):
                    hops.append((getattr(theirs, family), mine.name))
            if hops:
                found.append(Route(getattr(net, family), tuple(hops)))
    return found


def path(topology: Topology, source: str, target: str) -> list[Hop]:
    """The hops a traceroute from ``source`` to ``target`` meets, TTL 1 upward.

    Each hop lists every node it may be (two under ECMP) and the address each
    answers from: the interface facing the previous hop, which is what Linux
    puts in an ICMP error (routers run with icmp_errors_use_inbound_ifaddr).
    """
    goal = topology.node(target)
    goal_net = goal.interfaces[0].network
    start = topology.node(source)
    current: list[tuple[Node, Node]] = []  # (node, the node it was reached from)
    if start.gateway:
        current = [(topology.node(start.gateway), start)]
    hops: list[Hop] = []
    ttl = 1
    while current and ttl <= 32:
        names: list[str] = []
        v4: list[str] = []
        v6: list[str] = []
        answers = False
        following: list[tuple[Node, Node]] = []
        for node, came_from in current:
            inbound = _shared(node, came_from)[0][0]
            if node.name not in names:
                names.append(node.name)
            for listing, value in ((v4, str(inbound.ipv4)), (v6, str(inbound.ipv6))):
                if value not in listing:
                    listing.append(value)
            answers = answers or node.sends_icmp
            if node.name == goal.name:
                continue
            if node.interface_on(goal_net) is not None:
                nexts = [goal]
            else:
                nexts = _next_routers(topology, node, goal_net)
            for nxt in nexts:
                # Keep every (next, previous) pair: a node reached over two
                # branches answers from two inbound addresses.
                if all((nxt.name, node.name) != (a.name, b.name) for a, b in following):
                    following.append((nxt, node))
        hops.append(Hop(ttl, tuple(names), tuple(v4), tuple(v6), answers))
        if goal.name in names:
            break
        current = following
        ttl += 1
    return hops
