"""Every subcommand's JSON Lines against the published schema (netprobe/schemas/records.json).

Each subcommand runs as a user runs it: read and flows on corpus captures,
craft, portscan, traceroute, fuzz, interpret and history on 127.0.0.1, and
arpscan, sniff and lab in the practice lab. Every record must validate with
the ``jsonschema`` library, and each command must print the record types it
documents (so an empty output cannot pass).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.schemas import load

CORPUS = Path("/work/shared/pcaps/corpus")
SCOPE = "198.18.0.0/15,2001:db8::/32,127.0.0.0/8,::1/128"
VALIDATOR = jsonschema.Draft202012Validator(load())


def check(lines: str, *types: str) -> list[dict]:
    """Validate every JSON line; the record types must include ``types``."""
    records = [json.loads(line) for line in lines.splitlines() if line.strip()]
    for rec in records:
        errors = sorted(VALIDATOR.iter_errors(rec), key=lambda e: list(e.path))
        assert not errors, (rec.get("type"), [e.message[:300] for e in errors],
                            json.dumps(rec)[:600])
    seen = {r["type"] for r in records}
    assert set(types) <= seen, (types, seen)
    return records


def netprobe(*args: str, cwd: Path | None = None, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=180, check=False, cwd=cwd,
                          env={**os.environ, "NETPROBE_SCOPE": SCOPE})
    assert done.returncode in ok, (args, done.returncode, done.stderr[-2000:])
    return done.stdout


def corpus(name: str) -> str:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus capture {path} is absent")
    return str(path)


def test_the_schema_is_valid_and_refuses_what_it_should() -> None:
    jsonschema.Draft202012Validator.check_schema(load())
    good = {"type": "flow", "proto": "udp", "a": "198.18.1.1", "a_port": 1, "b": "198.18.1.2",
            "b_port": 2, "packets": 1, "bytes": 60, "a_to_b": {}, "b_to_a": {},
            "ts": 1.5, "duration_s": 0.0, "community_id": None, "state": None}
    assert VALIDATOR.is_valid(good)
    assert not VALIDATOR.is_valid({k: v for k, v in good.items() if k != "type"})
    assert not VALIDATOR.is_valid({**good, "ts": "1.5"})  # times are numbers
    assert not VALIDATOR.is_valid({**good, "duration": 1.0})  # units are named in keys
    assert not VALIDATOR.is_valid({"type": "nonsense"})


@pytest.mark.parametrize("name", ["dpkt__nb6-http.pcap", "dpkt__dns_icmp.pcap",
                                  "gopacket__pcapng-le-test008.pcapng"])
def test_read_and_flows(name: str) -> None:
    path = corpus(name)
    check(netprobe("read", "--json", path), "packet")
    check(netprobe("flows", "--json", path), "flow", "summary")


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def test_craft(tmp_path: Path) -> None:
    expr = 'IP(dst="127.0.0.1")/ICMP()'
    check(netprobe("craft", expr, "--json"), "packet")
    check(netprobe("craft", expr, "--send", "--json"), "sent")
    check(netprobe("craft", expr, "--sr", "--json", "--save", str(tmp_path / "sr.pcapng")),
          "probe", "summary")
    craft_probe = check(netprobe("interpret", "--json", str(tmp_path / "sr.pcapng")),
                        "probe")[0]
    # interpret --as sr of a capture: the same probe record shape as craft --sr
    as_sr = check(netprobe("interpret", "--json", str(tmp_path / "sr.pcapng"), "--as", "sr"),
                  "probe", "summary")
    assert set(as_sr[0]) == set(craft_probe)
    check(netprobe("interpret", "--json", str(tmp_path / "sr.pcapng"), "--as", "hosts"),
          "host", "summary")
    check(netprobe("interpret", "--json", str(tmp_path / "sr.pcapng"), "--as", "routers"),
          "summary")


def test_portscan_interpret_and_history(tmp_path: Path, listener: int) -> None:
    db, run = str(tmp_path / "h.db"), str(tmp_path / "run.pcapng")
    first = tmp_path / "first.jsonl"
    args = ("portscan", "-sT", "-p", f"1-20,{listener}", "127.0.0.1", "--json", "--db", db)
    check(netprobe(*args, "-oJ", str(first), "--save", run), "host", "port", "summary")
    check(netprobe("interpret", "--json", run), "host", "port", "summary")
    # a previous run that "saw" port 20 open: --diff and history diff give port-change
    edited = [json.loads(line) for line in first.read_text().splitlines()]
    edited.insert(1, {**edited[1], "port": 20, "service": None})
    prev = tmp_path / "prev.jsonl"
    prev.write_text("".join(json.dumps(r) + "\n" for r in edited))
    check(netprobe(*args, "--diff", str(prev), ok=(1,)), "port-change", "summary")
    check(netprobe("history", "list", "--db", db, "--json"), "run")
    check(netprobe("history", "show", "last", "--db", db, "--json"), "host", "summary")
    check(netprobe("history", "diff", "--db", db, "--json"), "summary")
    check(netprobe("history", "prune", "--keep", "1", "--db", db, "--json"), "pruned",
          "summary")


def test_traceroute_and_fuzz() -> None:
    check(netprobe("traceroute", "127.0.0.1", "--json"), "hop", "path")
    expr = 'IP(dst="127.0.0.1")/UDP(dport=9999)/Raw(load=b"hello")'
    check(netprobe("fuzz", expr, "--dry-run", "--count", "3", "--json"), "case")
    check(netprobe("fuzz", expr, "--count", "3", "--json"), "start", "summary")


@pytest.mark.lab
def test_arpscan_sniff_and_lab(lab: LabHandle) -> None:
    def run(*args: str) -> str:
        done = lab.netprobe(*args, timeout=120)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        return done.stdout

    check(run("arpscan", "--json"), "host", "summary")
    scanner = lab.truth["scanner"]
    target = lab.host("h1")["ipv4"]
    script = (f"(sleep 0.7; ping -n -q -c 20 -i 0.2 -W 1 {target} >/dev/null) & "
              f"{sys.executable} -m netprobe sniff -i {scanner['interface']} -c 3 "
              f"--max-time 15s --json 'icmp and dst host {target}'")
    from netprobe.plugins.lab import processes

    done = lab.run(["sh", "-c", script], timeout=60, env=processes.child_environment())
    assert done.returncode == 0, done.stderr[-2000:]
    check(done.stdout, "packet")
    check(run("traceroute", lab.truth["far"]["ipv4"], "--json"), "hop", "path")
    check(run("lab", "status", "--name", lab.name, "--json"), "lab-status")
