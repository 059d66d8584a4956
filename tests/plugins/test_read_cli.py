"""``netprobe read`` as a user runs it: options, output forms, files good and bad.

Input captures are written with Scapy (an independent writer) and read back
with Scapy to check ``-w``; netprobe runs as a subprocess (``python -m
netprobe``) so exit codes, stderr lines and pipes are the real ones.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.utils import PcapNgWriter, rdpcap, wrpcap

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")


def run(*args: str, stdin: bytes | None = None, timeout: float = 60,
        user: int | None = None) -> subprocess.CompletedProcess[str]:
    """``netprobe read ARGS`` with its output on pipes."""
    cmd = [sys.executable, "-m", "netprobe", "read", *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, env=ENV,
                          check=False)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


COUNT_LINE = re.compile(r"^\d+ packets?$")


def one_error_line(stderr: str) -> str:
    """The one error line (the "N packets" line at the end, as tcpdump's, set aside)."""
    lines = [line for line in stderr.strip().splitlines() if not COUNT_LINE.match(line)]
    assert len(lines) == 1, f"expected one error line: {stderr!r}"
    assert lines[0].startswith("netprobe: error: "), lines[0]
    return lines[0]


# -- inputs -------------------------------------------------------------------------------------
def mixed_packets() -> list:
    """Ethernet packets of several kinds, each with a distinct timestamp."""
    base = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pkts = [
        base / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1000, dport=80, flags="S"),
        base / IP(src="198.18.0.2", dst="198.18.0.1") / TCP(sport=80, dport=1000, flags="SA"),
        base / IP(src="198.18.0.1", dst="198.18.0.3") / UDP(sport=5000, dport=53)
        / DNS(id=77, rd=1, qd=DNSQR(qname="example.com")),
        base / IP(src="198.18.0.1", dst="198.18.0.4") / ICMP(id=7, seq=1),
        Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="198.18.0.1",
                                                                      pdst="198.18.0.9"),
        base / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1000, dport=443, flags="A"),
    ]
    for i, p in enumerate(pkts):
        p.time = 1_700_000_000 + i + (i * 1000 + 7) / 1_000_000
    return pkts


@pytest.fixture()
def eth_pcap(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.pcap"
    wrpcap(str(path), mixed_packets())
    return path


@pytest.fixture()
def raw_pcap(tmp_path: Path) -> Path:
    path = tmp_path / "raw.pcap"
    pkts = [IP(src="198.18.1.1", dst="198.18.1.2") / UDP(sport=7, dport=9) / b"raw",
            IP(src="198.18.1.2", dst="198.18.1.1") / TCP(sport=22, dport=4000, flags="R")]
    for i, p in enumerate(pkts):
        p.time = 1_600_000_000 + i
    wrpcap(str(path), pkts, linktype=101)
    return path


@pytest.fixture()
def eth_pcapng(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.pcapng"
    writer = PcapNgWriter(str(path))
    for p in mixed_packets()[:3]:
        writer.write(p)
    writer.close()
    return path


# -- output forms --------------------------------------------------------------------------------
def test_json_on_a_pipe_one_object_per_packet(eth_pcap: Path) -> None:
    done = run(str(eth_pcap))
    assert done.returncode == 0 and done.stderr == f"{len(mixed_packets())} packets\n"
    recs = records(done.stdout)
    want = mixed_packets()
    assert [r["n"] for r in recs] == list(range(1, len(want) + 1))
    for rec, pkt in zip(recs, want):
        assert set(rec) >= {"n", "ts", "len", "caplen", "linktype", "layers", "errors"}
        assert rec["len"] == rec["caplen"] == len(bytes(pkt))
        assert rec["linktype"] == 1
        assert rec["errors"] == []
        assert rec["layers"][0]["layer"] == "Ether"
        assert rec["layers"][0]["src"] == pkt[Ether].src
        assert float(rec["ts"]) == pytest.approx(float(pkt.time), abs=1e-6)
    assert recs[0]["layers"][2] | {"flags": "S"} == recs[0]["layers"][2]
    assert recs[2]["layers"][3]["layer"] == "DNS" and recs[2]["layers"][3]["id"] == 77
    assert recs[4]["layers"][1]["layer"] == "ARP"
    assert recs[4]["layers"][1]["pdst"] == "198.18.0.9"


def test_no_json_prints_one_line_per_packet(eth_pcap: Path) -> None:
    done = run(str(eth_pcap), "--no-json", "-tt")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == len(mixed_packets())
    assert lines[0].startswith("1 1700000000.000007 ")
    assert "198.18.0.1:1000 > 198.18.0.2:80 TCP [S]" in lines[0]
    assert lines[0].endswith(f"length {len(bytes(mixed_packets()[0]))}")
    assert "[SA]" in lines[1] and "ack=" in lines[1]
    assert "UDP" in lines[2] and ":53" in lines[2]
    for line in lines:
        json_like = line.startswith("{")
        assert not json_like


def test_a_terminal_gets_text_by_default(eth_pcap: Path) -> None:
    # stdout on a pseudo-terminal: text lines, not JSON
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes netprobe
        os.execvpe(sys.executable, [sys.executable, "-m", "netprobe", "read", str(eth_pcap)],
                   ENV)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    text = out.decode().replace("\r\n", "\n")
    lines = [x for x in text.splitlines() if x.strip()]
    assert lines[-1] == f"{len(mixed_packets())} packets"  # stderr's count line, as tcpdump's
    assert len(lines[:-1]) == len(mixed_packets())
    assert lines[0].startswith("1 ") and not lines[0].startswith("{")


def test_json_flag_forces_json(eth_pcap: Path) -> None:
    assert len(records(run(str(eth_pcap), "--json").stdout)) == len(mixed_packets())


# -- --count ------------------------------------------------------------------------------------
def test_count_stops_after_n(eth_pcap: Path) -> None:
    recs = records(run(str(eth_pcap), "-c", "2").stdout)
    assert [r["n"] for r in recs] == [1, 2]


def test_count_runs_over_all_files(eth_pcap: Path, raw_pcap: Path) -> None:
    recs = records(run(str(eth_pcap), str(raw_pcap), "--count", "7").stdout)
    assert len(recs) == 7
    assert [r["linktype"] for r in recs] == [1] * 6 + [101]


def test_count_zero_is_a_usage_error(eth_pcap: Path) -> None:
    done = run(str(eth_pcap), "-c", "0")
    assert done.returncode == 2 and done.stdout == ""


# -- --filter -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("expr", "want"), [
    ("tcp", [1, 2, 6]),
    ("udp port 53", [3]),
    ("icmp", [4]),
    ("arp", [5]),
    ("tcp[tcpflags] & tcp-syn != 0", [1, 2]),
    ("host 198.18.0.4 or dst port 443", [4, 6]),
])
def test_filter_keeps_matching_packets(eth_pcap: Path, expr: str, want: list[int]) -> None:
    done = run(str(eth_pcap), "-f", expr)
    assert done.returncode == 0, done.stderr
    recs = records(done.stdout)
    # numbering counts the packets shown; the timestamps say which ones they are
    stamps = [round(float(r["ts"])) - 1_700_000_000 + 1 for r in recs]
    assert stamps == want
    assert [r["n"] for r in recs] == list(range(1, len(want) + 1))


def test_filter_per_link_type(eth_pcap: Path, raw_pcap: Path) -> None:
    recs = records(run(str(eth_pcap), str(raw_pcap), "--filter", "udp").stdout)
    assert [(r["linktype"], r["layers"][-2]["layer"] if len(r["layers"]) > 1 else None)
            for r in recs] == [(1, "UDP"), (101, "UDP")]


@pytest.mark.parametrize("expr", ["tcp port", "host 1.2.3.4 and", "(((", "port 99999999",
                                  "no such primitive"])
def test_bad_filter_is_a_usage_error(eth_pcap: Path, expr: str) -> None:
    done = run(str(eth_pcap), "-f", expr)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "filter" in one_error_line(done.stderr)


def test_bad_filter_refused_even_without_packets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    wrpcap(str(empty), [], linktype=1)
    done = run(str(empty), "-f", "tcp port")
    assert done.returncode == 2
    one_error_line(done.stderr)


def test_filter_meaningless_for_a_link_type(raw_pcap: Path) -> None:
    # compiles for Ethernet, not for raw IP: refused when the raw file is read
    done = run(str(raw_pcap), "-f", "ether host 02:00:00:00:00:01")
    assert done.returncode == 2
    assert "ethernet" in one_error_line(done.stderr).lower()


# -- -w -----------------------------------------------------------------------------------------
def test_write_pcap_keeps_bytes_and_times(eth_pcap: Path, tmp_path: Path) -> None:
    out = tmp_path / "tcp.pcap"
    done = run(str(eth_pcap), "-f", "tcp", "-w", str(out))
    assert done.returncode == 0, done.stderr
    assert len(records(done.stdout)) == 3
    assert out.read_bytes()[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
    got = rdpcap(str(out))
    want = [p for p in mixed_packets() if TCP in p]
    assert [bytes(p) for p in got] == [bytes(p) for p in want]
    assert [float(p.time) for p in got] == pytest.approx([float(p.time) for p in want],
                                                          abs=1e-6)


def test_write_pcapng(eth_pcap: Path, raw_pcap: Path, tmp_path: Path) -> None:
    out = tmp_path / "both.pcapng"
    done = run(str(eth_pcap), str(raw_pcap), "-w", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    again = records(run(str(out)).stdout)
    first = records(run(str(eth_pcap), str(raw_pcap)).stdout)
    assert [(r["linktype"], Decimal(r["ts"]), r["layers"]) for r in again] == \
        [(r["linktype"], Decimal(r["ts"]), r["layers"]) for r in first]


def test_write_reads_pcapng_input(eth_pcapng: Path, tmp_path: Path) -> None:
    out = tmp_path / "copy.pcap"
    assert run(str(eth_pcapng), "-w", str(out)).returncode == 0
    assert [bytes(p) for p in rdpcap(str(out))] == [bytes(p) for p in mixed_packets()[:3]]


def test_write_nothing_matched_gives_an_empty_capture(eth_pcap: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.pcap"
    done = run(str(eth_pcap), "-f", "port 9", "-w", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert len(rdpcap(str(out))) == 0


def test_write_mixed_link_types_to_pcap_leaves_nothing(eth_pcap: Path, raw_pcap: Path,
                                                        tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "mixed.pcap"
    done = run(str(eth_pcap), str(raw_pcap), "-w", str(out))
    assert done.returncode == 2
    assert "pcapng" in one_error_line(done.stderr)
    assert list(out_dir.iterdir()) == []  # no OUT, no temporary file


def test_write_failure_does_not_replace_an_old_file(eth_pcap: Path, raw_pcap: Path,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "keep.pcap"
    out.write_bytes(b"old contents")
    assert run(str(eth_pcap), str(raw_pcap), "-w", str(out)).returncode == 2
    assert out.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.pcap", "mixed.pcap",
                                                           "raw.pcap"]


def test_write_to_a_missing_directory(eth_pcap: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "dir.pcap"
    done = run(str(eth_pcap), str(eth_pcap), "-w", str(out))
    assert done.returncode == 4
    line = one_error_line(done.stderr)
    assert str(out) in line
    assert not out.parent.exists()


def test_write_salvages_a_damaged_input(eth_pcap: Path, tmp_path: Path) -> None:
    # a file cut inside its fourth record: the three before it are read and written;
    # the damage is reported and the exit status says so
    data = eth_pcap.read_bytes()
    sizes = [len(bytes(p)) for p in mixed_packets()]
    cut_at = 24 + sum(16 + n for n in sizes[:3]) + 16 + 5
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:cut_at])
    out = tmp_path / "salvaged.pcap"
    done = run(str(cut), "-w", str(out))
    assert done.returncode == 4
    line = one_error_line(done.stderr)
    assert str(cut) in line and "offset" in line
    assert len(records(done.stdout)) == 3
    assert [bytes(p) for p in rdpcap(str(out))] == [bytes(p) for p in mixed_packets()[:3]]


# -- several files, bad files ------------------------------------------------------------------
def test_several_files_in_order(eth_pcap: Path, raw_pcap: Path) -> None:
    recs = records(run(str(raw_pcap), str(eth_pcap)).stdout)
    assert [r["n"] for r in recs] == list(range(1, 9))
    assert [r["linktype"] for r in recs] == [101, 101] + [1] * 6


def test_stdin_dash(eth_pcap: Path) -> None:
    done = run("-", stdin=eth_pcap.read_bytes())
    assert done.returncode == 0
    assert len(records(done.stdout)) == len(mixed_packets())


def test_missing_file_reported_and_others_read(eth_pcap: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.pcap"
    done = run(str(missing), str(eth_pcap))
    assert done.returncode == 4
    assert str(missing) in one_error_line(done.stderr)
    assert len(records(done.stdout)) == len(mixed_packets())


@pytest.mark.parametrize("content", [b"", b"hello, world\n", b"\xd4\xc3\xb2", bytes(64)])
def test_not_a_capture(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.pcap"
    path.write_bytes(content)
    done = run(str(path))
    assert done.returncode == 4
    line = one_error_line(done.stderr)
    assert str(path) in line and "offset" in line
    assert done.stdout == ""


def test_directory(tmp_path: Path) -> None:
    done = run(str(tmp_path))
    assert done.returncode == 4
    assert str(tmp_path) in one_error_line(done.stderr)


def test_unreadable_file(eth_pcap: Path) -> None:
    # root reads anything: as root, run netprobe as nobody, in a directory it may enter
    user = 65534 if os.geteuid() == 0 else None
    if user is not None and shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to run netprobe without root")
    where = Path(tempfile.mkdtemp(prefix="netprobe-read-test-"))
    try:
        where.chmod(0o755)
        readable = where / "readable.pcap"
        shutil.copy(eth_pcap, readable)
        readable.chmod(0o644)
        locked = where / "locked.pcap"
        shutil.copy(eth_pcap, locked)
        locked.chmod(0)
        done = run(str(locked), str(readable), user=user)
    finally:
        shutil.rmtree(where)
    assert done.returncode == 4, done.stderr
    line = one_error_line(done.stderr)
    assert str(locked) in line and "ermission" in line
    assert len(records(done.stdout)) == len(mixed_packets())


def test_cut_file_delivers_packets_before_the_damage(eth_pcap: Path, tmp_path: Path) -> None:
    data = eth_pcap.read_bytes()
    first = len(bytes(mixed_packets()[0]))
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:24 + 16 + first + 10])  # inside the second record header
    done = run(str(cut), "--no-json")
    assert done.returncode == 4
    assert f"offset {24 + 16 + first}" in one_error_line(done.stderr)
    assert len(done.stdout.splitlines()) == 1


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    big = tmp_path / "big.pcap"
    pkt = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP() / (b"x" * 200)
    wrpcap(str(big), [pkt] * 20000)
    proc = subprocess.Popen([sys.executable, "-m", "netprobe", "read", str(big)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0
    assert err == b""


def test_text_lines_for_ipv6(tmp_path: Path) -> None:
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop

    path = tmp_path / "v6.pcap"
    pkts = [IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop()
            / IPv6ExtHdrFragment(offset=0, m=1) / UDP(sport=1234, dport=4321) / b"x",
            IPv6(src="2001:db8::2", dst="2001:db8::1") / TCP(sport=80, dport=5555, flags="SA")]
    wrpcap(str(path), pkts, linktype=101)
    lines = run(str(path), "--no-json").stdout.splitlines()
    # the transport is found past the extension headers; brackets keep ports apart
    assert "IPv6 [2001:db8::1]:1234 > [2001:db8::2]:4321 UDP" in lines[0]
    assert "IPv6 [2001:db8::2]:80 > [2001:db8::1]:5555 TCP [SA]" in lines[1]
