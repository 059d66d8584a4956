"""``fragment6`` puts its Fragment header after Hop-by-Hop and Routing headers (RFC 8200),
where Scapy 2.8 puts it straight after the IPv6 header: the README's difference, checked
on the same packet, each side's fragments read by Scapy's dissector."""

from __future__ import annotations

import pytest

import netprobe as nd
from tests.library.scapy_peer import scapy

NEXT_HEADER_AT = 6  # the IPv6 header's Next Header byte
FRAGMENT = 44


def _chains(frags: list[bytes]) -> list[list[str]]:
    sc = scapy()
    return [[cls.__name__ for cls in sc.IPv6(f).layers()] for f in frags]


@pytest.mark.parametrize("header", ["IPv6ExtHdrHopByHop", "IPv6ExtHdrRouting"])
def test_the_fragment_header_follows_the_unfragmentable_part(header: str) -> None:
    sc = scapy()
    kwargs = {"addresses": ["2001:db8::3"]} if header == "IPv6ExtHdrRouting" else {}

    def build(lib: object) -> object:
        ip = lib.IPv6(src="2001:db8::1", dst="2001:db8::2")
        return ip / getattr(lib, header)(**kwargs) / lib.UDP() / lib.Raw(b"x" * 300)

    mine = [bytes(f) for f in nd.fragment6(build(nd), 200)]
    theirs = [bytes(f) for f in sc.fragment6(build(sc), 200)]
    assert len(mine) > 1 and len(theirs) > 1
    assert all(f[NEXT_HEADER_AT] == FRAGMENT for f in theirs)  # Scapy 2.8: cut with the data
    assert {f[NEXT_HEADER_AT] for f in mine} != {FRAGMENT}
    for chain in _chains(mine):
        assert chain[:3] == ["IPv6", header, "IPv6ExtHdrFragment"]
    assert max(len(f) for f in mine) <= 200
