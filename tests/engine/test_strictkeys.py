"""Strict keys: a key hit must mean exactly what the layers' ``answers()`` says."""

from __future__ import annotations

import random
import struct

import pytest

from netprobe.engine.compiled import batch as cbatch
from netprobe.engine.probes import prepare
from netprobe.engine.strictkeys import (
    WITH_ACK,
    answer_key,
    answer_keys,
    capture_keys,
    probe_ip6,
    probe_key,
    probe_key6,
)
from netprobe.packet import IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt, Raw
from netprobe.packet.dissect import dissect
from netprobe.packet.fastpath import parse
from netprobe.packet.layer import Layer

ADDRS = ["198.18.1.2", "198.18.1.11", "198.18.1.12"]


def _batch(frames: list[bytes]) -> tuple[bytes, bytes]:
    """Frames laid out as pcapy-ng's next_batch gives them: one buffer, and packed meta
    (sec, usec, offset, caplen per packet)."""
    buf = b""
    meta = b""
    for i, f in enumerate(frames):
        meta += struct.pack("=IIII", 1700000000 + i, i, len(buf), len(f))
        buf += f + b"\0" * (i % 3)  # packets need not be adjacent
    return buf, meta


ADDRS6 = ["2001:db8:1::2", "2001:db8:1::11", "2001:db8:1::12"]
#: per IP version: the network layer and the addresses (the scanner's first)
NETWORK = {4: (IP, ADDRS), 6: (IPv6, ADDRS6)}


def _random_probe(rng: random.Random, family: int = 4) -> Layer:
    ip, addrs = NETWORK[family]
    flags = rng.choice(["S", "A", "F", "", "FPU", "SA"])
    return ip(src=addrs[0], dst=rng.choice(addrs[1:])) / TCP(
        sport=rng.choice([20, 40000]), dport=rng.choice([22, 80]),
        seq=rng.choice([0, 1, 0xFFFFFFFE, 0xFFFFFFFF, rng.getrandbits(32)]), flags=flags)


def _random_answer(rng: random.Random, probe: Layer, family: int = 4) -> Layer:
    ip, addrs = NETWORK[family]
    t = probe[TCP]
    src = probe.dst if rng.random() < 0.8 else rng.choice(addrs)
    dst = probe.src if rng.random() < 0.85 else rng.choice(addrs[1:])  # IPv6 checks it
    sport, dport = (t.dport, t.sport) if rng.random() < 0.8 else (t.sport, t.dport)
    ack = (t.seq + 1) & 0xFFFFFFFF if rng.random() < 0.7 else rng.getrandbits(32)
    return ip(src=src, dst=dst) / TCP(sport=sport, dport=dport, ack=ack,
                                       flags=rng.choice(["SA", "RA", "R", "A"]))


def test_packets_without_a_strict_key() -> None:
    ok = IP(src=ADDRS[1], dst=ADDRS[0]) / TCP(sport=80, dport=20, flags="SA")
    frames = [
        bytes(IP(src=ADDRS[1], dst=ADDRS[0]) / UDP(sport=53, dport=20)),
        bytes(IP(src=ADDRS[1], dst=ADDRS[0], flags="MF") / TCP(sport=80, dport=20)),
        bytes(IP(src=ADDRS[1], dst=ADDRS[0], options=b"\x01\x01\x01\x00")
              / TCP(sport=80, dport=20)),
        bytes(ok)[:30],   # truncated
        bytes(ok) + b"",  # the good one
    ]
    buf, meta = _batch(frames)
    keys = answer_keys(buf, meta, 101)
    assert keys[:4] == [None, None, None, None]
    assert keys[4] is not None
    assert capture_keys(buf, meta, 101) == keys  # the compiled one where it was built
    assert answer_keys(buf, meta, 9999) is None
    assert capture_keys(buf, meta, 9999) is None
    assert answer_keys(b"", b"", 101) == [] == capture_keys(b"", b"", 101)


@pytest.mark.parametrize("link", ["raw", "ether"])
@pytest.mark.parametrize("flags", ["S", "A", "SA", "F"])
def test_probe_keys_of_frames_equal_those_of_their_ip_packets(flags: str, link: str) -> None:
    probes = IP(src=ADDRS[0], dst=ADDRS[1:]) / TCP(sport=[20, 0xFFFF], dport=(1, 40),
                                                   seq=[0xFFFFFFFE, 0xFFFFFFFF, 7], flags=flags)
    head = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") if link == "ether" else None
    rows = [bytes(p) if head is None else bytes(head / p) for p in probes]
    ip, linktype = (0, 101) if head is None else (14, 1)
    want = [probe_key(data, parse(data, linktype)) for data in rows]
    assert all(k is not None for k in want)
    assert [probe_key(r[ip:], parse(r[ip:], 101)) for r in rows] == want  # link header off
    if cbatch is not None:  # the compiled keys of the same rows
        assert cbatch.ipv4_keys(b"".join(rows), len(rows[0]), ip)[1] == want


def test_prepare_gives_strict_keys_to_tcp_only() -> None:
    tcp = list(prepare(IP(src=ADDRS[0], dst=ADDRS[1]) / TCP(dport=(1, 64), flags="S")))
    assert all(p.strict is not None for p in tcp)
    assert len({p.strict for p in tcp}) == 64
    udp = list(prepare(IP(src=ADDRS[0], dst=ADDRS[1]) / UDP(dport=(1, 64))))
    assert all(p.strict is None for p in udp)
    one = next(iter(prepare(IP(src=ADDRS[0], dst=ADDRS[1]) / TCP(flags="S") / Raw(b"x"))))
    assert one.strict is not None


def test_ipv6_packets_without_a_strict_key() -> None:
    a, b = ADDRS6[1], ADDRS6[0]
    frames = [
        bytes(IPv6(src=a, dst=b) / UDP(sport=53, dport=20)),
        bytes(IPv6(src=a, dst=b) / IPv6ExtHdrDestOpt() / TCP(sport=80, dport=20)),
        bytes(IPv6(src=a, dst=b) / TCP(sport=80, dport=20))[:50],  # truncated
        bytes(IPv6(src=a, dst=b, plen=300) / TCP(sport=80, dport=20)),  # length lies
        bytes(IPv6(src=a, dst=b) / TCP(sport=80, dport=20, flags="SA")),  # the good one
    ]
    buf, meta = _batch(frames)
    keys = answer_keys(buf, meta, 101)
    assert keys[:4] == [None] * 4 and len(keys[4]) == 40
    assert [answer_key(f, 101) for f in frames] == keys
    assert capture_keys(buf, meta, 101) == keys
    # probes the strict path leaves alone: to a group, with an extension header
    assert probe_key6(bytes(IPv6(src=b, dst="ff02::1") / TCP(flags="S")), 0) is None
    assert probe_key6(bytes(IPv6(src=b, dst=a) / IPv6ExtHdrDestOpt() / TCP()), 0) is None


def test_ipv6_probe_keys_of_frames_equal_those_of_their_ip_packets() -> None:
    probes = [bytes(p) for p in IPv6(src=ADDRS6[0], dst=ADDRS6[1]) / TCP(
        sport=[20, 0xFFFF], dport=(1, 20), seq=[0xFFFFFFFF, 7], flags=["S", "A"])]
    head = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x86DD))
    keys = [probe_key6(p, 0) for p in probes]
    assert all(k is not None for k in keys)
    assert [probe_key6(head + p, 14) for p in probes] == keys


def test_where_a_probe_s_ipv6_header_starts() -> None:
    packet = IPv6(src=ADDRS6[0], dst=ADDRS6[1]) / TCP()
    assert probe_ip6(bytes(packet), 101) == 0
    assert probe_ip6(bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / packet),
                     1) == 14
    assert probe_ip6(bytes(IP(src=ADDRS[0], dst=ADDRS[1]) / TCP()), 101) is None
    assert probe_ip6(bytes(packet), 113) is None


def test_prepare_gives_strict_keys_to_ipv6_tcp() -> None:
    tcp = list(prepare(IPv6(src=ADDRS6[0], dst=ADDRS6[1]) / TCP(dport=(1, 40), flags="S")))
    assert len({p.strict for p in tcp}) == 40 and all(len(p.strict) == 40 for p in tcp)
    one = next(iter(prepare(IPv6(src=ADDRS6[0], dst=ADDRS6[1]) / TCP(flags="A"))))
    assert one.strict is not None and len(one.strict) == 36
    udp = list(prepare(IPv6(src=ADDRS6[0], dst=ADDRS6[1]) / UDP(dport=(1, 40))))
    assert all(p.strict is None for p in udp)


def _probe_key4(data: bytes) -> bytes | None:
    return probe_key(data, parse(data, 101))


#: per family: the probe's key, the IP layer class
FAMILIES = {4: (_probe_key4, IP), 6: (lambda data: probe_key6(data, 0), IPv6)}


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("link", ["raw", "ether"])
def test_a_key_hit_is_exactly_answers(link: str, family: int) -> None:
    key_of_probe, ip_class = FAMILIES[family]
    rng = random.Random(7 + family)
    agree_hits = 0
    for _ in range(400):
        probe = _random_probe(rng, family)
        answer = _random_answer(rng, probe, family)
        pdata = bytes(probe)
        pkey = key_of_probe(pdata)
        assert pkey is not None
        if link == "ether":
            frame, lt = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / answer), 1
        else:
            frame, lt = bytes(answer), 101
        buf, meta = _batch([frame])
        (akey,) = capture_keys(buf, meta, lt)
        assert akey is not None and akey == answer_key(frame, lt)
        hit = akey == pkey or (len(akey) in WITH_ACK and akey[:-4] == pkey)
        truth = dissect(frame, lt).getlayer(ip_class).answers(dissect(pdata, 101))
        if hit:
            assert truth, (probe.summary(), answer.summary())
            agree_hits += 1
        elif truth:
            # a miss only sends the packet down the general path; but a SYN probe's
            # ACK-carrying answer with the right numbers must hit
            assert not (int(probe[TCP].flags) & 0x02 and int(answer[TCP].flags) & 0x10)
    assert agree_hits > 50  # the sample exercised the hit path
