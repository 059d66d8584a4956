"""Fuzz cases made per second: ``netprobe fuzz`` against Scapy's ``fuzz()``, same templates.

Two templates, the issue's examples: a DNS query over UDP, and a TCP SYN
with five options. netprobe's figure is ``CaseMaker.case(i)`` for
consecutive ``i`` (each case its own generator, seeded from (seed, i); the
template and the targets are made inside the timed work), with the default
fields (the layers above IP, ``dport`` aside) and every strategy. Scapy's
cost of a case is ``bytes(fuzz(pkt))``: a copy of the template with random
values in its unset fields, built. Both produce bytes ready to send.

Issue target: >= 20x Scapy's cases per second.
"""

from __future__ import annotations

import logging

import pytest

from netprobe.packet import dissect_as
from netprobe.plugins.fuzz.cases import CaseMaker, load_template
from netprobe.plugins.fuzz.targets import STRATEGIES, select
from tests.bench.bench_table import BenchReport, Row
from tests.bench.stopwatch import best_of

pytestmark = pytest.mark.bench

COUNT = 20_000
SCAPY_COUNT = 1_000
TARGET = 20.0  # times Scapy's rate
SRC, DST = "198.18.1.2", "198.18.1.12"
TCP_OPTIONS = [("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""),
               ("Timestamp", (1, 2))]

TEMPLATES = {
    "IP/UDP/DNS query": f'IP(src="{SRC}",dst="{DST}")/UDP(sport=4000,dport=53)/'
                        'DNS(qd=DNSQR(qname="www.example.com"))',
    "IP/TCP SYN, 5 options": f'IP(src="{SRC}",dst="{DST}")/TCP(sport=4000,dport=80,'
                             f'flags="S",options={TCP_OPTIONS!r})',
}


def scapy_template(name: str):
    """The same packet, written for Scapy."""
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import IP, TCP, UDP

    if name.startswith("IP/UDP/DNS"):
        return IP(src=SRC, dst=DST) / UDP(sport=4000, dport=53) / DNS(
            qd=DNSQR(qname="www.example.com"))
    return IP(src=SRC, dst=DST) / TCP(sport=4000, dport=80, flags="S", options=TCP_OPTIONS)


def netprobe_cases(expr: str, count: int) -> list[bytes]:
    """``count`` cases of seed 1, the template and targets made first (timed too)."""
    template = load_template(expr)
    targets = select(template.chain, template.targets, [], keep_invalid=False,
                     strategies=STRATEGIES)
    case = CaseMaker(template, targets, 1).case
    return [case(i).data for i in range(count)]


def scapy_cases(pkt, count: int) -> list[bytes]:
    """``count`` cases the Scapy way."""
    from scapy.packet import fuzz

    return [bytes(fuzz(pkt)) for _ in range(count)]


def test_fuzz_cases_per_second(bench_report: BenchReport) -> None:
    """Cases per second for each template, netprobe vs Scapy, in one run."""
    rows = []
    for name, expr in TEMPLATES.items():
        spkt = scapy_template(name)
        # the same template both ways
        assert bytes(spkt) == load_template(expr).data
        timings = best_of({
            "netprobe": lambda expr=expr: netprobe_cases(expr, COUNT),
            "Scapy": lambda spkt=spkt: scapy_cases(spkt, SCAPY_COUNT),
        })
        ours = timings["netprobe"][1]
        assert len(ours) == COUNT and len(set(ours)) > COUNT // 4
        template = load_template(expr)
        base = template.data
        assert sum(c != base for c in ours) > COUNT * 0.95
        for data in ours[:2000]:  # cases dissect (the full check is in the unit tests)
            dissect_as(type(template.packet), data).summary()
        rate = COUNT / timings["netprobe"][0]
        scapy_rate = SCAPY_COUNT / timings["Scapy"][0]
        rows.append(Row(f"{name}: cases", "cases/s", rate, {"Scapy": scapy_rate},
                        target=f">= {TARGET:.0f}x Scapy", met=rate >= TARGET * scapy_rate,
                        note="netprobe: CaseMaker.case(i) -> bytes; Scapy: bytes(fuzz(pkt))"))
    text = bench_report.section(
        "fuzz cases generated", rows,
        f"netprobe {COUNT:,} cases (seed 1, default fields, all strategies), "
        f"Scapy {SCAPY_COUNT:,} fuzz() cases per template; best of 3")
    for row in rows:
        print(f"ratio {row.what}: {row.speedup('Scapy'):.1f}x Scapy")
    assert text
