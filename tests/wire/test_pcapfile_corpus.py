"""The capture reader against the shared corpus of real files, with tshark as the oracle.

Expectations are produced at test time by running tshark 4 on the same file:
per packet the wire length, captured length, timestamp, Wireshark
encapsulation and interface id; per file the link types of its header or
interface blocks.  libpcap (through pcapy) is a second oracle for the packet
bytes, and for the file tshark cannot read.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile import open_capture

CORPUS = Path(os.environ.get("NETPROBE_PCAP_CORPUS", "/work/shared/pcaps/corpus"))
if not CORPUS.is_dir():
    pytest.skip(f"capture corpus not found at {CORPUS}", allow_module_level=True)

FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")

# The corpus README names these as damaged; each must give CaptureFileError.
REJECTED = {
    "libpcap__pcap-invalid-version-1.pcap",
    "libpcap__pcapng-invalid-vers-1.pcapng",
    "libpcap__shb-option-too-long.pcapng",
}
CUT_SHORT = "dpkt__truncated_dns_2.pcap"
TSHARK_TIMEOUT = 120
TSHARK = shutil.which("tshark")


def _need_tshark() -> None:
    if TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required in CI")
        pytest.skip("tshark is not installed")


def _run_tshark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TSHARK, "-n", *args],
        capture_output=True,
        text=True,
        timeout=TSHARK_TIMEOUT,
        check=False,
    )


@cache
def tshark_packets(path: Path) -> tuple[list[tuple[str, ...]], bool]:
    """tshark's packet rows (wirelen, caplen, epoch, encap, interface id) and whether it failed.

    tshark 4 also shows pcapng custom blocks as frames without an
    encapsulation; those are not packets and are dropped.
    """
    fields = ["frame.len", "frame.cap_len", "frame.time_epoch", "frame.encap_type"]
    fields.append("frame.interface_id")
    args = ["-r", str(path), "-T", "fields", "-E", "separator=/t"]
    for field in fields:
        args += ["-e", field]
    proc = _run_tshark(*args)
    rows = [tuple(line.split("\t")) for line in proc.stdout.splitlines() if line]
    return [row for row in rows if row[3] != ""], proc.returncode != 0


@cache
def tshark_file_linktypes(path: Path) -> list[int]:
    """Link types tshark's file-format dissector finds in the file's headers/IDBs."""
    proc = _run_tshark(
        "-r",
        str(path),
        "-X",
        "read_format:MIME Files Format",
        "-T",
        "fields",
        "-e",
        "pcap.header.link_type",
        "-e",
        "pcapng.interface_description.link_type",
    )
    values = proc.stdout.replace("\t", ",").split(",")
    return [int(v) for v in values if v.strip()]


@cache
def tshark_encap_for(linktype: int) -> int | None:
    """The Wireshark encapsulation tshark gives a classic pcap of ``linktype``."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    record = struct.pack("<IIII", 1, 0, 64, 64) + bytes(64)
    with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
        tmp.write(header + record)
        tmp.flush()
        proc = _run_tshark("-r", tmp.name, "-T", "fields", "-e", "frame.encap_type")
    lines = proc.stdout.split()
    return int(lines[0]) if proc.returncode == 0 and lines else None


@pytest.fixture(scope="module")
def warm_tshark_cache() -> None:
    """Run tshark over the whole corpus on both cores before the per-file tests."""
    if TSHARK is None:
        return
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(tshark_packets, FILES))


@cache
def read_all(path: Path) -> tuple[list, object, CaptureFileError | None]:
    """Every record the reader delivers, the reader, and the error that ended it (if any)."""
    records = []
    reader = None
    try:
        with open_capture(path) as reader:
            for rec in reader:
                records.append(rec)
    except CaptureFileError as exc:
        return records, reader, exc
    return records, reader, None


def exact_time(rec) -> Fraction:
    return Fraction(rec.ts_sec * rec.ts_units + rec.ts_frac, rec.ts_units)


def tshark_time(text: str) -> Fraction:
    # tshark prints "%u.%09u" of (seconds, nanoseconds) and does not normalise
    # nanoseconds >= 10**9 (from invalid microsecond fields), so read the part
    # after the dot as a nanosecond count, not as decimal digits.
    sec, _, ns = text.partition(".")
    return Fraction(int(sec)) + Fraction(int(ns or "0"), 10**9)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_reads_or_fails_cleanly(path: Path) -> None:
    records, reader, error = read_all(path)
    if path.name in REJECTED or path.name == CUT_SHORT:
        assert error is not None
    else:
        assert error is None, str(error)
        assert reader.packets_read == len(records)
    if error is not None:
        assert error.offset is not None
        assert error.path == str(path)
    for rec in records:
        assert rec.caplen == len(rec.data)
        assert 0 <= rec.ifindex < len(reader.interfaces)
        assert rec.linktype == reader.interfaces[rec.ifindex].linktype
        assert rec.ts_units == reader.interfaces[rec.ifindex].ts_units
        assert Fraction(Decimal(rec.ts_str)) == exact_time(rec)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_packets_match_tshark(path: Path, warm_tshark_cache: None) -> None:
    _need_tshark()
    expected, tshark_failed = tshark_packets(path)
    records, reader, error = read_all(path)
    if tshark_failed and not expected and path.name != CUT_SHORT:
        # tshark rejects the file outright.  Either we reject it too, or
        # libpcap, the other reference reader, reads what we read.
        if error is None:
            assert [p[2:] for p in _libpcap_packets(path)] == [
                (r.caplen, r.wirelen, r.data) for r in records
            ]
        return
    if path.name == CUT_SHORT:
        assert tshark_failed
        assert error is not None
    else:
        assert error is None, str(error)
    assert len(records) == len(expected)
    for number, (rec, row) in enumerate(zip(records, expected), 1):
        wirelen, caplen, epoch, encap, ifid = row
        where = f"packet {number}"
        assert rec.wirelen == int(wirelen), where
        assert rec.caplen == int(caplen), where
        if epoch == "":
            # A pcapng simple packet block carries no timestamp.
            assert (rec.ts_sec, rec.ts_frac) == (0, 0), where
        elif rec.ts_frac >= rec.ts_units and 10**9 % rec.ts_units == 0:
            # An invalid fraction field (one second or more).  We keep the
            # exact value; wiretap scales it into a 32-bit nanosecond field,
            # which wraps, so compare with that wrapped value.
            wrapped = rec.ts_frac * (10**9 // rec.ts_units) % 2**32
            assert tshark_time(epoch) == rec.ts_sec + Fraction(wrapped, 10**9), where
        elif 10**9 % rec.ts_units == 0:
            assert exact_time(rec) == tshark_time(epoch), where
        else:
            # Units finer than (or not dividing) a nanosecond: tshark shows ns.
            assert abs(exact_time(rec) - tshark_time(epoch)) < Fraction(1, 10**9), where
        assert tshark_encap_for(rec.linktype) == int(encap), where
        if reader.format == "pcapng":
            assert reader.interfaces[rec.ifindex].local_id == int(ifid), where


def _link_type_signature(path: Path) -> tuple | None:
    _, reader, _ = read_all(path)
    if reader is None:
        return None
    return reader.format, len(reader.sections), tuple(i.linktype for i in reader.interfaces)


def test_file_link_types_match_tshark() -> None:
    """Header / IDB link types equal those of tshark's file-format dissector.

    Running that dissector costs a tshark start per file, so it runs on one
    file per distinct (format, link types) signature; every packet's link
    type is compared on every file in test_packets_match_tshark.
    """
    _need_tshark()
    representatives: dict[tuple, Path] = {}
    for path in FILES:
        signature = _link_type_signature(path)
        if signature is not None:
            representatives.setdefault(signature, path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = dict(
            zip(representatives.values(), pool.map(tshark_file_linktypes, representatives.values()))
        )
    checked = 0
    for path, expected in found.items():
        _, reader, _ = read_all(path)
        if reader.format == "pcap":
            assert expected == [reader.header.linktype_field], path.name
            assert reader.linktype == expected[0] & 0xFFFF, path.name
            checked += 1
        elif len(reader.sections) == 1 and expected:
            # tshark's pcapng file dissector stops early in multi-section
            # files, so only single-section ones are compared in full.
            assert [i.linktype for i in reader.interfaces] == expected, path.name
            assert reader.linktype == expected[0], path.name
            checked += 1
    assert checked >= 10


def test_rejected_files_give_capture_file_errors() -> None:
    for name in sorted(REJECTED):
        path = CORPUS / name
        with pytest.raises(CaptureFileError) as info, open_capture(path) as reader:
            list(reader)
        assert info.value.offset is not None, name
        assert name in str(info.value)


def test_pcap_version_error_names_the_version() -> None:
    with pytest.raises(CaptureFileError, match=r"version 1\.4"):
        open_capture(CORPUS / "libpcap__pcap-invalid-version-1.pcap")


def test_pcapng_version_error_names_the_version() -> None:
    with pytest.raises(CaptureFileError, match=r"version 0\.1") as info:
        open_capture(CORPUS / "libpcap__pcapng-invalid-vers-1.pcapng")
    assert info.value.offset == 0


def test_cut_short_file_delivers_the_packets_before_the_cut() -> None:
    path = CORPUS / CUT_SHORT
    size = path.stat().st_size
    records, reader, error = read_all(path)
    assert error is not None
    assert reader.packets_read == len(records) >= 1
    # The damaged record starts after the last good one and before the end.
    good_end = 24 + sum(16 + rec.caplen for rec in records)
    assert error.offset == good_end < size
    if TSHARK is not None:
        expected, failed = tshark_packets(path)
        # tshark reads up to the cut too, and then reports the damage.
        assert failed
        assert len(records) == len(expected)


def test_format_is_sniffed_not_taken_from_the_name() -> None:
    # The corpus README lists this ".pcap" file as pcapng content.
    with open_capture(CORPUS / "pcapplusplus__BgpPackets.pcap") as reader:
        assert reader.format == "pcapng"


def test_sections_and_interfaces_of_a_multi_section_file() -> None:
    path = CORPUS / "gopacket__pcapng-le-test202.pcapng"
    records, reader, error = read_all(path)
    assert error is None
    assert len(reader.sections) == 3
    # Interfaces restart at local id 0 in every section.
    for section in range(3):
        ids = [i.local_id for i in reader.interfaces if i.section == section]
        assert ids == list(range(len(ids))) and ids
    # Record interface indexes run on across sections.
    assert max(rec.ifindex for rec in records) >= 3
    # Custom blocks are skipped as packets but kept for the caller.
    assert reader.custom_blocks
    assert {b.copyable for b in reader.custom_blocks} == {True, False}


def _libpcap_packets(path: Path) -> list[tuple[int, int, int, int, bytes]]:
    pcapy = pytest.importorskip("pcapy")
    handle = pcapy.open_offline(str(path))
    packets = []
    while True:
        header, data = handle.next()
        if header is None:
            break
        sec, usec = header.getts()
        packets.append((sec, usec, header.getcaplen(), header.getlen(), bytes(data)))
    return packets


@pytest.mark.parametrize(
    "name",
    [
        "libpcap__brcm-tag.pcap",  # tshark 4.0 rejects link type 281
        "pcapplusplus__example.pcap",
        "pcapplusplus__microsecs_big_endian.pcap",
        "pcapplusplus__nanosecs_big_endian.pcap",
        "pcapparser__modified-format.pcap",
        "pcapparser__wireshark_samples-test.pcapng",
        "zeek__cooper-grill-dvwa.pcapng",
    ],
)
def test_bytes_and_lengths_match_libpcap(name: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{name} not in this corpus")
    expected = _libpcap_packets(path)
    records, _, error = read_all(path)
    assert error is None
    assert len(records) == len(expected)
    for rec, (sec, usec, caplen, wirelen, data) in zip(records, expected):
        assert (rec.caplen, rec.wirelen, rec.data) == (caplen, wirelen, data)
        # libpcap hands out microseconds, cutting finer units.
        assert (
            rec.ts_sec * rec.ts_units + rec.ts_frac
        ) * 10**6 // rec.ts_units == sec * 10**6 + usec
