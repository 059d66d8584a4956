"""What every capture writer shares: atomic output, byte accounting, the ``with`` protocol."""

from __future__ import annotations

from netprobe.errors import CaptureFileError, UsageError
from netprobe.wire.pcapfile.atomic_output import AtomicOutput
from netprobe.wire.pcapfile.capture_file import CaptureFile
from netprobe.wire.pcapfile.capture_path import CaptureTarget
from netprobe.wire.pcapfile.record import CaptureRecord


class CaptureWriter(CaptureFile):
    """Base of :class:`PcapWriter` and :class:`PcapngWriter`.

    Used as a context manager, the file is committed when the block ends
    normally and discarded when it raises.  Outside a ``with`` block call
    :meth:`close` (commit) or :meth:`abort` (discard).
    """

    def __init__(self, dest: CaptureTarget) -> None:
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
            raise CaptureFileError(self.path, offset, f"cannot write: {exc.strerror or exc}"
                                   ) from exc
        self.offset += len(head) + len(body) + len(tail)

    def _out_of_range(self, what: str) -> CaptureFileError:
        return CaptureFileError(self.path, self.offset, what)

    def write(self, data: bytes, ts_sec: int, ts_frac: int, ts_units: int,
              wirelen: int | None = None, ifindex: int = 0) -> None:
        """Append one packet on interface ``ifindex``; ``wirelen`` defaults to ``len(data)``.

        A timestamp in other units is converted exactly to the file's (rounded
        down where they are coarser).
        """
        caplen = len(data)
        head, tail = self._framing(caplen, caplen if wirelen is None else wirelen, ts_sec, ts_frac,
                                   ts_units, ifindex)
        self._emit(head, data, tail)
        self.packets_written += 1

    def write_record(self, rec: CaptureRecord) -> None:
        """Append a record read from another file (its interface must fit this file)."""
        self.write(rec.data, rec.ts_sec, rec.ts_frac, rec.ts_units, rec.wirelen,
                   self._interface_of(rec))

    def _framing(self, caplen: int, wirelen: int, ts_sec: int, ts_frac: int, ts_units: int,
                 ifindex: int) -> tuple[bytes, bytes]:
        """The format's bytes before and after a packet's data (checked to fit)."""
        raise NotImplementedError

    def _interface_of(self, rec: CaptureRecord) -> int:
        """The interface here for a record read elsewhere; refuse one that does not fit."""
        raise NotImplementedError

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
