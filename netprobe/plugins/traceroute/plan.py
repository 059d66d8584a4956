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
   guessed distance, the TTLs up to ``max_ttl`` follow.
3. **multipath** (``--multipath``): more flows at every hop before the end
   until the MDA stopping rule holds for the addresses seen there, each wave
   sized to what the hop's routers can still answer (:func:`mda.flows_for`
   over the tokens :mod:`ratelimit` thinks they have left).
4. **paced** waves, once nothing else is left to send: routers run out of
   ICMP tokens (:mod:`ratelimit`). A hop that is silent below a hop that
   answers, in a trace whose routers show they are dry, is asked again
   after its limiter has refilled; a limited MDA hop gets its next flows one
   refill later, as many as one token per router answers, while each pause
   still brings answers. A silent hop in a trace without rate limiting costs
   no pause, nor does a destination that answered the distance probe but
   none of the path's probes (that answer stands for its line).
5. **rounds** (``--rounds N``): the path wave again, N times in all, for
   loss and RTT statistics.

Each wave waits for its answers an RTO computed from the round trips
measured so far (SRTT + 4 RTTVAR, RFC 6298, one sample per wave; at least
twice the slowest and a floor, ``FLOOR`` until a router's answer was timed
and ``MEASURED_FLOOR`` after; at most ``--wait``), or ``BLIND_WAIT`` while none is
known; the engine retries unanswered probes ``--retries`` times within the
wave, and a wave whose probes are all answered ends at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from netprobe.plugins.traceroute import mda, ratelimit
from netprobe.plugins.traceroute.hops import Outcome, quoted_distance, terminal_ttl
from netprobe.plugins.traceroute.replies import TIME_EXCEEDED, hops_back

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue

#: a wave waits at least this (s) until a router's answer was timed: routers answer
#: from their slow path, which a destination's answer (the first sample) may not show
FLOOR = 0.03
#: ... and at least this (s) once one was: the RTO then covers the slow path, and the
#: floor is only for the clock and the scheduler (answers land in the socket buffer
#: meanwhile, and the loop reads them before it gives a probe up)
MEASURED_FLOOR = 0.01
#: ... and twice the slowest round trip seen (queues and slow paths jitter)
SLOWEST_FACTOR = 2.0
#: RFC 6298's clock granularity G (ms) in SRTT + max(G, 4 RTTVAR)
GRANULARITY_MS = 1.0
#: how long (s) a wave waits before any round trip was measured (RFC 6298's first RTO)
BLIND_WAIT = 1.0
#: hops added after a distance guessed from a reply's own TTL (paths may be asymmetric)
GUESS_MARGIN = 2
#: probes per hop at most under --multipath
MDA_MAX_PROBES = 96
#: waves at most in one trace (rounds apart): paced waves get one answer per router
#: and second from exhausted IPv4 limiters, and MDA may need a dozen of them
MAX_WAVES = 32


class TraceOptions(NamedTuple):
    """Everything that decides what a trace sends and how its answers read.

    Saved with ``--save`` as the run's interpretation options (:meth:`to_dict`: a
    NamedTuple is a tuple, which JSON would write as a list).
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

    def to_dict(self) -> dict[str, str | int | float | bool]:
        """JSON form (what ``--save`` stores)."""
        return self._asdict()

    @classmethod
    def from_dict(cls, d: Mapping[str, JSONValue]) -> TraceOptions:
        """Read back :meth:`to_dict` (unknown keys are ignored)."""
        names = cls._fields
        return cls(**{k: v for k, v in d.items() if k in names})

    @property
    def engine_retries(self) -> int:
        """Retries the engine makes per hop probe: none over rounds (loss is what they
        measure) nor under MDA (it counts answered flows and sends new ones where
        answers are missing: a retry would only repeat a flow, after one more RTO)."""
        return 0 if self.rounds > 1 or self.multipath else self.retries


class Wanted(NamedTuple):
    """A probe to send: its role, TTL, flow and round."""

    role: str
    ttl: int
    flow: int
    round: int = 0
    paced: bool = False


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
    """The probes of the next wave of round 0 (empty: the trace is complete).

    Probes that need no pause (first probes of a TTL, more MDA flows within
    the routers' budgets) go first; once none is left, the probes that must
    wait for rate limiters to refill (:func:`pause_before`) make a *paced*
    wave: a suspect TTL asked again, more flows for a limited MDA hop.
    """
    if not any(o.role == "distance" for o in outcomes):
        return [Wanted("distance", opts.max_ttl, opts.flow)]
    limit, end = path_limit(opts, outcomes)
    hops = [o for o in outcomes if o.role == "hop" and o.round == 0]
    tally = ratelimit.tallies(hops)
    states = ratelimit.classify(hops, opts.family, end, end is not None)
    fresh: dict[int, int] = {}
    paced: dict[int, int] = {}
    spent = ratelimit.answers_by_addr(tally)
    for ttl in range(opts.first, limit + 1):
        t = tally.get(ttl)
        plain = not opts.multipath or ttl == end
        if t is None:
            fresh[ttl] = opts.queries if plain else mda.more_probes(0, 0, 0, opts.confidence)
            continue
        state = states[ttl]
        if state == ratelimit.SUSPECT:
            # silent below a hop that answers, in a trace that shows rate limits
            paced[ttl] = opts.queries if ttl == end else 1
        elif plain:
            fresh[ttl] = max(0, opts.queries - t.sent)
        else:
            _mda_more(opts, t, state, spent, fresh, paced)
    if paced and not any(fresh.values()):
        # the pause is paid anyway: silent TTLs below an answer ride along, once
        for ttl in ratelimit.recheckable(tally, opts.family, end, end is not None):
            paced.setdefault(ttl, opts.queries if ttl == end else 1)
    chosen, is_paced = (fresh, False) if any(fresh.values()) else (paced, True)
    wave: list[Wanted] = []
    # the first probe of every TTL, then the second ...: a rate-limited hop loses its last
    for i in range(max(chosen.values(), default=0)):
        for ttl, count in chosen.items():
            if i < count:
                sent = tally[ttl].sent if ttl in tally else 0
                flow = opts.flow + sent + i if opts.multipath else opts.flow
                wave.append(Wanted("hop", ttl, flow, paced=is_paced))
    return wave


def _mda_more(opts: TraceOptions, t: ratelimit.Tally, state: str, spent: Counter,
              fresh: dict[int, int], paced: dict[int, int]) -> None:
    """More flows for an MDA hop, within what its routers can answer now or after a pause."""
    seen = len(t.by_addr)
    need = mda.more_probes(seen, t.answered, t.sent, opts.confidence)
    room = MDA_MAX_PROBES - t.sent
    if need <= 0 or room <= 0 or not seen:
        return
    refilled = (1,) * seen  # one token per router after a pause
    if state == ratelimit.ANSWERING:
        now = mda.flows_for(ratelimit.budgets_left(t, spent), need, opts.confidence, room)
        if now:
            fresh[t.ttl] = now
            return
    elif state == ratelimit.LIMITED:
        last = t.last_paced_answers()
        if last is not None and last == 0:
            return  # a pause brought nothing: whatever is missing does not answer
    paced[t.ttl] = mda.flows_for(refilled, need, opts.confidence, room)


def pause_before(opts: TraceOptions, outcomes: Sequence[Outcome],
                 wanted: Sequence[Wanted]) -> float:
    """Seconds to wait before sending ``wanted``: none unless it is a paced wave, else
    the longest refill its TTLs need (a silent TTL's next pause in the recheck
    schedule, a limited one's refill time for one token)."""
    if not wanted or not wanted[0].paced:
        return 0.0
    hops = [o for o in outcomes if o.role == "hop" and o.round == 0]
    tally = ratelimit.tallies(hops)
    refill = ratelimit.REFILL_S.get(opts.family, ratelimit.REFILL_S[4])
    pauses = []
    for ttl in {w.ttl for w in wanted}:
        t = tally.get(ttl)
        pauses.append(refill if t is not None and t.answered
                      else ratelimit.recheck_pause(t, opts.family))
    return max(pauses)


def round_wave(opts: TraceOptions, outcomes: Sequence[Outcome], round_: int) -> list[Wanted]:
    """The probes of round ``round_`` (1 ...): ``queries`` per TTL up to the end found so far."""
    limit, _ = path_limit(opts, outcomes)
    return [Wanted("hop", ttl, opts.flow, round_)
            for _ in range(opts.queries) for ttl in range(opts.first, limit + 1)]


def rto(samples_ms: Sequence[float]) -> float | None:
    """Retransmission timeout (s) from round-trip samples in the order they were sent:
    SRTT + max(G, 4 RTTVAR) as RFC 6298 computes it, or None without a sample."""
    if not samples_ms:
        return None
    srtt = samples_ms[0]
    rttvar = srtt / 2.0
    for r in samples_ms[1:]:
        rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
        srtt = 0.875 * srtt + 0.125 * r
    return (srtt + max(GRANULARITY_MS, 4.0 * rttvar)) / 1000.0


def wave_wait(opts: TraceOptions, outcomes: Sequence[Outcome], distance: bool = False) -> float:
    """How long a wave waits for answers (s): the RTO of the round trips measured so far,
    never under ``SLOWEST_FACTOR`` times the slowest nor the floor (``FLOOR``, or
    ``MEASURED_FLOOR`` once a router's time-exceeded was timed), nor over ``--wait``;
    ``BLIND_WAIT`` (RFC 6298's first RTO) before any was measured.

    The RTO takes one sample per wave (its slowest answer), in wave order: the
    answers of one wave come back together, and fed one by one they would
    shrink the variance to nothing within a single round trip.
    """
    slowest: dict[int, float] = {}
    routers = False
    for o in outcomes:
        if o.rtt_ms is not None:
            slowest[o.wave] = max(o.rtt_ms, slowest.get(o.wave, 0.0))
            routers = routers or o.kind == TIME_EXCEEDED
    samples = [slowest[w] for w in sorted(slowest)]
    timeout = rto(samples)
    if distance or timeout is None:
        return min(opts.wait, BLIND_WAIT)
    floor = MEASURED_FLOOR if routers else FLOOR
    return min(opts.wait, max(floor, timeout, SLOWEST_FACTOR * max(samples) / 1000.0))
