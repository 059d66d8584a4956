"""ICMP rate limits: what a stock router allows, and which hops of a trace look limited. Pure.

A Linux router answers time-exceeded and unreachable messages to one peer
from a token bucket: a burst of ``BURST`` (the kernel's XRLIM_BURST_FACTOR),
then one per ``net.ipv4.icmp_ratelimit`` (1000 ms) for IPv4, or one per
``net.ipv6.icmp.ratelimit`` (100 ms, shortened for short routes) for IPv6.
A message it may not send costs it nothing. Echo replies, SYN/ACKs and
resets are not limited.

So a hop of a trace can look like a silent router while it is only out of
tokens (another trace just spent them). A hop is read as:

``answering``  every probe sent to it was answered;
``limited``    answers that stop after a burst (some of its probes answered,
               others not), answers that came only after a pause, or a
               destination that answered the distance probe and none of
               the path's;
``suspect``    no answer, below a hop that answers (a deeper TTL, or the
               destination), while the trace shows rate limiting: worth
               probing again once the limiter has refilled;
``silent``     no answer, and no reason to think it is only limited (or
               asked again after every pause of the schedule).

The routers of the trace show they are out of tokens when one of them
answered only after a pause, or when two TTLs or more below the last answer
are silent (one silent router on a path is common; two are rare, and dry
routers look like that). With neither, a silent hop costs no pause. Answers
that stop after a burst mark their own hop limited but are no such sign: a
trace sends every router on its path as many probes, so routers that still
had a token or two show that a completely silent one is silent, not dry.
When a pause is paid anyway (a limited MDA hop), the silent TTLs below an
answer are asked again in the same wave (:func:`recheckable`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from netprobe.plugins.traceroute.hops import Outcome

#: ICMP errors a stock Linux router sends one peer at once (then one per refill)
BURST = 6
#: seconds per token of a stock limiter (IPv6: at most; short routes refill faster)
REFILL_S = {4: 1.0, 6: 0.1}
#: pauses (s) before each recheck of a silent hop, per family: a stock limiter has
#: refilled after the first; the second, for IPv6 limiters set as IPv4's, only when
#: the first recheck brought no answer at all
RECHECK_PAUSES = {4: (1.0,), 6: (0.1, 1.0)}

ANSWERING = "answering"
LIMITED = "limited"
SUSPECT = "suspect"
SILENT = "silent"


class Tally:
    """What the probes of one TTL (round 0) got, wave by wave: probes ``sent`` and
    ``answered``, answers ``by_addr``, ``waves`` (wave -> [sent, answered]) and the
    ``paced`` waves (sent after a pause: rate-limit rechecks) that probed this TTL."""

    __slots__ = ("answered", "by_addr", "paced", "sent", "ttl", "waves")

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl
        self.sent = 0
        self.answered = 0
        self.by_addr: Counter = Counter()
        self.waves: dict[int, list[int]] = {}
        self.paced: set[int] = set()

    @property
    def answered_after_pause(self) -> bool:
        """True when the TTL was silent before its first paced wave and answered in one."""
        if not self.paced:
            return False
        first = min(self.paced)
        before = [a for w, (_, a) in self.waves.items() if w < first]
        return bool(before) and not any(before) and any(
            self.waves[w][1] for w in self.paced)

    def last_paced_answers(self) -> int | None:
        """Answers in the latest paced wave at this TTL (None: never paced)."""
        return self.waves[max(self.paced)][1] if self.paced else None


def tallies(outcomes: Iterable[Outcome]) -> dict[int, Tally]:
    """The :class:`Tally` of every TTL that hop probes of round 0 went to."""
    out: dict[int, Tally] = {}
    for o in outcomes:
        if o.role != "hop" or o.round:
            continue
        t = out.setdefault(o.ttl, Tally(o.ttl))
        t.sent += 1
        counts = t.waves.setdefault(o.wave, [0, 0])
        counts[0] += 1
        if o.answered:
            t.answered += 1
            counts[1] += 1
            if o.addr is not None:
                t.by_addr[o.addr] += 1
        if o.paced:
            t.paced.add(o.wave)
    return out


def deepest_answer(tally: dict[int, Tally], end: int | None, end_known: bool) -> int | None:
    """The deepest TTL known to answer: the end when the destination is known to answer."""
    answering = [ttl for ttl, t in tally.items() if t.answered]
    if end is not None and end_known:
        answering.append(end)
    return max(answering, default=None)


def evidence(tally: dict[int, Tally], end: int | None, end_known: bool = False) -> bool:
    """True when the routers of the trace show ICMP rate limiting (the module's rules).

    The destination's own limiter (its TTL, ``end``) says nothing about the
    routers': it is left out.
    """
    routers = {ttl: t for ttl, t in tally.items() if ttl != end}
    if any(t.answered_after_pause for t in routers.values()):
        return True
    deepest = deepest_answer(tally, end, end_known)
    if deepest is None:
        return False
    silent = [ttl for ttl, t in routers.items() if ttl < deepest and t.sent and not t.answered]
    return len(silent) >= 2


def rechecks(t: Tally) -> int:
    """How many paced waves have asked this TTL again."""
    return len(t.paced)


def recheckable(tally: dict[int, Tally], family: int, end: int | None = None,
                end_known: bool = False) -> list[int]:
    """The silent TTLs worth asking again after a pause: below a hop that answers (or
    the destination, known to answer), with a pause of the schedule left for them.
    Never the destination's own TTL: when it is known to answer, its answer to the
    distance probe stands for that line (:func:`hops.assemble`)."""
    deepest = deepest_answer(tally, end, end_known)
    if deepest is None:
        return []
    schedule = RECHECK_PAUSES.get(family, RECHECK_PAUSES[4])
    # a longer pause of the schedule is worth it only when the shorter brought nothing
    paced_answered = any(t.waves[w][1] for t in tally.values() for w in t.paced)
    out = []
    for ttl, t in tally.items():
        done = rechecks(t)
        if (t.sent and not t.answered and ttl < deepest and ttl != end
                and done < len(schedule) and not (done and paced_answered)):
            out.append(ttl)
    return out


def classify(outcomes: Iterable[Outcome], family: int, end: int | None = None,
             end_known: bool = False) -> dict[int, str]:
    """Each probed TTL's state: ``answering``, ``limited``, ``suspect`` or ``silent``.

    ``end`` is the TTL of the destination when known; ``end_known`` says the
    destination answered (the distance probe), so a silent end TTL is only
    limited (its ICMP errors) or lossy.
    """
    tally = tallies(outcomes)
    states = {ttl: ANSWERING if t.answered == t.sent else LIMITED if t.answered else SILENT
              for ttl, t in tally.items()}
    if end_known and states.get(end) == SILENT:
        states[end] = LIMITED  # it answered the distance probe, not these: out of tokens
    candidates = recheckable(tally, family, end, end_known)
    if candidates and evidence(tally, end, end_known):
        for ttl in candidates:
            states[ttl] = SUSPECT
    return states


def recheck_pause(t: Tally | None, family: int) -> float:
    """Seconds to wait before asking ``t``'s TTL again (its next pause in the schedule)."""
    schedule = RECHECK_PAUSES.get(family, RECHECK_PAUSES[4])
    done = rechecks(t) if t is not None else 0
    return schedule[min(done, len(schedule) - 1)]


def budgets_left(t: Tally, spent: Counter | None = None) -> tuple[int, ...]:
    """Tokens each address of the hop is thought to have left: a full burst at the
    start, less what it answered (``spent``: answers per address over the whole
    trace, since one router may answer at several TTLs; else this hop's)."""
    spent = t.by_addr if spent is None else spent
    return tuple(max(0, BURST - spent[addr]) for addr in t.by_addr)


def answers_by_addr(tally: dict[int, Tally]) -> Counter:
    """How many answers each address gave over the whole trace (its tokens spent)."""
    total: Counter = Counter()
    for t in tally.values():
        total.update(t.by_addr)
    return total
