"""The scheduled scan, for real in the practice lab: ``portscan 198.18.1.11-16 --db DB`` run
twice with one service stopped in between; ``netprobe history diff`` must exit 1 and report
exactly that change (and exit 0 when nothing changed).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.plugins.lab import lifecycle, processes, state

pytestmark = pytest.mark.lab

LAN_HOSTS = "198.18.1.11-16"


def scheduled_scan(lab: LabHandle, db: Path) -> None:
    """The command a cron line runs."""
    done = lab.netprobe("portscan", LAN_HOSTS, "--db", str(db), "--json", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def history(lab: LabHandle, db: Path, *args: str):
    return lab.netprobe("history", "--db", str(db), *args, "--json", timeout=60)


def diff(lab: LabHandle, db: Path) -> tuple[int, list[dict], dict]:
    """``history diff``'s exit code, change records and summary record."""
    done = history(lab, db, "diff")
    assert done.returncode in (0, 1), done.stderr
    recs = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert recs and recs[-1]["type"] == "summary", done.stdout
    return done.returncode, recs[:-1], recs[-1]


def single_tcp_service(lab: LabHandle) -> tuple[str, str, int]:
    """(node, address, port) of a LAN host's service process that serves one TCP port only."""
    book = {h["name"]: h["ipv4"] for h in lab.truth["hosts"]}
    for record in state.load(lab.name).processes:
        if record.node in book and len(record.ports) == 1 and record.ports[0][0] == "tcp":
            return record.node, book[record.node], int(record.ports[0][1])
    raise AssertionError("the lab has no single-port TCP service on a LAN host")


def stop_service(lab: LabHandle, node: str) -> None:
    for record in state.load(lab.name).processes:
        if record.node == node:
            processes.stop(record)


def test_the_scheduled_scan_twice_reports_exactly_the_service_that_stopped(lab, tmp_path):
    db = tmp_path / "history.db"
    node, address, port = single_tcp_service(lab)
    assert lab.expected(node, "tcp", port)[0] == "open"
    scheduled_scan(lab, db)
    scheduled_scan(lab, db)
    code, changes, summary = diff(lab, db)
    assert (code, changes, summary["changes"]) == (0, [], 0)
    stop_service(lab, node)
    try:
        scheduled_scan(lab, db)
    finally:
        lifecycle.restart_service(lab.name, node, port, "tcp")
    code, changes, summary = diff(lab, db)
    assert code == 1 and len(changes) == 1 and summary["changes"] == 1, changes
    change = changes[0]
    assert (change["type"], change["change"]) == ("port-change", "closed")
    assert (change["host"], change["proto"], change["port"]) == (address, "tcp", port)
    assert change["before"] == "open" and change["after"] == "closed"
    listed = history(lab, db, "list")
    assert listed.returncode == 0, listed.stderr
    runs = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert len(runs) == 3 and not any(r["partial"] for r in runs)
    # the service is back: the next scheduled run reports it opened again
    scheduled_scan(lab, db)
    code, again, _summary = diff(lab, db)
    assert code == 1
    assert [(c["change"], c["host"], c["port"]) for c in again] == [("opened", address, port)]


def test_a_scan_cut_by_max_time_or_ctrl_c_is_recorded_as_partial(lab, tmp_path):
    db = tmp_path / "partial.db"
    done = lab.netprobe("portscan", LAN_HOSTS, "-p-", "--max-time", "1", "--db", str(db),
                        "--json", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    # Ctrl-C: the records found so far are printed and recorded, marked partial
    scan = subprocess.Popen(["ip", "netns", "exec", lab.scanner_ns, sys.executable, "-m",
                             "netprobe", "portscan", LAN_HOSTS, "-p-", "--max-rate", "2000",
                             "--db", str(db), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env=processes.child_environment())
    try:
        time.sleep(3.0)
        scan.send_signal(signal.SIGINT)
        out, err = scan.communicate(timeout=60)
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.wait(timeout=10)
    assert scan.returncode == 130, err[-2000:]
    assert json.loads(out.splitlines()[-1]).get("interrupted") is True
    listed = history(lab, db, "list")
    assert listed.returncode == 0, listed.stderr
    runs = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert len(runs) == 2 and all(r["partial"] for r in runs)
    assert runs[0]["summary"].get("max_time_reached") or runs[1]["summary"].get(
        "max_time_reached")
    # a partial run is not compared: diff has nothing to say
    code, changes, _summary = diff(lab, db)
    assert (code, changes) == (0, [])


def _terminal(lab: LabHandle, columns: int, *args: str) -> subprocess.CompletedProcess[str]:
    """netprobe in the scanner's namespace, printing for a terminal ``columns`` wide."""
    env = {**processes.child_environment(), "COLUMNS": str(columns), "NO_COLOR": "1"}
    return lab.run([sys.executable, "-m", "netprobe", "--no-json", *args], timeout=300,
                   env=env)


def _fits(text: str, columns: int) -> None:
    """Every line of a table fits (the commands' header and summary lines are prose: a
    terminal wraps them, as it wraps traceroute(8)'s and nmap's)."""
    for line in text.splitlines():
        if not line.startswith(("netprobe portscan (", "traceroute to ", "run ", "before: ",
                                "after:  ")):
            assert len(line) <= columns, (columns, line)


@pytest.mark.parametrize("columns", [80, 120])
def test_show_prints_each_lab_runs_own_table_and_diff_sees_every_kind(lab, tmp_path, columns):
    """A port scan of the LAN over IPv4 and IPv6 and traceroutes to the far host, recorded;
    history show prints what each printed live (full addresses, within the width), and
    history diff without arguments looks at every scan of the round, whatever ran last."""
    db = str(tmp_path / "round.db")
    hosts = [h for h in lab.truth["hosts"] if h["name"] in ("h2", "h6")]
    far = lab.truth["far"]
    commands = [
        ("portscan", "--reason", "-p", "22,25,53,80,443,8080", *(h["ipv4"] for h in hosts)),
        # -Pn: the first IPv6 host can miss neighbour discovery (a portscan matter)
        ("portscan", "-6", "-Pn", "--reason", "-p", "22,80", *(h["ipv6"] for h in hosts)),
        ("traceroute", far["ipv4"]),
        ("traceroute", far["ipv6"]),
        ("arpscan", "198.18.1.0/24"),
    ]
    live = []
    for command in commands:
        done = _terminal(lab, columns, *command, "--db", db)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        live.append(done.stdout)
    for run, (command, printed) in enumerate(zip(commands, live, strict=True), start=1):
        shown = _terminal(lab, columns, "history", "--db", db, "show", str(run))
        assert shown.returncode == 0 and "warning" not in shown.stderr, shown.stderr
        heading, _, body = shown.stdout.partition("\n")
        assert heading.startswith(f"run {run}: {command[0]} ")
        _fits(body, columns)
        if command[0] == "arpscan":
            # arp-scan's header names the interface's addresses, which a run does not
            # record: "Interface: eth0 (saved run)"; the host lines and summary are the same
            assert body.splitlines()[0].startswith("Interface: ")
            assert body.splitlines()[1:] == printed.splitlines()[2:]
            for host in hosts:
                assert any(line.split()[:2] == [host["ipv4"], host["mac"]]
                           for line in body.splitlines()), host
            continue
        assert body == printed and body.strip()
        addresses = [a for a in command[1:] if ":" in a or a.count(".") == 3]
        assert len(addresses) == (2 if command[0] == "portscan" else 1)
        if command[0] == "portscan":
            for address in addresses:
                assert f"{address} is up" in body
        else:
            assert f"({addresses[0]})" in body.splitlines()[0]  # the header names it whole
            assert any(line.split()[1:2] == [addresses[0]] for line in body.splitlines()[1:])
    # an arpscan came last: diff still looks at the port scans and traces (one run each yet)
    done = history(lab, Path(db), "diff")
    assert done.returncode == 0, done.stderr
    summaries = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(s["kind"], s["before"], s["after"]) for s in summaries] == [
        ("portscan", None, 1), ("portscan", None, 2), ("traceroute", None, 3),
        ("traceroute", None, 4), ("arpscan", None, 5)]
