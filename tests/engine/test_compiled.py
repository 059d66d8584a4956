"""The compiled batch operations (``_batch.c``) and their numpy twins give the same bytes.

The template tests check stamped probes against the packet engine's own builds
through whichever implementation is active; here the C functions are compared
with the twins directly, on the same sets and on random and malformed
captures, so that neither can drift from the other.
"""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netprobe.engine import compiled
from netprobe.engine.strictkeys import answer_keys, template_keys
from netprobe.engine.template import ProbeTemplate, TemplateUnsupported
from netprobe.packet import IP, TCP, UDP, IPv6, Raw
from netprobe.packet import route as packet_route
from tests.engine.test_template import SCANNER, TEMPLATED, templatable_sets

cbatch = compiled.batch
needs_c = pytest.mark.skipif(cbatch is None, reason="the C extension was not built here "
                                                  "(no compiler, or NETPROBE_PURE=1)")


@pytest.fixture(autouse=True)
def fixed_source() -> Iterator[None]:
    previous = packet_route._resolver
    packet_route.set_source_resolver(lambda dst: SCANNER)
    try:
        yield
    finally:
        packet_route.set_source_resolver(previous)


def test_the_extension_is_built_in_ci() -> None:
    """CI installs with a compiler: a failed build must not pass unnoticed as 'slower'."""
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI the extension is optional")
    if os.environ.get("NETPROBE_PURE", "") not in ("", "0"):
        pytest.skip("NETPROBE_PURE asks for the numpy twins")
    assert cbatch is not None, "netprobe.engine._batch did not build at install"


def _compare_template(template: ProbeTemplate, chunk: int) -> None:
    width = template.length
    for start in range(0, len(template), chunk):
        raw = template.stamp(start, chunk)  # the C path (needs_c), window cut to the set
        arr = template.batch(start, chunk)
        assert raw == arr.tobytes(), f"stamp differs at probes {start}..{start + chunk}"
        if template.key_shape is not None:
            ip = template.key_shape[0]
            keys, stricts = cbatch.ipv4_keys(raw, width, ip)
            assert keys == template.fast_keys(arr)
            if bool((arr[:, ip + 9] == 6).all()):
                assert stricts == template_keys(arr, ip)
            else:
                assert stricts == [None] * len(keys)


@needs_c
@pytest.mark.parametrize("name", sorted(TEMPLATED))
def test_stamp_and_keys_equal_the_numpy_twins(name: str) -> None:
    try:
        template = ProbeTemplate(TEMPLATED[name]())
    except TemplateUnsupported:
        pytest.skip("not a template set")
    _compare_template(template, 7)


@needs_c
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templatable_sets())
def test_random_sets_stamp_alike(case: tuple) -> None:
    packet_set, _ = case
    try:
        template = ProbeTemplate(packet_set)
    except TemplateUnsupported:
        return
    _compare_template(template, 5)


@needs_c
def test_stamp_windows_past_the_end_are_cut() -> None:
    template = ProbeTemplate(IP(dst="198.18.1.11") / TCP(dport=range(1, 11), flags="S"))
    assert template.stamp(8, 100) == template.batch(8, 100).tobytes()
    assert len(template.stamp(8, 100)) == 2 * template.length
    assert template.stamp(10, 5) == b""


@needs_c
def test_stamp_refuses_bad_arguments_instead_of_writing_out_of_bounds() -> None:
    base = bytes(40)
    values = struct.pack("=2Q", 1, 2)
    with pytest.raises(ValueError):
        cbatch.stamp(base, 0, 2, (2,), ((39, 2, 0, 16, values),), ())
    with pytest.raises(ValueError):
        cbatch.stamp(base, 0, 2, (3,), ((0, 2, 0, 16, values),), ())  # too few values
    with pytest.raises(ValueError):
        cbatch.stamp(base, 0, 1, (), (), ((10, 0, (40,), False),))
    with pytest.raises(ValueError):
        cbatch.ipv4_keys(bytes(30), 30, 10)


def _capture(frames: list[bytes]) -> tuple[bytes, bytes]:
    buf, meta = b"", b""
    for i, f in enumerate(frames):
        meta += struct.pack("=IIII", 1700000000 + i, i, len(buf), len(f))
        buf += f + b"\xee" * (i % 3)
    return buf, meta


def _tcp_frames(rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        pkt = IP(src="198.18.1.11", dst=SCANNER, flags=rng.choice([0, "DF", "MF"]),
                 frag=rng.choice([0, 0, 0, 3])) / TCP(
            sport=rng.randrange(65536), dport=rng.randrange(65536),
            ack=rng.getrandbits(32), flags=rng.choice(["SA", "R", "RA", "A", "S"]))
        if rng.random() < 0.2:
            pkt = IP(src="198.18.1.11", dst=SCANNER) / UDP(dport=53) / Raw(b"x" * 20)
        elif rng.random() < 0.35:
            pkt = IPv6(src="2001:db8:1::11", dst="2001:db8:1::2") / TCP(
                sport=rng.randrange(65536), dport=rng.randrange(65536),
                ack=rng.getrandbits(32), flags=rng.choice(["SA", "R", "RA", "A", "S"]))
        data = bytes(pkt)
        r = rng.random()
        if r < 0.1:
            data = data[:rng.randrange(len(data))]  # truncated
        elif r < 0.2:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 70)))  # noise
        elif r < 0.25:
            data = bytes(pkt)[:2] + b"\xff\xff" + bytes(pkt)[4:]  # total length lies
        out.append(data)
    return out


def _ethertype(packet: bytes, rng: random.Random) -> bytes:
    """The EtherType of ``packet``'s IP version, now and then the other one (a lie)."""
    v6 = bool(packet) and packet[0] >> 4 == 6
    if rng.random() < 0.1:
        v6 = not v6
    return b"\x86\xdd" if v6 else b"\x08\x00"


@needs_c
@pytest.mark.parametrize("linktype", [101, 1, 113, 12, 228, 147])
@pytest.mark.parametrize("seed", range(4))
def test_answer_keys_equal_the_numpy_twin(linktype: int, seed: int) -> None:
    rng = random.Random(seed)
    frames = _tcp_frames(rng, 200)
    if linktype == 1:
        frames = [bytes(12) + _ethertype(f, rng) + f for f in frames]
    elif linktype == 113:
        frames = [b"\x00\x00\x00\x01\x00\x06" + bytes(8) + _ethertype(f, rng) + f
                  for f in frames]
    buf, meta = _capture(frames)
    rows = np.frombuffer(meta, dtype=np.uint32).reshape(-1, 4)
    assert cbatch.answer_keys(buf, meta, linktype) == answer_keys(buf, rows, linktype)


@needs_c
def test_answer_keys_of_an_empty_batch_and_a_lying_meta() -> None:
    assert cbatch.answer_keys(b"", b"", 101) == []
    frame = bytes(IP(src="198.18.1.11", dst=SCANNER) / TCP(flags="SA"))
    # a record pointing past the buffer's end has no key (and reads nothing beyond it)
    meta = struct.pack("=IIII", 0, 0, 10, len(frame))
    assert cbatch.answer_keys(frame, meta, 101) == [None]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=20), st.sampled_from([1, 101, 113]))
@needs_c
def test_answer_keys_never_fail_on_garbage(frames: list[bytes], linktype: int) -> None:
    buf, meta = _capture(frames)
    rows = np.frombuffer(meta, dtype=np.uint32).reshape(-1, 4)
    assert cbatch.answer_keys(buf, meta, linktype) == answer_keys(buf, rows, linktype)
