"""Paris probes: the flow identifier stays, the probe identifier changes, checksums hold."""

from __future__ import annotations

import random
import struct

import pytest

from netprobe.packet import ICMP, IP, TCP, UDP, ICMPv6EchoRequest, IPv6, dissect
from netprobe.plugins.traceroute.probes import (
    MAX_IDENT,
    ProbeMaker,
    compensation,
    flow_checksum,
    flow_label,
    flow_port,
    ident_of,
)

ADDRS = {4: ("198.18.1.2", "198.19.2.10"), 6: ("2001:db8:1::2", "2001:db8:2::10")}


def inet_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def valid_checksums(data: bytes) -> bool:
    """True when every checksum of the probe verifies (computed here, not by netprobe)."""
    if data[0] >> 4 == 4:
        if inet_sum(data[:20]) != 0xFFFF:
            return False
        proto, body = data[9], data[20:]
        pseudo = data[12:20] + struct.pack("!BBH", 0, proto, len(body))
    else:
        proto, body = data[6], data[40:]
        pseudo = data[8:40] + struct.pack("!I3xB", len(body), proto)
    if proto == 1:  # ICMPv4: no pseudo-header
        return inet_sum(body) == 0xFFFF
    return inet_sum(pseudo + body) == 0xFFFF


def flow_fields(data: bytes) -> tuple:
    """What a load balancer hashes on (ports, or ICMP type/code/checksum, and the label)."""
    p = dissect(data, 101)
    net = p.getlayer(IP) or p.getlayer(IPv6)
    top = net.payload
    label = getattr(net, "fl", None)
    if isinstance(top, (UDP, TCP)):
        return (net.src, net.dst, type(top).__name__, top.sport, top.dport, label)
    head = data[20:24] if data[0] >> 4 == 4 else data[40:44]
    return (net.src, net.dst, "icmp", head, label, getattr(top, "id", None))


def probe_ident(data: bytes) -> int:
    p = dissect(data, 101)
    for cls, field in ((UDP, "chksum"), (TCP, "seq"), (ICMP, "seq"), (ICMPv6EchoRequest, "seq")):
        layer = p.getlayer(cls)
        if layer is not None:
            return int(getattr(layer, field))
    raise AssertionError("no probe layer")


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", ["udp", "icmp", "tcp"])
def test_a_flow_keeps_its_identifier_and_each_probe_its_own(method: str, family: int) -> None:
    src, dst = ADDRS[family]
    maker = ProbeMaker(method, family, src, dst, 33456, 33434 if method == "udp" else 80)
    probes = [maker.build(ttl, 0, ident_of(n)) for n, ttl in
              enumerate(t for t in range(1, 31) for _ in range(3))]
    assert len({flow_fields(p) for p in probes}) == 1
    assert [probe_ident(p) for p in probes] == [ident_of(n) for n in range(len(probes))]
    assert all(valid_checksums(p) for p in probes)
    for n, p in enumerate(probes):
        net = dissect(p, 101)
        if family == 4:
            assert net.ttl == n // 3 + 1 and net.id == ident_of(n)
        else:
            assert net.hlim == n // 3 + 1 and net.fl == flow_label(0)


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("method", ["udp", "icmp", "tcp"])
def test_flows_differ_in_what_balancers_hash(method: str, family: int) -> None:
    src, dst = ADDRS[family]
    maker = ProbeMaker(method, family, src, dst)
    flows = [maker.build(3, flow, 5 + flow) for flow in range(40)]
    assert len({flow_fields(p) for p in flows}) == 40
    assert all(valid_checksums(p) for p in flows)


def test_icmp_checksum_is_the_flows_and_udp_checksum_the_probes() -> None:
    src, dst = ADDRS[4]
    icmp = ProbeMaker("icmp", 4, src, dst, sport=777)
    udp = ProbeMaker("udp", 4, src, dst)
    for flow, ident in ((0, 1), (3, 500), (9, 65534)):
        p = dissect(icmp.build(7, flow, ident), 101)
        assert p[ICMP].chksum == flow_checksum(flow)
        assert (p[ICMP].id, p[ICMP].seq) == (777, ident)
        u = dissect(udp.build(7, flow, ident), 101)
        assert u[UDP].chksum == ident
        assert u[UDP].sport == flow_port(33456, flow)


def test_compensation_gives_any_checksum() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        words = [rng.randrange(65536) for _ in range(rng.randrange(1, 30))]
        data = struct.pack(f"!{len(words)}H", *words) + b"\0\0"
        current = ~inet_sum(data) & 0xFFFF
        target = rng.randrange(1, 0xFFFF)
        word = compensation(current, target)
        patched = data[:-2] + struct.pack("!H", word)
        assert ~inet_sum(patched) & 0xFFFF == target


def test_identifiers_skip_zero_and_ffff() -> None:
    assert ident_of(0) == 1
    assert ident_of(MAX_IDENT - 1) == MAX_IDENT == 0xFFFE
    assert ident_of(MAX_IDENT) == 1
    maker = ProbeMaker("udp", 4, *ADDRS[4])
    with pytest.raises(ValueError):
        maker.build(1, 0, 0)
    with pytest.raises(ValueError):
        maker.build(1, 0, 0xFFFF)


def test_flow_ports_wrap_inside_the_port_range() -> None:
    assert flow_port(33456, 0) == 33456
    assert flow_port(65535, 1) == 1
    assert all(1 <= flow_port(65530, f) <= 65535 for f in range(100))
    assert all(1 <= flow_label(f) <= 0xFFFFF for f in (0, 1, 0xFFFFF, 10**6))
    assert all(1 <= flow_checksum(f) <= 0xFFFE for f in (0, 1, 0xFFFE, 10**6))
