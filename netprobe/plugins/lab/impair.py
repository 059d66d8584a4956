"""Random packet loss in the lab with nftables (this kernel has no tc netem).

``numgen random mod 100 < PCT drop`` drops each packet with probability
PCT/100, independently. Where:

- ``lan`` (default): the bridge in the switch namespace, ``bridge`` family
  forward hook. Every IPv4/IPv6 frame between LAN members (scanner, hosts,
  r1) crosses it once per direction, so a request/answer exchange is lost
  with probability 1 - (1 - PCT/100)². ARP is spared so loss stays loss and
  does not turn into unreachable neighbours.
- a router name (``r1`` ... ``r4``): the router's ``inet`` forward hook, for
  traffic routed through it (both directions).

``PCT`` 0 removes the rule. The table lives inside the namespace, so ``down``
removes it with the namespace.
"""

from __future__ import annotations

from netprobe.plugins.lab.topology import Topology

TABLE = "netprobe_impair"
LAN = "lan"


def targets(topology: Topology) -> list[str]:
    """Where loss can be applied: ``lan`` and every router."""
    return [LAN] + [node.name for node in topology.by_role("router")]


def check_loss(percent: int) -> int:
    """``percent`` if it is a valid loss (0-100), else ValueError."""
    if not 0 <= percent <= 100:
        raise ValueError(f"loss {percent}%: expected 0 to 100")
    return percent


def ruleset(topology: Topology, target: str, percent: int) -> tuple[str, str]:
    """(node to run nft in, nft script) that sets ``target``'s loss to ``percent``."""
    check_loss(percent)
    if target == LAN:
        node, family, match = topology.switch, "bridge", "ether type { ip, ip6 } "
    elif target in targets(topology):
        node, family, match = target, "inet", ""
    else:
        raise ValueError(f"cannot impair {target!r}: choose one of {', '.join(targets(topology))}")
    # Declaring the table first makes the delete succeed whether or not it existed.
    script = f"table {family} {TABLE}\ndelete table {family} {TABLE}\n"
    if percent:
        script += (f"table {family} {TABLE} {{\n"
                   "  chain forward {\n"
                   "    type filter hook forward priority 0; policy accept;\n"
                   f"    {match}numgen random mod 100 < {percent} drop\n"
                   "  }\n}\n")
    return node, script
