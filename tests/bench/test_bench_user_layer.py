"""A user-defined layer (Scapy's ``fields_desc``) against the same header in dpkt and Scapy.

The header is 12 bytes: ``ByteField``, ``XByteField``, ``ShortField``, ``IntField``,
``IPField`` (dpkt: ``B``, ``B``, ``H``, ``I``, ``4s``). 100,000 headers with the
short and int fields varying are built and serialized by each library, and then
read back from the same bytes (each library makes its header object from the
bytes and reads one field), as a Scapy user writes it: ``bytes(Hdr(...))`` and
``Hdr(raw).port``. The bytes must be identical. Best of 3, the libraries taking
turns; Scapy does 10,000 (every figure is a rate).

Issue targets: build >= 2x dpkt; dissect >= 1.5x dpkt.
"""

from __future__ import annotations

import socket

import dpkt
import pytest
import scapy.packet as scapy_packet
from scapy import fields as sf

from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import ByteField, IntField, IPField, ShortField, XByteField
from tests.bench.bench_table import BenchReport, Row
from tests.bench.stopwatch import best_of

pytestmark = pytest.mark.bench

COUNT = 100_000
SCAPY_COUNT = 10_000
BUILD_TARGET = 2.0  # x dpkt
DISSECT_TARGET = 1.5  # x dpkt
ADDR = "198.18.0.1"


class Hdr(Packet):
    """The user's layer, as the Scapy documentation declares one."""

    name = "Bench header"
    fields_desc = [ByteField("ver", 1), XByteField("kind", 0), ShortField("port", 0),
                   IntField("seq", 0), IPField("addr", "0.0.0.0")]


class ScapyHdr(scapy_packet.Packet):
    """The same declaration in Scapy."""

    name = "Bench header"
    fields_desc = [sf.ByteField("ver", 1), sf.XByteField("kind", 0), sf.ShortField("port", 0),
                   sf.IntField("seq", 0), sf.IPField("addr", "0.0.0.0")]


class DpktHdr(dpkt.Packet):
    """The same header in dpkt."""

    __hdr__ = (("ver", "B", 1), ("kind", "B", 0), ("port", "H", 0), ("seq", "I", 0),
               ("addr", "4s", b"\x00" * 4))


def values(count: int) -> list[tuple[int, int]]:
    """(port, seq) of each header."""
    return [(i % 65536, (i * 2654435761) & 0xFFFFFFFF) for i in range(count)]


def build_netprobe(vals: list[tuple[int, int]]) -> list[bytes]:
    """Build and serialize each header with netprobe."""
    return [bytes(Hdr(kind=2, port=p, seq=s, addr=ADDR)) for p, s in vals]


def build_scapy(vals: list[tuple[int, int]]) -> list[bytes]:
    """Build and serialize each header with Scapy."""
    return [bytes(ScapyHdr(kind=2, port=p, seq=s, addr=ADDR)) for p, s in vals]


def build_dpkt(vals: list[tuple[int, int]]) -> list[bytes]:
    """Build and serialize each header with dpkt (the address converted, as the others do)."""
    aton = socket.inet_aton
    return [bytes(DpktHdr(kind=2, port=p, seq=s, addr=aton(ADDR))) for p, s in vals]


def ports_netprobe(frames: list[bytes]) -> list[int]:
    """Read each header with netprobe, as a Scapy user does: ``Hdr(raw).port``."""
    return [Hdr(f).port for f in frames]


def ports_scapy(frames: list[bytes]) -> list[int]:
    """Read each header with Scapy."""
    return [ScapyHdr(f).port for f in frames]


def ports_dpkt(frames: list[bytes]) -> list[int]:
    """Read each header with dpkt."""
    return [DpktHdr(f).port for f in frames]


def _row(what: str, timings: dict[str, tuple[float, object]], target: float) -> Row:
    counts = {"netprobe": COUNT, "dpkt": COUNT, "Scapy": SCAPY_COUNT}
    rates = {name: counts[name] / seconds for name, (seconds, _) in timings.items()}
    row = Row(what, "pkt/s", rates["netprobe"], {"dpkt": rates["dpkt"], "Scapy": rates["Scapy"]})
    row.target = f">= {target:g}x dpkt"
    row.met = (row.speedup("dpkt") or 0) >= target
    return row


def test_user_layer(bench_report: BenchReport) -> None:
    """Build+serialize and dissect+read rates of a fields_desc layer: netprobe, dpkt, Scapy."""
    vals = values(COUNT)
    built = best_of({
        "netprobe": lambda: build_netprobe(vals),
        "dpkt": lambda: build_dpkt(vals),
        "Scapy": lambda: build_scapy(vals[:SCAPY_COUNT]),
    })
    frames = built["netprobe"][1]
    assert built["dpkt"][1] == frames, "dpkt and netprobe built different headers"
    assert built["Scapy"][1] == frames[:SCAPY_COUNT], "Scapy and netprobe built different headers"

    sample = frames[:SCAPY_COUNT]
    read = best_of({
        "netprobe": lambda: ports_netprobe(frames),
        "dpkt": lambda: ports_dpkt(frames),
        "Scapy": lambda: ports_scapy(sample),
    })
    expected = [p for p, _ in vals]
    assert read["netprobe"][1] == expected
    assert read["dpkt"][1] == expected
    assert read["Scapy"][1] == expected[:SCAPY_COUNT]

    rows = [_row("build+serialize", built, BUILD_TARGET),
            _row("dissect+read a field", read, DISSECT_TARGET)]
    bench_report.section("user-defined layer (fields_desc): a 12-byte header", rows,
                         f"{COUNT:,} headers for netprobe and dpkt, {SCAPY_COUNT:,} for Scapy; "
                         "best of 3")
