"""The history database: schema and marker, WAL, migrations, atomic runs, refusals."""

from __future__ import annotations

import hashlib
import math
import sqlite3
from pathlib import Path

import pytest
from history_samples import arpscan_records, portscan_records, traceroute_records

from netprobe.errors import EXIT_ENVIRONMENT, EXIT_RUNTIME, EXIT_USAGE, RuntimeProblem
from netprobe.services.history import store as store_module
from netprobe.services.history.store import (
    APPLICATION,
    SCHEMA_VERSION,
    DatabaseBusy,
    HistoryStore,
    MissingDatabase,
    NewerSchema,
    NotHistoryDatabase,
    UnknownRun,
)
from netprobe.services.output import json_line


def add(store: HistoryStore, records: list[dict], *, scan: str = "portscan:lan",
        kind: str = "portscan", started: float = 1_700_000_000.0, partial: bool = False,
        targets: list[str] | None = None) -> int:
    return store.add_run(kind=kind, argv=[kind, "198.18.1.0/24"], scan_key=scan,
                         targets=targets or ["198.18.1.0/24"], started=started,
                         ended=started + 1.5, records=records, summary=records[-1],
                         partial=partial)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_is_marked_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        assert store.schema_version == SCHEMA_VERSION
    raw = sqlite3.connect(path)
    assert dict(raw.execute("SELECT key, value FROM meta"))["application"] == APPLICATION
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


def test_records_come_back_exactly_as_printed(tmp_path: Path) -> None:
    records = portscan_records()
    with HistoryStore.open(tmp_path / "h.db", create=True) as store:
        run_id = add(store, records)
        assert store.records(run_id) == records
        assert [json_line(r) for r in store.records(run_id)] == [json_line(r) for r in records]
        run = store.run(run_id)
    ports = [r for r in records if r["type"] == "port"]
    assert run.counts == {"host": 5, "port": len(ports), "summary": 1, "up": 5,
                          "open": sum(r["state"] == "open" for r in ports)}
    assert run.summary == records[-1]
    assert (run.kind, run.scan_key, run.partial, run.targets) == (
        "portscan", "portscan:lan", False, ["198.18.1.0/24"])


def test_findings_are_indexed_by_host_and_port(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        add(store, traceroute_records(), kind="traceroute", scan="tr", targets=["198.19.2.10"])
        add(store, arpscan_records(), kind="arpscan", scan="arp")
        add(store, portscan_records())
    raw = sqlite3.connect(path)
    rows = raw.execute("SELECT run_id, type, host, proto, port FROM findings "
                       "ORDER BY run_id, seq").fetchall()
    raw.close()
    assert rows[0] == (1, "hop", "198.19.2.10", None, None)  # the hop's destination
    assert (2, "host", "198.18.1.11", None, None) in rows  # arpscan's "ip"
    assert (3, "port", "198.18.1.11", "tcp", 22) in rows


def test_a_history_command_never_creates_a_database(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(MissingDatabase) as caught:
        HistoryStore.open(path)
    assert caught.value.exit_code == EXIT_USAGE
    assert not path.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(MissingDatabase):
        HistoryStore.open(empty)
    assert empty.stat().st_size == 0
    with HistoryStore.open(empty, create=True) as store:  # a probing command's --db
        assert store.schema_version == SCHEMA_VERSION


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("192.168.1.1 router\n" * 200)
    before = digest(path)
    for create in (False, True):
        with pytest.raises(NotHistoryDatabase) as caught:
            HistoryStore.open(path, create=create)
        assert caught.value.exit_code == EXIT_RUNTIME
        assert "not a netprobe history database" in str(caught.value)
    assert digest(path) == before


def test_another_applications_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE contacts (name TEXT)")
    raw.execute("INSERT INTO contacts VALUES ('alice')")
    raw.commit()
    raw.close()
    before = digest(path)
    with pytest.raises(NotHistoryDatabase, match="not netprobe's"):
        HistoryStore.open(path, create=True)
    assert digest(path) == before
    assert not Path(str(path) + "-wal").exists()


def test_a_meta_table_of_another_application_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    raw.execute("INSERT INTO meta VALUES ('application', 'someone-else'), "
                "('schema_version', '1')")
    raw.commit()
    raw.close()
    with pytest.raises(NotHistoryDatabase):
        HistoryStore.open(path, create=True)


def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        add(store, portscan_records())
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                (str(SCHEMA_VERSION + 1),))
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    before = digest(path)
    with pytest.raises(NewerSchema, match="newer netprobe") as caught:
        HistoryStore.open(path)
    assert caught.value.exit_code == EXIT_RUNTIME
    assert digest(path) == before


def test_an_older_schema_is_migrated_keeping_its_runs(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        run_id = add(store, portscan_records())

    def add_note_column(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE runs ADD COLUMN note TEXT")

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, SCHEMA_VERSION + 1, add_note_column)
    with HistoryStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION + 1
        assert store.records(run_id) == portscan_records()
    raw = sqlite3.connect(path)
    assert "note" in [row[1] for row in raw.execute("PRAGMA table_info(runs)")]
    raw.close()


def test_a_failed_migration_leaves_the_old_schema(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        add(store, portscan_records())

    def half_done(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE runs ADD COLUMN note TEXT")
        raise RuntimeProblem("migration step failed")

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(store_module.MIGRATIONS, SCHEMA_VERSION + 1, half_done)
    with pytest.raises(RuntimeProblem, match="migration step failed"):
        HistoryStore.open(path)
    monkeypatch.undo()
    with HistoryStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    raw = sqlite3.connect(path)
    assert "note" not in [row[1] for row in raw.execute("PRAGMA table_info(runs)")]
    raw.close()


def test_a_run_whose_records_fail_midway_is_not_recorded(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.db", create=True) as store:
        first = add(store, portscan_records())

        def failing():
            yield from portscan_records()[:5]
            raise RuntimeProblem("scanner crashed")

        with pytest.raises(RuntimeProblem, match="scanner crashed"):
            store.add_run(kind="portscan", argv=[], scan_key="portscan:lan", targets=[],
                          started=1.0, ended=2.0, records=failing())
        with pytest.raises(RuntimeProblem, match="record 2"):
            add(store, [{"type": "port"}, {"type": "port", "rtt": math.nan}, {}])
        with pytest.raises(RuntimeProblem, match="not a JSON object"):
            add(store, [{"type": "port"}, ["not", "a", "dict"], {}])  # type: ignore[list-item]
        with pytest.raises(RuntimeProblem, match="summary"):
            add(store, [{"type": "port"}, {"type": "summary", "rate": math.inf}])
        assert [run.id for run in store.runs()] == [first]
        assert store._db.execute("SELECT COUNT(*) FROM findings").fetchone() == (
            len(portscan_records()),)


def test_unknown_run(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.db", create=True) as store:
        add(store, portscan_records())
        with pytest.raises(UnknownRun, match="no run 7") as caught:
            store.run(7)
    assert caught.value.exit_code == EXIT_USAGE


def test_prune_keeps_the_newest_runs_of_each_scan_and_ids_are_never_reused(
        tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.db", create=True) as store:
        ids = {"a": [], "b": []}
        for n in range(5):
            ids["a"].append(add(store, portscan_records(), scan="a", started=1e9 + n))
            if n < 2:
                ids["b"].append(add(store, arpscan_records(), scan="b", started=1e9 + n))
        preview = store.prune(2, dry_run=True)
        assert len(store.runs()) == 7
        deleted = store.prune(2)
        assert [r.id for r in deleted] == [r.id for r in preview] == ids["a"][:3]
        assert [r.id for r in store.runs()] == sorted(ids["a"][3:] + ids["b"])
        assert store._db.execute("SELECT COUNT(DISTINCT run_id) FROM findings").fetchone() == (
            4,)
        newest = max(ids["a"] + ids["b"])
        store.prune(1)
        assert add(store, portscan_records(), scan="c") == newest + 1


def test_runs_filters(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "h.db", create=True) as store:
        old = add(store, portscan_records(), started=1000.0)
        new = add(store, arpscan_records(), scan="arp", started=2000.0)
        assert [r.id for r in store.runs(since=1500.0)] == [new]
        assert [r.id for r in store.runs(scan_key="portscan:lan")] == [old]
        has_port_22 = [r.id for r in store.runs(having=lambda rec: rec.get("port") == 22)]
        assert has_port_22 == [old]


def test_a_locked_database_gives_busy_and_readers_are_not_blocked(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        first = add(store, portscan_records())
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO meta VALUES ('held', 'by another writer')")
    try:
        with HistoryStore.open(path, busy_timeout=0.2) as store:
            assert [r.id for r in store.runs()] == [first]  # WAL: reading goes on
            with pytest.raises(DatabaseBusy, match="locked by another process") as caught:
                add(store, portscan_records())
            assert caught.value.exit_code == EXIT_ENVIRONMENT
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with HistoryStore.open(path) as store:
        assert [r.id for r in store.runs()] == [first]


def test_a_damaged_database_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    with HistoryStore.open(path, create=True) as store:
        add(store, portscan_records())
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    size = path.stat().st_size
    with path.open("r+b") as handle:  # keep the header page, overwrite every other page
        handle.seek(4096)
        handle.write(b"\x13" * (size - 4096))
    with pytest.raises(NotHistoryDatabase, match="is damaged") as caught:
        HistoryStore.open(path)
    assert caught.value.exit_code == EXIT_RUNTIME
