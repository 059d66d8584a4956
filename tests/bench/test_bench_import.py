"""Start-up cost of the packet engine against dpkt and Scapy, in fresh interpreters.

Every probing subcommand imports ``netprobe.packet`` before it sends anything,
so its import time is part of what a user waits for. Each figure is the median
of ``RUNS`` fresh interpreters (the contenders taking turns), a bare
``python -c pass`` subtracted:

* import: the library's packet classes and dissector importable;
* first packet: that import, then one Ether/IP/TCP frame built and dissected,
  so that work moved from import to first use (netprobe writes each layer's
  code on first use) is counted too.

Both with every library's bytecode cached (as after an install: a private
``PYTHONPYCACHEPREFIX``, warmed by an untimed run), and once more for a source
checkout run with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__``, where
netprobe compiles its modules at every start while the peers, installed,
read their cached bytecode. No target is set by an issue; figures are
reported, never asserted.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import netprobe
from tests.bench.bench_table import BenchReport, Row

pytestmark = pytest.mark.bench

RUNS = 10

IMPORTS = {
    "netprobe": "from netprobe.packet import IP, TCP, Ether, dissect",
    "dpkt": "import dpkt",
    "Scapy": "from scapy.layers.l2 import Ether\nfrom scapy.layers.inet import IP, TCP",
}
FIRST_PACKET = {
    "netprobe": IMPORTS["netprobe"] + """
b = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
          / IP(src="198.18.1.2", dst="198.18.1.15") / TCP(dport=80, flags="S"))
assert dissect(b)[TCP].dport == 80
""",
    "dpkt": IMPORTS["dpkt"] + """
import socket
t = dpkt.tcp.TCP(sport=20, dport=80, flags=dpkt.tcp.TH_SYN)
i = dpkt.ip.IP(src=socket.inet_aton("198.18.1.2"), dst=socket.inet_aton("198.18.1.15"),
               p=6, data=t)
b = bytes(dpkt.ethernet.Ethernet(src=b"\\x02" + bytes(5), dst=b"\\x02" + bytes(5), data=i))
assert dpkt.ethernet.Ethernet(b).data.data.dport == 80
""",
    "Scapy": IMPORTS["Scapy"] + """
b = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
          / IP(src="198.18.1.2", dst="198.18.1.15") / TCP(dport=80, flags="S"))
assert Ether(b)[TCP].dport == 80
""",
}


def _wall(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=120, check=False, env=env)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return elapsed


def medians(programs: dict[str, str], env: dict[str, str], runs: int = RUNS) -> dict[str, float]:
    """Median wall time (s) of each program in a fresh interpreter, taking turns."""
    for code in programs.values():  # once untimed: fills the bytecode cache and disk cache
        _wall(code, env)
    times: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs):
        for name, code in programs.items():
            times[name].append(_wall(code, env))
    return {name: statistics.median(t) for name, t in times.items()}


def _row(what: str, programs: dict[str, str], env: dict[str, str]) -> Row:
    bare = medians({"bare": "pass"}, env)["bare"]
    figures = {name: max(t - bare, 0.0) for name, t in medians(programs, env).items()}
    return Row(what, "s", figures.pop("netprobe"), figures, higher_is_better=False,
               target="(no target set)",
               note=f"over a bare interpreter ({bare * 1000:.0f} ms), median of {RUNS}")


def test_import_and_first_packet(bench_report: BenchReport) -> None:
    with tempfile.TemporaryDirectory(prefix="netprobe-pycache-") as cache:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        uncached = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
        uncached["PYTHONDONTWRITEBYTECODE"] = "1"
        rows = [_row("import (bytecode cached)", IMPORTS, cached),
                _row("import + first packet (bytecode cached)", FIRST_PACKET, cached)]
        if not any(Path(netprobe.__file__).parent.rglob("__pycache__/*.pyc")):
            rows.append(_row("import, netprobe compiled from source", IMPORTS, uncached))
    bench_report.section("packet engine start-up: import, then one packet built and dissected",
                         rows, f"fresh interpreters, median of {RUNS}, taking turns")


# -- small probing commands: CPU of the whole command against nmap's -------------------------
#: (what, netprobe's arguments, nmap's arguments): the same job, to loopback
SMALL_JOBS = [
    ("portscan -p 22,80,443 (SYN)", ["portscan", "-p", "22,80,443", "127.0.0.1"],
     ["-sS", "-n", "-Pn", "-p", "22,80,443", "127.0.0.1"]),
    ("portscan -p 1-100,8765 (SYN)", ["portscan", "-p", "1-100,8765", "127.0.0.1"],
     ["-sS", "-n", "-Pn", "-p", "1-100,8765", "127.0.0.1"]),
]


def _cpu(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``argv`` (wall time is the load's, not ours)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) in (0, 1), proc.stderr.read() if proc.stderr else ""
    return usage.ru_utime + usage.ru_stime


def test_small_probing_commands_cpu(bench_report: BenchReport) -> None:
    """CPU of a whole small command (interpreter start, imports, the scan), median of RUNS,
    netprobe and nmap taking turns; ``netprobe --help`` against a bare interpreter."""
    import shutil

    nmap = shutil.which("nmap")
    netprobe_bin = str(Path(sys.executable).with_name("netprobe"))
    env = {**os.environ, "NETPROBE_SCOPE": "127.0.0.0/8"}
    rows = []
    for what, ours, theirs in SMALL_JOBS:
        mine, peer = [], []
        for _ in range(RUNS):
            mine.append(_cpu([netprobe_bin, *ours], env))
            if nmap:
                peer.append(_cpu([nmap, *theirs], env))
        peers = {"nmap": statistics.median(peer)} if peer else {}
        rows.append(Row(what, "s CPU", statistics.median(mine), peers, higher_is_better=False,
                        target="whole command within nmap's wall time (issue 16)",
                        note=f"user+sys, median of {RUNS}"))
    helps = [_cpu([netprobe_bin, "--help"], env) for _ in range(RUNS)]
    bare = [_cpu([sys.executable, "-c", "pass"], env) for _ in range(RUNS)]
    rows.append(Row("netprobe --help", "s CPU", statistics.median(helps),
                    {"bare python": statistics.median(bare)}, higher_is_better=False,
                    target="<= 0.1 s (issue 15)", note=f"user+sys, median of {RUNS}"))
    bench_report.section("small probing commands: CPU of the whole command", rows,
                         f"loopback, median of {RUNS}, taking turns")
