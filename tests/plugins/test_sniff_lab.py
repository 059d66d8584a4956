"""``netprobe sniff`` and the ``sniff()`` Python API, in the practice lab.

The capture runs inside the lab's scanner namespace while a plain ``ping``
there sends known packets; what is captured is compared with what ping sent.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.plugins.lab import processes

pytestmark = pytest.mark.lab

PINGS = 3
ECHO_REQUESTS = "icmp and icmp[icmptype] == icmp-echo"


def _ping_later(target: str, delay: float = 0.7) -> str:
    """A shell command pinging ``target`` after ``delay`` seconds (the capture is open by then)."""
    # More pings than the capture waits for: a slow start of netprobe (a loaded
    # machine) misses the first ones, and the capture still gets its PINGS.
    return (f"(sleep {delay}; ping -n -q -c {PINGS * 10} -i 0.2 -W 1 {shlex.quote(target)} "
            ">/dev/null 2>&1) &")


def _in_scanner_shell(lab: LabHandle, script: str, timeout: float = 60.0):
    return lab.run(["sh", "-c", script], timeout=timeout, env=processes.child_environment())


def test_sniff_api_sees_what_ping_sends(lab: LabHandle) -> None:
    scanner = lab.truth["scanner"]
    target = lab.host("h3")["ipv4"]
    code = f"""
import json, subprocess
from netprobe.engine.api import sniff
from netprobe.packet import IP, ICMP
pinger = subprocess.Popen(["sh", "-c", {_ping_later(target)[:-2]!r}])
try:
    packets = sniff(iface={scanner["interface"]!r}, filter={ECHO_REQUESTS!r}, count={PINGS},
                    timeout=15)
finally:
    pinger.wait(timeout=15)
print(json.dumps([[p[IP].src, p[IP].dst, p[ICMP].type, p[ICMP].seq] for p in packets]))
"""
    proc = lab.python(code, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(got) == PINGS
    assert [g[:3] for g in got] == [[scanner["ipv4"], target, 8]] * PINGS
    seqs = [g[3] for g in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == PINGS


def test_sniff_api_stops_at_its_timeout(lab: LabHandle) -> None:
    code = """
import json, time
from netprobe.engine.api import sniff
t = time.monotonic()
packets = sniff(iface="eth0", filter="udp port 9", timeout=0.5)
print(json.dumps([len(packets), time.monotonic() - t]))
"""
    proc = lab.python(code, timeout=60)
    assert proc.returncode == 0, proc.stderr
    count, seconds = json.loads(proc.stdout.strip().splitlines()[-1])
    assert count == 0
    assert 0.4 <= seconds <= 3.0


def _netprobe(*args: str) -> str:
    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "netprobe", *args))


def test_sniff_command_json_lists_the_pings(lab: LabHandle) -> None:
    scanner = lab.truth["scanner"]
    target = lab.host("h1")["ipv4"]
    script = _ping_later(target) + " exec " + _netprobe(
        "sniff", "-i", scanner["interface"], "-f", f"{ECHO_REQUESTS} and dst host {target}",
        "-c", str(PINGS),
        "--timeout", "15", "--json")
    proc = _in_scanner_shell(lab, script)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(records) == PINGS
    assert [r["n"] for r in records] == list(range(1, PINGS + 1))
    for r in records:
        layers = {layer["layer"]: layer for layer in r["layers"]}
        assert layers["IP"]["src"] == scanner["ipv4"]
        assert layers["IP"]["dst"] == target
        assert layers["ICMP"]["type"] in (8, "echo-request")
        assert layers["Ether"]["src"] == scanner["mac"]
        assert r["linktype"] == 1
        assert r["len"] == r["caplen"] > 0
        assert r["errors"] == []


def test_sniff_command_writes_a_capture_file(lab: LabHandle, tmp_path) -> None:
    out = tmp_path / "pings.pcapng"
    target = lab.host("h2")["ipv4"]
    script = _ping_later(target) + " exec " + _netprobe(
        "sniff", "-i", "eth0", "-f", f"{ECHO_REQUESTS} and dst host {target}", "-c",
        str(PINGS), "--timeout", "15",
        "--json", "-w", str(out))
    proc = _in_scanner_shell(lab, script)
    assert proc.returncode == 0, proc.stderr
    read = _in_scanner_shell(lab, _netprobe("read", str(out), "--json"))
    assert read.returncode == 0, read.stderr
    records = [json.loads(line) for line in read.stdout.splitlines() if line.strip()]
    assert len(records) == PINGS
    assert {next(x["dst"] for x in r["layers"] if x["layer"] == "IP") for r in records} == {
        target}


def test_sniff_tcpdump_habits_trailing_filter_and_count_lines(lab: LabHandle) -> None:
    """tcpdump's order: options, then the filter as trailing words; its closing counts."""
    target = lab.host("h1")["ipv4"]
    script = _ping_later(target) + " exec " + _netprobe(
        "sniff", "-i", "eth0", "-c", str(PINGS), "--max-time", "15s", "--no-json", "-n",
        "-tt", "-e", *ECHO_REQUESTS.split(), "and", "dst", "host", target)
    proc = _in_scanner_shell(lab, script)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == PINGS
    for line in lines:
        _n, stamp, *_ = line.split()
        assert float(stamp) > 1e9  # -tt: seconds since the epoch
        assert ", ethertype IPv4 (0x0800), length " in line  # -e
        assert f"> {target} ICMP echo-request" in line
    closing = proc.stderr.splitlines()[-3:]
    assert closing[0] == f"{PINGS} packets captured"
    assert closing[1].endswith("received by filter")
    assert closing[2].endswith("packets dropped by kernel")


def test_sniff_ctrl_c_prints_what_it_has_and_exits_130(lab: LabHandle) -> None:
    # Not through `sh -c '... &'`: a shell's background job starts with SIGINT ignored.
    proc = subprocess.Popen(
        ["ip", "netns", "exec", lab.scanner_ns, sys.executable, "-m", "netprobe", "sniff",
         "-i", "eth0", "--no-json", "udp", "port", "9"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=processes.child_environment())
    try:
        time.sleep(3)  # started and capturing (no packet is expected)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    lines = err.splitlines()
    assert lines[-1] == "netprobe: interrupted"
    assert "0 packets captured" in lines
    assert "Traceback" not in err


def _one_line_error(proc, code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_a_bad_filter_is_a_usage_error(lab: LabHandle) -> None:
    proc = lab.netprobe("sniff", "-i", "eth0", "-f", "tcp port", "-c", "1", "--timeout", "2",
                        timeout=30)
    line = _one_line_error(proc, 2)
    assert "filter" in line.lower()


def test_an_unknown_interface_is_a_usage_error(lab: LabHandle) -> None:
    proc = lab.netprobe("sniff", "-i", "nosuch0", "-c", "1", "--timeout", "2", timeout=30)
    line = _one_line_error(proc, 2)
    assert "nosuch0" in line


def test_sniff_without_root_is_an_environment_problem(lab: LabHandle) -> None:
    """Run as nobody (uid 65534, no groups, no capabilities) inside the scanner namespace."""
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", sys.executable, "-m", "netprobe", "sniff", "-i", "eth0",
            "-c", "1", "--timeout", "2"]
    env = processes.child_environment()
    env.pop("PYTHONPATH", None)
    probe = lab.run([*argv[:5], sys.executable, "-c", "import netprobe.cli"], env=env,
                    timeout=30)
    assert probe.returncode == 0, f"netprobe is not importable by nobody: {probe.stderr}"
    proc = lab.run(argv, env=env, timeout=30)
    line = _one_line_error(proc, 3)
    assert "root" in line or "CAP_NET_RAW" in line
