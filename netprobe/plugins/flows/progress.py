"""A progress bar in bytes: read of total, rate, time left.

Shown on stderr only when stderr is a terminal (and ``TERM`` is not
``dumb``), and only once the work has lasted ``PROGRESS_DELAY`` seconds, so
quick runs never flash one; it disappears when the work ends.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import IO, Any

from netprobe.output import PROGRESS_DELAY


class ByteProgress:
    """``with ByteProgress(total, "reading") as bar: bar.advance(nbytes)``."""

    def __init__(self, total: int, description: str, stream: IO[str] | None = None,
                 delay: float = PROGRESS_DELAY) -> None:
        self.total = total
        self.description = description
        self.completed = 0
        self._stream = stream if stream is not None else sys.stderr
        self._delay = delay
        self._started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._enabled = _isatty(self._stream) and os.environ.get("TERM") != "dumb"

    def advance(self, amount: int) -> None:
        """Count ``amount`` more bytes done."""
        self.completed += amount
        if self._bar is not None:
            self._bar.update(self._task, completed=self.completed)
        elif self._enabled and time.monotonic() - self._started >= self._delay:
            self._show()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(),
            console=Console(file=self._stream), transient=True, redirect_stdout=False,
            redirect_stderr=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.description, total=self.total or None,
                                         completed=self.completed)

    def close(self) -> None:
        """Remove the bar, if one was drawn."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> ByteProgress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
