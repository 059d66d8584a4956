"""The engine session a fuzz run sends everything through: cases and monitor probes.

One engine ``Session`` (raw socket, capture, scope guard) stays open for the
whole run; each batch of cases and each monitor check is one turn of the
engine's send-and-match loop on it, so a check costs no socket set-up.
Results come back in the order the probes were given, each tagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from netprobe.engine.results import Counters, Result, Tag
from netprobe.packet.layer import Layer

if TYPE_CHECKING:
    from netprobe.wire.scope import Scope

#: counters that add up over the turns of a run
_SUMMED = ("sent", "retries", "received", "matched", "late", "duplicates",
           "related_unmatched", "refused")


class Link:
    """Sends probes to one destination and matches their answers, turn after turn."""

    def __init__(self, *, dst: str, layer2: bool, iface: str | None, scope: Scope,
                 rate: float | None) -> None:
        from netprobe.engine import api

        api.prepare_wire()  # the route hook, so probes without a source get one
        self.layer2 = layer2
        self.iface = iface
        self.rate = rate
        self.fill = api.link_filler(iface) if layer2 else None
        self.session = api.Session(iface=iface, layer2=layer2, first_dst=dst, scope=scope)
        self.counters = Counters()

    def close(self) -> None:
        """Close the capture and the socket."""
        self.session.close()

    def frame(self, probe: Layer) -> Layer:
        """A layer-3 probe made ready for this link (an Ethernet header when it sends frames)."""
        if not self.layer2:
            return probe
        from netprobe.packet import Ether

        return Ether() / probe

    def exchange(self, probes: Sequence[bytes | Layer], tags: Sequence[Tag], *,
                 timeout: float, retry: int = 0, max_time: float | None = None
                 ) -> list[Result]:
        """Send ``probes``, wait up to ``timeout`` for answers; results in the given order."""
        from netprobe.engine.loop import RunOptions, SendReceiveLoop
        from netprobe.engine.probes import prepare

        prepared = list(prepare(list(probes), layer2=self.layer2, fill=self.fill))
        slots: dict[int, list[int]] = {}
        for i, p in enumerate(prepared):
            slots.setdefault(id(p.data), []).append(i)
        options = RunOptions(rate=self.rate, retries=retry, timeout=timeout, iface=self.iface,
                             layer2=self.layer2, max_time=max_time)
        turn = Counters()
        loop = SendReceiveLoop(self.session.sender, self.session.capture, options, turn)
        out: list[Result | None] = [None] * len(prepared)
        for result in loop.run(prepared):
            waiting = slots.get(id(result.probe_bytes))
            if not waiting:
                continue
            i = waiting.pop(0)
            result.tag = tags[i]
            out[i] = result
        self._add(turn)
        missing = [i for i, r in enumerate(out) if r is None]
        for i in missing:  # cut short by max_time before it was sent
            p = prepared[i]
            r = Result(p.data, p.linktype, 0.0, 0)
            r.tag = tags[i]
            out[i] = r
        return [r for r in out if r is not None]

    def _add(self, turn: Counters) -> None:
        c = self.counters
        for name in _SUMMED:
            setattr(c, name, getattr(c, name) + getattr(turn, name))
        c.capture_dropped = max(c.capture_dropped, turn.capture_dropped)
        room = 100 - len(c.stray)
        if room > 0:
            c.stray.extend(turn.stray[:room])
