"""The packet an ICMP/ICMPv6 error quotes: Scapy's IPerror, TCPerror, UDPerror, ICMPerror,
IPerror6, checked against Scapy's own dissection of the same bytes; matching unchanged."""

from __future__ import annotations

import pytest
import scapy.layers.all as sc
from link_compare import frames, scapy_dissect

from netprobe.packet import (
    ICMP,
    IP,
    TCP,
    UDP,
    ICMPerror,
    ICMPv6DestUnreach,
    ICMPv6EchoRequest,
    ICMPv6TimeExceeded,
    IPerror,
    IPerror6,
    IPv6,
    IPv6ExtHdrFragment,
    Raw,
    TCPerror,
    UDPerror,
    dissect,
    dissect_as,
)

A, B, C = "198.18.0.1", "198.18.0.2", "198.18.0.3"
A6, B6, C6 = "2001:db8::1", "2001:db8::2", "2001:db8::3"


def _names(pkt) -> list[str]:
    out = []
    cur = pkt
    while cur is not None and type(cur).__name__ not in ("NoPayload",):
        out.append(type(cur).__name__)
        cur = cur.payload
        if not cur:
            break
    return out


# each builds the same error with either library's classes (same names and fields)
ERRORS = {
    "v4-tcp": lambda m: m.IP(src=C, dst=A) / m.ICMP(type=3, code=3) / m.IP(src=A, dst=B)
    / m.TCP(sport=4000, dport=80, seq=7),
    "v4-udp-dns": lambda m: m.IP(src=C, dst=A) / m.ICMP(type=11) / m.IP(src=A, dst=B)
    / m.UDP(sport=4000, dport=53) / m.Raw(b"\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
    "v4-icmp": lambda m: m.IP(src=C, dst=A) / m.ICMP(type=11) / m.IP(src=A, dst=B)
    / m.ICMP(id=5, seq=9),
    "v4-nested": lambda m: m.IP(src=C, dst=A) / m.ICMP(type=3) / m.IP(src=A, dst=B)
    / m.ICMP(type=3) / m.IP(src=B, dst=C) / m.UDP(sport=1, dport=2),
    "v4-later-fragment": lambda m: m.IP(src=C, dst=A) / m.ICMP(type=3, code=4)
    / m.IP(src=A, dst=B, frag=10, proto=6) / m.Raw(b"\x00" * 20),
    "v6-udp": lambda m: m.IPv6(src=C6, dst=A6) / m.ICMPv6DestUnreach(code=4)
    / m.IPv6(src=A6, dst=B6) / m.UDP(sport=4000, dport=33434),
    "v6-tcp": lambda m: m.IPv6(src=C6, dst=A6) / m.ICMPv6TimeExceeded()
    / m.IPv6(src=A6, dst=B6) / m.TCP(sport=4000, dport=443, seq=1),
    "v6-echo": lambda m: m.IPv6(src=C6, dst=A6) / m.ICMPv6TimeExceeded()
    / m.IPv6(src=A6, dst=B6) / m.ICMPv6EchoRequest(id=3, seq=4),
}


class _NP:
    IP, ICMP, TCP, UDP, Raw, IPv6 = IP, ICMP, TCP, UDP, Raw, IPv6
    ICMPv6DestUnreach, ICMPv6TimeExceeded = ICMPv6DestUnreach, ICMPv6TimeExceeded
    ICMPv6EchoRequest = ICMPv6EchoRequest


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_quote_dissects_as_scapy_names_it(name: str) -> None:
    build = ERRORS[name]
    raw = bytes(build(sc))
    assert bytes(build(_NP)) == raw  # building is unchanged: the same bytes as Scapy
    first = sc.IPv6 if name.startswith("v6") else sc.IP
    theirs = first(raw)
    ours = dissect_as(IPv6 if name.startswith("v6") else IP, raw)
    assert _names(ours) == [type(x).__name__ for x in theirs.iterpayloads()]
    assert bytes(ours) == raw
    assert ours.errors == []
    # the classic classifier: the quote is not the packet's own transport
    for cls, scls in ((TCP, sc.TCP), (UDP, sc.UDP)):
        assert ours.haslayer(cls) == bool(theirs.haslayer(scls))
    assert ours.haslayer(ICMP) == bool(theirs.haslayer(sc.ICMP))


def test_quote_classes_are_their_protocols() -> None:
    """As in Scapy: subclasses, same fields; found only by their own class."""
    for err, base in ((IPerror, IP), (TCPerror, TCP), (UDPerror, UDP), (ICMPerror, ICMP),
                      (IPerror6, IPv6)):
        assert issubclass(err, base)
        assert err.field_names == base.field_names
        s_err = getattr(sc, err.__name__)
        assert [f.name for f in s_err.fields_desc][:len(base.field_names)] == [
            f.name for f in getattr(sc, base.__name__).fields_desc][:len(base.field_names)]
    pkt = dissect_as(IP, bytes(ERRORS["v4-tcp"](_NP)))
    assert pkt[IP] is pkt and pkt.getlayer(IP, 2) is None
    assert isinstance(pkt[IPerror], IP) and pkt[TCPerror].dport == 80
    assert pkt.summary().endswith("/ IPerror / TCPerror")


def _classify(pkt) -> str:
    """The classic scan classifier of Scapy's documentation: TCP first, then ICMP."""
    if pkt.haslayer(TCP):
        return "open" if pkt[TCP].flags & 0x12 == 0x12 else "closed"
    if pkt.haslayer(ICMP):
        return "filtered"
    return "?"


def test_check_tcp_then_icmp_classifier_is_right() -> None:
    probe = IP(src=A, dst=B) / TCP(sport=4000, dport=80, flags="S")
    error = dissect_as(IP, bytes(IP(src=C, dst=A) / ICMP(type=3, code=13) / probe))
    synack = dissect_as(IP, bytes(IP(src=B, dst=A) / TCP(sport=80, dport=4000, flags="SA",
                                                          ack=1)))
    assert _classify(error) == "filtered"
    assert _classify(synack) == "open"
    assert error.answers(probe) and synack.answers(probe)
    assert error.hashkey() == probe.hashkey() == synack.hashkey()


def test_eight_byte_tcp_quote_matches_its_probe() -> None:
    probe = IP(src=A, dst=B, ttl=3) / TCP(sport=4000, dport=443, seq=99, flags="S")
    cut = bytes(probe)[:28]  # RFC 792: IP header and 8 bytes
    sent = bytes(IP(src=C, dst=A) / ICMP(type=11) / Raw(cut))
    error = dissect_as(IP, sent)
    theirs = sc.IP(bytes(error))
    assert _names(error) == [type(x).__name__ for x in theirs.iterpayloads()]
    quoted = error[TCPerror]
    assert (quoted.sport, quoted.dport, quoted.seq) == (4000, 443, 99)
    assert not error.haslayer(TCP)
    assert bytes(error) == sent
    assert error.hashkey() == probe.hashkey() and error.answers(probe)


def test_quote_after_ipv6_extension_header_keeps_scapy_names() -> None:
    raw = bytes(IPv6(src=C6, dst=A6) / ICMPv6TimeExceeded() / IPv6(src=A6, dst=B6)
                / IPv6ExtHdrFragment(id=5) / TCP(sport=1, dport=2))
    ours = dissect_as(IPv6, raw)
    assert _names(ours) == [type(x).__name__ for x in sc.IPv6(raw).iterpayloads()]
    assert not ours.haslayer(TCP) and ours[TCPerror].dport == 2
    assert bytes(ours) == raw


@pytest.mark.parametrize("name", ["zeek__icmp-destunreach-udp.pcap",
                                  "zeek__icmp-timeexceeded.pcap",
                                  "zeek__communityid-icmp6.pcap"])
def test_corpus_errors_name_their_quotes_as_scapy(corpus_dir, name: str) -> None:
    seen = 0
    for linktype, data, wirelen in frames(corpus_dir / name):
        ours = dissect(data, linktype, wirelen)
        theirs = scapy_dissect(linktype, data)
        names = [type(x).__name__ for x in theirs.iterpayloads()]
        if not any(n.endswith(("error", "error6")) for n in names):
            continue
        seen += 1
        mine = _names(ours)
        # compared up to the quoted transport: the data after it may be read differently
        upto = next(i for i, n in enumerate(names) if n in ("TCPerror", "UDPerror",
                                                             "ICMPerror", "Raw",
                                                             "ICMPv6EchoRequest"))
        assert mine[:upto + 1] == names[:upto + 1], (mine, names)
        assert not ours.haslayer(TCP) or "TCP" in names
        if "DNS" not in names:  # a quoted DNS message may not rebuild byte for byte
            assert bytes(ours) == data
    assert seen
