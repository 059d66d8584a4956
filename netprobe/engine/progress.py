"""netprobe's one progress bar (:class:`DelayedBar`), and the bar of a send-and-match run.

Shown on stderr, only when stderr is a terminal and the work has lasted a
second; rich is imported only then, so short runs and pipes pay nothing. The
services floor's ``Output.progress`` and the plugins' bars (a scan's, a fuzz
campaign's) are this bar with their own counts.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from netprobe.engine.results import Counters

#: seconds a run must last before a bar appears
DELAY = 1.0


class DelayedBar:
    """A rich bar on stderr that shows only on a terminal, once the work has lasted
    ``delay`` seconds (:data:`DELAY`): ``update(completed, **fields)`` or
    ``advance(amount)`` as work goes, ``close()`` at the end.

    ``text`` is the rich column template after the bar, naming ``fields``
    (``"{task.fields[sent]} sent"``); they start at 0. Without ``text`` the bar
    shows rich's usual columns (percentage, time left). ``enabled`` (default:
    ``stream`` is a terminal and ``TERM`` is not ``dumb``) and ``clock`` are there
    for callers that decide themselves, and for tests. ``redirect_stderr`` sends
    what others write to ``sys.stderr`` through the bar's console, above the bar.
    """

    def __init__(self, total: int | None, description: str, text: str = "",
                 fields: tuple[str, ...] = (), stream: Any = None, *,
                 enabled: bool | None = None, delay: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 redirect_stderr: bool = False) -> None:
        self.total = total
        self.description = description
        self.text = text
        self.fields = fields
        self.stream = stream or sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
        self.enabled = enabled
        self.delay = DELAY if delay is None else delay
        self.completed = 0
        self._clock = clock
        self._redirect_stderr = redirect_stderr
        self.started = clock()
        self._bar: Any = None
        self._task: Any = None

    def update(self, completed: int, **fields: Any) -> None:
        """Show progress (nothing before the delay, or off a terminal)."""
        self.completed = completed
        if not self.enabled:
            return
        if self._bar is None:
            if self._clock() - self.started < self.delay:
                return
            self._show()
        self._bar.update(self._task, completed=completed, **fields)

    def advance(self, amount: int = 1) -> None:
        """Record ``amount`` more units of work done."""
        self.update(self.completed + amount)

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = ((TextColumn("{task.description}"), BarColumn(), TextColumn(self.text),
                    TimeRemainingColumn()) if self.text else Progress.get_default_columns())
        # transient: the bar goes at the end and leaves only results; redirect_stdout
        # off: results stay on stdout, never drawn through this (stderr) console
        self._bar = Progress(*columns, console=Console(file=self.stream), transient=True,
                             redirect_stdout=False, redirect_stderr=self._redirect_stderr)
        self._bar.start()
        self._task = self._bar.add_task(self.description, total=self.total,
                                        completed=self.completed,
                                        **dict.fromkeys(self.fields, 0))

    @property
    def visible(self) -> bool:
        """Whether the bar is drawn now."""
        return self._bar is not None

    @property
    def console(self) -> Console | None:
        """The console the bar is drawn on, while it is drawn."""
        return self._bar.console if self._bar is not None else None

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
