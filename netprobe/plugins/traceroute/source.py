"""Where a trace leaves from and where its answers come in.

Without ``-i`` the kernel's route to the destination decides the interface
and the source address. With it, the probes leave by that interface whatever
the routes say (the engine pins its sockets there, as ``traceroute -i``
does), from the route's source address when the route goes that way anyway,
else from the interface's own address of the trace's family.

The answers are read without a capture ring (``wire.lightcapture``): a trace
is a small job, and opening and closing a ring costs the kernel's grace
periods (20-50 ms of a 0.1 s trace). IPv4: raw sockets of ICMP and of the
probes' own protocol, which see what is delivered to this host by any
interface (or only by the one ``-i`` names); IPv6: a packet socket on the
interface. Either way through a kernel filter that passes ICMP from anyone
and other packets from the destination only.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from netprobe.errors import UsageError

if TYPE_CHECKING:
    from netprobe.wire.capture import Capture
    from netprobe.wire.lightcapture import IpCapture, LinkCapture

#: the IP protocol of each method's probes (what the destination answers in, besides ICMP)
_PROTOCOL = {"udp": socket.IPPROTO_UDP, "tcp": socket.IPPROTO_TCP}


class Source(NamedTuple):
    """The interface to pin the probes to (None: the route's) and their source address."""

    iface: str | None
    src: str


def check_interface(name: str) -> None:
    """Refuse an interface that does not exist or is down (UsageError, exit 2), before
    anything else is done."""
    from netprobe.wire import iface as iface_mod

    found = iface_mod.interface(name)  # "no such interface: ... (interfaces here: ...)"
    if not found.up:
        raise UsageError(f"interface {name} is down")


def pick_address(addresses: list[str], family: int, dst: str) -> str | None:
    """The address to send from among an interface's ``addresses``: the first of
    ``family``, a global one before a link-local one unless ``dst`` is link-local. Pure."""
    link_dst = family == 6 and ipaddress.ip_address(dst).is_link_local
    ranked: list[tuple[int, int, str]] = []
    for i, text in enumerate(addresses):
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        if address.version != family:
            continue
        local = address.is_link_local
        ranked.append((0 if local == link_dst else 1, i, str(address)))
    return min(ranked)[2] if ranked else None


def source(dst: str, family: int, iface: str | None) -> Source:
    """The :class:`Source` of a trace to ``dst`` (UsageError: no route, or no address of
    the family on ``iface``)."""
    from netprobe.wire import route

    if iface is None:
        return Source(None, route.route_to(dst).src)
    try:
        way = route.route_to(dst)
    except UsageError:
        way = None  # no route: on the link of the interface, as traceroute -i takes it
    if way is not None and way.iface == iface:
        return Source(iface, way.src)
    from netprobe.wire import iface as iface_mod

    found = iface_mod.interface(iface)
    src = pick_address([a.address for a in (*found.ipv4, *found.ipv6)], family, dst)
    if src is None:
        raise UsageError(f"interface {iface} has no IPv{family} address to send from")
    return Source(iface, src)


def answer_filter(family: int, dst: str) -> str:
    """The kernel filter (pcap-filter(7)) of a trace's answers: every ICMP message (the
    routers' errors quote the probe), anything else only from the destination."""
    return f"icmp or src host {dst}" if family == 4 else f"icmp6 or (ip6 and src host {dst})"


def answer_capture(family: int, method: str, pinned: bool
                   ) -> Callable[..., IpCapture | LinkCapture | Capture]:
    """The engine ``Session``'s ``capture_class`` for a trace, called as ``Capture`` is:
    ``(iface, bpf, **keywords)``. Unless ``pinned`` (``-i``), the IPv4 sockets read
    answers from every interface (a path back may come in by another); IPv6 reads the
    interface (libpcap's capture where its frames have no Ethernet header)."""
    from netprobe.wire.lightcapture import IpCapture, LinkCapture

    if family == 4:
        protocols = (socket.IPPROTO_ICMP, *([_PROTOCOL[method]] if method in _PROTOCOL else []))

        def ip_capture(iface: str, bpf: str | None = None, **_keywords: object) -> IpCapture:
            return IpCapture(iface if pinned else None, bpf, protocols=protocols)

        return ip_capture

    def link_capture(iface: str, bpf: str | None = None, **keywords: object
                     ) -> LinkCapture | Capture:
        if LinkCapture.supports(iface):
            return LinkCapture(iface, bpf)
        from netprobe.wire.capture import Capture

        return Capture(iface, bpf, **keywords)

    return link_capture


__all__ = ["Source", "answer_capture", "answer_filter", "check_interface", "pick_address",
           "source"]
