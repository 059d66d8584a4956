"""The Internet checksum (RFC 1071) and the pseudo-headers of TCP, UDP and ICMPv6.

The ones'-complement sum of 16-bit words equals the big-endian integer value of
the data modulo 0xffff (because 2**16 == 1 mod 0xffff), so one C-level
``int.from_bytes`` and one modulo replace a Python loop over words.
"""

from __future__ import annotations

from struct import Struct
from typing import Any

__all__ = ["checksum", "in4_chksum", "in6_chksum", "pseudo_header_v4", "pseudo_header_v6"]

_from_bytes = int.from_bytes
_PH4 = Struct("!4s4sxBH")
_PH6 = Struct("!16s16sI3xB")


def checksum(data: bytes) -> int:
    """Return the Internet checksum of ``data``, as stored in IP/TCP/UDP/ICMP headers."""
    if len(data) & 1:
        data = bytes(data) + b"\x00"
    n = _from_bytes(data, "big")
    r = n % 0xFFFF
    if r == 0 and n:
        r = 0xFFFF
    return 0xFFFF - r


def pseudo_header_v4(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The IPv4 pseudo-header that TCP and UDP checksums cover."""
    return _PH4.pack(src, dst, proto, length)


def pseudo_header_v6(src: bytes, dst: bytes, nh: int, length: int) -> bytes:
    """The IPv6 pseudo-header (RFC 8200 section 8.1) for upper-layer checksums."""
    return _PH6.pack(src, dst, length, nh)


def in4_chksum(proto: int, u: Any, p: bytes) -> int:
    """Scapy's ``in4_chksum``: the checksum of ``p`` (an upper layer's bytes, checksum
    field included) behind the IPv4 pseudo-header of the ``IP`` layer ``u``.

    As in Scapy, a total length set by hand in ``u`` gives the length, and a
    source-route option gives the final destination. 0 means the bytes carry a
    correct checksum already.
    """
    p = bytes(p)
    return checksum(u.pseudo_header(proto, len(p)) + p)


def in6_chksum(nh: int, u: Any, p: bytes) -> int:
    """Scapy's ``in6_chksum``: the checksum of ``p`` behind the IPv6 pseudo-header.

    ``u`` is the layer under the upper layer (``IPv6`` or an extension header):
    the destination is a Routing header's final address and the source a Home
    Address option's, as RFC 8200 section 8.1 and Scapy say.
    """
    from netprobe.packet.layers.ipv6_header import pseudo_header_below

    p = bytes(p)
    ph = pseudo_header_below(u)
    if ph is None:
        raise TypeError(f"in6_chksum: {type(u).__name__} is not an IPv6 header")
    return checksum(ph(nh, len(p)) + p)
