"""``netprobe flows`` on the command line: output shapes, bad input, plots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.cli import main
from netprobe.wire.pcapfile import PcapWriter

REPO = Path(__file__).resolve().parents[3]
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()
EXAMPLE = CORPUS / "pcapplusplus__example.pcap"
needs_corpus = pytest.mark.skipif(not EXAMPLE.is_file(), reason="capture corpus not found")

FLOW_KEYS = ["type", "proto", "a", "a_port", "b", "b_port", "packets", "bytes", "a_to_b",
             "b_to_a", "ts", "duration_s", "community_id", "state"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["flows", *args])
    out, err = capsys.readouterr()
    return code, out, err


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A capture of two UDP exchanges and an ARP request."""
    from netprobe import ARP, IP, UDP, Ether, Raw

    path = tmp_path / "small.pcap"
    w = PcapWriter(str(path), 1)
    frames = [
        Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1000, dport=53) / Raw(b"a"),
        Ether() / IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=53, dport=1000) / Raw(b"bb"),
        Ether() / IP(src="198.18.0.3", dst="198.18.0.2") / UDP(sport=7, dport=7) / Raw(b"c" * 500),
        Ether() / ARP(psrc="198.18.0.1", pdst="198.18.0.9"),
    ]
    for i, f in enumerate(frames):
        w.write(bytes(f), 1_700_000_000 + i, 0, 10**6)
    w.close()
    return path


def test_record_shapes(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(small), "--json")
    assert code == 0 and err == ""
    recs = records(out)
    assert [list(r) for r in recs[:-1]] == [FLOW_KEYS, FLOW_KEYS]
    big, dns = recs[0], recs[1]
    assert big["bytes"] > dns["bytes"]
    assert (dns["a"], dns["a_port"], dns["b"], dns["b_port"]) == ("198.18.0.1", 1000,
                                                                  "198.18.0.2", 53)
    assert dns["a_to_b"] == {"packets": 1, "bytes": 43} and dns["b_to_a"]["packets"] == 1
    assert dns["ts"] == 1_700_000_000.0 and dns["duration_s"] == 1.0
    assert dns["state"] == "SF" and recs[0]["state"] == "S0"
    assert dns["community_id"].startswith("1:")
    summary = recs[-1]
    assert summary["type"] == "summary"
    assert (summary["packets"], summary["flows"], summary["no_flow"]) == (4, 2, {"not_ip": 1})
    assert summary["no_flow_packets"] == 1
    assert summary["ts"] == 1_700_000_000.0 and summary["duration_s"] == 3.0


def test_top_zero_negative_and_one(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, str(small), "--json", "--top", "1")
    assert [r["type"] for r in records(out)] == ["flow", "summary"]
    code, out, err = run(capsys, str(small), "--json", "--top", "-3")
    assert code == 2 and out == ""
    assert err == "netprobe: error: --top must be 0 (every flow) or more, not -3\n"


def test_terminal_table(small: Path, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "160")
    code, out, err = run(capsys, str(small), "--no-json")
    assert code == 0 and err == ""
    assert "top 2 flows by bytes" in out
    assert "[198.18.0" not in out and "198.18.0.1:1000" in out
    assert "4 packets" in out and "1 packets in no flow (not ip 1)" in out


def test_bars_in_the_terminal(small: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    code, out, err = run(capsys, str(small), "--no-json", "--plot", "-")
    assert code == 0
    bars = [line for line in out.splitlines() if "█" in line]
    assert len(bars) == 2 and bars[0].count("█") > bars[1].count("█")
    # with JSON on stdout, the bars go to stderr
    code, out, err = run(capsys, str(small), "--json", "--plot", "-")
    assert code == 0 and "█" in err and all(json.loads(line) for line in out.splitlines())


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"),
                                               (".svg", b"<?xml"), (".pdf", b"%PDF-")])
def test_plot_files(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                    suffix: str, magic: bytes) -> None:
    out_file = tmp_path / f"flows{suffix}"
    code, _, err = run(capsys, str(small), "--json", "--plot", str(out_file))
    assert code == 0, err
    data = out_file.read_bytes()
    assert data.startswith(magic)
    if suffix == ".png":
        from matplotlib.image import imread

        image = imread(out_file)
        assert image.shape[0] > 300 and image.shape[1] > 600
    if suffix == ".svg":
        import xml.etree.ElementTree as ET

        text = ET.fromstring(data).itertext()
        joined = " ".join(text)
        assert "flow-size distribution" in joined and "bytes on the wire" in joined
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".flows")]


@needs_corpus
def test_plot_per_file_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "two.png"
    code, _, err = run(capsys, str(EXAMPLE), str(CORPUS / "pcapplusplus__tls2.pcap"),
                       "--per-file", "--json", "--plot", str(out_file), "--top", "0")
    assert code == 0, err
    from matplotlib.image import imread

    two = imread(out_file)
    code, _, _ = run(capsys, str(EXAMPLE), "--json", "--plot", str(out_file))
    one = imread(out_file)
    assert two.shape[0] > 1.5 * one.shape[0]


@pytest.mark.parametrize(("target", "why"), [
    ("nodir/out.png", "does not exist"),
    ("out.gif", "must end in .png, .svg or .pdf"),
])
def test_unusable_plot_path(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            target: str, why: str) -> None:
    code, out, err = run(capsys, str(small), "--json", "--plot", str(tmp_path / target))
    assert code == 2 and out == ""
    assert err.startswith("netprobe: error: --plot ") and why in err and err.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only directories")
def test_read_only_plot_directory(small: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = run(capsys, str(small), "--plot", str(locked / "x.png"))
    assert code == 2 and "cannot write" in err


def test_plot_write_failure_is_exit_4(small: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import netprobe.plugins.flows.plot as plot

    def refuse(*_a: object, **_k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(plot.os, "replace", refuse)
    target = tmp_path / "full.png"
    code, _, err = run(capsys, str(small), "--json", "--plot", str(target))
    assert code == 4
    assert err == f"netprobe: error: cannot write {target}: No space left on device\n"
    assert not target.exists() and list(tmp_path.iterdir()) == [small]


def test_bad_files_are_reported_and_the_others_analysed(small: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    truncated = tmp_path / "cut.pcap"
    truncated.write_bytes(small.read_bytes()[:-10])
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a capture\n")
    missing = tmp_path / "missing.pcap"
    code, out, err = run(capsys, str(missing), str(truncated), str(tmp_path), str(empty),
                         str(text), str(small), "--json")
    assert code == 4
    lines = err.splitlines()
    assert lines[0] == f"netprobe: error: {missing}: cannot open: No such file or directory"
    assert lines[1].startswith(f"netprobe: error: {truncated} at offset ")
    assert "truncated record" in lines[1]
    assert lines[2] == f"netprobe: error: {tmp_path}: cannot open: Is a directory"
    assert lines[3] == (f"netprobe: error: {empty} at offset 0: empty file: not a pcap or "
                        "pcapng capture file")
    assert lines[4].startswith(f"netprobe: error: {text} at offset 0: not a pcap or pcapng")
    assert len(lines) == 5
    summary = records(out)[-1]
    # the small capture, and the truncated copy up to its cut (3 whole packets)
    assert summary["packets"] == 4 + 3


def test_unreachable_scheduler(small: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import netprobe.services.cluster as cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = run(capsys, str(small), "--json", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert code == 4 and out == ""
    assert err.startswith(f"netprobe: error: cannot reach the Dask scheduler at "
                          f"tcp://127.0.0.1:{port}")
    assert err.count("\n") == 1


def test_standard_input(small: Path) -> None:
    """``-`` reads a capture from a pipe (through the streaming reader)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with small.open("rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "netprobe", "flows", "-", "--json"],
                              stdin=stdin, capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["packets"] == 4


def test_progress_bar_on_a_terminal(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over a second of work on a terminal, the shared progress bar shows on stderr."""
    from io import StringIO

    import netprobe.services.output as output_module
    from netprobe.plugins.flows.command import run
    from netprobe.services.output import Output

    class Tty(StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(output_module, "PROGRESS_DELAY", 0.0)
    monkeypatch.delenv("TERM", raising=False)
    for stream, shown in ((Tty(), True), (StringIO(), False)):
        out = Output(json=True, stdout=StringIO(), stderr=stream)
        run(out, [str(small)], top=1, by="bytes", per_file=False, plot=None, jobs=1,
            scheduler=None)
        assert ("reading" in stream.getvalue()) is shown
