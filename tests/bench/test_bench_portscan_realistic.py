"""``netprobe portscan`` against nmap on a lab that behaves like a network (issue 16).

Every figure is the wall time of the whole command as a user runs it (start-up,
imports, lookups, capture, waits), both tools in the same run, in turns, best of
a few. The lab is ``real_lab_rtt``: stock ICMP rate limits everywhere, at 0 ms
and at 25 ms added round trip (the fixture's delay line on the LAN).

* a 3-port scan of one host, discovery included (``portscan -p 22,80,443 h1``
  against ``nmap -sS -p 22,80,443``): target <= nmap's time;
* every TCP port of one host (``-sS -T4 -Pn -p-``): exact, at 25 ms in
  <= 0.3x nmap -T4's time;
* a UDP scan of 10 ports of a host with three silent ports, rate limits on:
  nmap's states in <= nmap's time (a full limiter before each scan);
* a sweep of a /16 where (almost) nothing answers: <= 1.2 probes per address,
  <= 100 MB RSS (no peer: nmap takes minutes);
* a 100-port scan of loopback (no lab): <= 0.2 s, -sS and -sT, against nmap.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from netprobe.plugins.lab import processes
from tests.bench.bench_table import BenchReport, Row
from tests.labfixture import REFILL_SECONDS, real_lab, real_lab_rtt  # noqa: F401

pytestmark = [pytest.mark.bench]

#: repetitions of the short commands (the best wall time counts, for both tools)
RUNS = 5
SMALL_PORTS = "22,80,443"
UDP_PORTS = "7,53,67,69,123,137,161,500,514,5060"
LOOPBACK_PORTS = "1-100,8765"
LOOPBACK_TARGET_S = 0.2
FULL_SCAN_TARGET = 0.3  # of nmap -T4's time, at 25 ms
SWEEP = "198.19.0.0/16"
SWEEP_PROBES_PER_ADDRESS = 1.2
SWEEP_RSS_MB = 100.0


@pytest.fixture(scope="module", autouse=True)
def _byte_compiled() -> None:
    """Measure netprobe as installed: its modules byte-compiled (setup does it; a working
    tree edited under PYTHONDONTWRITEBYTECODE would compile them on every start)."""
    import netprobe

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(netprobe.__file__)],
                   capture_output=True, timeout=300, check=False)
    # and the layers' generated functions compiled into their cache, as setup leaves them
    subprocess.run([sys.executable, "-c", "from netprobe.packet.code_cache import fill; fill()"],
                   capture_output=True, timeout=300, check=False)


def _env() -> dict[str, str]:
    env = processes.child_environment()
    env.setdefault("NETPROBE_SCOPE", "198.18.0.0/15,2001:db8::/32,127.0.0.0/8,::1/128")
    return env


def _timed(argv: list[str], lab: Any = None, timeout: float = 300.0
           ) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``argv`` (in the lab's scanner namespace, or here); (wall seconds, process)."""
    start = time.perf_counter()
    if lab is not None:
        done = lab.run(argv, timeout=timeout, env=_env())
    else:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False, env=_env())
    return time.perf_counter() - start, done


def _netprobe(*args: str) -> list[str]:
    return [sys.executable, "-m", "netprobe", "portscan", *args, "--json"]


def _records(done: subprocess.CompletedProcess) -> list[dict]:
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _our_states(recs: list[dict], ports: list[int]) -> dict[int, str]:
    host = next(r for r in recs if r["type"] == "host")
    hidden = max(host["ports"], key=host["ports"].get) if host["ports"] else "unknown"
    listed = {r["port"]: r["state"] for r in recs if r["type"] == "port"}
    return {p: listed.get(p, hidden) for p in ports}


def _nmap_states(text: str, ports: list[int], proto: str = "tcp") -> dict[int, str]:
    """{port: state} from nmap's normal output ("Not shown: N closed tcp ports" fills in)."""
    listed: dict[int, str] = {}
    hidden = "unknown"
    for line in text.splitlines():
        head = line.split()
        if head and head[0].endswith(f"/{proto}") and head[0].split("/")[0].isdigit():
            listed[int(head[0].split("/")[0])] = head[1]
        if line.startswith("Not shown:") or line.startswith("All "):
            for word in ("closed", "filtered", "open|filtered", "open"):
                if f" {word} " in line:
                    hidden = word
                    break
    return {p: listed.get(p, hidden) for p in ports}


def _ports(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def _best(runs: list[tuple[float, Any]]) -> tuple[float, Any]:
    return min(runs, key=lambda r: r[0])


# -- one host, three ports ------------------------------------------------------------------------
def test_three_ports_of_one_host(real_lab_rtt: Any, bench_report: BenchReport) -> None:  # noqa: F811
    lab = real_lab_rtt
    address = lab.host("h1")["ipv4"]
    ports = _ports(SMALL_PORTS)
    want = {p: lab.expected("h1", "tcp", p)[0] for p in ports}
    ours, theirs = [], []
    for _ in range(RUNS):
        wall, done = _timed(_netprobe("-p", SMALL_PORTS, address), lab)
        ours.append((wall, _our_states(_records(done), ports)))
        wall, done = _timed(["nmap", "-sS", "-n", "-p", SMALL_PORTS, address], lab)
        assert done.returncode == 0, done.stderr
        theirs.append((wall, _nmap_states(done.stdout, ports)))
    best_ours, best_nmap = _best(ours), _best(theirs)
    exact = all(states == want for _, states in ours)
    row = Row(f"-p {SMALL_PORTS} of h1, whole command, {lab.round_trip_ms:g} ms RTT", "s",
              best_ours[0], {"nmap -sS": best_nmap[0]}, higher_is_better=False,
              target="<= nmap's whole-command time, exact",
              met=exact and best_ours[0] <= best_nmap[0])
    row.note = (f"states {'exact' if exact else 'WRONG'} (nmap: "
                f"{'same' if best_nmap[1] == want else best_nmap[1]}); all runs: netprobe "
                f"{[round(w, 3) for w, _ in ours]} s, nmap {[round(w, 3) for w, _ in theirs]} s")
    bench_report.section(f"portscan: 3 ports of one host, discovery included "
                         f"({lab.round_trip_ms:g} ms RTT, stock ICMP limits)", [row],
                         f"child processes in the scanner namespace, in turns, best of {RUNS}")
    assert exact, ours


# -- every TCP port of one host -------------------------------------------------------------------
def test_every_tcp_port(real_lab_rtt: Any, bench_report: BenchReport) -> None:  # noqa: F811
    lab = real_lab_rtt
    address = lab.host("h5")["ipv4"]
    all_ports = list(range(1, 65536))
    want = {p: lab.expected("h5", "tcp", p)[0] for p in all_ports}
    runs = 2 if lab.round_trip_ms else 3
    ours, theirs = [], []
    for _ in range(runs):
        wall, done = _timed(_netprobe("-sS", "-T4", "-Pn", "-p-", address), lab)
        recs = _records(done)
        ours.append((wall, _our_states(recs, all_ports), recs[-1]))
        wall, done = _timed(["nmap", "-sS", "-T4", "-Pn", "-n", "-p-", address], lab,
                            timeout=600)
        assert done.returncode == 0, done.stderr
        theirs.append((wall, _nmap_states(done.stdout, all_ports)))
    best_ours = min(ours, key=lambda r: r[0])
    best_nmap = _best(theirs)
    wrong = [sum(1 for p in all_ports if states[p] != want[p]) for _, states, _ in ours]
    target = FULL_SCAN_TARGET if lab.round_trip_ms else 0.5
    row = Row(f"-p- of h5, -sS -T4 -Pn, {lab.round_trip_ms:g} ms RTT", "s", best_ours[0],
              {"nmap -T4": best_nmap[0]}, higher_is_better=False,
              target=f"<= {target:g}x nmap -T4, exact",
              met=not any(wrong) and best_ours[0] <= target * best_nmap[0])
    row.note = (f"ports off the truth per run {wrong}; netprobe sent "
                f"{best_ours[2]['sent']:,} ({best_ours[2]['retries']:,} resent); all runs: "
                f"netprobe {[round(r[0], 2) for r in ours]} s, nmap "
                f"{[round(r[0], 2) for r in theirs]} s")
    bench_report.section(f"portscan: every TCP port of h5 ({lab.round_trip_ms:g} ms RTT)", [row],
                         f"child processes in the scanner namespace, in turns, best of {runs}")
    assert not any(wrong), wrong


# -- UDP, ten ports, rate limits on ---------------------------------------------------------------
def test_udp_ten_ports(real_lab_rtt: Any, bench_report: BenchReport) -> None:  # noqa: F811
    lab = real_lab_rtt
    address = lab.host("h1")["ipv4"]
    ports = _ports(UDP_PORTS)
    want = {p: lab.expected("h1", "udp", p)[0] for p in ports}
    ours, theirs = [], []
    for _ in range(2):
        time.sleep(REFILL_SECONDS)  # the host's ICMP limiter full again, for each tool
        wall, done = _timed(_netprobe("-sU", "-Pn", "-p", UDP_PORTS, address), lab)
        recs = _records(done)
        ours.append((wall, _our_states(recs, ports), recs[-1]))
        time.sleep(REFILL_SECONDS)
        wall, done = _timed(["nmap", "-sU", "-Pn", "-n", "-p", UDP_PORTS, address], lab)
        assert done.returncode == 0, done.stderr
        theirs.append((wall, _nmap_states(done.stdout, ports, "udp")))
    best_ours = min(ours, key=lambda r: r[0])
    best_nmap = _best(theirs)
    exact = all(states == want for _, states, _ in ours)
    nmap_exact = [states == want for _, states in theirs]
    row = Row(f"-sU -Pn of 10 ports of h1, {lab.round_trip_ms:g} ms RTT", "s", best_ours[0],
              {"nmap -sU": best_nmap[0]}, higher_is_better=False,
              target="the lab's (nmap's) states, <= nmap's time",
              met=exact and best_ours[0] <= best_nmap[0])
    silent = sum(1 for s in want.values() if s != "open")
    row.note = (f"netprobe's states {'= lab' if exact else 'DIFFER'} every run, nmap's = lab "
                f"per run {nmap_exact}; netprobe sent "
                f"{[r[2]['sent'] for r in ours]} probes for {len(ports)} ports ({silent} not "
                f"open); all runs: netprobe {[round(r[0], 2) for r in ours]} s, nmap "
                f"{[round(r[0], 2) for r in theirs]} s")
    bench_report.section(f"portscan -sU: 10 ports of h1 ({lab.round_trip_ms:g} ms RTT, stock "
                         f"ICMP limits)", [row],
                         f"a full limiter ({REFILL_SECONDS:g} s pause) before each scan")
    assert exact, ours


# -- a sweep where nothing answers ----------------------------------------------------------------
def test_sweep_where_nothing_answers(real_lab: Any, bench_report: BenchReport) -> None:  # noqa: F811
    argv = ["/usr/bin/time", "-f", "RSS_KB %M", *_netprobe("-Pn", "-p", "80", SWEEP)]
    wall, done = _timed(argv, real_lab, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    rss_kb = int(next(line.split()[1] for line in done.stderr.splitlines()
                      if line.startswith("RSS_KB")))
    addresses = 1 << 16
    per_address = summary["sent"] / addresses
    rows = [
        Row(f"-Pn -p 80 {SWEEP}: probes per address", "probes", per_address,
            target=f"<= {SWEEP_PROBES_PER_ADDRESS:g}",
            met=per_address <= SWEEP_PROBES_PER_ADDRESS, higher_is_better=False),
        Row("... peak memory (RSS)", "MB", rss_kb / 1024, target=f"<= {SWEEP_RSS_MB:g} MB",
            met=rss_kb / 1024 <= SWEEP_RSS_MB, higher_is_better=False),
    ]
    rows[0].note = (f"{summary['sent']:,} sent, {summary['retries']:,} resent, "
                    f"{summary['received']} received, {wall:.2f} s whole command; "
                    f"ports {summary['ports']}")
    bench_report.section(f"portscan: a /16 sweep where almost nothing answers ({SWEEP})", rows,
                         "one run in the scanner namespace of the rate-limited lab")
    assert per_address <= SWEEP_PROBES_PER_ADDRESS


# -- loopback -------------------------------------------------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="raw scans need root")
def test_hundred_ports_of_loopback(bench_report: BenchReport) -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 8765))
    listener.listen(64)
    ports = _ports(LOOPBACK_PORTS)
    rows = []
    try:
        for flag, peer in (("-sS", "nmap -sS"), ("-sT", "nmap -sT")):
            ours, theirs = [], []
            for _ in range(RUNS):
                wall, done = _timed(_netprobe(flag, "-p", LOOPBACK_PORTS, "127.0.0.1"))
                recs = _records(done)
                ours.append((wall, _our_states(recs, ports), recs[-1]))
                wall, done = _timed(["nmap", flag, "-n", "-p", LOOPBACK_PORTS, "127.0.0.1"])
                assert done.returncode == 0, done.stderr
                theirs.append((wall, _nmap_states(done.stdout, ports)))
            best_ours = min(ours, key=lambda r: r[0])
            best_nmap = _best(theirs)
            same = all(states == best_nmap[1] for _, states, _ in ours)
            counted = all(r[2]["received"] == r[2]["sent"] for r in ours)
            row = Row(f"{flag} -p {LOOPBACK_PORTS} 127.0.0.1, whole command", "s",
                      best_ours[0], {peer: best_nmap[0]}, higher_is_better=False,
                      target=f"<= {LOOPBACK_TARGET_S:g} s, nmap's states",
                      met=same and best_ours[0] <= LOOPBACK_TARGET_S)
            row.note = (f"states {'= nmap' if same else 'DIFFER'}; received = sent: "
                        f"{counted}; all runs: netprobe {[round(r[0], 3) for r in ours]} s, "
                        f"nmap {[round(r[0], 3) for r in theirs]} s")
            rows.append(row)
            assert same, (ours[0][1], best_nmap[1])
            assert counted, [r[2] for r in ours]
    finally:
        listener.close()
    bench_report.section("portscan: 100 ports of loopback", rows,
                         f"child processes, in turns, best of {RUNS}")
