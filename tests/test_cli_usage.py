"""Root options after the subcommand, and one error style for click's usage errors.

Run as a user types it: ``python -m netprobe ...`` in a subprocess, so exit
codes and stderr are the real ones. Probes go to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1", NETPROBE_SCOPE="127.0.0.0/8")


def netprobe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=120, env=env or ENV, check=False)
    assert "Traceback" not in done.stderr or "--debug" in args, done.stderr
    return done


def test_json_after_traceroute() -> None:
    # traceroute has no --json of its own: the root's, given after the name
    done = netprobe("traceroute", "-m", "1", "-q", "1", "-W", "500ms", "127.0.0.1", "--json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records[-1]["type"] == "path" and records[-1]["dst"] == "127.0.0.1"


@pytest.mark.parametrize("where", ["before", "after"])
def test_scope_before_or_after_the_subcommand(tmp_path: Path, where: str) -> None:
    scope = tmp_path / "scope.txt"
    scope.write_text("198.18.0.0/15\n")
    # 192.0.2.1 is in neither scope: refused before anything is sent; the refusal
    # names the scope in force, so it shows which one the command used
    trace = ["traceroute", "-m", "1", "-q", "1", "192.0.2.1"]
    args = (["--scope", str(scope), *trace] if where == "before"
            else [*trace, "--scope", str(scope)])
    done = netprobe(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("netprobe: error: ") and "198.18.0.0/15" in done.stderr
    assert done.stderr.count("\n") == 1
    without = netprobe(*trace)
    assert without.returncode == 2 and "198.18.0.0/15" not in without.stderr


def test_debug_after_the_subcommand_shows_the_traceback_and_ends_with_the_error() -> None:
    done = netprobe("read", "--count", "0", "x.pcap", "--debug")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("netprobe: error: read: --count")


def test_history_takes_json_at_group_level(tmp_path: Path) -> None:
    done = netprobe("history", "--json", "list", "--db", str(tmp_path / "none.db"))
    assert done.returncode == 2
    assert "no history database" in done.stderr and "No such option" not in done.stderr


def test_lab_subcommands_take_no_json() -> None:
    for sub in ("status", "up", "down", "impair"):
        done = netprobe("lab", sub, "--help")
        assert done.returncode == 0 and "--json / --no-json" in done.stdout, sub


PLAIN = re.compile(r"^netprobe: error: [a-z ]+: .+\n$")


@pytest.mark.parametrize(("args", "says"), [
    (["sniff", "--count", "abc"], "--count: 'abc' is not a whole number of at least 1"),
    (["craft", "--count", "0", "IP()"], "--count: 0 is not a whole number of at least 1"),
    (["arpscan", "--rate", "-1"], "--rate: -1.0 is not a number greater than 0"),
    (["traceroute", "-P", "sctp", "x"], "--method: 'sctp' is not one of udp, icmp, tcp"),
    (["traceroute", "-W", "5x", "x"], "'5x' is not a duration more than 0s (500ms, 2s"),
    (["fuzz", "--max-time", "soon", "x"], "--max-time: 'soon' is not a duration"),
    (["read"], "read: no capture file"),
    (["traceroute"], "missing argument TARGET"),
    (["read", "--nosuch", "x"], "No such option --nosuch"),
    (["craft", "--badsum=3", "IP()"], "craft: Option '--badsum' does not take a value"),
    (["lab", "impair", "--delay", "11s"], "--delay: '11s' is not a duration at least 0s and "
                                          "at most 10s"),
])
def test_usage_errors_are_one_plain_line_and_exit_2(args: list[str], says: str) -> None:
    done = netprobe(*args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert PLAIN.match(done.stderr), done.stderr
    assert says in done.stderr
    for jargon in ("x>=", "x>", "valid float range", "valid integer range", "Usage:",
                   "Try '"):
        assert jargon not in done.stderr


def test_ctrl_c_in_read_is_130_and_one_line() -> None:
    import signal
    import time

    from scapy.layers.inet import IP, UDP
    from scapy.utils import PcapWriter

    proc = subprocess.Popen([sys.executable, "-m", "netprobe", "read", "-", "--no-json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV)
    assert proc.stdin is not None
    try:
        writer = PcapWriter(proc.stdin, linktype=101)  # header and one packet, then nothing
        writer.write(IP(dst="198.18.0.1") / UDP())
        writer.flush()
        time.sleep(3)  # netprobe is waiting for more of the capture
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.decode().splitlines()[-1] == "netprobe: interrupted"
    assert b"Traceback" not in err
    assert b"{" not in out  # --no-json: nothing but text lines, if any came through
