"""Link types only ``dissect`` reads for flows (Cisco HDLC, PPPoE without Ethernet, PPP),
and frames cut at every length, against tshark's conversations.

These captures take the per-packet path (:mod:`netprobe.plugins.flows.packet_events`):
the flows must be tshark's, and no cut frame may make a flow or crash.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from flows_tshark import from_records, parse_conversations, require_tshark, run_tshark

from netprobe.cli import main
from netprobe.packet import IP, TCP, UDP, IPv6, Raw
from netprobe.plugins.flows.packet_events import decode_packet
from netprobe.wire.pcapfile import PcapWriter

A, B = "198.18.0.1", "198.18.0.2"


def _packets() -> list[bytes]:
    out = []
    for i in range(3):
        out.append(bytes(IP(src=A, dst=B) / TCP(sport=1000 + i, dport=80, flags="S", seq=i)))
        out.append(bytes(IP(src=B, dst=A) / TCP(sport=80, dport=1000 + i, flags="SA", seq=9,
                                                ack=i + 1)))
        out.append(bytes(IPv6(src="2001:db8::1", dst="2001:db8::2")
                         / UDP(sport=5000 + i, dport=53) / Raw(b"q" * i)))
    return out


def _chdlc(packet: bytes) -> bytes:
    return (b"\x0f\x00\x08\x00" if packet[0] >> 4 == 4 else b"\x8f\x00\x86\xdd") + packet


def _pppoe(packet: bytes) -> bytes:
    proto = b"\x00\x21" if packet[0] >> 4 == 4 else b"\x00\x57"
    return b"\x11\x00\x00\x01" + struct.pack("!H", len(packet) + 2) + proto + packet


def _ppp(packet: bytes) -> bytes:
    return b"\xff\x03" + (b"\x00\x21" if packet[0] >> 4 == 4 else b"\x00\x57") + packet


LINKS = {"chdlc": (104, _chdlc), "pppoe": (51, _pppoe), "ppp": (9, _ppp)}


def _write(path: Path, linktype: int, frames: list[bytes]) -> Path:
    writer = PcapWriter(str(path), linktype)
    for i, frame in enumerate(frames):
        writer.write(frame, 1_700_000_000, i * 1000, 10**6, len(frame))
    writer.close()
    return path


@pytest.mark.parametrize("name", sorted(LINKS))
def test_link_types_read_by_dissect_are_tsharks(name: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    require_tshark()
    linktype, frame_of = LINKS[name]
    path = _write(tmp_path / f"{name}.pcap", linktype, [frame_of(p) for p in _packets()])
    code = main(["flows", str(path), "--top", "0", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert records[-1]["no_flow"] == {}
    assert sum(1 for r in records if r["type"] == "flow") == 6
    rc, text, terr = run_tshark(path)
    assert rc == 0, terr
    assert from_records(records) == parse_conversations(text)


@pytest.mark.parametrize("name", sorted(LINKS))
def test_cut_frames_make_no_flow(name: str) -> None:
    """A frame cut before its transport header ends is truncated, never a flow."""
    linktype, frame_of = LINKS[name]
    frame = frame_of(_packets()[0])
    whole, why = decode_packet(frame, linktype, len(frame))
    assert len(whole) == 1 and why == 0
    for cut in range(len(frame) - 20):  # the TCP header is the last 20 bytes
        events, why = decode_packet(frame[:cut], linktype, len(frame))
        assert events == [] and why == 2, (cut, events, why)  # REASON_TRUNCATED
