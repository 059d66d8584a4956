"""The ICMP rate-limit estimator on synthetic timelines (pure).

``LinuxHost`` plays a host the way Linux rations ICMP errors per destination:
a bucket of ``burst`` tokens, one back every ``interval`` seconds, an error
only when a token is there. Probes to filtered ports cost nothing.
"""

from __future__ import annotations

import random

from netprobe.plugins.portscan.ratelimit import (
    PRIOR_INTERVAL,
    Attempt,
    Limit,
    credited,
    estimate,
    token_levels,
)

RTT = 0.0002


class LinuxHost:
    """A host whose ICMP errors are rate limited like Linux's (``inet_peer_xrlim_allow``)."""

    def __init__(self, closed: set[int], interval: float, burst: int = 6,
                 open_ports: frozenset[int] = frozenset()) -> None:
        self.closed = closed
        self.open = open_ports
        self.interval = interval
        self.burst = burst
        self.tokens = burst * interval  # kept in seconds, as the kernel keeps jiffies
        self.last = 0.0

    def probe(self, port: int, sent: float, arrival: float) -> Attempt:
        if port in self.open:
            return Attempt(port, sent, "reply", arrival + RTT / 2)
        if port not in self.closed:
            return Attempt(port, sent, "none")
        if self.interval == 0:
            return Attempt(port, sent, "error", arrival + RTT / 2)
        self.tokens = min(self.burst * self.interval, self.tokens + arrival - self.last)
        self.last = arrival
        if self.tokens >= self.interval:
            self.tokens -= self.interval
            return Attempt(port, sent, "error", arrival + RTT / 2)
        return Attempt(port, sent, "none")


def run_batch(host: LinuxHost, ports: list[int], stamp: float,
              per_packet: float = 0.00002) -> list[Attempt]:
    """Probes sent in one batch: one stamp, arriving a little apart."""
    attempts = []
    for k, port in enumerate(ports):
        a = host.probe(port, stamp, stamp + RTT / 2 + k * per_packet)
        attempts.append(Attempt(a.port, a.sent, a.outcome, a.received, seq=k))
    return attempts


def run_paced(host: LinuxHost, ports: list[int], start: float,
              spacing: float) -> list[Attempt]:
    return [host.probe(p, start + k * spacing, start + k * spacing + RTT / 2)
            for k, p in enumerate(ports)]


def refusal_credited(attempts: list[Attempt], flags: list[bool], closed: set[int]) -> bool:
    """True if some probe at a closed port went unanswered and was credited anyway."""
    return any(flag and a.port in closed for a, flag in zip(attempts, flags, strict=True))


def test_silences_count_once_a_token_is_sure() -> None:
    # a host never seen to ration errors may still have spent its tokens elsewhere:
    # its silences count once the slowest common limiter would have given one back
    host = LinuxHost(closed=set(range(1, 30)), interval=0.0)
    first = run_batch(host, list(range(1, 40)), 10.0)
    limit = estimate(first)
    assert not limit.limited and not limit.effective
    assert sum(a.outcome == "none" for a in first) == 10  # ports 30-39: filtered
    assert not any(credited(first, limit))
    soon = run_batch(host, list(range(30, 40)), 10.3)
    later = run_batch(host, list(range(30, 40)), 10.0 + 1.2 * PRIOR_INTERVAL)
    attempts = first + soon + later
    flags = credited(attempts, estimate(attempts))
    assert flags == [False] * (len(first) + len(soon)) + [True] * len(later)


def test_a_canary_after_silent_probes_proves_their_silence() -> None:
    host = LinuxHost(closed={1, 2}, interval=1.0)
    first = run_batch(host, [7, 1, 8, 2], 10.0)  # 7 and 8 filtered
    assert [a.outcome for a in first] == ["none", "error", "none", "error"]
    flags = credited(first, estimate(first))
    # 7 is followed by two errors in its batch, 8 by one: both met a token
    assert flags == [True, False, True, False]
    again = run_batch(host, [7, 8, 1], 10.1)  # port 1 again: the canary
    flags = credited(first + again, estimate(first + again))
    assert flags[4:] == [True, True, False]
    # without a canary after them, silences this soon after the errors do not count
    alone = run_batch(host, [7, 8], 10.2)
    flags = credited(first + again + alone, estimate(first + again + alone))
    assert flags[7:] == [False, False]


def test_first_burst_is_measured_and_not_yet_called_limited() -> None:
    host = LinuxHost(closed=set(range(1, 41)), interval=1.0)
    attempts = run_batch(host, list(range(1, 41)), 5.0)
    assert sum(a.outcome == "error" for a in attempts) == 6
    limit = estimate(attempts)
    # nothing proves yet that the silent ports are closed: no refusal is known
    assert limit == Limit(False, burst=6)


def _harvest(host: LinuxHost, ports: list[int], start: float, spacing: float,
             rounds: int) -> list[Attempt]:
    """A first batch, one batch retry, then paced rounds over the unanswered ports."""
    attempts = run_batch(host, ports, start)
    t = start + 1.05
    silent = [a.port for a in attempts if a.outcome == "none"]
    attempts += run_batch(host, silent, t)
    t += 0.1
    for _ in range(rounds):
        answered = {a.port for a in attempts if a.outcome != "none"}
        pending = [p for p in ports if p not in answered]
        if not pending:
            break
        batch = run_paced(host, pending[:40], t, spacing)
        attempts += batch
        t = batch[-1].sent + 0.1
    return attempts


def test_ipv4_interval_is_learnt_from_paced_probes() -> None:
    closed = set(range(1, 41))
    host = LinuxHost(closed, interval=1.0)
    attempts = _harvest(host, list(range(1, 41)), 0.0, 0.05, rounds=3)
    limit = estimate(attempts)
    assert limit.limited and limit.effective
    assert 0.9 <= limit.interval <= 1.1
    assert 0.5 <= limit.shortest < 1.0  # a time per token the real one exceeds
    assert limit.upper is None or limit.upper >= 1.0
    assert limit.burst == 6
    assert not refusal_credited(attempts, credited(attempts, limit), closed)


def test_ipv6_interval_is_learnt_too() -> None:
    closed = set(range(1, 101))
    host = LinuxHost(closed, interval=0.1)
    attempts = _harvest(host, list(range(1, 101)), 0.0, 0.025, rounds=4)
    limit = estimate(attempts)
    assert limit.limited
    assert 0.09 <= limit.interval <= 0.13
    assert limit.shortest < 0.1
    assert not refusal_credited(attempts, credited(attempts, limit), closed)


def test_filtered_ports_are_credited_once_tokens_are_sure() -> None:
    closed = set(range(1, 21))
    filtered = list(range(100, 105))
    host = LinuxHost(closed, interval=1.0)
    ports = list(range(1, 21)) + filtered
    attempts = _harvest(host, ports, 0.0, 0.25, rounds=12)
    limit = estimate(attempts)
    flags = credited(attempts, limit)
    assert not refusal_credited(attempts, flags, closed)
    # every closed port answered in the end, and the filtered ones got counted silences
    answered = {a.port for a in attempts if a.outcome == "error"}
    assert answered == closed
    counted = {a.port for a, f in zip(attempts, flags, strict=True) if f}
    assert counted == set(filtered)


def test_a_batch_spends_its_tokens_before_its_silences_count() -> None:
    # 3 tokens, a batch of 6 probes at closed ports: 3 answer, 3 are refused; in one batch
    # the order on the wire is unknown, so none of the silences may count
    closed = set(range(1, 7))
    host = LinuxHost(closed, interval=1.0, burst=3)
    first = run_paced(host, [50, 51], 0.0, 0.5)  # filtered ports, nothing spent
    batch = run_batch(host, list(range(1, 7)), 4.0)
    later = run_paced(host, list(range(1, 7)), 6.0, 1.2)
    attempts = first + batch + later
    limit = Limit(True, 1.0, 0.9, 3)
    flags = credited(attempts, limit)
    assert not refusal_credited(attempts, flags, closed)


def test_token_levels_are_lower_bounds_on_random_schedules() -> None:
    rng = random.Random(5)
    for trial in range(60):
        interval = rng.choice([0.1, 0.5, 1.0])
        burst = rng.choice([1, 3, 6])
        closed = set(rng.sample(range(1, 60), 40))
        host = LinuxHost(closed, interval, burst)
        attempts: list[Attempt] = []
        t = 0.0
        truth = []
        for _ in range(120):
            t += rng.choice([0.0005, interval / 8, interval / 3, interval * 1.5])
            port = rng.randrange(1, 60)
            # the true level the probe meets (before it spends anything)
            level = min(host.burst * host.interval,
                        host.tokens + (t + RTT / 2) - host.last) / interval
            truth.append(level)
            attempts.append(host.probe(port, t, t + RTT / 2))
        limit = estimate(attempts)
        if not limit.effective:
            continue
        if limit.upper is not None:
            assert limit.upper >= interval, (trial, limit)
        if limit.shortest is not None:
            assert limit.shortest < interval, (trial, limit)
        levels = token_levels(attempts, limit)
        for a, bound, real in zip(attempts, levels, truth, strict=True):
            if a.outcome == "none" and a.port in closed:
                assert bound < 1.0, (trial, a, bound, real)
