"""DNS dissection against dpkt and Scapy, in one run: ordinary messages, and messages
carrying EDNS(0) options and DNSSEC records (which read into their own classes).

Each library dissects the same Ether/IP/UDP/DNS frames and reads the first answer's
data (or the question's name), which is checked to be the same value. Each figure is
the best of 3 repetitions, the libraries taking turns. Scapy dissects a tenth of the
frames (a rate is compared, so the sizes need not match). dpkt does not read DNSSEC
records (it raises on an RRSIG): that message is compared with Scapy alone.
"""

from __future__ import annotations

import dpkt
import pytest
import scapy.all as scapy_all

from netprobe.packet import DNS, dissect
from tests.bench.bench_table import BenchReport, Row
from tests.bench.stopwatch import best_of

pytestmark = pytest.mark.bench

COUNT = 20_000
SCAPY_COUNT = 2_000
_HEAD = ('Ether()/IP(src="198.18.0.53", dst="198.18.0.2")/UDP(sport=53, dport=40000)/')
MESSAGES = {
    "A response (1 question, 2 answers)": _HEAD + (
        'DNS(id=7, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.com"), an=[DNSRR('
        'rrname="www.example.com", rdata="198.18.5.1", ttl=300), DNSRR(rrname='
        '"www.example.com", rdata="198.18.5.2", ttl=300)])'),
    "query with EDNS cookie": _HEAD + (
        'DNS(id=8, rd=1, qd=DNSQR(qname="www.example.com"), ar=DNSRROPT(rclass=1232, '
        'rdata=[EDNS0COOKIE(client_cookie=b"\\x01" * 8)]))'),
    "signed response (RRSIG, EDNS)": _HEAD + (
        'DNS(id=9, qr=1, qd=DNSQR(qname="example.com"), an=[DNSRR(rrname="example.com", '
        'rdata="198.18.5.1"), DNSRRRSIG(rrname="example.com", typecovered=1, algorithm=13, '
        'labels=2, originalttl=300, keytag=1, signersname="example.com", signature=b"s" * 64)],'
        ' ar=DNSRROPT(rdata=[EDNS0COOKIE(client_cookie=b"\\x01" * 8, server_cookie=b"\\x02" '
        '* 16)]))'),
}


def _first(values: list[object]) -> object:
    return values[0] if values else None


def read_netprobe(frames: list[bytes]) -> list[object]:
    """Dissect each frame and read its first answer's data, else its question's name."""
    out = []
    for f in frames:
        d = dissect(f)[DNS]
        out.append(d.an[0].rdata if d.an else d.qd[0].qname)
    return out


def read_scapy(frames: list[bytes]) -> list[object]:
    """The same with Scapy."""
    out = []
    for f in frames:
        d = scapy_all.Ether(f)[scapy_all.DNS]
        out.append(d.an[0].rdata if d.an else d.qd[0].qname)
    return out


def read_dpkt(frames: list[bytes]) -> list[object]:
    """The same with dpkt (its A data as text, its names with the final dot, as the others)."""
    eth = dpkt.ethernet.Ethernet
    dns = dpkt.dns.DNS
    out: list[object] = []
    for f in frames:
        d = dns(eth(f).data.data.data)
        if d.an:
            rr = d.an[0]
            out.append(".".join(str(b) for b in rr.rdata) if rr.type == 1 else rr.rdata)
        else:
            out.append(d.qd[0].name.encode() + b".")
    return out


@pytest.mark.parametrize("what", list(MESSAGES))
def test_dns_dissect(what: str, bench_report: BenchReport) -> None:
    """Dissect+read rates of netprobe, dpkt and Scapy for one kind of DNS message."""
    frame = bytes(eval(MESSAGES[what], vars(scapy_all)))
    frames = [frame] * COUNT
    contenders = {
        "netprobe": lambda: read_netprobe(frames),
        "dpkt": lambda: read_dpkt(frames),
        "Scapy": lambda: read_scapy(frames[:SCAPY_COUNT]),
    }
    if "RRSIG" in what:
        del contenders["dpkt"]
    timings = best_of(contenders)
    ours = timings["netprobe"][1]
    assert ours[:SCAPY_COUNT] == timings["Scapy"][1]
    if "dpkt" in timings:
        assert ours == timings["dpkt"][1]
    counts = {"netprobe": COUNT, "dpkt": COUNT, "Scapy": SCAPY_COUNT}
    rates = {name: counts[name] / seconds for name, (seconds, _) in timings.items()}
    row = Row(f"dissect+read: {what}", "pkt/s", rates["netprobe"],
              {k: v for k, v in rates.items() if k != "netprobe"}, target="(no target set)")
    bench_report.section(f"DNS dissection: {what}", [row],
                         f"{COUNT:,} frames for netprobe and dpkt, {SCAPY_COUNT:,} for "
                         "Scapy; best of 3")
