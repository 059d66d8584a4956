"""arpscan's pure planning: targets, the /16 limit, interface choice, stamped probes."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pytest

from netprobe.errors import EnvironmentProblem, UsageError
from netprobe.packet import ARP, Ether, ICMPv6ND_NS, IPv6
from netprobe.packet.dissect import dissect
from netprobe.plugins.arpscan import plan

MAC = "02:00:c6:12:01:02"


def ip4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


# -- targets ----------------------------------------------------------------------------------
def test_network_skips_network_and_broadcast_addresses():
    block = plan.parse_target("198.18.1.0/24")
    assert (block.version, block.size, block.network) == (4, 256, True)
    hosts = list(block.hosts())
    assert len(hosts) == 254
    assert hosts[0] == ip4("198.18.1.1") and hosts[-1] == ip4("198.18.1.254")


def test_ipv6_networks_skip_the_subnet_router_anycast_address():
    block = plan.parse_target("2001:db8:1::/120")
    hosts = list(block.hosts())
    assert len(hosts) == 255 and hosts[0] == int(ipaddress.IPv6Address("2001:db8:1::1"))
    assert hosts[-1] == int(ipaddress.IPv6Address("2001:db8:1::ff"))
    assert len(list(plan.parse_target("2001:db8:1::/127").hosts())) == 2


def test_small_networks_and_single_addresses_keep_every_address():
    assert len(list(plan.parse_target("198.18.1.0/31").hosts())) == 2
    assert list(plan.parse_target("198.18.1.7").hosts()) == [ip4("198.18.1.7")]
    assert list(plan.parse_target("198.18.1.7/32").hosts()) == [ip4("198.18.1.7")]


def test_ranges_short_and_long():
    short = plan.parse_target("198.18.1.10-20")
    full = plan.parse_target("198.18.1.10-198.18.1.20")
    assert (short.first, short.last) == (full.first, full.last) == (ip4("198.18.1.10"),
                                                                    ip4("198.18.1.20"))
    assert len(list(short.hosts())) == 11  # a range is not a network: both ends are hosts
    v6 = plan.parse_target("2001:db8:1::10-2001:db8:1::1f")
    assert (v6.version, v6.size) == (6, 16)


def test_own_addresses_are_skipped():
    block = plan.parse_target("198.18.1.0/29")
    assert ip4("198.18.1.2") not in list(block.hosts({ip4("198.18.1.2")}))
    assert len(list(block.hosts({ip4("198.18.1.2")}))) == 5


@pytest.mark.parametrize("text", ["foo", "198.18.1.300", "198.18.1.20-10", "198.18.1.1-::1",
                                  "198.18.1.0/33", ""])
def test_bad_targets_are_usage_errors(text):
    with pytest.raises(UsageError):
        plan.parse_target(text)


@pytest.mark.parametrize(("text", "message"), [
    ("198.18.1.20-10", "'198.18.1.20-10': the range ends before it starts"),
    ("198.18.1.20-198.18.1.10", "'198.18.1.20-198.18.1.10': the range ends before it starts"),
    ("198.18.1.1-::1", "'198.18.1.1-::1': a range's two ends must be of one IP version"),
    ("198.18.1.0/33", "'198.18.1.0/33' is not an address, a network (CIDR) or a range (A-B) "
                      "of IPv4 or IPv6 addresses"),
    ("198.18.1.5-300", "'198.18.1.5-300' is not an address, a network (CIDR) or a range (A-B) "
                       "of IPv4 or IPv6 addresses"),
])
def test_bad_targets_say_what_is_wrong(text, message):
    with pytest.raises(UsageError) as caught:
        plan.parse_target(text)
    assert str(caught.value) == message


def test_the_forms_are_portscans_with_arp_scans_network_rule():
    """The same text is the same addresses in both commands; only a CIDR block's
    network and broadcast addresses are left out here (arp-scan), kept there (nmap)."""
    from netprobe.plugins.portscan.targets import TargetSet

    for text in ("198.18.1.0/29", "198.18.1.10-20", "198.18.1.10 - 198.18.1.20",
                 "2001:db8:1::10-2001:db8:1::1f", "198.18.1.7"):
        block = plan.parse_target(text)
        ts = TargetSet.parse([text.replace(" ", "")])
        assert ts.ranges[block.version] == [(block.first, block.last)]
    assert [plan.address_text(v, 4) for v in plan.parse_target("198.18.1.0/29").hosts()] == [
        f"198.18.1.{i}" for i in range(1, 7)]


def test_sixteen_bits_is_the_limit_without_force():
    assert plan.check_size([plan.parse_target("10.0.0.0/16")], force=False) == 65536
    with pytest.raises(UsageError, match="more than a /16"):
        plan.check_size([plan.parse_target("10.0.0.0/15")], force=False)
    with pytest.raises(UsageError, match="more than a /16"):
        plan.check_size([plan.parse_target("10.0.0.0/16"), plan.parse_target("10.2.0.0/24")],
                        force=False)
    with pytest.raises(UsageError, match="more than a /16"):
        plan.check_size([plan.parse_target("2001:db8::/111")], force=False)
    assert plan.check_size([plan.parse_target("10.0.0.0/15")], force=True) == 131072


def test_more_than_a_slash_eight_is_refused_even_with_force():
    assert plan.check_size([plan.parse_target("10.0.0.0/8")], force=True) == 1 << 24
    with pytest.raises(UsageError, match="even with --force"):
        plan.check_size([plan.parse_target("10.0.0.0/7")], force=True)


# -- the interface ----------------------------------------------------------------------------
@dataclass
class Addr:
    address: str
    prefixlen: int | None


@dataclass
class Iface:
    name: str
    mac: str | None = MAC
    up: bool = True
    ipv4: tuple = ()
    ipv6: tuple = ()

    @property
    def is_loopback(self) -> bool:
        return self.name == "lo"


@dataclass
class Gateway:
    iface: str


LO = Iface("lo", mac="00:00:00:00:00:00", ipv4=(Addr("127.0.0.1", 8),))
ETH0 = Iface("eth0", ipv4=(Addr("198.18.1.2", 24),), ipv6=(Addr("2001:db8:1::2", 64),
                                                         Addr("fe80::1", 64)))
ETH1 = Iface("eth1", mac="02:00:00:00:00:01", ipv4=(Addr("198.19.0.2", 24),))


def test_the_default_route_decides():
    assert plan.choose_interface(None, [LO, ETH0, ETH1], {4: Gateway("eth1")}, 4) is ETH1
    # IPv6 only: the IPv6 default route first, then the IPv4 one
    assert plan.choose_interface(None, [LO, ETH0, ETH1], {4: Gateway("eth1"),
                                                          6: Gateway("eth0")}, 6) is ETH0
    assert plan.choose_interface(None, [LO, ETH0, ETH1], {4: Gateway("eth1")}, 6) is ETH1


def test_without_a_default_route_the_only_other_interface():
    assert plan.choose_interface(None, [LO, ETH0], {}, 4) is ETH0
    with pytest.raises(UsageError, match="choose one with -I"):
        plan.choose_interface(None, [LO, ETH0, ETH1], {}, 4)
    with pytest.raises(EnvironmentProblem):
        plan.choose_interface(None, [LO], {}, 4)


def test_asked_interfaces_are_checked():
    assert plan.choose_interface("eth1", [LO, ETH0, ETH1], {4: Gateway("eth0")}, 4) is ETH1
    with pytest.raises(UsageError, match="no such interface: 'nope'"):
        plan.choose_interface("nope", [LO, ETH0], {}, 4)
    with pytest.raises(UsageError, match="loopback"):
        plan.choose_interface("lo", [LO, ETH0], {}, 4)
    with pytest.raises(UsageError, match="down"):
        plan.choose_interface("eth2", [Iface("eth2", up=False)], {}, 4)
    with pytest.raises(UsageError, match="no Ethernet address"):
        plan.choose_interface("tun0", [Iface("tun0", mac=None)], {}, 4)


def test_local_blocks_are_the_interface_networks():
    assert [b.text for b in plan.local_blocks(ETH0)] == ["198.18.1.0/24"]
    two = Iface("eth0", ipv4=(Addr("198.18.1.2", 24), Addr("198.18.1.3", 24),
                              Addr("10.9.0.1", 16)))
    assert [b.text for b in plan.local_blocks(two)] == ["198.18.1.0/24", "10.9.0.0/16"]


def test_an_interface_without_ipv4_cannot_be_swept_by_arp():
    with pytest.raises(UsageError, match="has no IPv4 address"):
        plan.local_blocks(Iface("eth0", ipv6=(Addr("fe80::1", 64),)))
    with pytest.raises(UsageError, match="only /32"):
        plan.local_blocks(Iface("ppp0", ipv4=(Addr("10.0.0.1", 32),)))


def test_source_address_per_block():
    own4 = plan.interface_networks(Iface("e", ipv4=(Addr("198.18.1.2", 24),
                                                    Addr("10.9.0.1", 16))), 4)
    assert plan.source_for(plan.parse_target("10.9.3.0/24"), own4) == "10.9.0.1"
    assert plan.source_for(plan.parse_target("192.0.2.0/24"), own4) == "198.18.1.2"
    own6 = plan.interface_networks(ETH0, 6)
    assert plan.source_for(plan.parse_target("fe80::5"), own6) == "fe80::1"
    assert plan.source_for(plan.parse_target("2001:db8:9::5"), own6) == "2001:db8:1::2"
    assert plan.ipv6_source(own6) == "2001:db8:1::2"
    assert plan.ipv6_source(plan.interface_networks(Iface("e", ipv6=(Addr("fe80::1", 64),)),
                                                    6)) == "fe80::1"


def test_blocks_off_the_link_are_named():
    own = plan.interface_networks(ETH0, 4) + plan.interface_networks(ETH0, 6)
    blocks = plan.parse_targets(["198.18.1.0/24", "198.18.1.250-198.18.2.3", "198.18.101.1",
                                 "2001:db8:1::/120", "fe80::1-fe80::9", "2001:db8:2::1"])
    assert [b.text for b in plan.off_link(blocks, own)] == [
        "198.18.1.250-198.18.2.3", "198.18.101.1", "2001:db8:2::1"]


# -- the probes -------------------------------------------------------------------------------
def test_stamped_arp_frames_are_the_frames_the_layers_build():
    targets = [ip4("198.18.1.1"), ip4("198.18.1.77"), ip4("198.18.1.254")]
    frames = list(plan.arp_frames(MAC, "198.18.1.2", targets))
    for value, frame in zip(targets, frames, strict=True):
        built = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=MAC) /
                      ARP(op=1, hwsrc=MAC, psrc="198.18.1.2",
                          pdst=str(ipaddress.IPv4Address(value))))
        assert len(frame) == 60 and frame[:len(built)] == built
        assert frame[len(built):] == bytes(60 - len(built))
        arp = dissect(frame, 1).getlayer("ARP")
        assert arp.pdst == str(ipaddress.IPv4Address(value)) and arp.op == 1


def test_stamped_solicitations_are_the_frames_the_layers_build():
    own6 = plan.interface_networks(ETH0, 6)
    block = plan.parse_target("2001:db8:1::fff0-2001:db8:1::ffff")
    frames = list(plan.ns_frames(MAC, own6, [block], {int(ipaddress.IPv6Address(
        "2001:db8:1::fff3"))}))
    assert len(frames) == 15
    expected = [plan.ns_frame(MAC, "2001:db8:1::2", str(ipaddress.IPv6Address(v)))
                for v in block.hosts() if v != int(ipaddress.IPv6Address("2001:db8:1::fff3"))]
    assert frames == expected
    pkt = dissect(frames[0], 1)
    assert pkt.getlayer(IPv6).dst == "ff02::1:ff00:fff0" and pkt.getlayer(IPv6).hlim == 255
    assert pkt.getlayer(ICMPv6ND_NS).tgt == "2001:db8:1::fff0"
    assert pkt.getlayer(Ether).dst == "33:33:ff:00:ff:f0"
    assert not pkt.errors


def test_solicited_node_groups():
    assert plan.solicited_node("2001:db8:1::15") == "ff02::1:ff00:15"
    assert plan.solicited_node("fe80::c6ff:fe12:102") == "ff02::1:ff12:102"
    assert plan.multicast_mac("ff02::1:ff12:102") == "33:33:ff:12:01:02"
    assert plan.multicast_mac("ff02::1") == "33:33:00:00:00:01"


def test_all_nodes_probes():
    echo, option = (dissect(p, 1) for p in plan.all_nodes_probes(MAC, "2001:db8:1::2", 0xBEEF))
    assert echo.getlayer("ICMPv6EchoRequest").id == 0xBEEF
    assert echo.getlayer(IPv6).dst == "ff02::1" and echo.getlayer(Ether).dst == \
        "33:33:00:00:00:01"
    dest = option.getlayer("IPv6ExtHdrDestOpt")
    assert dest is not None and dest.nh == 59
    (ours,) = [o for o in dest.options if getattr(o, "otype", None) == plan.PROBE_OPTION]
    # the top two bits 10: discard and report, even to a multicast destination
    assert ours.otype >> 6 == 0b10 and bytes(ours.optdata) == plan.cookie(0xBEEF)
    assert not echo.errors and not option.errors
