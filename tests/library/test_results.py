"""``sr()``'s answer lists read as Scapy's, without a network: results made from bytes."""

from __future__ import annotations

import pytest

from netprobe.engine.results import Counters, Result, SendReceive
from netprobe.packet import ICMP, IP, TCP


def _run() -> SendReceive:
    syn = IP(src="198.18.0.1", dst="198.18.1.10") / TCP(sport=4000, dport=80, flags="S")
    synack = IP(src="198.18.1.10", dst="198.18.0.1") / TCP(sport=80, dport=4000, flags="SA")
    quiet = IP(src="198.18.0.1", dst="198.18.1.11") / ICMP()
    results = [Result(bytes(syn), 228, 1.0, answer_bytes=bytes(synack), answer_linktype=228,
                      received=1.5),
               Result(bytes(quiet), 228, 1.0)]
    return SendReceive(results, Counters(sent=2, received=1, matched=1))


def test_unpacks_into_answered_and_unanswered() -> None:
    ans, unans = _run()
    assert len(ans) == 1 and len(unans) == 1
    sent, received = ans[0]
    assert sent[TCP].flags == "S" and received[TCP].flags == "SA"
    assert ans[0][1] is received and ans[0].query is sent
    for s, r in ans:
        assert r.getlayer(IP).src == s.getlayer(IP).dst


def test_unanswered_items_read_as_the_probes() -> None:
    _, unans = _run()
    probe = unans[0]
    assert probe[IP].dst == "198.18.1.11" and ICMP in probe
    assert probe.summary() == probe.probe.summary()
    assert repr(unans) == "<Unanswered: TCP:0 UDP:0 ICMP:1 Other:0>"


def test_answer_list_prints_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    ans, _ = _run()
    assert repr(ans) == "<Results: TCP:1 UDP:0 ICMP:0 Other:0>"
    ans.summary()
    ans.nsummary()
    lines = capsys.readouterr().out.splitlines()
    pair = f"{ans[0].probe.summary()} ==> {ans[0].answer.summary()}"
    assert lines == [pair, f"0000 {pair}"]
    ans.make_table(lambda s, r: (s[IP].dst, s[TCP].dport, r[TCP].flags))
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["198.18.1.10"] and table[1].split() == ["80", "SA"]
    assert len(ans.filter(lambda s, r: r[TCP].flags == "SA")) == 1
    ans.summary(lambda s, r: f"{s[TCP].dport} {r[TCP].flags}", lfilter=lambda s, r: True)
    assert capsys.readouterr().out == "80 SA\n"
    assert len(ans[TCP]) == 1


def test_results_keep_times_and_retries() -> None:
    ans, unans = _run()
    assert ans[0].rtt == 0.5 and ans[0].retries == 0 and unans[0].answer is None
    res = _run()
    assert res[0] is res.answered and len(res) == 2


def test_pairs_carry_their_times_and_write_to_captures(tmp_path) -> None:
    from netprobe.library.pcap_read import rdpcap
    from netprobe.library.pcap_write import wrpcap

    ans, unans = _run()
    assert ans[0][0].time == 1.0 and ans[0][1].time == 1.5
    wrpcap(str(tmp_path / "ans.pcap"), ans)  # each pair: the probe, then its answer
    wrpcap(str(tmp_path / "unans.pcap"), unans)  # the probes
    pairs = rdpcap(str(tmp_path / "ans.pcap"))
    assert [bytes(p) for p in pairs] == [ans[0].probe_bytes, ans[0].answer_bytes]
    assert [float(p.time) for p in pairs] == [1.0, 1.5]
    assert [bytes(p) for p in rdpcap(str(tmp_path / "unans.pcap"))] == [unans[0].probe_bytes]


def test_answer_lists_print_as_scapys(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.library.scapy_peer import scapy

    sc = scapy()
    from scapy.plist import QueryAnswer, SndRcvList

    ans, unans = _run()
    theirs = SndRcvList([QueryAnswer(sc.IP(ans[0].probe_bytes), sc.IP(ans[0].answer_bytes))])
    their_unans = sc.PacketList([sc.IP(unans[0].probe_bytes)], name="Unanswered")

    def show(answers: object, unanswered: object) -> str:
        print(repr(answers), repr(unanswered))
        answers.summary(lambda s, r: (s.dport, int(r.getlayer("TCP").flags)))  # type: ignore[attr-defined]
        answers.nsummary(lambda s, r: r.src, lfilter=lambda s, r: r.ttl > 0)  # type: ignore[attr-defined]
        answers.make_table(lambda s, r: (s.dst, s.dport, r.src))  # type: ignore[attr-defined]
        print(repr(answers.filter(lambda s, r: r.src == s.dst)))  # type: ignore[attr-defined]
        unanswered.nsummary(lambda p: p.dst)  # type: ignore[attr-defined]
        return capsys.readouterr().out

    assert show(ans, unans) == show(theirs, their_unans)
