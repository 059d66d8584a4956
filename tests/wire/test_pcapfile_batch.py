"""The batch readers against the project's record-by-record reader.

Whatever the resync guesses, the records found must be the file's, in
order, and damage must be reported where the project reader reports it,
after the same packets. Small segments make small files exercise the
lockstep walk; a trace whose payloads hold fake pcap records tries to fool
the resync.
"""

from __future__ import annotations

import itertools
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import netprobe.wire.pcapfile.chain_walk as chain_walk
from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile import open_capture
from netprobe.wire.pcapfile.batch import BatchReader

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()
MAKE_TRACE = (REPO / ".." / "shared" / "tools" / "make_trace.py").resolve()


@pytest.fixture(autouse=True)
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments of 2 KiB: even a small file is walked as many chains in lockstep."""
    monkeypatch.setattr(chain_walk, "SEGMENT", 2048)
    monkeypatch.setattr(chain_walk, "WINDOW", 512)
    monkeypatch.setattr(chain_walk, "MIN_LOCKSTEP", 2)


def reference(path: Path) -> tuple[list[tuple[bytes, int, int, int]], str | None]:
    """(data, caplen, wirelen, ts_ns) of every record, and the error, by the project reader."""
    out = []
    error = None
    try:
        with open_capture(str(path)) as reader:
            for rec in reader:
                out.append((rec.data, rec.caplen, rec.wirelen, rec.ts_ns))
    except CaptureFileError as exc:
        error = str(exc)
    return out, error


def batched(path: Path) -> tuple[list[tuple[bytes, int, int, int]], str | None, bool]:
    """The same through :class:`BatchReader` batches (and whether it memory-mapped)."""
    out = []
    with BatchReader(str(path)) as capture:
        for b in capture.batches():
            # a batch may hold its packets in walk order: its rank gives file order
            order = np.argsort(b.rank) if b.rank is not None else np.arange(len(b))
            for i in order.tolist():
                o, c = int(b.off[i]), int(b.caplen[i])
                out.append((b.buf[o:o + c].tobytes(), c, int(b.wirelen[i]), int(b.ts[i])))
        return out, None if capture.error is None else str(capture.error), capture.mapped


def _clamped(records: list[tuple[bytes, int, int, int]]) -> list[tuple[bytes, int, int, int]]:
    limit = (1 << 63) - 1
    return [(d, c, w, max(-limit, min(limit, t))) for d, c, w, t in records]


CAPTURES = sorted(p for p in CORPUS.glob("*") if p.name != "README.md") if CORPUS.is_dir() \
    else []


@pytest.mark.skipif(not CAPTURES, reason="capture corpus not found")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_corpus_records_as_the_project_reader_reads_them(path: Path) -> None:
    try:
        expected, error = reference(path)
    except CaptureFileError:
        pytest.skip("the project reader refuses the file at once")
    try:
        got, got_error, _ = batched(path)
    except CaptureFileError as exc:
        got, got_error = [], str(exc)
    assert got == _clamped(expected)
    assert got_error == error


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MAKE_TRACE.is_file():
        pytest.skip(f"make_trace.py not found at {MAKE_TRACE}")
    path = tmp_path_factory.mktemp("walk") / "trace.pcap"
    subprocess.run([sys.executable, str(MAKE_TRACE), "--packets", "3000", "--flows", "60",
                    "--seed", "5", "--out", str(path)], check=True, capture_output=True,
                   timeout=120)
    return path


def test_mapped_and_exact_on_a_trace(trace: Path) -> None:
    expected, _ = reference(trace)
    got, error, mapped = batched(trace)
    assert mapped and error is None
    assert got == expected


@pytest.mark.parametrize("seed", range(6))
def test_damage_where_the_project_reader_sees_it(trace: Path, tmp_path: Path,
                                                 seed: int) -> None:
    """Cut short, or a record length made absurd: same packets, same offset, same words."""
    data = bytearray(trace.read_bytes())
    rng = random.Random(seed)
    if seed % 2:
        data = data[: rng.randrange(24, len(data))]
    else:
        expected, _ = reference(trace)
        offset, k = 24, rng.randrange(len(expected))
        for rec in expected[:k]:
            offset += 16 + rec[1]
        struct.pack_into("<I", data, offset + 8, 0x7FFFFFF0)
    damaged = tmp_path / "damaged.pcap"
    damaged.write_bytes(bytes(data))
    expected, error = reference(damaged)
    got, got_error, _ = batched(damaged)
    assert got == expected
    assert got_error == error


def test_fake_records_in_payloads_do_not_fool_the_walk(tmp_path: Path) -> None:
    """Payloads made of plausible pcap records (same era, chained) trap every resync."""
    rng = random.Random(1)
    sec = 1_700_000_000
    records = []
    for i in range(400):
        fake = b""
        for _ in range(rng.randrange(1, 6)):  # a chain of fake records inside the packet
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
            fake += struct.pack("<IIII", sec, rng.randrange(10**6), len(body), len(body)) + body
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 30))) + fake
        records.append(struct.pack("<IIII", sec + i, 0, len(payload), len(payload)) + payload)
    path = tmp_path / "fakes.pcap"
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
                     + b"".join(records))
    expected, _ = reference(path)
    got, error, mapped = batched(path)
    assert mapped and error is None
    assert got == expected


def test_byte_ranges_join_exactly(trace: Path) -> None:
    """Ranges that start mid-file find their first record; chained, they are the file."""
    expected, _ = reference(trace)
    size = trace.stat().st_size
    bounds = [24, *sorted(random.Random(3).sample(range(25, size), 7)), size]
    got: list = []
    nxt = 24
    with BatchReader(str(trace)) as capture:
        for lo, hi in itertools.pairwise(bounds):
            if nxt >= hi:
                continue
            start = lo if lo == 24 else nxt  # the part before says where records resume
            for b in capture.batches(start, hi, exact=True):
                order = np.argsort(b.rank) if b.rank is not None else np.arange(len(b))
                got += [b.buf[int(b.off[i]):int(b.off[i]) + int(b.caplen[i])].tobytes()
                        for i in order.tolist()]
            nxt = capture.next_offset
            # and a guess from the range's own start lands on the same record
            if lo != 24:
                found = chain_walk.resync(np.frombuffer(capture._mm, np.uint8), capture.pcap,
                                          lo, size)
                assert found is None or found >= lo
    assert got == [r[0] for r in expected]


@pytest.mark.parametrize("version", [(2, 2), (2, 5), (3, 0), (1, 4)])
def test_other_versions_are_the_streaming_readers_call(trace: Path, tmp_path: Path,
                                                       version: tuple[int, int]) -> None:
    """A pcap version other than 2.4 is read (or refused, in the same words) as the
    streaming reader reads it: the two readers accept the same files."""
    data = bytearray(trace.read_bytes()[:4096])
    order = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    struct.pack_into(order + "HH", data, 4, *version)
    path = tmp_path / "version.pcap"
    path.write_bytes(bytes(data))
    want = reference(path)
    try:
        got = batched(path)
    except CaptureFileError as exc:
        got = ([], str(exc), False)
    assert (got[0], got[1]) == want


def _pcapng_with(middle: bytes, order: str = "<") -> bytes:
    """A pcapng: 300 packets on interface 0, then ``middle``, then 300 more."""
    from test_pcapfile_reader import ng_epb, ng_idb, ng_shb, payload

    first = b"".join(ng_epb(order, 0, 1_700_000_000_000_000 + i, payload(60 + i % 50, i))
                     for i in range(300))
    last = b"".join(ng_epb(order, 0, 1_700_000_100_000_000 + i, payload(40 + i % 70, i))
                    for i in range(300))
    return ng_shb(order) + ng_idb(order, 1) + first + middle + last


def _middles() -> dict[str, bytes]:
    from test_pcapfile_reader import ng_block, ng_epb, ng_idb, ng_opt, ng_opts, ng_shb, payload

    tsresol = ng_opts(">", ng_opt(">", 9, bytes([9])))
    return {
        # new interfaces and sections, read by the streaming reader's parser
        "interface": ng_idb("<", 101) + ng_epb("<", 1, 5, payload(30)),
        "custom block": ng_block("<", 0xBAD, struct.pack("<I", 99) + b"hello!!!"),
        "section": ng_shb("<") + ng_idb("<", 113) + ng_epb("<", 0, 7, payload(20)),
        "big-endian section": ng_shb(">") + ng_idb(">", 1, options=tsresol)
        + b"".join(ng_epb(">", 0, 10**18 + i, payload(50, i)) for i in range(200)),
        # damage the streaming reader words: after every packet before it
        "unknown interface": ng_epb("<", 5, 9, payload(30)),
        "trailing length": ng_epb("<", 0, 9, payload(30))[:-4] + struct.pack("<I", 60),
        "short interface block": ng_block("<", 1, b"\x01\x00"),
    }


@pytest.mark.parametrize("middle", list(_middles()), ids=str)
def test_pcapng_details_mid_file_as_the_project_reader_reads_them(tmp_path: Path,
                                                                   middle: str) -> None:
    """Blocks met mid-file (in a walk, with packets before and after them in the same
    walk) give the packets and the error of the streaming reader."""
    path = tmp_path / "mid.pcapng"
    path.write_bytes(_pcapng_with(_middles()[middle]))
    expected, error = reference(path)
    got, got_error, mapped = batched(path)
    assert mapped
    assert got == expected
    assert got_error == error
