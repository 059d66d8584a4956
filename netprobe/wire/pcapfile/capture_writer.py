"""What every capture writer shares: atomic output, byte accounting, the ``with`` protocol."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from netprobe.errors import CaptureFileError, UsageError
from netprobe.wire.pcapfile.atomic_output import AtomicOutput, CaptureDestination


class CaptureWriter:
    """Base of :class:`PcapWriter` and :class:`PcapngWriter`.

    Used as a context manager, the file is committed when the block ends
    normally and discarded when it raises.  Outside a ``with`` block call
    :meth:`close` (commit) or :meth:`abort` (discard).
    """

    def __init__(self, dest: CaptureDestination) -> None:
        self._out = AtomicOutput(dest)
        self._file = self._out.file
        self.path = self._out.path
        #: Bytes written so far: the file offset of the next record.
        self.offset = 0
        self.packets_written = 0

    def _emit(self, head: bytes, body: bytes = b"", tail: bytes = b"") -> None:
        """Write ``head``, ``body``, ``tail``, turning OS errors into :class:`CaptureFileError`."""
        if self._out.closed:
            raise UsageError(f"{self.path}: capture writer already closed")
        write = self._file.write
        try:
            write(head)
            if body:
                write(body)
            if tail:
                write(tail)
        except OSError as exc:
            offset = self.offset
            self.abort()
            raise CaptureFileError(
                self.path, offset, f"cannot write: {exc.strerror or exc}"
            ) from exc
        self.offset += len(head) + len(body) + len(tail)

    def _out_of_range(self, what: str) -> CaptureFileError:
        return CaptureFileError(self.path, self.offset, what)

    @property
    def closed(self) -> bool:
        """True once the writer has been closed or aborted."""
        return self._out.closed

    def close(self) -> None:
        """Finish the file: flush and, when writing to a path, move it into place."""
        self._out.commit()

    def abort(self) -> None:
        """Give up: nothing is left at the destination path (a stream just stops)."""
        self._out.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
