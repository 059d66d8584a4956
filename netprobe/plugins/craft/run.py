"""Sending what ``craft`` made: ``--send`` (fire and forget) and ``--sr`` (send and match).

Both go through the engine's API: ``send``/``sendp`` for ``--send`` (its paced
form through the send-and-match loop, whose token bucket keeps the schedule) and
``run`` for ``--sr``. Each result of ``--sr`` is tagged
with the probe it belongs to (number, round, fragment place) so that the
records, live or read back from ``--save``, say which packet was answered.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netprobe.engine.results import Counters, Result, Tag
from netprobe.plugins.craft.plan import Crafted, SendPlan

if TYPE_CHECKING:
    from collections.abc import Iterator

    from netprobe.packet.layer import Layer
    from netprobe.services.json_value import JSONRecord
    from netprobe.wire.scope import Scope


@dataclass
class Pacing:
    """How often packets go: every ``interval`` seconds, or ``rate`` per second, or at once."""

    count: int = 1
    interval: float | None = None
    rate: float | None = None

    @property
    def gap(self) -> float | None:
        """Seconds between two packets, or None for as fast as possible."""
        if self.interval:
            return self.interval
        if self.rate:
            return 1.0 / self.rate
        return None


def send_packets(plan: SendPlan, pacing: Pacing, *, iface: str | None,
                 scope: Scope | None = None) -> int:
    """Send every packet ``pacing.count`` times; return how many the kernel accepted.

    Without pacing, each round goes out as one batch (``api.send``/``sendp``).
    With pacing, the engine's send loop and its token bucket keep the schedule
    (one socket for the whole run; answers are not waited for).
    """
    from netprobe.engine import api

    gap = pacing.gap
    if gap is None:
        send = api.sendp if plan.layer2 else api.send
        return send(plan.packets, iface=iface, count=pacing.count, scope=scope)
    # bytes built once, so the engine builds nothing per packet; a frame whose link
    # addresses the sender fills in must stay a packet
    distinct: list[Layer | bytes] = [p if _fills_addresses(p) else _bytes(p) for p in plan.packets]
    counters = Counters()
    for _ in api.run(_repeat(distinct, pacing.count), timeout=0.0, rate=1.0 / gap,
                     iface=iface, layer2=plan.layer2, scope=scope, counters=counters):
        pass
    return counters.sent - counters.refused


def _repeat(items: list[Layer | bytes], count: int) -> Iterator[Layer | bytes]:
    for _ in range(count):
        yield from items


def _fills_addresses(packet: Layer | bytes) -> bool:
    """True for a frame with an Ethernet address left for the sender to fill in."""
    return type(packet).__name__ in ("Ether", "Dot3") and (packet.is_unset("src")
                                                           or packet.dst is None)


def _bytes(packet: Layer | bytes) -> bytes:
    return packet if isinstance(packet, bytes) else packet.build()


def match_key(data: bytes, layer2: bool) -> bytes:
    """What identifies a probe's bytes whatever link addresses the sender filled in."""
    return data[12:] if layer2 else data


@dataclass
class SendReceiveRun:
    """The outcome of ``--sr``: tagged results in the order they settled, and counters."""

    results: list[Result] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)


def send_receive(crafted: list[Crafted], plan: SendPlan, pacing: Pacing, *,
                 timeout: float, retry: int, iface: str | None, scope: Scope | None = None,
                 on_result: Callable[[Result], None] | None = None) -> SendReceiveRun:
    """Send the probes and match answers; call ``on_result`` as each result settles.

    Answered probes settle as their answers arrive, unanswered ones after the
    last timeout. Fragments of one packet are probes of their own; the answer
    is matched to the first (the one holding the upper-layer header).
    """
    from netprobe.engine.api import run
    from netprobe.engine.progress import RunProgress

    units = max((c.unit for c in crafted), default=-1) + 1
    sendable = [p if _fills_addresses(p) else _bytes(p) for p in plan.packets]
    keys = [match_key(_bytes(p), plan.layer2) for p in plan.packets]
    slots: dict[bytes, deque[JSONRecord]] = defaultdict(deque)
    probes = []
    for r in range(pacing.count):
        for c, packet, key in zip(crafted, sendable, keys):
            slots[key].append({"n": r * units + c.unit + 1, "round": r, "unit": c.unit,
                               "frag": c.frag, "frags": c.frags})
            probes.append(packet)
    rate = 1.0 / pacing.gap if pacing.gap else None
    outcome = SendReceiveRun()
    bar = RunProgress(len(probes), "probing")
    try:
        for result in run(probes, timeout=timeout, retry=retry, rate=rate, iface=iface,
                          layer2=plan.layer2, scope=scope, counters=outcome.counters,
                          on_progress=bar):
            waiting = slots.get(match_key(result.probe_bytes, plan.layer2))
            result.tag = Tag("probe", waiting.popleft() if waiting else {"n": None})
            outcome.results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        bar.close()
    return outcome
