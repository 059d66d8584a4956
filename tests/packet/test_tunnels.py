"""MPLS, GRE and VXLAN: bytes against Scapy, dissection against Scapy's fields, the corpus's
tunnels dissected to the end, and bad bytes never raising."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from link_compare import frames
from scapy.contrib.mpls import MPLS as S_MPLS
from scapy.layers.inet import ICMP as S_ICMP
from scapy.layers.inet import IP as S_IP
from scapy.layers.inet import TCP as S_TCP
from scapy.layers.inet import UDP as S_UDP
from scapy.layers.inet6 import IPv6 as S_IPv6
from scapy.layers.l2 import GRE as S_GRE
from scapy.layers.l2 import Dot1Q as S_Dot1Q
from scapy.layers.l2 import Ether as S_Ether
from scapy.layers.vxlan import VXLAN as S_VXLAN

from netprobe.packet import (
    GRE,
    ICMP,
    IP,
    MPLS,
    TCP,
    UDP,
    VXLAN,
    Dot1Q,
    EoMCW,
    Ether,
    IPv6,
    Raw,
    dissect,
    dissect_as,
    optional_layers,
)


class NP:
    MPLS, GRE, VXLAN, IP, IPv6, TCP, UDP, ICMP, Ether, Dot1Q = (
        MPLS, GRE, VXLAN, IP, IPv6, TCP, UDP, ICMP, Ether, Dot1Q)


class SC:
    MPLS, GRE, VXLAN, IP, IPv6, TCP, UDP, ICMP, Ether, Dot1Q = (
        S_MPLS, S_GRE, S_VXLAN, S_IP, S_IPv6, S_TCP, S_UDP, S_ICMP, S_Ether, S_Dot1Q)


@pytest.fixture(autouse=True, scope="module")
def _loaded() -> Iterator[None]:
    """MPLS: dissected once loaded, as in Scapy; unloaded after, for the tests that follow."""
    for name in ("mpls",):
        optional_layers.load(name)
    yield
    for name in ("mpls",):
        optional_layers.unload(name)


MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
A, B, C, D = "198.18.0.1", "198.18.0.2", "198.18.1.1", "198.18.1.2"


def _ip(m, src=A, dst=B):
    return m.IP(src=src, dst=dst)


SPECS = {
    "mpls-one": lambda m: m.Ether(**MAC) / m.MPLS(label=100, ttl=64) / _ip(m) / m.ICMP(),
    "mpls-stack": lambda m: m.Ether(**MAC) / m.MPLS(label=16, cos=5) / m.MPLS(label=200)
    / m.MPLS(label=1048575, ttl=1) / _ip(m) / m.TCP(sport=1, dport=2),
    "mpls-explicit-s": lambda m: m.Ether(**MAC) / m.MPLS(s=1) / m.MPLS(),
    "mpls-v6": lambda m: m.Ether(**MAC) / m.MPLS(label=7) / m.IPv6(src="2001:db8::1",
                                                                   dst="2001:db8::2")
    / m.UDP(sport=1, dport=2),
    "mpls-in-vlan": lambda m: m.Ether(**MAC) / m.Dot1Q(vlan=9) / m.MPLS(label=33) / _ip(m)
    / m.UDP(sport=3, dport=4),
    "gre-plain": lambda m: m.Ether(**MAC) / _ip(m) / m.GRE() / _ip(m, C, D)
    / m.UDP(sport=5, dport=6),
    "gre-all-options": lambda m: _ip(m) / m.GRE(chksum_present=1, key_present=1, key=0xABCD,
                                                 seqnum_present=1, sequence_number=7)
    / _ip(m, C, D) / m.ICMP(),
    "gre-key-only": lambda m: _ip(m) / m.GRE(key_present=1, key=1) / _ip(m, C, D),
    "gre-seq-only": lambda m: _ip(m) / m.GRE(seqnum_present=1, sequence_number=2 ** 32 - 1)
    / _ip(m, C, D),
    "gre-chksum-given": lambda m: _ip(m) / m.GRE(chksum_present=1, chksum=0x1234)
    / _ip(m, C, D),
    "gre-v6": lambda m: _ip(m) / m.GRE() / m.IPv6(src="2001:db8::1", dst="2001:db8::2"),
    "gre-teb": lambda m: _ip(m) / m.GRE() / m.Ether(**MAC) / _ip(m, C, D),
    "gre-over-v6": lambda m: m.IPv6(src="2001:db8::1", dst="2001:db8::2") / m.GRE()
    / _ip(m, C, D) / m.TCP(sport=1, dport=2),
    "gre-mpls": lambda m: _ip(m) / m.GRE() / m.MPLS(label=5) / _ip(m, C, D),
    "gre-proto-given": lambda m: _ip(m) / m.GRE(proto=0x1234, recursion_control=2,
                                                 flags=3, version=0),
    "vxlan-ether": lambda m: m.Ether(**MAC) / _ip(m) / m.UDP(sport=1234, dport=4789)
    / m.VXLAN(vni=42) / m.Ether(**MAC) / _ip(m, C, D) / m.TCP(sport=7, dport=8),
    "vxlan-flags-8": lambda m: _ip(m) / m.UDP(sport=1, dport=4789) / m.VXLAN(flags=8, vni=5)
    / m.Ether(**MAC) / _ip(m, C, D),
    "vxlan-gpe-ip": lambda m: _ip(m) / m.UDP(sport=1, dport=4790) / m.VXLAN(vni=1)
    / _ip(m, C, D),
    "vxlan-group": lambda m: _ip(m) / m.UDP(sport=1, dport=4789)
    / m.VXLAN(flags=0x88, gpflags=0x40, gpid=77, vni=0xFFFFFF),
    "vxlan-alone": lambda m: _ip(m) / m.UDP(sport=1, dport=4789) / m.VXLAN(),
    "vxlan-default-ports": lambda m: _ip(m) / m.UDP() / m.VXLAN(vni=9) / m.Ether(**MAC),
    "vxlan-reserved": lambda m: _ip(m) / m.UDP(sport=1, dport=4789)
    / m.VXLAN(flags=0, reserved1=0x123456, reserved2=9, vni=3),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_builds_like_scapy(name: str) -> None:
    assert bytes(SPECS[name](NP)) == bytes(SPECS[name](SC))


#: layer -> fields compared with Scapy's dissection (those both always show)
COMPARED = {
    "MPLS": ("label", "cos", "s", "ttl"),
    "GRE": ("chksum_present", "routing_present", "key_present", "seqnum_present",
            "strict_route_source", "recursion_control", "flags", "version", "proto"),
    "VXLAN": ("vni", "reserved2"),
}
OPTIONAL = {"GRE": ("chksum", "offset", "key", "sequence_number"),
            "VXLAN": ("reserved0", "NextProtocol", "reserved1", "gpflags", "gpid")}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_dissects_as_scapy_does(name: str) -> None:
    built = SPECS[name](SC)
    raw = bytes(built)
    first = type(built)
    theirs = first(raw)
    ours = dissect_as({S_Ether: Ether, S_IP: IP, S_IPv6: IPv6}[first], raw)
    assert ours.errors == []
    assert bytes(ours) == raw
    s_layers = list(theirs.iterpayloads())
    o_layers = []
    cur = ours
    while cur:
        o_layers.append(cur)
        cur = cur.payload
    names = [type(x).__name__ for x in o_layers]
    assert names == [type(x).__name__ for x in s_layers]
    for o, s in zip(o_layers, s_layers):
        kind = type(o).__name__
        for f in COMPARED.get(kind, ()):
            assert getattr(o, f) == getattr(s, f), (kind, f)
        present = o.present_fields() if hasattr(o, "present_fields") else ()
        for f in OPTIONAL.get(kind, ()):
            if f in present:
                assert getattr(o, f) == getattr(s, f), (kind, f)
        if kind == "VXLAN":
            assert int(o.flags) == int(s.flags)


def test_mpls_bottom_of_stack_and_payload_choice() -> None:
    stack = Ether(**MAC) / MPLS(label=1) / MPLS(label=2) / IP(src=A, dst=B)
    pkt = dissect(bytes(stack))
    assert [m.s for m in (pkt.getlayer(MPLS, 1), pkt.getlayer(MPLS, 2))] == [0, 1]
    assert pkt[IP].dst == B
    # 0x8848 (multicast) is dissected as well (Scapy leaves it Raw; tshark decodes it)
    multi = bytearray(bytes(stack))
    multi[12:14] = b"\x88\x48"
    assert dissect(bytes(multi))[IP].dst == B
    # a bottom entry over something that is neither IPv4 nor IPv6: an Ethernet pseudowire
    inner = Ether(src="52:54:00:00:00:01", dst="52:54:00:00:00:02") / IP(src=A, dst=B)
    pw = dissect(bytes(Ether(**MAC) / MPLS(label=3) / inner))
    assert pw.getlayer(Ether, 2) is not None and pw[IP].src == A
    # a first nibble 0 is the pseudowire control word (as Scapy reads it)
    cw = dissect(bytes(Ether(**MAC) / MPLS(label=3) / EoMCW(seq=5) / inner))
    assert cw[EoMCW].seq == 5 and cw[IP].src == A


def test_gre_checksum_covers_header_and_payload() -> None:
    from netprobe.packet.checksum import checksum

    pkt = IP(src=A, dst=B) / GRE(chksum_present=1) / IP(src=C, dst=D)
    gre_bytes = bytes(pkt)[20:]
    assert checksum(gre_bytes) == 0
    assert dissect_as(IP, bytes(pkt))[GRE].chksum == int.from_bytes(gre_bytes[4:6], "big")


def test_corpus_tunnels_dissect_past_the_tunnel(corpus_dir) -> None:
    mpls = [dissect(d, lt, wl) for lt, d, wl in frames(corpus_dir / "zeek__mpls-in-vlan.pcap")]
    tunnelled = [p for p in mpls if p.haslayer(MPLS)]
    assert len(tunnelled) == 2
    assert all(p.haslayer(TCP) and p[MPLS].s in (0, 1) for p in tunnelled)
    assert tunnelled[1].getlayer(MPLS, 2).label == 99
    gre = [dissect(d, lt, wl) for lt, d, wl in frames(corpus_dir / "zeek__gre-sample.pcap")]
    assert gre and all(p.haslayer(GRE) and p.getlayer(IP, 2) is not None for p in gre)
    assert sum(p.haslayer(TCP) for p in gre) == 22
    for (_lt, data, _wl), p in zip(frames(corpus_dir / "zeek__gre-sample.pcap"), gre):
        assert bytes(p) == data


def test_pptp_gre_version_1_is_gre_pptp(corpus_dir) -> None:
    """PPTP's enhanced GRE reads as Scapy's GRE_PPTP, then PPP in HDLC framing
    (field values compared with Scapy in tests/packet/test_layers_gre_pptp.py)."""
    from netprobe.packet.layers.gre import GRE_PPTP

    pkts = [dissect(d, lt, wl) for lt, d, wl in frames(corpus_dir / "tcpdump__pptp.pcap")]
    assert not [p for p in pkts if p.haslayer(GRE)]  # lookup by exact class, as in Scapy
    (gre,) = [p for p in pkts if p.haslayer(GRE_PPTP)]
    assert gre[GRE_PPTP].version == 1 and gre[GRE_PPTP].key_present == 1
    assert gre[GRE_PPTP].payload_len == len(bytes(gre[GRE_PPTP].payload))
    assert type(gre[GRE_PPTP].payload).__name__ == "HDLC"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([b"\x88\x47", b"\x88\x48", b"\x08\x00"]), st.binary(max_size=80))
def test_bad_bytes_never_raise(ethertype: bytes, tail: bytes) -> None:
    head = bytes(Ether(**MAC))[:12] + ethertype
    if ethertype == b"\x08\x00":  # IP carrying GRE, or UDP to the VXLAN port
        for inner in (bytes(IP(src=A, dst=B, proto=47) / Raw(tail)),
                      bytes(IP(src=A, dst=B) / UDP(sport=1, dport=4789) / Raw(tail))):
            pkt = dissect(head + inner)
            assert bytes(pkt) == head + inner
        return
    pkt = dissect(head + tail)
    assert bytes(pkt) == head + tail
