"""Every corpus file, read, written back with netprobe's writers and read again, is unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from netprobe.errors import CaptureFileError
from netprobe.wire.pcapfile import NANO, PcapngWriter, PcapWriter, open_capture

CORPUS = Path(os.environ.get("NETPROBE_PCAP_CORPUS", "/work/shared/pcaps/corpus"))
if not CORPUS.is_dir():
    pytest.skip(f"capture corpus not found at {CORPUS}", allow_module_level=True)

FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")


def _is_pcapng(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"\n\r\r\n"


def _opens(path: Path) -> bool:
    try:
        open_capture(path).close()
    except CaptureFileError:
        return False  # a damaged header: the corpus tests check the error
    return True


# Files whose header is damaged have no records to copy.
OPENABLE = [p for p in FILES if _opens(p)]
CLASSIC = [p for p in OPENABLE if not _is_pcapng(p)]


def read_good_part(path: Path):
    """The records before any damage, and the reader."""
    records = []
    reader = open_capture(path)
    try:
        records.extend(reader)
    except CaptureFileError:
        pass  # the copy holds what came before the damage
    finally:
        reader.close()
    return records, reader


def normalised(rec):
    sec, frac = divmod(rec.ts_sec * rec.ts_units + rec.ts_frac, rec.ts_units)
    return rec._replace(ts_sec=sec, ts_frac=frac)


def copy_to_pcapng(records, reader, dest: Path) -> None:
    with PcapngWriter(dest, comment=f"copy of {reader.path}") as writer:
        for rec in records:
            # Interfaces appear in the reader as the stream reaches them;
            # mirror them in the same order so record indexes stay valid.
            for info in reader.interfaces[len(writer.interfaces) :]:
                writer.add_interface(
                    info.linktype,
                    name=info.name,
                    tsresol=info.tsresol,
                    snaplen=info.snaplen,
                    description=info.description,
                    tsoffset=info.tsoffset,
                )
            writer.write_record(rec)


@pytest.mark.parametrize("path", OPENABLE, ids=lambda p: p.name)
def test_round_trip_through_pcapng(tmp_path, path) -> None:
    records, reader = read_good_part(path)
    copy = tmp_path / "copy.pcapng"
    copy_to_pcapng(records, reader, copy)
    with open_capture(copy) as again:
        # pcapng stores one count of units, so a damaged fraction of a second
        # or more (tcpdump__timestamp_invalid_micro) comes back normalised:
        # compare timestamps by value.
        assert [normalised(rec) for rec in again] == [normalised(rec) for rec in records]
        if records:
            used = {rec.ifindex for rec in records}
            for index in used:
                a, b = reader.interfaces[index], again.interfaces[index]
                assert (a.linktype, a.snaplen, a.ts_units, a.tsoffset, a.name) == (
                    b.linktype,
                    b.snaplen,
                    b.ts_units,
                    b.tsoffset,
                    b.name,
                )


@pytest.mark.parametrize("path", CLASSIC, ids=lambda p: p.name)
def test_round_trip_through_classic_pcap(tmp_path, path) -> None:
    records, reader = read_good_part(path)
    header = reader.header
    copy = tmp_path / "copy.pcap"
    with PcapWriter(
        copy, header.linktype_field, nanosecond=header.ts_units == NANO, snaplen=header.snaplen
    ) as writer:
        for rec in records:
            writer.write_record(rec)
    with open_capture(copy) as again:
        assert list(again) == records
        assert again.header.linktype_field == header.linktype_field
        assert again.header.snaplen == header.snaplen
