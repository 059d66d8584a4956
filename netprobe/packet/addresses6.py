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
from typing import Any

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


def in6_islladdr(str: str) -> bool:
    """A link-local unicast address (fe80::/10)."""
    return _in(str, 0xFE80 << 112, 10)


def in6_issladdr(str: str) -> bool:
    """A site-local unicast address (fec0::/10, deprecated)."""
    return _in(str, 0xFEC0 << 112, 10)


def in6_isuladdr(str: str) -> bool:
    """A unique local address (fc00::/7)."""
    return _in(str, 0xFC00 << 112, 7)


def in6_isgladdr(str: str) -> bool:
    """A global unicast address (2000::/3)."""
    return _in(str, 0x2000 << 112, 3)


def in6_ismaddr(str: str) -> bool:
    """A multicast address (ff00::/8)."""
    return _in(str, 0xFF00 << 112, 8)


def in6_ismnladdr(str: str) -> bool:
    """A node-local (interface-local) multicast address (ff01::/16)."""
    return _in(str, 0xFF01 << 112, 16)


def in6_ismgladdr(str: str) -> bool:
    """A global multicast address (ff0e::/16)."""
    return _in(str, 0xFF0E << 112, 16)


def in6_isllsnmaddr(str: str) -> bool:
    """A solicited-node multicast address (ff02::1:ff00:0/104)."""
    return _in(str, (0xFF02 << 112) | (0x1FF << 24), 104)


def in6_isdocaddr(str: str) -> bool:
    """A documentation address (2001:db8::/32)."""
    return _in(str, 0x20010DB8 << 96, 32)


def in6_isaddr6to4(x: str) -> bool:
    """A 6to4 address (2002::/16)."""
    return _in(x, 0x2002 << 112, 16)


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


def in6_isvalid(address: Any) -> bool:
    """True when ``address`` is IPv6 text."""
    try:
        socket.inet_pton(socket.AF_INET6, address)
    except (OSError, TypeError, ValueError):
        return False
    return True


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
