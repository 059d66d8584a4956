"""``--db FILE`` for the probing commands: record a run and its findings in the history.

A probing plugin adds the option and wraps its run in ``recording``::

    from netprobe.services.history.recorder import db_option, make_scan_key, recording

    @db_option
    def command(..., db: str | None) -> None:
        key = make_scan_key("portscan", targets, {"ports": ports, "scan": scan_type})
        with recording(db, kind="portscan", scan_key=key, targets=targets) as history:
            ...                         # probe
            for record in report(saved, {}):
                output.emit(record)
                history.add(record)     # every record printed, the summary too
            history.partial = stopped_by_max_time

Without ``--db`` (``db`` is None) ``recording`` costs nothing and records
nothing. With it, the database is opened and checked before the run starts
(a bad ``--db`` fails before any packet is sent), the scan's lock is held
for the whole run (an overlapping run of the same scan is refused, exit 3),
and the run is written in one transaction when the block ends normally.
When the block ends with an exception (an error, Ctrl-C) or an exit code
other than 0 and 1, nothing is recorded: the database stays as it was.
``record_run`` is the same write for callers that manage the lock
themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

import click

from netprobe.services.history.lock import ScanLocked, lock_path, run_lock

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord, JSONValue

DB_ENV = "NETPROBE_DB"
"""Environment variable giving ``--db`` its default."""

F = TypeVar("F", bound=Callable[..., object])


def db_option(function: F) -> F:
    """Add ``--db FILE`` (default: ``$NETPROBE_DB``) to a click command; the value is ``db``."""
    return click.option(
        "--db", "db", metavar="FILE", envvar=DB_ENV, default=None,
        type=click.Path(dir_okay=False),
        help="Append this run and its findings to the history database FILE (SQLite, "
             "created if missing; env NETPROBE_DB); see `netprobe history`. A second run of "
             "the same scan while one is going is refused (exit 3).",
    )(function)


def make_scan_key(kind: str, targets: Iterable[str],
                  options: Mapping[str, JSONValue] | None = None) -> str:
    """The identity of "the same scan": ``<kind>:<12 hex digits>``.

    Give the options that change *what* is probed (ports, scan type, address
    family, shard), not how fast: two runs with the same key are compared by
    ``netprobe history diff``. Target order does not matter.
    """
    canonical = json.dumps({"kind": kind, "targets": sorted(str(t) for t in targets),
                            "options": dict(options or {})},
                           sort_keys=True, separators=(",", ":"), default=str)
    import hashlib  # on first use: OpenSSL costs a small scan 2 ms to load

    return f"{kind}:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:12]}"


def record_run(db_path: str | os.PathLike[str], *, kind: str, argv: list[str], scan_key: str,
               targets: list[str], started: float, ended: float,
               records: Iterable[Mapping[str, JSONValue]],
               summary: Mapping[str, JSONValue] | None = None, partial: bool = False) -> int:
    """Store one run and its records (as printed) in one transaction; returns the run id.

    Creates the database on first use. Raises ``NotHistoryDatabase`` /
    ``NewerSchema`` (exit 4) for a database that is not netprobe's or is too
    new, ``DatabaseBusy`` (exit 3) when another process keeps it locked; the
    database is then unchanged.
    """
    from netprobe.services.history.store import HistoryStore

    with HistoryStore.open(db_path, create=True) as store:
        return store.add_run(kind=kind, argv=argv, scan_key=scan_key, targets=targets,
                             started=started, ended=ended, records=records, summary=summary,
                             partial=partial)


class Recording:
    """What a probing command hands to ``recording``'s block: its records and how it ended."""

    def __init__(self) -> None:
        self.records: list[Mapping[str, JSONValue]] = []
        self.summary: JSONRecord = {}
        #: set True when the run stopped early on purpose (``--max-time``)
        self.partial = False
        #: the id of the recorded run, once recorded
        self.run_id: int | None = None

    def add(self, record: Mapping[str, JSONValue]) -> None:
        """Keep one record the command printed; a ``summary`` record also becomes the
        run's summary."""
        self.records.append(record)
        if record.get("type") == "summary":
            self.summary = dict(record)


@contextlib.contextmanager
def recording(db_path: str | os.PathLike[str] | None, *, kind: str, scan_key: str,
              targets: Iterable[str], argv: list[str] | None = None) -> Iterator[Recording]:
    """Lock the scan, run the block, record what it added (see the module docstring).

    ``argv`` defaults to ``sys.argv[1:]``. ``ctx.exit(0)`` or ``ctx.exit(1)``
    inside the block still records (the run ended as the command decided);
    any other exit code or exception (Ctrl-C included) records nothing. The
    run is recorded as partial when the block set ``partial`` or when its
    summary record says ``"max_time_reached": true`` or ``"interrupted": true``.
    """
    history = Recording()
    if db_path is None:
        yield history
        return
    from netprobe.services.history.store import HistoryStore

    HistoryStore.open(db_path, create=True).close()  # fail before probing, not after
    targets = [str(t) for t in targets]
    command_line = list(sys.argv[1:] if argv is None else argv)
    with run_lock(db_path, scan_key):
        started = time.time()
        try:
            yield history
        except click.exceptions.Exit as end:
            if end.exit_code in (0, 1):  # done, with or without "findings"
                history.run_id = _record(db_path, history, kind, command_line, scan_key,
                                         targets, started)
            raise
        history.run_id = _record(db_path, history, kind, command_line, scan_key, targets,
                                 started)


def _record(db_path: str | os.PathLike[str], history: Recording, kind: str, argv: list[str],
            scan_key: str, targets: list[str], started: float) -> int:
    return record_run(db_path, kind=kind, argv=argv, scan_key=scan_key, targets=targets,
                      started=started, ended=time.time(), records=history.records,
                      summary=history.summary, partial=history.partial or bool(
                          history.summary.get("max_time_reached")
                          or history.summary.get("interrupted")))


__all__ = ["DB_ENV", "Recording", "ScanLocked", "db_option", "lock_path", "make_scan_key",
           "record_run", "recording", "run_lock"]
