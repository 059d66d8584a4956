"""``netprobe history`` on runs recorded for real: port scans and a traceroute of 127.0.0.1.

A cron user's evening: ``portscan --db`` while a service listens, ``portscan
--db`` after it stopped, then ``traceroute --db``. ``history show`` must print
each command's own terminal output (what the live command printed, at 80 and
at 120 columns), ``--json`` the live run's records; ``history diff`` must
find the port change although a traceroute was recorded last, with the same
change records as ``portscan --diff``, and refuse to compare runs of
different kinds.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from netprobe.schemas import load

SCOPE = "198.18.0.0/15,2001:db8::/32,127.0.0.0/8,::1/128"
VALIDATOR = jsonschema.Draft202012Validator(load())


def netprobe(*args: str, columns: int = 80, ok: tuple[int, ...] = (0,)
             ) -> subprocess.CompletedProcess[str]:
    """Run netprobe as a user does (a pipe: JSON unless --no-json), ``columns`` wide."""
    done = subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=120, check=False,
                          env={**os.environ, "NETPROBE_SCOPE": SCOPE, "COLUMNS": str(columns),
                               "NO_COLOR": "1"})
    assert done.returncode in ok, (args, done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    return done


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class Evening:
    """The database after the cron user's evening, and what each live run printed."""

    db: str
    port: int
    scan_args: tuple[str, ...]
    live: dict[int, str]  # run id -> the live command's stdout
    json_db: str  # a traceroute recorded with --json
    live_json: str  # what it printed


@pytest.fixture(scope="module")
def evening(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evening]:
    folder = tmp_path_factory.mktemp("evening")
    db = str(folder / "cron.db")
    service = socket.socket()
    service.bind(("127.0.0.1", 0))
    service.listen(8)
    port = service.getsockname()[1]
    # --reason: the live table has the REASON and TTL columns history shows
    scan = ("portscan", "-sT", "--reason", "-p", f"{port - 2}-{port + 2}", "127.0.0.1",
            "--db", db)
    live = {}
    try:
        live[1] = netprobe(*scan, "--no-json").stdout
    finally:
        service.close()
    live[2] = netprobe(*scan, "--no-json").stdout
    live[3] = netprobe("traceroute", "127.0.0.1", "--db", db, "--no-json").stdout
    # a traceroute in JSON Lines, in a second database (the records as printed)
    json_db = str(folder / "json.db")
    live_json = netprobe("traceroute", "127.0.0.1", "--db", json_db, "--json").stdout
    yield Evening(db, port, scan, live, json_db, live_json)


def test_the_runs_were_recorded(evening: Evening) -> None:
    runs = records(netprobe("history", "--db", evening.db, "list").stdout)
    assert [(r["run"], r["kind"], r["partial"]) for r in runs] == [
        (1, "portscan", False), (2, "portscan", False), (3, "traceroute", False)]
    assert runs[0]["scan"] == runs[1]["scan"] != runs[2]["scan"]
    assert runs[0]["counts"].get("open") == 1 and "open" not in runs[1]["counts"]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("run", [1, 2, 3])
def test_show_prints_the_commands_own_output(evening: Evening, run: int, columns: int) -> None:
    """history show = the heading line, then what the live command printed on a terminal
    (recorded at 80 columns; both widths fit the table and keep every address whole)."""
    shown = netprobe("--no-json", "history", "--db", evening.db, "show", str(run),
                     columns=columns).stdout
    heading, _, body = shown.partition("\n")
    kind = "traceroute" if run == 3 else "portscan"
    assert heading.startswith(f"run {run}: {kind} 127.0.0.1 at ")
    assert body == evening.live[run]
    lines = body.splitlines()
    if kind == "portscan" and run == 1:  # the service listened during the first scan only
        assert lines[:2] == ["127.0.0.1 is up (localhost-response)",
                             "Not shown: 4 closed tcp ports (reset)"]
        table = lines[2:lines.index("")]
        assert table[0].split() == ["PORT", "STATE", "SERVICE", "REASON", "TTL"]
        assert table[1].split()[:2] == [f"{evening.port}/tcp", "open"]
        assert "syn-ack" in table[1].split()
        assert len(table) == 2 and max(len(line) for line in table) <= columns
    elif kind == "portscan":
        assert lines[:3] == ["127.0.0.1 is up (localhost-response)",
                             "Not shown: 5 closed tcp ports (reset)", ""]
    else:
        assert lines[0].startswith("traceroute to 127.0.0.1 (127.0.0.1), 30 hops max")
        assert lines[1].split()[:2] == ["1", "127.0.0.1"]
        assert max(len(line) for line in lines[1:]) <= columns


def test_show_json_is_the_live_runs_records_and_valid(evening: Evening) -> None:
    for run in (1, 2, 3):
        out = netprobe("history", "--db", evening.db, "show", str(run), "--json").stdout
        recs = records(out)
        for rec in recs:
            errors = [e.message for e in VALIDATOR.iter_errors(rec)]
            assert not errors, (rec, errors)
        kinds = {r["type"] for r in recs}
        assert kinds == ({"host", "port", "summary"} if run == 1 else {"host", "summary"}
                         if run == 2 else {"hop", "path"})
    # byte for byte what the live run printed
    assert netprobe("history", "--db", evening.json_db, "show", "1").stdout == evening.live_json


def test_show_filters_keep_the_host_line_and_the_summary(evening: Evening) -> None:
    out = netprobe("--no-json", "history", "--db", evening.db, "show", "1", "-p",
                   str(evening.port)).stdout
    lines = out.splitlines()
    assert lines[1] == "127.0.0.1 is up (localhost-response)"
    assert any(line.split()[:2] == [f"{evening.port}/tcp", "open"] for line in lines)
    assert lines[-1].startswith("netprobe portscan (connect): 1 host (1 up)")
    out = netprobe("--no-json", "history", "--db", evening.db, "show", "1", "-p",
                   str(evening.port - 1)).stdout
    assert out.splitlines()[1:] == ["no findings matching the filters"]


def _changes(out: str) -> tuple[list[dict], list[dict]]:
    recs = records(out)
    return ([r for r in recs if r["type"] != "summary"],
            [r for r in recs if r["type"] == "summary"])


def test_diff_finds_the_port_change_although_a_traceroute_came_last(evening: Evening) -> None:
    done = netprobe("history", "--db", evening.db, "diff", ok=(1,))
    changes, summaries = _changes(done.stdout)
    assert changes == [{"type": "port-change", "change": "closed", "host": "127.0.0.1",
                        "proto": "tcp", "port": evening.port, "before": "open",
                        "after": "closed", "reason": "reset", "service": changes[0]["service"]}]
    assert [(s["kind"], s["before"], s["after"], s["changes"]) for s in summaries] == [
        ("portscan", 1, 2, 1), ("traceroute", None, 3, 0)]
    assert "only one complete run" in summaries[1]["note"]
    for rec in changes + summaries:
        assert not list(VALIDATOR.iter_errors(rec)), rec


@pytest.mark.parametrize("args, code, compared", [
    (("--scan", "portscan"), 1, [("portscan", 1, 2)]),
    (("--scan", "traceroute"), 0, [("traceroute", None, 3)]),
    (("127.0.0.1",), 0, [("traceroute", None, 3)]),  # the latest scan of the target
    (("127.0.0.1", "--scan", "portscan"), 1, [("portscan", 1, 2)]),
    (("1", "2"), 1, [("portscan", 1, 2)]),
    (("1",), 1, [("portscan", 1, 2)]),
])
def test_diff_chooses_runs_of_one_kind(evening: Evening, args: tuple[str, ...], code: int,
                                       compared: list[tuple]) -> None:
    done = netprobe("history", "--db", evening.db, "diff", *args, ok=(code,))
    _, summaries = _changes(done.stdout)
    assert [(s["kind"], s["before"], s["after"]) for s in summaries] == compared


@pytest.mark.parametrize("args, message", [
    (("2", "3"), "runs 2 (portscan) and 3 (traceroute) are of different kinds: diff compares "
                 "runs of one kind (try --scan traceroute)"),
    (("198.18.9.9",), "no run of target '198.18.9.9'"),
    (("127.0.0.1", "2"), "give two runs to compare, or one TARGET"),
])
def test_diff_refusals_are_one_line_exit_2(evening: Evening, args: tuple[str, ...],
                                           message: str) -> None:
    done = netprobe("history", "--db", evening.db, "diff", *args, ok=(2,))
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("netprobe: error: ") and message in line


def test_history_diff_and_portscan_diff_speak_one_vocabulary(evening: Evening,
                                                             tmp_path: Path) -> None:
    """portscan --diff of run 1's records against run 2 gives history diff's records."""
    previous = tmp_path / "run1.jsonl"
    previous.write_text(netprobe("history", "--db", evening.db, "show", "1").stdout)
    current = tmp_path / "run2.jsonl"
    current.write_text(netprobe("history", "--db", evening.db, "show", "2").stdout)
    from netprobe.plugins.portscan.diff import changes as portscan_changes

    live_style = portscan_changes(records(previous.read_text()), records(current.read_text()))
    history_style, _ = _changes(netprobe("history", "--db", evening.db, "diff", "1", "2",
                                         ok=(1,)).stdout)
    assert live_style == history_style
    # and the command itself, scanning again now (the service is still stopped)
    done = netprobe(*evening.scan_args[:-2], "--json", "--diff", str(previous), ok=(1,))
    assert [r for r in records(done.stdout) if r["type"].endswith("change")] == history_style


@pytest.mark.parametrize("columns", [80, 120])
def test_diff_table_fits(evening: Evening, columns: int) -> None:
    out = netprobe("--no-json", "history", "--db", evening.db, "diff", ok=(1,),
                   columns=columns).stdout
    lines = out.splitlines()
    assert lines[0].startswith("before: run 1: portscan 127.0.0.1 at ")
    assert lines[1].startswith("after:  run 2: portscan 127.0.0.1 at ")
    assert lines[2].split() == ["CHANGE", "WHAT", "WHERE", "BEFORE", "AFTER"]
    row = lines[3].split()
    assert row[:4] == ["closed", "port", "127.0.0.1", f"tcp/{evening.port}"]
    assert row[-2:] == ["open", "closed"]
    assert lines[4] == "1 change" and lines[5] == ""
    assert lines[6].startswith("only one complete run of scan traceroute:")
    assert max(len(line) for line in lines[2:5]) <= columns


@pytest.mark.parametrize("columns", [80, 120])
def test_list_table_fits(evening: Evening, columns: int) -> None:
    out = netprobe("--no-json", "history", "--db", evening.db, "list", columns=columns).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["RUN", "STARTED", "TOOK", "KIND", "TARGETS", "FOUND", "SCAN"]
    assert max(len(line) for line in lines) <= columns
    rows = [line.split() for line in lines[1:] if line.split() and line.split()[0].isdigit()]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert all("127.0.0.1" in row for row in rows)  # the target whole on its row
