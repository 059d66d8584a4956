"""ESP (plain) and NAT-T on UDP 4500 against Scapy (bytes, dissection, printing) and tshark."""

from __future__ import annotations

import subprocess

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet as N  # noqa: N812
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import ls_matches_scapy, mutations, never_raises, same_face

CASES = [
    "ESP()",
    "ESP(spi=0xdeadbeef, seq=2**32 - 1, data=bytes(range(40)))",
    "IP(src='198.18.0.1', dst='198.18.0.2')/ESP(spi=5, seq=1, data=b'abcdef')",
    "IP(src='198.18.0.1', dst='198.18.0.2', ttl=3)/ESP()",
    "IPv6(src='2001:db8::1', dst='2001:db8::2')/ESP(spi=9)",
    "IPv6(src='2001:db8::1', dst='2001:db8::2')/ESP(spi=9, seq=7, data=b'x' * 33)",
    "UDP()/ESP(data=b'x')",
    "UDP(sport=1, dport=4500)/Raw(b'abcdefghijk')",
    "UDP(sport=4500, dport=4500)/Raw(b'\\x00\\x00\\x00\\x00abc')",
    "UDP(sport=4500, dport=1)/Raw(b'\\xff')",
    "UDP(sport=4500, dport=1)/Raw(b'\\xfe')",
    "UDP(sport=4500, dport=1)/Raw(b'\\x01\\x02\\x03\\x04\\x05')",
    "UDP()/NON_ESP()",
    "UDP()/NAT_KEEPALIVE()",
    "IP(src='198.18.0.1', dst='198.18.0.2')/UDP()/ESP(spi=3, data=b'payload')",
]


def _both(expr: str) -> tuple:
    N.load_families()
    ours = eval(expr, {n: getattr(N, n) for n in N.__all__})
    return ours, eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


def test_a_cut_or_mutated_packet_never_raises() -> None:
    frames = []
    for expr in (CASES[2], CASES[14]):
        frames += mutations(bytes(_both(expr)[0]), count=300)
    never_raises(frames, lambda b: dissect_as(N.IP, b))


def test_tshark_reads_what_netprobe_builds(tmp_path) -> None:
    from netprobe.library.pcap_write import wrpcap

    pkts = [N.Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / _both(e)[0]
            for e in (CASES[2], CASES[3], CASES[4], CASES[5], CASES[14])]
    path = tmp_path / "esp.pcap"
    wrpcap(str(path), pkts)
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|",
                          "-e", "esp.spi", "-e", "esp.sequence"],
                         capture_output=True, text=True, timeout=120,
                         check=True).stdout.splitlines()
    assert len(out) == len(pkts)
    for line, pkt in zip(out, pkts, strict=True):
        spi, seq = line.split("|")
        esp = pkt[N.ESP]
        assert (int(spi, 16), int(seq)) == (esp.spi, esp.seq)


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import ipsec as family

    assert ls_matches_scapy(family)
