"""RTP against Scapy (bytes, dissection, printing) and tshark (fields of what we build)."""

from __future__ import annotations

import json
import subprocess

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet as N  # noqa: N812
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import ls_matches_scapy, mutations, never_raises, same_face

CASES = [
    "RTP()",
    "RTP(version=2, marker=1, payload_type=8, sequence=5, timestamp=100, sourcesync=0x1234,"
    " sync=[1, 2])/Raw(b'abc')",
    "RTP(extension=1)/RTPExtension(header_id=0xbede, header=[1, 2])",
    "RTP(padding=1)",
    "RTP()/RTPExtension()",
    "RTP(payload_type=96, sequence=65535, timestamp=2**32 - 1)/Raw(b'x' * 20)",
    "RTP(payload_type=34, sync=list(range(15)))",
    "RTPExtension(header_id=1, header=[0xffffffff])",
]


def _both(expr: str) -> tuple:
    N.load_families()
    return eval(expr, {n: getattr(N, n) for n in N.__all__}), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    same_face(ours, theirs)
    json.dumps(dissect_as(type(ours), bytes(ours)).to_dicts())


def test_no_udp_port_reads_as_rtp_as_in_scapy() -> None:
    data = bytes(S.UDP(sport=5004, dport=5004) / S.RTP())
    assert repr(dissect_as(N.UDP, data)) == repr(S.UDP(data))


def test_a_cut_or_mutated_header_never_raises() -> None:
    frames = []
    for expr in (CASES[1], CASES[2]):
        frames += mutations(bytes(_both(expr)[0]), count=300)
    never_raises(frames, lambda b: dissect_as(N.RTP, b))


def test_tshark_reads_what_netprobe_builds(tmp_path) -> None:
    from netprobe.library.pcap_write import wrpcap

    pkts = [N.Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / N.IP(src="198.18.0.1", dst="198.18.0.2") / N.UDP(sport=5004, dport=5004)
            / _both(e)[0] for e in CASES[:6]]
    path = tmp_path / "rtp.pcap"
    wrpcap(str(path), pkts)
    out = subprocess.run(["tshark", "-r", str(path), "-d", "udp.port==5004,rtp", "-T", "fields",
                          "-E", "separator=|", "-E", "occurrence=a",
                          "-e", "rtp.version", "-e", "rtp.padding", "-e", "rtp.ext",
                          "-e", "rtp.cc", "-e", "rtp.marker", "-e", "rtp.p_type",
                          "-e", "rtp.seq", "-e", "rtp.timestamp", "-e", "rtp.ssrc",
                          "-e", "rtp.csrc.item"],
                         capture_output=True, text=True, timeout=120,
                         check=True).stdout.splitlines()
    assert len(out) == len(pkts)
    for line, pkt in zip(out, pkts, strict=True):
        cells = line.split("|")
        rtp = dissect_as(N.Ether, bytes(pkt))[N.UDP].payload
        rtp = dissect_as(N.RTP, bytes(rtp))
        assert [int(c) for c in cells[:3]] == [rtp.version, rtp.padding, rtp.extension]
        assert [int(c) for c in cells[3:5]] == [rtp.numsync, rtp.marker]
        assert int(cells[5]) == rtp.payload_type
        assert (int(cells[6]), int(cells[7]), int(cells[8], 16)) == (
            rtp.sequence, rtp.timestamp, rtp.sourcesync)
        assert [int(c, 16) for c in cells[9].split(",") if c] == rtp.sync


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import rtp as family

    assert ls_matches_scapy(family)
