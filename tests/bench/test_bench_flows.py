"""``netprobe flows`` against tshark, tcpdump, dpkt and the seeds' Scapy loop, in one run.

The trace is ``make_trace.py --packets 1000000 --flows 20000 --seed 1``
(about 930 MB), made once under the temporary directory and reused (it is
deterministic). Every contender reads the same file, end to end as a
command (start-up included), best of 3 turns taken in rotation (tshark:
best of 2, it takes seconds). Scapy and dpkt are timed on the first
100,000 packets (Scapy would take minutes on all of them) and compared as
rates. netprobe's table is checked against tshark's in the same run, and
its peak memory (RSS) measured.

Issue targets: >= 10x tshark's conversation table, >= 100x the seeds' Scapy
loop, RSS <= 200 MB; the ratio to ``tcpdump -r FILE -w /dev/null`` is
reported (the aim is 1.0).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.bench.bench_table import BenchReport, Row
from tests.bench.stopwatch import best_of

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[2]
MAKE_TRACE = (REPO / ".." / "shared" / "tools" / "make_trace.py").resolve()
PACKETS = 1_000_000
FLOWS = 20_000
SAMPLE = 100_000  # packets the per-packet Python peers are timed on
TSHARK_PREFS = ("-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
                "-o", "tcp.desegment_tcp_streams:FALSE")

# The seeds' loop (the Scapy introduction in shared/seeds), as written there.
SCAPY_LOOP = """
import sys, time
from scapy.all import PcapReader
from scapy.layers.inet import IP, TCP
data, limit = sys.argv[1], int(sys.argv[2])
pkts = 0
flows = 0
ft = {}
start = time.perf_counter()
for pkt in PcapReader(data):
    pkts += 1
    if IP in pkt:
        if TCP in pkt:
            ft[(pkt[IP].src, pkt[IP].dst, pkt[TCP].sport, pkt[TCP].dport)] = pkt.wirelen
            flows += 1
    if pkts >= limit:
        break
print(pkts / (time.perf_counter() - start))
"""

# dpkt, as its documentation reads captures, summing frame lengths per 5-tuple.
DPKT_LOOP = """
import sys, time
import dpkt
data, limit = sys.argv[1], int(sys.argv[2])
table = {}
n = 0
start = time.perf_counter()
with open(data, "rb") as f:
    for ts, buf in dpkt.pcap.Reader(f):
        n += 1
        eth = dpkt.ethernet.Ethernet(buf)
        ip = eth.data
        if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, (dpkt.tcp.TCP,
                                                                              dpkt.udp.UDP)):
            key = (ip.src, ip.dst, ip.data.sport, ip.data.dport)
            table[key] = table.get(key, 0) + len(buf)
        if n >= limit:
            break
print(n / (time.perf_counter() - start))
"""


@pytest.fixture(scope="module")
def trace() -> Path:
    """The 1M-packet trace, made once and kept under the temporary directory."""
    if not MAKE_TRACE.is_file():
        pytest.skip(f"make_trace.py not found at {MAKE_TRACE}")
    cache = Path(tempfile.gettempdir()) / "netprobe-bench"
    cache.mkdir(exist_ok=True)
    path = cache / f"trace-{PACKETS}-{FLOWS}-seed1.pcap"
    if not path.is_file():
        tmp = path.with_suffix(".partial")
        subprocess.run([sys.executable, str(MAKE_TRACE), "--packets", str(PACKETS), "--flows",
                        str(FLOWS), "--seed", "1", "--out", str(tmp)], check=True,
                       capture_output=True, timeout=900)
        tmp.replace(path)
    return path


#: the commands run as an installed tool does: with compiled modules cached (in a
#: directory of their own, so that the source tree is left alone)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "netprobe-bench" / "pycache")


def _command(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=ENV)
    return time.perf_counter() - start


def _netprobe(*args: str) -> list[str]:
    return [sys.executable, "-m", "netprobe", "flows", *args]


def _peak_rss_mb(args: list[str]) -> float:
    """The peak resident memory of one run of ``args`` (MB)."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0
    return usage.ru_maxrss / 1024


def _rate(script: str, path: Path) -> float:
    done = subprocess.run([sys.executable, "-c", script, str(path), str(SAMPLE)], check=True,
                          capture_output=True, text=True, timeout=1800)
    return float(done.stdout.strip().splitlines()[-1])


def test_flows_against_peers(trace: Path, bench_report: BenchReport) -> None:
    tshark = shutil.which("tshark")
    tcpdump = shutil.which("tcpdump")
    env_note = f"{PACKETS:,} packets, {FLOWS:,} flows, {trace.stat().st_size / 1e6:,.0f} MB"
    _command(_netprobe(str(trace), "--json", "--top", "1"))  # compiles and caches the modules
    contenders = {
        "netprobe": lambda: _command(_netprobe(str(trace), "--json")),
        "netprobe --jobs 2": lambda: _command(_netprobe(str(trace), "--json", "--jobs", "2")),
    }
    if tcpdump:
        contenders["tcpdump"] = lambda: _command([tcpdump, "-r", str(trace), "-w", os.devnull])
    times = {name: t for name, (t, _) in best_of(contenders).items()}
    if tshark:
        conv = [tshark, "-n", "-r", str(trace), *TSHARK_PREFS, "-q", "-z", "conv,tcp", "-z",
                "conv,udp"]
        times["tshark"] = best_of({"tshark": lambda: _command(conv)}, repeats=2)["tshark"][0]

    # the same table as tshark's, checked in this run
    done = subprocess.run(_netprobe(str(trace), "--top", "0", "--json"), check=True,
                          capture_output=True, text=True)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    summary = records[-1]
    assert summary["packets"] == PACKETS and summary["flows"] == FLOWS
    if tshark:
        sys.path.insert(0, str(REPO / "tests" / "plugins" / "flows"))
        from flows_tshark import from_records, parse_conversations

        text = subprocess.run(conv, check=True, capture_output=True, text=True).stdout
        assert from_records(records) == parse_conversations(text)

    rss = _peak_rss_mb(_netprobe(str(trace), "--json"))
    scapy_rate = _rate(SCAPY_LOOP, trace)
    dpkt_rate = _rate(DPKT_LOOP, trace)
    ours = times["netprobe"]
    our_rate = PACKETS / ours
    rows = []
    if tshark:
        speedup = times["tshark"] / ours
        rows.append(Row("flow table of the trace", "s", ours, {"tshark": times["tshark"]},
                        higher_is_better=False, target=">= 10x tshark", met=speedup >= 10))
    if tcpdump:
        rows.append(Row("read the whole trace", "s", ours, {"tcpdump": times["tcpdump"]},
                        higher_is_better=False, target="aim 1.0x tcpdump",
                        met=None, note="tcpdump -r FILE -w /dev/null only reads the records"))
    rows.append(Row("packets per second", "pkt/s", our_rate,
                    {"Scapy (seeds' loop)": scapy_rate, "dpkt": dpkt_rate},
                    target=">= 100x Scapy", met=our_rate >= 100 * scapy_rate,
                    note=f"Scapy and dpkt timed on the first {SAMPLE:,} packets"))
    jobs = times["netprobe --jobs 2"]
    rows.append(Row("flow table, --jobs 2", "s", jobs, {"netprobe, 1 process": ours},
                    higher_is_better=False, note=f"{os.cpu_count()} cores, shared"))
    rows.append(Row("peak memory (RSS)", "MB", rss, {}, higher_is_better=False,
                    target="<= 200 MB", met=rss <= 200, comparison="-"))
    bench_report.section("netprobe flows: 1M-packet trace, end to end (start-up included)",
                         rows, env_note)
