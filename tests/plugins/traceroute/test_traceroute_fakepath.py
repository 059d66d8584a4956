"""Whole traces against the scripted path: waves, matching, MPLS, MDA, save and reprint.

The engine's real loop runs (in virtual time) against :mod:`fakepath`, so
what is checked here is what happens in a live trace: every ICMP error
reaches the probe it quotes (all three methods, IPv4 and IPv6), nothing is
left unmatched, and the records are the same after ``--save`` and
``interpret``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from netprobe.engine.runfile import SavedRun, load_run, save_run
from netprobe.packet import ICMP, IP, TCP, UDP, IPv6, dissect
from netprobe.plugins.traceroute.interpret import PLUGIN, render, report
from netprobe.plugins.traceroute.plan import TraceOptions
from netprobe.plugins.traceroute.probes import ProbeMaker
from netprobe.plugins.traceroute.render import text_lines
from netprobe.plugins.traceroute.run import Tracer
from netprobe.services.output import Output, json_line
from tests.plugins.traceroute.fakepath import ADDRS, R2_LABELS, FakePath, VirtualTime

METHODS = ("udp", "icmp", "tcp")
PORTS = {"udp": 33434, "tcp": 80, "icmp": 0}


def trace(vt: VirtualTime, method: str, family: int, **options: object):
    a = ADDRS[family]
    opts = TraceOptions(dst=a["dst"], family=family, method=method, port=PORTS[method],
                        **options)  # type: ignore[arg-type]
    maker = ProbeMaker(method, family, a["src"], a["dst"], opts.sport, opts.port)
    path = FakePath(vt, family)
    run = Tracer(opts, maker, path, path, sleep=vt.sleep, clock=vt.monotonic).trace()
    records = list(report(SavedRun(plugin=PLUGIN, options=opts.to_dict(),
                                   counters=run.counters.to_dict(), results=run.results), {}))
    return run, records, path


def hops(records: list[dict]) -> dict[int, dict]:
    return {r["ttl"]: r for r in records if r["type"] == "hop"}


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", METHODS)
def test_paris_trace_gives_the_path_and_matches_every_answer(vt: VirtualTime, method: str,
                                                             family: int) -> None:
    run, records, _ = trace(vt, method, family)
    a = ADDRS[family]
    by_ttl = hops(records)
    assert sorted(by_ttl) == [1, 2, 3, 4, 5]
    assert by_ttl[1]["addrs"] == [a["r1"]]
    assert by_ttl[2]["addrs"] == [a["r2"]]
    assert len(by_ttl[3]["addrs"]) == 1 and by_ttl[3]["addrs"][0] in (a["r3a"], a["r3b"])
    assert by_ttl[4]["addrs"] == [] and all(p["addr"] is None for p in by_ttl[4]["probes"])
    assert by_ttl[5]["addrs"] == [a["dst"]]
    want = {"udp": "port-unreach", "icmp": "echo-reply", "tcp": "syn-ack"}[method]
    assert {p["reply"] for p in by_ttl[5]["probes"]} == {want}
    for ttl in (1, 2, 3):
        assert {p["reply"] for p in by_ttl[ttl]["probes"]} == {"time-exceeded"}
        assert len(by_ttl[ttl]["probes"]) == 3
    end = records[-1]
    assert end["type"] == "path" and end["reached"] and end["hops"] == 5
    c = run.counters
    assert c.related_unmatched == 0 and c.duplicates == 0 and c.late == 0
    assert c.matched == c.received
    # matched to the right probe: the answer quotes exactly the probe it is paired with
    for r in run.results:
        if r.answer is None or r.tag.phase != "hop" or r.tag["ttl"] >= 5:
            continue
        # the second network header is the quote (IPerror / IPerror6: subclasses)
        quoted = [la for la in r.answer.chain() if isinstance(la, IP if family == 4 else IPv6)][1]
        probe = dissect(r.probe_bytes, 101)
        top = probe.payload
        qtop = quoted.payload
        assert isinstance(qtop, type(top))
        if isinstance(top, UDP):
            assert qtop.chksum == top.chksum
        elif isinstance(top, TCP):
            assert qtop.seq == top.seq
        else:
            assert qtop.seq == top.seq


@pytest.mark.parametrize("family", [4, 6])
def test_mpls_labels_quoted_by_a_router_show_on_its_hop(vt: VirtualTime, family: int) -> None:
    _, records, _ = trace(vt, "udp", family)
    by_ttl = hops(records)
    want = [{"addr": ADDRS[family]["r2"], "labels": [lab.to_dict() for lab in R2_LABELS]}]
    assert by_ttl[2]["mpls"] == want
    assert all(by_ttl[t]["mpls"] == [] for t in (1, 3, 4, 5))


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", METHODS)
def test_multipath_finds_both_branches(vt: VirtualTime, method: str, family: int) -> None:
    run, records, _ = trace(vt, method, family, multipath=True)
    a = ADDRS[family]
    by_ttl = hops(records)
    assert sorted(by_ttl[3]["addrs"]) == [a["r3a"], a["r3b"]]
    assert len(by_ttl[3]["probes"]) >= 11  # two branches seen: 11 flows at 95 %
    assert len({p["flow"] for p in by_ttl[3]["probes"]}) == len(by_ttl[3]["probes"])
    assert len(by_ttl[1]["probes"]) == 6 and by_ttl[1]["addrs"] == [a["r1"]]
    assert len(by_ttl[4]["probes"]) == 6 and by_ttl[4]["addrs"] == []
    assert records[-1]["reached"]
    assert run.counters.related_unmatched == 0


@pytest.mark.parametrize("method", METHODS)
def test_each_flow_takes_one_branch_every_time(vt: VirtualTime, method: str) -> None:
    seen = {}
    for flow in range(8):
        firsts = []
        for _ in range(2):
            _, records, _ = trace(vt, method, 4, flow=flow)
            addrs = hops(records)[3]["addrs"]
            assert len(addrs) == 1
            firsts.append(addrs[0])
        assert firsts[0] == firsts[1]
        seen[flow] = firsts[0]
    assert len(set(seen.values())) == 2  # the flows do not all hash alike


def test_the_distance_probe_keeps_probes_off_the_destination(vt: VirtualTime) -> None:
    run, _, path = trace(vt, "udp", 4)
    ttls = [dissect(d, 101)[IP].ttl for d in path.sent]
    assert ttls[0] == 30  # the distance probe
    assert max(ttls[1:]) == 5  # then nothing beyond the destination (4 routers away)
    assert run.waves == 2


def test_lost_answers_are_retried(vt: VirtualTime) -> None:
    a = ADDRS[4]
    opts = TraceOptions(dst=a["dst"], method="icmp", port=0)
    maker = ProbeMaker("icmp", 4, a["src"], a["dst"], opts.sport, 0)
    path = FakePath(vt, 4, lose={1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    run = Tracer(opts, maker, path, path, sleep=vt.sleep, clock=vt.monotonic).trace()
    records = list(report(SavedRun(plugin=PLUGIN, options=opts.to_dict(),
                                   counters=run.counters.to_dict(), results=run.results), {}))
    by_ttl = hops(records)
    for ttl in (1, 2, 3, 5):
        assert all(p["addr"] is not None for p in by_ttl[ttl]["probes"]), ttl
    assert run.counters.retries >= 16
    assert records[-1]["reached"]


def test_rounds_give_loss_and_rtt_statistics(vt: VirtualTime) -> None:
    _, records, _ = trace(vt, "icmp", 4, rounds=4, interval=0.5, queries=2)
    by_ttl = hops(records)
    assert by_ttl[1]["sent"] == 8 and by_ttl[1]["received"] == 8
    assert by_ttl[1]["loss_pct"] == 0.0
    assert by_ttl[4]["loss_pct"] == 100.0 and by_ttl[4]["rtt_avg_ms"] is None
    assert by_ttl[5]["rtt_min_ms"] == pytest.approx(1.0, abs=0.01)  # 5 hops of 0.2 ms
    assert by_ttl[5]["rtt_stddev_ms"] == pytest.approx(0.0, abs=0.01)
    assert {p["reply"] for p in by_ttl[5]["probes"]} == {"echo-reply"}
    assert records[-1]["rounds"] == 4


def test_saved_run_reprints_the_same_records(vt: VirtualTime, tmp_path: Path) -> None:
    run, records, _ = trace(vt, "tcp", 6, multipath=True)
    out = tmp_path / "trace.pcapng"
    save_run(str(out), run.results, plugin=PLUGIN, argv=["traceroute", "x"],
             options=run.options.to_dict(), counters=run.counters.to_dict())
    saved = load_run(str(out))
    again = list(report(saved, {}))
    assert "".join(map(json_line, again)) == "".join(map(json_line, records))
    # an override changes the interpretation, not the run
    flat = list(report(saved, {"multipath": False}))
    assert "flow" not in flat[0]["probes"][0]
    # the terminal form comes from the records alone, as the live command prints it
    shown = io.StringIO()
    render(again, Output(json=False, stdout=shown))
    assert shown.getvalue().splitlines() == text_lines(records, run.options)
    assert "multipath (MDA at 95 %)" in shown.getvalue().splitlines()[0]


def test_icmp_errors_about_other_probes_are_not_taken(vt: VirtualTime) -> None:
    """An error quoting a probe of the same flow that this trace never sent is no answer."""
    a = ADDRS[4]
    opts = TraceOptions(dst=a["dst"], method="udp")
    maker = ProbeMaker("udp", 4, a["src"], a["dst"], opts.sport, opts.port)
    path = FakePath(vt, 4)
    # a probe of the same flow with an identifier this trace does not use (not sent)
    stranger = maker.build(1, 0, 0xFFF0)
    reply = path.answer(stranger)
    assert reply is not None
    path.pending.append((0.0001, -1, reply[1]))
    run = Tracer(opts, maker, path, path, sleep=vt.sleep, clock=vt.monotonic).trace()
    assert run.counters.related_unmatched == 1
    ttl1 = [r for r in run.results if r.tag["ttl"] == 1 and r.tag.phase == "hop"]
    assert all(r.answer[ICMP].type == 11 for r in ttl1)
    assert all(dissect(r.probe_bytes, 101)[UDP].chksum != 0xFFF0 for r in ttl1)


def test_a_rate_limited_destination_costs_no_pause(vt: VirtualTime) -> None:
    a = ADDRS[4]
    opts = TraceOptions(dst=a["dst"], method="udp")
    maker = ProbeMaker("udp", 4, a["src"], a["dst"], opts.sport, opts.port)
    # the destination answers the distance probe, then nothing for a while
    path = FakePath(vt, 4, dst_quiet=(1e-4, 0.5))
    run = Tracer(opts, maker, path, path, sleep=vt.sleep, clock=vt.monotonic).trace()
    records = list(report(SavedRun(plugin=PLUGIN, options=opts.to_dict(),
                                   counters=run.counters.to_dict(), results=run.results), {}))
    by_ttl = hops(records)
    assert sorted(by_ttl) == [1, 2, 3, 4, 5]
    # its answer to the distance probe stands for its line, after the 3 unanswered
    assert by_ttl[5]["addrs"] == [a["dst"]] and len(by_ttl[5]["probes"]) == 4
    assert [p["reply"] for p in by_ttl[5]["probes"]] == [None] * 3 + ["port-unreach"]
    assert by_ttl[5]["rate_limited"] is True
    assert records[-1]["reached"]
    assert run.waves == 2
    assert vt.now < 0.5  # no pause for it


def limited_trace(vt: VirtualTime, path: FakePath, method: str, **options: object):
    """A trace through ``path`` (whose limiters keep what earlier traces spent)."""
    a = ADDRS[path.family]
    opts = TraceOptions(dst=a["dst"], family=path.family, method=method, port=PORTS[method],
                        **options)  # type: ignore[arg-type]
    maker = ProbeMaker(method, path.family, a["src"], a["dst"], opts.sport, opts.port)
    start = vt.now
    run = Tracer(opts, maker, path, path, sleep=vt.sleep, clock=vt.monotonic).trace()
    records = list(report(SavedRun(plugin=PLUGIN, options=opts.to_dict(),
                                   counters=run.counters.to_dict(), results=run.results), {}))
    return run, records, vt.now - start


def assert_exact(records: list[dict], family: int, both_branches: bool = False) -> None:
    a = ADDRS[family]
    by_ttl = hops(records)
    assert sorted(by_ttl) == [1, 2, 3, 4, 5]
    assert by_ttl[1]["addrs"] == [a["r1"]] and by_ttl[2]["addrs"] == [a["r2"]]
    branches = set(by_ttl[3]["addrs"])
    assert branches <= {a["r3a"], a["r3b"]} and len(branches) == (2 if both_branches else 1)
    assert by_ttl[4]["addrs"] == [] and by_ttl[5]["addrs"] == [a["dst"]]
    assert records[-1]["reached"]


@pytest.mark.parametrize(("family", "refill"), [(4, 1.0), (6, 0.025)])
def test_back_to_back_traces_through_rate_limiting_routers_stay_exact(
        vt: VirtualTime, family: int, refill: float) -> None:
    path = FakePath(vt, family, ratelimit=refill)
    # full limiters: no pause, the lone silent router is not asked again
    _, records, took = limited_trace(vt, path, "udp")
    assert_exact(records, family)
    assert took < 0.5 and not any(p["reply"] for p in hops(records)[4]["probes"])
    assert len(hops(records)[4]["probes"]) == 3
    for method in ("icmp", "tcp", "udp", "tcp"):  # one token or none left
        vt.sleep(0.3)  # the next command's start-up
        _, records, _ = limited_trace(vt, path, method)
        assert_exact(records, family)
    vt.sleep(0.3)
    _, records, took = limited_trace(vt, path, "udp", multipath=True)
    assert_exact(records, family, both_branches=True)
    # dry limiters: MDA's answers come one token per router per refill
    assert took >= refill


def test_multipath_with_full_limiters_needs_no_pause_and_no_flood(vt: VirtualTime) -> None:
    path = FakePath(vt, 4, ratelimit=1.0)
    _, records, took = limited_trace(vt, path, "tcp", multipath=True)
    assert_exact(records, 4, both_branches=True)
    assert took < 0.5
    sent = {ttl: len(h["probes"]) for ttl, h in hops(records).items()}
    assert sent[1] == sent[2] == 6 and sent[3] <= 4 * 6 and sent[4] == 6
