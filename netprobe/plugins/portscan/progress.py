"""One progress bar for a whole scan: discovery, every engine run and pass, connects.

The engine's bar (``RunProgress``) shows one run; a scan is many (passes,
families, phases). This keeps the scan's running totals and hands the bar
counters that add them up, so that it counts first sends against the
scan's planned (host, port) pairs and shows resends as retries.
"""

from __future__ import annotations

import time

from netprobe.engine.progress import RunProgress
from netprobe.engine.results import Counters


class ScanProgress:
    """Call ``start_run()`` before each engine run, then pass it as ``on_progress``."""

    def __init__(self, total: int | None, description: str = "scanning") -> None:
        self.bar = RunProgress(total, description)
        self.started = time.monotonic()
        self._sent = 0
        self._retries = 0
        self._matched = 0
        self._run = Counters()
        self._resend = False
        self._view = Counters()

    def start_run(self, resend: bool = False) -> None:
        """A new engine run begins (``resend``: it sends probes again)."""
        self._fold()
        self._run = Counters()
        self._resend = resend

    def _fold(self) -> None:
        c = self._run
        self._sent += c.sent
        self._retries += c.sent if self._resend else c.retries
        self._matched += c.matched

    def __call__(self, c: Counters) -> None:
        self._run = c
        self._show(self._sent + c.sent,
                   self._retries + (c.sent if self._resend else c.retries),
                   self._matched + c.matched)

    def counters(self) -> Counters:
        """The engine counters object for runs that take one (discovery, UDP)."""
        self.start_run()
        return self._run

    def connect(self, first_done: int, attempts: int, answered: int) -> None:
        """Progress of a connect scan (attempts so far, of which first tries)."""
        self._show(attempts, attempts - first_done, answered)

    def _show(self, sent: int, retries: int, matched: int) -> None:
        v = self._view
        v.sent, v.retries, v.matched = sent, retries, matched
        v.elapsed = time.monotonic() - self.started
        self.bar(v)

    def close(self) -> None:
        """Remove the bar."""
        self.bar.close()
