"""Hand a sweep's probes to the engine (and the all-nodes probes to the wire).

Phases, in order, each tagging its results (``Result.tag``):

1. ``arp``: who-has to every IPv4 target, one engine run at layer 2 with
   retries for the silent and ``multi=True`` so that a second MAC answering
   for an address (a conflict) is kept, not counted away as a duplicate;
2. ``ns``: neighbour solicitations to the IPv6 targets, likewise;
3. ``multicast`` (``-6`` without IPv6 targets): the all-nodes probes, then
   ``ns`` to every address that answered, which confirms each neighbour
   through neighbour discovery proper and gives its RTT.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from netprobe.engine.results import Counters, Result, Tag
from netprobe.plugins.arpscan import plan
from netprobe.plugins.arpscan.interpret import TAG_ARP, TAG_NS, sighting
from netprobe.plugins.arpscan.sweep import Pacing, Sweep

if TYPE_CHECKING:
    from netprobe.wire.scope import Scope


def add_counters(total: Counters, part: Counters) -> None:
    """Add one phase's counters to the run's (times add up too)."""
    for name, value in vars(part).items():
        if name in ("stray", "first_send", "last_send"):
            continue
        setattr(total, name, getattr(total, name) + value)
    if part.sent:
        if not total.first_send:
            total.first_send = part.first_send
        total.last_send = part.last_send


def _engine_phase(frames: Iterable[bytes], sweep: Sweep, pacing: Pacing, capture_filter: str,
                  scope: Scope, tag: Tag, progress: Callable[[Counters], None] | None,
                  total: Counters) -> Iterator[Result]:
    from netprobe.engine.api import run

    counters = Counters()
    try:
        for r in run(frames, layer2=True, iface=sweep.iface, timeout=pacing.timeout,
                     retry=pacing.retry, rate=pacing.rate, filter=capture_filter, multi=True,
                     scope=scope, counters=counters, on_progress=progress,
                     # an answered address stays open for its timeout: a second MAC
                     # answering a little later is a conflict to report
                     stop_when_answered=False):
            r.tag = tag
            yield r
    finally:
        add_counters(total, counters)


def execute(sweep: Sweep, pacing: Pacing, *, scope: Scope, link_scope: Scope,
            progress: Callable[[Counters], None] | None = None) -> tuple[list[Result], Counters]:
    """Run every phase of the sweep; return all results and the summed counters."""
    total = Counters()
    results: list[Result] = []
    if sweep.arp_blocks:
        skip = sweep.own(4)
        for block in sweep.arp_blocks:
            src = plan.source_for(block, sweep.ipv4)
            assert src is not None  # the command refuses an interface without IPv4
            frames = plan.arp_frames(sweep.mac, src, block.hosts(skip))
            results += _engine_phase(frames, sweep, pacing, "arp", scope, TAG_ARP, progress,
                                     total)
    if sweep.ns_blocks:
        frames = plan.ns_frames(sweep.mac, sweep.ipv6, sweep.ns_blocks, sweep.own(6))
        results += _engine_phase(frames, sweep, pacing, "icmp6", link_scope, TAG_NS, progress,
                                 total)
    if sweep.multicast:
        results += _all_nodes(sweep, pacing, scope, link_scope, progress, total)
    return results, total


def _all_nodes(sweep: Sweep, pacing: Pacing, scope: Scope, link_scope: Scope,
               progress: Callable[[Counters], None] | None, total: Counters) -> list[Result]:
    import random

    from netprobe.plugins.arpscan.multicast import discover

    src = plan.ipv6_source(sweep.ipv6)
    assert src is not None  # the command refuses an interface without IPv6
    probes = plan.all_nodes_probes(sweep.mac, src, random.getrandbits(16))
    counters = Counters()
    try:
        # Twice per timeout: a host that answers only one of the two probes (it drops
        # pings, or everything but pings) still gets two chances per try; each send is
        # a new frame, lost or not on its own, and the run takes no longer.
        found = discover(sweep.iface, probes, tries=2 * (pacing.retry + 1),
                         interval=pacing.timeout / 2, wait=pacing.timeout, scope=link_scope,
                         counters=counters, ours={str(a.ip) for a in sweep.ipv6},
                         helpers=[plan.unsolicited_na(sweep.mac, src)])
    finally:
        add_counters(total, counters)
    own = sweep.own(6)
    addresses = sorted({int(ipaddress.IPv6Address(s.ip)) for r in found
                        if (s := sighting(r)) is not None} - own)
    # the answers' addresses are solicited only when inside the scope: they were
    # not chosen by the user, and the scope is the user's word on where probes go
    inside = [a for a in addresses if scope.contains(plan.address_text(a, 6))]
    blocks = [plan.Block(plan.address_text(a, 6), 6, a, a) for a in inside]
    results = list(found)
    if blocks:
        frames = plan.ns_frames(sweep.mac, sweep.ipv6, blocks)
        results += _engine_phase(frames, sweep, pacing, "icmp6", link_scope, TAG_NS, progress,
                                 total)
    return results
