"""The capture reader on hand-built files: every format feature and every kind of damage.

The files are assembled here with ``struct`` from the format descriptions
(tcpdump.org's pcap and the pcapng draft), independently of netprobe's writers.
"""

from __future__ import annotations

import io
import struct
import sys
import types
from pathlib import Path

import pytest

from netprobe.errors import CaptureFileError, UsageError
from netprobe.wire.pcapfile import NANO, chunked_input, open_capture

MICRO_MAGIC = 0xA1B2C3D4
NANO_MAGIC = 0xA1B23C4D
MODIFIED_MAGIC = 0xA1B2CD34
T0 = 1_700_000_000

# --- builders: classic pcap ---------------------------------------------------


def pcap_file(
    records=(),
    *,
    order="<",
    magic=MICRO_MAGIC,
    version=(2, 4),
    linktype=1,
    snaplen=65535,
    modified=False,
) -> bytes:
    """A classic pcap; ``records`` are (sec, frac, data, wirelen)."""
    out = struct.pack(order + "IHHiIII", magic, *version, 0, 0, snaplen, linktype)
    for sec, frac, data, wirelen in records:
        out += struct.pack(order + "IIII", sec, frac, len(data), wirelen)
        if modified:
            # ifindex, protocol, pkt_type, pad
            out += struct.pack(order + "IHBx", 7, 0x0800, 4)
        out += data
    return out


# --- builders: pcapng ---------------------------------------------------------


def ng_block(order: str, btype: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    length = len(body) + 12
    return struct.pack(order + "II", btype, length) + body + struct.pack(order + "I", length)


def ng_opt(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def ng_opts(order: str, *options: bytes) -> bytes:
    return b"".join(options) + struct.pack(order + "HH", 0, 0) if options else b""


def ng_shb(order="<", version=(1, 0), options=b"") -> bytes:
    body = struct.pack(order + "IHHq", 0x1A2B3C4D, *version, -1) + options
    return ng_block(order, 0x0A0D0D0A, body)


def ng_idb(order="<", linktype=1, snaplen=0, options=b"") -> bytes:
    return ng_block(order, 1, struct.pack(order + "HHI", linktype, 0, snaplen) + options)


def ng_epb(order, ifid, count, data, wirelen=None) -> bytes:
    wirelen = len(data) if wirelen is None else wirelen
    head = struct.pack(order + "IIIII", ifid, count >> 32, count & 0xFFFFFFFF, len(data), wirelen)
    return ng_block(order, 6, head + data)


def ng_pb(order, ifid, count, data, wirelen=None) -> bytes:
    wirelen = len(data) if wirelen is None else wirelen
    head = struct.pack(
        order + "HHIIII", ifid, 0, count >> 32, count & 0xFFFFFFFF, len(data), wirelen
    )
    return ng_block(order, 2, head + data)


def ng_spb(order, wirelen, data) -> bytes:
    return ng_block(order, 3, struct.pack(order + "I", wirelen) + data)


def payload(n: int, seed: int = 0) -> bytes:
    return bytes((seed + i) % 251 for i in range(n))


def read(data: bytes | Path | str):
    """(records, reader, error) for ``data`` (bytes are read through a file object)."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    records = []
    reader = None
    try:
        with open_capture(source) as reader:
            records.extend(reader)
    except CaptureFileError as exc:
        return records, reader, exc
    return records, reader, None


# --- classic pcap -------------------------------------------------------------


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize(
    ("magic", "frac", "units", "text"),
    [
        (MICRO_MAGIC, 123456, 10**6, f"{T0}.123456"),
        (NANO_MAGIC, 123456789, 10**9, f"{T0}.123456789"),
        (NANO_MAGIC, 5, 10**9, f"{T0}.000000005"),
    ],
)
def test_pcap_byte_orders_and_resolutions(order, magic, frac, units, text) -> None:
    records, reader, error = read(
        pcap_file(
            [(T0, frac, payload(60), 60), (T0 + 1, 0, payload(10), 1500)], order=order, magic=magic
        )
    )
    assert error is None
    assert reader.format == "pcap"
    assert reader.byte_order == ("little" if order == "<" else "big")
    assert reader.linktype == 1
    assert [i.ts_units for i in reader.interfaces] == [units]
    first, second = records
    assert (first.ts_sec, first.ts_frac, first.ts_units) == (T0, frac, units)
    assert first.ts_str == text
    assert (first.data, first.caplen, first.wirelen, first.ifindex) == (payload(60), 60, 60, 0)
    assert (second.caplen, second.wirelen, second.data) == (10, 1500, payload(10))
    assert second.ts_str == f"{T0 + 1}." + "0" * len(str(units - 1))


@pytest.mark.parametrize("order", ["<", ">"])
def test_modified_pcap_has_24_byte_record_headers(order) -> None:
    data = pcap_file(
        [(T0, 1, payload(42), 42), (T0, 2, payload(17, 3), 99)],
        order=order,
        magic=MODIFIED_MAGIC,
        modified=True,
    )
    records, _reader, error = read(data)
    assert error is None
    assert [(r.data, r.wirelen, r.ts_frac, r.ts_units) for r in records] == [
        (payload(42), 42, 1, 10**6),
        (payload(17, 3), 99, 2, 10**6),
    ]


def test_pcap_link_type_is_the_low_16_bits_and_fcs_bits_are_kept() -> None:
    field = 0x1000_0000 | (2 << 29) | 1  # F bit and an FCS length above LINKTYPE_ETHERNET
    records, reader, _ = read(pcap_file([(T0, 0, b"x" * 20, 20)], linktype=field))
    assert reader.linktype == 1 == records[0].linktype
    assert reader.header.linktype_field == field


def test_pcap_seconds_are_unsigned() -> None:
    records, _, _ = read(pcap_file([(0xFFFFFFFF, 999999, b"x", 1)]))
    assert records[0].ts_str == "4294967295.999999"


@pytest.mark.parametrize("version", [(1, 4), (2, 5), (3, 4)])  # 2.0-2.3: read, as libpcap
def test_pcap_versions_libpcap_refuses_are_refused(version) -> None:
    with pytest.raises(CaptureFileError, match=rf"version {version[0]}\.{version[1]}") as info:
        open_capture(io.BytesIO(pcap_file([(T0, 0, b"x", 1)], version=version)))
    assert info.value.offset == 4


def test_header_only_pcap_has_zero_packets() -> None:
    records, reader, error = read(pcap_file())
    assert (records, error, reader.packets_read) == ([], None, 0)


def test_empty_file_is_not_a_capture_file(tmp_path) -> None:
    path = tmp_path / "empty.pcap"
    path.write_bytes(b"")
    with pytest.raises(CaptureFileError, match="empty") as info:
        open_capture(path)
    assert (info.value.offset, info.value.path) == (0, str(path))


@pytest.mark.parametrize(
    "data",
    [
        b"\xd4",
        b"\xd4\xc3\xb2",
        b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00",  # magic, then a cut header
        b"GET / HTTP/1.1\r\n\r\n",
        b"\x1f\x8b\x08\x00" + bytes(20),  # gzip
        b"\x0a\x0d\x0d\x0a\x1c\x00",  # cut section header
    ],
)
def test_short_or_foreign_files_are_refused(data) -> None:
    with pytest.raises(CaptureFileError) as info:
        list(open_capture(io.BytesIO(data)))
    assert info.value.offset is not None


def _boundaries(header_len: int, sizes: list[int]) -> list[int]:
    ends = [header_len]
    for size in sizes:
        ends.append(ends[-1] + size)
    return ends


@pytest.mark.parametrize("modified", [False, True])
def test_pcap_cut_anywhere_delivers_whole_records_then_names_the_cut(modified) -> None:
    bodies = [payload(30), payload(1), payload(0), payload(77)]
    magic = MODIFIED_MAGIC if modified else MICRO_MAGIC
    full = pcap_file(
        [(T0, i, b, len(b)) for i, b in enumerate(bodies)], magic=magic, modified=modified
    )
    rec_header = 24 if modified else 16
    ends = _boundaries(24, [rec_header + len(b) for b in bodies])
    for cut in range(24, len(full) + 1):
        records, _, error = read(full[:cut])
        whole = sum(1 for end in ends[1:] if end <= cut)
        assert [r.data for r in records] == bodies[:whole], cut
        if cut in ends:
            assert error is None, cut
        else:
            assert error is not None, cut
            assert error.offset == ends[whole], cut


def test_pcap_absurd_captured_length_is_damage_after_the_good_records() -> None:
    good = pcap_file([(T0, 0, payload(10), 10)])
    bad = struct.pack("<IIII", T0, 0, 0xFFFFFFF0, 0xFFFFFFF0) + bytes(100)
    records, _, error = read(good + bad)
    assert len(records) == 1
    assert error.offset == len(good)


# --- pcapng -------------------------------------------------------------------


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_byte_orders(order) -> None:
    name = ng_opt(order, 2, b"eth7")
    data = (
        ng_shb(order, options=ng_opts(order, ng_opt(order, 1, b"a comment")))
        + ng_idb(order, linktype=1, snaplen=9000, options=ng_opts(order, name))
        + ng_epb(order, 0, T0 * 10**6 + 250, payload(61), 1514)
        + ng_epb(order, 0, (T0 + 2) * 10**6, payload(3))
    )
    records, reader, error = read(data)
    assert error is None
    assert reader.format == "pcapng"
    assert reader.byte_order == ("little" if order == "<" else "big")
    assert reader.linktype == 1
    (iface,) = reader.interfaces
    assert (iface.linktype, iface.snaplen, iface.ts_units, iface.name) == (1, 9000, 10**6, "eth7")
    assert reader.sections[0].comment == "a comment"
    assert [(r.data, r.caplen, r.wirelen, r.ts_str) for r in records] == [
        (payload(61), 61, 1514, f"{T0}.000250"),
        (payload(3), 3, 3, f"{T0 + 2}.000000"),
    ]


@pytest.mark.parametrize(
    ("tsresol", "units", "frac", "text"),
    [
        (3, 10**3, 7, f"{T0}.007"),
        (9, 10**9, 123456789, f"{T0}.123456789"),
        (0, 1, 0, f"{T0}"),
        (0x88, 256, 50, f"{T0}.19531250"),  # 2**-k: exactly k decimals too
        (0x8A, 1024, 1, f"{T0}.0009765625"),
    ],
)
def test_pcapng_timestamp_resolutions(tsresol, units, frac, text) -> None:
    order = "<"
    data = (
        ng_shb(order)
        + ng_idb(order, options=ng_opts(order, ng_opt(order, 9, bytes([tsresol]))))
        + ng_epb(order, 0, T0 * units + frac, b"abc")
    )
    (rec,), reader, error = read(data)
    assert error is None
    assert reader.interfaces[0].tsresol == tsresol
    assert (rec.ts_sec, rec.ts_frac, rec.ts_units) == (T0, frac, units)
    assert rec.ts_str == text


@pytest.mark.parametrize("offset", [1000, -5])
def test_pcapng_timestamp_offset_adds_seconds(offset) -> None:
    order = ">"
    tsoffset = ng_opt(order, 14, struct.pack(order + "q", offset))
    data = (
        ng_shb(order)
        + ng_idb(order, options=ng_opts(order, tsoffset))
        + ng_epb(order, 0, 42 * 10**6 + 1, b"z")
    )
    (rec,), reader, _ = read(data)
    assert reader.interfaces[0].tsoffset == offset
    assert (rec.ts_sec, rec.ts_frac) == (42 + offset, 1)


def test_pcapng_sections_reset_interfaces_and_may_change_byte_order() -> None:
    le, be = "<", ">"
    data = (
        ng_shb(le)
        + ng_idb(le, linktype=1)
        + ng_idb(le, linktype=0)
        + ng_epb(le, 1, 1, b"null")
        + ng_shb(be)
        + ng_idb(be, linktype=101, options=ng_opts(be, ng_opt(be, 9, b"\x09")))
        + ng_epb(be, 0, 5, b"raw")
    )
    good_len = len(data)
    records, reader, error = read(data + ng_epb(be, 1, 6, b"gone"))
    assert [(r.data, r.linktype, r.ifindex, r.ts_units) for r in records] == [
        (b"null", 0, 1, 10**6),
        (b"raw", 101, 2, 10**9),
    ]
    assert [s.byte_order for s in reader.sections] == ["little", "big"]
    assert [(i.section, i.local_id) for i in reader.interfaces] == [(0, 0), (0, 1), (1, 0)]
    # Interface 1 belonged to the first section only.
    assert error is not None and error.offset == good_len
    assert "interface 1" in error.message


def test_simple_packet_blocks_take_interface_0_and_its_snaplen() -> None:
    order = "<"
    data = (
        ng_shb(order)
        + ng_idb(order, linktype=1, snaplen=64)
        + ng_spb(order, 100, payload(64))
        + ng_spb(order, 20, payload(20))
        + ng_shb(order)
        + ng_idb(order, linktype=1, snaplen=0)
        + ng_spb(order, 70, payload(70))
    )
    records, _, error = read(data)
    assert error is None
    assert [(r.caplen, r.wirelen, r.data) for r in records] == [
        (64, 100, payload(64)),
        (20, 20, payload(20)),
        (70, 70, payload(70)),
    ]
    assert all((r.ts_sec, r.ts_frac) == (0, 0) for r in records)


def test_obsolete_packet_blocks_are_read() -> None:
    order = ">"
    data = (
        ng_shb(order) + ng_idb(order, linktype=9) + ng_pb(order, 0, T0 * 10**6 + 9, payload(33), 40)
    )
    (rec,), _, error = read(data)
    assert error is None
    assert (rec.data, rec.wirelen, rec.linktype, rec.ts_str) == (payload(33), 40, 9, f"{T0}.000009")


def test_non_packet_blocks_are_skipped_and_custom_blocks_kept() -> None:
    order = "<"
    data = (
        ng_shb(order)
        + ng_block(order, 0x0BAD, struct.pack("<I", 32473) + b"meta")
        + ng_idb(order)
        + ng_block(order, 4, bytes(4))  # NRB with only its end record
        + ng_epb(order, 0, 1, b"one")
        + ng_block(order, 5, struct.pack("<III", 0, 0, 0))  # ISB
        + ng_block(order, 0x12345678, b"unknown block body")
        + ng_block(order, 0x0000000A, b"decryption secrets")
        + ng_block(order, 0x40000BAD, struct.pack("<I", 99) + b"private!")
        + ng_epb(order, 0, 2, b"two")
    )
    records, reader, error = read(data)
    assert error is None
    assert [r.data for r in records] == [b"one", b"two"]
    assert [(b.pen, b.data, b.copyable) for b in reader.custom_blocks] == [
        (32473, b"meta", True),
        (99, b"private!", False),
    ]


def test_only_a_section_header_means_no_interfaces_and_no_packets() -> None:
    records, reader, error = read(ng_shb("<"))
    assert (records, error, reader.linktype, reader.interfaces) == ([], None, None, [])


@pytest.mark.parametrize("version", [(2, 0), (0, 1)])
def test_pcapng_major_version_must_be_1(version) -> None:
    with pytest.raises(CaptureFileError, match=rf"version {version[0]}\.{version[1]}") as info:
        open_capture(io.BytesIO(ng_shb("<", version=version) + ng_idb("<")))
    assert info.value.offset == 0


def test_pcapng_minor_version_is_not_checked() -> None:
    records, _, error = read(ng_shb("<", version=(1, 2)) + ng_idb("<") + ng_epb("<", 0, 0, b"x"))
    assert error is None and len(records) == 1


def test_option_longer_than_its_block_names_the_offset() -> None:
    order = "<"
    prefix = ng_shb(order) + ng_idb(order) + ng_epb(order, 0, 0, b"ok")
    # An IDB whose only option claims 200 bytes inside a 28-byte option area.
    body = struct.pack("<HHI", 1, 0, 0) + struct.pack("<HH", 2, 200) + b"eth0"
    bad = ng_block(order, 1, body)
    records, _, error = read(prefix + bad + ng_epb(order, 0, 0, b"later"))
    assert [r.data for r in records] == [b"ok"]
    option_offset = len(prefix) + 16
    assert error.offset == option_offset
    assert f"offset {option_offset}" in error.message


def test_section_header_option_longer_than_its_block_is_refused() -> None:
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack("<HH", 1, 0x3030) + b"abcd"
    with pytest.raises(CaptureFileError, match="option 1") as info:
        open_capture(io.BytesIO(ng_block("<", 0x0A0D0D0A, body)))
    assert info.value.offset == 24


def _raw_block(btype: int, length: int, body: bytes, trailer: int | None = None) -> bytes:
    trailer = length if trailer is None else trailer
    return struct.pack("<II", btype, length) + body + struct.pack("<I", trailer)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (_raw_block(5, 18, b"\0" * 6), "multiple of 4"),
        (_raw_block(5, 8, b""), "at least 12"),
        (_raw_block(5, 16, b"\0" * 4, trailer=20), "at the end"),
        (_raw_block(6, 32, struct.pack("<IIIII", 0, 0, 0, 100, 100)), "cannot hold 100"),
        (_raw_block(6, 32, struct.pack("<IIIII", 3, 0, 0, 0, 0)), "interface 3"),
        (_raw_block(1, 16, b"\0" * 4), "shorter than"),
        (_raw_block(6, 0xFFFFFFF0, b""), "implausibly large"),
        (_raw_block(5, 4096, b"\0" * 8), "truncated block"),
        (b"\x05\x00\x00\x00\x10", "truncated block header"),
    ],
)
def test_pcapng_block_damage_comes_after_the_good_packets(bad, message) -> None:
    prefix = ng_shb("<") + ng_idb("<") + ng_epb("<", 0, 0, b"first") + ng_epb("<", 0, 1, b"second")
    records, _, error = read(prefix + bad)
    assert [r.data for r in records] == [b"first", b"second"]
    assert error is not None
    assert error.offset == len(prefix)
    assert message in error.message


@pytest.mark.parametrize(
    ("btype", "name", "shortest"),
    [  # the pcapng draft's smallest block of each type
        (0x0A0D0D0A, "section header block", 28),
        (1, "interface description block", 20),
        (2, "packet block", 32),
        (3, "simple packet block", 16),
        (6, "enhanced packet block", 32),
        (0xBAD, "custom block", 16),
        (0x40000BAD, "custom block", 16),
    ],
)
def test_a_block_shorter_than_its_type_allows_is_damage(btype, name, shortest) -> None:
    prefix = ng_shb("<") + ng_idb("<") + ng_epb("<", 0, 0, b"first")
    head = struct.pack("<IHH", 0x1A2B3C4D, 1, 0) if btype == 0x0A0D0D0A else bytes(8)
    records, _, error = read(prefix + _raw_block(btype, 20, head))
    assert records[0].data == b"first"
    if shortest <= 20:
        assert error is None
    else:
        assert len(records) == 1
        assert error is not None and error.offset == len(prefix)
        assert error.message == f"{name} of 20 bytes is shorter than {shortest}"


def test_packet_before_any_interface_is_damage() -> None:
    with pytest.raises(CaptureFileError, match="interface 0"):
        list(open_capture(io.BytesIO(ng_shb("<") + ng_epb("<", 0, 0, b"x"))))


def test_section_header_with_a_bad_byte_order_magic_is_refused() -> None:
    body = struct.pack("<IHHq", 0x11223344, 1, 0, -1)
    with pytest.raises(CaptureFileError, match="byte-order"):
        open_capture(io.BytesIO(ng_block("<", 0x0A0D0D0A, body)))


def test_pcapng_cut_anywhere_delivers_whole_packets_then_names_the_cut() -> None:
    order = "<"
    head = ng_shb(order) + ng_idb(order)
    blocks = [
        ng_epb(order, 0, 1, payload(13)),
        ng_spb(order, 5, payload(5)),
        ng_epb(order, 0, 2, b""),
    ]
    blocks.insert(1, ng_block(order, 5, bytes(12)))  # an ISB between packets
    full = head + b"".join(blocks)
    ends = _boundaries(len(head), [len(b) for b in blocks])
    packets_up_to = {ends[0]: 0, ends[1]: 1, ends[2]: 1, ends[3]: 2, ends[4]: 3}
    for cut in range(len(head), len(full) + 1):
        records, _, error = read(full[:cut])
        complete = max(end for end in ends if end <= cut)
        assert len(records) == packets_up_to[complete], cut
        if cut in ends:
            assert error is None, cut
        else:
            assert error is not None and error.offset == complete, cut


# --- sources and buffering ------------------------------------------------------


def _mixed_pcapng() -> bytes:
    order = "<"
    out = ng_shb(order) + ng_idb(order, options=ng_opts(order, ng_opt(order, 9, b"\x09")))
    for i in range(40):
        out += ng_epb(order, 0, T0 * NANO + i, payload(i * 37 % 300, i))
    out += ng_epb(order, 0, 1, payload(5000))  # larger than the small chunks below
    return out


def _mixed_pcap() -> bytes:
    recs = [(T0, i, payload(i * 37 % 300, i), 400) for i in range(40)]
    return pcap_file([*recs, (T0, 0, payload(5000), 5000)])


@pytest.mark.parametrize("build", [_mixed_pcap, _mixed_pcapng])
@pytest.mark.parametrize("chunk", [1, 3, 64, 1000])
def test_chunk_boundaries_do_not_change_the_records(monkeypatch, build, chunk) -> None:
    data = build()
    expected, _, error = read(data)
    assert error is None and len(expected) == 41
    monkeypatch.setattr(chunked_input, "CHUNK_SIZE", chunk)
    records, _, error = read(data)
    assert error is None
    assert records == expected


def test_reads_a_path_a_path_object_and_a_file_object(tmp_path) -> None:
    data = _mixed_pcap()
    path = tmp_path / "x.cap"
    path.write_bytes(data)
    from_str, reader, _ = read(str(path))
    assert reader.path == str(path)
    from_path, _, _ = read(path)
    with open(path, "rb") as handle:
        from_file, reader, _ = read(handle)
        assert reader.path == str(path)
        assert not handle.closed  # the caller's file stays open
    assert from_str == from_path == from_file and len(from_str) == 41


def test_reads_a_file_object_from_its_current_position() -> None:
    stream = io.BytesIO(b"JUNK" + _mixed_pcapng())
    stream.seek(4)
    records, reader, error = read(stream)
    assert error is None and len(records) == 41
    assert reader.path == "<stream>"


def test_dash_reads_standard_input(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(_mixed_pcap())))
    records, reader, error = read("-")
    assert error is None and len(records) == 41
    assert reader.path == "-"


def test_text_mode_file_objects_are_refused() -> None:
    with pytest.raises(UsageError):
        open_capture(io.StringIO("not bytes"))


def test_missing_file_is_a_capture_file_error(tmp_path) -> None:
    with pytest.raises(CaptureFileError, match="cannot open") as info:
        open_capture(tmp_path / "missing.pcap")
    assert info.value.offset is None


def test_packets_read_counts_and_an_early_close_is_clean(tmp_path) -> None:
    path = tmp_path / "x.pcapng"
    path.write_bytes(_mixed_pcapng())
    reader = open_capture(path)
    iterator = iter(reader)
    for _ in range(3):
        next(iterator)
    assert reader.packets_read == 3
    reader.close()
    assert list(reader) == []
    assert reader.packets_read == 3


class _FailingStream:
    """Hands out ``data`` in small pieces, then fails like a dying disk."""

    name = "failing.pcap"

    def __init__(self, data: bytes, good: int) -> None:
        self.data, self.good, self.pos = data, good, 0

    def read(self, size: int) -> bytes:
        if self.pos >= self.good:
            raise OSError(5, "Input/output error")
        piece = self.data[self.pos : min(self.pos + 50, self.good)]
        self.pos += len(piece)
        return piece


def test_read_errors_become_capture_file_errors_after_the_good_records() -> None:
    data = pcap_file([(T0, i, payload(40), 40) for i in range(10)])
    stream = _FailingStream(data, good=24 + 3 * 56 + 10)
    records = []
    reader = open_capture(stream)
    with pytest.raises(CaptureFileError, match="read error") as info:
        records.extend(reader)
    assert len(records) == 3
    assert info.value.path == "failing.pcap"
    assert info.value.offset == 24 + 3 * 56 + 10
