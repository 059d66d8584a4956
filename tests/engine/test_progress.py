"""Progress bars: shown on a terminal after the delay, never on a pipe."""

from __future__ import annotations

import io

import pytest

from netprobe.engine import progress
from netprobe.engine.progress import RunProgress
from netprobe.engine.results import Counters
from netprobe.plugins.fuzz.progress import FuzzProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setenv("TERM", "xterm")


def test_run_progress_shows_counts_on_a_terminal() -> None:
    out = Terminal()
    bar = RunProgress(100, "probing", stream=out)
    bar(Counters(sent=40, retries=0, matched=25, elapsed=2.0))
    bar.close()
    assert "40 sent, 25 answered, 20 pkt/s" in out.getvalue()


def test_fuzz_progress_shows_cases_and_failures() -> None:
    out = Terminal()
    bar = FuzzProgress(500, stream=out)
    bar(100, 1, 4.0)
    bar.close()
    assert "100/500 cases, 25 cases/s, 1 failures" in out.getvalue()


def test_nothing_on_a_pipe() -> None:
    out = io.StringIO()
    bar = RunProgress(100, stream=out)
    bar(Counters(sent=40, matched=25, elapsed=2.0))
    bar.close()
    assert out.getvalue() == ""
