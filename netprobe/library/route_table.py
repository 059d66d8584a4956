"""The kernel's routing tables as Scapy prints them (``conf.route``, ``conf.route6``).

The kernel's main and local tables (an rtnetlink dump, as Scapy reads them),
read each time they are shown, so they are never stale. Read-only: netprobe asks the kernel
for every route it uses (``route(dst)``), so a change here could not take effect;
change the kernel's tables with ``ip route`` instead.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.library.interfaces import default_iface, get_if_addr
from netprobe.wire.route import dump_routes

__all__ = ["RouteTable", "RouteTable6"]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns as wide as their widest entry, two spaces apart (Scapy's layout)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True))
                     for row in [header, *rows])


def _ipv4_of(iface: str) -> str:
    try:
        return get_if_addr(iface)
    except Exception:  # an interface gone since the table was read
        return "0.0.0.0"


def _sources6(iface: str, dst: ipaddress.IPv6Address) -> list[str]:
    """The interface's addresses a route to ``dst`` may leave from: those of its scope
    (link-local for a link-local destination, global otherwise), all for multicast."""
    from netprobe.wire import iface as iface_mod

    try:
        addrs = [a.address for a in iface_mod.interface(iface).ipv6]
    except Exception:  # an interface gone since the table was read
        return []
    if dst.is_multicast:
        return addrs
    local = dst.is_link_local
    return [a for a in addrs if ipaddress.IPv6Address(a).is_link_local == local]


_MAIN, _LOCAL = 254, 255
#: route types shown: unicast, local, broadcast
_SHOWN = (1, 2, 3)
class _ReadOnly:
    """Refuses Scapy's table-editing calls with the reason; asks the kernel for a route."""

    #: the family's unspecified address: the default destination, and "no gateway"
    _unspecified = "0.0.0.0"

    def route(self, dst: str | None = None, verbose: Any = None) -> tuple[str, str, str]:
        """(interface, source address, gateway or next hop) the kernel would use for ``dst``."""
        from netprobe.wire import route

        r = route.route_to(dst or self._unspecified)
        return r.iface, r.src, r.gateway or self._unspecified

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise UsageError("netprobe's route tables are the kernel's, read-only: change them "
                         "with 'ip route' (netprobe asks the kernel for every route it uses)")

    add = delt = resync = ifchange = ifdel = ifadd = _refuse


class RouteTable(_ReadOnly):
    """IPv4 routes: (network, netmask, gateway, interface, output IP, metric)."""

    @property
    def routes(self) -> list[tuple[int, int, str, str, str, int]]:
        """Scapy's tuples, network and netmask as integers: the kernel's main and local
        tables (unicast, local and broadcast routes), and the multicast route Scapy adds
        on the default interface."""
        out = []
        for r in dump_routes(socket.AF_INET):
            if r["table"] not in (_MAIN, _LOCAL) or r["type"] not in _SHOWN:
                continue
            net = struct.unpack("!I", r["dst"] or bytes(4))[0]
            mask = (0xFFFFFFFF << (32 - r["dst_len"])) & 0xFFFFFFFF
            gw = socket.inet_ntoa(r["gateway"]) if r["gateway"] else "0.0.0.0"
            src = socket.inet_ntoa(r["prefsrc"]) if r["prefsrc"] else "0.0.0.0"
            out.append((net, mask, gw, r["iface"], src, r["priority"]))
        default = default_iface()
        if default is not None:
            out.append((0xE0000000, 0xF0000000, "0.0.0.0", default, _ipv4_of(default), 250))
        out.sort(key=lambda r: (r[0], r[1]))
        return out

    def __repr__(self) -> str:
        rows = [[socket.inet_ntoa(struct.pack("!I", n)), socket.inet_ntoa(struct.pack("!I", m)),
                 gw, iface, src, str(metric)] for n, m, gw, iface, src, metric in self.routes]
        return _text_table(["Network", "Netmask", "Gateway", "Iface", "Output IP", "Metric"],
                           rows)


class RouteTable6(_ReadOnly):
    """IPv6 routes: (destination, prefix length, next hop, interface, sources, metric)."""

    _unspecified = "::"

    @property
    def routes(self) -> list[tuple[str, int, str, str, list[str], int]]:
        """Scapy's tuples: the kernel's main and local tables (the multicast route at
        Scapy's metric 250), longest prefixes first, each with the interface's addresses
        of the destination's scope (link-local, global; all for multicast)."""
        out = []
        for r in dump_routes(socket.AF_INET6):
            if r["table"] not in (_MAIN, _LOCAL) or r["type"] not in (1, 2, 5):
                continue
            dst = ipaddress.IPv6Address(r["dst"] or bytes(16))
            hop = str(ipaddress.IPv6Address(r["gateway"])) if r["gateway"] else "::"
            metric = 250 if r["type"] == 5 else r["priority"]
            out.append((dst, r["dst_len"], hop, r["iface"], _sources6(r["iface"], dst),
                        metric))
        out.sort(key=lambda r: (-r[1], int(r[0])))
        return [(str(d), n, h, i, src, m) for d, n, h, i, src, m in out]

    def __repr__(self) -> str:
        rows = []
        for dst, plen, hop, iface, sources, metric in self.routes:
            rows.append([f"{dst}/{plen}", hop, iface, sources[0] if sources else "",
                         str(metric)])
            rows.extend(["", "", "", s, ""] for s in sources[1:])
        return _text_table(["Destination", "Next Hop", "Iface", "Src candidates", "Metric"],
                           rows)
