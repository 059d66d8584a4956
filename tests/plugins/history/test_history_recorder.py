"""The recorder API the probing commands use: --db, scan keys, recording, the run lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from history_samples import portscan_records

from netprobe.errors import EXIT_ENVIRONMENT, RuntimeProblem
from netprobe.services.history.recorder import (
    DB_ENV,
    ScanLocked,
    db_option,
    lock_path,
    make_scan_key,
    record_run,
    recording,
    run_lock,
)
from netprobe.services.history.store import HistoryStore, NotHistoryDatabase

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))


def test_db_option_reads_the_flag_then_the_environment() -> None:
    @click.command()
    @db_option
    def probe(db: str | None) -> None:
        click.echo(repr(db))

    runner = CliRunner()
    assert runner.invoke(probe, []).output.strip() == "None"
    assert runner.invoke(probe, [], env={DB_ENV: "/var/lib/x.db"}).output.strip() == (
        "'/var/lib/x.db'")
    assert runner.invoke(probe, ["--db", "a.db"], env={DB_ENV: "b.db"}).output.strip() == (
        "'a.db'")


def test_scan_key_ignores_target_order_and_sees_options() -> None:
    key = make_scan_key("portscan", ["198.18.1.12", "198.18.1.11"], {"ports": "22,80"})
    assert key == make_scan_key("portscan", ["198.18.1.11", "198.18.1.12"], {"ports": "22,80"})
    assert key.startswith("portscan:") and len(key) == len("portscan:") + 12
    assert key != make_scan_key("portscan", ["198.18.1.11", "198.18.1.12"], {"ports": "22"})
    assert key != make_scan_key("arpscan", ["198.18.1.11", "198.18.1.12"], {"ports": "22,80"})


def test_record_run_creates_the_database(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "h.db"
    db.parent.mkdir()
    records = portscan_records()
    run_id = record_run(db, kind="portscan", argv=["portscan", "198.18.1.0/24"],
                        scan_key="k", targets=["198.18.1.0/24"], started=10.0, ended=11.0,
                        records=iter(records), summary=records[-1], partial=False)
    with HistoryStore.open(db) as store:
        assert store.records(run_id) == records
        assert store.run(run_id).argv == ["portscan", "198.18.1.0/24"]


def test_recording_records_what_the_block_added(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with recording(db, kind="portscan", scan_key="k", targets=["198.18.1.0/24"],
                   argv=["portscan", "-p", "22"]) as history:
        for record in portscan_records():
            history.add(record)
        history.partial = True
    assert history.run_id == 1
    with HistoryStore.open(db) as store:
        run = store.run(1)
        assert store.records(1) == portscan_records()
    assert run.partial and run.summary == portscan_records()[-1]
    assert run.started <= run.ended
    assert run.argv == ["portscan", "-p", "22"]


def test_recording_without_db_does_nothing(tmp_path: Path) -> None:
    with recording(None, kind="portscan", scan_key="k", targets=[]) as history:
        history.add({"type": "port"})
    assert history.run_id is None
    assert list(tmp_path.iterdir()) == []


def test_recording_on_error_records_nothing_and_releases_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with pytest.raises(RuntimeProblem), recording(db, kind="portscan", scan_key="k",
                                                  targets=[]) as history:
        history.add(portscan_records()[0])
        raise RuntimeProblem("socket failed")
    with HistoryStore.open(db) as store:
        assert store.runs() == []
    with run_lock(db, "k"):
        pass


def test_recording_records_when_the_command_chooses_its_exit_code(tmp_path: Path) -> None:
    db = tmp_path / "h.db"

    @click.command()
    @db_option
    @click.pass_context
    def probe(ctx: click.Context, db: str | None) -> None:
        with recording(db, kind="arpscan", scan_key="k", targets=["198.18.1.0/24"]) as history:
            history.add({"type": "host", "ip": "198.18.1.11", "mac": "02:00:c6:12:01:0b"})
            ctx.exit(1)  # --fail-on-conflict

    assert CliRunner().invoke(probe, ["--db", str(db)]).exit_code == 1
    with HistoryStore.open(db) as store:
        assert [r.kind for r in store.runs()] == ["arpscan"]


def test_recording_skips_an_interrupted_exit_and_marks_max_time_partial(tmp_path: Path) -> None:
    db = tmp_path / "h.db"

    @click.command()
    @db_option
    @click.option("--code", type=int)
    @click.pass_context
    def probe(ctx: click.Context, db: str | None, code: int) -> None:
        with recording(db, kind="portscan", scan_key="k", targets=[]) as history:
            history.add(portscan_records()[0])
            history.add({"type": "summary", "max_time_reached": True})
            ctx.exit(code)

    assert CliRunner().invoke(probe, ["--db", str(db), "--code", "130"]).exit_code == 130
    with HistoryStore.open(db) as store:
        assert store.runs() == []
    assert CliRunner().invoke(probe, ["--db", str(db), "--code", "0"]).exit_code == 0
    with HistoryStore.open(db) as store:
        assert [r.partial for r in store.runs()] == [True]


def test_a_bad_db_fails_before_the_run_starts(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("not a database\n" * 100)
    started = False
    with pytest.raises(NotHistoryDatabase), recording(db, kind="portscan", scan_key="k",
                                                      targets=[]):
        started = True
    assert not started


def test_an_overlapping_run_of_the_same_scan_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with recording(db, kind="portscan", scan_key="lan", targets=[]) as history:
        history.add(portscan_records()[0])
        with pytest.raises(ScanLocked) as caught, recording(db, kind="portscan",
                                                            scan_key="lan", targets=[]):
            pytest.fail("the overlapping run started")
        assert caught.value.exit_code == EXIT_ENVIRONMENT
        assert f"pid {os.getpid()}" in str(caught.value)
        assert "nothing was scanned" in str(caught.value)
        # another scan into the same database is not held up
        with recording(db, kind="portscan", scan_key="other", targets=[]) as other:
            other.add(portscan_records()[0])
    with HistoryStore.open(db) as store:
        assert [r.scan_key for r in store.runs()] == ["other", "lan"]


HOLD_LOCK = """
import sys, time
from netprobe.services.history.recorder import run_lock
with run_lock(sys.argv[1], "lan"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_the_lock_of_a_killed_run_is_free_at_once(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], env=ENV,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(ScanLocked, match=f"pid {child.pid}"), run_lock(db, "lan"):
            pass
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()  # type: ignore[union-attr]
    assert lock_path(db, "lan").exists()  # the file stays; the lock went with the process
    with run_lock(db, "lan") as path:  # not blocked: refused or taken at once, never waits
        assert path == lock_path(db, "lan")


WRITE_RUN = """
import sys
from history_samples import big_portscan
from netprobe.services.history.recorder import recording
with recording(sys.argv[1], kind="portscan", scan_key=sys.argv[2], targets=[]) as history:
    for record in big_portscan(1, 20000):
        history.add(record)
print(history.run_id)
"""


def test_two_scans_recording_at_once_wait_for_each_other(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    writers = [subprocess.Popen([sys.executable, "-c", WRITE_RUN, str(db), f"scan-{n}"],
                                env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for n in range(3)]
    results = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], results
    assert sorted(int(out) for out, _ in results) == [1, 2, 3]
    with HistoryStore.open(db) as store:
        runs = store.runs()
        assert sorted(r.scan_key for r in runs) == ["scan-0", "scan-1", "scan-2"]
        assert all(r.counts["port"] == 20000 for r in runs)
