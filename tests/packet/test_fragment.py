"""IP fragmentation of built packets (``netprobe.packet.fragment``), without a network.

IPv4 fragments are compared byte for byte with Scapy's ``fragment()`` where
both follow the same rules (no options), and every fragment list is put back
together (by Scapy's reassembly and by a plain reassembler here) to check that
nothing is lost, doubled or misplaced: offsets, MF/M flags, lengths, header
checksums, the copied IPv4 options and the IPv6 unfragmentable part.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_NOP, IPOption_RR, IPOption_Security
from scapy.layers.inet import defragment as scapy_defragment
from scapy.layers.inet import fragment as scapy_fragment
from scapy.layers.inet6 import (
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    defragment6,
)
from scapy.layers.l2 import Dot1Q, Ether

from netprobe.errors import UsageError
from netprobe.packet.checksum import checksum
from netprobe.packet.fragment import (
    copied_ipv4_options,
    fragment,
    fragment_ipv4,
    fragment_ipv6,
    ipv6_header_chain,
    network_offset,
    option_spans,
)

V4 = {"src": "198.18.1.2", "dst": "198.18.1.11"}
V6 = {"src": "2001:db8:1::2", "dst": "2001:db8:1::11"}


def reassemble_v4(pieces: list[bytes]) -> bytes:
    """Put IPv4 fragments back together by their offsets (checks that they tile)."""
    data = {}
    first = None
    for p in pieces:
        hl = (p[0] & 15) * 4
        total = struct.unpack("!H", p[2:4])[0]
        assert total == len(p)
        assert checksum(p[:hl]) == 0, "header checksum"
        word = struct.unpack("!H", p[6:8])[0]
        off = (word & 0x1FFF) * 8
        if off == 0:
            first = p[:hl]
        data[off] = p[hl:total]
    pos = 0
    out = b""
    for off in sorted(data):
        assert off == pos, f"gap or overlap at {off} (expected {pos})"
        out += data[off]
        pos += len(data[off])
    assert first is not None
    hdr = bytearray(first)
    struct.pack_into("!H", hdr, 2, len(hdr) + len(out))
    struct.pack_into("!H", hdr, 6, struct.unpack("!H", first[6:8])[0] & 0xC000)
    struct.pack_into("!H", hdr, 10, 0)
    struct.pack_into("!H", hdr, 10, checksum(bytes(hdr)))
    return bytes(hdr) + out


# -- IPv4 ----------------------------------------------------------------------------------------
def test_ipv4_fragments_are_scapys() -> None:
    pkt = IP(id=4242, **V4) / ICMP(id=7, seq=1) / (b"0123456789" * 7)
    mine = fragment(bytes(pkt), 24)
    theirs = [bytes(f) for f in scapy_fragment(pkt, 24)]
    assert mine == theirs
    assert len(mine) == 4  # 78 payload bytes: 24 + 24 + 24 + 6


def test_ipv4_offsets_flags_lengths_and_checksums() -> None:
    pkt = bytes(IP(id=9, flags="DF", **V4) / UDP(sport=1, dport=2) / (b"x" * 50))
    pieces = fragment_ipv4(pkt, 16)
    assert len(pieces) == 4  # 58 payload bytes
    for i, p in enumerate(pieces):
        q = IP(p)
        assert q.frag == i * 2  # 16 bytes = 2 units of 8
        assert ("MF" in q.flags) == (i < 3)
        assert "DF" in q.flags  # kept: the packet was built that way
        assert q.id == 9
        assert q.len == len(p) == 20 + (16 if i < 3 else 10)
        assert checksum(p[:20]) == 0
    assert reassemble_v4(pieces) == pkt
    again = scapy_defragment([IP(p) for p in pieces])
    assert bytes(again[0][IP].payload) == pkt[20:]


def test_ipv4_a_fragment_is_cut_further() -> None:
    # the middle of a larger datagram: offset 10 (80 bytes), more fragments follow
    pkt = bytes(IP(id=5, frag=10, flags="MF", proto=17, **V4) / (b"y" * 40))
    pieces = fragment_ipv4(pkt, 16)
    assert [IP(p).frag for p in pieces] == [10, 12, 14]
    assert all("MF" in IP(p).flags for p in pieces)  # the last piece keeps the original MF
    last = bytes(IP(id=5, frag=10, proto=17, **V4) / (b"y" * 40))
    assert ["MF" in IP(p).flags for p in fragment_ipv4(last, 16)] == [True, True, False]


def test_ipv4_options_with_the_copy_flag_go_in_every_fragment() -> None:
    opts = [IPOption_NOP(), IPOption_Security(), IPOption_RR()]
    pkt = bytes(IP(id=3, options=opts, **V4) / ICMP() / (b"z" * 40))
    pieces = fragment_ipv4(pkt, 16)
    first, *later = [IP(p) for p in pieces]
    assert [type(o) for o in first.options][:3] == [IPOption_NOP, IPOption_Security,
                                                    IPOption_RR]
    security = bytes(IPOption_Security())
    for q in later:
        raw = bytes(q)[20:q.ihl * 4]
        assert raw.startswith(security)  # copied (type 130 has the copy flag)
        assert 7 not in raw[:len(security)]  # record route (type 7) is not copied
        assert q.ihl * 4 == 20 + (len(security) + 3) // 4 * 4
    # the payload still tiles
    hl0 = first.ihl * 4
    data = b"".join(p[(p[0] & 15) * 4:] for p in pieces)
    assert data == pkt[hl0:]


def test_copied_options_skip_nops_and_stop_at_the_end() -> None:
    raw = bytes([1, 1, 130, 4, 0, 0, 7, 3, 4, 0, 131, 3, 9])
    # NOPs dropped, 130 (copy) kept, 7 (no copy) dropped, stop at End of Options
    assert copied_ipv4_options(raw) == bytes([130, 4, 0, 0])
    assert copied_ipv4_options(b"") == b""
    assert copied_ipv4_options(bytes([131, 3, 1])) == bytes([131, 3, 1, 0])  # padded to 4


def test_option_spans_are_scapys_options() -> None:
    raw = bytes(IP(**V4, options=[IPOption_NOP(), IPOption_RR(routers=["198.18.0.1"]),
                                  IPOption_Security()]))
    q = IP(raw)
    opts = raw[20:q.ihl * 4]
    spans = list(option_spans(opts))
    assert [k for _, k, _ in spans] == [o.option | o.copy_flag << 7 for o in q.options
                                        if o.option != 1][:len(spans)]
    assert [opts[i + 1] for i, _, _ in spans] == [n for _, _, n in spans]
    tcp = bytes(TCP(options=[("MSS", 1460), ("NOP", None), ("WScale", 7),
                                  ("SAckOK", b""), ("Timestamp", (1, 2))]))[20:]
    assert [(k, n) for _, k, n in option_spans(tcp)] == [(2, 4), (3, 3), (4, 2), (8, 10)]
    assert list(option_spans(bytes([1, 130, 1, 7, 3, 0]))) == [(1, 130, 1)]  # bad length: last
    assert list(option_spans(bytes([1, 7]))) == []  # cut before its length byte


def test_ipv4_id_zero_is_replaced() -> None:
    # Linux gives every raw packet with ID 0 an ID of its own: the fragments would
    # no longer belong together
    pkt = bytes(IP(id=0, **V4) / ICMP() / (b"q" * 30))
    pieces = fragment_ipv4(pkt, 16, ident=0xBEEF)
    assert {IP(p).id for p in pieces} == {0xBEEF}
    assert {IP(p).id for p in fragment(pkt, 16)} != {0}


def test_small_packets_come_back_unchanged() -> None:
    pkt = bytes(IP(**V4) / ICMP() / b"abc")
    assert fragment(pkt, 24) == [pkt]
    pkt6 = bytes(IPv6(**V6) / ICMPv6EchoRequest(data=b"abc"))
    assert fragment(pkt6, 16) == [pkt6]


@pytest.mark.parametrize("size", [0, 1, 7, 12, 20, 33])
def test_size_must_be_a_multiple_of_8(size: int) -> None:
    pkt = bytes(IP(**V4) / ICMP() / (b"x" * 100))
    with pytest.raises(UsageError, match="multiple of 8"):
        fragment(pkt, size)


# -- link layers ---------------------------------------------------------------------------------
def test_the_link_header_is_repeated_on_every_fragment() -> None:
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    frame = eth / Dot1Q(vlan=5) / IP(id=11, **V4) / ICMP() / (b"v" * 40)
    assert network_offset(bytes(frame), 1) == 18
    pieces = fragment(bytes(frame), 16, linktype=1)
    assert len(pieces) == 3
    for p in pieces:
        assert p[:18] == bytes(frame)[:18]
    assert reassemble_v4([p[18:] for p in pieces]) == bytes(frame[IP])


def test_ethernet_padding_is_left_out() -> None:
    frame = bytes(Ether() / IP(id=2, **V4) / ICMP() / (b"p" * 20)) + b"\x00" * 10
    pieces = fragment(frame, 8, linktype=1)
    assert b"".join(p[14 + 20:] for p in pieces) == frame[14 + 20:-10]


@pytest.mark.parametrize(("frame", "linktype", "why"), [
    (bytes(Ether(type=0x88B5) / (b"\x00" * 40)), 1, "only IPv4 and IPv6"),
    (bytes(IP(**V4) / ICMP() / (b"x" * 40)), 113, "link type 113"),
    (b"\x50" + b"\x00" * 60, 101, "IP version 5"),
    (b"", 101, "no IP header"),
])
def test_what_cannot_be_fragmented(frame: bytes, linktype: int, why: str) -> None:
    with pytest.raises(UsageError, match=why):
        fragment(frame, 8, linktype=linktype)


# -- IPv6 ----------------------------------------------------------------------------------------
def test_ipv6_fragment_headers() -> None:
    pkt = IPv6(**V6) / ICMPv6EchoRequest(id=7, seq=1, data=b"d" * 60)
    raw = bytes(pkt)
    pieces = fragment_ipv6(raw, 24, ident=0x01020304)
    assert len(pieces) == 3  # 68 bytes of ICMPv6: 24 + 24 + 20
    for i, p in enumerate(pieces):
        q = IPv6(p)
        frag = q[IPv6ExtHdrFragment]
        assert q.nh == 44
        assert frag.nh == 58
        assert frag.offset == i * 3
        assert frag.m == (1 if i < 2 else 0)
        assert frag.id == 0x01020304
        assert q.plen == len(p) - 40
    whole = defragment6([IPv6(p) for p in pieces])
    assert bytes(whole[ICMPv6EchoRequest]) == bytes(pkt[ICMPv6EchoRequest])


def test_ipv6_extension_headers_before_routing_stay_unfragmentable() -> None:
    pkt = (IPv6(**V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
           / IPv6ExtHdrRouting(addresses=["2001:db8:1::99"]) / IPv6ExtHdrDestOpt()
           / UDP(sport=5, dport=6) / (b"u" * 50))
    raw = bytes(pkt)
    pieces = fragment_ipv6(raw, 16, ident=77)
    hbh, dst1, rt = 8, 8, 24  # their sizes
    unfrag = 40 + hbh + dst1 + rt
    for p in pieces:
        q = IPv6(p)
        assert q.nh == 0  # Hop-by-Hop stays first
        assert q[IPv6ExtHdrRouting].nh == 44  # the Fragment header follows the Routing one
        assert p[:unfrag][40:] == raw[40:unfrag - rt] + bytes([44]) + raw[unfrag - rt + 1:unfrag]
        assert p[unfrag] == 60  # what the Fragment header says comes next: the last DestOpt
    assert b"".join(p[unfrag + 8:] for p in pieces) == raw[unfrag:]


def test_ipv6_destination_options_alone_are_fragmentable() -> None:
    pkt = IPv6(**V6) / IPv6ExtHdrDestOpt() / UDP() / (b"w" * 40)
    raw = bytes(pkt)
    pieces = fragment_ipv6(raw, 16, ident=1)
    assert all(p[6] == 44 for p in pieces)
    assert pieces[0][40] == 60  # the fragment header names DestOpt as the next header
    assert b"".join(p[48:] for p in pieces) == raw[40:]


def test_ipv6_a_fragment_is_refused() -> None:
    raw = bytes(IPv6(**V6) / IPv6ExtHdrFragment() / UDP() / (b"x" * 60))
    with pytest.raises(UsageError, match="fragment already"):
        fragment_ipv6(raw, 16, ident=1)


def test_ipv6_header_chain_offsets_are_scapys_and_a_cut_chain_does_not_raise() -> None:
    from netprobe.packet.reassembly import fragment_header_at

    pkt = (IPv6(**V6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
           / IPv6ExtHdrRouting(addresses=["2001:db8:1::99"]) / IPv6ExtHdrDestOpt()
           / IPv6ExtHdrFragment() / UDP() / (b"x" * 20))
    raw = bytes(pkt)
    # where Scapy puts each header: the length of the packet less what it carries
    at = {name: len(raw) - len(pkt[name]) for name in
          ("IPv6ExtHdrRouting", "IPv6ExtHdrFragment")}
    last_dest_opt = at["IPv6ExtHdrFragment"] - len(IPv6ExtHdrDestOpt())
    unfrag_end = last_dest_opt  # the unfragmentable part ends with the Routing header
    assert ipv6_header_chain(raw, len(raw)) == (unfrag_end, at["IPv6ExtHdrRouting"],
                                                at["IPv6ExtHdrFragment"], last_dest_opt)
    assert fragment_header_at(raw) == (at["IPv6ExtHdrFragment"], last_dest_opt)
    cut = raw[:at["IPv6ExtHdrRouting"] + 1]  # the Routing header's first byte only
    stop, stop_nh_at = ipv6_header_chain(cut, len(cut))[2:]
    assert cut[stop_nh_at] == 43 and stop == at["IPv6ExtHdrRouting"]  # stopped at it
    assert fragment_header_at(cut) is None
    with pytest.raises(UsageError, match="extension headers cut short"):
        fragment_ipv6(raw[:60], 8, ident=1)  # the Routing header runs past byte 60


def test_ipv6_default_identification_is_stable_and_differs_between_packets() -> None:
    a = bytes(IPv6(**V6) / UDP(dport=1) / (b"x" * 40))
    b = bytes(IPv6(**V6) / UDP(dport=2) / (b"x" * 40))
    ids_a = {IPv6(p)[IPv6ExtHdrFragment].id for p in fragment(a, 16)}
    assert ids_a == {IPv6(p)[IPv6ExtHdrFragment].id for p in fragment(a, 16)}
    assert len(ids_a) == 1
    assert ids_a != {IPv6(p)[IPv6ExtHdrFragment].id for p in fragment(b, 16)}


# -- properties ----------------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(payload=st.binary(min_size=0, max_size=600), units=st.integers(1, 40),
       ident=st.integers(0, 0xFFFF))
def test_ipv4_fragments_always_reassemble(payload: bytes, units: int, ident: int) -> None:
    pkt = bytes(IP(id=ident, proto=17, **V4) / payload)
    pieces = fragment(pkt, units * 8)
    assert len(pieces) == max(1, -(-len(payload) // (units * 8)))
    if len(pieces) == 1:
        assert pieces == [pkt]
        return
    back = reassemble_v4(pieces)
    if ident:
        assert back == pkt
    else:  # the ID was replaced, and with it the header checksum
        assert back[20:] == pkt[20:] and back[4:6] != b"\x00\x00"


@settings(max_examples=150, deadline=None)
@given(payload=st.binary(min_size=1, max_size=600), units=st.integers(1, 40),
       ident=st.integers(0, 0xFFFFFFFF))
def test_ipv6_fragments_always_reassemble(payload: bytes, units: int, ident: int) -> None:
    pkt = bytes(IPv6(nh=59, **V6) / payload)
    pieces = fragment_ipv6(pkt, units * 8, ident=ident)
    if len(payload) <= units * 8:
        assert pieces == [pkt]
        return
    out = b""
    for i, p in enumerate(pieces):
        nh, _, offm, pid = struct.unpack("!BBHI", p[40:48])
        assert (nh, pid, offm >> 3, offm & 1) == (59, ident, len(out) // 8,
                                                   int(i < len(pieces) - 1))
        assert struct.unpack("!H", p[4:6])[0] == len(p) - 40
        out += p[48:]
    assert out == payload


# -- matching answers to a probe sent in fragments -----------------------------------------------
def test_in_first_fragment() -> None:
    from netprobe.packet import dissect
    from netprobe.packet.fragment import in_first_fragment

    v4 = fragment(bytes(IP(id=1, **V4) / UDP(dport=53) / (b"x" * 40)), 16)
    first, second = dissect(v4[0], 101), dissect(v4[1], 101)
    assert in_first_fragment(first.payload)
    assert not in_first_fragment(second.payload)
    whole = dissect(bytes(IP(**V4) / UDP(dport=53) / (b"x" * 40)), 101)
    assert not in_first_fragment(whole.payload)
    v6 = fragment(bytes(IPv6(**V6) / UDP(dport=53) / (b"x" * 40)), 16)
    assert in_first_fragment(dissect(v6[0], 101).getlayer("UDP"))
    assert not in_first_fragment(dissect(bytes(IPv6(**V6) / UDP()), 101).getlayer("UDP"))


def test_echo_reply_answers_the_first_fragment_of_its_request() -> None:
    from scapy.layers.inet6 import ICMPv6EchoReply

    from netprobe.packet import dissect

    data = b"0123456789abcdef" * 4
    request = IPv6(**V6) / ICMPv6EchoRequest(id=7, seq=1, data=data)
    reply = dissect(bytes(IPv6(src=V6["dst"], dst=V6["src"])
                          / ICMPv6EchoReply(id=7, seq=1, data=data)), 101)
    first = dissect(fragment(bytes(request), 24)[0], 101)
    assert reply.answers(first)
    assert reply.answers(dissect(bytes(request), 101))
    # a request that is not a fragment must carry all the data the reply echoes
    cut = dissect(bytes(IPv6(**V6) / ICMPv6EchoRequest(id=7, seq=1, data=data[:16])), 101)
    assert not reply.answers(cut)
    other = dissect(bytes(IPv6(src=V6["dst"], dst=V6["src"])
                          / ICMPv6EchoReply(id=7, seq=1, data=b"X" + data[1:])), 101)
    assert not other.answers(first)


def test_udp_answer_matches_a_first_fragment_by_its_ports() -> None:
    from scapy.layers.dns import DNS, DNSQR

    from netprobe.packet import dissect

    query = IP(id=5, **V4) / UDP(sport=4000, dport=53) / DNS(id=9, qd=DNSQR(qname="a.example"))
    answer = dissect(bytes(IP(src=V4["dst"], dst=V4["src"]) / UDP(sport=53, dport=4000)
                           / DNS(id=9, qr=1, qd=DNSQR(qname="a.example"))), 101)
    first = dissect(fragment(bytes(query), 16)[0], 101)
    assert first.getlayer("UDP").payload.name == "Raw"  # the DNS header is cut short
    assert answer.answers(first)
    assert answer.answers(dissect(bytes(query), 101))
    wrong_port = dissect(bytes(IP(src=V4["dst"], dst=V4["src"]) / UDP(sport=53, dport=4001)
                               / DNS(id=9, qr=1)), 101)
    assert not wrong_port.answers(first)
    # a whole query is still compared as DNS: another ID is no answer
    other_id = dissect(bytes(IP(src=V4["dst"], dst=V4["src"]) / UDP(sport=53, dport=4000)
                             / DNS(id=10, qr=1, qd=DNSQR(qname="a.example"))), 101)
    assert not other_id.answers(dissect(bytes(query), 101))
