"""Hand-made captures for the cases the rules are about, checked against tshark too.

Each capture is built with netprobe's own packet layers; the expectations
are stated here, and where tshark is installed its conversation table must
agree with ours (TCP port reuse, fragments, ICMP errors quoting a flow,
truncated and malformed headers, a host talking to itself, tunnels).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flows_tshark import from_records, parse_conversations, run_tshark

from netprobe import ICMP, IP, TCP, UDP, Ether, IPv6, Raw
from netprobe.cli import main
from netprobe.wire.pcapfile import PcapWriter

A, B, C = "198.18.0.1", "198.18.0.2", "198.18.0.3"
MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}


def write_pcap(path: Path, frames: list[bytes | tuple[bytes, int]]) -> Path:
    """A pcap of Ethernet frames, one per millisecond; ``(data, wirelen)`` cuts one."""
    writer = PcapWriter(str(path), 1)
    for i, frame in enumerate(frames):
        data, wirelen = frame if isinstance(frame, tuple) else (frame, len(frame))
        writer.write(data, 1_700_000_000, i * 1000, 10**6, wirelen)
    writer.close()
    return path


def eth(layers: object) -> bytes:
    return bytes(Ether(**MAC) / layers)  # type: ignore[operator]


def tcp(src: str, dst: str, sport: int, dport: int, flags: str, seq: int, ack: int = 0,
        payload: bytes = b"") -> bytes:
    return eth(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                                          ack=ack) / Raw(payload))


def flows(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, list[dict], str]:
    code = main(["flows", str(path), "--top", "0", "--json"])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def check_with_tshark(path: Path, records: list[dict]) -> None:
    """Our TCP and UDP conversations are tshark's (when tshark is there)."""
    if shutil.which("tshark") is None:
        return
    rc, text, err = run_tshark(path)
    assert rc == 0, err
    assert from_records(records) == parse_conversations(text)


def tcp_flows(records: list[dict]) -> list[dict]:
    return [r for r in records if r["type"] == "flow" and r["proto"] == "tcp"]


def test_port_reuse_starts_a_new_conversation(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    frames = [
        tcp(A, B, 40000, 80, "S", 1000),
        tcp(B, A, 80, 40000, "SA", 5000, 1001),
        tcp(A, B, 40000, 80, "A", 1001, 5001),
        tcp(A, B, 40000, 80, "FA", 1001, 5001),
        tcp(B, A, 80, 40000, "FA", 5001, 1002),
        tcp(A, B, 40000, 80, "A", 1002, 5002),
        tcp(A, B, 40000, 80, "S", 1000),  # a retransmitted SYN: same conversation
        tcp(A, B, 40000, 80, "S", 9000),  # another sequence number: a new one
        tcp(B, A, 80, 40000, "SA", 7000, 9001),
        tcp(A, B, 40000, 80, "A", 9001, 7001),
        tcp(B, A, 80, 40000, "R", 7001),
    ]
    path = write_pcap(tmp_path / "reuse.pcap", frames)
    code, records, err = flows(capsys, path)
    assert code == 0, err
    got = sorted((r["packets"], r["state"]) for r in tcp_flows(records))
    assert got == [(4, "RSTR"), (7, "SF")]
    check_with_tshark(path, records)


def test_port_reuse_in_a_later_batch_and_after_a_midstream_start(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The SYN that reuses the ports comes in another batch than the first conversation;
    that one started mid-stream (its base sequence number is the first one minus one)."""
    import netprobe.wire.pcapfile.batch as capture_file

    frames = [tcp(A, B, 40001, 443, "A", 500, 77)] * 3 + [
        tcp(A, B, 40001, 443, "S", 499),  # the base: 500 - 1, so no new conversation
        tcp(A, B, 40001, 443, "S", 12345),  # a new one
        tcp(B, A, 443, 40001, "SA", 1, 12346),
    ]
    path = write_pcap(tmp_path / "midstream.pcap", frames)
    monkeypatch.setattr(capture_file, "CHUNK", 64)  # one packet per batch
    code, records, err = flows(capsys, path)
    assert code == 0, err
    assert sorted(r["packets"] for r in tcp_flows(records)) == [2, 4]
    monkeypatch.undo()
    check_with_tshark(path, records)


def test_fragments_icmp_errors_and_self_talk(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    datagram = bytes(UDP(sport=5000, dport=53) / Raw(b"q" * 64))
    frames = [
        eth(IP(src=A, dst=B, proto=17, id=7, flags="MF", frag=0) / Raw(datagram[:40])),
        eth(IP(src=A, dst=B, proto=17, id=7, frag=5) / Raw(datagram[40:])),
        eth(IP(src=B, dst=A) / UDP(sport=53, dport=5000) / Raw(b"a" * 20)),
        # a router says the datagram could not be delivered: an ICMP flow, not the UDP one
        eth(IP(src=C, dst=A) / ICMP(type=3, code=3) / IP(src=A, dst=B) / UDP(sport=5000,
                                                                               dport=53)),
        eth(IP(src=A, dst=A) / UDP(sport=9, dport=9) / Raw(b"x")),
        eth(IP(src=A, dst=A) / UDP(sport=9, dport=9) / Raw(b"y")),
    ]
    path = write_pcap(tmp_path / "frag.pcap", frames)
    code, records, err = flows(capsys, path)
    assert code == 0, err
    by = {(r["proto"], r["a"], r["b"], r["a_port"]): r for r in records if r["type"] == "flow"}
    udp = by[("udp", A, B, 5000)]
    assert (udp["a_to_b"]["packets"], udp["b_to_a"]["packets"]) == (1, 1)
    assert by[("icmp", C, A, None)]["packets"] == 1
    assert by[("udp", A, A, 9)]["a_to_b"]["packets"] == 2
    assert records[-1]["no_flow"] == {"fragment": 1}
    check_with_tshark(path, records)


def test_cut_and_malformed_headers(tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with_options = eth(IP(src=A, dst=B) / TCP(sport=1, dport=2, flags="S",
                                              options=[("MSS", 1460), ("NOP", None),
                                                       ("WScale", 7)]))
    bad_offset = bytearray(tcp(A, B, 3, 4, "S", 1))
    bad_offset[14 + 20 + 12] = 0x30  # data offset 3 words: less than a TCP header
    frames = [
        (with_options[:14 + 20 + 22], len(with_options)),  # options cut by the snaplen
        with_options,
        bytes(bad_offset),
        (tcp(A, B, 5, 6, "S", 1)[:14 + 20 + 10], 54),  # TCP header cut in half
        eth(IP(src=A, dst=B, ihl=4) / UDP(sport=1, dport=2)),  # bogus IP header length
        (eth(IP(src=A, dst=B) / UDP(sport=7, dport=8))[:14 + 10], 42),  # IP header cut
    ]
    path = write_pcap(tmp_path / "cut.pcap", frames)
    code, records, err = flows(capsys, path)
    assert code == 0, err
    assert [r["packets"] for r in tcp_flows(records)] == [1]
    assert records[-1]["no_flow"] == {"malformed": 2, "truncated": 3}
    check_with_tshark(path, records)


def test_tunnels_count_in_both_conversations(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    inner = IP(src="10.1.0.1", dst="10.1.0.2") / TCP(sport=1234, dport=22, flags="S", seq=1)
    gre = bytes.fromhex("00000800")  # GRE, no options, carrying IPv4
    frames = [
        eth(IP(src=A, dst=B, proto=47) / Raw(gre + bytes(inner))),
        eth(IP(src=A, dst=B) / inner),  # IP in IP (4)
        eth(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=4000, dport=4001)),
    ]
    path = write_pcap(tmp_path / "tunnel.pcap", frames)
    code, records, err = flows(capsys, path)
    assert code == 0, err
    kinds = sorted((r["proto"], r["packets"]) for r in records if r["type"] == "flow")
    assert kinds == [("gre", 1), ("ipip", 1), ("tcp", 2), ("udp", 1)]
    assert records[-1]["packets"] == 3
    check_with_tshark(path, records)


def test_null_loopback_headers_as_tshark_reads_them(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """DLT_NULL frames whose header is a family in either byte order, a 16-bit family in
    either half, or an ethertype (old Linux captures), each its own UDP conversation."""
    import struct

    headers = [struct.pack("<I", 2), struct.pack(">I", 2), b"\x00\x00\x02\x00",
               b"\x00\x02\x00\x00", struct.pack(">I", 0x0800), struct.pack("<I", 30),
               struct.pack(">I", 24), struct.pack("<I", 7)]
    writer = PcapWriter(str(tmp_path / "null.pcap"), 0)
    for i, head in enumerate(headers):
        layer = IPv6(src="2001:db8::1", dst="2001:db8::2") if i in (5, 6) else IP(src=A, dst=B)
        data = head + bytes(layer / UDP(sport=1000 + i, dport=53) / Raw(b"x" * i))
        writer.write(data, 1_700_000_000, i * 1000, 10**6, len(data))
    writer.close()
    code, records, err = flows(capsys, tmp_path / "null.pcap")
    assert code == 0, err
    udp = sorted(r["a_port"] for r in records if r["type"] == "flow")
    assert udp == [1000, 1001, 1002, 1003, 1004, 1005, 1006]
    check_with_tshark(tmp_path / "null.pcap", records)
