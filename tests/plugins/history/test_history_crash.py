"""kill -9 of a real process in the middle of writing a big run into the history.

The database must open afterwards, hold the last complete run intact, and
hold nothing of the killed run (history's choice: an unfinished run is
absent, see ``store.py``); the scan's lock must be free again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from history_samples import portscan_records

from netprobe.services.history.recorder import record_run, recording
from netprobe.services.history.store import HistoryStore

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
SCAN = "portscan:lan-all-states"

#: A scanner recording an --all-states scan of 8 hosts x 65,535 ports (524,288
#: records), streamed into one transaction while it holds the scan's lock.
WRITE_BIG_RUN = """
import sys, time
from history_samples import big_portscan
from netprobe.services.history.recorder import record_run, run_lock

db = sys.argv[1]
with run_lock(db, sys.argv[2]):
    started = time.time()
    record_run(db, kind="portscan", argv=["portscan", "-p-", "--all-states"],
               scan_key=sys.argv[2], targets=["198.18.1.0/24"], started=started,
               ended=started + 60, records=big_portscan(8), summary={}, partial=False)
print("finished", flush=True)
"""

#: the uncommitted part of the log the kill must interrupt: well past SQLite's page cache
SPILLED = 8 * 1024 * 1024


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_kill_9_while_writing_leaves_the_last_complete_run(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    complete = portscan_records()
    first = record_run(db, kind="portscan", argv=["portscan", "198.18.1.0/24"],
                       scan_key=SCAN, targets=["198.18.1.0/24"], started=1_700_000_000.0,
                       ended=1_700_000_002.0, records=complete, summary=complete[-1],
                       partial=False)
    wal = Path(f"{db}-wal")
    wal_before = _size(wal)

    child = subprocess.Popen([sys.executable, "-c", WRITE_BIG_RUN, str(db), SCAN], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _size(wal) < wal_before + SPILLED:
            assert child.poll() is None, f"the writer ended early: {child.communicate()}"
            assert time.monotonic() < deadline, "the writer never got going"
            time.sleep(0.02)
        spilled = _size(wal)
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert "finished" not in out, "the run completed before the kill: make it bigger"
    assert spilled >= wal_before + SPILLED  # uncommitted pages were on disk at the kill

    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert raw.execute("SELECT COUNT(*) FROM findings").fetchone() == (len(complete),)
    raw.close()
    with HistoryStore.open(db) as store:
        assert [run.id for run in store.runs()] == [first]
        assert store.records(first) == complete
        assert store.run(first).summary == complete[-1]

    listed = subprocess.run([sys.executable, "-m", "netprobe", "history", "--db", str(db),
                             "list", "--json"], env=ENV, capture_output=True, text=True,
                            timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["run"] for line in listed.stdout.splitlines()] == [first]

    # The killed run's lock went with it: the next run of the same scan records normally.
    with recording(db, kind="portscan", scan_key=SCAN, targets=["198.18.1.0/24"]) as history:
        for record in complete:
            history.add(record)
    with HistoryStore.open(db) as store:
        assert [run.id for run in store.runs()] == [first, history.run_id]
        assert store.records(history.run_id or 0) == complete
