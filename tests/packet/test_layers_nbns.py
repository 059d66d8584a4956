"""NetBIOS name service against Scapy (bytes, dissection, printing) and tshark (corpus)."""

from __future__ import annotations

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet as N  # noqa: N812
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.nbns import NBNSHeader
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

CASES = [
    "NBNSHeader()",
    "NBNSQueryRequest()",
    "NBNSQueryRequest(QUESTION_NAME='ab  ')",
    "IP(src='198.18.0.1', dst='198.18.0.255')/UDP(sport=137, dport=137)/NBNSHeader()"
    "/NBNSQueryRequest(QUESTION_NAME='WORKGROUP')",
    "UDP(sport=137, dport=137)/NBNSHeader(NAME_TRN_ID=0xff6e)/NBNSQueryRequest("
    "QUESTION_NAME='a' * 20, SUFFIX=0x4341)",
    "NBNSHeader(NAME_TRN_ID=5)/NBNSQueryResponse(RR_NAME='HOST',"
    " ADDR_ENTRY=[NBNS_ADD_ENTRY(NB_ADDRESS='198.18.0.5')])",
    "NBNSHeader()/NBNSQueryResponse(ADDR_ENTRY=[NBNS_ADD_ENTRY(G=1, OWNER_NODE_TYPE=3,"
    " NB_ADDRESS='198.18.0.5'), NBNS_ADD_ENTRY(NB_ADDRESS='198.18.0.6')], TTL=5)",
    "NBNSHeader()/NBNSNodeStatusRequest()",
    "NBNSHeader()/NBNSRegistrationRequest(QUESTION_NAME='PC1', NB_ADDRESS='198.18.0.7', G=1)",
    "NBNSHeader()/NBNSWackResponse()",
    "NBNSHeader(RESPONSE=1, OPCODE=0, NM_FLAGS='RD+AA', ANCOUNT=1, RCODE=3)",
    "IP(src='198.18.0.1', dst='198.18.0.255')/UDP(sport=138, dport=138)/NBTDatagram("
    "SourceName='HOST', DestinationName='WORKGROUP', SourceIP='198.18.0.1')",
    "NBTDatagram()",
    "UDP()/NBTDatagram()",
    "TCP()/NBTSession()",
    "NBTSession(TYPE=0x85)",
    "IP(src='198.18.0.1', dst='198.18.0.2')/TCP(sport=139, dport=1234)/NBTSession(TYPE=0x81)",
]


@pytest.mark.parametrize("name", ["pcapparser__wireshark_samples-test.pcapng", "zeek__Teredo.pcap"])
def test_corpus_datagram_and_session_headers_are_tsharks(corpus_dir, name: str) -> None:
    from netprobe.packet.layers.nbns import NBTDatagram, NBTSession

    path = corpus_dir / name
    rows = tshark_rows(path, "nbdgm or nbss", ["nbdgm.type", "nbdgm.dgram_id", "nbdgm.src.ip",
                                               "nbdgm.src.port", "nbss.type", "nbss.length"])
    assert rows
    pkts = corpus_packets(path)
    for number, (kind, ident, src, sport, stype, slen) in rows.items():
        if kind:
            d = pkts[number][NBTDatagram]
            assert (d.Type, d.ID, d.SourceIP, d.SourcePort) == (
                _num(kind), _num(ident), src, int(sport))
        if stype:
            sess = pkts[number][NBTSession]
            want = (_num(stype.split(",")[0]), int(slen.split(",")[0]))
            assert want == (sess.TYPE, sess.LENGTH)


def _num(text: str) -> int:
    """A number as tshark prints it: hex with 0x, else decimal."""
    return int(text, 16) if text.startswith("0x") else int(text)


def _both(expr: str) -> tuple:
    N.load_families()
    return eval(expr, {n: getattr(N, n) for n in N.__all__}), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


def test_a_cut_or_mutated_message_never_raises() -> None:
    frames = []
    for expr in (CASES[3], CASES[6], CASES[8]):
        ours = _both(expr)[0]
        if not isinstance(ours, N.IP):
            ours = N.IP(src="198.18.0.1", dst="198.18.0.2") / N.UDP(sport=137, dport=137) / ours
        frames += mutations(bytes(ours), count=200)
    never_raises(frames, lambda b: dissect_as(N.IP, b))


@pytest.mark.parametrize("name", ["zeek__wikipedia.pcap", "pcapplusplus__sll.pcap",
                                  "zeek__Teredo.pcap"])
def test_corpus_nbns_is_tsharks(corpus_dir, name: str) -> None:
    path = corpus_dir / name
    rows = tshark_rows(path, "nbns", ["nbns.id", "nbns.flags", "nbns.count.queries",
                                      "nbns.count.answers", "nbns.name", "nbns.type"])
    assert rows
    pkts = corpus_packets(path)
    for number, (ident, flags, queries, answers, names, kinds) in rows.items():
        hdr = pkts[number][NBNSHeader]
        word = (hdr.RESPONSE << 15 | hdr.OPCODE << 11 | int(hdr.NM_FLAGS) << 4 | hdr.RCODE)
        assert (hdr.NAME_TRN_ID, word) == (int(ident, 16), int(flags, 16))
        assert (int(queries), int(answers)) == (hdr.QDCOUNT, hdr.ANCOUNT)
        msg = hdr.payload
        name = msg.QUESTION_NAME if hasattr(msg, "QUESTION_NAME") else msg.RR_NAME
        suffix = ((msg.SUFFIX >> 8) - 0x41) << 4 | ((msg.SUFFIX & 0xFF) - 0x41)
        first = names.split(",")[0]
        assert first == f"{name.decode('latin-1')}<{suffix:02x}>" or first.startswith(
            name.decode("latin-1").rstrip("\x00")), (number, first, name)
        assert int(kinds.split(",")[0]) == msg.QUESTION_TYPE


@pytest.mark.parametrize("name", ["zeek__wikipedia.pcap", "pcapplusplus__sll.pcap"])
def test_corpus_nbns_reads_as_scapy_reads_it(corpus_dir, name: str) -> None:
    from tests.packet.link_compare import frames

    path = corpus_dir / name
    pkts = corpus_packets(path)
    compared = 0
    for i, (lt, data, _wl) in enumerate(frames(path), 1):
        theirs = S.Ether(data) if lt == 1 else S.CookedLinux(data)
        if S.NBNSHeader not in theirs or NBNSHeader not in pkts[i]:
            continue
        assert repr(pkts[i][NBNSHeader]) == repr(theirs[S.NBNSHeader]), i
        compared += 1
    assert compared > 0


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import nbns as family

    assert ls_matches_scapy(family)
