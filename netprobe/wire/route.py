"""Route lookup: which source, interface and gateway the kernel would use.

The kernel's own answer is asked through rtnetlink (RTM_GETROUTE, the
request behind ``ip route get``); nothing is sent on the network. When
netlink is unavailable, ``ip -j route get`` answers instead, and a
connected UDP socket (``connect`` on a datagram socket sends nothing) gives
the source address. Answers are cached for the run.
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import NamedTuple

from netprobe import costs
from netprobe.errors import EnvironmentProblem, UsageError
from netprobe.wire import netlink

# From <linux/rtnetlink.h>.
_RTA_DST = 1
_RTA_OIF = 4
_RTA_GATEWAY = 5
_RTA_PRIORITY = 6
_RTA_PREFSRC = 7
_RTA_TABLE = 15
_RTA_VIA = 18
_RTMSG = struct.Struct(
    "=BBBBBBBBI"
)  # family, dst_len, src_len, tos, table, proto, scope, type, flags
_RTN_UNICAST = 1
_RTN_LOCAL = 2
_RTN_BROADCAST = 3
_RTN_MULTICAST = 5
_REACHABLE_TYPES = {_RTN_UNICAST, _RTN_LOCAL, _RTN_BROADCAST, _RTN_MULTICAST, 4}  # 4 = anycast

# errno values the kernel gives for "there is no usable route".
_NO_ROUTE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EACCES, errno.EINVAL, errno.ESRCH}

_cache: dict[str, Route] = {}


class Route(NamedTuple):
    """The kernel's route to one destination."""

    dst: str
    src: str
    iface: str
    gateway: str | None
    family: int  # 4 or 6

    @property
    def next_hop(self) -> str:
        """The address whose MAC a layer-2 frame needs: the gateway or dst."""
        return self.gateway or self.dst


def route_to(dst: str) -> Route:
    """The route to ``dst`` (IPv4 or IPv6 literal), cached for the run.

    Raises UsageError('no route to DST') when the kernel has none, or when
    ``dst`` is not an address.
    """
    cached = _cache.get(dst)
    if cached is not None:
        return cached
    with costs.span("route lookup"):
        route = _route_to(dst)
    _cache[dst] = route
    return route


def _route_to(dst: str) -> Route:
    """``route_to`` without the cache."""
    address, family, scope_index = _parse(dst)
    try:
        route = _lookup_netlink(address, family, scope_index)
    except (PermissionError, EnvironmentProblem):
        route = _lookup_ip_command(address, family, scope_index)
    except OSError as exc:
        if exc.errno in _NO_ROUTE_ERRNOS:
            raise UsageError(f"no route to {dst}") from None
        route = _lookup_ip_command(address, family, scope_index)
    if not route.src:
        route = Route(route.dst, _source_by_udp(address, family, scope_index), route.iface,
                      route.gateway, family)
    return route


def source_for(dst: str) -> str | None:
    """The source address for ``dst``, or None when there is no route.

    This is the resolver the packet engine calls to fill unset source
    addresses; it never raises for an unroutable destination.
    """
    try:
        if dst in _UNSPECIFIED:
            return _default_route_source(_UNSPECIFIED[dst]) or route_to(dst).src or None
        return route_to(dst).src or None
    except UsageError:
        return None


#: the unspecified addresses, by family: as in Scapy, they take the default route's source
_UNSPECIFIED = {"0.0.0.0": 4, "::": 6}


def _default_route_source(family: int) -> str | None:
    """The source address of the default route (what a longest-prefix match of the
    unspecified address finds), or None without one."""
    from netprobe.wire import iface as iface_mod

    try:
        gw = iface_mod.default_gateway(family)
    except (OSError, ValueError):
        return None
    if gw is None:
        return None
    try:
        return route_to(gw.address).src or None
    except UsageError:
        return None


def install_source_hook() -> None:
    """Register :func:`source_for` with the packet engine.

    The import is deferred to this call so that the wire floor stays cheap
    to import and does not depend on the packet floor at import time.
    """
    from netprobe.packet import route as packet_route
    from netprobe.wire.neighbour import known_next_hop_mac

    packet_route.set_source_resolver(source_for)
    packet_route.set_mac_resolver(source_mac_for)
    packet_route.set_dst_mac_resolver(known_next_hop_mac)


def source_mac_for(dst: str) -> str | None:
    """The MAC address of the interface the route to ``dst`` leaves by (the unspecified
    address takes the default route's), or None: loopback, no route, no address."""
    from netprobe.wire import iface as iface_mod

    try:
        if dst in _UNSPECIFIED:
            gw = iface_mod.default_gateway(_UNSPECIFIED[dst])
            name = gw.iface if gw is not None else route_to(dst).iface
        else:
            name = route_to(dst).iface
        return iface_mod.interface(name).mac
    except (UsageError, OSError, ValueError, KeyError):
        return None


def _parse(dst: str) -> tuple[str, int, int]:
    """Split ``dst`` into (address, family 4/6, scope interface index or 0)."""
    address, _, scope = dst.partition("%")
    for af, family in ((socket.AF_INET, 4), (socket.AF_INET6, 6)):
        try:
            socket.inet_pton(af, address)
        except OSError:
            continue
        index = 0
        if scope:
            try:
                index = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
            except OSError:
                raise UsageError(f"no such interface: {scope!r} (in {dst!r})") from None
        return address, family, index
    raise UsageError(f"not an IP address: {dst!r}")


def _lookup_netlink(address: str, family: int, scope_index: int) -> Route:
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    packed = socket.inet_pton(af, address)
    header = _RTMSG.pack(af, len(packed) * 8, 0, 0, 0, 0, 0, 0, 0)
    attrs = netlink.pack_attr(_RTA_DST, packed)
    if scope_index:
        attrs += netlink.pack_attr(_RTA_OIF, struct.pack("=I", scope_index))
    try:
        answers = list(netlink.request(netlink.RTM_GETROUTE, 0, header, attrs))
    except TimeoutError:
        raise EnvironmentProblem("netlink route query timed out") from None
    except OSError as exc:
        if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
            raise EnvironmentProblem("netlink is not available") from None
        raise
    for message in answers:
        rtm_type = _RTMSG.unpack(message.header[: _RTMSG.size])[7]
        if rtm_type not in _REACHABLE_TYPES:
            raise OSError(errno.ENETUNREACH, "unreachable route type")
        oif = message.attrs.get(_RTA_OIF)
        iface = socket.if_indextoname(struct.unpack("=I", oif)[0]) if oif else ""
        gateway = _gateway(message.attrs, af)
        src_raw = message.attrs.get(_RTA_PREFSRC)
        src = socket.inet_ntop(af, src_raw) if src_raw else ""
        return Route(address, src, iface, gateway, family)
    raise OSError(errno.ENETUNREACH, "no route in the kernel's answer")


def dump_routes(family: int) -> list[dict[str, object]]:
    """Every route of every table of ``family`` (``AF_INET``/``AF_INET6``), as the kernel
    lists them (an rtnetlink dump): destination and gateway packed, the interface by name.
    Empty where netlink cannot be asked."""
    header = _RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
    try:
        messages = list(netlink.request(netlink.RTM_GETROUTE, netlink.NLM_F_DUMP, header))
    except OSError:
        return []
    out: list[dict[str, object]] = []
    for m in messages:
        _, dst_len, _, _, table, _, _, rtype, _ = _RTMSG.unpack(m.header[:_RTMSG.size])
        a = m.attrs
        if _RTA_TABLE in a:
            table = struct.unpack("=I", a[_RTA_TABLE])[0]
        oif = struct.unpack("=I", a[_RTA_OIF])[0] if _RTA_OIF in a else 0
        try:
            name = socket.if_indextoname(oif) if oif else ""
        except OSError:
            name = ""
        out.append({"dst": a.get(_RTA_DST), "dst_len": dst_len, "table": table,
                    "type": rtype, "iface": name, "gateway": a.get(_RTA_GATEWAY),
                    "prefsrc": a.get(_RTA_PREFSRC),
                    "priority": struct.unpack("=I", a[_RTA_PRIORITY])[0]
                    if _RTA_PRIORITY in a else 0})
    return out


def _gateway(attrs: dict[int, bytes], af: int) -> str | None:
    raw = attrs.get(_RTA_GATEWAY)
    if raw:
        return socket.inet_ntop(af, raw)
    via = attrs.get(_RTA_VIA)  # an IPv4 route through an IPv6 next hop: family + address
    if via and len(via) > 2:
        via_af = struct.unpack("=H", via[:2])[0]
        return socket.inet_ntop(via_af, via[2:])
    return None


def _lookup_ip_command(address: str, family: int, scope_index: int) -> Route:
    # the fallback without netlink: its modules are loaded only when it runs
    import json
    import shutil
    import subprocess

    ip = shutil.which("ip")
    if ip is None:
        raise EnvironmentProblem(
            "cannot look up routes: netlink unavailable and no 'ip' command (iproute2)")
    cmd = [ip, "-j", f"-{family}", "route", "get", address]
    if scope_index:
        cmd += ["oif", socket.if_indextoname(scope_index)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False)
    if done.returncode != 0:
        raise UsageError(f"no route to {address}")
    try:
        entry = json.loads(done.stdout)[0]
    except (ValueError, IndexError):
        raise EnvironmentProblem(f"cannot read 'ip route get' output: {done.stdout[:80]!r}"
                                 ) from None
    if entry.get("type") in ("unreachable", "blackhole", "prohibit", "throw"):
        raise UsageError(f"no route to {address}")
    return Route(address, entry.get("prefsrc", ""), entry.get("dev", ""), entry.get("gateway"),
                 family)


def _source_by_udp(address: str, family: int, scope_index: int) -> str:
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    target = (address, 9) if family == 4 else (address, 9, 0, scope_index)
    with socket.socket(af, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(target)  # picks a route and a source; sends nothing
        except OSError:
            raise UsageError(f"no route to {address}") from None
        return sock.getsockname()[0].split("%", 1)[0]
