"""Neighbour resolution (ARP for IPv4, NDP for IPv6) through the kernel.

First the kernel's neighbour table is read (rtnetlink RTM_GETNEIGH, or
``/proc/net/arp`` and ``ip -j neigh`` when netlink is unavailable). When the
address is not there, the kernel is made to resolve it: an empty UDP
datagram to the discard port (9) of the neighbour makes the kernel send its
own ARP request or neighbour solicitation; the table is then re-read until
an answer appears or the wait runs out. Found MACs are cached for the run.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import NamedTuple

from netprobe import costs
from netprobe.errors import UsageError
from netprobe.wire import netlink
from netprobe.wire.route import route_to

_NDMSG = struct.Struct("=BBHiHBB")  # family, pad, pad, ifindex, state, flags, type
_NDA_DST = 1
_NDA_LLADDR = 2

# NUD_* states from <linux/neighbour.h>: the ones in which the link-layer
# address is known and usable.
_STATE_NAMES = {0x01: "incomplete", 0x02: "reachable", 0x04: "stale", 0x08: "delay",
                0x10: "probe", 0x20: "failed", 0x40: "noarp", 0x80: "permanent"}
_USABLE = {"reachable", "stale", "delay", "probe", "permanent", "noarp"}

_DISCARD_PORT = 9
_POLL_S = 0.005
_RETRIGGER_S = 0.25

_cache: dict[tuple[str, str], str] = {}


class Neighbour(NamedTuple):
    """One entry of the kernel's neighbour table."""

    ip: str
    mac: str | None
    iface: str
    state: str

    @property
    def usable(self) -> bool:
        """True when the MAC is known and the kernel would use it."""
        return self.mac is not None and self.state in _USABLE


def neighbour_table(family: int | None = None) -> list[Neighbour]:
    """The kernel's neighbour table; ``family`` 4 or 6 limits it to one family."""
    try:
        return _table_netlink(family)
    except OSError:
        return _table_fallback(family)


def lookup(ip: str, iface: str | None = None) -> str | None:
    """The MAC the kernel already knows for ``ip`` (on ``iface``), or None."""
    family = 6 if ":" in ip else 4
    for entry in neighbour_table(family):
        if entry.ip == ip and entry.usable and (iface is None or entry.iface == iface):
            return entry.mac
    return None


def resolve(ip: str, iface: str | None = None, *, timeout: float = 1.0) -> str | None:
    """The MAC of on-link neighbour ``ip``, asking the kernel to resolve it.

    ``iface`` defaults to the interface of the route to ``ip``. Returns None
    when nobody answered within ``timeout`` seconds. Raises UsageError when
    ``ip`` is not on a directly connected network (ask for the gateway's MAC
    instead: :func:`next_hop_mac`).
    """
    route = route_to(ip)
    if route.gateway is not None:
        raise UsageError(
            f"{ip} is not on a directly connected network (it is reached via {route.gateway})")
    iface = iface or route.iface
    key = (ip, iface)
    if key in _cache:
        return _cache[key]
    with costs.span("neighbour lookup"):
        mac = _resolve(ip, iface, timeout)
    if mac is not None:
        _cache[key] = mac
    return mac


def _resolve(ip: str, iface: str, timeout: float) -> str | None:
    """The table's answer for ``ip``, else the kernel made to resolve it (waiting)."""
    mac = lookup(ip, iface)
    deadline = time.monotonic() + max(0.0, timeout)
    next_trigger = 0.0
    while mac is None:
        now = time.monotonic()
        if now >= deadline:
            return None
        if now >= next_trigger:
            _trigger(ip, iface)
            next_trigger = now + _RETRIGGER_S
        time.sleep(_POLL_S)
        mac = lookup(ip, iface)
    return mac


def next_hop_mac(dst: str, *, timeout: float = 1.0) -> tuple[str, str] | None:
    """(interface, MAC) to put in a frame for ``dst``: the gateway's or dst's own.

    None when the next hop does not answer within ``timeout`` seconds, and at once
    when the route's interface has no neighbours to ask (loopback, or an interface
    that does no ARP/NDP: tunnels, point-to-point links).
    """
    route = route_to(dst)
    if not has_neighbours(route.iface):
        return None
    mac = resolve(route.next_hop, route.iface, timeout=timeout)
    return (route.iface, mac) if mac is not None else None


def known_next_hop_mac(dst: str) -> str | None:
    """The MAC the kernel already knows for the next hop towards ``dst`` (its gateway,
    or ``dst`` on a link), or None; nothing is sent to learn it (what an unset Ethernet
    destination is built with, as Scapy fills it from its ARP cache)."""
    route = route_to(dst)
    if not has_neighbours(route.iface):
        return None
    return lookup(route.next_hop, route.iface)


#: interface flags (linux/if.h) that mean "no link-layer neighbours": IFF_LOOPBACK, IFF_NOARP
_NO_NEIGHBOURS = 0x8 | 0x80


def has_neighbours(iface: str) -> bool:
    """Whether frames on ``iface`` go to a neighbour's MAC (False for loopback, and for
    interfaces without ARP/NDP); True when the flags cannot be read."""
    from netprobe.wire.iface import sys_net_int

    flags = sys_net_int(iface, "flags", 16)
    return iface != "lo" if flags is None else not flags & _NO_NEIGHBOURS


def clear_neighbour_cache() -> None:
    """Forget the MACs found so far in this run."""
    _cache.clear()


def _trigger(ip: str, iface: str) -> None:
    """Make the kernel resolve ``ip`` by sending it an empty UDP datagram.

    The kernel queues the datagram while it sends ARP/NDP, so resolution
    starts at once; the datagram itself goes to the discard port.
    """
    af = socket.AF_INET6 if ":" in ip else socket.AF_INET
    target = ((ip, _DISCARD_PORT) if af == socket.AF_INET
              else (ip, _DISCARD_PORT, 0, socket.if_nametoindex(iface)))
    try:
        with socket.socket(af, socket.SOCK_DGRAM) as sock:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
            except OSError:
                pass  # unprivileged: the route's own choice of interface is used
            sock.connect(target)
            sock.send(b"")
    except OSError:
        # EHOSTUNREACH from an earlier failed resolution: the table read
        # decides the outcome, the next trigger tries again.
        pass


def _table_netlink(family: int | None) -> list[Neighbour]:
    af = {4: socket.AF_INET, 6: socket.AF_INET6}.get(family or 0, socket.AF_UNSPEC)
    header = _NDMSG.pack(af, 0, 0, 0, 0, 0, 0)
    names: dict[int, str] = {}
    found = []
    for message in netlink.request(netlink.RTM_GETNEIGH, netlink.NLM_F_DUMP, header):
        msg_af, _, _, index, state, _, _ = _NDMSG.unpack(message.header)
        dst = message.attrs.get(_NDA_DST)
        if dst is None or msg_af not in (socket.AF_INET, socket.AF_INET6):
            continue
        lladdr = message.attrs.get(_NDA_LLADDR)
        if index not in names:
            try:
                names[index] = socket.if_indextoname(index)
            except OSError:
                names[index] = str(index)
        found.append(
            Neighbour(
                ip=socket.inet_ntop(msg_af, dst),
                mac=":".join(f"{b:02x}" for b in lladdr) if lladdr and len(lladdr) == 6 else None,
                iface=names[index],
                state=_state_name(state),
            )
        )
    return found


def _state_name(state: int) -> str:
    for bit, name in _STATE_NAMES.items():
        if state & bit:
            return name
    return "none"


def _table_fallback(family: int | None) -> list[Neighbour]:
    found: list[Neighbour] = []
    if family in (None, 4):
        found += _proc_net_arp()
    if family in (None, 6):
        found += _ip_neigh(6)
    return found


def _proc_net_arp() -> list[Neighbour]:
    try:
        with open("/proc/net/arp", encoding="ascii") as table:
            lines = table.read().splitlines()[1:]
    except OSError:
        return _ip_neigh(4)
    found = []
    for line in lines:
        parts = line.split()
        if len(parts) < 6:
            continue
        complete = int(parts[2], 16) & 0x2  # ATF_COM: the address is resolved
        permanent = int(parts[2], 16) & 0x4  # ATF_PERM
        state = "permanent" if permanent else "reachable" if complete else "incomplete"
        mac = parts[3].lower() if complete else None
        found.append(Neighbour(parts[0], mac, parts[5], state))
    return found


def _ip_neigh(family: int) -> list[Neighbour]:
    # the fallback without netlink: its modules are loaded only when it runs
    import json
    import shutil
    import subprocess

    ip = shutil.which("ip")
    if ip is None:
        return []
    done = subprocess.run([ip, "-j", f"-{family}", "neigh", "show"], capture_output=True, text=True,
                          timeout=5, check=False)
    try:
        entries = json.loads(done.stdout or "[]")
    except ValueError:
        return []
    found = []
    for entry in entries:
        states = [s.lower() for s in entry.get("state", [])] or ["none"]
        found.append(
            Neighbour(entry.get("dst", ""), entry.get("lladdr"), entry.get("dev", ""), states[0]))
    return found
