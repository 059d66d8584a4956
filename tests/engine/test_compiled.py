"""The compiled batch operations (``_batch.c``) give what the per-packet Python path gives.

Without the extension (or with ``NETPROBE_PURE=1``) the engine builds every probe
with the layers and keys packets one at a time (``fastpath.key_of``,
``strictkeys.probe_key``, ``strictkeys.answer_key``). Here each C function is
compared with that path on the same inputs, so that neither can drift from the
other: stamped probes byte for byte with the layers' builds of the same set
members, the probes' hash and strict keys with the per-probe keys, and the keys
of random, truncated, lying and garbage captures with the per-packet ones.
The engine run both ways is compared in ``test_pure_fallback.py``.
"""

from __future__ import annotations

import os
import random
import struct
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netprobe.engine import compiled
from netprobe.engine.strictkeys import answer_key, answer_keys, probe_key
from netprobe.engine.template import ProbeTemplate, TemplateUnsupported
from netprobe.packet import IP, TCP, UDP, IPv6, Raw
from netprobe.packet import route as packet_route
from netprobe.packet.fastpath import key_of, parse
from netprobe.packet.layer import Layer
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
        pytest.skip("NETPROBE_PURE asks for the per-packet Python path")
    assert cbatch is not None, "netprobe.engine._batch did not build at install"


def _compare_template(packet_set: Layer, template: ProbeTemplate, chunk: int) -> None:
    """Every window of ``chunk`` stamped probes is the layers' builds of those members,
    and their compiled keys are the per-probe keys of those bytes."""
    built = [bytes(p) for p in packet_set]
    assert len(template) == len(built)
    linktype = template.linktype
    for start in range(0, len(template), chunk):
        raw = template.stamp(start, chunk)  # the C stamper, window cut to the set
        rows = built[start:start + chunk]
        assert raw == b"".join(rows), f"stamp differs at probes {start}..{start + chunk}"
        keyed = template.keys(raw)
        if template.key_shape is None:
            assert keyed is None
            continue
        keys, stricts = keyed
        parsed = [parse(r, linktype) for r in rows]
        assert keys == [key_of(f, r) for f, r in zip(parsed, rows, strict=True)]
        assert stricts == [probe_key(r, f) for f, r in zip(parsed, rows, strict=True)]


@needs_c
@pytest.mark.parametrize("name", sorted(TEMPLATED))
def test_stamp_and_keys_equal_the_per_probe_path(name: str) -> None:
    packet_set = TEMPLATED[name]()
    try:
        template = ProbeTemplate(packet_set)
    except TemplateUnsupported:
        pytest.skip("not a template set")
    _compare_template(packet_set, template, 7)


@needs_c
def test_the_keyed_sets_key_every_probe() -> None:
    """The comparison above is not vacuous: TCP and UDP sets get C keys, TCP strict ones."""
    shapes = {}
    for name in ("tcp ports over a cidr", "ether on top", "odd payload length"):
        template = ProbeTemplate(TEMPLATED[name]())
        assert template.key_shape is not None, name
        keys, stricts = template.keys(template.stamp(0, len(template)))
        assert all(k is not None for k in keys)
        shapes[name] = sum(s is not None for s in stricts), len(stricts)
    assert shapes["tcp ports over a cidr"] == (48, 48)
    assert shapes["odd payload length"] == (0, 40)  # UDP: no strict keys


@needs_c
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templatable_sets())
def test_random_sets_stamp_alike(case: tuple) -> None:
    packet_set, _ = case
    try:
        template = ProbeTemplate(packet_set)
    except TemplateUnsupported:
        return
    _compare_template(packet_set, template, 5)


@needs_c
def test_stamp_windows_past_the_end_are_cut() -> None:
    packet_set = IP(dst="198.18.1.11") / TCP(dport=range(1, 11), flags="S")
    template = ProbeTemplate(packet_set)
    assert template.stamp(8, 100) == b"".join(bytes(p) for p in list(packet_set)[8:])
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
        elif r < 0.3:  # the TCP data offset lies (60 bytes)
            at = (40 if data[0] >> 4 == 6 else 20) + 12
            data = data[:at] + bytes([data[at] | 0xF0]) + data[at + 1:]
        out.append(data)
    return out


def _ethertype(packet: bytes, rng: random.Random) -> bytes:
    """The EtherType of ``packet``'s IP version, now and then the other one (a lie)."""
    v6 = bool(packet) and packet[0] >> 4 == 6
    if rng.random() < 0.1:
        v6 = not v6
    return b"\x86\xdd" if v6 else b"\x08\x00"


#: per link type with a header: the frame around an IP packet
LINK_HEADERS = {
    1: lambda f, et: bytes(12) + et + f,
    113: lambda f, et: b"\x00\x00\x00\x01\x00\x06" + bytes(8) + et + f,
    276: lambda f, et: et + bytes(18) + f,
}


@needs_c
@pytest.mark.parametrize("linktype", [101, 1, 113, 12, 228, 229, 276, 147])
@pytest.mark.parametrize("seed", range(4))
def test_answer_keys_equal_the_per_packet_keys(linktype: int, seed: int) -> None:
    rng = random.Random(seed)
    frames = _tcp_frames(rng, 200)
    if linktype in LINK_HEADERS:
        frames = [LINK_HEADERS[linktype](f, _ethertype(f, rng)) for f in frames]
    buf, meta = _capture(frames)
    got = cbatch.answer_keys(buf, meta, linktype)
    assert got == answer_keys(buf, meta, linktype)
    if linktype == 147:  # not a link type the keys are read from
        assert got is None
        return
    assert got == [answer_key(f, linktype) for f in frames]
    assert sum(k is not None for k in got) > 20  # the sample has keyed answers


@needs_c
def test_answer_keys_of_an_empty_batch_and_a_lying_meta() -> None:
    assert cbatch.answer_keys(b"", b"", 101) == [] == answer_keys(b"", b"", 101)
    frame = bytes(IP(src="198.18.1.11", dst=SCANNER) / TCP(flags="SA"))
    # a record pointing past the buffer's end has no key (and reads nothing beyond it)
    meta = struct.pack("=IIII", 0, 0, 10, len(frame))
    assert cbatch.answer_keys(frame, meta, 101) == [None] == answer_keys(frame, meta, 101)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=20), st.sampled_from([1, 101, 113, 276]))
@needs_c
def test_answer_keys_never_fail_on_garbage(frames: list[bytes], linktype: int) -> None:
    buf, meta = _capture(frames)
    assert cbatch.answer_keys(buf, meta, linktype) == answer_keys(buf, meta, linktype)
