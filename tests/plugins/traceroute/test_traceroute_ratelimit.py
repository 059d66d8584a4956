"""The rate-limit classifier, on hand-written outcomes and on traces recorded in the lab.

The recordings (``data/*.pcapng``, written by ``traceroute --save``) are real
answers from Linux routers with stock ICMP rate limits (``icmp_ratelimit``
1000 ms, a burst of 6), taken in the practice lab right after other traces
had spent the routers' tokens. What each hop *is* comes from the lab's
topology (``lab status``): r1, r2, an ECMP hop (r3a or r3b), r4 which never
sends ICMP, and the far host. So the expected states below are facts about
the network, not figures our code produced.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netprobe.engine.runfile import load_run
from netprobe.plugins.traceroute import plan, ratelimit
from netprobe.plugins.traceroute.hops import Outcome
from netprobe.plugins.traceroute.interpret import outcomes, report
from netprobe.plugins.traceroute.plan import TraceOptions
from netprobe.plugins.traceroute.ratelimit import ANSWERING, LIMITED, SILENT, SUSPECT

DATA = Path(__file__).parent / "data"
TE = "time-exceeded"
#: the lab's path to the far host (lab status --json, path.hops)
LAB = {1: {"198.18.1.1"}, 2: {"198.18.101.2"}, 3: {"198.18.102.2", "198.18.103.2"},
       4: set(), 5: {"198.19.2.10"}}


def o(ttl: int, addr: str | None, wave: int = 1, paced: bool = False, n: int = 0,
      kind: str = TE, role: str = "hop", quoted: int | None = None) -> Outcome:
    if addr is None:
        return Outcome(ttl=ttl, wave=wave, paced=paced, n=n, role=role)
    return Outcome(ttl=ttl, wave=wave, paced=paced, n=n, addr=addr, kind=kind, rtt_ms=1.0,
                   role=role, quoted_ttl=quoted)


def path(*hops: tuple[int, list[str | None]]) -> list[Outcome]:
    return [o(ttl, a) for ttl, addrs in hops for a in addrs]


def test_a_lone_silent_router_is_silent_and_costs_no_pause() -> None:
    found = path((1, ["r1"] * 3), (2, ["r2"] * 3), (3, [None] * 3), (4, ["dst"] * 3))
    states = ratelimit.classify(found, 4, end=4, end_known=True)
    assert states == {1: ANSWERING, 2: ANSWERING, 3: SILENT, 4: ANSWERING}


def test_answers_that_stop_after_a_burst_mark_the_hop_and_leave_a_silent_one_silent() -> None:
    """Every router of the path got as many probes: r1 had a token left, so r3, which
    answered none, is silent rather than dry."""
    found = path((1, ["r1", None, None]), (2, ["r2"] * 3), (3, [None] * 3), (4, ["dst"] * 3))
    states = ratelimit.classify(found, 4, end=4, end_known=True)
    assert states == {1: LIMITED, 2: ANSWERING, 3: SILENT, 4: ANSWERING}
    # ... but worth asking again when a pause is paid anyway
    assert ratelimit.recheckable(ratelimit.tallies(found), 4, 4, True) == [3]
    far = o(30, "dst", role="distance", kind="port-unreach", quoted=27)  # 4 hops away
    assert plan.next_wave(TraceOptions(dst="dst"), [far, *found]) == []


def test_a_silent_router_asked_again_after_the_pause_stays_silent() -> None:
    found = path((1, [None] * 3), (2, ["r2"] * 3), (3, [None] * 3), (4, ["dst"] * 3))
    assert ratelimit.classify(found, 4, end=4, end_known=True)[3] == SUSPECT
    found += [o(1, "r1", wave=2, paced=True), o(3, None, wave=2, paced=True)]
    assert ratelimit.classify(found, 4, end=4, end_known=True) == {
        1: LIMITED, 2: ANSWERING, 3: SILENT, 4: ANSWERING}


def test_a_paced_mda_wave_takes_the_silent_hops_along() -> None:
    opts = TraceOptions(dst="dst", multipath=True)
    found = [o(30, "dst", role="distance", kind="port-unreach", quoted=26)]
    found += [o(1, a, n=i) for i, a in enumerate(["r1", "r1", None, None, None, None])]
    found += [o(2, "r2", n=i) for i in range(6)]
    found += [o(3, None, n=i) for i in range(6)]
    found += [o(4, None, n=i) for i in range(6)]  # r4: silent like r3
    found += [o(5, "dst", n=i, kind="port-unreach") for i in range(3)]
    # r1 is dry, yet r3 and r4 silent: two silent routers, they may be dry too
    wave = plan.next_wave(opts, found)
    assert {w.ttl for w in wave} == {1, 3, 4} and all(w.paced for w in wave)
    assert sum(w.ttl == 1 for w in wave) == 1  # one token refilled, one flow
    assert plan.pause_before(opts, found, wave) == 1.0


def test_two_silent_routers_below_an_answer_are_suspect() -> None:
    found = path((1, [None] * 3), (2, [None] * 3), (3, ["r3"] * 3), (4, ["dst"] * 3))
    assert ratelimit.classify(found, 4, end=4, end_known=True) == {
        1: SUSPECT, 2: SUSPECT, 3: ANSWERING, 4: ANSWERING}


def test_silence_past_the_last_answer_is_no_rate_limit() -> None:
    found = path((1, ["r1", None, None]), (2, [None] * 3), (3, [None] * 3))
    states = ratelimit.classify(found, 4)
    assert states == {1: LIMITED, 2: SILENT, 3: SILENT}


def test_the_destinations_own_limit_is_not_the_routers() -> None:
    found = path((1, ["r1"] * 3), (2, [None] * 3), (3, ["dst", None, None]))
    assert ratelimit.classify(found, 4, end=3, end_known=True) == {
        1: ANSWERING, 2: SILENT, 3: LIMITED}


def test_ipv6_gets_a_longer_second_pause_only_when_the_first_brought_nothing() -> None:
    found = path((1, [None] * 3), (2, [None] * 3), (3, ["dst"] * 3))
    assert set(ratelimit.classify(found, 6, end=3, end_known=True).values()) == {
        SUSPECT, ANSWERING}
    nothing = [*found, o(1, None, 2, True), o(2, None, 2, True)]
    assert ratelimit.classify(nothing, 6, end=3, end_known=True)[2] == SUSPECT
    t = ratelimit.tallies(nothing)[2]
    assert ratelimit.recheck_pause(t, 6) == ratelimit.RECHECK_PAUSES[6][1] == 1.0
    one_answer = [*found, o(1, "r1", 2, True), o(2, None, 2, True)]
    states = ratelimit.classify(one_answer, 6, end=3, end_known=True)
    assert states[1] == LIMITED and states[2] == SILENT


def test_budgets_left_count_a_burst_down() -> None:
    tally = ratelimit.tallies(path((3, ["a", "a", "b", "a"]), (4, ["b", "c"])))
    t = tally[3]
    assert sorted(ratelimit.budgets_left(t)) == [ratelimit.BURST - 3, ratelimit.BURST - 1]
    # b also answered at TTL 4: one router, one bucket
    spent = ratelimit.answers_by_addr(tally)
    assert spent == {"a": 3, "b": 2, "c": 1}
    assert ratelimit.budgets_left(t, spent) == (ratelimit.BURST - 3, ratelimit.BURST - 2)


# -- recorded in the lab ------------------------------------------------------------------


def recorded(name: str) -> tuple[TraceOptions, list[Outcome], list[dict]]:
    file = DATA / name
    if not file.exists():
        pytest.skip(f"recording {file} is missing")
    run = load_run(str(file))
    opts = TraceOptions.from_dict(run.options)
    return opts, outcomes(run.results), list(report(run, {}))


def check_lab_path(records: list[dict]) -> None:
    hops = {r["ttl"]: r for r in records if r["type"] == "hop"}
    assert sorted(hops) == sorted(LAB)
    for ttl, addrs in LAB.items():
        got = set(hops[ttl]["addrs"])
        assert got <= addrs and (bool(got) == bool(addrs)), (ttl, got)
    assert records[-1]["reached"] is True


def test_recorded_routers_silent_after_a_multipath_then_answering_after_the_pause() -> None:
    opts, found, records = recorded("after_multipath_tcp4.pcapng")
    check_lab_path(records)
    end = 5
    # (TCP: the distance was guessed from the SYN/ACK's TTL, 2 more TTLs were probed)
    states = {t: s for t, s in ratelimit.classify(found, 4, end, True).items() if t <= end}
    # r1, r2 and r3 had spent their burst: nothing until their limiter refilled
    assert states == {1: LIMITED, 2: LIMITED, 3: LIMITED, 4: SILENT, 5: ANSWERING}
    hops = {r["ttl"]: r for r in records if r["type"] == "hop"}
    assert [h["rate_limited"] for h in hops.values()] == [True, True, True, False, False]
    # the planner, shown only what the first path wave got, asks each silent TTL once
    # more after a full refill
    first = [x for x in found if x.wave <= 1]
    states = {t: s for t, s in ratelimit.classify(first, 4, end, True).items() if t <= end}
    assert states == {
        1: SUSPECT, 2: SUSPECT, 3: SUSPECT, 4: SUSPECT, 5: ANSWERING}
    again = plan.next_wave(opts, first)
    assert sorted(w.ttl for w in again) == [1, 2, 3, 4] and all(w.paced for w in again)
    assert plan.pause_before(opts, first, again) == 1.0
    assert plan.next_wave(opts, found) == []


def test_recorded_answers_that_stop_after_a_burst() -> None:
    opts, found, records = recorded("third_trace_back_to_back_tcp4.pcapng")
    check_lab_path(records)
    states = ratelimit.classify(found, 4, 5, True)
    assert states[1] == states[2] == LIMITED and states[4] == SILENT
    r4 = [x for x in found if x.ttl == 4 and x.role == "hop"]
    assert not any(x.answered for x in r4)
    assert plan.next_wave(opts, found) == []
    # r1 and r2 still had a token: the silent r4, probed as often, is not dry
    first = [x for x in found if x.wave <= 1]
    assert ratelimit.classify(first, 4, 5, True)[4] == SILENT
    assert plan.next_wave(opts, first) == []


def test_recorded_destination_limit_costs_no_pause() -> None:
    opts, found, records = recorded("second_trace_back_to_back_udp4.pcapng")
    check_lab_path(records)
    states = ratelimit.classify(found, 4, 5, True)
    assert states[5] == LIMITED and states[4] == SILENT
    assert not any(x.paced for x in found)
    assert plan.next_wave(opts, found) == []
