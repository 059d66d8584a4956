"""Network interfaces: names, indexes, MAC, addresses, MTU, default gateways.

Addresses and gateways come from ``netifaces`` (the netifaces-plus wheel);
the MTU and the up/down state come from ``/sys/class/net``, which netifaces
does not report.
"""

from __future__ import annotations

import socket
from typing import NamedTuple

import netifaces

from netprobe.errors import UsageError

_SYS_NET = "/sys/class/net"


class Address(NamedTuple):
    """One address on an interface, with its netmask and prefix length."""

    address: str
    netmask: str | None
    prefixlen: int | None
    broadcast: str | None = None


class Interface(NamedTuple):
    """An interface as the kernel sees it now."""

    name: str
    index: int
    mac: str | None
    mtu: int | None
    up: bool
    ipv4: tuple[Address, ...]
    ipv6: tuple[Address, ...]

    @property
    def is_loopback(self) -> bool:
        """True for the loopback interface (no link-layer address to speak of)."""
        return self.name == "lo" or any(a.address.startswith("127.") for a in self.ipv4)


class Gateway(NamedTuple):
    """A default gateway: the router's address and the interface it is on."""

    address: str
    iface: str
    family: int  # 4 or 6


def interface_names() -> list[str]:
    """Names of all interfaces, in the kernel's order."""
    return list(netifaces.interfaces())


def interfaces() -> list[Interface]:
    """All interfaces with their addresses, MTU and index."""
    found = []
    for name in interface_names():
        try:
            found.append(_describe(name))
        except (OSError, ValueError):
            continue  # vanished between listing and reading: not worth failing for
    return found


def interface(name: str) -> Interface:
    """The interface called ``name``; UsageError when there is none."""
    if name not in interface_names():
        known = ", ".join(interface_names()) or "none"
        raise UsageError(f"no such interface: {name!r} (interfaces here: {known})")
    try:
        return _describe(name)
    except (OSError, ValueError) as exc:
        raise UsageError(f"no such interface: {name!r} ({exc})") from None


def require_interface(name: str) -> str:
    """Return ``name`` if such an interface exists, else raise UsageError."""
    return interface(name).name


def default_gateways() -> dict[int, Gateway]:
    """Default gateways by family (4, 6); a family without one is absent."""
    table = netifaces.gateways().get("default", {})
    found: dict[int, Gateway] = {}
    for af, family in ((netifaces.AF_INET, 4), (netifaces.AF_INET6, 6)):
        entry = table.get(af)
        if entry:
            address, iface = entry[0], entry[1]
            found[family] = Gateway(_strip_scope(address), iface, family)
    return found


def default_gateway(family: int = 4) -> Gateway | None:
    """The default gateway for IPv4 (``family=4``) or IPv6 (``6``), or None."""
    return default_gateways().get(family)


def _describe(name: str) -> Interface:
    addrs = netifaces.ifaddresses(name)
    links = addrs.get(netifaces.AF_PACKET) or addrs.get(netifaces.AF_LINK) or []
    mac = links[0].get("addr") if links else None
    return Interface(name=name, index=socket.if_nametoindex(name), mac=mac or None,
                     mtu=sys_net_int(name, "mtu"), up=_is_up(name),
                     ipv4=tuple(_address4(a) for a in addrs.get(netifaces.AF_INET, [])),
                     ipv6=tuple(_address6(a) for a in addrs.get(netifaces.AF_INET6, [])))


def _address4(entry: dict[str, str]) -> Address:
    netmask = entry.get("netmask")
    prefix = _mask_to_prefix(netmask) if netmask else None
    return Address(entry["addr"], netmask, prefix, entry.get("broadcast"))


def _address6(entry: dict[str, str]) -> Address:
    # netifaces writes IPv6 masks as "ffff:ffff:ffff:ffff::/64" and link-local
    # addresses with a "%iface" suffix; keep the plain forms.
    raw_mask = entry.get("netmask")
    mask, prefix = None, None
    if raw_mask:
        mask, _, bits = raw_mask.partition("/")
        prefix = int(bits) if bits.isdigit() else _mask_to_prefix(mask)
    return Address(_strip_scope(entry["addr"]), mask, prefix)


def _mask_to_prefix(mask: str) -> int | None:
    family = socket.AF_INET6 if ":" in mask else socket.AF_INET
    try:
        value = int.from_bytes(socket.inet_pton(family, mask), "big")
    except OSError:
        return None
    return bin(value).count("1")


def _strip_scope(address: str) -> str:
    return address.split("%", 1)[0]


def sys_net_int(name: str, attr: str, base: int = 10) -> int | None:
    """``/sys/class/net/NAME/ATTR`` as a number (``base`` 16 for ``flags``), or None when
    it cannot be read (no such interface)."""
    try:
        with open(f"{_SYS_NET}/{name}/{attr}", encoding="ascii") as handle:
            return int(handle.read().strip(), base)
    except (OSError, ValueError):
        return None


def _is_up(name: str) -> bool:
    # IFF_UP (0x1) in the flags word: administratively up, whatever the carrier.
    return bool((sys_net_int(name, "flags", 16) or 0) & 0x1)
