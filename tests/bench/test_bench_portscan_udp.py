"""UDP port scan against nmap -sU, same ports, same lab, same run.

Both scanners run in the lab's scanner namespace: netprobe's ``scan_udp`` in a
Python process (its time is the scan call, first use of the engine included),
nmap as itself with its default timing (its time is nmap's own "elapsed").
Between two scans of one host the bench waits for the host's ICMP rate limiter
to fill up again, so that neither scanner inherits the other's spent tokens.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.bench.bench_table import BenchReport, Row
from tests.plugins.portscan.test_udp_lab import nmap_udp_in_lab, scan_udp_in_lab, udp_ports_of

pytestmark = pytest.mark.bench

#: seconds for a Linux host's ICMP bucket (6 tokens, one a second) to be full again
REFILL = 7.0
#: quick scans are repeated and the best time kept, for both scanners
QUICK_RUNS = 3


def _scan_pair(lab: Any, host: dict, ports: list[int], runs: int
               ) -> tuple[dict, float, dict, float]:
    """(netprobe states, best seconds, nmap states, best seconds) for ``ports`` of ``host``."""
    address = host["ipv4"]
    ours_best = theirs_best = float("inf")
    ours_states: dict[int, tuple[str, str]] = {}
    theirs_states: dict[int, tuple[str, str]] = {}
    for _ in range(runs):
        time.sleep(REFILL)
        got = scan_udp_in_lab(lab, [(address, p) for p in ports], timeout=1.0, retries=10)
        ours_best = min(ours_best, got["seconds"])
        ours_states = {port: value[:2] for (_, port), value in got["ports"].items()}
        time.sleep(REFILL)
        theirs_states, _, elapsed = nmap_udp_in_lab(lab, address, ports)
        theirs_best = min(theirs_best, elapsed)
    return ours_states, ours_best, theirs_states, theirs_best


def _row(what: str, lab: Any, host: dict, ports: list[int], ours: dict, ours_s: float,
         theirs: dict, theirs_s: float) -> Row:
    truth = {p: lab.expected(host["name"], "udp", p) for p in ports}
    same = ours == theirs == truth
    row = Row(what, "s", ours_s, {"nmap -sU": theirs_s}, higher_is_better=False,
              target="same states, <= nmap's time")
    row.met = same and ours_s <= theirs_s
    counts: dict[tuple[str, str], int] = {}
    for state in ours.values():
        counts[state] = counts.get(state, 0) + 1
    row.note = (f"states {'identical to nmap and the lab' if same else 'DIFFER'}: "
                + ", ".join(f"{n} {s}/{r}" for (s, r), n in sorted(counts.items())))
    if ours != theirs:
        row.note += f"; nmap {theirs}"
    return row


def test_udp_scan_against_nmap(lab: Any, bench_report: BenchReport) -> None:
    rows = []
    for name in ("h1", "h2"):
        host = lab.host(name)
        ports = udp_ports_of(host)
        ours, ours_s, theirs, theirs_s = _scan_pair(lab, host, ports, QUICK_RUNS)
        rows.append(_row(f"{name}'s UDP ports {ports}", lab, host, ports, ours, ours_s,
                         theirs, theirs_s))
    host = lab.host("h5")
    ports = list(range(1, 41))  # 53 is h5's only UDP service: 40 closed ports
    ours, ours_s, theirs, theirs_s = _scan_pair(lab, host, ports, 1)
    rows.append(_row("h5 UDP 1-40 (closed: ICMP rate limited, 1/s after 6)", lab, host,
                     ports, ours, ours_s, theirs, theirs_s))
    bench_report.section(
        "portscan -sU: netprobe scan_udp vs nmap -sU (IPv4)",
        rows,
        f"scanner namespace; netprobe timeout 1 s (nmap's initial), best of {QUICK_RUNS} "
        f"for the short port lists, one run for 1-40; {REFILL:g} s pause before each scan",
    )
    # correctness is not timing noise
    assert all("identical" in row.note for row in rows), [row.note for row in rows]
