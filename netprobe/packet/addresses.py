"""Address helpers with Scapy's names: conversions, checks and address blocks.

``atol``/``ltoa`` (dotted quad <-> integer), ``itom`` (prefix length -> mask),
``mac2str``/``str2mac``, ``inet_pton``/``inet_ntop``, ``in6_ptop`` (RFC 5952
form), ``valid_ip``/``valid_ip6``, the solicited-node multicast address and MAC
of an IPv6 address (``in6_getnsma``/``in6_getnsmac``), and ``Net``/``Net6``:
an address block that iterates, has a length, picks a random member and can be
given as a field value (the packet then becomes a set, one per address).

Unlike Scapy, nothing here resolves host names: a name is refused, because the
lab's rule is that no DNS query leaves a test.
"""

from __future__ import annotations

import ipaddress
import random
import socket
from collections.abc import Iterator
from typing import Any

__all__ = ["Net", "Net6", "atol", "in6_getnsma", "in6_getnsmac", "in6_ptop", "inet_ntop",
           "inet_pton", "itom", "ltoa", "mac2str", "str2mac", "valid_ip", "valid_ip6"]


def atol(addr: str) -> int:
    """The IPv4 address ``addr`` (``inet_aton`` forms: ``"1.2.3.4"``, ``"1.2.3"``) as an int."""
    return int.from_bytes(socket.inet_aton(addr), "big")


def ltoa(value: int) -> str:
    """The integer ``value`` as a dotted-quad IPv4 address."""
    return socket.inet_ntoa((value & 0xFFFFFFFF).to_bytes(4, "big"))


def itom(bits: int) -> int:
    """The IPv4 netmask of a ``bits``-long prefix, as an int (``itom(24) == 0xffffff00``)."""
    return (0xFFFFFFFF00000000 >> bits) & 0xFFFFFFFF


def mac2str(mac: str) -> bytes:
    """``"aa:bb:cc:dd:ee:ff"`` as 6 bytes (each part is read as hex: ``"0:1:..."`` works)."""
    return bytes(int(part, 16) for part in mac.split(":"))


def str2mac(raw: bytes) -> str:
    """Bytes as a colon-separated lowercase MAC address."""
    return bytes(raw).hex(":")


def inet_pton(family: int, addr: str) -> bytes:
    """The text address ``addr`` of ``family`` (``socket.AF_INET``/``AF_INET6``) as bytes."""
    if isinstance(addr, bytes):
        addr = addr.decode()
    return socket.inet_pton(family, addr)


def inet_ntop(family: int, raw: bytes) -> str:
    """The packed address ``raw`` of ``family`` as text (IPv6 in RFC 5952 form)."""
    return socket.inet_ntop(family, bytes(raw))


def in6_ptop(addr: str) -> str:
    """An IPv6 address in its RFC 5952 form (lowercase, longest zero run compressed)."""
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, addr))


def valid_ip(addr: Any) -> bool:
    """True when ``addr`` is an IPv4 address in one of ``inet_aton``'s forms."""
    try:
        socket.inet_aton(addr)
    except (OSError, TypeError, ValueError):
        return False
    return addr == addr.strip()


def valid_ip6(addr: Any) -> bool:
    """True when ``addr`` is an IPv6 address in text form."""
    try:
        socket.inet_pton(socket.AF_INET6, addr)
    except (OSError, TypeError, ValueError):
        return False
    return True


_NSMA_PREFIX = bytes.fromhex("ff0200000000000000000001ff")


def in6_getnsma(addr: bytes) -> bytes:
    """The solicited-node multicast address (ff02::1:ffXX:XXXX) of packed IPv6 ``addr``."""
    return _NSMA_PREFIX + bytes(addr)[-3:]


def in6_getnsmac(addr: bytes) -> str:
    """The Ethernet multicast MAC (33:33:..) of packed IPv6 multicast address ``addr``."""
    return (b"\x33\x33" + bytes(addr)[-4:]).hex(":")


def multicast_mac(dst: str) -> str | None:
    """The Ethernet MAC of an IPv4 or IPv6 multicast group (``01:00:5e`` and the group's
    low 23 bits, RFC 1112; ``33:33`` and its last 32 bits, RFC 2464), or None for an
    address that is not a multicast group."""
    try:
        if ":" in dst:
            packed = socket.inet_pton(socket.AF_INET6, dst)
            return in6_getnsmac(packed) if packed[0] == 0xFF else None
        packed = socket.inet_aton(dst)
    except (OSError, ValueError):
        return None
    if 224 <= packed[0] <= 239:
        return f"01:00:5e:{packed[1] & 0x7F:02x}:{packed[2]:02x}:{packed[3]:02x}"
    return None


class Net:
    """An IPv4 address block, ``Net("198.18.0.0/30")``: iterable, sized, comparable.

    Like Scapy's ``Net`` it shows as ``Net("198.18.0.0/30")``, prints as its first
    address, and ``choice()`` picks a random member (seeded by ``random.seed``).
    As a field value (``IP(dst=Net(..))``) it makes the packet a set.
    """

    family = socket.AF_INET
    max_mask = 32
    name = "Net"
    _network = ipaddress.IPv4Network

    def __init__(self, net: str, *args: Any) -> None:
        text = str(net)
        addr, _, bits = text.partition("/")
        try:
            block = self._network(f"{addr}/{bits or self.max_mask}", strict=False)
        except ValueError:
            raise ValueError(f"{self.name}: {text!r} is not an address block (no host "
                             "names: netprobe never resolves them here)") from None
        self.net = addr
        self.mask = int(bits or self.max_mask)
        self._block = block
        self.start = int(block.network_address)
        self.stop = int(block.broadcast_address)
        self.scope = None

    @property
    def count(self) -> int:
        """How many addresses the block holds."""
        return self.stop - self.start + 1

    def int2ip(self, value: int) -> str:
        """The address of integer ``value`` in this family."""
        return str(self._block.network_address.__class__(value))

    def ip2int(self, addr: str) -> int:
        """The integer value of address ``addr``."""
        return int(self._block.network_address.__class__(addr))

    def __iter__(self) -> Iterator[str]:
        cls = self._block.network_address.__class__
        for value in range(self.start, self.stop + 1):
            yield str(cls(value))

    def __len__(self) -> int:
        return self.count

    def __contains__(self, other: Any) -> bool:
        if isinstance(other, Net):
            return self.start <= other.start and other.stop <= self.stop
        try:
            return self.start <= self.ip2int(str(other)) <= self.stop
        except ValueError:
            return False

    def choice(self) -> str:
        """A random address of the block."""
        return self.int2ip(random.randint(self.start, self.stop))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = type(self)(other)
            except ValueError:
                return False
        if not isinstance(other, Net):
            return NotImplemented
        return (self.family, self.start, self.stop) == (other.family, other.start, other.stop)

    def __hash__(self) -> int:
        return hash((self.family, self.start, self.stop))

    def __str__(self) -> str:
        return self.int2ip(self.start)

    def __repr__(self) -> str:
        return f'{self.name}("{self.net}/{self.mask}")'


class Net6(Net):
    """An IPv6 address block, ``Net6("2001:db8::/126")``: as ``Net``, for IPv6."""

    family = socket.AF_INET6
    max_mask = 128
    name = "Net6"
    _network = ipaddress.IPv6Network

    def int2ip(self, value: int) -> str:
        return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
