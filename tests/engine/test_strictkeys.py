"""Strict keys: a key hit must mean exactly what the layers' ``answers()`` says."""

from __future__ import annotations

import random

import numpy as np
import pytest

from netprobe.engine.probes import prepare
from netprobe.engine.strictkeys import PREFIX, answer_keys, probe_key, template_keys
from netprobe.engine.template import ProbeTemplate
from netprobe.packet import IP, TCP, UDP, Ether, Raw
from netprobe.packet.dissect import dissect
from netprobe.packet.fastpath import parse

ADDRS = ["198.18.1.2", "198.18.1.11", "198.18.1.12"]


def _batch(frames: list[bytes]) -> tuple[bytes, np.ndarray]:
    """Frames laid out as pcapy-ng's next_batch gives them: one buffer, (n, 4) meta."""
    buf = b""
    meta = []
    for i, f in enumerate(frames):
        meta.append((1700000000 + i, i, len(buf), len(f)))
        buf += f + b"\0" * (i % 3)  # packets need not be adjacent
    return buf, np.array(meta, dtype=np.uint32).reshape(len(frames), 4)


def _random_probe(rng: random.Random) -> IP:
    flags = rng.choice(["S", "A", "F", "", "FPU", "SA"])
    return IP(src=ADDRS[0], dst=rng.choice(ADDRS[1:])) / TCP(
        sport=rng.choice([20, 40000]), dport=rng.choice([22, 80]),
        seq=rng.choice([0, 1, 0xFFFFFFFE, 0xFFFFFFFF, rng.getrandbits(32)]), flags=flags)


def _random_answer(rng: random.Random, probe: IP) -> IP:
    t = probe[TCP]
    src = probe.dst if rng.random() < 0.8 else rng.choice(ADDRS)
    sport, dport = (t.dport, t.sport) if rng.random() < 0.8 else (t.sport, t.dport)
    ack = (t.seq + 1) & 0xFFFFFFFF if rng.random() < 0.7 else rng.getrandbits(32)
    return IP(src=src, dst=probe.src) / TCP(sport=sport, dport=dport, ack=ack,
                                             flags=rng.choice(["SA", "RA", "R", "A"]))


@pytest.mark.parametrize("link", ["raw", "ether"])
def test_a_key_hit_is_exactly_answers(link: str) -> None:
    rng = random.Random(7)
    agree_hits = 0
    for _ in range(400):
        probe = _random_probe(rng)
        answer = _random_answer(rng, probe)
        pdata = bytes(probe)
        pkey = probe_key(pdata, parse(pdata, 101))
        assert pkey is not None
        if link == "ether":
            frame, lt = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / answer), 1
        else:
            frame, lt = bytes(answer), 101
        buf, meta = _batch([frame])
        (akey,) = answer_keys(buf, meta, lt)
        assert akey is not None
        hit = akey == pkey or (len(akey) > PREFIX and akey[:PREFIX] == pkey)
        truth = dissect(frame, lt).getlayer(IP).answers(dissect(pdata, 101))
        if hit:
            assert truth, (probe.summary(), answer.summary())
            agree_hits += 1
        elif truth:
            # a miss only sends the packet down the general path; but a SYN probe's
            # ACK-carrying answer with the right numbers must hit
            assert not (int(probe[TCP].flags) & 0x02 and int(answer[TCP].flags) & 0x10)
    assert agree_hits > 50  # the sample exercised the hit path


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
    assert answer_keys(buf, meta, 9999) is None
    assert answer_keys(b"", np.zeros((0, 4), dtype=np.uint32), 101) == []


@pytest.mark.parametrize("flags", ["S", "A", "SA", "F"])
def test_template_keys_equal_per_probe_keys(flags: str) -> None:
    probes = IP(src=ADDRS[0], dst=ADDRS[1:]) / TCP(sport=[20, 0xFFFF], dport=(1, 40),
                                                   seq=[0xFFFFFFFE, 0xFFFFFFFF, 7], flags=flags)
    template = ProbeTemplate(probes)
    assert template.key_shape is not None
    arr = template.batch(0, len(template))
    keys = template_keys(arr, template.key_shape[0])
    width = arr.shape[1]
    raw = arr.tobytes()
    for i, key in enumerate(keys):
        data = raw[i * width:(i + 1) * width]
        assert key == probe_key(data, parse(data, 101))


def test_prepare_gives_strict_keys_to_tcp_only() -> None:
    tcp = list(prepare(IP(src=ADDRS[0], dst=ADDRS[1]) / TCP(dport=(1, 64), flags="S")))
    assert all(p.strict is not None for p in tcp)
    assert len({p.strict for p in tcp}) == 64
    udp = list(prepare(IP(src=ADDRS[0], dst=ADDRS[1]) / UDP(dport=(1, 64))))
    assert all(p.strict is None for p in udp)
    one = next(iter(prepare(IP(src=ADDRS[0], dst=ADDRS[1]) / TCP(flags="S") / Raw(b"x"))))
    assert one.strict is not None
