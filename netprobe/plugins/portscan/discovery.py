"""Host discovery before a port scan (and alone with ``-sn``), as nmap does it.

A host on the scanner's own Ethernet link is asked at layer 2, which no host
firewall filters: ARP for IPv4, a neighbour solicitation for IPv6. Any other
host gets nmap's default probes: ICMP echo, TCP SYN to 443, TCP ACK to 80 and
(IPv4) ICMP timestamp; any answer from the host itself means it is up.

The neighbour solicitation goes to the target's own address (RFC 4861 7.2.2
allows unicast solicitations) inside a frame for its solicited-node multicast
MAC: the host's interface accepts the frame, and the packet names the target
itself, so the scope guard judges it by the address asked about.

``discover`` plans and runs the probes through the engine (results tagged
``extra="discovery"``); ``hosts_up`` (pure) reads the results as nmap would,
with nmap's reasons: ``arp-response``, ``nd-response``, ``echo-reply``,
``syn-ack``, ``reset``, ``timestamp-reply``, an ICMP unreachable sent by the
host itself (``port-unreach``, ``proto-unreach``, ``admin-prohibited``...),
or, for a host found down, ``no-response`` or the ICMP error another host sent
in its name (``host-unreach``, ``net-unreach``...).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from ipaddress import ip_address
from typing import NamedTuple

from netprobe import costs
from netprobe.engine.results import Counters, Result, Tag
from netprobe.packet.shape import icmp_reason
from netprobe.plugins.portscan.collect import PhaseInterrupted
from netprobe.services.packetview import hop_limit

#: the tag every discovery result carries in ``Result.tag``
TAG = Tag("discovery")
#: at most this many discovery probes read their answers without a capture ring
LIGHT_CAPTURE_MAX = 1024
#: nmap's default TCP ping ports
SYN_PORT = 443
ACK_PORT = 80



class HostVerdict(NamedTuple):
    """Whether a host is up, the answer that decided it, and that answer's TTL."""

    state: str  # "up" or "down"
    reason: str
    ttl: int | None = None

    def to_dict(self) -> dict:
        """JSON form."""
        return {"state": self.state, "reason": self.reason, "ttl": self.ttl}


class Link(NamedTuple):
    """How to reach a host at layer 2: the interface and our addresses on it."""

    iface: str
    mac: str
    src: str


def solicited_node_mac(address: str) -> str:
    """The Ethernet multicast MAC of ``address``'s solicited-node group (RFC 2464 7)."""
    from netprobe.packet.addresses import in6_getnsma, in6_getnsmac  # IPv6 discovery only

    return in6_getnsmac(in6_getnsma(ip_address(address).packed))


def plan_link(host: str, link: Link) -> object:
    """The layer-2 probe of a host on our link: ARP request or neighbour solicitation."""
    from netprobe.packet.layers.ether import Ether

    if ip_address(host).version == 4:
        from netprobe.packet.layers.arp import ARP

        return (Ether(src=link.mac, dst="ff:ff:ff:ff:ff:ff") /
                ARP(hwsrc=link.mac, psrc=link.src, pdst=host))
    from netprobe.packet.layers.icmpv6 import ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr
    from netprobe.packet.layers.ipv6 import IPv6

    return (Ether(src=link.mac, dst=solicited_node_mac(host)) /
            IPv6(src=link.src, dst=host, hlim=255) /
            ICMPv6ND_NS(tgt=host) / ICMPv6NDOptSrcLLAddr(lladdr=link.mac))


def plan_ip(host: str, ident: int, sport: int, seq: int) -> list[object]:
    """nmap's default probes of a host beyond our link (IPv4: four, IPv6: three)."""
    from netprobe.packet.layers.icmp import ICMP
    from netprobe.packet.layers.icmpv6 import ICMPv6EchoRequest
    from netprobe.packet.layers.ip import IP
    from netprobe.packet.layers.ipv6 import IPv6
    from netprobe.packet.layers.tcp import TCP

    syn = TCP(sport=sport, dport=SYN_PORT, flags="S", seq=seq, window=1024)
    ack = TCP(sport=sport, dport=ACK_PORT, flags="A", seq=seq, ack=0, window=1024)
    if ip_address(host).version == 4:
        return [IP(dst=host) / ICMP(type=8, id=ident, seq=0),
                IP(dst=host) / syn, IP(dst=host) / ack,
                IP(dst=host) / ICMP(type=13, id=ident, seq=0)]
    return [IPv6(dst=host) / ICMPv6EchoRequest(id=ident, seq=0),
            IPv6(dst=host) / syn, IPv6(dst=host) / ack]


def _link_of(host: str, iface: str | None) -> Link | None:
    """Our link to ``host`` when it is a neighbour on an Ethernet interface, else None."""
    from netprobe.wire import iface as iface_mod
    from netprobe.wire import route

    r = route.route_to(host)
    if r.gateway is not None or ip_address(host).is_loopback:
        return None
    name = iface or r.iface
    try:
        with costs.span("interface lookup"):
            mac = iface_mod.interface(name).mac
    except Exception:
        return None
    if not mac or mac == "00:00:00:00:00:00":
        return None
    return Link(name, mac, r.src)


def discover(hosts: list[str], *, timeout: float, retries: int, rate: float | None,
             iface: str | None, counters: Counters, arp: bool = True) -> list[Result]:
    """Probe ``hosts`` for life; every result is tagged ``discovery`` (``Result.tag``).

    Neighbours on our Ethernet link are asked by ARP / neighbour solicitation
    (``arp=False`` sends them the IP probes instead, nmap's ``--disable-arp-ping``);
    the others get the IP probes. Ctrl-C raises ``PhaseInterrupted`` (a
    KeyboardInterrupt) carrying the results so far.
    """
    from netprobe.engine.api import run
    from netprobe.wire import route

    hosts = [str(ip_address(h)) for h in hosts]
    by_link: dict[str, list[object]] = {}
    by_route: dict[str | None, list[object]] = {}
    sport = random.randint(40000, 59999)
    seq = random.getrandbits(32)
    for n, host in enumerate(hosts):
        link = _link_of(host, iface) if arp else None
        if link is not None:
            by_link.setdefault(link.iface, []).append(plan_link(host, link))
        else:
            name = iface or route.route_to(host).iface
            by_route.setdefault(name, []).extend(plan_ip(host, (n + 1) & 0xFFFF, sport, seq))
    results: list[Result] = []
    groups = [(name, probes, True) for name, probes in by_link.items()]
    groups += [(name, probes, False) for name, probes in by_route.items()]
    try:
        for name, probes, layer2 in groups:
            for r in run(probes, timeout=timeout, retry=retries, rate=rate, iface=name,
                         layer2=layer2, counters=counters,
                         capture_class=_light_capture(probes, layer2, name)):
                r.tag = TAG
                results.append(r)
    except KeyboardInterrupt:
        raise PhaseInterrupted(results) from None
    return results


def _light_capture(probes: list[object], layer2: bool, iface: str) -> object | None:
    """A capture without a ring for a few hosts (nothing to wait for at open and close:
    ``wire.lightcapture``): a packet socket for ARP and neighbour solicitations, raw
    IPv4 sockets for IPv4 probes; None (a live capture) for many, or IPv6 IP probes."""
    if len(probes) > LIGHT_CAPTURE_MAX:
        return None
    from netprobe.wire.lightcapture import IpCapture, LinkCapture

    if layer2:
        return LinkCapture if LinkCapture.supports(iface) else None
    if all(type(p).__name__ == "IP" for p in probes):
        return IpCapture
    return None


# -- interpretation (pure) ----------------------------------------------------------------------
def probe_host(result: Result) -> str | None:
    """The address a discovery probe asked about."""
    dst = None
    for layer in result.probe.chain():  # type: ignore[attr-defined]
        kind = type(layer).__name__
        if kind == "ARP":
            return str(ip_address(layer.pdst))
        if kind == "ICMPv6ND_NS":
            return str(ip_address(layer.tgt))
        if kind in ("IP", "IPv6") and dst is None:
            dst = layer.dst
    return str(ip_address(dst)) if dst else None


def _same(a: object, b: str) -> bool:
    try:
        return ip_address(str(a)) == ip_address(b)
    except ValueError:
        return False


def read_answer(result: Result, host: str) -> tuple[bool, str, int | None] | None:
    """What one answer says: (host is up, reason, ttl); None without an answer."""
    answer = result.answer
    if answer is None:
        return None
    net = None
    for layer in answer.chain():
        kind = type(layer).__name__
        if kind == "ARP":
            return (layer.op == 2 and _same(layer.psrc, host), "arp-response", None)
        if kind in ("IP", "IPv6"):
            net = layer
            break
    if net is None:
        return None
    ttl = hop_limit(net)
    own = _same(net.src, host)
    top = net._payload
    kind = type(top).__name__
    if kind == "ICMPv6ND_NA":
        return (_same(top.tgt, host), icmp_reason(6, top.type, top.code), None)
    if kind == "TCP":
        flags = int(top.flags)
        if flags & 0x04:
            return own, "reset", ttl
        if flags & 0x12 == 0x12:
            return own, "syn-ack", ttl
        return own, "tcp-response", ttl
    if kind == "ICMP":
        return own and top.type != 11, icmp_reason(4, top.type, top.code), ttl
    if kind in ("ICMPv6EchoReply", "ICMPv6DestUnreach", "ICMPv6TimeExceeded"):
        return own and top.type != 3, icmp_reason(6, top.type, top.code), ttl
    return own, "response", ttl


def hosts_up(results: Iterable[Result]) -> dict[str, HostVerdict]:
    """Every probed host's verdict: up with the first answer that proves it, else down.

    Results not tagged ``"discovery"`` (nor untagged) are ignored. A host is up
    on any answer that the host itself sent; an error from another host (a
    router saying host-unreach) makes it down with that reason.
    """
    firsts: dict[str, tuple[float, str, int | None]] = {}
    negatives: dict[str, tuple[float, str, int | None]] = {}
    order: list[str] = []
    for r in results:
        if r.tag is not None and r.tag.phase != TAG.phase:
            continue
        host = probe_host(r)
        if host is None:
            continue
        if host not in firsts and host not in negatives and host not in order:
            order.append(host)
        read = read_answer(r, host)
        if read is None:
            continue
        up, reason, ttl = read
        when = r.received if r.received is not None else float("inf")
        table = firsts if up else negatives
        if host not in table or when < table[host][0]:
            table[host] = (when, reason, ttl)
    verdicts: dict[str, HostVerdict] = {}
    for host in order:
        if host in firsts:
            _, reason, ttl = firsts[host]
            verdicts[host] = HostVerdict("up", reason, ttl)
        elif host in negatives:
            _, reason, ttl = negatives[host]
            verdicts[host] = HostVerdict("down", reason, ttl)
        else:
            verdicts[host] = HostVerdict("down", "no-response", None)
    return verdicts
