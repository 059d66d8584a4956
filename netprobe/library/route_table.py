"""The kernel's routing tables as Scapy prints them (``conf.route``, ``conf.route6``).

Read from ``/proc/net/route`` and ``/proc/net/ipv6_route`` (the main table), each
time they are shown, so they are never stale. Read-only: netprobe asks the kernel
for every route it uses (``route(dst)``), so a change here could not take effect;
change the kernel's tables with ``ip route`` instead.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import Any

from netprobe.errors import UsageError

__all__ = ["RouteTable", "RouteTable6"]

_RTF_UP = 0x0001
_RTF_REJECT = 0x0200


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns as wide as their widest entry, two spaces apart (Scapy's layout)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True))
                     for row in [header, *rows])


def _ipv4_of(iface: str) -> str:
    from netprobe.wire import iface as iface_mod

    try:
        addrs = iface_mod.interface(iface).ipv4
    except Exception:  # an interface gone since the table was read
        return "0.0.0.0"
    return addrs[0].address if addrs else "0.0.0.0"


def _ipv6_of(iface: str) -> list[str]:
    from netprobe.wire import iface as iface_mod

    try:
        return [a.address for a in iface_mod.interface(iface).ipv6]
    except Exception:
        return []


class _ReadOnly:
    """Refuses Scapy's table-editing calls with the reason."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise UsageError("netprobe's route tables are the kernel's, read-only: change them "
                         "with 'ip route' (netprobe asks the kernel for every route it uses)")

    add = delt = resync = ifchange = ifdel = ifadd = _refuse


class RouteTable(_ReadOnly):
    """IPv4 routes: (network, netmask, gateway, interface, output IP, metric)."""

    @property
    def routes(self) -> list[tuple[int, int, str, str, str, int]]:
        """Scapy's tuples: network and netmask as integers, then the texts and metric."""
        out = []
        try:
            with open("/proc/net/route", encoding="ascii") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            return out
        for line in lines:
            parts = line.split()
            if len(parts) < 8:
                continue
            flags = int(parts[3], 16)
            if not flags & _RTF_UP or flags & _RTF_REJECT:
                continue
            # each address is the kernel's u32 in host (little-endian) order
            net, gw, netmask = (struct.unpack("!I", struct.pack("<I", int(p, 16)))[0]
                                for p in (parts[1], parts[2], parts[7]))
            gateway = socket.inet_ntoa(struct.pack("!I", gw))
            out.append((net, netmask, gateway, parts[0], _ipv4_of(parts[0]), int(parts[6])))
        out.sort(key=lambda r: (r[0], r[1]))
        return out

    def route(self, dst: str | None = None, verbose: Any = None) -> tuple[str, str, str]:
        """(interface, source address, gateway) the kernel would use for ``dst``."""
        from netprobe.wire import route

        r = route.route_to(dst or "0.0.0.0")
        return r.iface, r.src, r.gateway or "0.0.0.0"

    def __repr__(self) -> str:
        rows = [[socket.inet_ntoa(struct.pack("!I", n)), socket.inet_ntoa(struct.pack("!I", m)),
                 gw, iface, src, str(metric)] for n, m, gw, iface, src, metric in self.routes]
        return _text_table(["Network", "Netmask", "Gateway", "Iface", "Output IP", "Metric"],
                           rows)


class RouteTable6(_ReadOnly):
    """IPv6 routes: (destination, prefix length, next hop, interface, sources, metric)."""

    @property
    def routes(self) -> list[tuple[str, int, str, str, list[str], int]]:
        """Scapy's tuples."""
        out = []
        try:
            with open("/proc/net/ipv6_route", encoding="ascii") as f:
                lines = f.read().splitlines()
        except OSError:
            return out
        for line in lines:
            parts = line.split()
            if len(parts) < 10:
                continue
            flags = int(parts[8], 16)
            if not flags & _RTF_UP or flags & _RTF_REJECT:
                continue
            dst = str(ipaddress.IPv6Address(bytes.fromhex(parts[0])))
            hop = str(ipaddress.IPv6Address(bytes.fromhex(parts[4])))
            out.append((dst, int(parts[1], 16), hop, parts[9], _ipv6_of(parts[9]),
                        int(parts[5], 16)))
        return out

    def route(self, dst: str | None = None, verbose: Any = None) -> tuple[str, str, str]:
        """(interface, source address, next hop) the kernel would use for ``dst``."""
        from netprobe.wire import route

        r = route.route_to(dst or "::")
        return r.iface, r.src, r.gateway or "::"

    def __repr__(self) -> str:
        rows = []
        for dst, plen, hop, iface, sources, metric in self.routes:
            rows.append([f"{dst}/{plen}", hop, iface, sources[0] if sources else "",
                         str(metric)])
            rows.extend(["", "", "", s, ""] for s in sources[1:])
        return _text_table(["Destination", "Next Hop", "Iface", "Src candidates", "Metric"],
                           rows)
