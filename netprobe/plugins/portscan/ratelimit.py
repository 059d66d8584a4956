"""Per-host ICMP error rate limiting, learnt from when the answers arrive (pure).

A closed UDP port is known only by the ICMP port-unreachable the host sends
back, and hosts ration those. Linux keeps, per destination of its ICMP errors
(so per scanner address), a token bucket: ``net.ipv4.icmp_ratelimit`` (1000 ms
by default) between errors once a burst of 6 is spent, for the ICMP types in
``net.ipv4.icmp_ratemask`` (destination unreachable among them); IPv6 uses
``net.ipv6.icmp.ratelimit`` (here 100 ms); ``icmp_msgs_per_sec`` and
``icmp_msgs_burst`` (1000/s, 50) cap all errors of the host together. Measured
in the lab (end hosts keep these defaults, ``lab status`` shows them): to a
burst of probes at closed ports an IPv4 host answers 6 at once, then one per
1.0 s; an IPv6 host 6, then one per 0.1 s. A scanner that sends faster and
waits a fixed time misses closed ports (nmap -T4 reports most of them
``open|filtered``); one that slows down blindly is slow everywhere.

Here the scan learns each host's limiter from its answers, and asks of every
silence whether it *counts*:

* ``estimate`` — a *refusal* is a probe that got no answer at a port that
  answered another probe with an ICMP error: the host would have answered,
  it had no token (or the packet was lost). Refusals mean the host is limited;
  the gaps between successive errors with refusals inside them measure the
  time per token.
* ``token_levels`` — a lower bound of the host's tokens when each probe
  arrived: forward, tokens grow at most one per ``interval * 1.25`` up to the
  burst and each error spends one; backward, ``k`` errors in the next ``d``
  seconds mean at least ``k - d / shortest`` tokens now (so a silent probe
  followed in its own batch by an error is met by a token: a *canary*, a
  known closed port probed right after silent ones, proves their silence).
* ``credited`` — a silent probe counts as evidence of silence only if the host
  surely had a token when it arrived (a closed port would have been answered).
  Until a host's answers measure its limiter, the slowest common one (Linux's
  IPv4 default) is assumed: the first silences of a host count about 1.25 s
  after its first probe, and only a limiter measured as negligible lets every
  silence count.

The UDP scan (``udp.py``) keeps probing the ports whose silences do not count
yet, at a pace the estimate gives, so that no closed port is taken for
``open|filtered`` and no port waits longer than the host's rate requires.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: seconds per token assumed for a limited host before a gap has been measured
#: (Linux's IPv4 default, the slowest common one)
PRIOR_INTERVAL = 1.0
#: tokens are assumed to come this much slower than measured (forward bound), and
#: this much slower than the prior (a kernel constant, counted in clock ticks)
SLOW_MARGIN = 1.25
PRIOR_MARGIN = 1.1
#: the fastest limiter assumed possible (seconds per token) where none is measured:
#: the backward bound lets tokens grow at most this fast between two stamps
FASTEST_INTERVAL = 0.001
#: a limiter this fast (seconds per token) is no constraint: treat the host as unlimited
NEGLIGIBLE_INTERVAL = 0.005
#: how many of the latest measuring gaps the interval is taken from
RECENT_GAPS = 15
#: errors closer than this belong to one burst (a burst spends stored tokens; the
#: burst size caps how many tokens the forward bound lets a host store)
BURST_GAP = 0.02

OUTCOMES = ("error", "reply", "none")


@dataclass(frozen=True)
class Attempt:
    """One probe to a host, as the estimator sees it.

    ``outcome``: ``"error"`` an ICMP error sent by the host itself (costs it a
    token), ``"reply"`` any other answer (a UDP reply, an error from a router),
    ``"none"`` no answer. Times are seconds on one clock (the engine's epoch);
    probes of one batch share a stamp and keep their order on the wire (``seq``).
    """

    port: int
    sent: float
    outcome: str
    received: float | None = None
    #: position among probes sent with the same stamp (one batch goes out in order)
    seq: int = 0


@dataclass(frozen=True)
class Limit:
    """What a host's answers say about its ICMP error rate limiting."""

    limited: bool
    #: seconds per token once the burst is spent (median measured gap), None if unmeasured
    interval: float | None = None
    #: a time per token the real one exceeds (the backward bound's safe rate)
    shortest: float | None = None
    #: the most errors seen in one burst
    burst: int = 0
    #: a time per token the real one does not exceed, None if unmeasured
    upper: float | None = None

    @property
    def effective(self) -> bool:
        """True when the limiter slows a scan (limited, and not negligibly)."""
        return self.limited and (self.interval is None or
                                 self.interval >= NEGLIGIBLE_INTERVAL)

    @property
    def pace_interval(self) -> float:
        """Seconds per token to plan with (the measured one, or the prior)."""
        return self.interval if self.interval is not None else PRIOR_INTERVAL

    def to_dict(self) -> dict:
        """JSON form (for reports and saved runs)."""
        return {"limited": self.limited, "interval": self.interval,
                "shortest": self.shortest, "upper": self.upper, "burst": self.burst}

    @property
    def slowest_interval(self) -> float:
        """A time per token to count on for sure: the measured upper bound, else the
        larger of the measured mean and the prior, with a margin."""
        if self.upper is not None:
            return self.upper * SLOW_MARGIN
        if self.interval is not None:
            return max(self.interval * SLOW_MARGIN, PRIOR_INTERVAL * PRIOR_MARGIN)
        return PRIOR_INTERVAL * PRIOR_MARGIN


def _half_rtt(attempts: Sequence[Attempt]) -> float:
    """Half the shortest round trip seen (the one-way delay both ways is about that)."""
    rtts = [a.received - a.sent for a in attempts
            if a.received is not None and a.received >= a.sent]
    return min(rtts) / 2 if rtts else 0.0


def _errors(attempts: Sequence[Attempt], half: float) -> list[tuple[float, float]]:
    """(emitted, sent) of every error the host sent, by emission time."""
    return sorted((a.received - half, a.sent) for a in attempts
                  if a.outcome == "error" and a.received is not None)


def _burst(emitted: Sequence[float], within: float) -> int:
    """The longest run of errors each less than ``within`` after the previous one."""
    if not emitted:
        return 0
    best = run = 1
    for a, b in itertools.pairwise(emitted):
        run = run + 1 if b - a < within else 1
        best = max(best, run)
    return best


def _saturated_gaps(errors: Sequence[tuple[float, float]], refusals: Sequence[float],
                    half: float) -> list[tuple[int, float, float]]:
    """(index, b - a, r - a) of every gap between errors ``a`` and ``b`` during which the
    host kept refusing: refusals (sent before b's probe: probes of one batch share a
    stamp and their order on the wire is unknown) arrived all along, no hole wider
    than half the gap, the latest at ``r``."""
    arrivals = [t + half for t in refusals]
    gaps = []
    for k in range(len(errors) - 1):
        (a, _), (b, b_sent) = errors[k], errors[k + 1]
        lo = bisect.bisect_right(arrivals, a)
        hi = bisect.bisect_left(refusals, b_sent)
        if hi <= lo:
            continue
        points = [a, *arrivals[lo:hi], b]
        upper = b - a
        if max(y - x for x, y in itertools.pairwise(points)) > upper / 2:
            continue
        gaps.append((k, upper, arrivals[hi - 1] - a))
    return gaps


def estimate(attempts: Sequence[Attempt]) -> Limit:
    """Whether the host limits its ICMP errors, and how fast its tokens come back.

    While the host keeps refusing, each token it grows is spent at once, so the
    errors come one per token interval ``T`` (give or take what was left over
    from before). A run of ``n`` such gaps spanning ``s`` seconds gives
    ``s / (n + 1) < T <= s / (n - 1)``: the interval is the mean gap of the
    latest runs, ``upper`` the smallest of their upper bounds; a refusal ``d``
    seconds after an error means ``T > d`` (``shortest``, their median).
    """
    for a in attempts:
        if a.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {a.outcome!r}")
    half = _half_rtt(attempts)
    errors = _errors(attempts, half)
    emitted = [e for e, _ in errors]
    closed = {a.port for a in attempts if a.outcome == "error"}
    refusals = sorted(a.sent for a in attempts if a.outcome == "none" and a.port in closed)
    if not refusals:
        return Limit(False, burst=_burst(emitted, BURST_GAP))
    gaps = _saturated_gaps(errors, refusals, half)[-RECENT_GAPS:]
    if not gaps:
        return Limit(True, burst=_burst(emitted, BURST_GAP))
    interval = sum(u for _, u, _ in gaps) / len(gaps)
    upper = None
    run_span, run_len, previous = 0.0, 0, None
    for k, u, _ in [*gaps, (None, 0.0, 0.0)]:
        if k is not None and previous is not None and k == previous + 1:
            run_span, run_len = run_span + u, run_len + 1
        else:
            if run_len >= 2:
                bound = run_span / (run_len - 1)
                upper = bound if upper is None else min(upper, bound)
            run_span, run_len = u, 1
        previous = k
    shortest = statistics.median(d for _, _, d in gaps)
    return Limit(True, interval, shortest, _burst(emitted, min(interval / 2, BURST_GAP)),
                 upper)


def token_levels(attempts: Sequence[Attempt], limit: Limit,
                 at: Sequence[float] | None = None) -> list[float]:
    """A lower bound of the host's tokens when each attempt arrived (or at times ``at``).

    Meaningful for a limited host; ``at`` times are on the probes' clock (as ``sent``).
    """
    # Events in the order the host met them: a probe's stamp, then its place in its
    # batch (a batch goes out in order, and one path keeps it); an error happens when
    # its probe arrives. Queries (a silent probe, or a time ``at``) sort after errors
    # of the same place.
    events: list[tuple[float, int, int, int]] = [
        (a.sent, a.seq, 0, -1) for a in attempts
        if a.outcome == "error" and a.received is not None]
    if at is None:
        events += [(a.sent, a.seq, 1, i) for i, a in enumerate(attempts)]
        n_queries = len(attempts)
    else:
        events += [(t, 1 << 62, 1, i) for i, t in enumerate(at)]
        n_queries = len(at)
    events.sort()
    queries = range(n_queries)
    fwd = [0.0] * len(queries)
    slow = limit.slowest_interval
    cap = float(max(limit.burst, 1))
    level = 0.0
    # the bucket is assumed empty when the first probe reached the host
    previous = min([a.sent for a in attempts] + [events[0][0]]) if events else 0.0
    for t, _, kind, i in events:
        level = min(cap, level + (t - previous) / slow)
        previous = t
        if kind == 0:
            level = max(level, 1.0) - 1.0
        else:
            fwd[i] = level
    bwd = [0.0] * len(queries)
    fast = limit.shortest or FASTEST_INTERVAL
    ahead = 0.0  # lower bound of tokens just before the next error (at ahead_t)
    ahead_t = math.inf
    for t, _, kind, i in reversed(events):
        decayed = 0.0 if ahead_t == math.inf else max(0.0, ahead - (ahead_t - t) / fast)
        if kind == 0:
            ahead, ahead_t = 1.0 + decayed, t
        else:
            bwd[i] = decayed
    return [max(f, b) for f, b in zip(fwd, bwd, strict=True)]


def credited(attempts: Sequence[Attempt], limit: Limit) -> list[bool]:
    """For each attempt: True when it went unanswered although the host could answer.

    Every host is assumed to ration its errors until its answers show how (a
    host never seen to send one may have spent its tokens on someone else's
    scan): a silence counts once the host surely had a token. Only a limiter
    measured to be negligible lets every silence count. Answered attempts never do.
    """
    if limit.interval is not None and not limit.effective:
        return [a.outcome == "none" for a in attempts]
    levels = token_levels(attempts, limit)
    return [a.outcome == "none" and level >= 1.0 for a, level in zip(attempts, levels,
                                                                        strict=True)]


def token_wait(attempts: Sequence[Attempt], limit: Limit, now: float) -> float:
    """Seconds from ``now`` until the host surely holds a token (0 when it does now)."""
    if limit.interval is not None and not limit.effective:
        return 0.0
    level = token_levels(attempts, limit, at=[now])[0] if attempts else 0.0
    return max(0.0, (1.0 - level) * limit.slowest_interval)
