"""Teredo headers: Raw as in Scapy until loaded; once loaded (the command line), IPv6."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import UDP as SUDP
from scapy.layers.inet6 import ICMPv6EchoRequest as SEcho
from scapy.layers.inet6 import IPv6 as SIPv6
from scapy.layers.l2 import Ether as SEther

from netprobe.packet import dissect, optional_layers

INNER = bytes(SIPv6(src="2001:db8::1", dst="2001:db8::2") / SEcho(id=7, seq=9))
ORIGIN = b"\x00\x00" + (3797 ^ 0xFFFF).to_bytes(2, "big") + bytes(b ^ 0xFF for b in
                                                                   (198, 18, 0, 9))
AUTH = b"\x00\x01\x00\x00" + bytes(8) + b"\x00"


def _frame(teredo: bytes) -> bytes:
    return bytes(SEther() / SIP(src="198.18.0.1", dst="198.18.0.2")
                 / SUDP(sport=3544, dport=3797) / teredo)


@pytest.fixture()
def loaded():
    was = optional_layers.is_loaded("teredo")
    optional_layers.load("teredo")
    yield
    if not was:
        optional_layers.unload("teredo")


def test_unloaded_it_stays_raw_as_in_scapy() -> None:
    if optional_layers.is_loaded("teredo"):
        pytest.skip("another test of this process loaded the command line's layers")
    names = [type(x).__name__ for x in dissect(_frame(INNER)).chain()]
    assert names[-1] == "Raw" and "Teredo" not in names


@pytest.mark.parametrize("head", [b"", ORIGIN, AUTH, AUTH + ORIGIN])
def test_loaded_the_ipv6_inside_is_scapys(loaded: None, head: bytes) -> None:
    frame = _frame(head + INNER)
    pkt = dissect(frame)
    names = [type(x).__name__ for x in pkt.chain()]
    assert names[3:5] == ["Teredo", "IPv6"], names
    teredo = pkt.chain()[3]
    if ORIGIN in head:
        assert (teredo.origin_port, teredo.origin_addr) == (3797, "198.18.0.9")
    inner = SIPv6(INNER)
    ipv6 = pkt.chain()[4]
    assert (ipv6.src, ipv6.dst, ipv6.hlim) == (inner.src, inner.dst, inner.hlim)
    assert bytes(pkt) == frame  # built again byte for byte


def test_a_payload_that_is_not_ipv6_stays_raw(loaded: None) -> None:
    names = [type(x).__name__ for x in dissect(_frame(b"\x00\x00bubble")).chain()]
    assert "IPv6" not in names
