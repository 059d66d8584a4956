"""``sniff(offline=...)``: BPF on saved captures against tcpdump, keywords against Scapy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from netprobe.engine.api import sniff
from netprobe.errors import UsageError
from netprobe.packet import IP, TCP
from netprobe.wire.pcapfile import open_capture
from tests.library.scapy_peer import scapy

FILTERS = ("udp port 53", "tcp[tcpflags] & tcp-syn != 0", "icmp or arp", "ip6", "vlan",
           "greater 1000", "src net 10.0.0.0/8 and tcp")
FILES = ("pcapplusplus__example.pcap", "pcapplusplus__VlanPackets.pcap",
         "pcapplusplus__IcmpPackets.pcapng", "pcapplusplus__four_ipv6_http_streams.pcap",
         "pcapplusplus__sll.pcap")


def _tcpdump_count(path: Path, expr: str, tmp: Path) -> int | None:
    """How many packets ``tcpdump -r FILE -w OUT EXPR`` keeps (its printout can take
    several lines per packet, so the packets it writes are counted); None when it
    refuses the filter for the file's link type."""
    tcpdump = shutil.which("tcpdump")
    if tcpdump is None:
        pytest.skip("tcpdump is not installed")
    out = tmp / "kept.pcap"
    done = subprocess.run([tcpdump, "-r", str(path), "-w", str(out), expr],
                          capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        return None
    with open_capture(str(out)) as kept:
        return sum(1 for _ in kept)


@pytest.mark.parametrize("expr", FILTERS)
def test_bpf_on_files_keeps_what_tcpdump_keeps(corpus_dir: Path, expr: str,
                                               tmp_path: Path) -> None:
    for name in FILES:
        path = corpus_dir / name
        want = _tcpdump_count(path, expr, tmp_path)
        if want is None:
            with pytest.raises(UsageError, match="bad filter"):
                sniff(offline=str(path), filter=expr)
            continue
        got = sniff(offline=str(path), filter=expr)
        assert len(got) == want, f"{name}: {expr}"


def test_keywords_behave_as_scapys(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = scapy()
    path = str(corpus_dir / "pcapplusplus__example.pcap")
    cases = [dict(count=5), dict(lfilter=lambda p: p.wirelen > 1000, count=3),
             dict(stop_filter=lambda p: p.wirelen > 1000), dict(count=3, store=False),
             dict(count=4, prn=lambda p: p.wirelen)]
    for kw in cases:
        theirs = sc.sniff(offline=path, **kw)
        their_out = capsys.readouterr().out
        ours = sniff(offline=path, **kw)
        assert capsys.readouterr().out == their_out
        assert repr(ours) == repr(theirs)
        assert [p.wirelen for p in ours] == [p.wirelen for p in theirs]


def test_files_and_packets(corpus_dir: Path) -> None:
    path = str(corpus_dir / "pcapplusplus__example.pcap")
    one = sniff(offline=path, filter="udp")
    assert len(sniff(offline=[path, path], filter="udp")) == 2 * len(one)
    pkts = [IP(src="198.18.0.1", dst="198.18.0.2") / TCP(dport=p) for p in (22, 80, 443)]
    kept = sniff(offline=pkts, filter="tcp dst port 80")
    assert [p.getlayer("TCP").dport for p in kept] == [80]
    with open(path, "rb") as f:
        assert len(sniff(offline=f, count=2)) == 2


def test_bad_filter_is_one_clear_error(corpus_dir: Path) -> None:
    with pytest.raises(UsageError, match="bad filter 'tcp port'"):
        sniff(offline=str(corpus_dir / "pcapplusplus__example.pcap"), filter="tcp port")


def test_live_sniff_needs_an_end() -> None:
    with pytest.raises(UsageError, match="count= or timeout="):
        sniff(iface="lo")


def test_started_callback_and_unknown_keywords(corpus_dir: Path) -> None:
    started = []
    got = sniff(offline=str(corpus_dir / "pcapplusplus__example.pcap"), count=1,
                started_callback=lambda: started.append(True), quiet=True)
    assert started == [True] and len(got) == 1
    with pytest.raises(TypeError, match="session"):
        sniff(offline=str(corpus_dir / "pcapplusplus__example.pcap"), session=object)
