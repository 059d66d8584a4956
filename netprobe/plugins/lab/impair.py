"""What ``lab impair`` can do to the lab, and the nft/sysctl text that does it (pure).

Four impairments, each on a target:

- ``--loss PCT``: random loss with nftables, ``numgen random mod 100 < PCT
  drop`` (each packet dropped with probability PCT/100, independently).
- ``--delay MS`` and ``--jitter MS``: each frame held for MS ± a uniform
  jitter, per direction. Where the kernel has ``sch_netem`` it does it;
  this one has not, so a userspace delay line is spliced into the switch's
  ports (``splice.py``, ``delayline.py``).
- ``--icmp-ratelimit MS``: the node's ``icmp_ratelimit`` sysctls (IPv4 and
  IPv6): at most one ICMP error per MS to one peer, after a small burst.

Targets:

- ``lan`` (default): the bridge in the switch namespace. Loss and delay
  apply once per frame crossing it, so a request/answer exchange is lost
  with probability 1 - (1 - PCT/100)² and takes 2 x MS longer: ``--delay
  12.5`` gives a 25 ms round trip between any two LAN members. ARP is spared
  from loss, so loss stays loss and never becomes an unreachable neighbour.
  ``--icmp-ratelimit`` on ``lan`` sets every node.
- a LAN member (``scan``, ``h1`` ... ``h6``, ``r1``, ``dup``): its cable to
  the switch, both directions (``--delay 12.5`` adds 25 ms to its round trips).
- a link between routers, named like its network (``r1-r2``, ``r2-r3a``,
  ``r2-r3b``, ``r3a-r4``, ``r3b-r4``, ``farnet``): both directions. Loss
  is an nft table in the far end's namespace; delay splices a delay line in
  its own small namespace into the cable (``splice.py``).
- a router (``r1`` ... ``r4``): ``--loss`` applies to the traffic it forwards
  (``inet`` forward hook, both directions).

``PCT`` 0 and ``MS`` 0 remove loss and delay. ``--icmp-ratelimit 0`` means no
limit; ``--icmp-ratelimit stock`` puts back what ``up`` set (the kernel's
defaults differ: 1000 ms for IPv4, 100 ms for IPv6 on recent kernels). Tables live inside the lab's
namespaces, so ``down`` removes them with the namespaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from netprobe.plugins.lab.build import RATELIMIT_KEYS, nft_table
from netprobe.plugins.lab.topology import Topology

TABLE = "netprobe_impair"
LAN = "lan"
MAX_DELAY_MS = 10_000.0
STOCK = "stock"  # --icmp-ratelimit stock: the node's limits as up left them


@dataclass(frozen=True)
class Delay:
    """A one-way delay and its jitter, in milliseconds."""

    delay_ms: float = 0.0
    jitter_ms: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.delay_ms or self.jitter_ms)

    def __add__(self, other: Delay) -> Delay:
        return Delay(self.delay_ms + other.delay_ms, self.jitter_ms + other.jitter_ms)


@dataclass(frozen=True)
class PortDelay:
    """What one switch port adds: towards the bridge (from the member) and back."""

    port: str
    to_lan: Delay
    from_lan: Delay


def lan_ports(topology: Topology) -> list[str]:
    """The switch's ports: one per LAN member, named after it."""
    lan = next(net for net in topology.networks if net.bridged)
    return [node.name for node, _ in topology.members(lan.name)]


def routers(topology: Topology) -> list[str]:
    """Every router's name."""
    return [node.name for node in topology.by_role("router")]


def links(topology: Topology) -> list[str]:
    """Every cable between two routed nodes, named after its network."""
    return [net.name for net in topology.networks if not net.bridged]


def link_ends(topology: Topology, link: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """((near node, its interface), (far node, its interface)) of ``link``.

    The far end is the one declared later: always the one further from the scanner.
    """
    (a, ia), (b, ib) = topology.members(link)
    return (a.name, ia.name), (b.name, ib.name)


def targets(topology: Topology) -> list[str]:
    """Where loss can be applied: ``lan``, every LAN member's cable, router, and link."""
    return [LAN] + [p for p in lan_ports(topology) if p not in routers(topology)] \
        + routers(topology) + links(topology)


def delay_targets(topology: Topology) -> list[str]:
    """Where delay and jitter can be applied: ``lan``, LAN members' cables, links."""
    return [LAN, *lan_ports(topology), *links(topology)]


def ratelimit_targets(topology: Topology) -> list[str]:
    """Where ``--icmp-ratelimit`` applies: ``lan`` (every node) or one node."""
    return [LAN] + [node.name for node in topology.nodes if node.role != "switch"]


def choose(target: str, allowed: list[str], what: str) -> str:
    """``target`` if it is in ``allowed``, else ValueError naming the choices."""
    if target not in allowed:
        raise ValueError(f"cannot {what} {target!r}: choose one of {', '.join(allowed)}")
    return target


def check_loss(percent: int) -> int:
    """``percent`` if it is a valid loss (0-100), else ValueError."""
    if not 0 <= percent <= 100:
        raise ValueError(f"loss {percent}%: expected 0 to 100")
    return percent


def check_delay(delay: Delay) -> Delay:
    """``delay`` if both values are within 0..10 s and jitter ≤ delay, else ValueError."""
    for name, value in (("delay", delay.delay_ms), ("jitter", delay.jitter_ms)):
        if not 0 <= value <= MAX_DELAY_MS:
            raise ValueError(f"{name} {value:g} ms: expected 0 to {MAX_DELAY_MS:g}")
    if delay.jitter_ms > delay.delay_ms:
        raise ValueError(f"jitter {delay.jitter_ms:g} ms exceeds the delay "
                         f"{delay.delay_ms:g} ms: a frame cannot leave before it came")
    return delay


def check_ratelimit(milliseconds: int) -> int:
    """``milliseconds`` if it is a valid ICMP rate limit (0 = none), else ValueError."""
    if not 0 <= milliseconds <= 60_000:
        raise ValueError(f"icmp rate limit {milliseconds} ms: expected 0 to 60000")
    return milliseconds


def parse_ratelimit(text: str | int) -> int | str:
    """``--icmp-ratelimit`` as milliseconds, or ``stock`` (as ``up`` left the node)."""
    if text == STOCK:
        return STOCK
    try:
        return check_ratelimit(int(text))
    except ValueError as exc:
        raise ValueError(f"icmp rate limit {text!r}: expected 0 to 60000 ms, "
                         f"or {STOCK}") from exc


def link_delays(topology: Topology, delays: dict[str, Delay]) -> dict[str, Delay]:
    """The links of ``delays`` that need a delay line, with their delay (each way)."""
    return {link: delays[link] for link in links(topology) if delays.get(link)}


def port_delays(topology: Topology, delays: dict[str, Delay]) -> list[PortDelay]:
    """The delay every switch port must add for ``delays`` (target → delay).

    The LAN-wide delay is added once, on the way into the bridge, so every
    frame crossing the LAN gets it exactly once; a member's own delay is
    added both ways. Ports that add nothing are left out.
    """
    lan = delays.get(LAN, Delay())
    found = []
    for port in lan_ports(topology):
        own = delays.get(port, Delay())
        entry = PortDelay(port, lan + own, own)
        if entry.to_lan or entry.from_lan:
            found.append(entry)
    return found


def ruleset(topology: Topology, target: str, percent: int) -> tuple[str, str]:
    """(node to run nft in, nft script) that sets ``target``'s loss to ``percent``."""
    check_loss(percent)
    choose(target, targets(topology), "impair")
    drop = f"numgen random mod 100 < {percent} drop"
    family, table, ip_only = "bridge", TABLE, "ether type { ip, ip6 } "
    forward = "hook forward priority 0; policy accept;"
    if target == LAN:
        node, chains = topology.switch, [("forward", forward, [ip_only + drop])]
    elif target in routers(topology):
        node, family, chains = target, "inet", [("forward", forward, [drop])]
    elif target in links(topology):
        # Both directions at the far end's interface, forwarded or local alike.
        _, (node, dev) = link_ends(topology, target)
        family, table = "inet", f"{TABLE}_{target.replace('-', '_')}"
        chains = [("ingress", "hook prerouting priority -300; policy accept;",
                   [f'iifname "{dev}" {drop}']),
                  ("egress", "hook postrouting priority 300; policy accept;",
                   [f'oifname "{dev}" {drop}'])]
    else:
        # A member's cable: its switch port, and the delay line's port when spliced.
        node, table = topology.switch, f"{TABLE}_{target}"
        names = f'{{ "{target}", "{bridge_side(target)}" }}'
        chains = [("forward", forward, [f"{ip_only}iifname {names} {drop}",
                                                   f"{ip_only}oifname {names} {drop}"])]
    # Declaring the table first makes the delete succeed whether or not it existed.
    script = f"table {family} {table}\ndelete table {family} {table}\n"
    if percent:
        script += nft_table(family, table, chains)
    return node, script


def ratelimit_sysctls(milliseconds: int, built: dict | None = None) -> list[str]:
    """``sysctl -w`` arguments setting the ICMP rate limits to ``milliseconds``.

    ``milliseconds`` ``stock`` writes back what ``built`` (the node's sysctls
    as ``up`` left them) holds for each key: IPv4 and IPv6 defaults differ.
    """
    if milliseconds == STOCK:
        return [f"{key}={(built or {})[key]}" for key in RATELIMIT_KEYS]
    return [f"{key}={check_ratelimit(milliseconds)}" for key in RATELIMIT_KEYS]


def relay_side(port: str) -> str:
    """The delay line's own veth end in the switch (its other side is ``port``)."""
    return f"dl-{port}"


def bridge_side(port: str) -> str:
    """The veth end that joins the bridge in place of ``port`` while it is delayed."""
    return f"dlb-{port}"
