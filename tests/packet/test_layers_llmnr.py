"""LLMNR against Scapy (bytes, dissection, printing) and tshark (corpus)."""

from __future__ import annotations

import json

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet as N  # noqa: N812
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.llmnr import LLMNRQuery
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

CASES = [
    "LLMNRQuery()",
    "LLMNRResponse()",
    "UDP()/LLMNRQuery()",
    "IP(src='198.18.0.1', dst='224.0.0.252')/UDP(sport=5000, dport=5355)"
    "/LLMNRQuery(id=5, qd=DNSQR(qname='host'))",
    "UDP(sport=5355, dport=5000)/LLMNRResponse(id=5, qd=DNSQR(qname='host'),"
    " an=DNSRR(rrname='host', rdata='198.18.0.9'))",
    "LLMNRResponse(c=1, t=1, z=3)",
    "UDP(sport=5000, dport=5355)/LLMNRQuery(id=9, qd=DNSQR(qname='h', qtype='AAAA'), tc=1)",
    "UDP()/LLMNRResponse(an=DNSRR(rrname='x', type='AAAA', rdata='2001:db8::1'))",
    "UDP()/LLMNRResponse(qd=[DNSQR(qname='a'), DNSQR(qname='b')], rcode=3)",
]


def _both(expr: str) -> tuple:
    N.load_families()
    return eval(expr, {n: getattr(N, n) for n in N.__all__}), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    same_face(ours, theirs)
    json.dumps(dissect_as(type(ours), bytes(ours)).to_dicts())


def test_the_qr_bit_chooses_the_class_on_either_port() -> None:
    for sport, dport in ((5355, 5355), (5355, 40000), (40000, 5355)):
        for qr in (0, 1):
            data = bytes(S.UDP(sport=sport, dport=dport) / S.LLMNRQuery(qr=qr))
            assert repr(dissect_as(N.UDP, data)) == repr(S.UDP(data))


def test_a_cut_or_mutated_message_never_raises() -> None:
    frames = []
    for expr in (CASES[3], CASES[4]):
        frames += mutations(bytes(_both(expr)[0]), count=300)
    never_raises(frames, lambda b: dissect_as(N.IP, b) if b[:1] == b"E" else dissect_as(N.UDP, b))


@pytest.mark.parametrize("name", ["pcapplusplus__DnsPackets.pcap", "zeek__wikipedia.pcap"])
def test_corpus_llmnr_is_tsharks(corpus_dir, name: str) -> None:
    path = corpus_dir / name
    rows = tshark_rows(path, "llmnr", ["dns.id", "dns.flags.response", "dns.count.queries",
                                       "dns.count.answers", "dns.qry.name"])
    assert rows
    pkts = corpus_packets(path)
    for number, (ident, response, queries, answers, qnames) in rows.items():
        msg = next(x for x in pkts[number].chain() if isinstance(x, LLMNRQuery))
        assert type(msg).__name__ == ("LLMNRResponse" if response == "1" else "LLMNRQuery")
        assert (msg.id, msg.qdcount, msg.ancount) == (int(ident, 16), int(queries), int(answers))
        assert [q.qname.decode().rstrip(".") for q in msg.qd] == qnames.split(",")


@pytest.mark.parametrize("name", ["pcapplusplus__DnsPackets.pcap", "zeek__wikipedia.pcap"])
def test_corpus_llmnr_reads_as_scapy_reads_it(corpus_dir, name: str) -> None:
    from tests.packet.link_compare import frames

    path = corpus_dir / name
    pkts = corpus_packets(path)
    compared = 0
    for i, (_lt, data, _wl) in enumerate(frames(path), 1):
        theirs = S.Ether(data)
        layer = theirs.getlayer(S.LLMNRQuery, _subclass=True)
        if layer is None:
            continue
        mine = next(x for x in pkts[i].chain() if isinstance(x, LLMNRQuery))
        assert repr(mine) == repr(layer), i
        compared += 1
    assert compared > 0


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import llmnr as family

    assert ls_matches_scapy(family)
