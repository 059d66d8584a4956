"""SCTP against Scapy (bytes, dissection, show/repr/summary) and tshark (fields, CRC32c)."""

from __future__ import annotations

import subprocess

import pytest
import scapy.layers.sctp as S  # noqa: N812 - S for Scapy, N for netprobe
from scapy.layers.inet import IP as SIP
from scapy.layers.inet6 import IPv6 as SIPv6

import netprobe.packet.layers.sctp as N  # noqa: N812
from netprobe.packet import IP
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.ipv6_header import IPv6
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

#: packets written once as text, evaluated with Scapy's classes and with netprobe's
CASES = [
    "SCTP()",
    "SCTP(sport=5000, dport=80, tag=0x1234)/SCTPChunkInit()",
    "SCTP(sport=5672, dport=5672)/SCTPChunkInit(init_tag=7, a_rwnd=65535, n_out_streams=10,"
    " n_in_streams=65535, init_tsn=99)",
    "SCTP()/SCTPChunkInit(params=[SCTPChunkParamIPv4Addr(addr='198.18.0.1'),"
    " SCTPChunkParamStateCookie(cookie=b'abc')])",
    "SCTP()/SCTPChunkInitAck(init_tag=5, a_rwnd=100, params=["
    "SCTPChunkParamSupportedAddrTypes(), SCTPChunkParamSupportedExtensions(),"
    " SCTPChunkParamECNCapable(), SCTPChunkParamFwdTSN(),"
    " SCTPChunkParamIPv6Addr(addr='2001:db8::1'), SCTPChunkParamCookiePreservative(),"
    " SCTPChunkParamHostname(hostname=b'h'), SCTPChunkParamAdaptationLayer(),"
    " SCTPChunkParamUnrocognizedParam(param=b'abc')])",
    "SCTP()/SCTPChunkData(data=b'hello')",
    "SCTP()/SCTPChunkData()",
    "SCTP()/SCTPChunkData(data=b'abcd', tsn=1, stream_id=2, stream_seq=3, proto_id=46,"
    " beginning=1, ending=1, unordered=1, delay_sack=1)",
    "SCTP()/SCTPChunkData(data=b'x' * 37, proto_id='Diameter/SCTP')",
    "SCTP()/SCTPChunkData(data=b'hello')/SCTPChunkSACK(gap_ack_list=['1:2'], dup_tsn_list=[5])",
    "SCTP()/SCTPChunkSACK(cumul_tsn_ack=77, a_rwnd=1000, gap_ack_list=['1:2', '4:9'],"
    " dup_tsn_list=[5, 6, 7])",
    "SCTP()/SCTPChunkSACK()",
    "SCTP(sport=5672)/SCTPChunkAbort(TCB=1, error_causes=b'ab')/SCTPChunkShutdown()"
    "/SCTPChunkShutdownAck()/SCTPChunkShutdownComplete()/SCTPChunkCookieEcho(cookie=b'xyz')"
    "/SCTPChunkCookieAck()",
    "SCTP()/SCTPChunkShutdown(cumul_tsn_ack=0xdeadbeef)/SCTPChunkShutdownComplete(TCB=1)",
    "SCTP()/SCTPChunkHeartbeatReq(params=[SCTPChunkParamHeartbeatInfo(data=b'abcde')])"
    "/SCTPChunkHeartbeatAck()/SCTPChunkError(error_causes=b'q')",
    "SCTP()/SCTPChunkHeartbeatAck(params=[SCTPChunkParamHeartbeatInfo(data=b'12345678')])",
    "SCTP()/SCTPChunkCookieEcho(cookie=b'c' * 33)/SCTPChunkData(data=b'after the cookie')",
    "SCTP(chksum=0x1234)/SCTPChunkCookieAck(flags=3)",
    "SCTP()/SCTPChunkAbort()",
    "SCTP()/SCTPChunkError()",
]


def _both(expr: str) -> tuple:
    return eval(expr, dict(vars(N))), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_sctp_alone_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    same_face(ours, theirs)


@pytest.mark.parametrize("expr", CASES)
def test_sctp_over_ip_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    same_face(IP(src="198.18.0.1", dst="198.18.0.2") / ours,
              SIP(src="198.18.0.1", dst="198.18.0.2") / theirs)


@pytest.mark.parametrize("expr", CASES[:6])
def test_sctp_over_ipv6_builds_scapys_bytes(expr: str) -> None:
    ours, theirs = _both(expr)
    data = bytes(SIPv6(src="2001:db8::1", dst="2001:db8::2") / theirs)
    assert bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / ours) == data
    read = dissect_as(IPv6, data)
    assert repr(read[N.SCTP]) == repr(SIPv6(data)[S.SCTP])


def test_crc32c_check_value() -> None:
    # RFC 3720 B.4 / the CRC catalogue's check value for "123456789"
    assert N.crc32c(b"123456789") == 0xE3069283


def test_a_cut_or_mutated_packet_never_raises() -> None:
    ours, _ = _both(CASES[4])
    frames = mutations(bytes(IP(src="198.18.0.1", dst="198.18.0.2") / ours), count=400)
    ours, _ = _both(CASES[12])
    frames += mutations(bytes(IP(src="198.18.0.1", dst="198.18.0.2") / ours), count=400)
    never_raises(frames, lambda b: dissect_as(IP, b))


def test_a_chunk_longer_than_the_packet_is_noted() -> None:
    data = bytes(N.SCTP() / N.SCTPChunkData(data=b"hello"))[:-6]
    pkt = dissect_as(N.SCTP, data)
    assert pkt.errors
    assert N.SCTPChunkData not in pkt


def test_tshark_finds_the_crc32c_right(tmp_path) -> None:
    from netprobe.packet import Ether

    pkts = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / IP(src="198.18.0.1", dst="198.18.0.2") / eval(e, dict(vars(N))) for e in CASES[1:8]]
    path = tmp_path / "sctp.pcap"
    _write_pcap(path, [bytes(p) for p in pkts])
    done = subprocess.run(["tshark", "-r", str(path), "-o", "sctp.checksum:CRC-32C",
                           "-T", "fields", "-e", "sctp.checksum.status"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["1"] * len(pkts)  # 1: "good"


def _write_pcap(path, frames: list[bytes]) -> None:
    import struct

    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)


def test_corpus_sctp_fields_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "zeek__communityid-sctp.pcap"
    rows = tshark_rows(path, "sctp", ["sctp.srcport", "sctp.dstport", "sctp.verification_tag",
                                      "sctp.checksum", "sctp.chunk_type", "sctp.chunk_length"])
    pkts = corpus_packets(path)
    assert len(rows) > 50
    for number, (sport, dport, tag, chksum, types, lengths) in rows.items():
        sctp = pkts[number][N.SCTP]
        assert (sctp.sport, sctp.dport) == (int(sport), int(dport)), number
        assert sctp.tag == int(tag, 16)
        assert sctp.chksum == int(chksum, 16)
        chunks = []
        cur = sctp.payload
        while cur:
            chunks.append(cur)
            cur = cur.payload
        assert [c.type for c in chunks] == [int(t) for t in types.split(",")], number
        assert [c.len for c in chunks] == [int(n) for n in lengths.split(",")], number


def test_corpus_sctp_reads_as_scapy_reads_it(corpus_dir) -> None:
    from scapy.layers.l2 import Ether as SEther

    path = corpus_dir / "zeek__communityid-sctp.pcap"
    pkts = corpus_packets(path)
    from tests.packet.link_compare import frames

    compared = 0
    for i, (_lt, data, _wl) in enumerate(frames(path), 1):
        theirs = SEther(data)
        if S.SCTP not in theirs:
            continue
        assert repr(pkts[i][N.SCTP]) == repr(theirs[S.SCTP]), i
        compared += 1
    assert compared > 50


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import sctp as family

    assert ls_matches_scapy(family)
