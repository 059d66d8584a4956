"""The fuzz progress bar: cases sent, cases per second, failures, time left.

On stderr, only when stderr is a terminal and the run has lasted a second;
rich is imported only then.
"""

from __future__ import annotations

from typing import IO

from netprobe.engine.progress import DelayedBar


class FuzzProgress(DelayedBar):
    """Called with (cases sent, failures, seconds elapsed); ``close()`` at the end."""

    def __init__(self, total: int, stream: IO[str] | None = None) -> None:
        super().__init__(total, "fuzzing",
                         "{task.completed}/{task.total} cases, {task.fields[rate]} cases/s, "
                         "{task.fields[failures]} failures", ("rate", "failures"), stream)

    def __call__(self, cases: int, failures: int, elapsed: float) -> None:
        if not self.enabled:
            return
        rate = int(cases / elapsed) if elapsed > 0 else 0
        self.update(cases, rate=rate, failures=failures)
