"""The frame-shape table against Scapy, and the numpy column decoder against the table.

Scapy builds the frames and says where their IP layer starts
(``len(frame) - len(frame[IP])``); :func:`network_start` must say the same
for the plain shapes and nothing for the rare ones, and the column decoder
must find the same IP headers (or leave the frame to the per-packet reader).
"""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest

from netprobe.packet.columns import decode_batch
from netprobe.packet.flow_events import REASON_NOT_IP, REASON_SLOW
from netprobe.packet.shape import LINKS, RARE_LINKS, network_start

scapy_all = pytest.importorskip("scapy.all")
scapy_l2 = pytest.importorskip("scapy.layers.l2")
scapy_mpls = pytest.importorskip("scapy.contrib.mpls")

S = scapy_all
IP, IPv6, TCP, UDP, Ether, Dot1Q, Dot1AD = (S.IP, S.IPv6, S.TCP, S.UDP, S.Ether, S.Dot1Q,
                                           S.Dot1AD)


def _v4() -> object:
    return IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1234, dport=80)


def _v6() -> object:
    return IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=53, dport=5353)


#: (link type, Scapy frame) of plain shapes
PLAIN = [
    (1, lambda: Ether() / _v4()),
    (1, lambda: Ether() / _v6()),
    (1, lambda: Ether() / Dot1Q(vlan=5) / _v4()),
    (1, lambda: Ether() / Dot1AD(vlan=7) / Dot1Q(vlan=5) / _v6()),
    (1, lambda: Ether(type=0x9100) / Dot1Q(vlan=7) / _v4()),
    (113, lambda: S.CookedLinux(proto=0x0800) / _v4()),
    (113, lambda: S.CookedLinux(proto=0x8100) / Dot1Q(vlan=3) / _v4()),
    (276, lambda: scapy_l2.CookedLinuxV2(proto=0x86DD) / _v6()),
    (0, lambda: S.Loopback(type=2) / _v4()),
    (0, lambda: S.Loopback(type=30) / _v6()),
    (108, lambda: scapy_l2.LoopbackOpenBSD(type=2) / _v4()),
    (101, _v4),
    (101, _v6),
    (228, _v4),
    (229, _v6),
]
#: (link type, Scapy frame) of rare shapes, left to a dissector
RARE = [
    (1, lambda: Ether() / scapy_mpls.MPLS(label=16, s=1) / _v4()),
    (1, lambda: Ether() / Dot1AD() / Dot1Q() / Dot1Q() / _v4()),
    (1, lambda: Ether() / S.PPPoE() / S.PPP(proto=0x0021) / _v4()),
    (1, lambda: S.Dot3() / S.LLC() / S.SNAP(code=0x0800) / _v4()),
]


def _ip_start(frame: object) -> int:
    layer = IP if IP in frame else IPv6
    return len(bytes(frame)) - len(bytes(frame[layer]))


def test_link_header_lengths_are_scapys() -> None:
    """Each link type's fixed header is as long as Scapy's class for it (raw IP: none)."""
    for linktype, shape in LINKS.items():
        cls = S.conf.l2types.get(linktype)
        if shape.header_len == 0:
            continue  # raw IP: Scapy's class is the IP layer itself
        assert cls is not None, linktype
        assert len(bytes(cls())) == shape.header_len, (linktype, cls)


def test_rare_links_are_not_plain() -> None:
    assert not set(RARE_LINKS) & set(LINKS)


@pytest.mark.parametrize("index", range(len(PLAIN)))
def test_plain_shapes_start_where_scapy_puts_ip(index: int) -> None:
    linktype, make = PLAIN[index]
    frame = make()
    data = bytes(frame)
    version = 4 if IP in frame else 6
    assert network_start(data, linktype) == (_ip_start(frame), version)


@pytest.mark.parametrize("index", range(len(RARE)))
def test_rare_shapes_have_no_fixed_start(index: int) -> None:
    linktype, make = RARE[index]
    assert network_start(bytes(make()), linktype) is None


def _batch(frames: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lens = np.array([len(f) for f in frames], dtype=np.int64)
    off = np.zeros(len(frames), dtype=np.int64)
    np.cumsum(lens[:-1], out=off[1:])
    buf = np.frombuffer(b"".join(frames) + bytes(128), dtype=np.uint8)
    return buf, off, lens


@pytest.mark.parametrize("linktype", sorted({lt for lt, _ in PLAIN}))
def test_column_decoder_reads_the_plain_shapes(linktype: int) -> None:
    """The numpy decoder finds Scapy's addresses and ports at the table's offsets."""
    frames = [make() for lt, make in PLAIN if lt == linktype]
    buf, off, lens = _batch([bytes(f) for f in frames])
    events, reason = decode_batch(buf, off, lens, lens, linktype)
    assert reason.tolist() == [0] * len(frames)
    for i, frame in enumerate(frames):
        layer = frame[IP] if IP in frame else frame[IPv6]
        l4 = layer.payload
        assert events.pkt[i] == i
        assert (int(events.sport[i]), int(events.dport[i])) == (l4.sport, l4.dport)
        assert int(events.proto[i]) == (layer.proto if IP in frame else layer.nh)
        for column, address in ((events.src, layer.src), (events.dst, layer.dst)):
            value = int(ipaddress.ip_address(address))
            assert (int(column[i][0]), int(column[i][1])) == (value >> 64, value & (2**64 - 1))


def test_column_decoder_leaves_rare_shapes_to_the_per_packet_reader() -> None:
    frames = [bytes(make()) for _, make in RARE]
    buf, off, lens = _batch(frames)
    events, reason = decode_batch(buf, off, lens, lens, 1)
    assert len(events) == 0
    assert reason.tolist() == [REASON_SLOW] * len(frames)


def test_not_ip_and_unknown_links() -> None:
    arp = bytes(Ether() / S.ARP(pdst="198.18.0.9"))
    buf, off, lens = _batch([arp])
    _, reason = decode_batch(buf, off, lens, lens, 1)
    assert reason.tolist() == [REASON_NOT_IP]
    assert network_start(arp, 1) is None
    assert network_start(arp, 147) is None  # a user link type: no shape


def test_null_header_rule_is_one_rule() -> None:
    """The column decoder's DLT_NULL rule is the scalar one, on every kind of value."""
    from netprobe.packet.columns import _null_header_values
    from netprobe.packet.shape import null_header_value

    rng = np.random.default_rng(7)
    values = [0, 2, 24, 0x0800, 0x00020000, 0x0200, 0x02000000, 0x00080000, 0xFFFFFFFF,
              *rng.integers(0, 1 << 32, 2000).tolist(), *rng.integers(0, 1 << 16, 500).tolist()]
    got = _null_header_values(np.array(values, dtype=np.int64)).tolist()
    assert got == [null_header_value(v) for v in values]
