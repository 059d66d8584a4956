"""PacketList against Scapy's: counts, indexing, sessions, tables, plots.

Lists of the same packets are made in both libraries (netprobe's from the bytes of
Scapy's) and what they print is compared.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netprobe.library.packet_list import PacketList
from netprobe.library.pcap_read import rdpcap
from netprobe.packet import TCP, UDP, dissect
from tests.library.scapy_peer import scapy


def _frames(sc: object) -> list:
    """Ethernet frames of every kind a session key distinguishes, built by Scapy."""
    s = sc  # type: ignore[assignment]
    e = s.Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    frames = [
        e / s.IP(src="198.18.0.1", dst="198.18.0.2") / s.ICMP(id=5, seq=3),
        e / s.IP(src="198.18.0.1", dst="198.18.0.2") / s.ICMP(type=0, id=0x1234),
        e / s.IP(src="198.18.0.1", dst="198.18.0.2", proto=47),
        e / s.IPv6(src="2001:db8::1", dst="2001:db8::2") / s.ICMPv6EchoRequest(id=7),
        e / s.IPv6(src="2001:db8::1", dst="2001:db8::2", nh=59),
        e / s.IP(src="198.18.0.1", dst="198.18.0.2") / s.TCP(sport=80, dport=1234),
        e / s.ARP(psrc="198.18.0.1", pdst="198.18.0.2"),
        e / s.Raw(b"abc"),
        e / s.Dot1Q(vlan=3) / s.IP(src="198.18.0.1", dst="198.18.0.2") / s.UDP(sport=53, dport=53),
        e / s.IPv6(src="2001:db8::1", dst="2001:db8::2") / s.TCP(sport=22, dport=5555),
        s.IP(src="198.18.0.1", dst="198.18.0.2") / s.TCP(),
    ]
    return [s.Ether(bytes(f)) if isinstance(f, s.Ether) else s.IP(bytes(f)) for f in frames]


def _ours(frames: list) -> PacketList:
    return PacketList([dissect(bytes(f), 1 if type(f).__name__ == "Ether" else 228)
                       for f in frames])


def test_sessions_keys_and_groups_are_scapys() -> None:
    sc = scapy()
    theirs = sc.PacketList(_frames(sc))
    ours = _ours(_frames(sc))
    want = {k: len(v) for k, v in theirs.sessions().items()}
    got = {k: len(v) for k, v in ours.sessions().items()}
    assert got == want
    assert list(got) == list(want)  # in order of each session's first packet


def test_sessions_of_corpus_captures_are_scapys(corpus_dir: Path) -> None:
    sc = scapy()
    for name in ("pcapplusplus__example.pcap", "pcapplusplus__IcmpPackets.pcapng",
                 "pcapplusplus__four_ipv6_http_streams.pcap", "pcapplusplus__VlanPackets.pcap",
                 "pcapplusplus__sll.pcap", "libpcap__rarp_req_reply.pcapng"):
        theirs = sc.rdpcap(str(corpus_dir / name)).sessions()
        ours = rdpcap(str(corpus_dir / name)).sessions()
        assert {k: len(v) for k, v in ours.items()} == {k: len(v) for k, v in theirs.items()}, name


def test_repr_counts_and_names_are_scapys(corpus_dir: Path) -> None:
    sc = scapy()
    path = str(corpus_dir / "pcapplusplus__example.pcap")
    theirs, ours = sc.rdpcap(path), rdpcap(path)
    for t, o in ((theirs, ours), (theirs[:7], ours[:7]), (theirs[sc.UDP], ours[UDP]),
                 (theirs.filter(lambda p: p.wirelen > 500), ours.filter(lambda p: p.wirelen > 500)),
                 (theirs[:3] + theirs[sc.TCP][:2], ours[:3] + ours[TCP][:2])):
        assert repr(o) == repr(t)
    assert repr(_ours(_frames(sc))) == repr(sc.PacketList(_frames(sc)))


def test_indexing_and_slicing() -> None:
    sc = scapy()
    ours = _ours(_frames(sc))
    assert ours[0].getlayer("ICMP").id == 5
    assert ours[-1].getlayer("TCP") is not None
    assert len(ours[2:5]) == 3 and ours[2:5][0] is ours[2]
    assert [type(p).__name__ for p in ours[TCP]] == ["Ether", "Ether", "IP"]
    with pytest.raises(TypeError):
        ours[1.5]


def test_tables_print_as_scapys(capsys: pytest.CaptureFixture[str]) -> None:
    sc = scapy()
    frames = [sc.IP(src=f"198.18.0.{i}", dst=f"198.18.1.{i % 3}", ttl=i * 20)
              / sc.TCP(dport=[9, 10, 100, 2, 33][i - 1]) for i in range(1, 6)]
    theirs = sc.PacketList([sc.IP(bytes(f)) for f in frames])
    ours = PacketList([dissect(bytes(f), 228) for f in frames])

    def cells(p: object) -> tuple:
        return p["IP"].src, p["TCP"].dport, p["IP"].ttl  # type: ignore[index]

    for method in ("make_table", "make_lined_table", "make_tex_table"):
        getattr(theirs, method)(cells)
        want = capsys.readouterr().out
        getattr(ours, method)(cells)
        assert capsys.readouterr().out == want, method


def test_tuples_are_spread_into_the_callers_functions_as_scapys(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A plain list of (sent, received) tuples: filter, summary, nsummary and the tables
    call the caller's function with the tuple's members, as Scapy's do."""
    sc = scapy()
    pairs = [(sc.IP(dst=f"198.18.0.{i}") / sc.TCP(dport=20 + i),
              sc.IP(src=f"198.18.0.{i}") / sc.TCP(sport=20 + i, flags="SA" if i % 2 else "RA"))
             for i in range(1, 5)]
    theirs = sc.PacketList([(sc.IP(bytes(s)), sc.IP(bytes(r))) for s, r in pairs])
    ours = PacketList([(dissect(bytes(s), 228), dissect(bytes(r), 228)) for s, r in pairs])
    outputs = []
    for lst in (theirs, ours):
        kept = lst.filter(lambda s, r: r["TCP"].flags == 0x12)  # type: ignore[index]
        print(len(kept))
        lst.summary(prn=lambda s, r: f"{s['IP'].dst} {r['TCP'].flags}")  # type: ignore[index]
        lst.nsummary(prn=lambda s, r: s["TCP"].dport,  # type: ignore[index]
                     lfilter=lambda s, r: r["TCP"].flags != 0x12)  # type: ignore[index]
        lst.make_table(lambda s, r: (s["IP"].dst, s["TCP"].dport,  # type: ignore[index]
                                     r["TCP"].sport))  # type: ignore[index]
        outputs.append(capsys.readouterr().out)
    assert outputs[1] == outputs[0]


def test_summary_prn_and_lfilter_print_as_scapys(capsys: pytest.CaptureFixture[str]) -> None:
    sc = scapy()
    theirs = sc.PacketList(_frames(sc))
    ours = _ours(_frames(sc))
    for lst in (theirs, ours):
        lst.summary(prn=lambda p: len(bytes(p)))
        lst.nsummary(prn=lambda p: len(bytes(p)), lfilter=lambda p: "TCP" in p)
    out = capsys.readouterr().out.splitlines()
    assert out[: len(out) // 2] == out[len(out) // 2:]


def test_plot_draws_with_matplotlib() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    sc = scapy()
    lines = _ours(_frames(sc)).plot(lambda p: len(bytes(p)))
    assert list(lines[0].get_ydata()) == [len(bytes(f)) for f in _frames(sc)]


def test_plot_without_matplotlib_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install netprobe\[plot\]"):
        PacketList([]).plot(len)


def test_lazy_list_dissects_once_and_keeps_changes(tmp_path: Path) -> None:
    from netprobe.library.pcap_write import wrpcap
    from netprobe.packet import IP

    wrpcap(str(tmp_path / "x.pcap"), [IP(src="198.18.0.1", dst="198.18.0.2") / TCP()] * 3)
    pkts = rdpcap(str(tmp_path / "x.pcap"))
    first = pkts[0]
    first.getlayer("IP").ttl = 3
    assert pkts[0] is first and pkts.res[0].getlayer("IP").ttl == 3
    assert [p.getlayer("IP").ttl for p in pkts] == [3, 64, 64]
