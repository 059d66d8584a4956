"""ICMPv6: echo, errors quoting IPv6 packets, Neighbor Discovery with options; bytes against
Scapy, dissection, matching of real request/reply pairs and of errors to their probes."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.contrib.mpls import MPLS as S_MPLS
from scapy.contrib.mpls import ICMPExtension_MPLS as S_ExtMPLS
from scapy.layers import inet6 as s6
from scapy.layers.inet import TCP as S_TCP
from scapy.layers.inet import UDP as S_UDP
from scapy.layers.inet import ICMPExtension_Header as S_ExtHdr
from scapy.layers.l2 import Ether as S_Ether
from scapy.packet import Raw as S_Raw
from scapy.utils import rdpcap

from netprobe.errors import UsageError
from netprobe.packet import (
    TCP,
    UDP,
    Ether,
    ICMPExtension,
    ICMPExtensionObject,
    IPv6,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    MPLSLabel,
    Raw,
    RouterAlert,
    UDPerror,
    dissect,
    dissect_as,
)
from netprobe.packet.layers import icmpv6 as icmpv6_module
from netprobe.packet.layers.icmpv6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6MLDone,
    ICMPv6MLQuery,
    ICMPv6MLQuery2,
    ICMPv6MLReport,
    ICMPv6MLReport2,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
    ICMPv6Unknown,
)

_NAMES = ("ICMPv6DestUnreach", "ICMPv6EchoReply", "ICMPv6EchoRequest", "ICMPv6ND_NA",
          "ICMPv6ND_NS", "ICMPv6ND_RA", "ICMPv6ND_Redirect", "ICMPv6ND_RS",
          "ICMPv6NDOptDstLLAddr", "ICMPv6NDOptMTU", "ICMPv6NDOptPrefixInfo",
          "ICMPv6NDOptSrcLLAddr", "ICMPv6NDOptUnknown", "ICMPv6PacketTooBig",
          "ICMPv6ParamProblem", "ICMPv6TimeExceeded", "ICMPv6Unknown", "ICMPv6MLQuery")
NP = SimpleNamespace(IPv6=IPv6, TCP=TCP, UDP=UDP, Raw=Raw, Ether=Ether,
                     HBH=IPv6ExtHdrHopByHop, RouterAlert=RouterAlert,
                     Frag=IPv6ExtHdrFragment, **{n: getattr(icmpv6_module, n) for n in _NAMES})
SC = SimpleNamespace(IPv6=s6.IPv6, TCP=S_TCP, UDP=S_UDP, Raw=S_Raw, Ether=S_Ether,
                     HBH=s6.IPv6ExtHdrHopByHop, RouterAlert=s6.RouterAlert,
                     Frag=s6.IPv6ExtHdrFragment, **{n: getattr(s6, n) for n in _NAMES})

A, B, R, T = "2001:db8::1", "2001:db8::2", "2001:db8:ff::1", "2001:db8:9::99"
MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def _v6(k, **kw):
    # ``k`` is the class namespace: NP (netprobe) or SC (Scapy)
    return k.IPv6(src=kw.pop("src", A), dst=kw.pop("dst", B), **kw)


def _q_udp(k):
    return k.IPv6(src=A, dst=T, hlim=1) / k.UDP(sport=40000, dport=33434) / k.Raw(b"probe")


def _q_tcp(k):
    return k.IPv6(src=A, dst=T) / k.TCP(sport=40001, dport=443, seq=77, flags="S")


def _q_echo(k):
    return k.IPv6(src=A, dst=T) / k.ICMPv6EchoRequest(id=3, seq=4, data=b"ping")


SPECS = {
    "echo-request": lambda k: _v6(k) / k.ICMPv6EchoRequest(),
    "echo-request-data": lambda k: _v6(k) / k.ICMPv6EchoRequest(id=0x1234, seq=9,
                                                                data=b"abcdefgh" * 7),
    "echo-request-odd": lambda k: _v6(k) / k.ICMPv6EchoRequest(id=1, seq=2, data=b"odd"),
    "echo-request-code": lambda k: _v6(k) / k.ICMPv6EchoRequest(code=9, id=0xFFFF, seq=0xFFFF),
    "echo-request-bad-cksum": lambda k: _v6(k) / k.ICMPv6EchoRequest(cksum=0xBAD0, id=1),
    "echo-request-zero-cksum": lambda k: _v6(k) / k.ICMPv6EchoRequest(cksum=0),
    "echo-reply": lambda k: _v6(k, src=B, dst=A) / k.ICMPv6EchoReply(id=0x1234, seq=9,
                                                                     data=b"pong"),
    "echo-reply-empty": lambda k: _v6(k) / k.ICMPv6EchoReply(),
    "echo-multicast": lambda k: _v6(k, dst="ff02::1") / k.ICMPv6EchoRequest(id=5),
    "echo-through-frag": lambda k: _v6(k) / k.Frag(id=7) / k.ICMPv6EchoRequest(seq=3),
    "echo-hbh": lambda k: _v6(k) / k.HBH(options=[k.RouterAlert()]) / k.ICMPv6EchoRequest(),
    "echo-ether": lambda k: k.Ether(src=MAC1, dst=MAC2) / _v6(k) / k.ICMPv6EchoRequest(id=8),
    "unreach-no-route": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(code=0)
    / _q_udp(k),
    "unreach-prohibited": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(code=1)
    / _q_tcp(k),
    "unreach-scope": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(code=2)
    / _q_echo(k),
    "unreach-address": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(code=3)
    / _q_udp(k),
    "unreach-port": lambda k: _v6(k, src=T, dst=A) / k.ICMPv6DestUnreach(code=4) / _q_udp(k),
    "unreach-code-6": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(code=6)
    / _q_tcp(k),
    "unreach-length": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(length=7,
                                                                           unused=0xABCDEF)
    / _q_udp(k),
    "unreach-bad-cksum": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(cksum=1)
    / _q_udp(k),
    "unreach-empty": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6DestUnreach(),
    "too-big": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6PacketTooBig() / _q_tcp(k),
    "too-big-1500": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6PacketTooBig(mtu=1500)
    / _q_udp(k),
    "too-big-max": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6PacketTooBig(mtu=0xFFFFFFFF,
                                                                          code=3) / _q_echo(k),
    "time-exceeded": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6TimeExceeded() / _q_udp(k),
    "time-exceeded-tcp": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6TimeExceeded() / _q_tcp(k),
    "time-exceeded-echo": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6TimeExceeded()
    / _q_echo(k),
    "time-exceeded-reassembly": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6TimeExceeded(code=1)
    / _q_udp(k),
    "time-exceeded-unused": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6TimeExceeded(unused=5)
    / _q_udp(k),
    "param-problem": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6ParamProblem() / _q_udp(k),
    "param-problem-nh": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6ParamProblem(code=1, ptr=40)
    / _q_tcp(k),
    "param-problem-option": lambda k: _v6(k, src=R, dst=A) / k.ICMPv6ParamProblem(
        code=2, ptr=0xFFFFFFFF) / _q_udp(k),
    "unknown-mld": lambda k: _v6(k) / k.ICMPv6Unknown(type=130, msgbody=b"\x00" * 20),
    "unknown-private": lambda k: _v6(k) / k.ICMPv6Unknown(type=200, code=1, msgbody=b"xyz"),
    "unknown-default": lambda k: _v6(k) / k.ICMPv6Unknown(),
    "rs": lambda k: _v6(k, src="fe80::1", dst="ff02::2") / k.ICMPv6ND_RS(),
    "rs-lladdr": lambda k: _v6(k, src="fe80::1", dst="ff02::2") / k.ICMPv6ND_RS(res=7)
    / k.ICMPv6NDOptSrcLLAddr(lladdr=MAC1),
    "rs-hlim-by-hand": lambda k: _v6(k, dst="ff02::2", hlim=64) / k.ICMPv6ND_RS(),
    "ra-default": lambda k: _v6(k, src="fe80::1", dst="ff02::1") / k.ICMPv6ND_RA(),
    "ra-flags": lambda k: _v6(k, src="fe80::1", dst="ff02::1") / k.ICMPv6ND_RA(
        chlim=64, M=1, O=1, H=1, prf=3, P=1, res=2, routerlifetime=0, reachabletime=30000,
        retranstimer=1000),
    "ra-options": lambda k: _v6(k, src="fe80::1", dst="ff02::1") / k.ICMPv6ND_RA(chlim=255)
    / k.ICMPv6NDOptSrcLLAddr(lladdr=MAC1) / k.ICMPv6NDOptMTU(mtu=1500)
    / k.ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, validlifetime=86400,
                              preferredlifetime=14400),
    "ra-prefix-flags": lambda k: _v6(k, src="fe80::1", dst="ff02::1") / k.ICMPv6ND_RA()
    / k.ICMPv6NDOptPrefixInfo(L=0, A=0, R=1, res1=31, res2=0xDEADBEEF, prefixlen=48,
                              prefix="2001:db8::"),
    "ra-mtu-res": lambda k: _v6(k, dst="ff02::1") / k.ICMPv6ND_RA() / k.ICMPv6NDOptMTU(res=9),
    "ra-unknown-option": lambda k: _v6(k, dst="ff02::1") / k.ICMPv6ND_RA()
    / k.ICMPv6NDOptUnknown(type=200, data=b"\x00\x00\x00\x00\x0e\x10" + bytes(16)),
    "ns": lambda k: _v6(k, dst="ff02::1:ff00:2") / k.ICMPv6ND_NS(tgt=B),
    "ns-lladdr": lambda k: _v6(k, dst="ff02::1:ff00:2") / k.ICMPv6ND_NS(tgt=B)
    / k.ICMPv6NDOptSrcLLAddr(lladdr=MAC1),
    "ns-dad": lambda k: _v6(k, src="::", dst="ff02::1:ff00:2") / k.ICMPv6ND_NS(tgt=B),
    "ns-default-target": lambda k: _v6(k) / k.ICMPv6ND_NS(),
    "ns-res": lambda k: _v6(k) / k.ICMPv6ND_NS(res=0xFFFFFFFF, tgt="fe80::1234"),
    "na": lambda k: _v6(k, src=B, dst=A) / k.ICMPv6ND_NA(tgt=B, S=1),
    "na-lladdr": lambda k: _v6(k, src=B, dst=A) / k.ICMPv6ND_NA(tgt=B, R=0, S=1, O=0)
    / k.ICMPv6NDOptDstLLAddr(lladdr=MAC2),
    "na-res": lambda k: _v6(k, src=B, dst="ff02::1") / k.ICMPv6ND_NA(tgt=B, res=0x1FFFFFFF),
    "na-all-flags": lambda k: _v6(k, src=B, dst=A) / k.ICMPv6ND_NA(tgt=B, R=1, S=1, O=1),
    "redirect": lambda k: _v6(k, src="fe80::1", dst=A) / k.ICMPv6ND_Redirect(tgt="fe80::2",
                                                                             dst=T),
    "redirect-lladdr": lambda k: _v6(k, src="fe80::1", dst=A)
    / k.ICMPv6ND_Redirect(tgt="fe80::2", dst=T) / k.ICMPv6NDOptDstLLAddr(lladdr=MAC2),
    "nd-unknown-options": lambda k: _v6(k) / k.ICMPv6ND_NS(tgt=B)
    / k.ICMPv6NDOptUnknown(type=14, data=b"nonce!") / k.ICMPv6NDOptUnknown(type=99)
    / k.ICMPv6NDOptUnknown(type=200, data=b"seven77"),
    "nd-ether": lambda k: k.Ether(src=MAC1, dst="33:33:ff:00:00:02")
    / _v6(k, dst="ff02::1:ff00:2") / k.ICMPv6ND_NS(tgt=B) / k.ICMPv6NDOptSrcLLAddr(lladdr=MAC1),
    "nd-bad-cksum": lambda k: _v6(k) / k.ICMPv6ND_NA(tgt=B, cksum=0x4242),
}


def _build(spec, k):
    return bytes(SPECS[spec](k))


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_bytes_match_scapy(spec):
    assert _build(spec, NP) == _build(spec, SC)


def _norm(v):
    if isinstance(v, str):
        try:
            return ipaddress.IPv6Address(v).compressed
        except ValueError:
            return v.lower()
    return int(v) if isinstance(v, int) else v


_OURS = {getattr(icmpv6_module, n) for n in _NAMES}


def _chain(pkt, scapy):
    """The ICMPv6 and ND option layers of a packet, outermost first."""
    out = []
    x = pkt
    while x is not None and getattr(x, "name", "") != "NoPayload":
        name = type(x).__name__
        if (not scapy and type(x) in _OURS) or (scapy and name in _NAMES):
            out.append(x)
        x = x.payload if (x.payload if scapy else x.payload is not None) else None
    return out


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_dissection_matches_scapy_and_round_trips(spec):
    sp = SPECS[spec](SC)
    raw = bytes(sp)
    ours = dissect_as(type(SPECS[spec](NP)), raw)
    assert bytes(ours) == raw
    if spec == "unknown-default":
        # type 1 is Destination Unreachable, whose 8-byte header these 4 bytes cut short
        assert any("ICMPv6DestUnreach: truncated" in e for e in ours.errors)
        return
    assert ours.errors == []
    if spec.startswith("unknown") and spec != "unknown-mld":  # type 130 reads as MLD now
        # Scapy reads these types as Raw
        assert isinstance(ours[ICMPv6Unknown], ICMPv6Unknown)
        return
    theirs = type(sp)(raw)
    mine, scapys = _chain(ours, False), _chain(theirs, True)
    assert [type(x).__name__ for x in mine] == [type(x).__name__ for x in scapys]
    for a, b in zip(mine, scapys):
        for name in a.field_names:
            if name == "ext":
                assert a.ext is None
                continue
            assert _norm(getattr(a, name)) == _norm(getattr(b, name)), (type(a).__name__, name)


def test_nd_gets_hop_limit_255_and_others_64():
    assert bytes(IPv6(src=A, dst=B) / ICMPv6ND_NS(tgt=B))[7] == 255
    assert bytes(IPv6(src=A, dst=B) / ICMPv6ND_RA())[7] == 255
    assert bytes(IPv6(src=A, dst=B) / ICMPv6EchoRequest())[7] == 64
    assert bytes(IPv6(src=A, dst=B, hlim=7) / ICMPv6ND_NS())[7] == 7


def test_checksum_is_verified_by_an_independent_sum():
    raw = bytes(IPv6(src=A, dst=B) / ICMPv6EchoRequest(id=1, seq=2, data=b"xyz"))
    msg = raw[40:]
    pseudo = (ipaddress.IPv6Address(A).packed + ipaddress.IPv6Address(B).packed
              + len(msg).to_bytes(4, "big") + b"\x00\x00\x00\x3a")
    data = pseudo + msg + (b"\x00" if len(msg) % 2 else b"")
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    assert total == 0xFFFF


def test_checksum_without_ipv6_below_stays_zero():
    assert bytes(ICMPv6EchoRequest(id=1))[2:4] == b"\x00\x00"


def test_dissection_chooses_the_class_by_type():
    for cls, kw in ((ICMPv6EchoRequest, {}), (ICMPv6EchoReply, {}), (ICMPv6DestUnreach, {}),
                    (ICMPv6PacketTooBig, {}), (ICMPv6TimeExceeded, {}),
                    (ICMPv6ParamProblem, {}), (ICMPv6ND_RS, {}), (ICMPv6ND_RA, {}),
                    (ICMPv6ND_NS, {}), (ICMPv6ND_NA, {}), (ICMPv6ND_Redirect, {}),
                    (ICMPv6Unknown, {"type": 200}), (ICMPv6MLQuery, {}), (ICMPv6MLQuery2, {}),
                    (ICMPv6MLReport, {}), (ICMPv6MLDone, {}), (ICMPv6MLReport2, {})):
        d = dissect_as(IPv6, bytes(IPv6(src=A, dst=B) / cls(**kw)))
        assert type(d.payload) is cls
    # a message too short for its type's header: noted, kept as Raw
    raw = bytes(IPv6(src=A, dst=B, nh=58, plen=12)) + bytes([135, 0, 0, 0]) + bytes(8)
    d = dissect_as(IPv6, raw)
    assert type(d.payload) is Raw and any("ICMPv6ND_NS" in e for e in d.errors)
    assert bytes(d) == raw


def test_nd_option_with_unexpected_length_is_kept_as_unknown():
    # a source link-layer option of 16 bytes (a longer link-layer address)
    opt = ICMPv6NDOptUnknown(type=1, data=bytes(range(14)))
    raw = bytes(IPv6(src=A, dst=B) / ICMPv6ND_NS(tgt=B) / opt)
    d = dissect_as(IPv6, raw)
    assert type(d[ICMPv6ND_NS].payload) is ICMPv6NDOptUnknown
    assert d[ICMPv6NDOptUnknown].data == bytes(range(14)) and d[ICMPv6NDOptUnknown].len == 2
    assert bytes(d) == raw


def test_nd_option_of_length_zero_is_an_error():
    raw = bytes(IPv6(src=A, dst=B) / ICMPv6ND_NS(tgt=B)) + bytes([1, 0]) + bytes(6)
    raw = raw[:4] + (len(raw) - 40).to_bytes(2, "big") + raw[6:]
    d = dissect_as(IPv6, raw)
    assert any("option length 0" in e for e in d.errors)
    assert bytes(d) == raw


def test_nd_unknown_option_pads_its_data():
    raw = bytes(ICMPv6NDOptUnknown(type=99, data=b"abc"))
    assert raw == bytes([99, 1]) + b"abc" + bytes(3)


def test_values_are_checked():
    with pytest.raises(UsageError):
        ICMPv6ND_NS(tgt="198.18.0.1")
    with pytest.raises(UsageError):
        ICMPv6EchoRequest(id=1 << 16)
    with pytest.raises(UsageError):
        ICMPv6ND_RA(prf=4)
    with pytest.raises(UsageError):
        ICMPv6NDOptSrcLLAddr(lladdr="zz")
    with pytest.raises(UsageError):
        ICMPv6TimeExceeded(ext=42)


def test_family_module_names_its_classes():
    for name in _NAMES:
        assert name in icmpv6_module.__all__


# -- RFC 4884 extension in ICMPv6 errors -------------------------------------------------------
LABELS = [MPLSLabel(label=299776, tc=0, s=1, ttl=1)]


def test_time_exceeded_extension_matches_scapy_and_decodes():
    stack = [S_MPLS(label=x.label, cos=x.tc, s=x.s, ttl=x.ttl) for x in LABELS]
    theirs = (s6.IPv6(src=R, dst=A) / s6.ICMPv6TimeExceeded(
        length=16, ext=S_ExtHdr() / S_ExtMPLS(stack=stack)) / _q_udp(SC))
    ours = (IPv6(src=R, dst=A) / ICMPv6TimeExceeded(
        ext=ICMPExtension([ICMPExtensionObject.mpls(LABELS)])) / _q_udp(NP))
    raw = bytes(ours)
    assert raw == bytes(theirs)
    assert raw[44] == 16  # 128 bytes of quote, in 8-byte units
    d = dissect_as(IPv6, raw)
    assert d.errors == []
    assert d[ICMPv6TimeExceeded].ext.labels == LABELS
    assert d[UDPerror].dport == 33434 and UDP not in d  # a quote, as in Scapy
    assert bytes(d) == raw


def test_unreach_extension_without_length_is_left_in_the_payload():
    # ICMPv6 senders must set length (RFC 4884); with 0 nothing is guessed
    ours = (IPv6(src=R, dst=A) / ICMPv6DestUnreach(
        length=0, ext=ICMPExtension([ICMPExtensionObject.mpls(LABELS)])) / _q_udp(NP))
    raw = bytes(ours)
    d = dissect_as(IPv6, raw)
    assert d[ICMPv6DestUnreach].ext is None
    assert bytes(d) == raw


# -- matching ---------------------------------------------------------------------------------
def _key(pkt):
    return dissect_as(type(pkt), bytes(pkt)).hashkey()


def _answers(reply, probe):
    return dissect_as(type(reply), bytes(reply)).answers(dissect_as(type(probe), bytes(probe)))


def test_echo_reply_matches_request():
    req = IPv6(src=A, dst=B) / ICMPv6EchoRequest(id=7, seq=1, data=b"abc")
    rep = IPv6(src=B, dst=A) / ICMPv6EchoReply(id=7, seq=1, data=b"abc")
    assert _key(req) == _key(rep)
    assert _answers(rep, req)
    assert not _answers(req, rep)
    for other in (ICMPv6EchoReply(id=7, seq=2, data=b"abc"),
                  ICMPv6EchoReply(id=8, seq=1, data=b"abc")):
        assert _key(IPv6(src=B, dst=A) / other) != _key(req)
        assert not _answers(IPv6(src=B, dst=A) / other, req)
    assert not _answers(IPv6(src=B, dst=A) / ICMPv6EchoReply(id=7, seq=1, data=b"xyz"), req)
    assert not _answers(IPv6(src=R, dst=A) / ICMPv6EchoReply(id=7, seq=1, data=b"abc"), req)


def test_neighbor_advertisement_answers_solicitation():
    ns = (IPv6(src=A, dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt=B)
          / ICMPv6NDOptSrcLLAddr(lladdr=MAC1))
    na = IPv6(src=B, dst=A) / ICMPv6ND_NA(tgt=B, S=1) / ICMPv6NDOptDstLLAddr(lladdr=MAC2)
    assert _key(ns) == _key(na)
    assert _answers(na, ns)
    other = IPv6(src=T, dst=A) / ICMPv6ND_NA(tgt=T, S=1)
    assert _key(other) != _key(ns)
    assert not _answers(other, ns)
    rs = IPv6(src="fe80::1", dst="ff02::2") / ICMPv6ND_RS()
    ra = IPv6(src="fe80::9", dst="ff02::1") / ICMPv6ND_RA()
    assert not _answers(ra, ns)
    assert _key(rs) == _key(ra)


def _router_error(probe, icmp, quote=None, router=R):
    quoted = bytes(probe) if quote is None else bytes(probe)[:quote]
    return IPv6(src=router, dst=probe.src) / icmp / Raw(load=quoted)


@pytest.mark.parametrize("quote", [None, 48, 60])
@pytest.mark.parametrize("kind", ["udp", "tcp", "echo"])
@pytest.mark.parametrize("err", [ICMPv6TimeExceeded, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                                 ICMPv6ParamProblem])
def test_error_matches_the_probe_it_quotes(err, kind, quote):
    def probe_of(n):
        l4 = {"udp": UDP(sport=40000, dport=33434 + n) / b"payload",
              "tcp": TCP(sport=40001 + n, dport=443, seq=5, flags="S"),
              "echo": ICMPv6EchoRequest(id=3, seq=4 + n, data=b"ping" * 5)}[kind]
        return IPv6(src=A, dst=T, hlim=2) / l4

    probe = probe_of(0)
    error = _router_error(probe, err(), quote)
    assert _key(error) == _key(probe)
    assert _answers(error, probe)
    other = probe_of(1)
    assert _key(error) != _key(other)
    if not (kind == "tcp" and quote == 48):  # tcp.py cannot read an 8-byte TCP quote
        assert not _answers(error, other)
    elsewhere = IPv6(src=A, dst=B, hlim=2) / probe.payload
    assert _key(error) != _key(elsewhere)
    assert not _answers(error, elsewhere)


def test_error_quoting_a_probe_with_extension_headers():
    probe = IPv6(src=A, dst=T) / IPv6ExtHdrFragment(id=9) / UDP(sport=1000, dport=2000)
    err = _router_error(probe, ICMPv6TimeExceeded())
    assert _key(err) == _key(probe) and _answers(err, probe)


# -- real captures ----------------------------------------------------------------------------
def _frames(corpus_dir, name):
    out = []
    for p in rdpcap(str(corpus_dir / name)):
        assert isinstance(p, S_Ether), name
        out.append((bytes(p.original), getattr(p, "wirelen", None), p))
    return out


def _compare_capture(raw, wl, theirs):
    ours = dissect(raw, 1, wl)
    assert bytes(ours) == raw
    mine, scapys = _chain(ours, False), _chain(theirs, True)
    if mine and not isinstance(mine[0], ICMPv6Unknown):
        assert [type(x).__name__ for x in mine] == [type(x).__name__ for x in scapys]
        for a, b in zip(mine, scapys):
            for name in a.field_names:
                if name != "ext":
                    assert _norm(getattr(a, name)) == _norm(getattr(b, name)), name
    return ours


@pytest.mark.parametrize("name", ["zeek__icmp6-ping.pcap", "pcapplusplus__ICMPv6_echos.cap"])
def test_capture_echo_pairs(corpus_dir, name):
    pkts = [_compare_capture(*f) for f in _frames(corpus_dir, name)]
    requests = [p for p in pkts if ICMPv6EchoRequest in p]
    replies = [p for p in pkts if ICMPv6EchoReply in p]
    assert requests and len(requests) == len(replies)
    for req in requests:
        matched = [r for r in replies if r.answers(req)]
        assert len(matched) == 1
        assert matched[0].hashkey() == req.hashkey()
        assert matched[0][ICMPv6EchoReply].seq == req[ICMPv6EchoRequest].seq


def test_capture_nd_options(corpus_dir):
    pkts = [_compare_capture(*f) for f in _frames(corpus_dir, "zeek__icmp6-nd-options.pcap")]
    ras = [p for p in pkts if ICMPv6ND_RA in p]
    assert ras
    ra = ras[0]
    assert ra[IPv6].hlim == 255
    assert ra[ICMPv6NDOptSrcLLAddr].lladdr == "c2:00:54:f5:00:00"
    assert ra[ICMPv6NDOptMTU].mtu == 1500
    assert ra[ICMPv6NDOptPrefixInfo].prefix == "2001:db8:0:1::"
    assert ra[ICMPv6NDOptPrefixInfo].prefixlen == 64
    # the duplicate-address check and the advertisement defending the address
    dad, na = pkts[0], pkts[1]
    assert dad[IPv6].src == "::" and dad[ICMPv6ND_NS].tgt == na[ICMPv6ND_NA].tgt
    assert na.hashkey() == dad.hashkey() and na.answers(dad)
    assert not pkts[8].answers(dad)  # an advertisement for another target


def test_capture_solicitations_errors_and_echoes(corpus_dir):
    frames = _frames(corpus_dir, "zeek__communityid-icmp6.pcap")
    pkts = [dissect(raw, 1, wl) for raw, wl, _ in frames]
    for (raw, wl, theirs), p in zip(frames, pkts):
        if ICMPv6DestUnreach in p and p[UDPerror].sport == 53:
            continue  # a quoted DNS answer the DNS layer does not rebuild byte for byte
        _compare_capture(raw, wl, theirs)
    pairs = 0
    for i, p in enumerate(pkts):
        if ICMPv6ND_NS in p:
            na = pkts[i + 1]
            assert ICMPv6ND_NA in na
            assert na.answers(p) and na.hashkey() == p.hashkey()
            pairs += 1
        if ICMPv6EchoRequest in p:
            assert pkts[i + 1].answers(p) and pkts[i + 1].hashkey() == p.hashkey()
    assert pairs == 9
    errors = [p for p in pkts if ICMPv6TimeExceeded in p or ICMPv6DestUnreach in p]
    assert len(errors) >= 12
    for err in errors:
        quoted = err[ICMPv6TimeExceeded if ICMPv6TimeExceeded in err else ICMPv6DestUnreach]
        probe = dissect_as(IPv6, bytes(quoted.payload))
        assert err.hashkey() == probe.hashkey()
        assert err[IPv6].answers(probe)
        assert not err[IPv6].answers(dissect_as(IPv6, bytes(IPv6(src=A, dst=B) / UDP())))


# -- never raise ------------------------------------------------------------------------------
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_icmpv6_bytes_never_raise(data):
    raw = bytes(IPv6(src=A, dst=B, nh=58, plen=len(data))) + data
    d = dissect_as(IPv6, raw)
    if not any(type(x).__name__ in ("TCP", "IP", "DNS") for x in d.chain()):
        assert bytes(d) == raw
    d.summary()
    d.to_dicts()
    d.hashkey()
    d.answers(IPv6(src=B, dst=A) / ICMPv6EchoRequest())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 2, 3, 4, 128, 129, 133, 134, 135, 136, 137]), st.binary(max_size=200))
def test_random_bodies_of_each_type_never_raise(icmp_type, body):
    raw = bytes(IPv6(src=A, dst=B, nh=58, plen=4 + len(body))) + bytes([icmp_type, 0, 0, 0])
    raw += body
    d = dissect_as(IPv6, raw)
    if not any(type(x).__name__ in ("TCP", "IP", "DNS") for x in d.chain()):
        assert bytes(d) == raw
    d.summary()
    d.hashkey()
