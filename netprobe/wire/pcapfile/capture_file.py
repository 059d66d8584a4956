"""What every capture reader and writer is: a file used in a ``with`` block."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class CaptureFile:
    """Base of :class:`CaptureReader` and :class:`CaptureWriter` (and of the library's
    ``PcapReader`` and ``PcapWriter``).

    A ``with`` block that ends normally calls :meth:`close`; one that raises
    calls :meth:`abort`, which a writer overrides to discard its file (a
    reader has nothing to discard, so for it both are the same).
    """

    def close(self) -> None:
        """Finish with the file."""
        raise NotImplementedError

    def abort(self) -> None:
        """Give up on the file (by default the same as :meth:`close`)."""
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
