"""Where a capture writer's bytes go: a path written atomically, stdout, or a file object.

A path is written to a temporary file in the same directory and renamed over
the destination only when the writer is closed after success, so a reader
never sees a half-written capture and a failed run leaves nothing behind.
The rename is atomic on POSIX because source and destination share a file
system.  No fsync: the guarantee is against partial files after errors, not
against power loss, and an fsync per capture would cost more than it buys.
"""

from __future__ import annotations

import os
import sys
import tempfile
import weakref
from typing import BinaryIO

from netprobe.errors import CaptureFileError
from netprobe.proc_status import proc_status
from netprobe.wire.pcapfile.capture_path import CaptureTarget, capture_path

#: Output buffer: records are small, so write system calls are batched.
WRITE_BUFFER = 1 << 20


def _current_umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    mask_text = proc_status("Umask")
    if mask_text is not None:
        try:
            return int(mask_text, 8)
        except ValueError:
            pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class AtomicOutput:
    """A binary output that commits (rename into place) or aborts (remove) as a whole.

    For ``"-"`` (standard output) and file objects there is nothing to rename:
    commit flushes, abort stops writing; the file object is never closed here.
    """

    def __init__(self, dest: CaptureTarget) -> None:
        self._temp: str | None = None
        self._finalizer: weakref.finalize | None = None
        self.closed = False
        self.path, given = capture_path(dest, "write")
        if given is not None:
            self.file: BinaryIO = given
        elif self.path == "-":
            self.file = sys.stdout.buffer
        else:
            path = self.path
            directory = os.path.dirname(os.path.abspath(path))
            try:
                fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part",
                                            dir=directory)
            except OSError as exc:
                raise CaptureFileError(path, None, f"cannot create: {exc.strerror or exc}") from exc
            self._temp = temp
            # If the writer is dropped without close() (or the interpreter
            # exits), the partial file still goes away.
            self._finalizer = weakref.finalize(self, _remove_quietly, temp)
            try:
                # mkstemp makes the file private (0600); give it the mode an
                # ordinary open() would have.
                os.fchmod(fd, 0o666 & ~_current_umask())
            except OSError:
                pass
            self.file = os.fdopen(fd, "wb", buffering=WRITE_BUFFER)

    def commit(self) -> None:
        """Flush and, for a path, move the finished file into place."""
        if self.closed:
            return
        self.closed = True
        try:
            if self._temp is None:
                self.file.flush()
                return
            self.file.close()
            os.replace(self._temp, self.path)
        except OSError as exc:
            self._discard()
            raise CaptureFileError(self.path, None, f"cannot write: {exc.strerror or exc}") from exc
        if self._finalizer is not None:
            self._finalizer.detach()

    def abort(self) -> None:
        """Stop writing; for a path, remove the partial file."""
        if self.closed:
            return
        self.closed = True
        self._discard()

    def _discard(self) -> None:
        if self._temp is None:
            return
        try:
            self.file.close()
        except OSError:
            pass
        if self._finalizer is not None:
            self._finalizer()  # removes the temporary file exactly once
