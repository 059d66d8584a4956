"""Random field values against Scapy's: same seed, same values, same bytes.

Scapy's volatiles draw from the ``random`` module too, so each check seeds it,
draws with Scapy, seeds it again and draws with netprobe.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
import scapy.volatile as sv
from scapy.layers import inet as sc_inet
from scapy.layers import l2 as sc_l2

from netprobe.packet import IP, TCP, UDP, Ether
from netprobe.packet import randval as nv


def seeded(seed: int, draw: Callable[[], Any]) -> Any:
    random.seed(seed)
    return draw()


SIMPLE = [
    ("RandByte", ()), ("RandSByte", ()), ("RandShort", ()), ("RandSShort", ()),
    ("RandInt", ()), ("RandSInt", ()), ("RandLong", ()), ("RandSLong", ()),
    ("RandNum", (10, 20)), ("RandNum", (-5, 5)), ("RandIP", ()), ("RandIP", ("10.0.0.0/8",)),
    ("RandIP", ("198.18.0.0/30",)), ("RandMAC", ()), ("RandMAC", ("00:11:*:*:*:*",)),
    ("RandString", ()), ("RandString", (5,)), ("RandBin", (4,)), ("RandBin", ()),
    ("RandChoice", (1, 2, 3)), ("RandChoice", ("a", "b")), ("RandNumExpo", (0.5,)),
    ("RandNumExpo", (0.01, 5)), ("RandNumGauss", (10, 2)), ("RandNumGamma", (2, 3)),
    ("RandTermString", (4, b"!")), ("RandTermString", (3, b"ab")),
]


@pytest.mark.parametrize(("name", "args"), SIMPLE, ids=lambda v: str(v))
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_draws_as_scapy(name: str, args: tuple[Any, ...], seed: int) -> None:
    theirs = seeded(seed, lambda: [str(getattr(sv, name)(*args)) for _ in range(5)])
    ours = seeded(seed, lambda: [str(getattr(nv, name)(*args)) for _ in range(5)])
    assert ours == theirs


@pytest.mark.parametrize("seed", [0, 3])
def test_bytes_and_str_as_scapy(seed: int) -> None:
    theirs = seeded(seed, lambda: (bytes(sv.RandBin(6)), bytes(sv.RandString(3)),
                                   int(sv.RandShort()), sv.RandShort() + 1))
    ours = seeded(seed, lambda: (bytes(nv.RandBin(6)), bytes(nv.RandString(3)),
                                 int(nv.RandShort()), nv.RandShort() + 1))
    assert ours == theirs


def test_repr_names_the_kind() -> None:
    for name in ("RandShort", "RandIP", "RandMAC", "RandString", "RandBin", "RandInt"):
        assert repr(getattr(nv, name)()) == repr(getattr(sv, name)()) == f"<{name}>"


def test_each_use_draws_afresh() -> None:
    r = nv.RandShort()
    random.seed(1)
    values = {int(r) for _ in range(50)}
    assert len(values) > 40
    assert all(0 <= v <= 65535 for v in values)


ADDR = {"src": "198.18.0.1", "dst": "198.18.0.2"}


@pytest.mark.parametrize("seed", [0, 9])
def test_packets_build_the_same_bytes(seed: int) -> None:
    """Fields drawn in Scapy's order: top layer first, each layer's fields last to first."""
    def scapy_side() -> list[bytes]:
        p = (sc_l2.Ether(src=sv.RandMAC(), dst=sv.RandMAC())
             / sc_inet.IP(src=sv.RandIP(), dst=ADDR["dst"], id=sv.RandShort(), ttl=sv.RandByte())
             / sc_inet.UDP(sport=sv.RandShort(), dport=sv.RandShort()))
        t = sc_inet.IP(**ADDR) / sc_inet.TCP(sport=sv.RandShort(), seq=sv.RandInt())
        return [bytes(p), bytes(p), bytes(t)]

    def our_side() -> list[bytes]:
        p = (Ether(src=nv.RandMAC(), dst=nv.RandMAC())
             / IP(src=nv.RandIP(), dst=ADDR["dst"], id=nv.RandShort(), ttl=nv.RandByte())
             / UDP(sport=nv.RandShort(), dport=nv.RandShort()))
        t = IP(**ADDR) / TCP(sport=nv.RandShort(), seq=nv.RandInt())
        return [bytes(p), bytes(p), bytes(t)]

    theirs = seeded(seed, scapy_side)
    ours = seeded(seed, our_side)
    assert ours == theirs
    assert ours[0] != ours[1]  # a new draw each build


def test_packet_keeps_the_random_value() -> None:
    p = IP(id=nv.RandShort(), **ADDR)
    assert isinstance(p.id, nv.RandShort)
    a, b = bytes(p), bytes(p)
    assert a[:4] == b[:4] and a[12:] == b[12:]
    assert isinstance(p.id, nv.RandShort)  # building did not replace it


def test_mac_template_is_checked() -> None:
    with pytest.raises(ValueError, match="MAC template"):
        nv.RandMAC("zz:*")
