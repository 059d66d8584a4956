"""From the command's arguments to a :class:`Sweep`: targets, interface, limits, scope,
privileges — every refusal happens here, before anything is sent."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.plugins.arpscan import plan

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord
    from netprobe.services.root_settings import RootSettings
    from netprobe.wire.scope import Scope


@dataclass
class Sweep:
    """A sweep resolved against its interface: everything needed to send."""

    iface: str
    mac: str
    ipv4: list[ipaddress.IPv4Interface]
    ipv6: list[ipaddress.IPv6Interface]
    arp_blocks: list[plan.Block] = field(default_factory=list)
    ns_blocks: list[plan.Block] = field(default_factory=list)
    multicast: bool = False

    def own(self, version: int) -> set[int]:
        """The interface's own addresses (never solicited)."""
        return {int(a.ip) for a in (self.ipv4 if version == 4 else self.ipv6)}

    @property
    def scanned(self) -> int:
        """How many addresses are solicited (the all-nodes probes not counted)."""
        skip4, skip6 = self.own(4), self.own(6)
        return (sum(sum(1 for _ in b.hosts(skip4)) for b in self.arp_blocks)
                + sum(sum(1 for _ in b.hosts(skip6)) for b in self.ns_blocks))

    def options(self) -> JSONRecord:
        """The run's description, saved with it and shown in the summary."""
        return {"iface": self.iface, "mac": self.mac,
                "ipv4": [str(a) for a in self.ipv4], "ipv6": [str(a) for a in self.ipv6],
                "targets": [b.text for b in self.arp_blocks + self.ns_blocks],
                "multicast": self.multicast, "scanned": self.scanned}


@dataclass
class Pacing:
    """How fast and how patiently: packets per second, seconds per try, retries."""

    rate: float
    timeout: float
    retry: int


def families(blocks: Sequence[plan.Block], want4: bool, want6: bool) -> set[int]:
    """The IP versions to sweep: those asked for (-4, -6), else those of the targets,
    else IPv4. A target of a version not asked for is a usage error."""
    asked = {v for v, on in ((4, want4), (6, want6)) if on}
    given = {b.version for b in blocks}
    if not asked:
        return given or {4}
    for b in blocks:
        if b.version not in asked:
            raise UsageError(f"{b.text} is an IPv{b.version} target, but only "
                             f"-{min(asked)} was asked for")
    return asked


def check_scope(scope: Scope, sweep: Sweep) -> None:
    """Refuse (ScopeError, exit 2) targets outside the scope, before sending anything.

    The all-nodes probes reach every host of the link: the networks of the
    address they are sent from must lie inside the scope.
    """
    skip4, skip6 = sweep.own(4), sweep.own(6)
    for block in sweep.arp_blocks:
        scope.check_many(plan.address_text(v, 4) for v in block.hosts(skip4))
    for block in sweep.ns_blocks:
        scope.check_many(plan.address_text(v, 6) for v in block.hosts(skip6))
    if sweep.multicast:
        src = plan.ipv6_source(sweep.ipv6)
        net = next(a.network for a in sweep.ipv6 if str(a.ip) == src)
        for end in (net.network_address, net.broadcast_address):
            if not scope.contains(str(end)):
                raise UsageError(f"probes to all nodes reach every host of {net} (the link "
                                 f"of {sweep.iface}), and it is not inside the scope: "
                                 f"{scope.refusal(str(end))}")


def link_scope(scope: Scope) -> Scope:
    """The scope plus the link-local groups neighbour discovery is sent to."""
    from netprobe.wire.scope import Scope

    return Scope([*scope.user_networks, *plan.link_scope_networks()], origin=scope.origin)


def prepare_sweep(settings: RootSettings, targets: Sequence[str], *, iface: str | None,
                  localnet: bool, want4: bool, want6: bool, rate: float, timeout: float, retry: int,
                  force: bool) -> tuple[Sweep, Pacing, Scope, Scope]:
    """Check everything and return (sweep, pacing, scope, scope with the link groups)."""
    from netprobe.wire import iface as iface_mod
    from netprobe.wire import privileges
    from netprobe.wire.scope import Scope

    if localnet and targets:
        raise UsageError("--localnet sweeps the interface's networks: give it or TARGETS, "
                         "not both")
    blocks = plan.parse_targets(targets)
    versions = families(blocks, want4, want6)
    chosen = plan.choose_interface(iface, iface_mod.interfaces(), iface_mod.default_gateways(),
                                   4 if 4 in versions else 6)
    sweep = Sweep(chosen.name, chosen.mac, plan.interface_networks(chosen, 4),
                  plan.interface_networks(chosen, 6))
    if 4 in versions:
        local = plan.local_blocks(chosen)  # also refuses an interface without IPv4
        sweep.arp_blocks = [b for b in blocks if b.version == 4] or local
    if 6 in versions:
        if not sweep.ipv6:
            raise UsageError(f"{chosen.name} has no IPv6 address: neighbour discovery "
                             "needs one to send from")
        sweep.ns_blocks = [b for b in blocks if b.version == 6]
        sweep.multicast = not sweep.ns_blocks
    plan.check_size(sweep.arp_blocks + sweep.ns_blocks, force)
    scope = getattr(settings, "scope", None) or Scope.from_environment()
    check_scope(scope, sweep)
    what = "an ARP sweep" if versions == {4} else "neighbour discovery"
    privileges.require_raw_sockets(what, "run it with sudo")
    return sweep, Pacing(rate, timeout, retry), scope, link_scope(scope)
