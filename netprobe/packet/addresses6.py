"""IPv6 address helpers with Scapy's names: kinds of addresses, scopes, masks, interface
identifiers, and the ``valid_*`` checks.

Text in, as Scapy takes it (``in6_islladdr("fe80::1")``); ``in6_and``/``in6_or``/
``in6_xor`` and ``in6_cidr2mask`` work on 16-byte packed addresses. Scopes are
Scapy's numbers (``IPV6_ADDR_GLOBAL`` 0, ``IPV6_ADDR_LOOPBACK`` 16,
``IPV6_ADDR_LINKLOCAL`` 32, ``IPV6_ADDR_SITELOCAL`` 64; -1 for none).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from netprobe.packet.addresses import valid_ip6

__all__ = [
    "IPV6_ADDR_GLOBAL",
    "IPV6_ADDR_LINKLOCAL",
    "IPV6_ADDR_LOOPBACK",
    "IPV6_ADDR_MULTICAST",
    "IPV6_ADDR_SITELOCAL",
    "IPV6_ADDR_UNICAST",
    "in6_addrtomac",
    "in6_and",
    "in6_cidr2mask",
    "in6_get_common_plen",
    "in6_getscope",
    "in6_ifaceidtomac",
    "in6_isaddr6to4",
    "in6_isdocaddr",
    "in6_isgladdr",
    "in6_isincluded",
    "in6_islladdr",
    "in6_isllsnmaddr",
    "in6_ismaddr",
    "in6_ismgladdr",
    "in6_ismnladdr",
    "in6_issladdr",
    "in6_isuladdr",
    "in6_isvalid",
    "in6_mactoifaceid",
    "in6_or",
    "in6_xor",
    "valid_mac",
    "valid_net",
    "valid_net6",
]

IPV6_ADDR_GLOBAL = 0x00
IPV6_ADDR_UNICAST = 0x01
IPV6_ADDR_MULTICAST = 0x02
IPV6_ADDR_LOOPBACK = 0x10
IPV6_ADDR_LINKLOCAL = 0x20
IPV6_ADDR_SITELOCAL = 0x40
_NO_SCOPE = -1
#: a multicast address's scope nibble -> Scapy's scope number
_MCAST_SCOPES = {0x1: IPV6_ADDR_LOOPBACK, 0x2: IPV6_ADDR_LINKLOCAL,
                 0x5: IPV6_ADDR_SITELOCAL, 0xE: IPV6_ADDR_GLOBAL}


def _int(addr: str) -> int:
    return int.from_bytes(socket.inet_pton(socket.AF_INET6, addr), "big")


def _in(addr: str, prefix: int, plen: int) -> bool:
    return _int(addr) >> (128 - plen) == prefix >> (128 - plen)


def in6_isincluded(addr: str, prefix: str, plen: int) -> bool:
    """True when ``addr`` lies in ``prefix``/``plen``."""
    return _in(addr, _int(prefix), plen)


def _prefix_test(name: str, prefix: str, plen: int, what: str) -> Callable[[str], bool]:
    """Scapy's ``name``: true when an address lies in ``prefix``/``plen`` (``what``)."""
    start = _int(prefix)

    def test(str: str) -> bool:  # Scapy's argument name
        return _in(str, start, plen)

    test.__name__ = test.__qualname__ = name
    test.__doc__ = f"{what} ({prefix}/{plen})."
    return test


in6_islladdr = _prefix_test("in6_islladdr", "fe80::", 10, "A link-local unicast address")
in6_issladdr = _prefix_test("in6_issladdr", "fec0::", 10,
                            "A site-local unicast address (deprecated)")
in6_isuladdr = _prefix_test("in6_isuladdr", "fc00::", 7, "A unique local address")
in6_isgladdr = _prefix_test("in6_isgladdr", "2000::", 3, "A global unicast address")
in6_ismaddr = _prefix_test("in6_ismaddr", "ff00::", 8, "A multicast address")
in6_ismnladdr = _prefix_test("in6_ismnladdr", "ff01::", 16,
                             "A node-local (interface-local) multicast address")
in6_ismgladdr = _prefix_test("in6_ismgladdr", "ff0e::", 16, "A global multicast address")
in6_isllsnmaddr = _prefix_test("in6_isllsnmaddr", "ff02::1:ff00:0", 104,
                               "A solicited-node multicast address")
in6_isdocaddr = _prefix_test("in6_isdocaddr", "2001:db8::", 32, "A documentation address")
in6_isaddr6to4 = _prefix_test("in6_isaddr6to4", "2002::", 16, "A 6to4 address")


def in6_getscope(addr: str) -> int:
    """Scapy's scope number of ``addr`` (global, link, site, loopback; -1 for none)."""
    if in6_isgladdr(addr) or in6_isuladdr(addr):
        return IPV6_ADDR_GLOBAL
    if in6_islladdr(addr):
        return IPV6_ADDR_LINKLOCAL
    if in6_issladdr(addr):
        return IPV6_ADDR_SITELOCAL
    if in6_ismaddr(addr):
        return _MCAST_SCOPES.get(_int(addr) >> 112 & 0xF, _NO_SCOPE)
    if _int(addr) == 1:
        return IPV6_ADDR_LOOPBACK
    return _NO_SCOPE


#: Scapy's name for ``valid_ip6``: true when an address is IPv6 text
in6_isvalid = valid_ip6


def in6_cidr2mask(m: int) -> bytes:
    """The 16-byte netmask of an ``m``-bit prefix."""
    return (((1 << 128) - 1) ^ ((1 << (128 - m)) - 1)).to_bytes(16, "big")


def _bitwise(a1: bytes, a2: bytes, op: Any) -> bytes:
    return op(int.from_bytes(a1, "big"), int.from_bytes(a2, "big")).to_bytes(16, "big")


def in6_and(a1: bytes, a2: bytes) -> bytes:
    """Bitwise AND of two packed addresses."""
    return _bitwise(a1, a2, int.__and__)


def in6_or(a1: bytes, a2: bytes) -> bytes:
    """Bitwise OR of two packed addresses."""
    return _bitwise(a1, a2, int.__or__)


def in6_xor(a1: bytes, a2: bytes) -> bytes:
    """Bitwise XOR of two packed addresses."""
    return _bitwise(a1, a2, int.__xor__)


def in6_get_common_plen(a: str, b: str) -> int:
    """How many leading bits two addresses share."""
    diff = _int(a) ^ _int(b)
    return 128 - diff.bit_length()


def in6_mactoifaceid(mac: str, ulbit: int | None = None) -> str:
    """The modified EUI-64 interface identifier of ``mac`` (``021E:C2FF:FE9E:DD74``).

    The universal/local bit is inverted, or set to ``ulbit`` when given.
    """
    raw = bytearray(bytes(int(p, 16) for p in mac.split(":")))
    if ulbit is None:
        raw[0] ^= 0x02
    else:
        raw[0] = (raw[0] & ~0x02) | (0x02 if ulbit else 0)
    eui = bytes(raw[:3]) + b"\xff\xfe" + bytes(raw[3:])
    return ":".join(eui[i:i + 2].hex().upper() for i in range(0, 8, 2))


def in6_ifaceidtomac(ifaceid_s: str) -> str | None:
    """The MAC address a modified EUI-64 interface identifier was made from, or None."""
    try:
        raw = bytearray(socket.inet_pton(socket.AF_INET6, "::" + ifaceid_s)[8:])
    except (OSError, TypeError, ValueError):
        return None
    if raw[3:5] != b"\xff\xfe":
        return None
    raw[0] ^= 0x02
    return (bytes(raw[:3]) + bytes(raw[5:])).hex(":")


def in6_addrtomac(addr: str) -> str | None:
    """The MAC address in ``addr``'s interface identifier, or None."""
    low = socket.inet_pton(socket.AF_INET6, addr)[8:]
    return in6_ifaceidtomac(socket.inet_ntop(socket.AF_INET6, bytes(8) + low)[2:])


def valid_mac(mac: str) -> bool:
    """True for a colon-separated 6-byte MAC address."""
    parts = mac.split(":")
    try:
        return len(parts) == 6 and all(0 <= int(p, 16) <= 255 and len(p) <= 2 for p in parts)
    except ValueError:
        return False


def _valid_net(addr: str, kind: Any) -> bool:
    try:
        kind(addr, strict=False)
    except (ValueError, TypeError):
        return False
    return True


def valid_net(addr: str) -> bool:
    """True for an IPv4 address or ``address/prefix``."""
    return _valid_net(addr, ipaddress.IPv4Network)


def valid_net6(addr: str) -> bool:
    """True for an IPv6 address or ``address/prefix``."""
    return _valid_net(addr, ipaddress.IPv6Network)
