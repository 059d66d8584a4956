"""ARP and RARP: Scapy parity for building and reading, matching replies to requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scapy.layers.all as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from link_compare import compare, frames, link_headers_round_trip, scapy_dissect

from netprobe.errors import UsageError
from netprobe.packet import (
    ARP,
    LLC,
    SLL2,
    SNAP,
    CookedLinux,
    Dot1AD,
    Dot1Q,
    Dot3,
    Ether,
    Padding,
    dissect,
    dissect_as,
)
from netprobe.packet import route as packet_route

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
BCAST = "ff:ff:ff:ff:ff:ff"
A1, A2 = "198.18.0.1", "198.18.0.2"
V6A, V6B = "2001:db8::1", "2001:db8::2"


def _e(dst: str = BCAST, src: str = M1, type: int | None = None):
    eth = Ether(dst=dst, src=src)
    # Set after construction: Ether(type=...) trips the generated __init__ (a field
    # named "type" shadows the builtin there; reported to the packet-core owner).
    eth.type = type
    return eth


def _se(dst: str = BCAST, src: str = M1, **kw):
    return sc.Ether(dst=dst, src=src, **kw)


def _b(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


# (id, netprobe packet, Scapy packet, link type)
SPECS = [
    ("who-has", lambda: _e() / ARP(hwsrc=M1, psrc=A1, pdst=A2),
     lambda: _se() / sc.ARP(hwsrc=M1, psrc=A1, pdst=A2), 1),
    ("is-at", lambda: _e(M1, M2) / ARP(op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1),
     lambda: _se(M1, M2) / sc.ARP(op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1), 1),
    ("is-at-by-name", lambda: _e(M1, M2) / ARP(op="is-at", hwsrc=M2, psrc=A2, hwdst=M1,
                                               pdst=A1),
     lambda: _se(M1, M2) / sc.ARP(op="is-at", hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1), 1),
    ("gratuitous-request", lambda: _e() / ARP(hwsrc=M1, psrc=A1, pdst=A1),
     lambda: _se() / sc.ARP(hwsrc=M1, psrc=A1, pdst=A1), 1),
    ("gratuitous-reply", lambda: _e() / ARP(op=2, hwsrc=M1, psrc=A1, hwdst=BCAST, pdst=A1),
     lambda: _se() / sc.ARP(op=2, hwsrc=M1, psrc=A1, hwdst=BCAST, pdst=A1), 1),
    ("probe-rfc5227", lambda: _e() / ARP(hwsrc=M1, psrc="0.0.0.0", pdst=A2),
     lambda: _se() / sc.ARP(hwsrc=M1, psrc="0.0.0.0", pdst=A2), 1),
    ("rarp-request", lambda: _e(type=0x8035) / ARP(op=3, hwsrc=M1, psrc="0.0.0.0", hwdst=M1),
     lambda: _se(type=0x8035) / sc.ARP(op=3, hwsrc=M1, psrc="0.0.0.0", hwdst=M1), 1),
    ("rarp-reply", lambda: _e(M1, M2, 0x8035) / ARP(op=4, hwsrc=M2, psrc=A2, hwdst=M1,
                                                     pdst=A1),
     lambda: _se(M1, M2, type=0x8035) / sc.ARP(op=4, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1), 1),
    ("drarp-request", lambda: _e() / ARP(op=5, hwsrc=M1, psrc=A1, hwdst=M2),
     lambda: _se() / sc.ARP(op=5, hwsrc=M1, psrc=A1, hwdst=M2), 1),
    ("inarp-request", lambda: _e(M2) / ARP(op=8, hwsrc=M1, psrc=A1, hwdst=M2),
     lambda: _se(M2) / sc.ARP(op=8, hwsrc=M1, psrc=A1, hwdst=M2), 1),
    ("inarp-reply", lambda: _e(M1, M2) / ARP(op=9, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1),
     lambda: _se(M1, M2) / sc.ARP(op=9, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1), 1),
    ("op-65535", lambda: _e() / ARP(op=0xFFFF, hwsrc=M1, psrc=A1, pdst=A2),
     lambda: _se() / sc.ARP(op=0xFFFF, hwsrc=M1, psrc=A1, pdst=A2), 1),
    ("explicit-lengths", lambda: _e() / ARP(hwlen=6, plen=4, hwsrc=M1, psrc=A1, pdst=A2),
     lambda: _se() / sc.ARP(hwlen=6, plen=4, hwsrc=M1, psrc=A1, pdst=A2), 1),
    ("ipv6-protocol", lambda: _e() / ARP(ptype=0x86DD, hwsrc=M1, psrc=V6A, pdst=V6B),
     lambda: _se() / sc.ARP(ptype=0x86DD, hwsrc=M1, psrc=V6A, pdst=V6B), 1),
    ("ieee802-hwtype", lambda: _e() / ARP(hwtype=6, hwsrc=_b(M1), psrc=A1, hwdst=_b(M2),
                                          pdst=A2),
     lambda: _se() / sc.ARP(hwtype=6, hwsrc=_b(M1), psrc=A1, hwdst=_b(M2), pdst=A2), 1),
    ("eight-byte-hw", lambda: _e() / ARP(hwtype=24, hwsrc=b"\x01" * 8, psrc=A1,
                                         hwdst=b"\x02" * 8, pdst=A2),
     lambda: _se() / sc.ARP(hwtype=24, hwsrc=b"\x01" * 8, psrc=A1, hwdst=b"\x02" * 8,
                           pdst=A2), 1),
    ("infiniband-20-byte-hw", lambda: _e() / ARP(hwtype=32, hwsrc=bytes(range(20)), psrc=A1,
                                                 hwdst=bytes(range(20, 40)), pdst=A2),
     lambda: _se() / sc.ARP(hwtype=32, hwsrc=bytes(range(20)), psrc=A1,
                           hwdst=bytes(range(20, 40)), pdst=A2), 1),
    ("two-byte-protocol", lambda: _e() / ARP(hwtype=6, ptype=0x1234, hwsrc=b"\x01" * 8,
                                             psrc=b"\x01\x02", hwdst=b"\x02" * 8,
                                             pdst=b"\x03\x04"),
     lambda: _se() / sc.ARP(hwtype=6, ptype=0x1234, hwsrc=b"\x01" * 8, psrc=b"\x01\x02",
                           hwdst=b"\x02" * 8, pdst=b"\x03\x04"), 1),
    ("zero-lengths", lambda: _e() / ARP(hwsrc=b"", psrc=b"", hwdst=b"", pdst=b""),
     lambda: _se() / sc.ARP(hwsrc=b"", psrc=b"", hwdst=b"", pdst=b""), 1),
    ("all-ones-types", lambda: _e() / ARP(hwtype=0xFFFF, ptype=0, hwsrc=b"\xaa" * 3,
                                          psrc=b"\xbb" * 5, hwdst=b"\xcc" * 3,
                                          pdst=b"\xdd" * 5),
     lambda: _se() / sc.ARP(hwtype=0xFFFF, ptype=0, hwsrc=b"\xaa" * 3, psrc=b"\xbb" * 5,
                           hwdst=b"\xcc" * 3, pdst=b"\xdd" * 5), 1),
    ("padded-frame", lambda: _e() / ARP(hwsrc=M1, psrc=A1, pdst=A2) / Padding(b"\x00" * 18),
     lambda: _se() / sc.ARP(hwsrc=M1, psrc=A1, pdst=A2) / sc.Padding(b"\x00" * 18), 1),
    ("dot1q", lambda: _e() / Dot1Q(vlan=42) / ARP(hwsrc=M1, psrc=A1, pdst=A2),
     lambda: _se() / sc.Dot1Q(vlan=42) / sc.ARP(hwsrc=M1, psrc=A1, pdst=A2), 1),
    ("qinq", lambda: _e() / Dot1AD(vlan=1) / Dot1Q(vlan=2) / ARP(op=2, hwsrc=M1, psrc=A1,
                                                                 hwdst=M2, pdst=A2),
     lambda: _se() / sc.Dot1AD(vlan=1) / sc.Dot1Q(vlan=2) / sc.ARP(op=2, hwsrc=M1, psrc=A1,
                                                                hwdst=M2, pdst=A2), 1),
    ("snap", lambda: Dot3(dst=BCAST, src=M1) / LLC() / SNAP() / ARP(
        hwtype=6, hwsrc=_b(M1), psrc=A1, pdst=A2),
     lambda: sc.Dot3(dst=BCAST, src=M1) / sc.LLC() / sc.SNAP() / sc.ARP(
         hwtype=6, hwsrc=_b(M1), psrc=A1, hwdst=b"\x00" * 6, pdst=A2), 1),
    ("sll", lambda: CookedLinux(lladdrtype=1, lladdrlen=6, src=M1) / ARP(hwsrc=M1, psrc=A1,
                                                                         pdst=A2),
     lambda: sc.CookedLinux(lladdrtype=1, lladdrlen=6, src=_b(M1)) / sc.ARP(hwsrc=M1, psrc=A1,
                                                                          pdst=A2), 113),
    ("sll2", lambda: SLL2(ifindex=2, lladdrtype=1, lladdrlen=6, src=M2) / ARP(
        op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1),
     lambda: sc.CookedLinuxV2(ifindex=2, lladdrtype=1, lladdrlen=6, src=_b(M2)) / sc.ARP(
         op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1), 276),
]
_IDS = [s[0] for s in SPECS]
#: Scapy binds no layer to the RARP ethertype 0x8035
SPEC_GAPS = {"rarp-request": ("ARP", "Raw"), "rarp-reply": ("ARP", "Raw")}


def test_many_specs() -> None:
    assert len(SPECS) >= 25 and len(set(_IDS)) == len(_IDS)


@pytest.mark.parametrize(("name", "mine", "theirs", "linktype"), SPECS, ids=_IDS)
def test_builds_like_scapy(name, mine, theirs, linktype) -> None:
    assert bytes(mine()) == bytes(theirs())


@pytest.mark.parametrize(("name", "mine", "theirs", "linktype"), SPECS, ids=_IDS)
def test_reads_scapy_bytes_like_scapy(name, mine, theirs, linktype) -> None:
    data = bytes(theirs())
    got = dissect(data, linktype)
    assert got.errors == []
    assert bytes(got) == data
    arp = got[ARP]
    compared, gap = compare(got, scapy_dissect(linktype, data))
    assert gap == SPEC_GAPS.get(name)
    if gap is None:
        assert "ARP" in compared
    else:  # read all the same: the fields must be the ones built
        mine_arp = mine()[ARP]
        for f in ("hwtype", "ptype", "op", "hwsrc", "psrc", "hwdst", "pdst"):
            assert getattr(arp, f) == getattr(mine_arp, f), f
    assert link_headers_round_trip(got, data) >= 2


def test_field_values_after_reading() -> None:
    got = dissect(bytes(_e() / ARP(op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1)))[ARP]
    assert (got.hwtype, got.ptype, got.hwlen, got.plen, got.op) == (1, 0x0800, 6, 4, 2)
    assert (got.hwsrc, got.psrc, got.hwdst, got.pdst) == (M2, A2, M1, A1)
    v6 = dissect(bytes(_e() / ARP(ptype=0x86DD, hwsrc=M1, psrc=V6A, pdst=V6B)))[ARP]
    assert (v6.plen, v6.psrc, v6.pdst) == (16, V6A, V6B)
    # a 6-byte hardware address reads as a MAC whatever the hardware type
    ieee = dissect(bytes(_e() / ARP(hwtype=6, hwsrc=_b(M1), psrc=A1, pdst=A2)))[ARP]
    assert (ieee.hwsrc, ieee.hwdst) == (M1, "00:00:00:00:00:00")
    odd = dissect(bytes(_e() / ARP(hwtype=24, hwsrc=b"\x01" * 8, psrc=A1, pdst=A2)))[ARP]
    assert odd.hwsrc == b"\x01" * 8 and odd.hwdst == b"\x00" * 8 and odd.hwlen == 8
    # plen 4 of a protocol other than IPv4 stays bytes
    other = dissect(bytes(_e() / ARP(ptype=0x0801, hwsrc=M1, psrc=b"\x0a\x00\x00\x01",
                                     pdst=b"\x0a\x00\x00\x02")))[ARP]
    assert other.psrc == b"\x0a\x00\x00\x01"


def test_defaults_follow_scapy() -> None:
    a = ARP()
    assert (a.hwtype, a.ptype, a.op, a.hwdst, a.pdst) == (1, 0x0800, 1, "00:00:00:00:00:00",
                                                           "0.0.0.0")
    assert a.is_unset("hwsrc") and a.is_unset("psrc") and a.hwlen is None and a.plen is None
    # unset sources read as Scapy's do: the route's address and interface MAC
    scapy = pytest.importorskip("scapy.all")
    theirs = scapy.ARP()
    assert (a.psrc, a.hwsrc) == (theirs.psrc, theirs.hwsrc)
    assert bytes(ARP(psrc=A1)) == bytes(sc.ARP(psrc=A1))


def test_targets_fitted_to_the_source_lengths() -> None:
    # an IPv6 sender with the default target: the target becomes 16 zero bytes
    data = bytes(ARP(ptype=0x86DD, hwsrc=M1, psrc=V6A))
    assert len(data) == 8 + 2 * (6 + 16) and data.endswith(b"\x00" * 16)
    # explicit lengths cut or pad every address to them
    cut = bytes(ARP(hwlen=4, plen=2, hwsrc=M1, psrc=A1, hwdst=M2, pdst=A2))
    assert cut[8:] == _b(M1)[:4] + b"\xc6\x12" + _b(M2)[:4] + b"\xc6\x12"


def test_source_address_from_the_route_hook() -> None:
    saved = packet_route._resolver
    try:
        packet_route.set_source_resolver(lambda dst: None)  # a lookup that finds no route
        with pytest.raises(UsageError):
            bytes(ARP(pdst=A2))
        packet_route.set_source_resolver(lambda dst: A1 if dst == A2 else None)
        assert bytes(ARP(pdst=A2))[14:18] == b"\xc6\x12\x00\x01"
        with pytest.raises(UsageError):
            bytes(ARP(pdst=b"\x01\x02"))  # not an address the route can be asked about
    finally:
        packet_route.set_source_resolver(saved)


def test_address_checks() -> None:
    with pytest.raises(UsageError):
        ARP(hwsrc="zz:zz:zz:zz:zz:zz")
    with pytest.raises(UsageError):
        ARP(hwsrc=12)
    with pytest.raises(UsageError):
        ARP(psrc="198.18.0.300")
    with pytest.raises(UsageError):
        ARP(pdst="10.0.0.0/8")  # more than 65536 addresses
    with pytest.raises(UsageError):
        ARP(op="no-such-op")
    assert ARP(hwsrc="02-00-00-00-00-0A").hwsrc == "02:00:00:00:00:0a"
    assert ARP(hwsrc=_b(M1)).hwsrc == M1
    assert ARP(psrc="2001:DB8:0::1").psrc == V6A


def test_network_makes_a_set_for_arp_scans() -> None:
    pkt = _e() / ARP(hwsrc=M1, psrc=A1, pdst="198.18.0.0/30")
    assert pkt.set_size() == 4
    targets = [dissect(bytes(p))[ARP].pdst for p in pkt]
    assert targets == ["198.18.0.0", "198.18.0.1", "198.18.0.2", "198.18.0.3"]
    both = ARP(psrc=A1, pdst=["198.18.1.0/31", "198.18.2.7"])
    assert [p.pdst for p in both] == ["198.18.1.0", "198.18.1.1", "198.18.2.7"]


def test_who_has_and_is_at_match() -> None:
    request = _e() / ARP(hwsrc=M1, psrc=A1, pdst=A2)
    reply = dissect(bytes(_e(M1, M2) / ARP(op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1)))
    assert reply.answers(request)
    assert reply.hashkey() == request.hashkey()
    assert reply[ARP].hashkey() == dissect(bytes(request))[ARP].hashkey()
    assert not request.answers(reply)  # a request answers nothing
    wrong = _e(M1, M2) / ARP(op=2, hwsrc=M2, psrc="198.18.0.3", hwdst=M1, pdst=A1)
    assert not wrong.answers(request)
    assert wrong.hashkey() != request.hashkey()
    other_request = _e() / ARP(hwsrc=M1, psrc=A1, pdst="198.18.0.3")
    assert other_request.hashkey() != request.hashkey()
    assert not reply.answers(reply)
    # a reply over a VLAN still answers (and hashes like) the untagged request
    tagged = dissect(bytes(_e(M1, M2) / Dot1Q(vlan=3) / ARP(op=2, hwsrc=M2, psrc=A2,
                                                             hwdst=M1, pdst=A1)))
    assert tagged[ARP].answers(request[ARP]) and tagged.hashkey() == request.hashkey()


def test_rarp_and_inarp_match() -> None:
    rreq = ARP(op=3, hwsrc=M1, psrc="0.0.0.0", hwdst=M1)
    rrep = ARP(op=4, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1)
    assert rrep.answers(rreq) and rrep.hashkey() == rreq.hashkey()
    stranger = ARP(op=4, hwsrc=M2, psrc=A2, hwdst="02:00:00:00:00:99", pdst=A1)
    assert not stranger.answers(rreq) and stranger.hashkey() != rreq.hashkey()
    ireq = ARP(op=8, hwsrc=M1, psrc=A1, hwdst=M2)
    irep = ARP(op=9, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1)
    assert irep.answers(ireq) and irep.hashkey() == ireq.hashkey()
    # an ARP reply does not answer a RARP request, nor the other way round
    assert not ARP(op=2, hwsrc=M2, psrc=A2, hwdst=M1, pdst=A1).answers(rreq)
    assert not rrep.answers(ARP(hwsrc=M1, psrc=A1, pdst=A2))
    assert ARP(op=2, psrc=A2).hashkey() != rrep.hashkey()


def test_gratuitous() -> None:
    assert ARP(hwsrc=M1, psrc=A1, pdst=A1).gratuitous
    assert ARP(op=2, hwsrc=M1, psrc=A1, hwdst=BCAST, pdst=A1).gratuitous
    assert not ARP(hwsrc=M1, psrc=A1, pdst=A2).gratuitous
    assert not ARP(op=3, hwsrc=M1, psrc=A1, pdst=A1).gratuitous


def test_rarp_ethertype_reads_as_arp_everywhere() -> None:
    body = bytes(ARP(op=3, hwsrc=M1, psrc="0.0.0.0", hwdst=M1))
    for data, lt in ((bytes(_e(type=0x8035)) + body, 1),
                     (bytes(_e(type=0x8100)) + bytes(Dot1Q(vlan=1, type=0x8035)) + body, 1),
                     (bytes(CookedLinux(proto=0x8035)) + body, 113),
                     (bytes(SLL2(proto=0x8035)) + body, 276)):
        got = dissect(data, lt)
        assert got[ARP].op == 3 and bytes(got) == data
    # building picks 0x0806 unless told otherwise
    assert bytes(_e() / ARP(op=3, psrc=A1))[12:14] == b"\x08\x06"


@pytest.mark.parametrize("keep", [0, 7, 8, 20, 27])
def test_truncated_arp_becomes_raw(keep: int) -> None:
    body = bytes(ARP(hwsrc=M1, psrc=A1, pdst=A2))[:keep]
    data = bytes(_e(type=0x0806)) + body
    got = dissect(data)
    assert bytes(got) == data
    if keep:
        assert got.payload.name == "Raw"
        assert any(e.startswith("ARP:") for e in got.errors)


def test_lengths_beyond_the_frame_are_truncation() -> None:
    # hwlen 255: 8 + 2 * (255 + 4) bytes needed, a 60-byte frame has far fewer
    body = bytearray(bytes(ARP(hwsrc=M1, psrc=A1, pdst=A2)))
    body[4] = 255
    got = dissect(bytes(_e(type=0x0806)) + bytes(body) + bytes(18))
    assert got.payload.name == "Raw" and "addresses cut short" in got.errors[0]


def test_presentation() -> None:
    pkt = dissect(bytes(_e() / ARP(hwtype=24, hwsrc=b"\x01" * 8, psrc=A1, pdst=A2)))
    d = pkt[ARP].to_dict()
    assert d["hwsrc"] == "01" * 8 and d["psrc"] == A1
    json.dumps(pkt.to_dicts())
    assert "who has 198.18.0.2 says 198.18.0.1" in pkt.brief()
    assert "is at 02:00:00:00:00:02" in ARP(op=2, hwsrc=M2, psrc=A2).brief()
    assert "RARP-req" in ARP(op=3, psrc=A1).brief()
    assert "hwsrc" in pkt.show_text()


# -- arbitrary values and bytes -------------------------------------------------------------------
_addr = st.binary(min_size=0, max_size=24)


@settings(max_examples=200, deadline=None)
@given(hwtype=st.integers(0, 0xFFFF), ptype=st.sampled_from([0x0800, 0x86DD, 0x1234]),
       op=st.integers(0, 0xFFFF), hl=st.integers(0, 24), pl=st.integers(0, 24),
       raw=st.binary(min_size=96, max_size=96))
def test_any_arp_reads_back_and_like_scapy(hwtype, ptype, op, hl, pl, raw) -> None:
    hs, ps, hd, pd = raw[:hl], raw[24:24 + pl], raw[48:48 + hl], raw[72:72 + pl]
    pkt = ARP(hwtype=hwtype, ptype=ptype, op=op, hwsrc=hs, psrc=ps, hwdst=hd, pdst=pd)
    data = bytes(pkt)
    assert data[4:6] == bytes((hl, pl))
    got = dissect_as(ARP, data)
    assert got.errors == [] and bytes(got) == data
    assert got.hashkey() == dissect_as(ARP, bytes(got)).hashkey()
    compared, gap = compare(got, sc.ARP(data))
    assert gap is None and compared == ["ARP"]


@settings(max_examples=300, deadline=None)
@given(tail=st.binary(max_size=120), wirelen=st.none() | st.integers(0, 300))
def test_arbitrary_bytes_after_arp_ethertype_never_raise(tail: bytes, wirelen) -> None:
    data = bytes(_e(type=0x0806)) + tail
    got = dissect(data, 1, wirelen)
    assert bytes(got) == data
    got.summary()
    got.hashkey()


# -- captures -------------------------------------------------------------------------------------
def _read(corpus_dir: Path, name: str):
    return [dissect(data, lt, wl) for lt, data, wl in frames(corpus_dir / name)]


def test_corpus_rarp_pair(corpus_dir: Path) -> None:
    request, reply = _read(corpus_dir, "libpcap__rarp_req_reply.pcapng")
    assert (request[ARP].op, reply[ARP].op) == (3, 4)
    assert reply[ARP].pdst == "10.1.1.100" and reply[ARP].hwdst == "00:0c:29:34:0b:de"
    assert reply.answers(request) and reply.hashkey() == request.hashkey()
    assert not request.answers(reply)


def test_corpus_arp_leak_pairs(corpus_dir: Path) -> None:
    pkts = _read(corpus_dir, "zeek__arp-leak.pcap")
    assert len(pkts) == 6
    for request, reply in zip(pkts[::2], pkts[1::2]):
        assert request.errors == [] and reply.errors == []
        assert (request[ARP].op, reply[ARP].op) == (1, 2)
        assert reply.answers(request)
        assert reply.hashkey() == request.hashkey()
    # lengths are taken as announced: 255-byte hardware addresses stay bytes
    assert pkts[0][ARP].hwlen == 255 and isinstance(pkts[0][ARP].hwsrc, bytes)


@pytest.mark.parametrize("name", ["zeek__nmap-vsn.pcap", "zeek__cooper-grill-dvwa.pcapng",
                                  "zeek__snap-arp.pcapng", "pcapplusplus__sll.pcap",
                                  "zeek__linux_dlt_sll2.pcap", "zeek__wikipedia.pcap"])
def test_corpus_arp_reads_like_scapy(corpus_dir: Path, name: str) -> None:
    seen = 0
    requests: dict[bytes, object] = {}
    matched = 0
    for lt, data, wl in frames(corpus_dir / name):
        got = dissect(data, lt, wl)
        arp = got.getlayer(ARP)
        if arp is None:
            continue
        seen += 1
        assert not [e for e in got.errors if e.startswith("ARP:")]
        theirs = scapy_dissect(lt, data)
        if theirs.haslayer(sc.ARP):
            compared, _ = compare(got, theirs)
            assert "ARP" in compared
        assert link_headers_round_trip(got, data) >= 2
        if arp.op == 1:
            requests[arp.hashkey()] = arp
        elif arp.op == 2 and arp.hashkey() in requests:
            assert arp.answers(requests[arp.hashkey()])
            matched += 1
    assert seen > 0
    if name == "pcapplusplus__sll.pcap":  # holds a who-has and its is-at
        assert matched > 0
