"""DNS layers against Scapy 2.8: building byte for byte, dissecting, real captures, bad bytes.

Scapy is the oracle: each spec is written once as a function of a namespace
and built with netprobe's classes and with Scapy's; the bytes must be equal,
and netprobe's dissection of them must give Scapy's field values back. Real
captures from the shared corpus are dissected by both and compared field by
field; hostile messages (pointer loops, lying counts, cut records) must give
notes, never exceptions or long loops.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import struct
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netprobe.errors import UsageError
from netprobe.packet import (
    DNS,
    DNSQR,
    DNSRR,
    DNSRRMX,
    DNSRROPT,
    DNSRRSOA,
    DNSRRSRV,
    DNSTCP,
    EDNS0TLV,
    IP,
    TCP,
    UDP,
    Ether,
    Padding,
    Raw,
    dissect,
    dissect_as,
)
from netprobe.packet.layers.dns_name import MAX_POINTER_JUMPS, decode_name
from netprobe.packet.layers.dns_records import RawRData
from netprobe.packet.layers.dns_sec import DNSRRDNSKEY, DNSRRDS, DNSRRNSEC, DNSRRNSEC3, DNSRRRSIG
from netprobe.packet.layers.dns_types import NAME_RDATA_TYPES

logging.getLogger("scapy").setLevel(logging.ERROR)
scapy_all = pytest.importorskip("scapy.all")
from scapy.layers import dns as sdns  # noqa: E402
from scapy.layers.llmnr import LLMNRQuery, LLMNRResponse  # noqa: E402

NP = SimpleNamespace(Ether=Ether, IP=IP, UDP=UDP, TCP=TCP, DNS=DNS, DNSTCP=DNSTCP, DNSQR=DNSQR,
                     DNSRR=DNSRR, DNSRRMX=DNSRRMX, DNSRRSOA=DNSRRSOA, DNSRRSRV=DNSRRSRV,
                     DNSRROPT=DNSRROPT, EDNS0TLV=EDNS0TLV)
SC = SimpleNamespace(Ether=scapy_all.Ether, IP=scapy_all.IP, UDP=scapy_all.UDP,
                     TCP=scapy_all.TCP, DNS=sdns.DNS, DNSTCP=sdns.DNSTCP, DNSQR=sdns.DNSQR,
                     DNSRR=sdns.DNSRR, DNSRRMX=sdns.DNSRRMX, DNSRRSOA=sdns.DNSRRSOA,
                     DNSRRSRV=sdns.DNSRRSRV, DNSRROPT=sdns.DNSRROPT, EDNS0TLV=sdns.EDNS0TLV)

A, B = "198.18.0.1", "198.18.0.2"
MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
HEADER = ("id", "qr", "opcode", "aa", "tc", "rd", "ra", "z", "ad", "cd", "rcode", "qdcount",
          "ancount", "nscount", "arcount")
SECTIONS = ("qd", "an", "ns", "ar")


# -- comparing a netprobe DNS layer with Scapy's -----------------------------------------------

def _class_word(rec: Any) -> int:
    if hasattr(rec, "cacheflush"):
        return rec.cacheflush << 15 | rec.rclass
    return rec.rclass


def _scapy_items(layer: Any, section: str) -> list[Any]:
    return [x for x in getattr(layer, section) or []
            if not isinstance(x, (scapy_all.Raw, scapy_all.Padding))]


def record_diffs(ours: Any, theirs: Any, where: str) -> list[str]:
    """Differences between one netprobe record and Scapy's."""
    out: list[str] = []

    def same(name: str, a: Any, b: Any) -> None:
        if a != b:
            out.append(f"{where}.{name}: {a!r} != {b!r}")

    if isinstance(ours, DNSQR):
        for k in ("qname", "qtype", "unicastresponse", "qclass"):
            same(k, getattr(ours, k), getattr(theirs, k))
        return out
    same("rrname", ours.rrname, theirs.rrname)
    same("type", ours.type, theirs.type)
    same("class", _class_word(ours), _class_word(theirs))
    sname = type(theirs).__name__
    if isinstance(ours, DNSRROPT):
        for k in ("rclass", "extrcode", "version", "z"):
            same(k, getattr(ours, k), getattr(theirs, k))
        mine = [(o.optcode, bytes(o)[4:]) for o in ours.rdata]  # EDNS0TLV or its code's class
        scapy_opts = [(o.optcode, bytes(o)[4:]) for o in theirs.rdata]
        same("options", mine, scapy_opts)
        return out
    same("ttl", ours.ttl, theirs.ttl)
    if isinstance(ours, (DNSRRMX, DNSRRSOA, DNSRRSRV, *DNSSEC_RECORDS)):
        same("class name", type(ours).__name__, sname)
        for f in type(ours).fields[6:] if not isinstance(ours, DNSRRSOA) else type(ours).fields[5:]:
            same(f.name, getattr(ours, f.name), getattr(theirs, f.name))
    elif isinstance(ours.rdata, RawRData):
        pass  # RDATA that does not decode as its type; Scapy reads it some other way
    elif sname == "DNSRR" and ours.type == 28:
        # both are the same address; the text of IPv4-mapped ones differs (::ffff:0:0)
        same("rdata", ipaddress.IPv6Address(ours.rdata), ipaddress.IPv6Address(theirs.rdata))
    elif sname == "DNSRR":
        same("rdata", ours.rdata, theirs.rdata)
    return out


#: the DNSSEC records compared field by field (NSEC3PARAM: Scapy reads its salt as padding)
DNSSEC_RECORDS = (DNSRRRSIG, DNSRRNSEC, DNSRRNSEC3, DNSRRDNSKEY, DNSRRDS)


def dns_diffs(ours: Any, theirs: Any, complete: bool = True) -> list[str]:
    """Differences between a netprobe DNS layer and Scapy's DNS (or LLMNR) layer.

    ``complete``: the section lengths must agree too (not when Scapy reads a
    malformed message further than netprobe does).
    """
    out = []
    for k in HEADER:
        if k == "ad" and not hasattr(theirs, "ad"):
            continue  # LLMNR has other bits there; the raw flags are checked below
        if hasattr(theirs, k) and getattr(ours, k) != getattr(theirs, k):
            out.append(f"{k}: {getattr(ours, k)!r} != {getattr(theirs, k)!r}")
    if isinstance(ours, DNSTCP) and ours.length != theirs.length:
        out.append(f"length: {ours.length} != {theirs.length}")
    for sec in SECTIONS:
        mine, scapy_list = getattr(ours, sec), _scapy_items(theirs, sec)
        if complete and len(mine) != len(scapy_list):
            out.append(f"{sec}: {len(mine)} items != {len(scapy_list)}")
        for i, (a, b) in enumerate(zip(mine, scapy_list)):
            out.extend(record_diffs(a, b, f"{sec}[{i}]"))
    return out


def scapy_dns(pkt: Any) -> Any:
    """Scapy's DNS layer of a packet (LLMNR counts: same header and lists)."""
    for cls in (sdns.DNS, LLMNRQuery, LLMNRResponse):
        if pkt.haslayer(cls):
            return pkt.getlayer(cls)
    return None


def without_lengths(d: Any) -> Any:
    """A to_dict() tree without the lengths a rebuild may change (decompressed names)."""
    if isinstance(d, dict):
        return {k: without_lengths(v) for k, v in d.items() if k not in ("rdlen", "length")}
    if isinstance(d, list):
        return [without_lengths(x) for x in d]
    return d


# -- specs: the same packet in both tools -------------------------------------------------------

def _q(m: Any, **kw: Any) -> Any:
    return m.DNS(id=0x1234, qd=[m.DNSQR(**kw)])


def _r(m: Any, *an: Any, **kw: Any) -> Any:
    return m.DNS(id=0x4321, qr=1, aa=1, ra=1, qd=[m.DNSQR(qname="example.com")], an=list(an),
                 **kw)


SPECS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    # name: (spec, clean: a well-formed message Scapy reads back the same way)
    "default": (lambda m: m.DNS(), True),
    "query A": (lambda m: _q(m, qname="example.com"), True),
    "query AAAA by name": (lambda m: _q(m, qname="www.example.org", qtype="AAAA"), True),
    "query ANY class CH": (lambda m: _q(m, qname="version.bind", qtype="TXT", qclass="CH"),
                           True),
    "query ALL": (lambda m: _q(m, qname="example.net.", qtype="ALL"), True),
    "query AXFR": (lambda m: _q(m, qname="zone.example", qtype="AXFR"), True),
    "query PTR": (lambda m: _q(m, qname="1.0.18.198.in-addr.arpa", qtype="PTR"), True),
    "query SRV underscores": (lambda m: _q(m, qname="_sip._tcp.example.com", qtype="SRV"),
                              True),
    "query root NS": (lambda m: _q(m, qname=".", qtype="NS"), True),
    "query empty name": (lambda m: _q(m, qname="", qtype="SOA"), True),
    "query unknown qtype": (lambda m: _q(m, qname="x.example", qtype=65280, qclass=254),
                            True),
    "query mDNS unicast bit": (lambda m: m.DNS(rd=0, qd=[m.DNSQR(
        qname="_services._dns-sd._udp.local", qtype="PTR", unicastresponse=1)]), True),
    "query long label cut to 63": (lambda m: _q(m, qname="a" * 70 + ".example"), False),
    "query empty label": (lambda m: _q(m, qname="a..b"), False),
    "query many labels": (lambda m: _q(m, qname=".".join(["l"] * 100)), True),
    "query upper case": (lambda m: _q(m, qname="WwW.ExAmPlE.CoM"), True),
    "two questions": (lambda m: m.DNS(id=9, qd=[m.DNSQR(qname="a.example"),
                                               m.DNSQR(qname="b.example", qtype=28)]), True),
    "no question": (lambda m: m.DNS(id=10, qd=[]), True),
    "flags all set": (lambda m: m.DNS(id=0xFFFF, qr=1, opcode=2, aa=1, tc=1, rd=1, ra=1, z=1,
                                      ad=1, cd=1, rcode=5), True),
    "flags none": (lambda m: m.DNS(id=1, rd=0), True),
    "opcode 15 rcode 15": (lambda m: m.DNS(opcode=15, rcode=15, qr=1), True),
    "NXDOMAIN": (lambda m: m.DNS(id=2, qr=1, rcode=3, qd=[m.DNSQR(qname="nope.example")]),
                 True),
    "answer A": (lambda m: _r(m, m.DNSRR(rrname="example.com", rdata="198.18.0.7", ttl=300)),
                 True),
    "answer AAAA": (lambda m: _r(m, m.DNSRR(rrname="example.com", type="AAAA",
                                            rdata="2001:db8::1", ttl=60)), True),
    "answer CNAME chain": (lambda m: _r(m, m.DNSRR(rrname="www.example.com", type="CNAME",
                                                   rdata="example.com"),
                                        m.DNSRR(rrname="example.com", rdata="198.18.1.1")),
                           True),
    "answer NS and PTR": (lambda m: _r(m, m.DNSRR(rrname="example.com", type="NS",
                                                  rdata="ns1.example.com."),
                                       m.DNSRR(rrname="1.1.18.198.in-addr.arpa", type="PTR",
                                               rdata="host.example.com")), True),
    "answer DNAME": (lambda m: _r(m, m.DNSRR(rrname="old.example", type=39,
                                             rdata="new.example")), True),
    "answer MX": (lambda m: _r(m, m.DNSRRMX(rrname="example.com", preference=10,
                                            exchange="mail.example.com", ttl=3600)), True),
    "answer TXT strings": (lambda m: _r(m, m.DNSRR(rrname="example.com", type="TXT",
                                                   rdata=["v=spf1 -all", "second"])), True),
    "answer TXT long split": (lambda m: _r(m, m.DNSRR(rrname="t.example", type="TXT",
                                                      rdata=["x" * 300])), False),
    "answer TXT empty string": (lambda m: _r(m, m.DNSRR(rrname="t.example", type="TXT",
                                                        rdata=[""])), True),
    "answer TXT one text": (lambda m: _r(m, m.DNSRR(rrname="t.example", type=16,
                                                    rdata="hello")), True),
    "answer SOA": (lambda m: m.DNS(id=5, qr=1, rcode=3, qd=[m.DNSQR(qname="x.example.com")],
                                   ns=[m.DNSRRSOA(rrname="example.com", mname="ns.example.com",
                                                  rname="hostmaster.example.com",
                                                  serial=2024010101, refresh=7200, retry=900,
                                                  expire=1209600, minimum=86400, ttl=900)]),
                   True),
    "answer SRV": (lambda m: _r(m, m.DNSRRSRV(rrname="_ldap._tcp.example.com", priority=0,
                                              weight=5, port=389,
                                              target="dc.example.com")), True),
    "answer raw HINFO-like": (lambda m: _r(m, m.DNSRR(rrname="h.example", type=99,
                                                      rdata=b"\x03CPU\x02OS")), True),
    "answer CAA raw": (lambda m: _r(m, m.DNSRR(rrname="example.com", type=257,
                                               rdata=b"\x00\x05issueca.example")), True),
    "answer empty raw": (lambda m: _r(m, m.DNSRR(rrname="e.example", type=10)), True),
    "answer max ttl cacheflush": (lambda m: _r(m, m.DNSRR(rrname="host.local", ttl=0xFFFFFFFF,
                                                          cacheflush=1,
                                                          rdata="198.18.0.9")), True),
    "answer class ANY": (lambda m: _r(m, m.DNSRR(rrname="a.example", rclass="ANY",
                                                 rdata="198.18.0.3")), True),
    "all sections": (lambda m: m.DNS(id=77, qr=1, qd=[m.DNSQR(qname="example.com", qtype=15)],
                                     an=[m.DNSRRMX(rrname="example.com", exchange="mx.example")],
                                     ns=[m.DNSRR(rrname="example.com", type=2,
                                                 rdata="ns.example")],
                                     ar=[m.DNSRR(rrname="mx.example", rdata="198.18.0.25"),
                                         m.DNSRROPT(rclass=1232, z=0)]), True),
    "EDNS default": (lambda m: m.DNS(id=3, qd=[m.DNSQR(qname="example.com")],
                                     ar=[m.DNSRROPT()]), True),
    "EDNS cookie and padding": (lambda m: m.DNS(id=4, qd=[m.DNSQR(qname="example.com")], ar=[
        m.DNSRROPT(rclass=1232, rdata=[m.EDNS0TLV(optcode=10, optdata=b"\x01" * 8),
                                       m.EDNS0TLV(optcode=12, optdata=bytes(20))])]), True),
    "EDNS NSID empty, version 1": (lambda m: m.DNS(ar=[m.DNSRROPT(
        extrcode=1, version=2, z=0x1234, rdata=[m.EDNS0TLV(optcode=3)])]), True),
    "EDNS unknown option": (lambda m: m.DNS(ar=[m.DNSRROPT(rdata=[
        m.EDNS0TLV(optcode=65001, optdata=b"private")])]), True),
    "EDNS optlen lies": (lambda m: m.DNS(ar=[m.DNSRROPT(rdata=[
        m.EDNS0TLV(optcode=10, optlen=40, optdata=b"short")])]), False),
    "count qd lies up": (lambda m: m.DNS(qdcount=3, qd=[m.DNSQR(qname="a.example")]), False),
    "count an lies down": (lambda m: m.DNS(qr=1, ancount=0, an=[
        m.DNSRR(rrname="a.example", rdata="198.18.0.1")]), False),
    "count ar huge": (lambda m: m.DNS(arcount=0xFFFF), False),
    "rdlen lies": (lambda m: _r(m, m.DNSRR(rrname="a.example", rdata="198.18.0.1",
                                           rdlen=9)), False),
    "pre-encoded pointer name": (lambda m: _r(m, m.DNSRR(rrname=b"\x03www\xc0\x0c",
                                                         rdata="198.18.0.4")), False),
    "udp stack": (lambda m: m.IP(src=A, dst=B, id=7) / m.UDP(sport=33000, dport=53)
                  / _q(m, qname="example.com"), True),
    "ether udp mdns": (lambda m: m.Ether(src=MAC1, dst="01:00:5e:00:00:fb")
                       / m.IP(src=A, dst="224.0.0.251", ttl=255)
                       / m.UDP(sport=5353, dport=5353)
                       / m.DNS(rd=0, qd=[m.DNSQR(qname="printer.local", unicastresponse=1)]),
                       True),
    "udp llmnr": (lambda m: m.IP(src=A, dst="224.0.0.252") / m.UDP(sport=49000, dport=5355)
                  / m.DNS(id=0x77, rd=0, qd=[m.DNSQR(qname="wpad")]), True),
    "udp response stack": (lambda m: m.Ether(src=MAC2, dst=MAC1) / m.IP(src=B, dst=A)
                           / m.UDP(sport=53, dport=33000)
                           / _r(m, m.DNSRR(rrname="example.com", rdata="198.18.9.9")), True),
    "tcp length prefix": (lambda m: m.IP(src=A, dst=B) / m.TCP(sport=40000, dport=53,
                                                              flags="PA")
                          / _q(m, qname="example.com", qtype="AXFR"), True),
    "dnstcp default": (lambda m: m.DNSTCP(), True),
    "dnstcp wrong length": (lambda m: m.DNSTCP(length=3, id=8), False),
    "dnstcp on tcp": (lambda m: m.IP(src=B, dst=A) / m.TCP(sport=53, dport=40000, flags="PA")
                      / m.DNSTCP(id=12, qr=1, qd=[m.DNSQR(qname="example.com")],
                                 an=[m.DNSRR(rrname="example.com", rdata="198.18.0.5")]),
                      True),
}


#: specs holding a compression pointer crafted by hand
COMPRESSED = {"pre-encoded pointer name"}


def _dns_of(pkt: Any) -> Any:
    # LLMNR's port reads as LLMNRQuery/LLMNRResponse: DNS-shaped, classes of their own
    return pkt.getlayer(DNS) or next((x for x in pkt.chain() if isinstance(x, DNS)), None)


@pytest.mark.parametrize("name", list(SPECS))
def test_spec_builds_like_scapy_and_dissects_back(name: str) -> None:
    spec, clean = SPECS[name]
    ours, theirs = spec(NP), spec(SC)
    data = bytes(ours)
    assert data == bytes(theirs)
    top = type(ours)
    back = dissect_as(top, data)
    if name in COMPRESSED:
        # unchanged, the message builds as read, as Scapy's does; once changed, names
        # read through pointers are written in full: the rebuild is longer
        assert bytes(back) == data == bytes(type(theirs)(data))
        _dns_of(back).id ^= 1
        rebuilt = bytes(back)
        _dns_of(back).id ^= 1
        assert len(rebuilt) > len(data) and bytes(dissect_as(top, rebuilt)) == rebuilt
    else:
        assert bytes(back) == data
    if clean:
        assert back.errors == []
        diffs = dns_diffs(_dns_of(back), scapy_dns(type(theirs)(data)))
        assert diffs == []
        # what was set by hand survives a dissection
        for k in HEADER:
            set_value = getattr(_dns_of(ours), k)
            if set_value is not None and k in type(_dns_of(back)).fields_by_name:
                assert getattr(_dns_of(back), k) == set_value


def test_there_are_many_varied_specs() -> None:
    assert len(SPECS) >= 40


QTYPES = sorted(set(sdns.dnsqtypes) | {65280, 65535})


@pytest.mark.parametrize("qtype", QTYPES)
def test_query_of_every_qtype(qtype: int) -> None:
    spec = SPECS["query A"][0]
    ours = spec(NP)
    ours.qd[0].qtype = qtype
    theirs = spec(SC)
    theirs.qd[0].qtype = qtype
    data = bytes(ours)
    assert data == bytes(theirs)
    back = dissect_as(DNS, data)
    assert back.qd[0].qtype == qtype and back.errors == []


def test_qtype_names_match_scapy() -> None:
    names = list(sdns.dnsqtypes.values())
    for number, text in sdns.dnsqtypes.items():
        if names.count(text) == 1:  # "RESERVED" names two numbers
            assert bytes(DNSQR(qtype=text)) == bytes(sdns.DNSQR(qtype=number))


# -- defaults and field names -----------------------------------------------------------------

@pytest.mark.parametrize("ours, theirs", [
    (DNS, sdns.DNS), (DNSQR, sdns.DNSQR), (DNSRR, sdns.DNSRR), (DNSRRMX, sdns.DNSRRMX),
    (DNSRRSOA, sdns.DNSRRSOA), (DNSRRSRV, sdns.DNSRRSRV), (DNSRROPT, sdns.DNSRROPT),
    (EDNS0TLV, sdns.EDNS0TLV)])
def test_field_names_and_defaults_follow_scapy(ours: Any, theirs: Any) -> None:
    names = [f.name for f in theirs.fields_desc if f.name != "length"]
    assert list(ours.field_names) == names
    mine, scapy_pkt = ours(), theirs()
    for n in names:
        a, b = getattr(mine, n), getattr(scapy_pkt, n)
        if isinstance(a, list):
            assert [bytes(x) for x in a] == [bytes(x) for x in b]
        elif n == "rdata" and ours is DNSRR:
            assert a == b == "0.0.0.0"  # unset, it reads as the type's empty value
        else:
            assert a == b, n
    assert bytes(mine) == bytes(scapy_pkt)


def test_dnstcp_puts_length_first() -> None:
    assert DNSTCP.field_names == ("length", *DNS.field_names)


def test_default_question_is_not_shared() -> None:
    first = DNS()
    first.qd[0].qname = b"changed."
    assert DNS().qd[0].qname == b"www.example.com."
    assert DNS.fields_by_name["qd"].default[0].qname == b"www.example.com."


def test_copy_does_not_share_records() -> None:
    pkt = IP(src=A, dst=B) / UDP() / DNS(an=[DNSRR(rrname="a.example")])
    twin = pkt.copy()
    twin[DNS].an[0].ttl = 99
    assert pkt[DNS].an[0].ttl == 0


def test_counts_fill_from_lists_and_values_set_by_hand_stay() -> None:
    msg = DNS(qd=[DNSQR(), DNSQR(qname="b.example")], an=[DNSRR()], ns=[], ar=[DNSRROPT()])
    assert struct.unpack("!4H", bytes(msg)[4:12]) == (2, 1, 0, 1)
    msg.ancount = 7
    assert struct.unpack("!4H", bytes(msg)[4:12]) == (2, 7, 0, 1)


def test_single_items_and_names_are_accepted_for_lists() -> None:
    assert bytes(DNS(qd=DNSQR(qname="a.example"))) == bytes(sdns.DNS(qd=sdns.DNSQR(
        qname="a.example")))
    assert DNS(qd="a.example").qd[0].qname == b"a.example."
    assert bytes(DNS(an=DNSRR())) == bytes(sdns.DNS(an=sdns.DNSRR()))


def test_bad_values_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        DNS(qd=[42])
    with pytest.raises(UsageError):
        DNS(an=[DNSQR()])
    with pytest.raises(UsageError):
        DNSRR(ttl=-1)
    with pytest.raises(UsageError):
        DNSQR(qclass=1 << 15)
    with pytest.raises(UsageError):
        DNSRROPT(rdata=[3.5])
    with pytest.raises(UsageError, match="IPv4"):
        bytes(DNS(an=[DNSRR(rdata="not-an-address")]))
    with pytest.raises(UsageError, match="IPv6"):
        bytes(DNSRR(type="AAAA", rdata="198.18.0.1"))


def test_record_fields_accept_names() -> None:
    rr = DNSRR(type="MX", rclass="CH", ttl=5)
    assert (rr.type, rr.rclass) == (15, 3)
    assert DNSRROPT(z="D0").z == 32768


def test_raw_rdata_is_written_as_is() -> None:
    rr = DNSRR(type="TXT", rdata=RawRData(b"\x05ab"))
    assert bytes(rr).endswith(b"\x00\x03\x05ab")
    assert bytes(DNSRR(type="A", rdata=b"\x01\x02\x03")).endswith(b"\x00\x03\x01\x02\x03")


def test_text_names_with_non_ascii_letters_are_encoded_as_labels() -> None:
    # Scapy would take the last two bytes of "café" for a compression pointer.
    assert bytes(DNSQR(qname="café"))[:7] == b"\x05caf\xc3\xa9\x00"


def test_to_dict_nests_records_and_is_json() -> None:
    spec = SPECS["all sections"][0]
    pkt = dissect_as(DNS, bytes(spec(NP)))
    d = pkt.to_dict()
    json.dumps(d)
    assert d["qd"][0] == {"layer": "DNSQR", "qname": "example.com.", "qtype": 15,
                          "unicastresponse": 0, "qclass": 1}
    assert d["an"][0]["layer"] == "DNSRRMX" and d["an"][0]["exchange"] == "mx.example."
    assert d["ns"][0]["rdata"] == "ns.example."
    assert d["ar"][0]["rdata"] == "198.18.0.25"
    assert d["ar"][1]["layer"] == "DNSRROPT" and d["ar"][1]["rclass"] == 1232
    txt = dissect_as(DNS, bytes(_r(NP, DNSRR(type=16, rdata=["a", b"\xff"]))))
    assert txt.to_dict()["an"][0]["rdata"] == ["a", "\\xff"]
    raw = dissect_as(DNS, bytes(_r(NP, DNSRR(type=99, rdata=b"\x01\x02"))))
    assert raw.to_dict()["an"][0]["rdata"] == "0102"


def test_summary_and_show() -> None:
    q = dissect(bytes(SPECS["udp stack"][0](NP)), 228)
    assert q.brief().endswith("DNS Qry example.com. A")
    r = dissect(bytes(SPECS["udp response stack"][0](NP)))
    assert r.brief().endswith("DNS Ans 198.18.9.9")
    assert "qd" in r.show_text() and "DNSQR" in r.show_text()


# -- bindings -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sport, dport, cls", [
    (33000, 53, DNS), (53, 33000, DNS), (5353, 5353, DNS), (40000, 5353, DNS),
    (5353, 40000, DNS), (50000, 5355, "LLMNRQuery"), (5355, 50000, "LLMNRQuery"),
    (40000, 40001, Raw)])
def test_udp_ports_choose_dns(sport: int, dport: int, cls: type | str) -> None:
    data = bytes(IP(src=A, dst=B) / UDP(sport=sport, dport=dport) / bytes(DNS()))
    top = dissect(data, 228)
    # LLMNR's port reads as LLMNR (a DNS-shaped message of its own), as in Scapy
    got = type(top[UDP].payload)
    assert got.__name__ == cls if isinstance(cls, str) else got is cls


@pytest.mark.parametrize("sport, dport", [(40000, 53), (53, 40000)])
def test_tcp_port_53_chooses_dnstcp(sport: int, dport: int) -> None:
    data = bytes(IP(src=A, dst=B) / TCP(sport=sport, dport=dport, flags="PA") / DNS(id=99))
    top = dissect(data, 228)
    layer = top[TCP].payload
    assert type(layer) is DNSTCP and layer.id == 99 and layer.length == len(bytes(DNS(id=99)))
    assert top.errors == []


def test_udp_dns_builds_on_port_53() -> None:
    assert bytes(UDP() / DNS())[:4] == b"\x00\x35\x00\x35"


# -- matching -----------------------------------------------------------------------------------

def _query(qid: int = 0x1111, qname: str = "example.com", qtype: Any = "A") -> Any:
    return IP(src=A, dst=B) / UDP(sport=40000, dport=53) / DNS(
        id=qid, qd=[DNSQR(qname=qname, qtype=qtype)])


def _response(qid: int = 0x1111, qname: str = "example.com", qtype: Any = "A",
              qd: bool = True) -> Any:
    return IP(src=B, dst=A) / UDP(sport=53, dport=40000) / DNS(
        id=qid, qr=1, qd=[DNSQR(qname=qname, qtype=qtype)] if qd else [],
        an=[DNSRR(rrname=qname, rdata="198.18.0.9")])


def test_hashkey_of_query_and_response_are_equal() -> None:
    q, r = _query(), _response()
    assert q.hashkey() == r.hashkey()
    rd = dissect(bytes(r), 228)
    assert rd.hashkey() == q.hashkey()
    # UDP keys on its ports only (so that an ICMP error quoting 8 bytes of UDP still
    # finds its probe); queries with other ids share the bucket and answers() tells
    # them apart.
    other = _query(qid=0x2222)
    assert other.hashkey() == q.hashkey()
    assert r.answers(q) and not r.answers(other)
    assert q[DNS].hashkey() == b"\x11\x11"


def test_answers() -> None:
    q, r = _query(), _response()
    assert r.answers(q)
    assert dissect(bytes(r), 228).answers(dissect(bytes(q), 228))
    assert not q.answers(r)
    assert not q.answers(q)
    assert not _response(qid=0x1112).answers(q)
    assert not _response(qname="other.example").answers(q)
    assert not _response(qtype="AAAA").answers(q)
    assert _response(qname="EXAMPLE.com").answers(q)
    assert _response(qd=False).answers(q)
    assert DNSTCP(id=5, qr=1).answers(DNS(id=5))
    assert not DNS(id=5, qr=1).answers(DNSQR())


# -- hostile and broken messages ----------------------------------------------------------------

def _msg(counts: tuple[int, int, int, int], body: bytes, qid: int = 0xABCD,
         flags: int = 0x0100) -> bytes:
    return struct.pack("!6H", qid, flags, *counts) + body


def test_pointer_loop_is_noted_and_the_record_continues() -> None:
    # the question's name is a pointer to itself (offset 12)
    pkt = dissect_as(DNS, _msg((1, 0, 0, 0), b"\xc0\x0c\x00\x01\x00\x01"))
    assert pkt.qd[0].qtype == 1 and pkt.qd[0].qname == b"."
    assert any("compression loop" in e for e in pkt.errors)


def test_two_pointer_loop() -> None:
    # question 0's name (at 12) points to question 1's (at 18), which points back
    body = b"\xc0\x12\x00\x01\x00\x01" + b"\xc0\x0c\x00\x1c\x00\x01"
    pkt = dissect_as(DNS, _msg((2, 0, 0, 0), body))
    assert [q.qtype for q in pkt.qd] == [1, 28]
    assert sum("compression loop" in e for e in pkt.errors) == 2


def test_pointer_outside_the_message() -> None:
    pkt = dissect_as(DNS, _msg((1, 0, 0, 0), b"\xff\xff\x00\x01\x00\x01"))
    assert any("outside the message" in e for e in pkt.errors)


def test_long_pointer_chain_is_cut() -> None:
    # 200 questions; question i's name points to question i-1's name
    body = b"\x01a\x00\x00\x01\x00\x01"
    offsets = [12]
    for _ in range(199):
        offsets.append(12 + len(body))
        body += struct.pack("!H", 0xC000 | offsets[-2]) + b"\x00\x01\x00\x01"
    pkt = dissect_as(DNS, _msg((200, 0, 0, 0), body))
    assert len(pkt.qd) == 200
    assert pkt.qd[MAX_POINTER_JUMPS].qname == b"a."
    assert pkt.qd[MAX_POINTER_JUMPS + 1].qname == b"."
    assert sum("more than 128 compression pointers" in e for e in pkt.errors) == (
        199 - MAX_POINTER_JUMPS)


def test_name_cache_gives_the_same_names_as_a_fresh_read() -> None:
    body = b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    body += b"\x04mail\xc0\x10\x00\x01\x00\x01" + b"\xc0\x21\x00\x01\x00\x01"
    data = _msg((3, 0, 0, 0), body)
    pkt = dissect_as(DNS, data)
    assert [q.qname for q in pkt.qd] == [b"www.example.com.", b"mail.example.com.",
                                          b"mail.example.com."]
    assert pkt.errors == []
    for i, off in enumerate((12, 33, 44)):
        assert decode_name(data, off, 0, len(data))[0] == pkt.qd[i].qname


def test_name_longer_than_255_stops_the_message() -> None:
    body = (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01"
    data = _msg((1, 0, 0, 0), body)
    pkt = dissect_as(DNS, data)
    assert pkt.qd == [] and isinstance(pkt.payload, Raw)
    assert any("longer than 255" in e for e in pkt.errors)
    assert bytes(pkt) == data


@pytest.mark.parametrize("label", [0x40, 0x80])
def test_reserved_label_types(label: int) -> None:
    data = _msg((1, 0, 0, 0), bytes((label, 1)) + b"\x00\x01\x00\x01")
    pkt = dissect_as(DNS, data)
    assert any("reserved" in e for e in pkt.errors)
    assert bytes(pkt) == data


def test_label_past_the_end() -> None:
    data = _msg((1, 0, 0, 0), b"\x07exa")
    pkt = dissect_as(DNS, data)
    assert any("runs past the end" in e for e in pkt.errors)
    assert bytes(pkt) == data


def test_counts_that_lie_up() -> None:
    one = bytes(DNSRR(rrname="a.example", rdata="198.18.0.1"))
    data = _msg((0, 5, 0, 2), one * 2)
    pkt = dissect_as(DNS, data)
    assert len(pkt.an) == 2 and pkt.ancount == 5 and pkt.ar == []
    assert "an" in " ".join(pkt.errors) and "arcount is 2" in " ".join(pkt.errors)
    assert bytes(pkt) == data


def test_counts_that_lie_down_leave_padding() -> None:
    data = bytes(SPECS["count an lies down"][0](NP))
    pkt = dissect_as(DNS, data)
    assert pkt.an == [] and isinstance(pkt.payload, Padding)
    assert bytes(pkt) == data


def test_truncated_record() -> None:
    full = bytes(_r(NP, DNSRR(rrname="a.example", rdata="198.18.0.1"),
                    DNSRR(rrname="b.example", type="TXT", rdata=["hello world"])))
    for cut in range(12, len(full)):
        pkt = dissect_as(DNS, full[:cut])
        assert bytes(pkt) == full[:cut]
    pkt = dissect_as(DNS, full[:-3])
    assert len(pkt.an) == 1 and any("runs past the end" in e for e in pkt.errors)


def test_rdata_that_does_not_fit_its_type_is_kept_raw() -> None:
    cases = [DNSRR(type="A", rdata=RawRData(b"\x01\x02\x03\x04\x05")),
             DNSRR(type="AAAA", rdata=RawRData(b"\x01")),
             DNSRR(type="TXT", rdata=RawRData(b"\x09short")),
             DNSRR(type="CNAME", rdata=RawRData(b"\x01a\x00extra")),
             DNSRR(type="MX", rdata=RawRData(b"\x00")),
             DNSRR(type="SOA", rdata=RawRData(b"\x00\x00" + bytes(19))),
             DNSRR(type="SRV", rdata=RawRData(b"\x00\x01\x00\x02\x00\x03\x01x"))]
    for rr in cases:
        data = bytes(_r(NP, rr))
        pkt = dissect_as(DNS, data)
        got = pkt.an[0]
        assert type(got) is DNSRR and isinstance(got.rdata, RawRData)
        assert got.rdata == rr.rdata
        assert any("kept raw" in e for e in pkt.errors)
        assert bytes(pkt) == data


def test_edns_option_running_past_the_rdata() -> None:
    data = bytes(SPECS["EDNS optlen lies"][0](NP))
    pkt = dissect_as(DNS, data)
    opt = pkt.ar[0]
    assert isinstance(opt, DNSRROPT) and opt.rdata == [b"\x00\x0a\x00\x28short"]
    assert any("EDNS option 10" in e for e in pkt.errors)
    assert bytes(pkt) == data


def test_compressed_rdata_gives_unset_rdlen_and_rebuilds_in_full() -> None:
    # answer: CNAME www.example.com -> pointer to the question name
    q = b"\x07example\x03com\x00\x00\x01\x00\x01"
    an = b"\x03www\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x10\x00\x02\xc0\x0c"
    data = _msg((1, 1, 0, 0), q + an, flags=0x8180)
    pkt = dissect_as(DNS, data)
    rr = pkt.an[0]
    assert (rr.rrname, rr.rdata, rr.rdlen) == (b"www.example.com.", b"example.com.", None)
    assert pkt.errors == []
    assert bytes(pkt) == data  # unchanged, it builds as read (as Scapy's)
    pkt.id = 7
    rebuilt = bytes(pkt)
    again = dissect_as(DNS, rebuilt)
    # read inside a message, the RDATA length is forgotten (as Scapy's): None
    assert again.an[0].rdata == b"example.com." and again.an[0].rdlen is None
    assert bytes(again) == rebuilt


def test_dnstcp_length_beyond_the_capture() -> None:
    data = bytes(DNSTCP(id=3, qd=[DNSQR(qname="example.com")]))
    cut = data[:20]
    pkt = dissect_as(DNSTCP, cut)
    assert any("exceeds" in e for e in pkt.errors)
    assert bytes(pkt) == cut
    snapped = dissect(bytes(IP(src=A, dst=B) / TCP(sport=1, dport=53) / cut), 228,
                      wirelen=20 + 20 + len(data))
    assert not any("DNSTCP" in e and "exceeds" in e for e in snapped.errors)


def test_icmp_quote_of_a_query() -> None:
    from netprobe.packet import ICMP

    probe = IP(src=A, dst=B) / UDP(sport=40000, dport=53) / DNS(id=7)
    full = bytes(probe)
    whole = dissect(bytes(IP(src=B, dst=A) / ICMP(type=3, code=3) / full), 228)
    assert whole.hashkey() == probe.hashkey() and whole.answers(probe)
    # a quote cut inside the question: no note about lengths, as for UDP and IP
    cut = dissect(bytes(IP(src=B, dst=A) / ICMP(type=3, code=3) / full[:45]), 228)
    assert cut.haslayer(DNS) and cut.errors == []
    assert dissect_as(DNS, full[28:45]).errors != []


def test_dnstcp_second_message_becomes_padding() -> None:
    one = bytes(DNSTCP(id=1))
    pkt = dissect_as(DNSTCP, one + one)
    assert pkt.id == 1 and isinstance(pkt.payload, Padding) and bytes(pkt) == one + one


def test_single_record_dissection() -> None:
    rr = DNSRRSRV(rrname="_x._tcp.example", priority=1, weight=2, port=3, target="t.example")
    back = DNSRRSRV(bytes(rr))
    assert (back.priority, back.weight, back.port, back.target) == (1, 2, 3, b"t.example.")
    q = DNSQR(bytes(DNSQR(qname="a.b", qtype=28)))
    assert (q.qname, q.qtype) == (b"a.b.", 28)
    assert EDNS0TLV(bytes(EDNS0TLV(optcode=99, optdata=b"\x00\x01\x18\x00\xc6\x12\x00"))
                    ).optdata == b"\x00\x01\x18\x00\xc6\x12\x00"
    # as Scapy's, an option whose code has a class of its own reads as that class
    ecs = EDNS0TLV(bytes(EDNS0TLV(optcode=8, optdata=b"\x00\x01\x18\x00\xc6\x12\x00")))
    assert type(ecs).__name__ == "EDNS0ClientSubnet" and ecs.address == "198.18.0.0"


# -- the capture corpus -------------------------------------------------------------------------

CORPUS_FILES = {
    # file: fewest DNS layers both tools must have read and compared
    "pcapplusplus__DnsPackets.pcap": 400,
    "zeek__dns-max-compression-depth.pcap": 1,
    "tcpdump__edns-opts.pcap": 42,
    "pcapplusplus__DnsTooManyResources.pcap": 1,
    "dpkt__truncated_dns_2.pcap": 1,
    "tcpdump__dns_tcp.pcap": 2,
    "pcapplusplus__dns_over_tcp.pcapng": 2,
    "tcpdump__dns-badlabel.pcap": 0,   # Scapy gives up on it (Raw); netprobe reads the header
    "dpkt__dns_icmp.pcap": 2,
}


@functools.cache
def _read_cached(path: str) -> tuple[Any, ...]:
    return tuple(scapy_all.rdpcap(path))


def _read(path: Any) -> tuple[Any, ...]:
    """Scapy's dissection of a capture (read once: Scapy is slow on the hostile ones)."""
    return _read_cached(str(path))


@pytest.mark.parametrize("name", list(CORPUS_FILES))
def test_corpus_against_scapy(corpus_dir: Any, name: str) -> None:
    compared = 0
    for n, spkt in enumerate(_read(corpus_dir / name)):
        data = bytes(spkt.original)
        start = time.perf_counter()
        ours = dissect(data, 1, spkt.wirelen)
        assert time.perf_counter() - start < 0.5
        od = ours.getlayer(DNS)
        if od is None:
            continue
        # a dissected message always rebuilds, and its rebuild reads back the same
        twin = od.copy()
        if isinstance(twin, DNSTCP):
            twin.length = None  # names written in full make the message longer
        rebuilt = bytes(twin)
        again = dissect_as(type(od), rebuilt)
        assert without_lengths(again.to_dict()) == without_lengths(od.to_dict()), n
        assert bytes(again) == rebuilt
        sd = scapy_dns(spkt)
        if sd is None:
            continue
        own_notes = [e for e in ours.errors if e.startswith(("DNS", "DNSTCP"))]
        assert dns_diffs(od, sd, complete=not own_notes) == [], n
        compared += 1
    assert compared >= CORPUS_FILES[name]


def test_corpus_queries_round_trip_exactly(corpus_dir: Any) -> None:
    exact = 0
    for spkt in _read(corpus_dir / "pcapplusplus__DnsPackets.pcap"):
        data = bytes(spkt.original)
        ours = dissect(data, 1, spkt.wirelen)
        od = ours.getlayer(DNS)
        if od is not None and not od.qr and len(od.qd) == 1 and not od.an and not od.ns:
            assert bytes(ours) == data
            exact += 1
    assert exact >= 100


def test_corpus_bad_label(corpus_dir: Any) -> None:
    spkt = _read(corpus_dir / "tcpdump__dns-badlabel.pcap")[0]
    data = bytes(spkt.original)
    pkt = dissect(data, 1, spkt.wirelen)
    dns = pkt[DNS]
    payload = bytes(spkt[scapy_all.UDP].payload)
    assert (dns.id, dns.qdcount, dns.ancount) == struct.unpack("!H2xHH", payload[:8])
    assert any(e.startswith("DNS: qd[0]") for e in pkt.errors)
    assert bytes(pkt) == data


def test_corpus_too_many_resources(corpus_dir: Any) -> None:
    spkt = _read(corpus_dir / "pcapplusplus__DnsTooManyResources.pcap")[0]
    data = bytes(spkt.original)
    pkt = dissect(data, 1, spkt.wirelen)
    assert pkt[DNS].qdcount == 25528 and pkt[DNS].qd == []
    assert any("reserved" in e for e in pkt.errors)
    assert bytes(pkt) == data


def test_corpus_cut_file(corpus_dir: Any) -> None:
    spkt = _read(corpus_dir / "dpkt__truncated_dns_2.pcap")[0]
    data = bytes(spkt.original)
    snapped = dissect(data, 1, spkt.wirelen)
    assert snapped.errors == []  # the capture was cut: nothing wrong with the message
    assert len(snapped[DNS].an) == 2 and len(snapped[DNS].ns) == 2
    assert snapped[DNS].an[0].rdata == b"s3-1-w.amazonaws.com."
    plain = dissect(data, 1)
    assert any(e.startswith("DNS: ns[2]") for e in plain.errors)
    assert bytes(plain[Raw]) == data[-5:]  # the cut record stays as bytes


def test_corpus_max_compression_depth(corpus_dir: Any) -> None:
    spkt = _read(corpus_dir / "zeek__dns-max-compression-depth.pcap")[0]
    pkt = dissect(bytes(spkt.original), 1, spkt.wirelen)
    assert [rr.rdata for rr in pkt[DNS].an] == [rr.rdata for rr in spkt[sdns.DNS].an]
    assert len(pkt[DNS].an) == 7


def test_corpus_dns_over_tcp(corpus_dir: Any) -> None:
    seen = 0
    for name in ("tcpdump__dns_tcp.pcap", "pcapplusplus__dns_over_tcp.pcapng"):
        for spkt in _read(corpus_dir / name):
            pkt = dissect(bytes(spkt.original), 1, spkt.wirelen)
            if pkt.haslayer(DNSTCP):
                assert pkt[DNSTCP].length == spkt[sdns.DNS].length
                seen += 1
    assert seen >= 4


def test_corpus_edns_options(corpus_dir: Any) -> None:
    codes = set()
    for spkt in _read(corpus_dir / "tcpdump__edns-opts.pcap"):
        pkt = dissect(bytes(spkt.original), 1, spkt.wirelen)
        for rr in pkt[DNS].ar:
            if isinstance(rr, DNSRROPT):
                codes.update(o.optcode for o in rr.rdata)
    assert {3, 5, 6, 7, 8, 10, 12} <= codes


# -- property tests -----------------------------------------------------------------------------

FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_as_udp53_payload_never_raise(payload: bytes) -> None:
    frame = bytes(IP(src=A, dst=B) / UDP(sport=40000, dport=53) / Raw(load=payload))
    start = time.perf_counter()
    pkt = dissect(frame, 228)
    assert time.perf_counter() - start < 0.5
    assert pkt.haslayer(UDP)
    bytes(pkt)
    json.dumps(pkt.to_dicts())


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_as_dns_over_tcp_never_raise(payload: bytes) -> None:
    frame = bytes(IP(src=A, dst=B) / TCP(sport=53, dport=40000, flags="PA") / Raw(load=payload))
    start = time.perf_counter()
    pkt = dissect(frame, 228)
    assert time.perf_counter() - start < 0.5
    bytes(pkt)
    json.dumps(pkt.to_dicts())


@FAST
@given(st.lists(st.sampled_from([b"\xc0\x0c", b"\xc0\x0e", b"\xc0\x12", b"\x01a", b"\x00",
                                 b"\x3f", b"\x40", b"\x00\x01", b"\x00\x10\x00\x01",
                                 b"\x00\x00\x00\x05", b"\xc0"]), max_size=60),
       st.tuples(*[st.integers(0, 70)] * 4))
def test_pointer_soup_never_raises(parts: list[bytes], counts: tuple[int, ...]) -> None:
    data = _msg(counts, b"".join(parts))
    start = time.perf_counter()
    pkt = dissect_as(DNS, data)
    assert time.perf_counter() - start < 0.5
    assert bytes(pkt)[:12] == data[:12]


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)
_name = st.lists(_label, min_size=0, max_size=5).map(".".join)
_rr = st.one_of(
    st.builds(lambda n, a, t: ("DNSRR", {"rrname": n, "rdata": a, "ttl": t}), _name,
              st.ip_addresses(v=4).map(str), st.integers(0, 2**32 - 1)),
    st.builds(lambda n, a: ("DNSRR", {"rrname": n, "type": 28, "rdata": a}), _name,
              st.ip_addresses(v=6).map(str)),
    st.builds(lambda n, t, a: ("DNSRR", {"rrname": n, "type": t, "rdata": a}), _name,
              st.sampled_from(sorted(NAME_RDATA_TYPES)), _name),
    st.builds(lambda n, s: ("DNSRR", {"rrname": n, "type": 16, "rdata": s}), _name,
              st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=3)),
    st.builds(lambda n, p, x: ("DNSRRMX", {"rrname": n, "preference": p, "exchange": x}),
              _name, st.integers(0, 65535), _name),
    st.builds(lambda n, p, x: ("DNSRRSRV", {"rrname": n, "port": p, "target": x}), _name,
              st.integers(0, 65535), _name),
    st.builds(lambda n, m, s: ("DNSRRSOA", {"rrname": n, "mname": m, "serial": s}), _name,
              _name, st.integers(0, 2**32 - 1)),
    st.builds(lambda c, d: ("DNSRROPT", {"rdata": [("EDNS0TLV", {"optcode": c,
                                                                 "optdata": d})]}),
              # Scapy decodes these option codes with classes of their own (its
              # EDNS0OPT_DISPATCHER) that misread arbitrary data: no oracle there
              st.integers(0, 65535).filter(lambda c: c not in (4, 5, 6, 7, 8, 10, 12, 15)),
              st.binary(max_size=16)),
)


def _make(m: Any, item: tuple[str, dict[str, Any]]) -> Any:
    cls, kw = item
    kw = dict(kw)
    if "rdata" in kw and isinstance(kw["rdata"], list) and kw["rdata"] and isinstance(
            kw["rdata"][0], tuple):
        kw["rdata"] = [_make(m, x) for x in kw["rdata"]]
    return getattr(m, cls)(**kw)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 65535), st.lists(st.tuples(_name, st.integers(0, 65535)), max_size=3),
       st.lists(_rr, max_size=4), st.lists(_rr, max_size=2), st.lists(_rr, max_size=3))
def test_random_messages_build_like_scapy_and_round_trip(qid: int, qd: list[Any],
                                                        an: list[Any], ns: list[Any],
                                                        ar: list[Any]) -> None:
    def build(m: Any) -> Any:
        return m.DNS(id=qid, qr=1, qd=[m.DNSQR(qname=n, qtype=t) for n, t in qd],
                     an=[_make(m, x) for x in an], ns=[_make(m, x) for x in ns],
                     ar=[_make(m, x) for x in ar])

    data = bytes(build(NP))
    assert data == bytes(build(SC))
    back = dissect_as(DNS, data)
    assert back.errors == [] and bytes(back) == data
    assert dns_diffs(back, sdns.DNS(data)) == []
