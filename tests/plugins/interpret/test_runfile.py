"""Saved runs: what goes into the file comes back out, and damage is reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.engine.results import Counters, Result, Tag
from netprobe.engine.runfile import load_run, save_run
from netprobe.errors import CaptureFileError
from netprobe.packet import IP, TCP, UDP, Ether
from netprobe.wire.pcapfile import PcapWriter

T0 = 1_763_000_000.123456789
REPO = Path(__file__).resolve().parents[3]


class _Run:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.exit_code = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.stdout = proc.stdout


def netprobe(args: list[str]) -> _Run:
    """``python -m netprobe ARGS`` in a child, as a user runs it (exit codes included)."""
    proc = subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=60, check=False,
                          env=dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1"))
    assert "Traceback" not in proc.stderr, proc.stderr
    return _Run(proc)


def _results() -> list[Result]:
    out = []
    for i, port in enumerate((22, 80, 443, 8080)):
        probe = IP(src="198.18.1.2", dst="198.18.1.11") / TCP(sport=40000, dport=port,
                                                             seq=1000 + i, flags="S")
        sent = T0 + i * 0.001 + 1e-7 * i
        r = Result(bytes(probe), 101, sent, 1 + i % 2)
        if port != 8080:
            flags = "SA" if port == 80 else "RA"
            ans = Ether(src="02:00:c6:12:01:0b", dst="02:00:c6:12:01:02") / IP(
                src="198.18.1.11", dst="198.18.1.2", ttl=64) / TCP(
                sport=port, dport=40000, ack=1001 + i, flags=flags)
            r.answer_bytes, r.answer_linktype = bytes(ans), 1
            r.received = sent + 0.0004 + i * 1e-6
        r.tag = Tag("scan", {"i": i}) if i else Tag("scan")
        out.append(r)
    return out


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    results = _results()
    counters = Counters(sent=6, retries=2, received=3, matched=3, elapsed=0.5)
    path = tmp_path / "run.pcapng"
    save_run(str(path), results, plugin="portscan", argv=["portscan", "198.18.1.11"],
             options={"all_states": False}, counters=counters, extra={"seed": 7})
    saved = load_run(str(path))
    assert saved.plugin == "portscan" and saved.has_metadata
    assert saved.argv == ["portscan", "198.18.1.11"]
    assert saved.options == {"all_states": False}
    assert saved.extra == {"seed": 7}
    assert saved.counters["sent"] == 6 and saved.counters["retries"] == 2
    assert len(saved.results) == len(results)
    for got, want in zip(saved.results, results):
        assert got.probe_bytes == want.probe_bytes
        assert got.answer_bytes == want.answer_bytes
        assert got.sent == want.sent  # exact floats, not rounded by the capture format
        assert got.received == want.received
        assert got.sends == want.sends
        assert got.tag == want.tag
        assert (got.answer is None) == (want.answer_bytes is None)


def test_a_file_cut_in_the_middle_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "run.pcapng"
    save_run(str(path), _results(), plugin="craft", argv=["craft"], counters={})
    data = path.read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[: len(data) - 40])
    with pytest.raises(CaptureFileError) as info:
        load_run(str(cut))
    assert info.value.offset is not None
    result = netprobe(["interpret", str(cut), "--as", "sr"])
    assert result.exit_code == 4
    assert "offset" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(shutil.which("tshark") is None or shutil.which("capinfos") is None,
                    reason="tshark/capinfos are not installed")
def test_tshark_reads_the_saved_run(tmp_path: Path) -> None:
    results = _results()
    path = tmp_path / "run.pcapng"
    save_run(str(path), results, plugin="craft", argv=["craft"], counters={})
    expected = len(results) + sum(r.answer_bytes is not None for r in results)
    # capinfos counts packets; tshark also lists the metadata block as a pseudo-frame
    info = subprocess.run(["capinfos", "-c", "-M", str(path)], capture_output=True,
                          text=True, check=True)
    assert f"Number of packets:   {expected}" in info.stdout
    proc = subprocess.run(["tshark", "-r", str(path), "-Y", "tcp", "-T", "fields",
                           "-e", "tcp.dstport"], capture_output=True, text=True, check=True)
    assert len(proc.stdout.split()) == expected
    comment = subprocess.run(["capinfos", "-k", str(path)], capture_output=True, text=True,
                             check=True)
    assert "netprobe craft run" in comment.stdout  # the section comment says what it is


def test_foreign_capture_needs_a_view_and_is_matched(tmp_path: Path) -> None:
    path = tmp_path / "foreign.pcap"
    with PcapWriter(str(path), linktype=101) as w:
        for i, r in enumerate(_results()):
            w.write(r.probe_bytes, 1_763_000_000 + i, 0, 10**6)
        for i, r in enumerate(_results()):
            if r.answer_bytes is not None:
                # answers as raw IP (strip the Ethernet header)
                w.write(r.answer_bytes[14:], 1_763_000_010 + i, 0, 10**6)
        w.write(bytes(IP(src="198.18.1.2", dst="198.18.1.12") / UDP(dport=53)),
                1_763_000_020, 0, 10**6)
    no_view = netprobe(["interpret", str(path)])
    assert no_view.exit_code == 2 and "--as" in no_view.output
    result = netprobe(["--json", "interpret", str(path), "--as", "sr"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    probes = [r for r in records if r["type"] == "probe"]
    assert len(probes) == 5
    answered = {r["sent"]["hex"]: r["answer"] for r in probes}
    assert len(answered) == 5 and sum(a is not None for a in answered.values()) == 3
    assert records[-1] == {"type": "summary", "probes": 5, "answered": 3, "unanswered": 2}
    # a 5 s cut-off: every answer came 10 s after its probe
    late = netprobe(["--json", "interpret", str(path), "--as", "sr",
                                "--timeout", "5"])
    assert json.loads(late.stdout.splitlines()[-1])["answered"] == 0
    hosts = netprobe(["--json", "interpret", str(path), "--as", "hosts"])
    host_records = [json.loads(line) for line in hosts.stdout.splitlines()]
    assert host_records[0]["host"] == "198.18.1.11"
    assert host_records[0]["reason"] == "reset"  # port 22 answered first, with RST
    assert host_records[0]["answers"] == 3


def test_not_a_capture_is_exit_4(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, not a capture\n")
    result = netprobe(["interpret", str(path), "--as", "sr"])
    assert result.exit_code == 4
    assert result.output.count("\n") == 1


def test_unknown_view_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "run.pcapng"
    save_run(str(path), _results(), plugin="craft", argv=["craft"], counters={})
    result = netprobe(["interpret", str(path), "--as", "nonsense"])
    assert result.exit_code == 2


def test_tags_of_every_form_are_read_back(tmp_path: Path) -> None:
    """A phase alone, a phase with details, a mapping without a phase (traceroute runs
    saved before tags were typed) and no tag; details JSON cannot keep are dropped."""
    results = _results()
    results[0].tag = None
    results[1].tag = Tag("hop", {"ttl": 3, "flow": [1, 2]})
    results[2].tag = Tag("scan", {"when": object()})
    path = tmp_path / "run.pcapng"
    save_run(str(path), results, plugin="sr", argv=[])
    got = [r.tag for r in load_run(str(path)).results]
    assert got == [None, Tag("hop", {"ttl": 3, "flow": [1, 2]}), None, Tag("scan", {"i": 3})]
    assert Tag.from_json({"role": "hop", "ttl": 2}) == Tag("", {"role": "hop", "ttl": 2})
    assert Tag.from_json("udp") == Tag("udp") and Tag.from_json(7) is None
    assert Tag("hop", {"ttl": 3}).to_json() == {"phase": "hop", "ttl": 3}
