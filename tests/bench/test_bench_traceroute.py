"""``netprobe traceroute`` against traceroute(8) and mtr, on routers with stock ICMP rate limits.

Same run, same lab (``real_lab``: every router keeps the kernel's stock
limits, a burst of 6 ICMP errors to one peer then one per second), same
destination (the far host, behind an ECMP hop and a silent router), at 0 and
25 ms round trip (``real_lab_rtt``). Every contender runs as a child process
in the scanner namespace; the contenders take turns, and each turn starts
after the routers' limiters have refilled (``REFILL_SECONDS``):

* **back-to-back traces**: UDP, ICMP, then TCP traces run one after the
  other, as a user runs them: ``netprobe traceroute -P udp|icmp|tcp``,
  ``traceroute -n [-I | -T -p 80]`` and ``mtr -n -r -c 3 [-u | -T -P 80]``
  (3 probes per hop, like the others; 0.2 s between rounds and 1 s of grace,
  far less than mtr's defaults of 1 s and 5 s). Figures: the wall time of
  the three commands, and how many of the three printed the lab's exact path
  (every hop that answers with its right address, the silent one silent).
  The routers' burst does not cover three traces: the third finds them dry.
* **multipath**: ``netprobe traceroute --multipath`` (UDP) with full limiters,
  against ``traceroute -n`` and ``mtr -n -r -c 3 -u`` (whose ports change
  from probe to probe, so they may show both ECMP branches by chance); and
  ``--multipath`` once more right after netprobe's three back-to-back traces,
  when the limiters are dry. Figures: wall time, ECMP branches found (the
  lab has two), exact paths. Issue target: every path exact, and
  ``--multipath`` in <= 0.5 s at 0 ms.

Wall time is the whole command (interpreter start and imports included, which
is what a user waits for); an interpreter that only imports what a trace
imports shows how much of netprobe's is start-up, and one more ``--multipath``
run with ``--debug`` (limiters refilled) shows the fixed costs the command
counts itself: capture open and close, final waits (``netprobe/costs.py``).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.bench.bench_table import BenchReport, Row
from tests.labfixture import REFILL_SECONDS, LabHandle, real_lab, real_lab_rtt  # noqa: F401

pytestmark = [pytest.mark.bench, pytest.mark.lab]

TARGET_S = 0.5
#: turns per contender (the best time is the figure; exactness counts every run)
REPEATS = 2
METHODS = ("udp", "icmp", "tcp")
PEER_ARGS = {
    "traceroute(8)": {"udp": [], "icmp": ["-I"], "tcp": ["-T", "-p", "80"]},
    "mtr": {"udp": ["-u"], "icmp": [], "tcp": ["-T", "-P", "80"]},
}
MTR = ["mtr", "-n", "-r", "-c", "3", "-i", "0.2", "-G", "1"]
IMPORTS = ("import netprobe.cli, netprobe.plugins.traceroute.trace_command, "
           "netprobe.plugins.traceroute.run, netprobe.engine.api, netprobe.wire.capture, "
           "netprobe.wire.sockets")

_ADDR = re.compile(r"\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f:]+")
_MTR_HOP = re.compile(r"^\s*(\d+)\.\|--\s+(\S+)")
_MTR_MORE = re.compile(r"^\s+(\d+\.\d+\.\d+\.\d+)\s*$")
#: one row of --debug's fixed-cost table: "netprobe:   final wait   36.1  3"
_COST = re.compile(r"^netprobe:\s+(\S[^\d]*?)\s+([\d.]+)\s+(\d+)$")
#: the fixed costs of a trace that are not start-up (what the probing itself pays)
PROBING_COSTS = ("capture open", "capture close", "final wait")


def timed(work: Callable[[], subprocess.CompletedProcess]) -> tuple[float, Any]:
    start = time.perf_counter()
    done = work()
    return time.perf_counter() - start, done


def netprobe_hops(out: str) -> dict[int, set[str]]:
    records = [json.loads(line) for line in out.splitlines()]
    return {r["ttl"]: set(r["addrs"]) for r in records if r["type"] == "hop"}


def netprobe_probing(out: str) -> float:
    """The probing time netprobe reports (all waves and pauses, no start-up)."""
    return float(json.loads(out.splitlines()[-1])["elapsed_s"])


def fixed_costs(lab: LabHandle, dst: str) -> dict[str, float]:
    """ms per fixed cost of one ``--multipath`` trace, as its ``--debug`` table says."""
    done = lab.netprobe("--debug", "--json", "traceroute", "--multipath", dst)
    assert done.returncode == 0, done.stderr
    costs = {}
    for line in done.stderr.splitlines():
        row = _COST.match(line)
        if row:
            costs[row.group(1)] = float(row.group(2))
    return costs


def traceroute8_hops(out: str) -> dict[int, set[str]]:
    hops: dict[int, set[str]] = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        if parts and parts[0].isdigit():
            hops[int(parts[0])] = set(_ADDR.findall(" ".join(parts[1:])))
    return hops


def mtr_hops(out: str) -> dict[int, set[str]]:
    hops: dict[int, set[str]] = {}
    last = None
    for line in out.splitlines():
        hop = _MTR_HOP.match(line)
        if hop:
            last = int(hop.group(1))
            hops[last] = set() if hop.group(2) == "???" else {hop.group(2)}
            continue
        more = _MTR_MORE.match(line)
        if more and last is not None:
            hops[last].add(more.group(1))
    return hops


def exact(lab: LabHandle, hops: dict[int, set[str]]) -> bool:
    """The lab's path: every TTL up to the far host, each with right addresses (or none)."""
    want = lab.truth["path"]["hops"]
    if sorted(hops) != [h["ttl"] for h in want]:
        return False
    for h in want:
        got = hops[h["ttl"]]
        if h["answers"] != bool(got) or not got <= set(h["ipv4"]):
            return False
    return True


def command(lab: LabHandle, tool: str, method: str, dst: str,
            multipath: bool = False) -> tuple[float, dict[int, set[str]], float | None]:
    """Run one trace; its wall time, hops and (netprobe) probing time."""
    if tool == "netprobe":
        args = ["--json", "traceroute", "-P", method, *(["--multipath"] if multipath else []), dst]
        wall, done = timed(lambda: lab.netprobe(*args))
        assert done.returncode == 0, done.stderr
        return wall, netprobe_hops(done.stdout), netprobe_probing(done.stdout)
    elif tool == "traceroute(8)":
        wall, done = timed(lambda: lab.run(["traceroute", "-n", *PEER_ARGS[tool][method], dst]))
        parse = traceroute8_hops
    else:
        wall, done = timed(lambda: lab.run([*MTR, *PEER_ARGS[tool][method], dst]))
        parse = mtr_hops
    assert done.returncode == 0, done.stderr
    return wall, parse(done.stdout), None


def figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
    probing = [r["probing"] for r in runs if r.get("probing") is not None]
    return {"wall": min(r["wall"] for r in runs), "exact": sum(r["exact"] for r in runs),
            "probing": min(probing) if probing else None,
            "traces": sum(r["traces"] for r in runs),
            "branches": min((r["branches"] for r in runs), default=0)}


def test_traceroute_with_rate_limits_against_traceroute8_and_mtr(
        real_lab_rtt: LabHandle, bench_report: BenchReport) -> None:  # noqa: F811
    lab = real_lab_rtt
    dst = lab.truth["path"]["ipv4"]
    ecmp = next(h["ttl"] for h in lab.truth["path"]["hops"] if h["ecmp"])
    tools = ["netprobe", "traceroute(8)", "mtr"]
    triples: dict[str, list[dict[str, Any]]] = {t: [] for t in tools}
    multipath: dict[str, list[dict[str, Any]]] = {t: [] for t in tools}
    dry: list[dict[str, Any]] = []
    for _ in range(REPEATS):
        for tool in tools:
            time.sleep(REFILL_SECONDS)
            walls, probing, ok = [], [], 0
            for method in METHODS:
                wall, hops, inproc = command(lab, tool, method, dst)
                walls.append(wall)
                probing.append(inproc)
                ok += exact(lab, hops)
            triples[tool].append({"wall": sum(walls), "exact": ok, "traces": len(METHODS),
                                  "branches": 0, "probing": None if None in probing
                                  else sum(probing)})  # type: ignore[arg-type]
            if tool == "netprobe":  # the limiters are dry now
                wall, hops, inproc = command(lab, tool, "udp", dst, multipath=True)
                dry.append({"wall": wall, "exact": exact(lab, hops), "traces": 1,
                            "branches": len(hops.get(ecmp, ())), "probing": inproc})
        for tool in tools:
            time.sleep(REFILL_SECONDS)
            wall, hops, inproc = command(lab, tool, "udp", dst, multipath=(tool == "netprobe"))
            multipath[tool].append({"wall": wall, "exact": exact(lab, hops), "traces": 1,
                                    "branches": len(hops.get(ecmp, ())), "probing": inproc})
    imports = min(timed(lambda: lab.python(IMPORTS))[0] for _ in range(REPEATS))
    time.sleep(REFILL_SECONDS)
    costs = fixed_costs(lab, dst)

    b2b = {t: figures(r) for t, r in triples.items()}
    mp = {t: figures(r) for t, r in multipath.items()}
    spent = figures(dry)
    ours_b2b, ours_mp = b2b["netprobe"], mp["netprobe"]
    peers = [t for t in tools if t != "netprobe"]
    rows = [
        Row("back to back (UDP, ICMP, TCP): wall time of the 3", "s", ours_b2b["wall"],
            {t: b2b[t]["wall"] for t in peers}, higher_is_better=False,
            note=f"interpreter start and imports: {imports * 1000:.0f} ms of each netprobe "
                 "command"),
        Row("back to back: netprobe's probing time of the 3", "s", ours_b2b["probing"], {},
            higher_is_better=False,
            note="elapsed_s: every wave and pause, without start-up (peers do not say)"),
        Row("back to back: exact paths", "traces", ours_b2b["exact"],
            {t: b2b[t]["exact"] for t in peers}, target=f"{ours_b2b['traces']} of "
            f"{ours_b2b['traces']}", met=ours_b2b["exact"] == ours_b2b["traces"],
            note=f"out of {ours_b2b['traces']} traces per tool ({REPEATS} turns)"),
        Row("multipath, full limiters: wall time", "s", ours_mp["wall"],
            {t: mp[t]["wall"] for t in peers}, higher_is_better=False,
            target=f"<= {TARGET_S} s at 0 ms, exact",
            met=(ours_mp["wall"] <= TARGET_S or bool(lab.round_trip_ms))
            and ours_mp["exact"] == ours_mp["traces"],
            note="peers: one plain UDP trace (their ports vary per probe)"),
        Row("multipath, full limiters: netprobe's probing time", "s", ours_mp["probing"], {},
            higher_is_better=False, target=f"<= {TARGET_S} s",
            met=ours_mp["probing"] <= TARGET_S,
            note="elapsed_s; the wall time above adds the interpreter's start-up"),
        Row("multipath, full limiters: fixed costs of the probing", "ms",
            sum(costs.get(name, 0.0) for name in PROBING_COSTS), {}, higher_is_better=False,
            note="--debug: " + ", ".join(f"{name} {costs.get(name, 0.0):.1f} ms"
                                         for name in PROBING_COSTS)),
        Row("multipath, full limiters: ECMP branches, worst run", "branches",
            ours_mp["branches"], {t: mp[t]["branches"] for t in peers},
            target="2 in every run", met=ours_mp["branches"] == 2),
        Row("multipath right after 3 traces (dry limiters): wall time", "s", spent["wall"],
            {}, higher_is_better=False, target="exact, both branches",
            met=spent["exact"] == spent["traces"] and spent["branches"] == 2,
            note=f"exact {spent['exact']} of {spent['traces']}, branches {spent['branches']}, "
                 f"probing {spent['probing']:.2f} s: MDA waits for one token per router "
                 "per second"),
    ]
    bench_report.section(
        f"traceroute with stock ICMP rate limits, {lab.round_trip_ms:g} ms round trip",
        rows, conditions=f"dst {dst}, ECMP at TTL {ecmp}, silent TTL 4, best of {REPEATS}, "
                         f"limiters refilled ({REFILL_SECONDS:g} s) before each turn; "
                         f"mtr {' '.join(MTR[1:])}")
    # what must hold whatever the machine's load: netprobe's paths are exact
    assert ours_b2b["exact"] == ours_b2b["traces"]
    assert ours_mp["exact"] == ours_mp["traces"] and ours_mp["branches"] == 2
    assert spent["exact"] == spent["traces"] and spent["branches"] == 2
