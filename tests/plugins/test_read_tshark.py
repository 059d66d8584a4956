"""``netprobe read --json`` against tshark on every file of the shared capture corpus.

For each file both tools run at test time (nothing is stored) and each packet
is compared: count, lengths, timestamp, link type, and the fields of every
layer both understand (see ``tshark_compare.SPECS``). Differences that are
understood are listed below per file and field, with the reason; a listed
difference that no longer occurs fails too, so the list stays true.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from tshark_compare import Mismatch, compare_frame
from tshark_oracle import command, parse_output, require_tshark

from netprobe.packet import layer_classes

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()
if not CORPUS.is_dir():
    pytest.skip(f"capture corpus not found at {CORPUS}", allow_module_level=True)

FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")
#: seconds one tool may take on one file before it counts as hanging
TIMEOUT = 180

#: damaged files (the corpus README): tshark refuses them; netprobe must say where
REJECTED = {
    "libpcap__pcap-invalid-version-1.pcap",
    "libpcap__pcapng-invalid-vers-1.pcapng",
    "libpcap__shb-option-too-long.pcapng",
}
#: cut in the middle of a record: the packets before the cut are delivered
CUT_SHORT = {"dpkt__truncated_dns_2.pcap"}
#: valid files whose link type tshark 4.0 does not know; netprobe reads them as Raw
TSHARK_UNSUPPORTED = {"libpcap__brcm-tag.pcap": 281}

#: file -> {field -> why netprobe and tshark differ there}; every entry must still occur
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {}


def _run_both(path: Path) -> tuple[subprocess.CompletedProcess[bytes], object]:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    mine = subprocess.Popen([sys.executable, "-m", "netprobe", "read", str(path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    theirs = subprocess.Popen(command(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = mine.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        mine.kill()
        theirs.kill()
        mine.communicate()
        theirs.communicate()
        pytest.fail(f"{path.name}: netprobe read did not finish in {TIMEOUT} s")
    try:
        tout, terr = theirs.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        theirs.kill()
        theirs.communicate()
        pytest.fail(f"{path.name}: tshark did not finish in {TIMEOUT} s")
    done = subprocess.CompletedProcess(mine.args, mine.returncode, out, err)
    return done, parse_output(tout, theirs.returncode, terr.decode("utf-8", "replace"))


def _records(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def _libpcap_count(path: Path) -> int:
    import pcapy

    reader = pcapy.open_offline(str(path))
    n = 0
    while True:
        header, _ = reader.next()
        if header is None:
            return n
        n += 1


def _error_line(stderr: str, path: Path) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got: {stderr!r}"
    line = lines[0]
    assert str(path) in line and "offset" in line, line
    return line


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_read_matches_tshark(path: Path) -> None:
    require_tshark()
    done, tshark = _run_both(path)
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    records = _records(done.stdout)

    if path.name in REJECTED:
        assert tshark.returncode != 0 and not tshark.frames, tshark.stderr
        assert done.returncode == 4, stderr
        _error_line(stderr, path)
        assert records == []
        return
    if path.name in TSHARK_UNSUPPORTED:
        linktype = TSHARK_UNSUPPORTED[path.name]
        assert tshark.returncode != 0 and "support" in tshark.stderr, tshark.stderr
        assert done.returncode == 0 and stderr == "", stderr
        assert len(records) == _libpcap_count(path) > 0
        for rec in records:
            assert rec["linktype"] == linktype
            assert rec["errors"] == [f"unknown link type {linktype}"]
            assert [x["layer"] for x in rec["layers"]] == ["Raw"]
        return
    if path.name in CUT_SHORT:
        assert tshark.returncode != 0 and "cut short" in tshark.stderr, tshark.stderr
        assert done.returncode == 4, stderr
        _error_line(stderr, path)
    else:
        assert tshark.returncode == 0, tshark.stderr
        assert done.returncode == 0, stderr
        assert stderr == ""

    assert len(records) == len(tshark.frames), "packet count"
    classes = set(layer_classes())
    found: list[Mismatch] = []
    for number, (rec, frame) in enumerate(zip(records, tshark.frames), 1):
        assert rec["n"] == number
        found += compare_frame(number, rec, frame, classes)

    known = KNOWN_DIFFERENCES.get(path.name, {})
    unexpected = [m for m in found if m.field not in known]
    seen = defaultdict(int)
    for m in found:
        seen[m.field] += 1
    stale = [f for f in known if not seen[f]]
    report = [str(m) for m in unexpected[:40]]
    if len(unexpected) > 40:
        report.append(f"... and {len(unexpected) - 40} more")
    assert not unexpected, f"{path.name}: {len(unexpected)} differences from tshark:\n" + \
        "\n".join(report)
    assert not stale, f"{path.name}: listed differences no longer occur: {stale}"
