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
