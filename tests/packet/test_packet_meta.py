"""Packet ``time`` and ``wirelen``: capture metadata as Scapy's packets carry it."""

from __future__ import annotations

import time

from scapy.layers import inet as scapy_inet

from netprobe.packet import IP, TCP, Ether, dissect


def test_made_packet_has_time_and_no_wirelen() -> None:
    before = time.time()
    p = Ether() / IP(dst="198.18.0.1", src="198.18.0.2") / TCP()
    assert before <= p.time <= time.time()
    assert p.wirelen is None
    # Scapy's packet made in code has no wirelen either
    assert scapy_inet.IP().wirelen is None


def test_time_and_wirelen_are_settable_and_survive_copies() -> None:
    p = IP(dst="198.18.0.1", src="198.18.0.2") / TCP()
    p.time = 1234.5
    p.wirelen = 60
    q = p.copy()
    assert (q.time, q.wirelen) == (1234.5, 60)
    r = p / b"x"
    assert r.time == 1234.5
    q.time = 1.0
    assert p.time == 1234.5


def test_dissected_packet_time_is_stable() -> None:
    d = dissect(bytes(Ether() / IP(dst="198.18.0.1", src="198.18.0.2") / TCP()))
    assert d.wirelen is None
    assert d.time == d.time
    d.wirelen = 54
    assert d.wirelen == 54
