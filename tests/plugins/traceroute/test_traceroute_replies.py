"""Answers to probes, decoded: who, what kind, what TTL was quoted, which MPLS labels.

The MPLS answers are built byte by byte here, after RFC 792, 4884 and 4950,
without netprobe's builders, then dissected by netprobe's layers.
"""

from __future__ import annotations

import socket
import struct

import pytest

from netprobe.packet import ICMP, IP, TCP, UDP, Ether, ICMPv6EchoReply, IPv6, Raw, dissect
from netprobe.plugins.traceroute.probes import ProbeMaker
from netprobe.plugins.traceroute.replies import (
    Reply,
    decode_reply,
    hops_back,
    tcp_kind,
)

SCANNER, ROUTER, DST = "198.18.1.2", "198.18.101.2", "198.19.2.10"
SCANNER6, ROUTER6, DST6 = "2001:db8:1::2", "2001:db8:101::2", "2001:db8:2::10"


def inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_header(src: str, dst: str, proto: int, payload_len: int, ttl: int = 63) -> bytes:
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0x1234, 0, ttl, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst))
    return head[:10] + struct.pack("!H", inet_checksum(head)) + head[12:]


def mpls_extension(labels: list[tuple[int, int, int, int]]) -> bytes:
    """RFC 4884 extension header (version 2) + one RFC 4950 MPLS label stack object."""
    entries = b"".join(struct.pack("!I", lab << 12 | tc << 9 | s << 8 | ttl)
                       for lab, tc, s, ttl in labels)
    obj = struct.pack("!HBB", 4 + len(entries), 1, 1) + entries
    head = struct.pack("!HH", 2 << 12, 0)
    return struct.pack("!HH", 2 << 12, inet_checksum(head + obj)) + obj


LABELS = [(16004, 0, 0, 1), (299776, 5, 1, 254)]
WANT = ({"label": 16004, "tc": 0, "s": 0, "ttl": 1}, {"label": 299776, "tc": 5, "s": 1, "ttl": 254})


def probe_v4() -> bytes:
    return ProbeMaker("udp", 4, SCANNER, DST).build(3, 0, 77)


def time_exceeded_v4(quote: bytes, ext: bytes, rfc4884: bool = True) -> bytes:
    """ICMP time exceeded quoting ``quote`` padded to 128 bytes, then ``ext``."""
    original = quote.ljust(128, b"\0")
    length = len(original) // 4 if rfc4884 else 0
    body = struct.pack("!BBHBBH", 11, 0, 0, 0, length, 0) + original + ext
    body = body[:2] + struct.pack("!H", inet_checksum(body)) + body[4:]
    return ipv4_header(ROUTER, SCANNER, 1, len(body), ttl=63) + body


def quoted_as_arrived(probe: bytes, ttl: int) -> bytes:
    head = bytearray(probe[:20])
    head[8] = ttl
    head[10:12] = b"\0\0"
    head[10:12] = struct.pack("!H", inet_checksum(bytes(head)))
    return bytes(head) + probe[20:]


@pytest.mark.parametrize("rfc4884", [True, False])
def test_mpls_label_stack_of_a_hand_made_time_exceeded(rfc4884: bool) -> None:
    probe = probe_v4()
    answer = time_exceeded_v4(quoted_as_arrived(probe, 1), mpls_extension(LABELS), rfc4884)
    packet = dissect(answer, 101)
    reply = decode_reply(packet)
    assert reply == Reply(ROUTER, "time-exceeded", 63, 1, WANT)
    # the extension does not spoil matching: the quote still names the probe
    sent = dissect(probe, 101)
    assert packet.hashkey() == sent.hashkey()
    assert packet.answers(sent)


def test_mpls_label_stack_in_an_ethernet_frame_and_in_icmpv6() -> None:
    probe = ProbeMaker("icmp", 6, SCANNER6, DST6).build(2, 0, 9)
    quote = bytearray(probe)
    quote[7] = 1
    original = bytes(quote).ljust(128, b"\0")
    ext = mpls_extension(LABELS)
    body = struct.pack("!BBHB3x", 3, 0, 0, len(original) // 8) + original + ext
    pseudo = (socket.inet_pton(socket.AF_INET6, ROUTER6) + socket.inet_pton(socket.AF_INET6,
                                                                            SCANNER6)
              + struct.pack("!I3xB", len(body), 58))
    body = body[:2] + struct.pack("!H", inet_checksum(pseudo + body)) + body[4:]
    ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(body), 58, 62,
                      socket.inet_pton(socket.AF_INET6, ROUTER6),
                      socket.inet_pton(socket.AF_INET6, SCANNER6))
    frame = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x86DD)) \
        + ip6 + body
    packet = dissect(frame, 1)
    assert decode_reply(packet) == Reply(ROUTER6, "time-exceeded", 62, 1, WANT)
    assert packet.getlayer(IPv6).answers(dissect(probe, 101))


def test_no_extension_no_labels() -> None:
    probe = probe_v4()
    packet = IP(src=ROUTER, dst=SCANNER, ttl=250) / ICMP(type=11) / Raw(
        quoted_as_arrived(probe, 1))
    assert decode_reply(dissect(bytes(packet), 101)) == Reply(ROUTER, "time-exceeded", 250, 1)


@pytest.mark.parametrize(("type_", "code", "kind"), [
    (11, 0, "time-exceeded"), (11, 1, "time-exceeded"), (0, 0, "echo-reply"),
    (3, 3, "port-unreach"), (3, 0, "!N"), (3, 1, "!H"), (3, 2, "!P"), (3, 4, "!F"),
    (3, 5, "!S"), (3, 9, "!X"), (3, 10, "!X"), (3, 13, "!X"), (3, 14, "!V"), (3, 15, "!C"),
    (3, 99, "!99"), (12, 0, "param-problem"), (5, 1, "icmp-5/1"),
])
def test_icmp_kinds(type_: int, code: int, kind: str) -> None:
    answer = IP(src=ROUTER, dst=SCANNER) / ICMP(type=type_, code=code)
    assert decode_reply(dissect(bytes(answer), 101)).kind == kind


@pytest.mark.parametrize(("type_", "code", "kind"), [
    (3, 0, "time-exceeded"), (129, 0, "echo-reply"), (1, 4, "port-unreach"), (1, 0, "!N"),
    (1, 1, "!X"), (1, 3, "!H"), (1, 5, "!X"), (1, 6, "!X"), (1, 7, "!7"), (2, 0, "!F"),
    (4, 1, "param-problem"), (137, 0, "icmpv6-137/0"),
])
def test_icmpv6_kinds(type_: int, code: int, kind: str) -> None:
    # by hand, 40 bytes: every type (a redirect's is the longest header) is its own layer
    answer = IPv6(src=ROUTER6, dst=SCANNER6, nh=58) / Raw(bytes((type_, code)) + bytes(38))
    assert decode_reply(dissect(bytes(answer), 101)).kind == kind


def test_tcp_kinds() -> None:
    assert tcp_kind(0x12) == "syn-ack"
    assert tcp_kind(0x14) == "reset"
    assert tcp_kind(0x04) == "reset"
    assert tcp_kind(0x10) == "tcp-0x10"


def test_answers_from_the_destination() -> None:
    udp = IP(src=DST, dst=SCANNER, ttl=60) / ICMP(type=3, code=3) / Raw(
        quoted_as_arrived(probe_v4(), 26))
    assert decode_reply(dissect(bytes(udp), 101)) == Reply(DST, "port-unreach", 60, 26)
    syn_ack = IP(src=DST, dst=SCANNER, ttl=60) / TCP(flags="SA")
    assert decode_reply(dissect(bytes(syn_ack), 101)) == Reply(DST, "syn-ack", 60)
    rst = IPv6(src=DST6, dst=SCANNER6, hlim=58) / TCP(flags="RA")
    assert decode_reply(dissect(bytes(rst), 101)) == Reply(DST6, "reset", 58)
    echo = IPv6(src=DST6, dst=SCANNER6, hlim=64) / ICMPv6EchoReply(id=1, seq=2)
    assert decode_reply(dissect(bytes(echo), 101)) == Reply(DST6, "echo-reply", 64)
    dns = IP(src=DST, dst=SCANNER, ttl=61) / UDP(sport=53, dport=33456) / Raw(b"x")
    assert decode_reply(dissect(bytes(dns), 101)) == Reply(DST, "udp-reply", 61)


def test_what_is_no_answer() -> None:
    assert decode_reply(dissect(bytes(Ether() / Raw(b"\0" * 30)), 1)) is None
    assert decode_reply(dissect(bytes(IP(src=DST, dst=SCANNER, proto=47) / Raw(b"gre")),
                                101)) is None


def test_terminal() -> None:
    assert not Reply("a", "time-exceeded", 1).terminal
    assert Reply("a", "!H", 1).terminal and Reply("a", "echo-reply", 1).terminal


@pytest.mark.parametrize(("ttl", "hops"), [(64, 1), (60, 5), (1, 32), (33, 32), (128, 1),
                                           (120, 9), (255, 1), (250, 6)])
def test_hops_back_guesses_the_initial_ttl(ttl: int, hops: int) -> None:
    assert hops_back(ttl) == hops


def test_a_quoted_udp_probe_is_told_apart_by_its_checksum() -> None:
    """Paris UDP probes share their ports: the checksum routers quote names the probe."""
    maker = ProbeMaker("udp", 4, SCANNER, DST)
    mine, other = maker.build(3, 0, 100), maker.build(3, 0, 101)
    error = dissect(bytes(IP(src=ROUTER, dst=SCANNER) / ICMP(type=11) / Raw(
        quoted_as_arrived(mine, 1))), 101)
    assert error.answers(dissect(mine, 101))
    assert not error.answers(dissect(other, 101))
    assert error.hashkey() == dissect(other, 101).hashkey()  # same bucket, told apart later
    # a probe sent without a checksum (0) is matched on its ports alone
    bare = bytearray(mine)
    bare[26:28] = b"\0\0"
    assert error.answers(dissect(bytes(bare), 101))
