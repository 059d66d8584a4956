"""The history database: SQLite (standard library), WAL mode, one transaction per run.

Layout (schema version ``SCHEMA_VERSION``)::

    meta(key, value)          application = "netprobe-history", schema_version = "1"
    runs(id, kind, scan_key, argv, targets, started, ended, partial, summary, counts, version)
    findings(id, run_id, seq, type, host, proto, port, record)

``findings.record`` is the record exactly as the probing command printed it
(compact JSON); the other columns are read from it for filtering. Run ids
are never reused (AUTOINCREMENT), so "run 12" means one run for ever, also
after ``prune``.

Crash safety: a run and all its findings are written in one transaction
(``add_run``). A process killed before it commits leaves no trace of the
run: SQLite discards the uncommitted part of the write-ahead log when the
database is next opened. A run stopped on purpose (``--max-time``) is
recorded with ``partial = 1``. So a run in the database is always complete
as recorded, and a run that did not finish is absent, never half-written.

Opening checks that the file is netprobe's: an SQLite file without the
``meta`` table or with another application marker is refused
(``NotHistoryDatabase``, exit 4), one written by a newer netprobe as well
(``NewerSchema``, exit 4); an older schema is migrated in one transaction.
Another process holding the write lock past the busy timeout gives
``DatabaseBusy`` (exit 3).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from netprobe.errors import EnvironmentProblem, RuntimeProblem, UsageError
from netprobe.services.history.records import record_type, with_destinations
from netprobe.services.output import json_line
from netprobe.version import package_version

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord, JSONValue

APPLICATION = "netprobe-history"
"""The marker in ``meta`` that says "this database is netprobe's history"."""

SCHEMA_VERSION = 1
"""The newest schema this netprobe knows; ``MIGRATIONS`` leads up to it."""

BUSY_TIMEOUT = 30.0
"""Seconds to wait for another process's write transaction before giving up."""

#: What SQLite stores and returns in a column.
SQLValue = None | int | float | str | bytes


class NotHistoryDatabase(RuntimeProblem):
    """The file is not SQLite, or an SQLite database that netprobe did not create (exit 4)."""


class NewerSchema(RuntimeProblem):
    """The database was written by a newer netprobe with a schema this one does not know."""


class DatabaseBusy(EnvironmentProblem):
    """Another process kept the database locked for longer than the busy timeout (exit 3)."""


class MissingDatabase(UsageError):
    """A history command was pointed at a database that does not exist yet (exit 2)."""


class UnknownRun(UsageError):
    """No run with that id (exit 2)."""


def _schema_v1(db: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            scan_key TEXT NOT NULL,
            argv TEXT NOT NULL,
            targets TEXT NOT NULL,
            started REAL NOT NULL,
            ended REAL NOT NULL,
            partial INTEGER NOT NULL,
            summary TEXT NOT NULL,
            counts TEXT NOT NULL,
            version TEXT NOT NULL)""",
        "CREATE INDEX runs_by_scan ON runs (scan_key, id)",
        # A rowid table: one run's findings are appended in one transaction, so
        # they land at the end of the b-tree (the cheapest insert SQLite has).
        """CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id),
            seq INTEGER NOT NULL,
            type TEXT,
            host TEXT,
            proto TEXT,
            port INTEGER,
            record TEXT NOT NULL)""",
        "CREATE UNIQUE INDEX findings_by_run ON findings (run_id, seq)",
    ):
        db.execute(statement)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _schema_v1}
"""Schema version -> the step that brings a database from the version before to it."""


@dataclass(frozen=True)
class Run:
    """One recorded run, as ``list`` shows it."""

    id: int
    kind: str
    scan_key: str
    argv: list[str]
    targets: list[str]
    started: float
    ended: float
    partial: bool
    summary: JSONRecord
    counts: dict[str, int]
    version: str

    def to_record(self) -> JSONRecord:
        """The run as a JSON Lines record (``{"type": "run", ...}``)."""
        return {"type": "run", "run": self.id, "kind": self.kind, "scan": self.scan_key,
                "ts": self.started, "ended_ts": self.ended,
                "elapsed_s": round(self.ended - self.started, 6), "partial": self.partial,
                "targets": self.targets, "argv": self.argv, "counts": self.counts,
                "summary": self.summary, "version": self.version}


_RUN_COLUMNS = ("id, kind, scan_key, argv, targets, started, ended, partial, summary, counts, "
                "version")


def _run(row: tuple[SQLValue, ...]) -> Run:
    return Run(id=row[0], kind=row[1], scan_key=row[2], argv=json.loads(row[3]),
               targets=json.loads(row[4]), started=row[5], ended=row[6], partial=bool(row[7]),
               summary=json.loads(row[8]), counts=json.loads(row[9]), version=row[10])


def _json_text(value: JSONValue) -> str:
    return json_line(value)[:-1]


def _objects(records: Iterable[object]) -> Iterator[Mapping[str, JSONValue]]:
    for position, rec in enumerate(records, start=1):
        if not isinstance(rec, Mapping):
            raise RuntimeProblem(f"cannot record record {position}: not a JSON object")
        yield rec


def _is_busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _problem(path: Path, exc: sqlite3.Error, doing: str) -> Exception:
    """The netprobe error for an SQLite failure: busy (3), no permission (3), else 4."""
    text = str(exc)
    if _is_busy(exc):
        return DatabaseBusy(f"{path} is locked by another process (another netprobe writing "
                            f"to it?); {doing}")
    if "readonly" in text or "unable to open" in text or "permission" in text.lower():
        return EnvironmentProblem(f"{path}: {text}; {doing}")
    return RuntimeProblem(f"{path}: {text}; {doing}")


class HistoryStore:
    """An open history database. Use ``HistoryStore.open``; close it (or use ``with``)."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = False,
             busy_timeout: float | None = None) -> HistoryStore:
        """Open (``create``: or create) the database at ``path`` and check it is netprobe's.

        Without ``create``, a missing or empty database raises ``MissingDatabase``
        and nothing is written except a migration of an older schema.
        ``busy_timeout`` defaults to ``BUSY_TIMEOUT``.
        """
        if busy_timeout is None:
            busy_timeout = BUSY_TIMEOUT
        target = Path(path)
        if target.is_dir():
            raise UsageError(f"{target} is a directory, not a history database")
        exists = target.exists()
        if not exists and not create:
            raise MissingDatabase(f"no history database at {target} (a probing command "
                                  "with --db FILE creates it)")
        mode = "rwc" if create else "rw"
        uri = f"file:{quote(os.path.abspath(target))}?mode={mode}"
        try:
            db = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None,
                                 check_same_thread=False)
        except sqlite3.Error as exc:
            raise _problem(target, exc, "cannot open it") from exc
        try:
            store = cls(target, db)
            store._prepare(create)
        except BaseException:
            db.close()
            raise
        return store

    def _prepare(self, create: bool) -> None:
        try:
            tables = self._tables()
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc) or "unable to open" in str(exc):
                raise _problem(self.path, exc, "cannot open it") from exc
            raise NotHistoryDatabase(
                f"{self.path} is not a netprobe history database ({exc})") from exc
        if not tables and not create:
            raise MissingDatabase(f"{self.path} holds no netprobe history yet (a probing "
                                  "command with --db FILE creates it)")
        version = self._check_application(tables) if tables else 0
        self._set_modes()
        if version < SCHEMA_VERSION:
            self._initialise()

    def _tables(self) -> set[str]:
        rows = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}

    def _check_application(self, tables: set[str]) -> int:
        not_ours = NotHistoryDatabase(f"{self.path} is an SQLite database that is not "
                                      "netprobe's history (no netprobe marker); refusing to "
                                      "touch it")
        if "meta" not in tables:
            raise not_ours
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta"))
        except sqlite3.Error as exc:
            if "malformed" in str(exc) or "corrupt" in str(exc):
                raise NotHistoryDatabase(f"{self.path} is damaged ({exc})") from exc
            raise not_ours from exc
        if meta.get("application") != APPLICATION:
            raise not_ours
        try:
            version = int(meta.get("schema_version", ""))
        except ValueError:
            raise NotHistoryDatabase(f"{self.path}: damaged history database (schema version "
                                     f"{meta.get('schema_version')!r})") from None
        if version > SCHEMA_VERSION:
            raise NewerSchema(f"{self.path} was written by a newer netprobe (history schema "
                              f"{version}; this netprobe knows up to {SCHEMA_VERSION}): "
                              "upgrade netprobe to use it")
        return version

    def _set_modes(self) -> None:
        try:
            # WAL: readers never wait for a scan that is recording, and a crash
            # mid-transaction leaves the last committed state. FULL: a recorded
            # run survives a power cut too (one fsync per run, nothing per record).
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise _problem(self.path, exc, "cannot open it") from exc

    def _initialise(self) -> None:
        """Create the tables, or bring an older schema up to date, in one transaction."""
        with self._transaction():
            # Another process may have created it while we waited for the lock.
            tables = self._tables()
            if tables:
                version = self._check_application(tables)
            else:
                MIGRATIONS[1](self._db)
                self._db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                     [("application", APPLICATION), ("schema_version", "1"),
                                      ("created", str(time.time()))])
                version = 1
            self._apply_migrations(version)

    def _apply_migrations(self, version: int) -> None:
        for step in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[step](self._db)
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                             (str(step),))

    @property
    def schema_version(self) -> int:
        """The schema version recorded in ``meta``."""
        (value,) = self._db.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(value)

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """``with store._transaction():`` -- all or nothing, and only one writer at a time."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _problem(self.path, exc, "nothing was written") from exc
        try:
            yield
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as error:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise _problem(self.path, error, "nothing was written") from error

    # -- writing ---------------------------------------------------------------------------
    def add_run(self, *, kind: str, argv: Iterable[str], scan_key: str, targets: Iterable[str],
                started: float, ended: float, records: Iterable[Mapping[str, JSONValue]],
                summary: Mapping[str, JSONValue] | None = None, partial: bool = False) -> int:
        """Store a run and its records in one transaction; returns the new run's id.

        ``records`` may be a generator: it is consumed inside the transaction,
        so an exception from it (or a kill) leaves the database unchanged.
        """
        targets = [str(t) for t in targets]
        default_dst = targets[0] if len(targets) == 1 else None
        counts: dict[str, int] = {}

        def rows(run_id: int) -> Iterator[tuple[SQLValue, ...]]:
            for position, rec, host in with_destinations(_objects(records), default_dst):
                kind_ = record_type(rec)
                counts[kind_ or "other"] = counts.get(kind_ or "other", 0) + 1
                if kind_ == "port" and rec.get("state") == "open":
                    counts["open"] = counts.get("open", 0) + 1
                if kind_ == "host" and rec.get("state", "up") == "up":
                    counts["up"] = counts.get("up", 0) + 1
                try:
                    text = _json_text(rec)
                except (TypeError, ValueError) as exc:
                    raise RuntimeProblem(f"cannot record record {position + 1}: {exc}") from exc
                proto, port = rec.get("proto"), rec.get("port")
                yield (run_id, position + 1, kind_, host, None if proto is None else str(proto),
                       port if isinstance(port, int) else None, text)

        try:
            summary_text = _json_text(dict(summary or {}))
        except (TypeError, ValueError) as exc:
            raise RuntimeProblem(f"cannot record the run's summary: {exc}") from exc
        with self._transaction():
            try:
                cursor = self._db.execute(
                    "INSERT INTO runs (kind, scan_key, argv, targets, started, ended, partial, "
                    "summary, counts, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)",
                    (kind, scan_key, _json_text([str(a) for a in argv]), _json_text(targets),
                     float(started), float(ended), int(bool(partial)), summary_text,
                     package_version()))
                run_id = int(cursor.lastrowid or 0)
                self._db.executemany(
                    "INSERT INTO findings (run_id, seq, type, host, proto, port, record) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows(run_id))
                self._db.execute("UPDATE runs SET counts = ? WHERE id = ?",
                                 (_json_text(dict(sorted(counts.items()))), run_id))
            except sqlite3.Error as exc:
                raise _problem(self.path, exc, "the run was not recorded") from exc
        return run_id

    def prune(self, keep: int, *, dry_run: bool = False) -> list[Run]:
        """Delete all but the ``keep`` newest runs of each scan; returns the runs deleted."""
        if keep < 1:
            raise UsageError("--keep must be at least 1")
        with self._transaction():
            doomed = [_run(row) for row in self._db.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs AS r WHERE "
                "(SELECT COUNT(*) FROM runs AS n WHERE n.scan_key = r.scan_key AND n.id > r.id)"
                " >= ? ORDER BY id", (keep,))]
            if not dry_run:
                ids = [(run.id,) for run in doomed]
                self._db.executemany("DELETE FROM findings WHERE run_id = ?", ids)
                self._db.executemany("DELETE FROM runs WHERE id = ?", ids)
        if doomed and not dry_run:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # a reader holds the log; the space comes back at a later checkpoint
        return doomed

    # -- reading ---------------------------------------------------------------------------
    def _query(self, sql: str, params: Iterable[SQLValue] = ()) -> list[tuple[SQLValue, ...]]:
        try:
            return self._db.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise _problem(self.path, exc, "cannot read it") from exc

    def runs(self, *, since: float | None = None, scan_key: str | None = None,
             having: Callable[[Mapping[str, JSONValue]], bool] | None = None) -> list[Run]:
        """Runs, oldest first: started at or after ``since``, of one scan, and (``having``)
        with at least one finding the predicate accepts."""
        where, params = [], []
        if since is not None:
            where.append("started >= ?")
            params.append(since)
        if scan_key is not None:
            where.append("scan_key = ?")
            params.append(scan_key)
        sql = f"SELECT {_RUN_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        found = [_run(row) for row in self._query(sql + " ORDER BY id", params)]
        if having is not None:
            found = [run for run in found if any(having(rec) for rec in self.records(run.id))]
        return found

    def run(self, run_id: int) -> Run:
        """One run by id; ``UnknownRun`` (exit 2) when there is none."""
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise UnknownRun(f"no run {run_id} in {self.path} (netprobe history list shows "
                             "the runs)")
        return _run(rows[0])

    def latest(self) -> Run | None:
        """The most recent run, or None in an empty database."""
        rows = self._query(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1")
        return _run(rows[0]) if rows else None

    def scan_runs(self, scan_key: str, *, complete: bool = True) -> list[Run]:
        """The runs of one scan, oldest first (``complete``: without the partial ones)."""
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE scan_key = ?"
        if complete:
            sql += " AND partial = 0"
        return [_run(row) for row in self._query(sql + " ORDER BY id", (scan_key,))]

    def scan_keys(self) -> list[str]:
        """Every scan key in the database."""
        return [key for (key,) in self._query("SELECT DISTINCT scan_key FROM runs")]

    def records(self, run_id: int) -> list[JSONRecord]:
        """A run's records as the probing command printed them, in the same order."""
        rows = self._query("SELECT record FROM findings WHERE run_id = ? ORDER BY seq",
                           (run_id,))
        return [json.loads(text) for (text,) in rows]

    def close(self) -> None:
        """Close the connection (a no-op when already closed)."""
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["APPLICATION", "BUSY_TIMEOUT", "MIGRATIONS", "SCHEMA_VERSION", "DatabaseBusy",
           "HistoryStore", "MissingDatabase", "NewerSchema", "NotHistoryDatabase",
           "Run", "UnknownRun"]
