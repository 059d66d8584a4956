"""``flows`` follows GTP-U (UDP 2152) and PPTP's enhanced GRE (GRE version 1) as tshark does.

Captures are built with Scapy (the peer whose layers netprobe's ``GTP_U_Header``
and ``GRE_PPTP`` match; ``scapy.contrib.gtp`` loaded) and written with its
``wrpcap``; tshark's conversation table of the same file is the expectation, and
``read`` shows the inner packet of every frame. Every cut of the frames goes
through ``flows`` too (the per-packet rules never raise and agree with tshark).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flows_tshark import from_records, parse_conversations, require_tshark, run_tshark

from netprobe.cli import main

scapy_all = pytest.importorskip("scapy.all")
scapy_all.load_contrib("gtp")
gtp = pytest.importorskip("scapy.contrib.gtp")

S = scapy_all
A, B = "198.18.0.1", "198.18.0.2"
X, Y = "198.18.7.1", "198.18.7.2"
X6, Y6 = "2001:db8:7::1", "2001:db8:7::2"
MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}


def _inner(i: int, reply: bool, six: bool = False) -> Any:
    src, dst = (Y, X) if reply else (X, Y)
    if six:
        src, dst = (Y6, X6) if reply else (X6, Y6)
    net = S.IPv6(src=src, dst=dst) if six else S.IP(src=src, dst=dst)
    if i % 2:
        ports = (9999, 40000 + i) if reply else (40000 + i, 9999)
        return net / S.UDP(sport=ports[0], dport=ports[1]) / S.Raw(b"q" * i)
    ports = (80, 50000 + i) if reply else (50000 + i, 80)
    return net / S.TCP(sport=ports[0], dport=ports[1], flags="SA" if reply else "S",
                       seq=i, ack=i if reply else 0)


def _outer_udp(reply: bool, sport: int = 2152, dport: int = 2152) -> Any:
    ends = {"src": B, "dst": A} if reply else {"src": A, "dst": B}
    return S.Ether(**MAC) / S.IP(**ends) / S.UDP(sport=sport, dport=dport)


def _outer_gre(reply: bool) -> Any:
    ends = {"src": B, "dst": A} if reply else {"src": A, "dst": B}
    return S.Ether(**MAC) / S.IP(**ends)


TUNNELS: dict[str, Callable[[int, bool], Any]] = {
    "gtpu": lambda i, r: _outer_udp(r) / gtp.GTP_U_Header(teid=0x100 + i) / _inner(i, r),
    "gtpu-ipv6-inner": lambda i, r: _outer_udp(r) / gtp.GTP_U_Header(teid=7)
    / _inner(i, r, six=True),
    "gtpu-seq": lambda i, r: _outer_udp(r) / gtp.GTP_U_Header(S=1, seq=i, teid=9)
    / _inner(i, r),
    "gtpu-one-port": lambda i, r: _outer_udp(r, *((2152, 33000) if r else (33000, 2152)))
    / gtp.GTP_U_Header(teid=5) / _inner(i, r),
    "gtpu-pdu-session": lambda i, r: _outer_udp(r) / gtp.GTP_U_Header(E=1, next_ex=0x85)
    / gtp.GTPPDUSessionContainer(type=int(r), QFI=9) / _inner(i, r),
    "gtpu-over-ipv6": lambda i, r: S.Ether(**MAC)
    / S.IPv6(src="2001:db8::2" if r else "2001:db8::1", dst="2001:db8::1" if r else
             "2001:db8::2") / S.UDP(sport=2152, dport=2152) / gtp.GTP_U_Header(teid=3)
    / _inner(i, r),
    "pptp": lambda i, r: _outer_gre(r) / S.GRE_PPTP(call_id=4 + int(r)) / S.PPP()
    / _inner(i, r),
    "pptp-seq-ack": lambda i, r: _outer_gre(r)
    / S.GRE_PPTP(seqnum_present=1, sequence_number=i, acknum_present=1, ack_number=i,
                 call_id=4) / S.PPP() / _inner(i, r),
    "pptp-hdlc": lambda i, r: _outer_gre(r) / S.GRE_PPTP(seqnum_present=1, sequence_number=i)
    / S.HDLC() / S.PPP() / _inner(i, r),
    "pptp-ipv6-inner": lambda i, r: _outer_gre(r) / S.GRE_PPTP(call_id=1) / S.PPP()
    / _inner(i, r, six=True),
}


def _frames(name: str) -> list[Any]:
    wrap = TUNNELS[name]
    frames = []
    for i in range(4):
        for reply in (False, True):
            pkt = wrap(i, reply)
            pkt.time = 1_700_000_000 + len(frames) / 1000
            frames.append(pkt)
    return frames


def _flows(path: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["flows", str(path), "--top", "0", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("name", sorted(TUNNELS))
def test_flows_inside_gtp_and_pptp_are_tsharks(name: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"{name}.pcap"
    S.wrpcap(str(path), _frames(name))

    assert main(["read", str(path), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    tunnel = "GRE_PPTP" if name.startswith("pptp") else "GTP_U_Header"
    for rec in records:
        names = [x["layer"] for x in rec["layers"]]
        assert tunnel in names and rec["errors"] == [], (names, rec["errors"])
        assert names.count("IP") + names.count("IPv6") == 2
        assert "TCP" in names or "UDP" in names[names.index(tunnel):]

    flows = _flows(path, capsys)
    inner = [f for f in flows if f.get("type") == "flow" and f.get("proto") in ("tcp", "udp")
             and {f.get("a"), f.get("b")} in ({X, Y}, {X6, Y6})]
    assert len(inner) == 4  # one conversation per inner flow, both directions in it
    if name.startswith("pptp"):  # the outer GRE flow counts every packet too
        outer = [f for f in flows if f.get("type") == "flow" and {f.get("a"), f.get("b")}
                 == {A, B}]
        assert [f["packets"] for f in outer] == [8]
    require_tshark()
    rc, text, err = run_tshark(path)
    assert rc == 0, err
    assert from_records(flows) == parse_conversations(text)


def test_gtpu_messages_that_carry_no_packet_count_only_outside(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An echo request, a version 2 header or a G-PDU whose payload is no IP: the UDP flow
    between the tunnel ends counts, nothing inside it does (as tshark)."""
    inner = bytes(_inner(1, False))
    frames = [
        _outer_udp(False) / gtp.GTP_U_Header(gtp_type=1, S=1, seq=1),
        _outer_udp(True) / gtp.GTP_U_Header(gtp_type=2, S=1, seq=1),
        _outer_udp(False) / gtp.GTP_U_Header(gtp_type=254),
        _outer_udp(False) / gtp.GTP_U_Header(gtp_type=26) / S.Raw(inner),
        _outer_udp(False) / gtp.GTP_U_Header(version=2, gtp_type=255) / S.Raw(inner),
    ]
    path = tmp_path / "gtp-signals.pcap"
    S.wrpcap(str(path), frames)
    flows = _flows(path, capsys)
    convs = [f for f in flows if f.get("type") == "flow"]
    assert [(f["a"], f["b"], f["packets"]) for f in convs] == [(A, B, 5)]
    require_tshark()
    rc, text, err = run_tshark(path)
    assert rc == 0, err
    assert from_records(flows) == parse_conversations(text)


@pytest.mark.parametrize("name", ["gtpu", "gtpu-pdu-session", "pptp-seq-ack", "pptp-hdlc"])
def test_every_cut_of_a_tunnelled_frame_agrees_with_tshark(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each frame cut at every length (the snap length a capture could have had):
    ``flows`` never fails and counts what tshark counts."""
    full = bytes(_frames(name)[0])
    path = tmp_path / f"{name}-cuts.pcap"
    with S.PcapWriter(str(path), linktype=1) as writer:
        for n in range(14, len(full) + 1):
            pkt = S.Ether(full[:n])
            pkt.time = 1_700_000_000 + n / 1000
            pkt.wirelen = len(full)
            writer.write(pkt)
    flows = _flows(path, capsys)
    require_tshark()
    rc, text, err = run_tshark(path)
    assert rc == 0, err
    assert from_records(flows) == parse_conversations(text)
