"""Host discovery: probes planned and answers read as nmap does (pure)."""

from __future__ import annotations

from netprobe import ARP, ICMP, IP, TCP, Ether, IPv6
from netprobe.engine.results import Result, Tag
from netprobe.packet.layers.icmpv6 import ICMPv6EchoReply
from netprobe.packet.layers.icmpv6_nd import ICMPv6ND_NA
from netprobe.plugins.portscan.discovery import (
    TAG,
    HostVerdict,
    Link,
    hosts_up,
    plan_ip,
    plan_link,
    probe_host,
    solicited_node_mac,
)

US, US6 = "198.18.1.2", "2001:db8:1::2"
OUR_MAC, THEIR_MAC = "02:00:c6:12:01:02", "02:00:c6:12:01:0e"
LINK4 = Link("eth0", OUR_MAC, US)
LINK6 = Link("eth0", OUR_MAC, US6)


def frame(payload: object) -> bytes:
    return bytes(Ether(src=THEIR_MAC, dst=OUR_MAC) / payload)


def result(probe: object, answer: object | None, received: float = 100.001,
           linktype: int = 101, tag: str | None = TAG.phase) -> Result:
    r = Result(bytes(probe), linktype, 100.0,
               answer_bytes=None if answer is None else frame(answer), answer_linktype=1,
               received=None if answer is None else received)
    r.tag = None if tag is None else Tag(tag)
    return r


def ip_probes(host: str) -> list:
    probes = plan_ip(host, 7, 45000, 1234)
    for p in probes:
        p.src = US6 if ":" in host else US
    return probes


def test_link_probes() -> None:
    arp = plan_link("198.18.1.14", LINK4)
    assert arp.dst == "ff:ff:ff:ff:ff:ff"
    assert (arp[ARP].hwsrc, arp[ARP].psrc, arp[ARP].pdst) == (OUR_MAC, US, "198.18.1.14")
    ns = plan_link("2001:db8:1::14", LINK6)
    assert ns.dst == "33:33:ff:00:00:14" == solicited_node_mac("2001:db8:1::14")
    assert ns[IPv6].dst == "2001:db8:1::14" and ns[IPv6].hlim == 255
    assert probe_host(result(arp, None, linktype=1)) == "198.18.1.14"
    assert probe_host(result(ns, None, linktype=1)) == "2001:db8:1::14"


def test_ip_probes_are_nmaps_defaults() -> None:
    v4 = ip_probes("198.19.2.10")
    assert [p.brief().split(" / ", 1)[1] for p in v4] == [
        "ICMP echo-request id=0x7 seq=0", "TCP 45000 > 443 S", "TCP 45000 > 80 A",
        "ICMP timestamp-request id=0x7 seq=0"]
    v6 = ip_probes("2001:db8:2::10")
    assert len(v6) == 3 and v6[1][TCP].dport == 443 and v6[2][TCP].flags == "A"


def test_arp_reply_is_up_without_ttl() -> None:
    probe = plan_link("198.18.1.14", LINK4)
    reply = ARP(op=2, hwsrc=THEIR_MAC, psrc="198.18.1.14", hwdst=OUR_MAC, pdst=US)
    verdicts = hosts_up([result(probe, reply, linktype=1)])
    assert verdicts == {"198.18.1.14": HostVerdict("up", "arp-response", None)}


def test_neighbour_advertisement_is_nd_response() -> None:
    probe = plan_link("2001:db8:1::14", LINK6)
    na = IPv6(src="2001:db8:1::14", dst=US6, hlim=255) / ICMPv6ND_NA(tgt="2001:db8:1::14")
    verdicts = hosts_up([result(probe, na, linktype=1)])
    assert verdicts["2001:db8:1::14"] == HostVerdict("up", "nd-response", None)


def test_first_answer_decides_and_gives_the_ttl() -> None:
    host = "198.19.2.10"
    echo, syn, ack, stamp = ip_probes(host)
    results = [
        result(syn, IP(src=host, dst=US, ttl=60) / TCP(sport=443, dport=45000, flags="SA"),
               received=100.003),
        result(echo, IP(src=host, dst=US, ttl=60) / ICMP(type=0, id=7), received=100.002),
        result(ack, IP(src=host, dst=US, ttl=60) / TCP(sport=80, dport=45000, flags="R"),
               received=100.004),
        result(stamp, None),
    ]
    assert hosts_up(results) == {host: HostVerdict("up", "echo-reply", 60)}
    assert hosts_up(results[2:])[host] == HostVerdict("up", "reset", 60)
    assert hosts_up(results[:1])[host].reason == "syn-ack"


def test_timestamp_reply_alone_is_enough() -> None:
    host = "198.18.1.14"
    echo, syn, ack, stamp = ip_probes(host)
    results = [result(echo, None), result(syn, None), result(ack, None),
               result(stamp, IP(src=host, dst=US, ttl=64) / ICMP(type=14, id=7))]
    assert hosts_up(results)[host] == HostVerdict("up", "timestamp-reply", 64)


def test_ipv6_echo_reply() -> None:
    host = "2001:db8:2::10"
    echo = ip_probes(host)[0]
    answer = IPv6(src=host, dst=US6, hlim=60) / ICMPv6EchoReply(id=7, seq=0)
    assert hosts_up([result(echo, answer)])[host] == HostVerdict("up", "echo-reply", 60)


def test_silence_and_router_errors_are_down() -> None:
    quiet, routed = "198.19.2.99", "198.19.2.98"
    results = [result(p, None) for p in ip_probes(quiet)]
    echo = ip_probes(routed)[0]
    unreach = IP(src="198.18.1.1", dst=US, ttl=64) / ICMP(type=3, code=1) / IP(
        src=US, dst=routed) / ICMP(type=8, id=7)
    results.append(result(echo, unreach))
    verdicts = hosts_up(results)
    assert verdicts[quiet] == HostVerdict("down", "no-response", None)
    assert verdicts[routed] == HostVerdict("down", "host-unreach", 64)


def test_unreachable_from_the_host_itself_means_up() -> None:
    host = "198.18.1.14"
    syn = ip_probes(host)[1]
    unreach = IP(src=host, dst=US, ttl=64) / ICMP(type=3, code=13) / IP(src=US, dst=host) / \
        TCP(sport=45000, dport=443)
    assert hosts_up([result(syn, unreach)])[host] == HostVerdict("up", "admin-prohibited", 64)


def test_other_phases_results_are_ignored() -> None:
    probe = ip_probes("198.18.1.11")[0]
    assert hosts_up([result(probe, None, tag="udp")]) == {}
    assert "198.18.1.11" in hosts_up([result(probe, None, tag=None)])
