"""What an ARP / neighbour-discovery sweep sends: pure functions, no I/O.

* targets: the blocks given (CIDR, single address, ``A-B`` range) or the
  interface's own networks, checked against the /16 limit;
* the interface: the one asked for, the one with the default route, or the
  only one that is not loopback;
* the probes: ARP who-has frames stamped from one built frame (only the
  target address differs), neighbour solicitations to the solicited-node
  groups, and the two all-nodes probes of IPv6 discovery.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netprobe.errors import EnvironmentProblem, UsageError
from netprobe.packet.addresses import in6_getnsma, multicast_mac
from netprobe.services.targets import SpanError, address_text, parse_span

if TYPE_CHECKING:
    from netprobe.wire.iface import Gateway, Interface

#: more addresses than a /16 need --force
LIMIT = 1 << 16
#: more than a /8 is refused even with --force (the engine keeps every probe in memory)
HARD_LIMIT = 1 << 24

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
#: where ARP's target protocol address sits in an Ethernet frame (14 + 8 + 6 + 4 + 6)
ARP_PDST_OFFSET = 38
#: the shortest Ethernet frame (without FCS); ARP requests are padded to it, as arp-scan does
ETHER_MIN = 60
ALL_NODES = "ff02::1"
#: an experimental destination option (RFC 4727) whose top bits say "discard and send a
#: Parameter Problem, even to a multicast destination" (RFC 8200 4.2)
PROBE_OPTION = 0x9E
COOKIE_MAGIC = b"npas"


@dataclass(frozen=True)
class Block:
    """A block of addresses to solicit: ``first`` to ``last`` (integers) of one family."""

    text: str
    version: int
    first: int
    last: int
    #: given as a network: its network and broadcast addresses (IPv4 up to /30) and its
    #: subnet-router anycast address (IPv6 up to /126, RFC 4291 2.6.1) are not hosts
    network: bool = False

    @property
    def size(self) -> int:
        """How many addresses the block spans."""
        return self.last - self.first + 1

    def hosts(self, skip: Iterable[int] = ()) -> Iterator[int]:
        """The addresses to solicit, as integers, without those in ``skip``."""
        first, last = self.first, self.last
        if self.network and self.size >= 4:
            first += 1
            if self.version == 4:
                last -= 1
        skipped = set(skip)
        for value in range(first, last + 1):
            if value not in skipped:
                yield value


def parse_target(text: str) -> Block:
    """A block from ``198.18.1.0/24``, ``198.18.1.5``, ``198.18.1.10-20``,
    ``198.18.1.10-198.18.1.20`` or the IPv6 forms; UsageError otherwise."""
    try:
        span = parse_span(text)
    except SpanError as exc:
        if exc.kind == "families":
            raise UsageError(f"{text!r}: a range's two ends must be of one IP version") from None
        if exc.kind in ("order", "octet-order"):
            raise UsageError(f"{text!r}: the range ends before it starts") from None
        span = None
    if span is None:
        raise UsageError(f"{text!r} is not an address, a network (CIDR) or a range "
                         "(A-B) of IPv4 or IPv6 addresses")
    return Block(text, span.version, span.first, span.last, network=span.network)


def parse_targets(texts: Sequence[str]) -> list[Block]:
    """Every target text as a block, in order."""
    return [parse_target(t) for t in texts]


def check_size(blocks: Sequence[Block], force: bool) -> int:
    """Return the number of addresses; UsageError past a /16 without ``force``.

    Each block and the sum are checked: a sweep larger than a /16 floods a
    link with broadcasts for minutes and is rarely meant.
    """
    for b in blocks:
        if b.size > LIMIT and not force:
            raise UsageError(f"{b.text} has {b.size} addresses, more than a /16 ({LIMIT}): "
                             "give a smaller block, or --force")
    total = sum(b.size for b in blocks)
    if total > LIMIT and not force:
        raise UsageError(f"the targets hold {total} addresses, more than a /16 ({LIMIT}): "
                         "give fewer, or --force")
    if total > HARD_LIMIT:
        raise UsageError(f"the targets hold {total} addresses; at most {HARD_LIMIT} (a /8) "
                         "even with --force")
    return total


# -- the interface ------------------------------------------------------------------------------
def choose_interface(requested: str | None, interfaces: Sequence[Interface],
                     gateways: Mapping[int, Gateway], family: int) -> Interface:
    """The interface to sweep (a ``wire.iface.Interface``).

    ``requested`` when given (UsageError if there is none of that name); else
    the interface of the default route of ``family`` (then of the other
    family); else the only interface that is up and not loopback.
    """
    by_name = {i.name: i for i in interfaces}
    if requested is not None:
        if requested not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            raise UsageError(f"no such interface: {requested!r} (interfaces here: {known})")
        return check_interface(by_name[requested])
    for fam in (family, 10 - family):
        gw = gateways.get(fam)
        if gw is not None and gw.iface in by_name:
            return check_interface(by_name[gw.iface])
    candidates = [i for i in interfaces if i.up and not i.is_loopback and i.mac]
    if len(candidates) == 1:
        return check_interface(candidates[0])
    if not candidates:
        raise EnvironmentProblem("no interface to sweep: none is up besides loopback")
    names = ", ".join(i.name for i in candidates)
    raise UsageError(f"no default route and several interfaces ({names}): choose one with -I")


def check_interface(iface: Interface) -> Interface:
    """``iface`` if it can carry ARP / neighbour discovery, else UsageError."""
    if iface.is_loopback:
        raise UsageError(f"{iface.name} is the loopback interface: it has no neighbours")
    if not iface.mac or iface.mac == "00:00:00:00:00:00":
        raise UsageError(f"{iface.name} has no Ethernet address: ARP and neighbour "
                         "discovery need an Ethernet-like link")
    if not iface.up:
        raise UsageError(f"interface {iface.name} is down")
    return iface


def interface_networks(iface: Interface, version: int) -> list[ipaddress.IPv4Interface
                                                       | ipaddress.IPv6Interface]:
    """The interface's addresses of one family with their prefixes."""
    out = []
    for a in (iface.ipv4 if version == 4 else iface.ipv6):
        prefix = a.prefixlen if a.prefixlen is not None else (32 if version == 4 else 128)
        out.append(ipaddress.ip_interface(f"{a.address}/{prefix}"))
    return out


def local_blocks(iface: Interface) -> list[Block]:
    """Each IPv4 network of the interface as a block (point-to-point /32s have none).

    UsageError when the interface has no IPv4 address: ARP needs one to send from.
    """
    nets = interface_networks(iface, 4)
    if not nets:
        raise UsageError(f"{iface.name} has no IPv4 address: an ARP sweep needs one to "
                         "send from (for IPv6 neighbours use -6)")
    blocks = []
    seen = set()
    for n in nets:
        net = n.network
        if net.prefixlen >= 32 or net in seen:
            continue
        seen.add(net)
        blocks.append(Block(str(net), 4, int(net.network_address), int(net.broadcast_address),
                            network=True))
    if not blocks:
        raise UsageError(f"{iface.name} has only /32 addresses: give the block to sweep")
    return blocks


def source_for(block: Block, own: Sequence[ipaddress.IPv4Interface | ipaddress.IPv6Interface]
               ) -> str | None:
    """The interface address to send from for ``block``: one in the same network,
    for IPv6 of the same scope (link-local or not), else the first one."""
    if not own:
        return None
    first = ipaddress.ip_address(block.first)
    for a in own:
        if first in a.network:
            return str(a.ip)
    if block.version == 6:
        link_local = first.is_link_local
        same_kind = [a for a in own if a.ip.is_link_local == link_local]
        if same_kind:
            return str(same_kind[0].ip)
    return str(own[0].ip)


def off_link(blocks: Sequence[Block],
             own: Sequence[ipaddress.IPv4Interface | ipaddress.IPv6Interface]) -> list[Block]:
    """The blocks not inside one of the interface's networks: their hosts, if any, are
    not on the link, and ARP / neighbour discovery does not cross routers."""
    out = []
    for block in blocks:
        kind = ipaddress.IPv4Address if block.version == 4 else ipaddress.IPv6Address
        first, last = kind(block.first), kind(block.last)
        if not any(first in a.network and last in a.network for a in own
                   if a.version == block.version):
            out.append(block)
    return out


def ipv6_source(own: Sequence[ipaddress.IPv6Interface]) -> str | None:
    """The address multicast discovery is sent from: a global one if any (hosts then
    answer from their global addresses), else the link-local one."""
    for a in own:
        if not a.ip.is_link_local:
            return str(a.ip)
    return str(own[0].ip) if own else None


# -- the probes ---------------------------------------------------------------------------------
def arp_request(mac: str, psrc: str) -> bytes:
    """One ARP who-has frame from ``mac``/``psrc`` (target 0.0.0.0), padded to 60 bytes."""
    from netprobe.packet import ARP, Ether

    frame = bytes(Ether(dst=BROADCAST_MAC, src=mac) /
                  ARP(op=1, hwsrc=mac, psrc=psrc, hwdst="00:00:00:00:00:00", pdst="0.0.0.0"))
    if len(frame) != ARP_PDST_OFFSET + 4 or frame[ARP_PDST_OFFSET - 6:] != bytes(10):
        raise AssertionError("the ARP frame is not laid out as stamping expects")
    return frame + bytes(max(0, ETHER_MIN - len(frame)))


def arp_frames(mac: str, psrc: str, targets: Iterable[int]) -> Iterator[bytes]:
    """Who-has frames for every target address (integers), stamped from one frame."""
    base = arp_request(mac, psrc)
    head, tail = base[:ARP_PDST_OFFSET], base[ARP_PDST_OFFSET + 4:]
    for value in targets:
        yield head + value.to_bytes(4, "big") + tail


def solicited_node(address: str) -> str:
    """The solicited-node multicast group of an IPv6 address (ff02::1:ffXX:XXXX)."""
    return str(ipaddress.IPv6Address(in6_getnsma(socket.inet_pton(socket.AF_INET6, address))))


def ns_frame(mac: str, src: str, target: str) -> bytes:
    """A neighbour solicitation for ``target`` to its solicited-node group."""
    from netprobe.packet import Ether, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6

    group = solicited_node(target)
    return bytes(Ether(dst=multicast_mac(group), src=mac) /
                 IPv6(src=src, dst=group, hlim=255) / ICMPv6ND_NS(tgt=target) /
                 ICMPv6NDOptSrcLLAddr(lladdr=mac))


#: where a neighbour solicitation's varying parts sit in its frame: the last three bytes
#: of the Ethernet and IPv6 destinations (the solicited-node group), the ICMPv6
#: checksum and the target address
_NS_ETHER_LOW = slice(3, 6)
_NS_GROUP_LOW = slice(51, 54)
_NS_ICMP = 54
_NS_CKSUM = slice(56, 58)
_NS_TARGET = slice(62, 78)


def ns_frames(mac: str, sources: Sequence[ipaddress.IPv6Interface],
              blocks: Sequence[Block], skip: Iterable[int] = ()) -> Iterator[bytes]:
    """Neighbour solicitations for every address of the IPv6 blocks.

    One frame per block is built by the packet layers; the others are stamped
    from it (target, group and checksum), which is ~50 times faster.
    """
    from netprobe.packet.checksum import checksum, pseudo_header_v6

    skipped = set(skip)
    for block in blocks:
        src = source_for(block, sources)
        if src is None:
            return
        base = bytearray(ns_frame(mac, src, address_text(block.first, 6)))
        src_bytes = socket.inet_pton(socket.AF_INET6, src)
        group = bytearray(socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0"))
        length = len(base) - _NS_ICMP
        for value in block.hosts(skipped):
            target = value.to_bytes(16, "big")
            low = target[13:]
            group[13:] = low
            frame = base[:]
            frame[_NS_ETHER_LOW] = low
            frame[_NS_GROUP_LOW] = low
            frame[_NS_TARGET] = target
            frame[_NS_CKSUM] = b"\0\0"
            cs = checksum(pseudo_header_v6(src_bytes, bytes(group), 58, length)
                          + bytes(frame[_NS_ICMP:]))
            frame[_NS_CKSUM] = cs.to_bytes(2, "big")
            yield bytes(frame)


def cookie(ident: int) -> bytes:
    """The bytes the destination-option probe carries, quoted back in the answers."""
    return COOKIE_MAGIC + (ident & 0xFFFF).to_bytes(2, "big")


def all_nodes_probes(mac: str, src: str, ident: int) -> list[bytes]:
    """The two IPv6 probes to all nodes on the link (ff02::1).

    An echo request, which hosts that answer pings answer; and a packet with
    an unknown destination option of the "always report" kind and no upper
    layer, which the kernel rejects with a Parameter Problem before any
    firewall rule about echo requests can see it: hosts that drop pings are
    found too. Together they find hosts that drop either kind.
    """
    from netprobe.packet import (
        Ether,
        HBHOptUnknown,
        ICMPv6EchoRequest,
        IPv6,
        IPv6ExtHdrDestOpt,
    )

    dst_mac = multicast_mac(ALL_NODES)
    echo = (Ether(dst=dst_mac, src=mac) / IPv6(src=src, dst=ALL_NODES, hlim=255) /
            ICMPv6EchoRequest(id=ident & 0xFFFF, seq=1, data=COOKIE_MAGIC))
    option = (Ether(dst=dst_mac, src=mac) / IPv6(src=src, dst=ALL_NODES, hlim=255, nh=60) /
              IPv6ExtHdrDestOpt(nh=59, options=[HBHOptUnknown(otype=PROBE_OPTION,
                                                              optdata=cookie(ident))]))
    return [bytes(echo), bytes(option)]


def unsolicited_na(mac: str, src: str) -> bytes:
    """An advertisement of our own address ``src`` at ``mac`` to all nodes.

    A host answering the all-nodes probes must first resolve our address; an
    advertisement arriving while it does completes its entry at once (RFC 4861
    7.2.5: an INCOMPLETE entry takes the address, Solicited or not), so a lost
    solicitation or answer does not hold its reply for the one-second
    retransmission. Hosts without an entry for us ignore it, and with
    Override clear, existing entries are not changed.
    """
    from netprobe.packet import Ether, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6

    return bytes(Ether(dst=multicast_mac(ALL_NODES), src=mac) /
                 IPv6(src=src, dst=ALL_NODES, hlim=255) /
                 ICMPv6ND_NA(R=0, S=0, O=0, tgt=src) / ICMPv6NDOptDstLLAddr(lladdr=mac))


def link_scope_networks() -> list[str]:
    """The link-local groups neighbour discovery sends to: all nodes and the
    solicited-node groups. They are not destinations of their own: the plugin
    checks the addresses they reach against the scope before adding them."""
    return ["ff02::1/128", "ff02::1:ff00:0/104"]
