"""Capture writers: output other readers accept, exact timestamps, atomic files."""

from __future__ import annotations

import gc
import io
import os
import shutil
import struct
import subprocess
import sys
import types
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netprobe.errors import CaptureFileError, UsageError
from netprobe.wire.pcapfile import (
    NETPROBE_PEN,
    CaptureRecord,
    PcapngWriter,
    PcapWriter,
    open_capture,
    units_from_tsresol,
)

T0 = 1_700_000_000
TSHARK = shutil.which("tshark")


def _need_tshark() -> None:
    if TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required in CI")
        pytest.skip("tshark is not installed")


def read_back(source) -> tuple[list[CaptureRecord], object]:
    with open_capture(source) as reader:
        return list(reader), reader


def leftovers(directory) -> list[str]:
    return sorted(os.listdir(directory))


# --- classic pcap ---------------------------------------------------------------


@pytest.mark.parametrize(("nanosecond", "magic"), [(False, 0xA1B2C3D4), (True, 0xA1B23C4D)])
def test_pcap_writer_header_and_records(tmp_path, nanosecond, magic) -> None:
    path = tmp_path / "out.pcap"
    with PcapWriter(path, linktype=113, nanosecond=nanosecond, snaplen=1234) as writer:
        writer.write(b"abc", T0, 5, 10**6 if not nanosecond else 10**9)
        writer.write(b"defg", T0 + 1, 0, 1, wirelen=1500)
    raw = path.read_bytes()
    assert struct.unpack_from("<IHHiIII", raw) == (magic, 2, 4, 0, 0, 1234, 113)
    records, reader = read_back(path)
    units = 10**9 if nanosecond else 10**6
    assert reader.linktype == 113
    assert [(r.data, r.caplen, r.wirelen, r.ts_sec, r.ts_frac, r.ts_units) for r in records] == [
        (b"abc", 3, 3, T0, 5, units),
        (b"defg", 4, 1500, T0 + 1, 0, units),
    ]
    assert writer.packets_written == 2


def test_pcap_writer_converts_timestamps_exactly(tmp_path) -> None:
    path = tmp_path / "us.pcap"
    with PcapWriter(path, linktype=1) as writer:
        writer.write(b"a", T0, 123456789, 10**9)  # ns -> us: rounded down
        writer.write(b"b", T0, 1, 256)  # 1/256 s = 3906.25 us
        writer.write(b"c", T0, 2_500_000, 10**6)  # an unnormalised fraction
    records, _ = read_back(path)
    assert [r.ts_str for r in records] == [f"{T0}.123456", f"{T0}.003906", f"{T0 + 2}.500000"]


def test_classic_pcap_written_here_reads_in_libpcap(tmp_path) -> None:
    pcapy = pytest.importorskip("pcapy")
    path = tmp_path / "x.pcap"
    with PcapWriter(path, linktype=1) as writer:
        for i in range(5):
            writer.write(bytes([i]) * (60 + i), T0 + i, i * 1000, 10**6, wirelen=100 + i)
    handle = pcapy.open_offline(str(path))
    assert handle.datalink() == 1
    seen = []
    while True:
        header, data = handle.next()
        if header is None:
            break
        seen.append((header.getts(), header.getcaplen(), header.getlen(), bytes(data)))
    assert seen == [((T0 + i, i * 1000), 60 + i, 100 + i, bytes([i]) * (60 + i)) for i in range(5)]


def test_pcap_writer_refuses_what_classic_pcap_cannot_hold(tmp_path) -> None:
    path = tmp_path / "x.pcap"
    with pytest.raises(CaptureFileError, match="does not fit"), PcapWriter(path, 1) as writer:
        writer.write(b"late", 2**32, 0, 10**6)  # after 2106
    assert leftovers(tmp_path) == []
    with PcapWriter(path, linktype=1) as writer:
        with pytest.raises(CaptureFileError):
            writer.write(b"early", -1, 0, 10**6)
        with pytest.raises(UsageError):
            writer.write_record(CaptureRecord(b"x", 1, 1, 101, 0, 0, 10**6))
        with pytest.raises(UsageError):
            writer.write(b"x", 0, 0, 10**6, ifindex=1)
        writer.write(b"ok", 0, 0, 10**6)
    assert [r.data for r in read_back(path)[0]] == [b"ok"]
    with pytest.raises(UsageError):
        PcapWriter(tmp_path / "y.pcap", linktype=-1)


# --- pcapng -----------------------------------------------------------------------


def test_pcapng_writer_interfaces_resolutions_comment_and_custom_blocks(tmp_path) -> None:
    path = tmp_path / "out.pcapng"
    with PcapngWriter(path, comment="run 7") as writer:
        eth = writer.add_interface(1, name="eth0")  # ns
        raw = writer.add_interface(101, name="tun0", tsresol=6, snaplen=96)
        coarse = writer.add_interface(1, tsresol=0x88)  # 2**-8 s
        writer.write_custom_block(NETPROBE_PEN, b'{"probe":"syn"}')
        writer.write(b"e" * 70, T0, 987654321, 10**9, ifindex=eth)
        writer.write(b"r" * 20, T0, 987654321, 10**9, wirelen=40, ifindex=raw)
        writer.write(b"c" * 9, T0, 987654321, 10**9, ifindex=coarse)
        writer.write_custom_block(12345, b"private", copyable=False)
    assert (eth, raw, coarse) == (0, 1, 2)
    records, reader = read_back(path)
    assert reader.sections[0].comment == "run 7"
    assert reader.sections[0].application == "netprobe"
    assert [(i.linktype, i.name, i.ts_units, i.snaplen) for i in reader.interfaces] == [
        (1, "eth0", 10**9, 0),
        (101, "tun0", 10**6, 96),
        (1, None, 256, 0),
    ]
    assert [(r.ifindex, r.linktype, r.caplen, r.wirelen) for r in records] == [
        (0, 1, 70, 70),
        (1, 101, 20, 40),
        (2, 1, 9, 9),
    ]
    # Each interface holds the same instant, rounded down to its units.
    assert [r.ts_str for r in records] == [f"{T0}.987654321", f"{T0}.987654", f"{T0}.98437500"]
    meta, private = reader.custom_blocks
    assert (meta.pen, meta.data.rstrip(b"\0"), meta.copyable) == (
        NETPROBE_PEN,
        b'{"probe":"syn"}',
        True,
    )
    assert (private.pen, private.data.rstrip(b"\0"), private.copyable) == (12345, b"private", False)


def test_pcapng_written_here_reads_in_tshark(tmp_path) -> None:
    _need_tshark()
    path = tmp_path / "x.pcapng"
    with PcapngWriter(path, comment="checked by tshark") as writer:
        writer.add_interface(1, name="a", tsresol=9)
        writer.add_interface(0, name="b", tsresol=3)
        writer.write_custom_block(NETPROBE_PEN, b"metadata")
        writer.write(bytes(60), T0, 123456789, 10**9, ifindex=0)
        writer.write(b"\x02\0\0\0" + bytes(30), T0 + 1, 5, 10**3, wirelen=50, ifindex=1)
    proc = subprocess.run(
        [
            *(TSHARK, "-n", "-r", str(path), "-T", "fields", "-E", "separator=,"),
            *("-e", "frame.interface_id", "-e", "frame.len", "-e", "frame.cap_len"),
            *("-e", "frame.time_epoch", "-e", "frame.encap_type"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split(",") for line in proc.stdout.splitlines()]
    packets = [row for row in rows if row[4]]  # tshark 4 also lists custom blocks
    assert [row[:4] for row in packets] == [
        ["0", "60", "60", f"{T0}.123456789"],
        ["1", "50", "34", f"{T0 + 1}.005000000"],
    ]


def test_pcapng_writer_refuses_unknown_interfaces_and_bad_values(tmp_path) -> None:
    with PcapngWriter(tmp_path / "x.pcapng") as writer:
        with pytest.raises(UsageError):
            writer.write(b"x", 0, 0, 10**6)  # no interface yet
        writer.add_interface(1)
        with pytest.raises(UsageError):
            writer.write(b"x", 0, 0, 10**6, ifindex=1)
        with pytest.raises(UsageError):
            writer.write(b"x", 0, 0, 10**6, ifindex=-1)
        with pytest.raises(UsageError):
            writer.write_record(CaptureRecord(b"x", 1, 1, 113, 0, 0, 10**6, 0))
        with pytest.raises(CaptureFileError):
            writer.write(b"x", -1, 0, 10**6)  # before the epoch
        with pytest.raises(UsageError):
            writer.add_interface(0x10000)
        with pytest.raises(UsageError):
            writer.add_interface(1, tsresol=256)
        writer.write_record(CaptureRecord(b"y", 1, 1, 1, 3, 4, 10**6, 0))
    records, _ = read_back(tmp_path / "x.pcapng")
    assert [(r.data, r.ts_str) for r in records] == [(b"y", "3.000004000")]


# --- atomic output ------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda p: PcapWriter(p, 1), lambda p: PcapngWriter(p)])
def test_exception_in_the_with_block_leaves_no_file(tmp_path, make) -> None:
    path = tmp_path / "out.cap"
    with pytest.raises(RuntimeError, match="boom"), make(path) as writer:
        if isinstance(writer, PcapngWriter):
            writer.add_interface(1)
        writer.write(b"half", T0, 0, 10**6)
        assert leftovers(tmp_path) != []  # the temporary file exists meanwhile
        raise RuntimeError("boom")
    assert leftovers(tmp_path) == []


def test_abort_removes_the_temporary_file_and_keeps_an_older_file(tmp_path) -> None:
    path = tmp_path / "out.pcap"
    path.write_bytes(b"previous contents")
    writer = PcapWriter(path, linktype=1)
    writer.write(b"new", T0, 0, 10**6)
    writer.abort()
    assert leftovers(tmp_path) == ["out.pcap"]
    assert path.read_bytes() == b"previous contents"
    with pytest.raises(UsageError):
        writer.write(b"after abort", T0, 0, 10**6)


def test_close_replaces_the_destination_with_an_ordinary_file(tmp_path) -> None:
    path = tmp_path / "out.pcap"
    path.write_bytes(b"previous contents")
    old_mask = os.umask(0o027)
    try:
        with PcapWriter(path, linktype=1) as writer:
            writer.write(b"new", T0, 0, 10**6)
            assert path.read_bytes() == b"previous contents"  # not yet
    finally:
        os.umask(old_mask)
    assert leftovers(tmp_path) == ["out.pcap"]
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert [r.data for r in read_back(path)[0]] == [b"new"]


def test_a_writer_dropped_without_close_leaves_no_file(tmp_path) -> None:
    writer = PcapngWriter(tmp_path / "dropped.pcapng")
    writer.add_interface(1)
    assert leftovers(tmp_path) != []
    del writer
    gc.collect()
    assert leftovers(tmp_path) == []


def test_unwritable_destination_is_a_capture_file_error(tmp_path) -> None:
    with pytest.raises(CaptureFileError, match="cannot create"):
        PcapWriter(tmp_path / "no" / "such" / "dir.pcap", linktype=1)


def test_writers_accept_file_objects_and_stdout(monkeypatch) -> None:
    stream = io.BytesIO()
    with PcapngWriter(stream) as writer:
        writer.add_interface(1)
        writer.write(b"to a stream", T0, 0, 10**6)
    assert not stream.closed
    records, _ = read_back(io.BytesIO(stream.getvalue()))
    assert [r.data for r in records] == [b"to a stream"]

    fake_stdout = types.SimpleNamespace(buffer=io.BytesIO())
    monkeypatch.setattr(sys, "stdout", fake_stdout)
    with PcapWriter("-", linktype=1) as writer:
        writer.write(b"to stdout", T0, 0, 10**6)
    records, _ = read_back(io.BytesIO(fake_stdout.buffer.getvalue()))
    assert [r.data for r in records] == [b"to stdout"]


# --- property: whatever is written reads back the same ------------------------------

records_strategy = st.lists(
    st.tuples(
        st.binary(max_size=300),
        st.integers(min_value=0, max_value=2**32 - 1),  # seconds
        st.integers(min_value=0, max_value=10**9 - 1),  # nanoseconds
        st.integers(min_value=0, max_value=2**32 - 1),  # wire length
    ),
    max_size=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=records_strategy,
    nanosecond=st.booleans(),
    tsresol=st.sampled_from([3, 6, 9, 0x88, 0x94]),
)
def test_written_records_read_back_exactly(tmp_path, records, nanosecond, tsresol) -> None:
    pcap_units = 10**9 if nanosecond else 10**6
    pcap_path, ng_path = tmp_path / "p.pcap", tmp_path / "p.pcapng"
    with PcapWriter(pcap_path, 1, nanosecond=nanosecond) as pw, PcapngWriter(ng_path) as nw:
        nw.add_interface(1, tsresol=tsresol)
        for data, sec, ns, wirelen in records:
            pw.write(data, sec, ns, 10**9, wirelen)
            nw.write(data, sec, ns, 10**9, wirelen)
    for path in (pcap_path, ng_path):
        back, _ = read_back(path)
        assert [(r.data, r.wirelen) for r in back] == [(d, w) for d, _, _, w in records]
        for rec, (_, sec, ns, _) in zip(back, records):
            exact = Fraction(sec * 10**9 + ns, 10**9)
            got = Fraction(rec.ts_sec * rec.ts_units + rec.ts_frac, rec.ts_units)
            # Rounded down to the file's units, never more than one unit off.
            assert 0 <= exact - got < Fraction(1, rec.ts_units)
            assert rec.ts_units == (
                pcap_units if path == pcap_path else units_from_tsresol(tsresol)
            )
