"""One run of a scan at a time: a lock file beside the history database.

``run_lock(db, scan_key)`` holds an exclusive ``flock`` on
``<db>.<12 hex digits of the scan key's hash>.lock`` for as long as the run
lasts. A second run of the same scan against the same database is refused
at once with ``ScanLocked`` (exit 3), naming the process that holds the
lock; runs of other scans are not affected. The kernel drops the lock when
its process ends, however it ends (kill -9 included), so a stale lock file
never blocks anything: the file stays (removing it would race with a
process that just opened it), the lock does not.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from netprobe.errors import EnvironmentProblem

if TYPE_CHECKING:  # pathlib (with urllib.parse) is imported by a run that records only
    from pathlib import Path


class ScanLocked(EnvironmentProblem):
    """Another run of the same scan holds the lock (exit 3)."""


def lock_path(db_path: str | os.PathLike[str], scan_key: str) -> Path:
    """The lock file of one scan beside the database ``db_path``."""
    import hashlib  # on first use: OpenSSL costs a small scan 2 ms to load
    from pathlib import Path

    digest = hashlib.sha256(scan_key.encode("utf-8")).hexdigest()[:12]
    db = Path(db_path)
    return db.with_name(f"{db.name}.{digest}.lock")


def _holder(handle: int) -> str:
    """Who holds the lock, from what it wrote into the file (best effort)."""
    try:
        os.lseek(handle, 0, os.SEEK_SET)
        info = json.loads(os.read(handle, 4096) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["started"])))
        return f"pid {int(info['pid'])}, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def run_lock(db_path: str | os.PathLike[str], scan_key: str) -> Iterator[Path]:
    """Hold the lock of ``scan_key`` for the ``with`` block; yields the lock file's path.

    Raises ``ScanLocked`` (exit 3) when another run of the scan holds it and
    ``EnvironmentProblem`` when the lock file cannot be created.
    """
    path = lock_path(db_path, scan_key)
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise EnvironmentProblem(f"cannot create the lock file {path}: "
                                 f"{exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ScanLocked(f"another run of this scan is still going ({_holder(handle)}; "
                             f"lock {path}): this run is refused, nothing was "
                             "scanned") from None
        info = json.dumps({"pid": os.getpid(), "started": time.time(), "scan": scan_key})
        try:
            os.ftruncate(handle, 0)
            os.pwrite(handle, info.encode("utf-8"), 0)
        except OSError:
            pass  # the holder's name is a courtesy; the flock is the lock
        yield path
    finally:
        os.close(handle)  # releases the flock


__all__ = ["ScanLocked", "lock_path", "run_lock"]
