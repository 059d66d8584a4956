"""``netprobe fuzz`` refusals and offline forms, as a user runs them.

Every bad input is one line on stderr, exit 2 (usage) or 4 (a damaged
replay file), no traceback, and nothing is sent. Nothing in an expression
is evaluated as Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1",
           NETPROBE_SCOPE="198.18.0.0/15,2001:db8::/32")
EXPR = 'IP(src="198.18.1.2",dst="198.18.1.12")/UDP(dport=9999)/Raw(load=b"hello")'


def fuzz(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "netprobe", "fuzz", *args],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=cwd,
                          check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line: {proc.stderr!r}"
    assert lines[0].startswith("netprobe: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("args, words", [
    (['IP(dst="198.18.1.12")/UDP(dport=9999'], "cannot parse packet expression"),
    (['__import__("os").system("touch pwned")'], "are allowed"),
    (['IP(dst="198.18.1.12")/Nope()'], "unknown layer"),
    ([EXPR, "--monitor", "udp:notaport"], "--monitor"),
    ([EXPR, "--monitor", "tcp:22:abcd"], "--monitor"),
    ([EXPR, "--monitor", "udp:53:xyz"], "not hex"),
    ([EXPR, "--strategy", "explode"], "--strategy"),
    ([EXPR, "--fields", "IP.dst", "--dry-run"], "addresses are never fuzzed"),
    ([EXPR, "--fields", "UDP.chksum", "--dry-run"], "--keep-invalid"),
    ([EXPR, "--restart-cmd", "'unbalanced", "--monitor", "icmp"], "--restart-cmd"),
    ([], "missing the packet EXPRESSION"),
    ([EXPR, "--replay", "x.json"], "not both"),
    (['IP(src="198.18.1.2",dst="198.18.1.12")/UDP(dport=[1,2])', "--dry-run"],
     "set of 2 packets"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, args, words):
    proc = fuzz(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert words in one_error_line(proc)
    assert not (tmp_path / "pwned").exists() and proc.stdout == ""


def _crash_doc() -> dict:
    return {"format": "netprobe-fuzz-crash/1", "target": "198.18.1.12", "layer2": False,
            "seed": 1, "monitors": ["udp:9999"],
            "cases": [{"case": 3, "hex": "4500001c0001000040110000c6120102c612010c0035270f"
                                         "00080000"}]}


@pytest.mark.parametrize("damage, words", [
    (lambda d: "{not json", "not JSON"),
    (lambda d: json.dumps([1, 2]), "not a JSON object"),
    (lambda d: json.dumps({**d, "format": "other/9"}), "format"),
    (lambda d: json.dumps({**d, "cases": []}), "no cases"),
    (lambda d: json.dumps({**d, "cases": [{"case": 3, "hex": "zz"}]}), "hex bytes"),
    (lambda d: json.dumps({**d, "cases": [{"hex": "4500"}]}), "case number"),
    (lambda d: json.dumps({**d, "target": "not-an-address"}), "not an IP address"),
    (lambda d: json.dumps({**d, "monitors": ["udp:x"]}), "--monitor"),
    (lambda d: json.dumps(d)[:40], "not JSON"),
])
def test_damaged_replay_file_is_exit_4(tmp_path, damage, words):
    path = tmp_path / "crash.json"
    path.write_text(damage(_crash_doc()))
    proc = fuzz("--replay", str(path))
    assert proc.returncode == 4, proc.stderr
    line = one_error_line(proc)
    assert "damaged fuzz case file" in line and words in line and str(path) in line


def test_missing_replay_file_is_exit_4(tmp_path):
    proc = fuzz("--replay", str(tmp_path / "nothing.json"))
    assert proc.returncode == 4 and "no such file" in one_error_line(proc)


def test_dry_run_for_people_and_for_pipes():
    text = fuzz(EXPR, "--seed", "5", "--count", "4", "--dry-run", "--no-json")
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 4
    assert text.stdout.startswith("case 0  ")
    lines = fuzz(EXPR, "--seed", "5", "--count", "4", "--start", "10", "--dry-run").stdout
    records = [json.loads(x) for x in lines.splitlines()]
    assert [r["case"] for r in records] == [10, 11, 12, 13]
    assert all(r["type"] == "case" and r["seed"] == 5 and bytes.fromhex(r["hex"])
               for r in records)


def test_help_documents_exit_codes_and_replay():
    proc = fuzz("--help")
    assert proc.returncode == 0
    for words in ("--replay", "--monitor", "--restart-cmd", "--keep-invalid", "Exit status",
                  "--start"):
        assert words in proc.stdout
