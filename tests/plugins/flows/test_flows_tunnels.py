"""``flows`` sees the conversations inside MPLS, GRE and VXLAN tunnels as tshark does.

Captures are built with netprobe's tunnel layers (their bytes are Scapy's, see
tests/packet/test_tunnels.py); tshark's conversation table of the same file is
the expectation, and ``read`` shows the inner packet of every frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flows_tshark import from_records, parse_conversations, require_tshark, run_tshark

from netprobe.cli import main
from netprobe.packet import GRE, IP, MPLS, TCP, UDP, VXLAN, Dot1Q, Ether, IPv6, Raw
from netprobe.wire.pcapfile import PcapWriter

MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
INNER_MAC = {"src": "52:54:00:00:00:01", "dst": "52:54:00:00:00:02"}
A, B = "198.18.0.1", "198.18.0.2"
X, Y = "198.18.7.1", "198.18.7.2"


def _inner(i: int, reply: bool = False):
    if i % 2:
        ports = (9999, 40000 + i) if reply else (40000 + i, 9999)
        return (IP(src=Y, dst=X) if reply else IP(src=X, dst=Y)) / UDP(sport=ports[0],
                                                                      dport=ports[1]) / Raw(b"q")
    ports = (80, 50000 + i) if reply else (50000 + i, 80)
    return (IP(src=Y, dst=X) if reply else IP(src=X, dst=Y)) / TCP(
        sport=ports[0], dport=ports[1], flags="SA" if reply else "S", seq=i, ack=i if reply
        else 0)


TUNNELS = {
    "mpls": lambda inner: Ether(**MAC) / MPLS(label=100) / MPLS(label=7, ttl=9) / inner,
    "mpls-in-vlan": lambda inner: Ether(**MAC) / Dot1Q(vlan=5) / MPLS(label=16) / inner,
    "gre": lambda inner: Ether(**MAC) / IP(src=A, dst=B) / GRE() / inner,
    "gre-options": lambda inner: Ether(**MAC) / IP(src=A, dst=B)
    / GRE(chksum_present=1, key_present=1, key=77, seqnum_present=1, sequence_number=3) / inner,
    "gre-over-ipv6": lambda inner: Ether(**MAC) / IPv6(src="2001:db8::1", dst="2001:db8::2")
    / GRE() / inner,
    "gre-teb": lambda inner: Ether(**MAC) / IP(src=A, dst=B) / GRE() / Ether(**INNER_MAC)
    / inner,
    "vxlan": lambda inner: Ether(**MAC) / IP(src=A, dst=B) / UDP(sport=49152, dport=4789)
    / VXLAN(flags=8, vni=42) / Ether(**INNER_MAC) / inner,
}


def _write(path: Path, frames: list[bytes]) -> Path:
    writer = PcapWriter(str(path), 1)
    for i, frame in enumerate(frames):
        writer.write(frame, 1_700_000_000, i * 1000, 10**6, len(frame))
    writer.close()
    return path


@pytest.mark.parametrize("name", sorted(TUNNELS))
def test_flows_inside_tunnels_are_tsharks(name: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    wrap = TUNNELS[name]
    frames = []
    for i in range(4):
        frames.append(bytes(wrap(_inner(i))))
        frames.append(bytes(wrap(_inner(i, reply=True))))
    path = _write(tmp_path / f"{name}.pcap", frames)

    assert main(["read", str(path), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for rec in records:
        names = [x["layer"] for x in rec["layers"]]
        assert names.count("IP") + names.count("IPv6") >= 1 and rec["errors"] == []
        assert "TCP" in names or "UDP" in names

    assert main(["flows", str(path), "--top", "0", "--json"]) == 0
    flows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    inner = [f for f in flows if f.get("type") == "flow" and f.get("proto") in ("tcp", "udp")
             and {f.get("a"), f.get("b")} == {X, Y}]
    assert len(inner) == 4  # one conversation per inner flow, both directions in it
    require_tshark()
    rc, text, err = run_tshark(path)
    assert rc == 0, err
    assert from_records(flows) == parse_conversations(text)


def test_shares_of_tunnelled_traffic_add_up(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A GRE packet counts in its outer and inner flows: shares are of what the flows
    hold (never over 100%), and the summary says how much that is, as the plot does."""
    frames = [bytes(TUNNELS["gre"](_inner(i, reply=bool(k)))) for i in range(3) for k in (0, 1)]
    path = _write(tmp_path / "gre.pcap", frames)
    assert main(["flows", str(path), "--top", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert main(["flows", str(path), "--top", "0", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    flows = [r for r in records if r["type"] == "flow"]
    assert summary["bytes"] == sum(len(f) for f in frames)
    assert summary["flow_bytes"] == sum(f["bytes"] for f in flows) > summary["bytes"]
    assert summary["flow_packets"] == sum(f["packets"] for f in flows)
    largest = max(f["bytes"] for f in flows)
    assert summary["top_bytes_share"] == pytest.approx(largest / summary["flow_bytes"],
                                                       abs=1e-6)
    from netprobe.plugins.flows.render import summary_lines

    text = "\n".join(summary_lines(summary))
    assert "tunnelled packets count in each of their flows" in text
    share = float(text.split("% of bytes")[0].rsplit(" ", 1)[-1])
    assert share == pytest.approx(100 * largest / summary["flow_bytes"], abs=0.05)
    assert share <= 100
