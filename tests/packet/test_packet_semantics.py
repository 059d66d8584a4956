"""Packet semantics as Scapy's, checked against Scapy on the same packets: answers() in
both directions, pickling (also through a multiprocessing pool), len, lookup by class."""

from __future__ import annotations

import multiprocessing
import pickle

import pytest
from scapy import all as sc

from netprobe.packet import (
    ARP,
    DNS,
    DNSQR,
    ICMP,
    IP,
    TCP,
    UDP,
    Dot1AD,
    Dot1Q,
    Ether,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    IPerror,
    IPv6,
    UDPerror,
    dissect,
)

A, B = "198.18.0.1", "198.18.0.2"
A6, B6 = "2001:db8::1", "2001:db8::2"


def _pairs(lib: object) -> dict:
    """The same pairs made from either library's classes."""
    ip, tcp, udp, icmp = lib.IP, lib.TCP, lib.UDP, lib.ICMP
    syn = ip(src=A, dst=B) / tcp(sport=1000, dport=80, flags="S", seq=100)
    out = {
        "synack": (ip(src=B, dst=A) / tcp(sport=80, dport=1000, flags="SA", seq=9, ack=101), syn),
        "bad-ack": (ip(src=B, dst=A) / tcp(sport=80, dport=1000, flags="SA", ack=5), syn),
        "rst": (ip(src=B, dst=A) / tcp(sport=80, dport=1000, flags="R"), syn),
        "rst-ack": (ip(src=B, dst=A) / tcp(sport=80, dport=1000, flags="RA", ack=101), syn),
        "syn-syn": (ip(src=B, dst=A) / tcp(sport=80, dport=1000, flags="S"), syn),
        "wrong-port": (ip(src=B, dst=A) / tcp(sport=81, dport=1000, flags="SA", ack=101), syn),
        "wrong-addr": (ip(src=A, dst=B) / tcp(sport=80, dport=1000, flags="SA", ack=101), syn),
        "echo": (ip(src=B, dst=A) / icmp(type=0, id=5, seq=1),
                 ip(src=A, dst=B) / icmp(id=5, seq=1)),
        "echo-seq": (ip(src=B, dst=A) / icmp(type=0, id=5, seq=2),
                     ip(src=A, dst=B) / icmp(id=5, seq=1)),
        "udp": (ip(src=B, dst=A) / udp(sport=53, dport=3333),
                ip(src=A, dst=B) / udp(sport=3333, dport=53)),
        "dns": (ip(src=B, dst=A) / udp(sport=53, dport=3333) / lib.DNS(id=7, qr=1),
                ip(src=A, dst=B) / udp(sport=3333, dport=53) / lib.DNS(id=7)),
        "arp": (lib.ARP(op=2, psrc=B, pdst=A, hwsrc="02:00:00:00:00:02"),
                lib.ARP(op=1, psrc=A, pdst=B)),
        "echo6": (lib.IPv6(src=B6, dst=A6) / lib.ICMPv6EchoReply(id=3, seq=4),
                  lib.IPv6(src=A6, dst=B6) / lib.ICMPv6EchoRequest(id=3, seq=4)),
        "ether-synack": (lib.Ether() / ip(src=B, dst=A)
                         / tcp(sport=80, dport=1000, flags="SA", seq=9, ack=101),
                         lib.Ether() / syn),
        "synack6": (lib.IPv6(src=B6, dst=A6) / tcp(sport=80, dport=1000, flags="SA", ack=101),
                    lib.IPv6(src=A6, dst=B6) / tcp(sport=1000, dport=80, flags="S", seq=100)),
        "nd": (lib.IPv6(src=B6, dst=A6) / lib.ICMPv6ND_NA(tgt=B6),
               lib.IPv6(src=A6, dst="ff02::1:ff00:2") / lib.ICMPv6ND_NS(tgt=B6)),
        "port-unreachable": (ip(src=B, dst=A) / icmp(type=3, code=3)
                             / lib.IPerror(src=A, dst=B) / lib.UDPerror(sport=3333, dport=53),
                             ip(src=A, dst=B) / udp(sport=3333, dport=53)),
    }
    return out


class _Ours:
    IP, TCP, UDP, ICMP, DNS, ARP, IPv6, Ether = IP, TCP, UDP, ICMP, DNS, ARP, IPv6, Ether
    ICMPv6EchoReply, ICMPv6EchoRequest = ICMPv6EchoReply, ICMPv6EchoRequest
    ICMPv6ND_NA, ICMPv6ND_NS, IPerror, UDPerror = ICMPv6ND_NA, ICMPv6ND_NS, IPerror, UDPerror


@pytest.mark.parametrize("name", sorted(_pairs(_Ours)))
def test_answers_both_ways_like_scapy(name: str) -> None:
    mine = _pairs(_Ours)[name]
    theirs = _pairs(sc)[name]
    got = (bool(mine[0].answers(mine[1])), bool(mine[1].answers(mine[0])))
    want = (bool(theirs[0].answers(theirs[1])), bool(theirs[1].answers(theirs[0])))
    assert got == want


def test_syn_does_not_answer_its_synack() -> None:
    syn, synack = _pairs(_Ours)["synack"][1], _pairs(_Ours)["synack"][0]
    assert (bool(synack.answers(syn)), bool(syn.answers(synack))) == (True, False)


def _samples() -> list:
    built = [
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src=A, dst=B, flags="DF") / TCP(dport=80, flags="SA") / b"x",
        IP(src=A, dst=B) / UDP(dport=53) / DNS(qd=DNSQR(qname="example.com")),
        IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(id=1),
        Ether() / Dot1AD(vlan=100) / Dot1Q(vlan=200) / IP(src=A, dst=B) / ICMP(),
        Ether(src="02:00:00:00:00:01") / ARP(psrc=A, pdst=B, hwsrc="02:00:00:00:00:01"),
    ]
    return built + [dissect(bytes(p)) if isinstance(p, Ether) else IP(bytes(p))
                    if isinstance(p, IP) else p for p in built]


def _round_trip(data: bytes) -> bytes:
    pkt = pickle.loads(data)
    return pickle.dumps((bytes(pkt), repr(pkt)))


def test_every_packet_pickles_to_an_equal_packet() -> None:
    for p in _samples():
        q = pickle.loads(pickle.dumps(p))
        assert bytes(q) == bytes(p) and repr(q) == repr(p)


def test_packets_cross_a_multiprocessing_pool() -> None:
    samples = _samples()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_round_trip, [pickle.dumps(p) for p in samples])
    assert [pickle.loads(r) for r in results] == [(bytes(p), repr(p)) for p in samples]


def test_len_is_bytes_and_a_set_is_iterated() -> None:
    p = IP(src=A, dst=B) / TCP() / b"abc"
    assert len(p) == len(sc.IP(src=A, dst=B) / sc.TCP() / b"abc") == 43
    s = IP(src=A, dst=B) / TCP(dport=[1, 2, 3])
    assert s.set_size() == 3 and len(list(s)) == 3


def test_qinq_lookup_finds_the_inner_tag() -> None:
    frame = bytes(Ether() / Dot1AD(vlan=100) / Dot1Q(vlan=200) / IP(src=A, dst=B))
    theirs = sc.Ether(frame)
    mine = dissect(frame)
    assert mine[Dot1Q].vlan == theirs[sc.Dot1Q].vlan == 200
    assert mine[Dot1AD].vlan == theirs[sc.Dot1AD].vlan == 100
