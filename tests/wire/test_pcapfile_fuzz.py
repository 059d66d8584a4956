"""Arbitrary and damaged input: the reader ends, and only ever with CaptureFileError."""

from __future__ import annotations

import io
import signal
import struct
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile import open_capture

# Seconds any single input may take; far above the real cost (milliseconds),
# so only a hang or a runaway loop trips it.
TIME_LIMIT = 10

PCAP_HEADERS = [
    struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for order in "<>"
    for magic in (0xA1B2C3D4, 0xA1B23C4D, 0xA1B2CD34)
]
PCAPNG_STARTS = [
    struct.pack(order + "IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1)
    + struct.pack(order + "I", 28)
    for order in "<>"
]
MAGICS = [h[:4] for h in PCAP_HEADERS] + [b"\n\r\r\n"]


def _valid_pcapng(order: str) -> bytes:
    def block(btype: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        n = len(body) + 12
        return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)

    idb_opts = struct.pack(order + "HH", 9, 1) + b"\x09\0\0\0" + bytes(4)
    out = block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack(order + "HHI", 1, 0, 128) + idb_opts)
    for i in range(4):
        out += block(6, struct.pack(order + "IIIII", 0, 0, i, 20 + i, 60) + bytes(range(20 + i)))
    out += block(3, struct.pack(order + "I", 200) + bytes(128))
    out += block(0x0BAD, struct.pack(order + "I", 1) + b"custom")
    return out


def _valid_pcap(order: str) -> bytes:
    out = PCAP_HEADERS[0 if order == "<" else 3]
    for i in range(4):
        out += struct.pack(order + "IIII", 1_700_000_000, i, 30 + i, 60) + bytes(range(30 + i))
    return out


VALID_FILES = [_valid_pcap("<"), _valid_pcap(">"), _valid_pcapng("<"), _valid_pcapng(">")]


@contextmanager
def time_limit(seconds: int):
    def expire(signum, frame):
        raise TimeoutError(f"reader still busy after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def consume(data: bytes) -> None:
    """Read ``data`` to its end; only CaptureFileError may stop it, with a sane offset."""
    records = []
    with time_limit(TIME_LIMIT):
        try:
            with open_capture(io.BytesIO(data)) as reader:
                for rec in reader:
                    records.append(rec)
        except CaptureFileError as exc:
            assert exc.offset is None or 0 <= exc.offset <= len(data)
            assert str(exc)
    for rec in records:
        assert rec.caplen == len(rec.data)
        assert rec.ts_units >= 1
    # Every delivered byte came from the input.
    assert sum(len(rec.data) for rec in records) <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    consume(data)


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from(PCAP_HEADERS + PCAPNG_STARTS + MAGICS), tail=st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_start(prefix: bytes, tail: bytes) -> None:
    consume(prefix + tail)


@settings(max_examples=400, deadline=None)
@given(
    original=st.sampled_from(VALID_FILES),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255)
        ),
        min_size=1,
        max_size=6,
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
)
def test_damaged_valid_files(original: bytes, edits, cut) -> None:
    data = bytearray(original)
    for where, value in edits:
        data[where % len(data)] = value
    if cut is not None:
        del data[cut % (len(data) + 1) :]
    consume(bytes(data))


@settings(max_examples=200, deadline=None)
@given(
    order=st.sampled_from("<>"),
    blocks=st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3, 4, 5, 6, 0x0BAD, 0x40000BAD, 0x0A0D0D0A, 0xDEAD]),
            st.binary(max_size=80),
            st.integers(min_value=-8, max_value=8),  # error in the declared length
        ),
        max_size=8,
    ),
)
def test_random_pcapng_block_sequences(order: str, blocks) -> None:
    data = _valid_pcapng(order)[:28]  # a section header
    for btype, body, skew in blocks:
        length = 12 + len(body) + skew
        data += struct.pack(order + "II", btype, length & 0xFFFFFFFF) + body
        data += struct.pack(order + "I", (12 + len(body)) & 0xFFFFFFFF)
    consume(data)


@settings(max_examples=300, deadline=None)
@given(
    order=st.sampled_from("<>"),
    shb_options=st.lists(st.tuples(st.integers(0, 5), st.binary(max_size=12)), max_size=4),
    idb_options=st.lists(
        st.tuples(st.sampled_from([0, 1, 2, 3, 9, 13, 14, 99]), st.binary(max_size=12)), max_size=5
    ),
    slack=st.integers(min_value=-6, max_value=6),  # option lengths that lie
)
def test_random_options(order: str, shb_options, idb_options, slack: int) -> None:
    def options(items) -> bytes:
        out = b""
        for i, (code, value) in enumerate(items):
            declared = max(0, len(value) + (slack if i == len(items) - 1 else 0))
            out += struct.pack(order + "HH", code, declared) + value + bytes(-len(value) % 4)
        return out

    def block(btype: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        n = len(body) + 12
        return struct.pack(order + "II", btype, n) + body + struct.pack(order + "I", n)

    data = block(
        0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1) + options(shb_options)
    )
    data += block(1, struct.pack(order + "HHI", 1, 0, 0) + options(idb_options))
    data += block(6, struct.pack(order + "IIIII", 0, 1, 2, 4, 4) + b"data")
    consume(data)
