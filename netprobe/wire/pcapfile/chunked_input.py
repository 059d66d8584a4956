"""Large-chunk reading of a capture file with a known file offset.

The format parsers keep the current buffer and position in local variables on
their hot path and only call :meth:`ChunkedInput.refill` when a record or block
crosses the end of the buffer.  Memory stays bounded by one chunk plus the
largest record, whatever the size of the file.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING

from netprobe.errors import CaptureFileError, UsageError
from netprobe.wire.pcapfile.capture_path import CaptureTarget, capture_path

if TYPE_CHECKING:
    import mmap

#: Bytes asked from the operating system per read: large enough that the read
#: system call disappears from profiles, small enough to keep memory flat.
CHUNK_SIZE = 1 << 20


class ChunkedInput:
    """A binary input read in large chunks, tracking the file offset of its buffer.

    ``source`` is a path, ``"-"`` for standard input, or a binary file object
    (which is read from its current position and never closed here).
    """

    __slots__ = ("_eof", "_file", "_owned", "base", "buf", "path", "pos")

    def __init__(self, source: CaptureTarget) -> None:
        self._owned = False
        self._eof = False
        self.path, given = capture_path(source, "read")
        path = self.path
        if given is not None:
            if isinstance(given, io.TextIOBase):
                raise UsageError("capture files must be opened in binary mode ('rb')")
            self._file = given
        elif path == "-":
            self._file = sys.stdin.buffer
        else:
            try:
                # Unbuffered: we do our own (larger) buffering, so a
                # BufferedReader would only add a copy.
                self._file = open(path, "rb", buffering=0)  # noqa: SIM115
            except OSError as exc:
                raise CaptureFileError(path, None, f"cannot open: {exc.strerror or exc}") from exc
            self._owned = True
        #: The bytes read but not yet consumed start at ``buf[pos]``.
        self.buf = b""
        self.pos = 0
        #: File offset of ``buf[0]``.
        self.base = 0

    @classmethod
    def whole(cls, data: bytes | mmap.mmap, path: str) -> ChunkedInput:
        """An input whose every byte is already in ``data`` (a memory-mapped file).

        Nothing is read and nothing is closed; the parsers read ``data`` in place.
        """
        self = cls.__new__(cls)
        self._owned = False
        self._eof = True
        self._file = None
        self.path = path
        self.buf = data  # type: ignore[assignment]
        self.pos = 0
        self.base = 0
        return self

    def _read(self, size: int, offset: int) -> bytes:
        """Read up to ``size`` bytes (found at file ``offset``); ``b""`` only at end of file."""
        if self._eof:
            return b""
        try:
            data = self._file.read(size)
        except OSError as exc:
            raise CaptureFileError(self.path, offset, f"read error: {exc}") from exc
        if data is None:
            # A non-blocking stream with nothing ready: streams are read as
            # blocking ones, so this is taken as the end.
            data = b""
        if not isinstance(data, (bytes, bytearray)):
            raise UsageError("capture files must be opened in binary mode ('rb')")
        if not data:
            self._eof = True
        return bytes(data)

    def refill(self, buf: bytes, pos: int, need: int) -> tuple[bytes, int]:
        """Return a new buffer starting at old ``buf[pos]`` holding at least ``need`` bytes.

        Fewer bytes are returned only at end of file.  The new position is
        always 0, and :attr:`base` moves forward by ``pos``.
        """
        self.base += pos
        rest = buf[pos:]
        pieces = [rest]
        have = len(rest)
        # Always read at least one full chunk so refills stay rare.
        want = max(need - have, 1)
        while want > 0:
            size = CHUNK_SIZE if want <= CHUNK_SIZE else min(want, CHUNK_SIZE * 16)
            chunk = self._read(size, self.base + have)
            if not chunk:
                break
            pieces.append(chunk)
            have += len(chunk)
            want = need - have
        if len(pieces) == 1:
            new = rest
        elif len(pieces) == 2 and not rest:
            new = pieces[1]  # avoid copying a fresh chunk
        else:
            new = b"".join(pieces)
        self.buf = new
        self.pos = 0
        return new, 0

    def ensure(self, need: int) -> int:
        """Make at least ``need`` unconsumed bytes available in :attr:`buf`; return how many are."""
        avail = len(self.buf) - self.pos
        if avail < need:
            self.refill(self.buf, self.pos, need)
            avail = len(self.buf)
        return avail

    def offset(self, pos: int) -> int:
        """File offset of ``buf[pos]``."""
        return self.base + pos

    def close(self) -> None:
        """Close the file if this object opened it; drop the buffer."""
        self.buf = b""
        self.pos = 0
        if self._owned:
            self._owned = False
            try:
                self._file.close()
            except OSError:
                pass
