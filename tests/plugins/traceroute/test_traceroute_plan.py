"""The wave planner, on hand-written outcomes."""

from __future__ import annotations

from collections import Counter

from netprobe.plugins.traceroute import mda, plan, ratelimit
from netprobe.plugins.traceroute.hops import Outcome
from netprobe.plugins.traceroute.plan import (
    TraceOptions,
    Wanted,
    distance_hint,
    next_wave,
    path_limit,
    round_wave,
    wave_wait,
)

DST = "198.19.2.10"
TE = "time-exceeded"


def opts(**kw: object) -> TraceOptions:
    return TraceOptions(dst=DST, **kw)  # type: ignore[arg-type]


def distance(kind: str | None, quoted: int | None = None, reply_ttl: int | None = 60,
             ttl: int = 30, rtt: float = 1.0) -> Outcome:
    if kind is None:
        return Outcome(ttl=ttl, role="distance")
    return Outcome(ttl=ttl, role="distance", addr=DST, kind=kind, rtt_ms=rtt,
                   reply_ttl=reply_ttl, quoted_ttl=quoted)


def hop(ttl: int, addr: str | None, kind: str = TE, flow: int = 0) -> Outcome:
    if addr is None:
        return Outcome(ttl=ttl, flow=flow)
    return Outcome(ttl=ttl, flow=flow, addr=addr, kind=kind, rtt_ms=1.0)


def test_a_trace_starts_with_one_distance_probe_at_the_max_ttl() -> None:
    assert next_wave(opts(flow=3), []) == [Wanted("distance", 30, 3)]


def test_a_quoted_ttl_gives_the_exact_distance() -> None:
    found = [distance("port-unreach", quoted=26)]
    assert distance_hint(opts(), found) == (5, True)
    wave = next_wave(opts(), found)
    assert Counter(w.ttl for w in wave) == {t: 3 for t in range(1, 6)}
    assert {w.flow for w in wave} == {0} and {w.role for w in wave} == {"hop"}
    # the first probe of every TTL goes before the second of any
    assert [w.ttl for w in wave[:5]] == [1, 2, 3, 4, 5]


def test_a_reply_ttl_gives_a_guess_with_a_margin() -> None:
    found = [distance("echo-reply", reply_ttl=60)]
    assert distance_hint(opts(), found) == (5 + plan.GUESS_MARGIN, False)
    assert max(w.ttl for w in next_wave(opts(), found)) == 5 + plan.GUESS_MARGIN


def test_no_distance_means_every_ttl() -> None:
    for d in (distance(None), distance(TE, quoted=1)):
        assert distance_hint(opts(), [d]) == (None, False)
        assert max(w.ttl for w in next_wave(opts(max_ttl=12), [d])) == 12


def test_hints_stay_within_first_and_max() -> None:
    assert distance_hint(opts(first=8), [distance("port-unreach", quoted=26)]) == (8, True)
    assert distance_hint(opts(max_ttl=4), [distance("echo-reply", reply_ttl=60)]) == (4, False)


def test_the_trace_is_done_when_every_ttl_to_the_end_has_its_probes() -> None:
    found = [distance("port-unreach", quoted=26)]
    found += [hop(t, f"r{t}") for t in (1, 2, 3) for _ in range(3)]
    found += [hop(4, None) for _ in range(3)]
    found += [hop(5, DST, "port-unreach") for _ in range(3)]
    assert path_limit(opts(), found) == (5, 5)
    assert next_wave(opts(), found) == []


def test_no_end_within_the_guess_extends_to_the_max() -> None:
    found = [distance("echo-reply", reply_ttl=60)]
    found += [hop(t, f"r{t}") for t in range(1, 8) for _ in range(3)]
    wave = next_wave(opts(max_ttl=10), found)
    assert Counter(w.ttl for w in wave) == {8: 3, 9: 3, 10: 3}


def test_multipath_sends_new_flows_until_the_rule_holds() -> None:
    o = opts(multipath=True, flow=100)
    found = [distance("port-unreach", quoted=26)]
    first = next_wave(o, found)
    per_ttl = Counter(w.ttl for w in first)
    assert per_ttl == {1: 6, 2: 6, 3: 6, 4: 6, 5: 3}  # 5 is the end: q probes
    assert sorted(w.flow for w in first if w.ttl == 3) == list(range(100, 106))
    # hop 3 answered from two addresses: it needs 11 answered flows; hop 4 stayed silent
    for w in first:
        addr = {1: "r1", 2: "r2", 4: None, 5: DST}.get(w.ttl, "r3a" if w.flow % 2 else "r3b")
        found.append(hop(w.ttl, addr, "port-unreach" if w.ttl == 5 else TE, w.flow))
    second = next_wave(o, found)
    # 5 more answers wanted from two routers with 3 tokens each: a few flows more than 5,
    # since the split between them is uneven (the exact count is mda.flows_for's)
    assert Counter(w.ttl for w in second) == {3: mda.flows_for((3, 3), 5)}
    assert 5 < len(second) <= 12
    assert sorted(w.flow for w in second) == list(range(106, 106 + len(second)))
    assert not any(w.paced for w in second)
    for w in second:
        found.append(hop(3, "r3a", TE, w.flow))
    assert next_wave(o, found) == []


def test_multipath_probes_per_hop_are_capped() -> None:
    o = opts(multipath=True)
    found = [distance("port-unreach", quoted=28)]  # end at 3
    found += [hop(1, f"a{i}", TE, i) for i in range(plan.MDA_MAX_PROBES)]  # always new
    found += [hop(2, "r2", TE, i) for i in range(6)]
    found += [hop(3, DST, "port-unreach", i) for i in range(3)]
    assert next_wave(o, found) == []


def test_rounds_probe_every_ttl_to_the_end() -> None:
    found = [distance("port-unreach", quoted=27), hop(1, "r1"), hop(2, "r2"),
             hop(3, None), hop(4, DST, "port-unreach")]
    wave = round_wave(opts(queries=2), found, 3)
    assert [(w.ttl, w.round) for w in wave] == [(t, 3) for _ in range(2) for t in (1, 2, 3, 4)]


def test_waves_wait_an_rto_from_the_round_trips_within_bounds() -> None:
    o = opts(wait=2.0)
    assert wave_wait(o, []) == plan.BLIND_WAIT == 1.0
    assert wave_wait(o, [hop(1, "r1")], distance=True) == plan.BLIND_WAIT
    assert wave_wait(opts(wait=0.2), []) == 0.2
    # 1 ms: the floor; the long one while only the destination's answer was timed
    assert wave_wait(o, [hop(4, DST, "port-unreach")]) == plan.FLOOR
    assert wave_wait(o, [hop(1, "r1")]) == plan.MEASURED_FLOOR < plan.FLOOR
    # one 150 ms sample: SRTT 150, RTTVAR 75 -> RTO 150 + 4 x 75 = 450 ms (RFC 6298)
    slow = Outcome(ttl=1, addr="r1", kind=TE, rtt_ms=150.0)
    assert wave_wait(o, [slow]) == 0.45
    assert wave_wait(opts(wait=0.3), [slow]) == 0.3
    # a wave's answers are one sample (its slowest): 40 of them in one wave are one
    one_wave = [Outcome(ttl=1, n=i, addr="r1", kind=TE, rtt_ms=100.0) for i in range(40)]
    assert wave_wait(o, one_wave) == 0.3
    # steady waves shrink RTTVAR: the wait comes down to twice the slowest
    steady = [Outcome(ttl=1, wave=i, addr="r1", kind=TE, rtt_ms=100.0) for i in range(40)]
    assert wave_wait(o, steady) == 0.2
    assert plan.rto([]) is None


def test_options_round_trip_and_rounds_and_mda_never_retry() -> None:
    o = opts(method="tcp", port=443, rounds=5, retries=2)
    assert TraceOptions.from_dict({**o.to_dict(), "unknown": 1}) == o
    assert o.engine_retries == 0 and opts(retries=2).engine_retries == 2
    assert opts(retries=2, multipath=True).engine_retries == 0


def test_a_destination_silent_to_the_path_probes_is_not_asked_again() -> None:
    o = opts(retries=1)
    found = [distance("port-unreach", quoted=26)]
    found += [hop(t, f"r{t}") for t in (1, 2, 3) for _ in range(3)]
    found += [hop(t, None) for t in (4, 5) for _ in range(3)]  # 5: rate-limited
    assert path_limit(o, found) == (5, 5)  # the quote placed it: no spraying up to 30
    # its answer to the distance probe stands for its line: no pause for it
    assert next_wave(o, found) == []
    assert ratelimit.classify(found, 4, 5, True)[5] == ratelimit.LIMITED


def test_paced_waves_wait_for_the_refill_their_ttls_need() -> None:
    found = [hop(t, None) for t in (1, 2) for _ in range(3)] + [hop(3, "r3")]
    again = [Wanted("hop", 1, 0, paced=True), Wanted("hop", 2, 0, paced=True)]
    assert plan.pause_before(opts(), found, again) == ratelimit.RECHECK_PAUSES[4][0] == 1.0
    assert plan.pause_before(opts(family=6), found, again) == ratelimit.RECHECK_PAUSES[6][0]
    found += [Outcome(ttl=t, wave=1, paced=True) for t in (1, 2)]
    assert plan.pause_before(opts(family=6), found, again) == ratelimit.RECHECK_PAUSES[6][1]
    assert plan.pause_before(opts(), found, [Wanted("hop", 3, 0)]) == 0.0  # not paced
    # a limited hop (it answered) waits one token's refill
    limited = [Wanted("hop", 3, 0, paced=True)]
    assert plan.pause_before(opts(family=6), found, limited) == ratelimit.REFILL_S[6]


def test_an_answer_to_the_recheck_ends_the_trace() -> None:
    found = [distance("port-unreach", quoted=26)]
    found += [hop(t, f"r{t}") for t in (1, 2, 3) for _ in range(3)]
    found += [hop(t, None) for t in (4, 5) for _ in range(3)]
    found += [hop(5, DST, "port-unreach")] + [hop(5, None)] * 2
    assert next_wave(opts(), found) == []


def test_multipath_flows_then_nothing_for_a_silent_destination() -> None:
    o = opts(multipath=True)
    found = [distance("port-unreach", quoted=27)]  # end at 4
    found += [hop(1, "r1", TE, f) for f in range(6)]
    found += [hop(2, "a" if f % 2 else "b", TE, f) for f in range(6)]
    found += [hop(3, None, TE, f) for f in range(6)]
    found += [hop(4, None, TE, f) for f in range(3)]  # rate-limited destination
    first = next_wave(o, found)
    assert Counter(w.ttl for w in first) == {2: mda.flows_for((3, 3), 5)}
    assert plan.pause_before(o, found, first) == 0.0
    found += [Outcome(ttl=2, flow=w.flow, wave=1, addr="a", kind=TE, rtt_ms=1.0)
              for w in first]
    assert next_wave(o, found) == []
