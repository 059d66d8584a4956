"""What to send next: the waves of a trace, decided from the answers so far. Pure.

A trace is a few *waves*; every probe of a wave goes out at once, whatever
its TTL (all hops are probed in parallel), and the next wave is planned
from what came back:

1. **distance**: one probe at the highest TTL. An ICMP error from the
   destination quotes the probe with what was left of its TTL, which gives
   the destination's distance exactly; an echo reply, SYN/ACK or RST only
   gives its own TTL, from which the distance is guessed (plus a margin). So
   the path's probes need not be sprayed at the destination beyond it, where
   hosts rate-limit their ICMP errors.
2. **path**: ``queries`` probes for every TTL from ``first`` to that
   distance (or to ``max_ttl`` when it is not known); TTLs past the known
   end are never probed again, and when the end was not found within a
   guessed distance, the TTLs up to ``max_ttl`` follow. When the
   destination answered the distance probe but none of the path's probes
   for its TTL (its ICMP rate limit, or loss), those are asked again after
   a pause (rate limits refill about once a second), ``retries`` times at
   most; the path ends there in any case.
3. **multipath** (``--multipath``): more flows at every hop before the end
   until the MDA stopping rule holds for the addresses seen there.
4. **rounds** (``--rounds N``): the path wave again, N times in all, for
   loss and RTT statistics.

Each wave waits for its answers ``NEAR`` times the slowest round trip seen
so far (at least ``FLOOR``, at most ``--wait``), like traceroute(8)'s
``-w MAX,HERE,NEAR``, or ``BLIND_WAIT`` while no round trip is known; the
engine retries unanswered probes ``--retries`` times within the wave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from netprobe.plugins.traceroute import mda
from netprobe.plugins.traceroute.hops import Outcome, quoted_distance, terminal_ttl
from netprobe.plugins.traceroute.replies import hops_back

#: a wave waits this many times the slowest round trip seen so far ...
NEAR = 10.0
#: ... but never less than this (seconds): routers answer from their slow path
FLOOR = 0.05
#: how long (s) a wave waits before any round trip was measured (the distance probe's)
BLIND_WAIT = 1.0
#: hops added after a distance guessed from a reply's own TTL (paths may be asymmetric)
GUESS_MARGIN = 2
#: seconds before asking a silent destination again (rate limits refill about 1/s)
RECHECK_PAUSE = 1.0
#: probes per hop at most under --multipath
MDA_MAX_PROBES = 96
#: waves at most in one trace (rounds apart)
MAX_WAVES = 16


@dataclass(frozen=True)
class TraceOptions:
    """Everything that decides what a trace sends and how its answers read.

    Saved with ``--save`` as the run's interpretation options.
    """

    dst: str
    family: int = 4
    target: str = ""
    method: str = "udp"
    port: int = 33434
    sport: int = 33456
    flow: int = 0
    first: int = 1
    max_ttl: int = 30
    queries: int = 3
    wait: float = 5.0
    retries: int = 1
    multipath: bool = False
    confidence: float = mda.DEFAULT_CONFIDENCE
    rounds: int = 1
    interval: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form (what ``--save`` stores)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceOptions:
        """Read back :meth:`to_dict` (unknown keys are ignored)."""
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})

    @property
    def engine_retries(self) -> int:
        """Retries the engine makes per probe (none over rounds: loss is what they measure)."""
        return 0 if self.rounds > 1 else self.retries


@dataclass(frozen=True)
class Wanted:
    """A probe to send: its role, TTL, flow and round."""

    role: str
    ttl: int
    flow: int
    round: int = 0


def distance_hint(opts: TraceOptions, outcomes: Sequence[Outcome]) -> tuple[int | None, bool]:
    """(how far the destination seems to be, whether that is exact) from the distance probe.

    (None, False) when it got no answer, or a time-exceeded (the path is
    longer than ``max_ttl``).
    """
    for o in outcomes:
        if o.role != "distance" or not o.terminal:
            continue
        where = quoted_distance(o)
        if where is not None:
            return _clamp(opts, where), True
        if o.reply_ttl is not None:
            return _clamp(opts, hops_back(o.reply_ttl) + GUESS_MARGIN), False
    return None, False


def _clamp(opts: TraceOptions, ttl: int) -> int:
    return max(opts.first, min(opts.max_ttl, ttl))


def path_limit(opts: TraceOptions, outcomes: Sequence[Outcome]) -> tuple[int, int | None]:
    """(highest TTL worth probing now, TTL expected to be the end or None)."""
    hops = [o for o in outcomes if o.role == "hop"]
    end = terminal_ttl(hops)
    if end is not None:
        return end, end
    hint, exact = distance_hint(opts, outcomes)
    if exact and hint is not None:
        return hint, hint
    probed = max((o.ttl for o in hops), default=0)
    if hint is None or probed >= hint:
        return opts.max_ttl, None
    return hint, None


def next_wave(opts: TraceOptions, outcomes: Sequence[Outcome]) -> list[Wanted]:
    """The probes of the next wave of round 0 (empty: the trace is complete)."""
    if not any(o.role == "distance" for o in outcomes):
        return [Wanted("distance", opts.max_ttl, opts.flow)]
    limit, end = path_limit(opts, outcomes)
    hops = [o for o in outcomes if o.role == "hop"]
    sent = Counter(o.ttl for o in hops)
    answered = Counter(o.ttl for o in hops if o.answered)
    addrs: dict[int, set[str]] = {}
    for o in hops:
        if o.addr is not None:
            addrs.setdefault(o.ttl, set()).add(o.addr)
    wave: list[Wanted] = []
    # the first probe of every TTL, then the second ...: a rate-limited hop loses its last
    per_ttl: dict[int, int] = {}
    recheck: dict[int, int] = {}
    for ttl in range(opts.first, limit + 1):
        if ttl == end and sent[ttl] and not answered[ttl]:
            # the destination answered the distance probe but none of these: its ICMP
            # rate limit, or loss; ask again once the rest is done, after a pause
            if sent[ttl] < opts.queries * (1 + opts.retries):
                recheck[ttl] = opts.queries
        elif not opts.multipath or ttl == end:
            per_ttl[ttl] = max(0, opts.queries - sent[ttl])
        else:
            k = len(addrs.get(ttl, ()))
            need = mda.more_probes(k, answered[ttl], sent[ttl], opts.confidence)
            per_ttl[ttl] = max(0, min(need, MDA_MAX_PROBES - sent[ttl]))
    if not any(per_ttl.values()):
        per_ttl = recheck
    for i in range(max(per_ttl.values(), default=0)):
        for ttl, count in per_ttl.items():
            if i < count:
                flow = opts.flow + sent[ttl] + i if opts.multipath else opts.flow
                wave.append(Wanted("hop", ttl, flow))
    return wave


def pause_before(outcomes: Sequence[Outcome], wanted: Sequence[Wanted]) -> float:
    """Seconds to wait before sending ``wanted``: RECHECK_PAUSE when it only asks again
    TTLs that got no answer at all (hosts refill their ICMP rate limit about once a
    second), else 0."""
    if not wanted:
        return 0.0
    hops = [o for o in outcomes if o.role == "hop" and o.round == wanted[0].round]
    for w in wanted:
        at = [o for o in hops if o.ttl == w.ttl]
        if not at or any(o.answered for o in at):
            return 0.0
    return RECHECK_PAUSE


def round_wave(opts: TraceOptions, outcomes: Sequence[Outcome], round_: int) -> list[Wanted]:
    """The probes of round ``round_`` (1 ...): ``queries`` per TTL up to the end found so far."""
    limit, _ = path_limit(opts, outcomes)
    return [Wanted("hop", ttl, opts.flow, round_)
            for _ in range(opts.queries) for ttl in range(opts.first, limit + 1)]


def wave_wait(opts: TraceOptions, outcomes: Sequence[Outcome], distance: bool = False) -> float:
    """How long a wave waits for answers (s): NEAR times the slowest RTT seen, within bounds."""
    rtts = [o.rtt_ms for o in outcomes if o.rtt_ms is not None]
    if distance or not rtts:
        # nothing to go by yet: a second (an answer slower than that is still taken
        # while the engine waits for the probe's retry)
        return min(opts.wait, BLIND_WAIT)
    return min(opts.wait, max(FLOOR, NEAR * max(rtts) / 1000.0))
