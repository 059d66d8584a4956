"""Address, checksum, hex and reassembly helpers: the same calls under Scapy and netprobe."""

from __future__ import annotations

import contextlib
import io
import random
import socket

import pytest
import scapy.all as sc

from netprobe.library import defrag as nd
from netprobe.packet import addresses as na
from netprobe.packet import checksum as nc
from netprobe.packet import dissect_as
from netprobe.packet import hexview as nh
from netprobe.packet.fragment import fragment as np_fragment

ADDR_CALLS = [
    ("atol", ("1.2.3.4",)), ("atol", ("1.2.3",)), ("ltoa", (16909060,)), ("ltoa", (0,)),
    ("itom", (0,)), ("itom", (24,)), ("itom", (32,)), ("itom", (33,)),
    ("mac2str", ("aa:bb:cc:dd:ee:ff",)), ("mac2str", ("0:1:2:3:4:5",)),
    ("str2mac", (b"\x00\x11\x22\x33\x44\x55",)), ("in6_ptop", ("2001:0DB8:0000::0001",)),
    ("in6_ptop", ("::ffff:1.2.3.4",)), ("valid_ip", ("1.2.3.4",)), ("valid_ip", ("1.2",)),
    ("valid_ip", ("1.2.3.400",)), ("valid_ip", ("::1",)), ("valid_ip", (" 1.2.3.4",)),
    ("valid_ip6", ("::1",)), ("valid_ip6", ("1.2.3.4",)), ("valid_ip6", ("zz",)),
    ("inet_pton", (socket.AF_INET6, "2001:db8::1")), ("inet_ntop", (socket.AF_INET6, bytes(16))),
    ("in6_getnsma", (socket.inet_pton(socket.AF_INET6, "2001:db8::1234:5678"),)),
    ("in6_getnsmac", (socket.inet_pton(socket.AF_INET6, "ff02::1:ff34:5678"),)),
]


@pytest.mark.parametrize(("name", "args"), ADDR_CALLS, ids=lambda v: str(v))
def test_address_helpers(name: str, args: tuple) -> None:
    assert getattr(na, name)(*args) == getattr(sc, name)(*args)


@pytest.mark.parametrize("text", ["198.18.0.0/30", "198.18.0.5/30", "198.18.1.7", "198.18.0.0/24"])
def test_net(text: str) -> None:
    mine, theirs = na.Net(text), sc.Net(text)
    assert (repr(mine), str(mine), len(mine), list(mine)) == (repr(theirs), str(theirs),
                                                             len(theirs), list(theirs))
    assert ("198.18.0.1" in mine) == ("198.18.0.1" in theirs)
    random.seed(3)
    a = [mine.choice() for _ in range(5)]
    random.seed(3)
    assert a == [str(theirs.choice()) for _ in range(5)]


@pytest.mark.parametrize("text", ["2001:db8::/126", "2001:db8::5/127", "2001:db8::1"])
def test_net6(text: str) -> None:
    mine, theirs = na.Net6(text), sc.Net6(text)
    assert (repr(mine), str(mine), len(mine), list(mine)) == (repr(theirs), str(theirs),
                                                             len(theirs), list(theirs))


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)), b"\xff\xff", b"\x00\x00",
                                  b"\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x01"])
def test_checksum(data: bytes) -> None:
    assert nc.checksum(data) == sc.checksum(data)


def test_pseudo_header_checksums() -> None:
    from netprobe.packet import IP, UDP
    from netprobe.packet.layers.ipv6 import IPv6

    mine = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=2, chksum=0) / b"hi"
    theirs = sc.IP(src="198.18.0.1", dst="198.18.0.2") / sc.UDP(sport=1, dport=2, chksum=0) / b"hi"
    assert nc.in4_chksum(17, mine.getlayer(IP), bytes(mine.getlayer(UDP))) == sc.in4_chksum(
        17, theirs[sc.IP], bytes(theirs[sc.UDP]))
    m6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2, chksum=0) / b"x"
    t6 = sc.IPv6(src="2001:db8::1", dst="2001:db8::2") / sc.UDP(sport=1, dport=2, chksum=0) / b"x"
    assert nc.in6_chksum(17, m6.getlayer(IPv6), bytes(m6.getlayer(UDP))) == sc.in6_chksum(
        17, t6[sc.IPv6], bytes(t6[sc.UDP]))


def _printed(fn, *args, **kw) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args, **kw)
    return buf.getvalue()


HEX_DATA = [b"", b"a", b"hello world\x00\x01\xff", bytes(range(40)), b"x" * 33]


@pytest.mark.parametrize("data", HEX_DATA)
def test_hex_views(data: bytes) -> None:
    assert _printed(nh.hexdump, data) == _printed(sc.hexdump, data)
    assert nh.hexdump(data, dump=True) == sc.hexdump(data, dump=True)
    for kw in ({}, {"onlyasc": 1}, {"onlyhex": 1}):
        assert nh.hexstr(data, **kw) == sc.hexstr(data, **kw)
        assert nh.linehexdump(data, dump=True, **kw) == sc.linehexdump(data, dump=True, **kw)
    assert nh.chexdump(data, dump=True) == sc.chexdump(data, dump=True)
    assert nh.import_hexcap(sc.hexdump(data, dump=True)) == data


DIFF_PAIRS = [(b"abcdefgh" * 5, b"abcdefgX" + b"abcdefgh" * 4),
              (b"abcdefgh" * 3, b"abcXdefgh" + b"abcdefgh" * 2),
              (b"abcdefgh" * 3, b"abdefgh" + b"abcdefgh" * 2), (b"ab", b"abc"), (b"", b"abc"),
              (b"\x00\x01\x02\x03", b"\x10\x11\x12\x13\x14"), (b"ab", b"ba"),
              (b"abc", b"bcd")]


@pytest.mark.parametrize(("a", "b"), DIFF_PAIRS)
def test_hexdiff(a: bytes, b: bytes) -> None:
    assert _printed(nh.hexdiff, a, b) == _printed(sc.hexdiff, a, b, algo="wagnerfischer")


def test_defragment_ipv4() -> None:
    from netprobe.packet import IP

    p = sc.IP(src="198.18.0.1", dst="198.18.0.2", id=7) / sc.UDP(sport=1, dport=2) / (b"x" * 100)
    q = sc.IP(src="198.18.0.1", dst="198.18.0.3") / sc.ICMP()
    frags = [dissect_as(IP, f) for f in np_fragment(bytes(p), 32)]
    other = dissect_as(IP, bytes(q))
    orders = (frags, [other, *frags], [*frags[:2], other, *frags[2:]], frags[::-1])
    for i, order in enumerate(orders):
        out = nd.defragment(order)
        if i < 3:  # Scapy 2.8 fails on fragments in reverse order
            want = sc.defragment([sc.IP(bytes(x)) for x in order])
            assert [x.getlayer("IP").dst for x in out] == [x[sc.IP].dst for x in want]
        whole = [x for x in out if x.getlayer("UDP") is not None]
        assert bytes(whole[0]) == bytes(p)  # Scapy 2.8 loses the protocol number here
    nofrag, done, missing = nd.defrag([*frags[:2], other])
    assert (len(nofrag), len(done), len(missing)) == (1, 0, 2)
    assert len(nd.defragment([*frags[:2], other])) == len(sc.defragment(
        [sc.IP(bytes(x)) for x in [*frags[:2], other]]))


def test_fragment6_and_back() -> None:
    from netprobe.packet import Ether
    from netprobe.packet.layers.ipv6 import IPv6, IPv6ExtHdrFragment

    base = (IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(id=5)
            / sc_udp_bytes())
    theirs = sc.IPv6(src="2001:db8::1", dst="2001:db8::2") / sc.IPv6ExtHdrFragment(id=5) / \
        sc.UDP(sport=1, dport=2) / (b"y" * 200)
    mine = nd.fragment6(base, 100)
    assert [bytes(x) for x in mine] == [bytes(x) for x in sc.fragment6(theirs, 100)]
    assert bytes(nd.defragment6(mine[::-1])) == bytes(sc.defragment6(sc.fragment6(theirs, 100)))
    eth = Ether(src="00:00:00:00:00:01", dst="00:00:00:00:00:02") / base
    sc_eth = sc.Ether(src="00:00:00:00:00:01", dst="00:00:00:00:00:02") / theirs
    assert [bytes(x) for x in nd.fragment6(eth, 100)] == [bytes(x) for x in
                                                          sc.fragment6(sc_eth, 100)]


def sc_udp_bytes() -> object:
    from netprobe.packet import UDP

    return UDP(sport=1, dport=2) / (b"y" * 200)


NET_FIELD_CASES = [
    ('IP(dst="198.18.0.0/30")', "IP"), ('IP(dst=Net("198.18.0.5/30"))', "IP"),
    ('IP(dst=Net("198.18.0.9"))', "IP"), ('IPv6(dst=Net6("2001:db8::/127"))', "IPv6"),
    ('IPv6(dst="2001:db8::4/126")', "IPv6"),
    ('IP(dst=["198.18.0.0/31", "198.18.1.0/31"])/ICMP()', "IP"),
]


@pytest.mark.parametrize(("expr", "first"), NET_FIELD_CASES)
def test_address_blocks_as_field_values(expr: str, first: str) -> None:
    """A block makes a packet set; it shows as Scapy's ``Net`` and prints its first address."""
    import netprobe

    mine = eval(expr, {n: getattr(netprobe, n) for n in ("IP", "IPv6", "ICMP", "Net", "Net6")})
    theirs = eval(expr, {n: getattr(sc, n) for n in ("IP", "IPv6", "ICMP", "Net", "Net6")})
    assert [bytes(x) for x in mine] == [bytes(x) for x in theirs]
    if "[" not in expr:
        assert repr(mine) == repr(theirs)
        assert str(mine.dst) == str(theirs.dst)


@pytest.mark.parametrize("fragsize", [56, 60, 77, 100, 150, 1280])
def test_fragment6_sizes_match_scapy(fragsize: int) -> None:
    """Payloads of many sizes, with a link header, a seeded random ID: the same bytes."""
    import netprobe

    for n in range(0, 300, 13):
        out = []
        for lib in (netprobe, sc):
            random.seed(n * 1000 + fragsize)
            p = (lib.Ether(src="00:00:00:00:00:01", dst="00:00:00:00:00:02")
                 / lib.IPv6(src="2001:db8::1", dst="2001:db8::2") / lib.IPv6ExtHdrFragment()
                 / lib.UDP(sport=1, dport=2) / (b"k" * n))
            out.append([bytes(x) for x in lib.fragment6(p, fragsize)])
        assert out[0] == out[1], n


def test_fragment6_without_fragment_header() -> None:
    import netprobe

    for size, n in ((60, 100), (100, 10)):
        out = []
        for lib in (netprobe, sc):
            random.seed(5)
            p = lib.IPv6(src="2001:db8::1", dst="2001:db8::2") / lib.UDP() / (b"z" * n)
            out.append([bytes(x) for x in lib.fragment6(p, size)])
        assert out[0] == out[1]


V6_ADDRS = ["fe80::1", "fec0::1", "fd00::1", "2001:db8::1", "2002:c612:1::1", "ff02::1",
            "ff01::1", "ff0e::1", "ff05::2", "ff08::2", "ff02::1:ff00:1", "::1", "::", "3fff::1",
            "e000::1", "::ffff:198.18.0.1", "fe80::21e:c2ff:fe9e:dd74"]
V6_KINDS = ["in6_islladdr", "in6_issladdr", "in6_isuladdr", "in6_isgladdr", "in6_ismaddr",
            "in6_ismnladdr", "in6_ismgladdr", "in6_isllsnmaddr", "in6_isdocaddr",
            "in6_isaddr6to4", "in6_getscope", "in6_isvalid", "in6_addrtomac"]


@pytest.mark.parametrize("name", V6_KINDS)
def test_ipv6_address_kinds(name: str) -> None:
    from netprobe.packet import addresses6 as n6

    assert [getattr(n6, name)(a) for a in V6_ADDRS] == [getattr(sc, name)(a) for a in V6_ADDRS]


V6_CALLS = [
    ("in6_isincluded", ("2001:db8::1", "2001:db8::", 32)),
    ("in6_isincluded", ("2001:db9::1", "2001:db8::", 32)),
    ("in6_isincluded", ("2001:db8::1", "2001:db8::", 128)),
    ("in6_cidr2mask", (0,)), ("in6_cidr2mask", (1,)), ("in6_cidr2mask", (64,)),
    ("in6_cidr2mask", (128,)),
    ("in6_and", (bytes(range(16)), b"\xf0" * 16)), ("in6_or", (bytes(range(16)), b"\x0f" * 16)),
    ("in6_xor", (bytes(range(16)), b"\xff" * 16)),
    ("in6_mactoifaceid", ("00:1e:c2:9e:dd:74",)), ("in6_mactoifaceid", ("00:1e:c2:9e:dd:74", 0)),
    ("in6_mactoifaceid", ("02:1e:c2:9e:dd:74", 1)),
    ("in6_ifaceidtomac", ("021e:c2ff:fe9e:dd74",)), ("in6_ifaceidtomac", ("0:0:0:1",)),
    ("in6_get_common_plen", ("2001:db8::1", "2001:db8::2")),
    ("in6_get_common_plen", ("2001:db8::", "3001::")),
    ("valid_mac", ("00:11:22:33:44:55",)), ("valid_mac", ("00:11:22:33:44",)),
    ("valid_mac", ("zz:11:22:33:44:55",)), ("valid_mac", ("0:1:2:3:4:5",)),
    ("valid_net", ("198.18.0.0/24",)), ("valid_net", ("198.18.0.0/33",)), ("valid_net", ("x/24",)),
    ("valid_net6", ("2001:db8::/32",)), ("valid_net6", ("2001:db8::/129",)),
]


@pytest.mark.parametrize(("name", "args"), V6_CALLS, ids=lambda v: str(v))
def test_ipv6_address_helpers(name: str, args: tuple) -> None:
    from netprobe.packet import addresses6 as n6

    assert getattr(n6, name)(*args) == getattr(sc, name)(*args)


def test_in6_chksum_with_a_routing_header() -> None:
    from netprobe.packet import UDP
    from netprobe.packet.layers.ipv6 import IPv6, IPv6ExtHdrRouting

    mine = (IPv6(src="2001:db8::1", dst="2001:db8::2")
            / IPv6ExtHdrRouting(addresses=["2001:db8::3", "2001:db8::4"])
            / UDP(sport=1, dport=2, chksum=0) / b"route")
    theirs = (sc.IPv6(src="2001:db8::1", dst="2001:db8::2")
              / sc.IPv6ExtHdrRouting(addresses=["2001:db8::3", "2001:db8::4"])
              / sc.UDP(sport=1, dport=2, chksum=0) / b"route")
    assert nc.in6_chksum(17, mine.getlayer(IPv6ExtHdrRouting), bytes(mine.getlayer(UDP))) == \
        sc.in6_chksum(17, theirs[sc.IPv6ExtHdrRouting], bytes(theirs[sc.UDP]))
