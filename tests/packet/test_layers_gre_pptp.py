"""PPTP's enhanced GRE (``GRE_PPTP``, GRE version 1) against Scapy: bytes, dissection
(the class chosen from the header's bytes), printing, ``ls``; tshark reads the same
fields; cut or mutated bytes never make the dissector raise."""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

import pytest
import scapy.all as scapy_all

import netprobe.packet as P  # noqa: N812
from netprobe.packet import GRE, IP, IPv6
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.gre import GRE_PPTP
from tests.packet.layers_compare import mutations, never_raises, same_face

CASES = [
    "GRE_PPTP()",
    "GRE_PPTP(call_id=3)/PPP()",
    "GRE_PPTP()/PPP()/IP(src='198.18.0.1', dst='198.18.0.2')/UDP()",
    "GRE_PPTP(seqnum_present=1, sequence_number=3, acknum_present=1, ack_number=9,"
    " call_id=4)/PPP()/IP()/UDP()",
    "GRE_PPTP(acknum_present=1, ack_number=9, call_id=4)",
    "GRE_PPTP(seqnum_present=1, sequence_number=0xFFFFFFFF, payload_len=1)/PPP()/IP()",
    "GRE_PPTP(call_id=7)/PPP(proto=0xc021)/Raw(b'xx')",
    "GRE_PPTP()/PPP()/IPv6()/UDP()",
    "GRE_PPTP(seqnum_present=1)/HDLC()/PPP()/IP()/UDP()",
]


def _both(expr: str) -> tuple:
    P.load_families()
    ours = eval(expr, {n: getattr(P, n) for n in P.__all__})
    theirs = eval(expr, dict(vars(scapy_all)))
    return ours, theirs


@pytest.mark.parametrize("expr", CASES)
def test_alone_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


@pytest.mark.parametrize("expr", CASES)
@pytest.mark.parametrize("over", ["IP(src='198.18.0.1', dst='198.18.0.2')", "IPv6()"])
def test_over_ip_is_scapys(expr: str, over: str) -> None:
    """Stacked on IP/IPv6 the protocol is 47; read back, GRE's bytes choose GRE_PPTP."""
    ours, theirs = _both(f"{over}/{expr}")
    same_face(ours, theirs)


@pytest.mark.parametrize("expr", [
    "GRE(version=1)/Raw(b'abcdabcd')",  # version 1 without PPP's protocol: GRE, as Scapy
    "GRE(version=1, key_present=1, key=3)/Raw(b'abcdabcd')",
    "GRE(version=1, proto=0x880B)/Raw(b'abcdabcd')",  # read as GRE_PPTP, as Scapy
])
def test_class_is_chosen_from_the_bytes_as_in_scapy(expr: str) -> None:
    ours, theirs = _both(f"IP()/{expr}")
    data = bytes(theirs)
    assert bytes(ours) == data
    assert repr(dissect_as(IP, data)) == repr(scapy_all.IP(data))


def test_version_0_with_ppps_protocol_stays_gre() -> None:
    """Scapy reads any GRE header with protocol 0x880B as GRE_PPTP; netprobe only a
    version 1 one (a deliberate difference: a version 0 header has no call id, and
    tshark reads it with version 0's layout)."""
    data = bytes(scapy_all.IP() / scapy_all.GRE(proto=0x880B) / scapy_all.Raw(b"abcdabcd"))
    assert type(scapy_all.IP(data).payload).__name__ == "GRE_PPTP"
    read = dissect_as(IP, data)
    assert [type(x).__name__ for x in read.chain()] == ["IP", "GRE", "Raw"]
    assert read[GRE].proto == 0x880B and bytes(read) == data


def test_read_as_gre_becomes_gre_pptp() -> None:
    data = bytes(scapy_all.GRE_PPTP(call_id=9) / scapy_all.PPP() / scapy_all.IP())
    read = dissect_as(GRE, data)
    assert type(read) is GRE_PPTP and read.call_id == 9 and read.payload_len == 22
    assert bytes(read) == data
    assert isinstance(read, GRE)  # a GRE_PPTP is a GRE subclass, as in Scapy


def test_a_real_pptp_capture_reads_as_in_scapy() -> None:
    """tcpdump's PPTP capture: its enhanced GRE packet (PPP in HDLC framing) has Scapy's
    layers and fields."""
    path = Path("/work/shared/pcaps/corpus/tcpdump__pptp.pcap")
    if not path.exists():
        pytest.skip(f"capture corpus not found at {path.parent}")
    frames = [p for p in scapy_all.rdpcap(str(path)) if scapy_all.GRE_PPTP in p]
    assert frames
    for theirs in frames:
        ours = dissect_as(P.Ether, bytes(theirs))
        names = [type(x).__name__ for x in ours.chain()][:6]
        assert names == [x.__name__ for x in theirs.layers()][:6]
        assert repr(ours[GRE_PPTP]).split(" |<PPP ")[0] == \
            repr(theirs[scapy_all.GRE_PPTP]).split(" |<PPP ")[0]
        assert bytes(ours) == bytes(theirs)


def test_ls_is_scapys() -> None:
    from netprobe.packet.present import ls

    theirs, ours = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(theirs):
        scapy_all.ls(scapy_all.GRE_PPTP)
    with contextlib.redirect_stdout(ours):
        ls(GRE_PPTP)
    assert ours.getvalue() == theirs.getvalue()


def test_a_cut_or_mutated_packet_never_raises() -> None:
    frames = []
    for expr in CASES:
        frames += mutations(bytes(IP() / _both(expr)[0]), count=120)
        frames += mutations(bytes(IPv6() / _both(expr)[0]), count=40)
    never_raises(frames, lambda b: dissect_as(IPv6 if b[:1] == b"`" else IP, b))


def test_tshark_reads_what_netprobe_builds(tmp_path: Path) -> None:
    from netprobe.library.pcap_write import wrpcap

    pkts = [P.Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / _both(e)[0]
            for e in CASES[1:7]]
    path = tmp_path / "pptp.pcap"
    wrpcap(str(path), pkts)
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|", "-e", "gre.proto",
         "-e", "gre.key.payload_length", "-e", "gre.key.call_id", "-e", "gre.sequence_number",
         "-e", "gre.ack_number"],
        capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
    assert len(out) == len(pkts)
    for line, pkt in zip(out, pkts, strict=True):
        proto, length, call_id, seq, ack = line.split("|")
        read = dissect_as(P.Ether, bytes(pkt))[GRE_PPTP]
        assert int(proto, 16) == read.proto
        assert (int(length), int(call_id)) == (read.payload_len, read.call_id)
        assert (int(seq) if seq else None) == read.sequence_number
        assert (int(ack) if ack else None) == read.ack_number
