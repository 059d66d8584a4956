"""``netprobe history`` as a user (or cron) runs it, on a database filled through record_run.

The database holds realistic runs of three scans (no network): a port scan
of the lab LAN (three runs, the last one partial), an arpscan and two
traceroutes. Every refusal is one error line and a documented exit code.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from history_samples import (
    FAR,
    PATH,
    arpscan_records,
    changed_ports,
    portscan_records,
    traceroute_records,
)

from netprobe.cli import main
from netprobe.services.history import store as store_module
from netprobe.services.history.recorder import DB_ENV, make_scan_key, record_run
from netprobe.services.output import json_line

NOW = time.time()
LAN = ["198.18.1.0/24"]
PORTSCAN = make_scan_key("portscan", LAN, {"ports": "top-1000", "scan": "S"})
ARPSCAN = make_scan_key("arpscan", LAN)
TRACE = make_scan_key("traceroute", [FAR], {"method": "udp"})

#: the changes between run 1 and run 3 (the port scan): 8080 opened on .11,
#: 80 closed on .12, 443 on .13 filtered -> closed, .14 gone with its port 53
SCAN_AFTER = changed_ports(h198_18_1_11={("tcp", 8080): ("open", "syn-ack")},
                           h198_18_1_12={("tcp", 80): None},
                           h198_18_1_13={("tcp", 443): ("closed", "reset")})
del SCAN_AFTER["198.18.1.14"]
SWITCHED = [list(hop) for hop in PATH]
SWITCHED[2] = ["198.18.103.2"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Six runs: portscan, arpscan, portscan (changed), two traceroutes, a partial portscan."""
    path = tmp_path / "lab.db"

    def add(kind: str, key: str, targets: list[str], records: list[dict], hours_ago: float,
            partial: bool = False) -> None:
        started = NOW - hours_ago * 3600
        record_run(path, kind=kind, argv=[kind, *targets], scan_key=key, targets=targets,
                   started=started, ended=started + 2.5, records=records,
                   summary=records[-1], partial=partial)

    add("portscan", PORTSCAN, LAN, portscan_records(), 50)
    add("arpscan", ARPSCAN, LAN, arpscan_records(), 49)
    add("portscan", PORTSCAN, LAN, portscan_records(SCAN_AFTER), 26)
    add("traceroute", TRACE, [FAR], traceroute_records(), 3)
    add("traceroute", TRACE, [FAR], traceroute_records(SWITCHED), 2)
    add("portscan", PORTSCAN, LAN, portscan_records(SCAN_AFTER)[:3], 1, partial=True)
    return path


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables on a pipe are 80 columns wide; these tests read whole cells."""
    monkeypatch.setenv("COLUMNS", "200")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def error_line(err: str) -> str:
    (line,) = err.strip().splitlines()
    assert line.startswith("netprobe: error: "), line
    return line


# -- list --------------------------------------------------------------------------------------
def test_list_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--db", str(db), "list")
    assert code == 0
    runs = lines(out)
    assert [r["run"] for r in runs] == [1, 2, 3, 4, 5, 6]
    assert [r["kind"] for r in runs] == ["portscan", "arpscan", "portscan", "traceroute",
                                         "traceroute", "portscan"]
    assert [r["partial"] for r in runs] == [False] * 5 + [True]
    first = runs[0]
    assert first["type"] == "run" and first["scan"] == PORTSCAN
    assert first["targets"] == LAN and first["argv"] == ["portscan", *LAN]
    assert first["elapsed_s"] == 2.5
    assert first["counts"]["open"] == 6 and first["counts"]["up"] == 5
    assert first["summary"] == portscan_records()[-1]


def test_list_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def ids(*args: str) -> list[int]:
        code, out, _ = run(capsys, "history", "--db", str(db), "list", *args)
        assert code == 0
        return [r["run"] for r in lines(out)]

    assert ids("--since", "1d") == [4, 5, 6]
    assert ids("--since", "@" + str(NOW - 27 * 3600)) == [3, 4, 5, 6]
    assert ids("--kind", "traceroute") == [4, 5]
    assert ids("--scan", PORTSCAN[:14]) == [1, 3, 6]
    assert ids("--scan", TRACE.partition(":")[2][:6]) == [4, 5]  # as the table shows it
    assert ids("--host", "198.18.1.14") == [1, 2]  # gone from the port scan since run 3
    assert ids("--host", "198.18.103.2") == [5]  # a hop address
    assert ids("--host", "198.19.0.0/16") == [4, 5]
    assert ids("--port", "8080") == [1, 3]
    assert ids("--port", "8080", "--host", "198.18.1.11") == [3]
    assert ids("--since", "1d", "--port", "22") == [6]


def test_list_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--no-json", "history", "--db", str(db), "list")
    assert code == 0
    assert "RUN" in out and "FOUND" in out and "0 up, 3 open (partial)" in out
    assert "5 up, 6 open" in out and "5 hops, 1 path" in out and "6 up " in out
    assert PORTSCAN.partition(":")[2][:8] in out


def test_db_from_the_environment_and_on_the_subcommand(db: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(DB_ENV, str(db))
    code, out, _ = run(capsys, "history", "list")
    assert code == 0 and len(lines(out)) == 6
    monkeypatch.delenv(DB_ENV)
    code, out, _ = run(capsys, "history", "list", "--db", str(db))
    assert code == 0 and len(lines(out)) == 6


# -- show --------------------------------------------------------------------------------------
def test_show_prints_the_records_of_the_live_run(db: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--db", str(db), "show", "3")
    assert code == 0
    assert out == "".join(json_line(r) for r in portscan_records(SCAN_AFTER))
    code, out, _ = run(capsys, "history", "--db", str(db), "show", "last")
    assert out == "".join(json_line(r) for r in portscan_records(SCAN_AFTER)[:3])


def test_show_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def show(*args: str) -> list[dict]:
        code, out, _ = run(capsys, "history", "--db", str(db), "show", *args)
        assert code == 0
        return lines(out)

    assert [(r["host"], r["port"]) for r in show("1", "--port", "22")] == [
        ("198.18.1.11", 22), ("198.18.1.13", 22)]
    assert [(r["type"], r.get("port")) for r in show("1", "--host", "198.18.1.12")] == [
        ("port", 80), ("port", 8080), ("host", None)]
    assert [r["ip"] for r in show("2", "--host", "02:00:c6:12:01:0d")] == ["198.18.1.13"]
    assert [(r["type"], r["ttl"]) for r in show("5", "--host", "198.18.103.2")] == [("hop", 3)]
    assert show("1", "--host", "198.18.1.99") == []


def test_show_table_of_records_the_plugin_cannot_draw(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The samples' summary records have an older shape than portscan's renderer
    # draws ("hosts_up", not "hosts": {"up"}): generic tables and a warning, no traceback.
    code, out, err = run(capsys, "--no-json", "history", "--db", str(db), "show", "1")
    assert code == 0
    assert err.splitlines() == ["netprobe: warning: these portscan records are not in the "
                                "shape this netprobe's portscan draws (KeyError: 'hosts'); "
                                "shown as generic tables"]
    assert out.startswith("run 1: portscan 198.18.1.0/24 at ")
    assert "port (8)" in out and "host (5)" in out and "summary (1)" in out
    assert "syn-ack" in out and "http-proxy" in out
    code, out, _ = run(capsys, "--no-json", "history", "--db", str(db), "show", "6")
    assert out.startswith("run 6 (partial)")


# -- diff --------------------------------------------------------------------------------------
EXPECTED_SCAN_CHANGES = [
    ("host-change", "gone", "198.18.1.14", None),
    ("port-change", "opened", "198.18.1.11", 8080),
    ("port-change", "closed", "198.18.1.12", 80),
    ("port-change", "changed", "198.18.1.13", 443),
    ("port-change", "closed", "198.18.1.14", 53),
]


def _changes(out: str) -> tuple[list[tuple], dict]:
    records = lines(out)
    summary = records.pop()
    assert summary["type"] == "summary"
    return [(r["type"], r["change"], r.get("host"), r.get("port")) for r in records], summary


def test_diff_compares_runs_1_and_3(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "history", "--db", str(db), "diff", "1", "3")
    assert code == 1 and err == ""
    changes, summary = _changes(out)
    assert changes == EXPECTED_SCAN_CHANGES
    assert summary == {"type": "summary", "kind": "portscan", "scan": PORTSCAN, "before": 1,
                       "after": 3, "changes": 5,
                       "counts": {"host-change:gone": 1, "port-change:changed": 1,
                                  "port-change:closed": 2, "port-change:opened": 1}}


def test_diff_default_compares_every_scan_of_the_latest_round_and_skips_a_partial_one(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Walking back from run 6 (a partial port scan): run 5 (traceroute), then run 4 of
    # the same trace ends the round. The trace's last two runs are compared (a hop
    # changed); the port scan's latest run is partial: runs 1 and 3 were compared by
    # the previous diff already, so a cron job must not hear about them again.
    code, out, _ = run(capsys, "history", "--db", str(db), "diff")
    assert code == 1
    records = lines(out)
    assert [(r["type"], r.get("kind")) for r in records] == [
        ("hop-change", None), ("summary", "traceroute"), ("summary", "portscan")]
    trace, scan = records[1], records[2]
    assert (trace["before"], trace["after"], trace["changes"]) == (4, 5, 1)
    assert (scan["before"], scan["after"], scan["changes"]) == (None, 6, 0)
    assert "run 6) is partial" in scan["note"] and "compared with run 3" in scan["note"]
    # The next complete run is compared with run 3, the partial one left out; the
    # round is now the port scan alone (runs 7 and 6 are of one scan).
    back = portscan_records(changed_ports(h198_18_1_12={("tcp", 80): None}))
    record_run(db, kind="portscan", argv=[], scan_key=PORTSCAN, targets=LAN, started=NOW,
               ended=NOW + 2, records=back, summary=back[-1], partial=False)
    code, out, _ = run(capsys, "history", "--db", str(db), "diff")
    assert code == 1
    changes, summary = _changes(out)
    assert (summary["kind"], summary["before"], summary["after"]) == ("portscan", 3, 7)
    assert changes == [("host-change", "up", "198.18.1.14", None),
                       ("port-change", "closed", "198.18.1.11", 8080),
                       ("port-change", "changed", "198.18.1.13", 443),
                       ("port-change", "opened", "198.18.1.14", 53)]


def test_diff_port_change_record(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--db", str(db), "diff", "1", "3", "--port", "8080")
    assert code == 1
    assert lines(out)[0] == {"type": "port-change", "change": "opened", "host": "198.18.1.11",
                             "proto": "tcp", "port": 8080, "before": "closed", "after": "open",
                             "reason": "syn-ack", "service": "http-proxy"}


def test_diff_run_choices(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def pair(*args: str) -> tuple[int, int, int]:
        code, out, _ = run(capsys, "history", "--db", str(db), "diff", *args)
        (summary,) = [r for r in lines(out) if r["type"] == "summary"]
        return code, summary["before"], summary["after"]

    assert pair("1", "3") == (1, 1, 3)
    assert pair("1") == (1, 1, 3)  # run 1 against the latest complete run of its scan
    assert pair("--scan", "portscan")[1:] == (None, 6)  # its latest run is partial
    assert pair("--scan", "traceroute") == (1, 4, 5)
    assert pair("--since", "30h", "--scan", "portscan") == (1, 1, 3)  # as 30 h ago, and now
    assert pair("3", "3") == (0, 3, 3)
    assert pair("--scan", "traceroute", "--since", "150m") == (1, 4, 5)


def test_diff_traceroute(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--db", str(db), "diff", "--scan", TRACE)
    assert code == 1
    assert lines(out)[:-1] == [{"type": "hop-change", "change": "changed", "dst": FAR,
                                "ttl": 3, "before": ["198.18.102.2"],
                                "after": ["198.18.103.2"]}]


def test_diff_filters_and_exit_0_when_nothing_is_left(db: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--db", str(db), "diff", "1", "3", "--host",
                       "198.18.1.14")
    assert code == 1
    assert _changes(out)[0] == [c for c in EXPECTED_SCAN_CHANGES if c[2] == "198.18.1.14"]
    code, out, _ = run(capsys, "history", "--db", str(db), "diff", "1", "3", "--host",
                       "198.18.1.15")
    assert code == 0
    assert _changes(out) == ([], {"type": "summary", "kind": "portscan", "scan": PORTSCAN,
                                  "before": 1, "after": 3, "changes": 0, "counts": {}})


def test_diff_table(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--no-json", "history", "--db", str(db), "diff", "1", "3")
    assert code == 1
    assert out.startswith("before: run 1: portscan")
    assert "after:  run 3: portscan" in out
    assert "198.18.1.11 tcp/8080 (http-proxy)" in out and "opened" in out
    assert out.rstrip().endswith("5 changes")


def test_diff_with_one_run_has_nothing_to_compare(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.db"
    record_run(path, kind="portscan", argv=[], scan_key=PORTSCAN, targets=LAN, started=NOW,
               ended=NOW + 1, records=portscan_records(), summary={}, partial=False)
    code, out, err = run(capsys, "history", "--db", str(path), "diff")
    assert code == 0 and err == ""
    (summary,) = lines(out)
    assert summary["before"] is None and summary["after"] == 1 and summary["changes"] == 0
    assert "nothing to compare" in summary["note"]


# -- prune -------------------------------------------------------------------------------------
def test_prune(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "--db", str(db), "prune", "--keep", "1", "--dry-run")
    assert code == 0
    assert [r["run"] for r in lines(out)[:-1]] == [1, 3, 4]
    assert lines(out)[-1] == {"type": "summary", "pruned": 3, "kept": 3, "dry_run": True}
    code, out, _ = run(capsys, "history", "--db", str(db), "prune", "--keep", "1")
    assert lines(out)[-1] == {"type": "summary", "pruned": 3, "kept": 3, "dry_run": False}
    code, out, _ = run(capsys, "history", "--db", str(db), "list")
    assert [r["run"] for r in lines(out)] == [2, 5, 6]


# -- bad input ---------------------------------------------------------------------------------
def test_no_database_given(monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(DB_ENV, raising=False)
    code, out, err = run(capsys, "history", "list")
    assert code == 2 and out == ""
    assert "give --db FILE or set NETPROBE_DB" in error_line(err)


def test_missing_database_is_not_created(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.db"
    code, _, err = run(capsys, "history", "--db", str(path), "list")
    assert code == 2 and "no history database" in error_line(err)
    assert not path.exists()


@pytest.mark.parametrize("args, message", [
    (["show", "99"], "no run 99"),
    (["show", "abc"], "RUN must be a run id"),
    (["diff", "1", "42"], "no run 42"),
    (["diff", "3"], "latest complete run of its scan"),
    (["diff", "1", "--scan", "x"], "not both"),
    (["diff", "--scan", "nmap"], "no scan 'nmap'"),
    (["list", "--since", "last tuesday"], "--since 'last tuesday'"),
    (["list", "--port", "70000"], "ports are 1-65535"),
    (["list", "--port", "ssh"], "is not a port"),
])
def test_usage_errors(db: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                      message: str) -> None:
    code, out, err = run(capsys, "history", "--db", str(db), *args)
    assert code == 2 and out == ""
    assert message in error_line(err)


def test_prune_keep_must_be_positive(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history", "--db", str(db), "prune", "--keep", "0")
    assert code == 2 and "--keep" in err


def test_not_netprobes_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "firefox.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE moz_places (url TEXT)")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    code, _, err = run(capsys, "history", "--db", str(path), "list")
    assert code == 4 and "not netprobe's history" in error_line(err)
    assert path.read_bytes() == before
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 100)
    code, _, err = run(capsys, "history", "--db", str(text), "diff")
    assert code == 4 and "not a netprobe history database" in error_line(err)


def test_newer_schema(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = sqlite3.connect(db)
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    code, _, err = run(capsys, "history", "--db", str(db), "list")
    assert code == 4 and "newer netprobe (history schema 99" in error_line(err)


def test_locked_database(db: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT", 0.2)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        code, out, _ = run(capsys, "history", "--db", str(db), "list")
        assert code == 0 and len(lines(out)) == 6  # readers are not held up
        code, out, err = run(capsys, "history", "--db", str(db), "prune", "--keep", "1")
        assert code == 3 and out == ""
        assert "locked by another process" in error_line(err)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    code, out, _ = run(capsys, "history", "--db", str(db), "list")
    assert len(lines(out)) == 6  # the refused prune deleted nothing


def test_diff_of_named_runs_warns_about_partial_and_different_scans(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history", "--db", str(db), "diff", "3", "6")
    assert code == 1
    assert err.splitlines() == ["netprobe: warning: run 6 is partial (stopped early): what it "
                                "did not reach shows as changed"]
    other = make_scan_key("portscan", ["198.18.1.11"], {"ports": "22", "scan": "S"})
    record_run(db, kind="portscan", argv=[], scan_key=other, targets=["198.18.1.11"],
               started=NOW, ended=NOW + 1, records=portscan_records(), summary={})
    code, _, err = run(capsys, "history", "--db", str(db), "diff", "1", "7")
    assert code == 0 and "are of different scans" in err  # same records: no change


def test_diff_of_runs_of_different_kinds_is_a_usage_error(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "history", "--db", str(db), "diff", "1", "4")
    assert code == 2 and out == ""
    assert error_line(err) == ("netprobe: error: runs 1 (portscan) and 4 (traceroute) are of "
                               "different kinds: diff compares runs of one kind (try --scan "
                               "traceroute)")
