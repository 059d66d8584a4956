"""Packets written byte by byte with ``struct``, for testing the wire floor.

The wire floor only moves bytes; these builders make independent,
known-good bytes (ICMP echo requests with correct checksums) without the
packet engine, so a failure points at the wire code.
"""

from __future__ import annotations

import socket
import struct

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo4(src: str, dst: str, ident: int, seq: int, payload: bytes = b"netprobe-wire") -> bytes:
    """An IPv4 packet carrying an ICMP echo request."""
    icmp = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,  # version 4, 5 words of header
        0,
        20 + len(icmp),
        seq & 0xFFFF,  # IP ID
        0x4000,  # don't fragment
        64,
        socket.IPPROTO_ICMP,
        0,
        socket.inet_aton(src),
        socket.inet_aton(dst),
    )
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + icmp


def echo6(src: str, dst: str, ident: int, seq: int, payload: bytes = b"netprobe-wire") -> bytes:
    """An IPv6 packet carrying an ICMPv6 echo request."""
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    icmp = struct.pack("!BBHHH", ICMP6_ECHO_REQUEST, 0, 0, ident, seq) + payload
    pseudo = s + d + struct.pack("!I3xB", len(icmp), socket.IPPROTO_ICMPV6)
    icmp = icmp[:2] + struct.pack("!H", checksum(pseudo + icmp)) + icmp[4:]
    header = struct.pack("!IHBB16s16s", 6 << 28, len(icmp), socket.IPPROTO_ICMPV6, 64, s, d)
    return header + icmp


def ether(dst_mac: str, src_mac: str, payload: bytes) -> bytes:
    """An Ethernet II frame around an IPv4 or IPv6 packet (ethertype from its version)."""
    ethertype = 0x0800 if payload[0] >> 4 == 4 else 0x86DD
    return (
        bytes.fromhex(dst_mac.replace(":", ""))
        + bytes.fromhex(src_mac.replace(":", ""))
        + struct.pack("!H", ethertype)
        + payload
    )
