"""The progress bar of a send-and-match run: sent and answered counts, rate, ETA.

Shown on stderr, only when stderr is a terminal and the run has lasted a
second; rich is imported only then, so short runs and pipes pay nothing.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from netprobe.engine.results import Counters

#: seconds a run must last before a bar appears
DELAY = 1.0


class DelayedBar:
    """A rich bar on stderr that shows only on a terminal, once the work has lasted
    :data:`DELAY` seconds: ``update(completed, **fields)`` as work goes, ``close()``.

    ``text`` is the rich column template after the bar, naming ``fields``
    (``"{task.fields[sent]} sent"``); they start at 0.
    """

    def __init__(self, total: int | None, description: str, text: str, fields: tuple[str, ...],
                 stream: Any = None) -> None:
        self.total = total
        self.description = description
        self.text = text
        self.fields = fields
        self.stream = stream or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
        self.started = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def update(self, completed: int, **fields: Any) -> None:
        """Show progress (nothing before the delay, or off a terminal)."""
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.started < DELAY:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn(self.text),
                TimeRemainingColumn(), console=Console(file=self.stream), transient=True,
                redirect_stdout=False, redirect_stderr=False)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total,
                                            **dict.fromkeys(self.fields, 0))
        self._bar.update(self._task, completed=completed, **fields)

    def close(self) -> None:
        """Remove the bar (the results stay)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


class RunProgress(DelayedBar):
    """Called with the run's counters (``on_progress``); ``close()`` at the end."""

    def __init__(self, total: int | None, description: str = "probing",
                 stream: Any = None) -> None:
        super().__init__(total, description,
                         "{task.fields[sent]} sent, {task.fields[answered]} answered, "
                         "{task.fields[rate]} pkt/s", ("sent", "answered", "rate"), stream)

    def __call__(self, c: Counters) -> None:
        if not self.enabled:
            return
        rate = int(c.sent / c.elapsed) if c.elapsed else 0
        self.update(c.sent - c.retries, sent=c.sent, answered=c.matched, rate=rate)
