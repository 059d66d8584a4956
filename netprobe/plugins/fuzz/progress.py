"""The fuzz progress bar: cases sent, cases per second, failures, time left.

On stderr, only when stderr is a terminal and the run has lasted a second;
rich is imported only then.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

#: seconds a run must last before the bar appears
DELAY = 1.0


class FuzzProgress:
    """Called with (cases sent, failures, seconds elapsed); ``close()`` at the end."""

    def __init__(self, total: int, stream: Any = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, cases: int, failures: int, elapsed: float) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.started < DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("fuzzing"), BarColumn(),
                TextColumn("{task.completed}/{task.total} cases, {task.fields[rate]} cases/s, "
                           "{task.fields[failures]} failures"),
                TimeRemainingColumn(), console=Console(file=self.stream), transient=True,
                redirect_stdout=False, redirect_stderr=False)
            self._bar.start()
            self._task = self._bar.add_task("fuzz", total=self.total, rate=0, failures=0)
        rate = int(cases / elapsed) if elapsed > 0 else 0
        self._bar.update(self._task, completed=cases, rate=rate, failures=failures)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
