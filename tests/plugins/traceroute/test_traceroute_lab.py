"""``netprobe traceroute`` in the practice lab, checked against ``lab.truth``.

The lab's path to the far host: r1, r2, an ECMP hop (r3a or r3b, flows hashed
on their L4 ports and, for IPv6, the flow label), r4 which sends no ICMP at
all, then the far host. Every trace runs inside the scanner namespace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netprobe.engine.runfile import load_run
from netprobe.plugins.lab import lifecycle
from netprobe.plugins.traceroute.interpret import report
from netprobe.services.output import json_line
from tests.labfixture import LabHandle

pytestmark = pytest.mark.lab

METHODS = ("udp", "icmp", "tcp")
LAST_KIND = {"udp": {"port-unreach"}, "icmp": {"echo-reply"},
             # Paris TCP probes share one 4-tuple: the far host answers the first SYN
             # with SYN/ACK and a SYN of another sequence number on the same tuple with RST
             "tcp": {"syn-ack", "reset"}}


def traceroute(lab: LabHandle, *args: str) -> list[dict[str, Any]]:
    proc = lab.netprobe("--json", "traceroute", *args, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return [json.loads(line) for line in proc.stdout.splitlines()]


def far(lab: LabHandle, family: int) -> str:
    return lab.truth["path"]["ipv4" if family == 4 else "ipv6"]


def truth_hops(lab: LabHandle, family: int) -> list[dict[str, Any]]:
    key = "ipv4" if family == 4 else "ipv6"
    return [{"ttl": h["ttl"], "addrs": set(h[key]), "answers": h["answers"], "ecmp": h["ecmp"]}
            for h in lab.truth["path"]["hops"]]


def by_ttl(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["ttl"]: r for r in records if r["type"] == "hop"}


def check_path(lab: LabHandle, records: list[dict[str, Any]], family: int, method: str,
               ecmp_both: bool | None) -> None:
    """The records follow the truth hop by hop; ``ecmp_both``: the ECMP hop shows both
    branches (True), exactly one (False), or some of them (None)."""
    hops = by_ttl(records)
    want = truth_hops(lab, family)
    assert sorted(hops) == [h["ttl"] for h in want]
    for h in want:
        got = hops[h["ttl"]]
        addrs = set(got["addrs"])
        if not h["answers"]:
            assert addrs == set() and all(p["addr"] is None and p["reply"] is None
                                          for p in got["probes"]), got
            continue
        assert addrs and addrs <= h["addrs"], (got, h)
        if h["ecmp"]:
            if ecmp_both is True:
                assert addrs == h["addrs"], got
            elif ecmp_both is False:
                assert len(addrs) == 1, got
        else:
            assert addrs == h["addrs"]
        kinds = {p["reply"] for p in got["probes"] if p["reply"] is not None}
        last = h["ttl"] == want[-1]["ttl"]
        assert kinds <= (LAST_KIND[method] if last else {"time-exceeded"}), got
    path = records[-1]
    assert path["type"] == "path" and path["reached"] is True
    assert path["dst"] == far(lab, family) and path["hops"] == want[-1]["ttl"]


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", METHODS)
def test_each_method_gives_the_lab_path(lab: LabHandle, tmp_path: Path, method: str,
                                        family: int) -> None:
    saved = tmp_path / f"{method}{family}.pcapng"
    proc = lab.netprobe("--json", "traceroute", "-P", method, "--save", str(saved),
                        far(lab, family))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    check_path(lab, records, family, method, ecmp_both=False)
    for hop in records[:-1]:
        assert len(hop["probes"]) == 3
    # the engine paired every answer that concerned the trace with its probe
    run = load_run(str(saved))
    assert run.plugin == "traceroute"
    assert run.counters["related_unmatched"] == 0
    assert run.counters["matched"] > 0
    # and the saved run reprints the same records, byte for byte
    assert "".join(json_line(r) for r in report(run, {})) == proc.stdout
    again = lab.netprobe("--json", "interpret", str(saved))
    assert again.returncode == 0, again.stderr
    assert again.stdout == proc.stdout


def test_interpret_shows_a_saved_trace_as_the_live_run_did(lab: LabHandle,
                                                          tmp_path: Path) -> None:
    saved = tmp_path / "multipath.pcapng"
    live = lab.netprobe("--no-json", "traceroute", "--multipath", "--save", str(saved),
                        far(lab, 6))
    assert live.returncode == 0, live.stderr
    again = lab.netprobe("--no-json", "interpret", str(saved))
    assert again.returncode == 0, again.stderr
    assert again.stdout == live.stdout
    assert f"traceroute to {far(lab, 6)}" in live.stdout and "multipath" in live.stdout


def test_terminal_form_stars_the_silent_router(lab: LabHandle) -> None:
    proc = lab.netprobe("--no-json", "traceroute", far(lab, 4))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"traceroute to {far(lab, 4)} ({far(lab, 4)}), 30 hops max")
    silent = [h["ttl"] for h in truth_hops(lab, 4) if not h["answers"]]
    assert silent and all(f"{ttl:2d}  * * *" in lines for ttl in silent)
    assert lines[-1].split()[1] == far(lab, 4)


MULTIPATH = [("udp", 4), ("udp", 6), ("tcp", 4), ("tcp", 6), ("icmp", 6)]


@pytest.mark.parametrize(("method", "family"), MULTIPATH)
def test_multipath_shows_both_branches_in_every_run(lab: LabHandle, method: str,
                                                    family: int) -> None:
    for _ in range(3):
        records = traceroute(lab, "--multipath", "-P", method, far(lab, family))
        check_path(lab, records, family, method, ecmp_both=True)


def test_multipath_with_icmpv4_finds_what_the_kernel_spreads(lab: LabHandle) -> None:
    """Linux hashes ICMPv4 on addresses only (no ports, no label): every flow of an
    ICMPv4 trace takes one branch, whatever it varies. The trace stays correct."""
    records = traceroute(lab, "--multipath", "-P", "icmp", far(lab, 4))
    check_path(lab, records, 4, "icmp", ecmp_both=None)
    ecmp = next(h["ttl"] for h in truth_hops(lab, 4) if h["ecmp"])
    assert len(by_ttl(records)[ecmp]["probes"]) >= 6


@pytest.mark.parametrize(("method", "family"), [("udp", 4), ("tcp", 6), ("icmp", 6)])
def test_paris_shows_one_branch_per_flow_the_same_every_run(lab: LabHandle, method: str,
                                                            family: int) -> None:
    ecmp = next(h["ttl"] for h in truth_hops(lab, family) if h["ecmp"])
    # which branch each flow takes, as --multipath saw it
    mda = by_ttl(traceroute(lab, "--multipath", "-P", method, far(lab, family)))[ecmp]
    branch_of = {p["flow"]: p["addr"] for p in mda["probes"] if p["addr"]}
    one_each = {}
    for flow, addr in sorted(branch_of.items()):
        one_each.setdefault(addr, flow)
    assert len(one_each) == 2
    for addr, flow in one_each.items():
        for _ in range(2):
            records = traceroute(lab, "-P", method, "--flow", str(flow), far(lab, family))
            check_path(lab, records, family, method, ecmp_both=False)
            assert by_ttl(records)[ecmp]["addrs"] == [addr]


def test_rounds_give_loss_and_rtt_per_hop(lab: LabHandle) -> None:
    records = traceroute(lab, "-P", "icmp", "--rounds", "3", "--interval", "0.05",
                         far(lab, 4))
    check_path(lab, records, 4, "icmp", ecmp_both=False)
    for h in truth_hops(lab, 4):
        hop = by_ttl(records)[h["ttl"]]
        assert hop["sent"] == 9 and len(hop["probes"]) == 9
        if h["answers"]:
            assert hop["loss_pct"] == 0.0
            assert 0 < hop["rtt_min_ms"] <= hop["rtt_avg_ms"] <= hop["rtt_max_ms"]
        else:
            assert hop["loss_pct"] == 100.0 and hop["rtt_avg_ms"] is None


def test_under_ten_percent_loss_traces_are_still_complete(lab: LabHandle) -> None:
    lifecycle.impair(lab.name, 10)
    try:
        for method in METHODS:
            for family in (4, 6):
                records = traceroute(lab, "-P", method, far(lab, family))
                check_path(lab, records, family, method, ecmp_both=False)
        records = traceroute(lab, "--multipath", far(lab, 4))
        check_path(lab, records, 4, "udp", ecmp_both=True)
    finally:
        lifecycle.impair(lab.name, 0)

