"""Probe templates: a million distinct SYN probes stamped out of one packet set.

``IP(dst="198.18.0.0/16")/TCP(dport=range(1, 17), flags="S")`` is 1,048,576
probes; the template writes the first 1,000,000 in chunks, as the engine
stamps them (``ProbeTemplate.stamp``, in C: without the extension there are no
templates, and the engine builds probes one by one). The same probes are
also built one by one, by iterating the packet set with netprobe and with Scapy, on a sample (every
figure is a rate). The source address is given (198.18.1.2, the lab
scanner) because nothing here asks the routing table; the bytes of all three
ways are checked to be equal on the sample.

Issue target: >= 1,000,000 probes/s from a template.
"""

from __future__ import annotations

import itertools

import pytest
from scapy.layers import inet as scapy_inet

from netprobe.engine import compiled
from netprobe.engine.template import ProbeTemplate
from netprobe.packet import IP, TCP
from tests.bench.bench_table import BenchReport, Row
from tests.bench.stopwatch import best_of

pytestmark = pytest.mark.bench

COUNT = 1_000_000
CHUNK = 65_536
ONE_BY_ONE_COUNT = 100_000
SCAPY_COUNT = 10_000
TARGET = 1_000_000  # probes/s
SRC, NET = "198.18.1.2", "198.18.0.0/16"


def packet_set() -> IP:
    """The benchmark's packet set, as netprobe writes it."""
    return IP(src=SRC, dst=NET) / TCP(dport=range(1, 17), flags="S")


def stamp(count: int) -> list[bytes]:
    """Make the template and stamp ``count`` probes in chunks, as the engine does (setup
    included)."""
    template = ProbeTemplate(packet_set())
    return [template.stamp(start, min(CHUNK, count - start)) for start in range(0, count, CHUNK)]


def one_by_one_netprobe(count: int) -> list[bytes]:
    """The first ``count`` probes built one at a time by iterating the packet set."""
    return [bytes(p) for p in itertools.islice(iter(packet_set()), count)]


def one_by_one_scapy(count: int) -> list[bytes]:
    """The first ``count`` probes built one at a time by Scapy from the same set."""
    pkts = scapy_inet.IP(src=SRC, dst=NET) / scapy_inet.TCP(dport=(1, 16), flags="S")
    return [bytes(p) for p in itertools.islice(iter(pkts), count)]


def test_template_probes(bench_report: BenchReport) -> None:
    """Probes per second: template batches vs one by one (netprobe, Scapy)."""
    if compiled.batch is None:
        pytest.skip("no templates without the C extension (not built, or NETPROBE_PURE=1)")
    timings = best_of({
        "template": lambda: stamp(COUNT),
        "netprobe one by one": lambda: one_by_one_netprobe(ONE_BY_ONE_COUNT),
        "Scapy": lambda: one_by_one_scapy(SCAPY_COUNT),
    })
    stamped = b"".join(timings["template"][1])
    width = len(bytes(next(iter(packet_set()))))
    rows = [stamped[i:i + width] for i in range(0, len(stamped), width)]
    assert len(rows) == COUNT
    # distinct: a million different probes, not one probe a million times
    assert len(set(rows)) == COUNT
    # the same probes all three ways (on the samples)
    singles = timings["netprobe one by one"][1]
    assert rows[:ONE_BY_ONE_COUNT] == singles
    assert timings["Scapy"][1] == singles[:SCAPY_COUNT]

    template_rate = COUNT / timings["template"][0]
    row = Row("SYN probes", "probes/s", template_rate,
              {"netprobe one by one": ONE_BY_ONE_COUNT / timings["netprobe one by one"][0],
               "Scapy": SCAPY_COUNT / timings["Scapy"][0]},
              target=f">= {TARGET:,} probes/s", met=template_rate >= TARGET,
              note="template time includes making the template; engine stamping in C")
    bench_report.section(
        "probe templates: IP(dst=198.18.0.0/16)/TCP(dport=1..16, flags=S)",
        [row],
        f"template: {COUNT:,} probes in chunks of {CHUNK:,}; one by one: "
        f"{ONE_BY_ONE_COUNT:,} (netprobe), {SCAPY_COUNT:,} (Scapy); best of 3",
    )
