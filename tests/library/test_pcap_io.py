"""Capture files as packets: netprobe's readers and writers against Scapy's, both ways.

Files written by one library are read by the other; the corpus is read by both and
compared packet by packet (bytes, time, wire length). Damage, bad files, appending
and atomic writes are checked on files made here.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from netprobe.library.capture_errors import CaptureDamaged, Scapy_Exception
from netprobe.library.pcap_read import PcapReader, RawPcapReader, rdpcap
from netprobe.library.pcap_write import PcapNgWriter, PcapWriter, wrpcap, wrpcapng
from netprobe.packet import IP, TCP, UDP, Ether, IPv6
from tests.library.scapy_peer import scapy


def _packets() -> list:
    a = IP(src="198.18.0.1", dst="198.18.1.10") / TCP(dport=80, flags="S")
    b = IP(src="198.18.0.1", dst="198.18.1.11") / UDP(dport=53)
    a.time = 1700000000.25
    b.time = 1700000001.5
    return [a, b]


def _corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.iterdir() if p.suffix in (".pcap", ".pcapng", ".cap"))


def _tshark_frames(path: Path) -> list[tuple[str, int, int]] | None:
    """(epoch time in ns, wire length, captured length) per frame, as tshark reads them."""
    tshark = shutil.which("tshark")
    if tshark is None:
        pytest.skip("tshark is not installed")
    done = subprocess.run([tshark, "-r", str(path), "-T", "fields", "-e", "frame.time_epoch",
                           "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.encap_type"],
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        return None
    rows = []
    for line in done.stdout.splitlines():
        t, wire, cap, encap = line.split("\t")
        if encap:  # tshark 4 shows pcapng custom blocks as frames without one: no packets
            rows.append((_nanoseconds(t), int(wire), int(cap)))
    return rows


def _nanoseconds(text: str) -> str:
    """tshark's epoch time as ``sec.nnnnnnnnn`` (it prints a damaged fraction of a
    second or more as ten digits; no time, for a simple packet block, as 0)."""
    if not text:
        return "0.000000000"
    sec, _, frac = text.partition(".")
    total = int(sec) * 10**9 + int(frac or "0")
    return f"{total // 10**9}.{total % 10**9:09d}"


def _ours(path: Path) -> list[tuple[str, int, int]]:
    try:
        pkts = rdpcap(str(path))
    except CaptureDamaged as exc:
        pkts = exc.packets
    with RawPcapReader(str(path)) as raw:
        sizes = [len(data) for _, (data, _meta) in zip(range(len(pkts)), raw, strict=False)]
    return [(f"{p.time:.9f}", p.wirelen, n) for p, n in zip(pkts, sizes, strict=True)]


def test_corpus_reads_as_scapy_reads_it(corpus_dir: Path) -> None:
    """Every corpus file Scapy reads: the same packets, times and wire lengths, except
    where Scapy misreads the file (then tshark, asked in the same run, agrees with us)."""
    sc = scapy()
    same = 0
    for path in _corpus_files(corpus_dir):
        try:
            theirs = sc.rdpcap(str(path))
            their_raw = [data for data, _ in sc.RawPcapReader(str(path))]
        except Exception:  # Scapy refuses the file: the wire floor's tests cover it
            continue
        try:
            ours = rdpcap(str(path))
        except CaptureDamaged as exc:
            ours = exc.packets  # the packets before the damage
        try:
            raw = RawPcapReader(str(path))
        except CaptureDamaged:
            # refused at its header, where Scapy reads on: so does tshark
            assert _tshark_frames(path) is None, path.name
            continue
        with raw:
            records = [data for _, (data, _m) in zip(range(len(ours)), raw, strict=False)]
        agree = (records == their_raw[: len(ours)]
                 and [(str(p.time), p.wirelen) for p in ours]
                 == [(str(p.time), p.wirelen) for p in theirs[: len(ours)]])
        if agree:
            same += 1
            continue
        their_view = _tshark_frames(path)
        assert their_view is not None and _ours(path) == their_view[: len(ours)], path.name
    assert same >= 50


@pytest.mark.parametrize("nano", [False, True])
def test_written_here_read_by_scapy(tmp_path: Path, nano: bool) -> None:
    sc = scapy()
    path = tmp_path / "ours.pcap"
    wrpcap(str(path), _packets(), nano=nano)
    theirs = sc.rdpcap(str(path))
    assert [bytes(p) for p in theirs] == [bytes(p) for p in _packets()]
    assert [float(p.time) for p in theirs] == [1700000000.25, 1700000001.5]
    # the link type Scapy would choose for IPv4 packets
    sc.wrpcap(str(tmp_path / "theirs.pcap"), sc.IP(bytes(_packets()[0])), nano=nano)
    assert path.read_bytes()[:24] == (tmp_path / "theirs.pcap").read_bytes()[:24]


def test_written_by_scapy_read_here(tmp_path: Path) -> None:
    sc = scapy()
    path = tmp_path / "theirs.pcap"
    pkts = [sc.Ether(dst="02:00:00:00:00:02") / sc.IP(dst="198.18.1.10") / sc.TCP(),
            sc.Ether(dst="02:00:00:00:00:02") / sc.IPv6(dst="2001:db8::1") / sc.UDP()]
    for i, p in enumerate(pkts):
        p.time = 1700000000 + i / 8
    sc.wrpcap(str(path), pkts, nano=True)
    ours = rdpcap(str(path))
    assert [bytes(p) for p in ours] == [bytes(p) for p in pkts]
    assert [p.time for p in ours] == [p.time for p in pkts]
    assert ours[1].getlayer("IPv6").dst == "2001:db8::1"


def test_link_type_follows_the_first_packet(tmp_path: Path) -> None:
    sc = scapy()
    for ours, theirs in ((Ether() / IP(src="198.18.0.2", dst="198.18.0.1"),
                          sc.Ether() / sc.IP(src="198.18.0.2", dst="198.18.0.1")),
                         (IPv6(src="2001:db8::2", dst="2001:db8::1"),
                          sc.IPv6(src="2001:db8::2", dst="2001:db8::1")),
                         (b"\x00" * 20, b"\x00" * 20)):
        wrpcap(str(tmp_path / "a.pcap"), ours)
        sc.wrpcap(str(tmp_path / "b.pcap"), theirs)
        ours_type = (tmp_path / "a.pcap").read_bytes()[20:24]
        assert ours_type == (tmp_path / "b.pcap").read_bytes()[20:24]


def test_pcapng_round_trip_keeps_nanoseconds_and_link_types(tmp_path: Path) -> None:
    sc = scapy()
    path = tmp_path / "mixed.pcapng"
    a = Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01") / IP(src="198.18.0.1",
                                                                   dst="198.18.0.2")
    b = IP(src="198.18.0.1", dst="198.18.0.3") / UDP()
    from decimal import Decimal

    a.time = Decimal("1700000000.123456789")
    b.time = Decimal("1700000000.987654321")
    wrpcapng(str(path), [a, b])
    ours = rdpcap(str(path))
    assert [str(p.time) for p in ours] == ["1700000000.123456789", "1700000000.987654321"]
    assert [type(p).__name__ for p in ours] == ["Ether", "IP"]
    theirs = sc.rdpcap(str(path))
    assert [bytes(p) for p in theirs] == [bytes(a), bytes(b)]
    assert [p.time for p in theirs] == [p.time for p in ours]


def test_time_is_settable_and_written_back(tmp_path: Path) -> None:
    path = tmp_path / "t.pcap"
    wrpcap(str(path), _packets())
    pkts = rdpcap(str(path))
    pkts[0].time = pkts[0].time + 10
    wrpcap(str(tmp_path / "u.pcap"), pkts)
    again = rdpcap(str(tmp_path / "u.pcap"))
    assert float(again[0].time) == 1700000010.25
    assert again[0].wirelen == len(bytes(_packets()[0]))


def test_readers_iterate_and_close(tmp_path: Path) -> None:
    path = tmp_path / "r.pcap"
    wrpcap(str(path), _packets())
    with PcapReader(str(path)) as reader:
        got = [p.getlayer("IP").dst for p in reader]
        assert reader.linktype == 228
    assert got == ["198.18.1.10", "198.18.1.11"]
    with RawPcapReader(str(path)) as raw:
        data, meta = next(iter(raw))
    assert data == bytes(_packets()[0]) and (meta.sec, meta.usec) == (1700000000, 250000)
    reader = PcapReader(str(path))
    assert reader.read_packet().getlayer("IP").dst == "198.18.1.10"
    assert len(reader.read_all()) == 1
    with pytest.raises(EOFError):
        reader.read_packet()
    reader.close()


def test_damaged_file_gives_the_packets_before_then_one_error(tmp_path: Path) -> None:
    path = tmp_path / "d.pcap"
    wrpcap(str(path), _packets() * 3)
    data = path.read_bytes()
    path.write_bytes(data[:-10])  # the last record is cut short
    with pytest.raises(CaptureDamaged) as caught:
        rdpcap(str(path))
    assert len(caught.value.packets) == 5
    assert caught.value.offset is not None and "truncated" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    seen = []
    with pytest.raises(Scapy_Exception), PcapReader(str(path)) as reader:
        for p in reader:
            seen.append(p)
    assert len(seen) == 5
    with pytest.raises(CaptureDamaged) as caught, PcapReader(str(path)) as reader:
        reader.read_packet()
        reader.read_all()
    assert [p.getlayer("IP").dst for p in caught.value.packets] == ["198.18.1.11",
                                                                     "198.18.1.10"] * 2


def test_read_all_honours_both_counts(tmp_path: Path) -> None:
    path = tmp_path / "c.pcap"
    wrpcap(str(path), _packets() * 3)
    assert len(rdpcap(str(path), count=4)) == 4
    with PcapReader(str(path)) as reader:
        assert len(reader.read_all(2)) == 2
        assert len(reader.read_all()) == 4
    with RawPcapReader(str(path), count=3) as reader:
        assert len(reader.read_all()) == 3
    with PcapReader(str(path), count=3) as reader:
        assert len(reader.read_all(5)) == 3 and len(reader.read_all()) == 0


def test_not_a_capture_file_is_scapys_exception(tmp_path: Path) -> None:
    sc = scapy()
    path = tmp_path / "x.pcap"
    path.write_bytes(b"hello world, this is not a pcap file")
    with pytest.raises(sc.Scapy_Exception) as theirs:
        sc.rdpcap(str(path))
    with pytest.raises(Scapy_Exception) as ours:
        rdpcap(str(path))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(FileNotFoundError):
        rdpcap(str(tmp_path / "missing.pcap"))


def test_append_adds_after_the_existing_records(tmp_path: Path) -> None:
    sc = scapy()
    path = tmp_path / "a.pcap"
    one, two = _packets()
    wrpcap(str(path), one)
    wrpcap(str(path), two, append=True)
    with PcapWriter(str(path), append=True) as w:
        w.write(one)
    assert [bytes(p) for p in sc.rdpcap(str(path))] == [bytes(one), bytes(two), bytes(one)]
    ng = tmp_path / "a.pcapng"
    wrpcapng(str(ng), one)
    with PcapNgWriter(str(ng), append=True) as w:
        w.write(two)
    assert [bytes(p) for p in rdpcap(str(ng))] == [bytes(one), bytes(two)]


def test_writes_are_atomic(tmp_path: Path) -> None:
    path = tmp_path / "w.pcap"
    wrpcap(str(path), _packets())
    before = path.read_bytes()
    writer = PcapWriter(str(path))
    writer.write(_packets()[0])
    assert path.read_bytes() == before  # the new file appears only when complete
    writer.close()
    assert path.read_bytes() != before
    with pytest.raises(KeyError), PcapWriter(str(tmp_path / "never.pcap")) as w:
        w.write(_packets())
        raise KeyError("fails half-way")
    assert sorted(os.listdir(tmp_path)) == ["w.pcap"]


def test_unclosed_writer_still_leaves_its_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "unclosed.pcap"
    code = (f"from netprobe.library.pcap_write import PcapWriter\n"
            f"from netprobe.packet import IP\n"
            f"w = PcapWriter({str(path)!r})\nw.write(IP(dst='198.18.0.1', src='198.18.0.2'))\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert struct.unpack("<I", path.read_bytes()[:4])[0] == 0xA1B2C3D4
    assert len(rdpcap(str(path))) == 1


def test_gzip_captures_both_ways(tmp_path: Path) -> None:
    sc = scapy()
    ours, theirs = tmp_path / "ours.pcap.gz", tmp_path / "theirs.pcap.gz"
    wrpcap(str(ours), _packets(), gz=True)
    assert ours.read_bytes()[:2] == b"\x1f\x8b"
    assert [bytes(p) for p in sc.rdpcap(str(ours))] == [bytes(p) for p in _packets()]
    sc.wrpcap(str(theirs), [sc.IP(bytes(p)) for p in _packets()], gz=True)
    assert [bytes(p) for p in rdpcap(str(theirs))] == [bytes(p) for p in _packets()]
    with pytest.raises(Exception, match="append"):
        PcapWriter(str(ours), gz=True, append=True)
