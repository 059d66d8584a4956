"""``netprobe read`` with tcpdump's habits, compared with tcpdump and tshark on the same files.

Time formats (-t .. -ttttt), the link header (-e), hex dumps (-X, -XX), the
trailing filter expression and -r are checked against what tcpdump prints
for the same capture; the pcap versions and header oddities that tcpdump or
tshark read (or refuse) are decided as the README says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1", TZ="UTC")
TCPDUMP = shutil.which("tcpdump")
TSHARK = shutil.which("tshark")


def netprobe(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "netprobe", "read", *args],
                          capture_output=True, text=True, timeout=60, env=ENV, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def tcpdump(*args: str) -> list[str]:
    assert TCPDUMP, "tcpdump is installed by .ci/setup"
    done = subprocess.run([TCPDUMP, "-n", *args], capture_output=True, text=True, timeout=60,
                          env=ENV, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ethernet packets a few irregular microseconds (and one day) apart."""
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    pkts = [
        eth / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1000, dport=80, flags="S"),
        eth / IP(src="198.18.0.2", dst="198.18.0.1") / TCP(sport=80, dport=1000, flags="SA"),
        eth / IP(src="198.18.0.1", dst="198.18.0.3") / UDP(sport=5353, dport=53)
        / DNS(rd=1, qd=DNSQR(qname="example.com")),
        eth / IP(src="198.18.0.1", dst="198.18.0.2") / ICMP() / (b"netprobe" * 5),
        eth / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1000, dport=443, flags="A"),
    ]
    for i, (pkt, at) in enumerate(zip(pkts, (0.000007, 1.25, 3.5, 86400.000999, 86461.5),
                                      strict=True)):
        pkt.time = 1_700_000_000 + at + i * 0.000011
    path = tmp_path_factory.mktemp("tcpdump") / "habits.pcap"
    wrpcap(str(path), pkts)
    return path


def _lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("flag", ["", "-tt", "-ttt", "-tttt", "-ttttt"])
def test_time_column_is_tcpdumps(capture: Path, flag: str) -> None:
    flags = [flag] if flag else []
    ours = _lines(netprobe(str(capture), "--no-json", *flags))
    theirs = tcpdump("-r", str(capture), *flags)
    assert len(ours) == len(theirs) == 5
    words = 2 if flag == "-tttt" else 1  # date and time
    for mine, peer in zip(ours, theirs, strict=True):
        assert mine.split()[1:1 + words] == peer.split()[:words], (mine, peer)


def test_t_leaves_the_time_out(capture: Path) -> None:
    ours = _lines(netprobe(str(capture), "--no-json", "-t"))
    assert all(line.split()[1] == "IP" for line in ours), ours


def test_e_prints_the_link_header_as_tcpdump(capture: Path) -> None:
    ours = _lines(netprobe(str(capture), "--no-json", "-e"))
    theirs = tcpdump("-r", str(capture), "-e")
    for mine, peer in zip(ours, theirs, strict=True):
        link = peer.split(" ", 1)[1].split(": ", 1)[0]  # after the time, up to "length N"
        assert link + ": " in mine, (mine, peer)


@pytest.mark.parametrize("flag", ["-X", "-XX"])
def test_hex_dump_is_tcpdumps(capture: Path, flag: str) -> None:
    ours = [x for x in _lines(netprobe(str(capture), "--no-json", flag)) if x.startswith("\t")]
    theirs = [x for x in tcpdump("-r", str(capture), flag) if x.startswith("\t")]
    assert ours == theirs and ours


@pytest.mark.parametrize("expr", ["tcp", "udp port 53", "icmp or port 443", "not tcp"])
def test_trailing_filter_and_r_keep_what_tcpdump_keeps(capture: Path, expr: str) -> None:
    want = len(tcpdump("-r", str(capture), *expr.split()))
    trailing = netprobe(str(capture), "--no-json", *expr.split())
    with_r = netprobe("-r", str(capture), "--no-json", *expr.split())
    assert len(_lines(trailing)) == len(_lines(with_r)) == want
    assert trailing.stderr == f"{want} packet{'' if want == 1 else 's'}\n"


def test_two_filters_are_a_usage_error(capture: Path) -> None:
    done = netprobe(str(capture), "--filter", "tcp", "udp")
    assert done.returncode == 2
    assert done.stderr.startswith("netprobe: error: read: two filters")


def test_sniff_refuses_two_filters_as_read_does() -> None:
    done = subprocess.run([sys.executable, "-m", "netprobe", "sniff", "--filter", "tcp",
                           "udp", "port", "53"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("netprobe: error: sniff: two filters, --filter 'tcp' and "
                           "'udp port 53': give one\n")


def _with_header(capture: Path, tmp: Path, name: str, offset: int, value: bytes) -> Path:
    data = bytearray(capture.read_bytes())
    data[offset:offset + len(value)] = value
    path = tmp / name
    path.write_bytes(bytes(data))
    return path


def _tshark_count(path: Path) -> tuple[int, int, str]:
    assert TSHARK, "tshark is installed by .ci/setup"
    done = subprocess.run([TSHARK, "-r", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    return done.returncode, len(done.stdout.splitlines()), done.stderr


@pytest.mark.parametrize("minor", [2, 3])
def test_old_pcap_minor_versions_are_read_as_tshark_and_tcpdump_read_them(
        capture: Path, tmp_path: Path, minor: int) -> None:
    path = _with_header(capture, tmp_path, f"v2{minor}.pcap", 6, minor.to_bytes(2, "little"))
    code, count, _ = _tshark_count(path)
    assert code == 0
    assert len(tcpdump("-r", str(path))) == count == 5
    assert len(_lines(netprobe(str(path), "--no-json"))) == count


def test_reserved_link_type_bits_are_named(capture: Path, tmp_path: Path) -> None:
    path = _with_header(capture, tmp_path, "reserved.pcap", 20,
                        (0x00010001).to_bytes(4, "little"))
    code, _, why = _tshark_count(path)
    assert code != 0 and "reserved" in why  # tshark refuses the file for this reason
    done = netprobe(str(path), "--no-json")
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == 5
    warning = done.stderr.splitlines()[0]
    assert warning.startswith("netprobe: warning: ")
    assert "reserved bits set (0x00010000)" in warning and "link type 1" in warning
