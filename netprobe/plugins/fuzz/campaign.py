"""The fuzz run itself: cases out in batches, monitor checks between them, and when the
target stops answering, minimisation and the crash file. Also ``--replay``.

Every probe and answer of the run is kept in ``Runner.log`` as an engine
``Result`` tagged (``Result.tag``) with what it was:

* a case: phase ``case``, details ``{"case": 17, "ph": "run"}`` (``ph``: run,
  bisect or replay; ``step`` for bisect);
* a monitor probe: phase ``check``, details ``{"round": 4, "ph": "run", "after": 19,
  "mon": "udp:9999"}`` (``ph``: start, run, restart, bisect, before, after;
  ``restart`` holds how a restart went, on the checks that wait for it).

The records a run prints are computed from that log alone (``interpret.py``),
live and from a saved run alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netprobe.engine.results import Result, Tag
from netprobe.errors import RuntimeProblem
from netprobe.plugins.fuzz.cases import Case, CaseMaker
from netprobe.plugins.fuzz.crashfile import CrashFile, write_crash
from netprobe.plugins.fuzz.link import Link
from netprobe.plugins.fuzz.minimise import minimise
from netprobe.plugins.fuzz.monitor import Monitor
from netprobe.plugins.fuzz.restart import Restarter, RestartOutcome

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord, JSONValue

#: cases per engine turn when no monitor asks for checks in between
BATCH = 64


@dataclass
class Settings:
    """How a run sends and checks (from the command line)."""

    monitors: list[Monitor]
    monitor_every: int = 10
    timeout: float = 0.2
    monitor_timeout: float = 1.0
    monitor_retry: int = 2
    max_time: float | None = None
    max_bisect: int = 32
    restart_command: list[str] | None = None
    restart_wait: float = 10.0
    out_dir: str = "netprobe-fuzz"


@dataclass
class Outcome:
    """How a run ended."""

    stopped: str                 # count, max-time, dead, interrupted
    next_case: int               # where a later run could go on (--start)
    crash: JSONRecord | None = None


def _tag(phase: str, details: JSONRecord, **optional: JSONValue) -> Tag:
    """A probe's tag: ``details``, then each of ``optional`` that is not None."""
    details.update((k, v) for k, v in optional.items() if v is not None)
    return Tag(phase, details)


class Runner:
    """Sends cases and monitor probes through a :class:`Link`, keeping a tagged log."""

    def __init__(self, link: Link, dst: str, settings: Settings,
                 emit: Callable[[list[Result], bool], None] | None = None,
                 progress: Callable[[int, int, float], None] | None = None) -> None:
        self.link = link
        self.dst = dst
        self.settings = settings
        self.emit = emit
        self.progress = progress
        self.log: list[Result] = []
        self.rounds = 0
        self.cases_sent = 0
        self.failures = 0
        #: the next case a campaign would send (where ``--start`` can go on)
        self.position = 0
        #: seconds spent sending cases and checking, minimisation left out
        self.fuzzing: float | None = None
        self.started = time.monotonic()

    # -- the two kinds of turns -----------------------------------------------------------------
    def check(self, phase: str, *, after: int | None = None, step: int | None = None,
              restart: JSONRecord | None = None, quick: bool = False) -> bool:
        """One monitor round: every monitor's probe; True when every one is answered."""
        s = self.settings
        number = self.rounds
        self.rounds += 1
        probes = [self.link.frame(m.probe(self.dst, number)) for m in s.monitors]
        tags = [_tag("check", {"round": number, "ph": phase, "mon": m.spec}, after=after,
                     step=step, restart=restart) for m in s.monitors]
        results = self.link.exchange(probes, tags, timeout=s.monitor_timeout,
                                     retry=0 if quick else s.monitor_retry)
        self._logged(results, True)
        return all(m.alive(r) for m, r in zip(s.monitors, results))

    def send(self, cases: Sequence[Case], phase: str, *, step: int | None = None,
             max_time: float | None = None) -> list[Result]:
        """Send ``cases`` (one engine turn) and log them."""
        tags = [_tag("case", {"case": c.number, "ph": phase}, step=step) for c in cases]
        results = self.link.exchange([c.data for c in cases], tags,
                                     timeout=self.settings.timeout, max_time=max_time)
        self._logged(results, False)
        if phase == "run":
            self.cases_sent += sum(1 for r in results if r.sends)
        return results

    def _logged(self, results: list[Result], round_done: bool) -> None:
        self.log.extend(results)
        if self.emit is not None:
            self.emit(results, round_done)

    def restart(self, step: int | None) -> RestartOutcome:
        """Restart the target and wait for it; how it was done goes into the checks' tags."""
        note: JSONRecord = {}

        def alive() -> bool:
            return self.check("restart", step=step, restart=note, quick=True)

        s = self.settings
        return Restarter(s.restart_command, s.restart_wait, alive).restart(note)

    # -- a campaign -----------------------------------------------------------------------------
    def fuzz(self, maker: CaseMaker, start: int, count: int,
             describe: Callable[[], JSONRecord]) -> Outcome:
        """Send cases ``start .. start+count-1``, checking the target every few cases.

        When a check fails, the cases since the last good check are minimised
        and written as a crash file; the run stops there. ``describe()`` gives
        the run's description for the crash file.
        """
        s = self.settings
        if s.monitors and not self.check("start"):
            raise RuntimeProblem(f"the target {self.dst} does not answer "
                                 f"{', '.join(m.spec for m in s.monitors)} before fuzzing; "
                                 "check the monitor or bring the target up first")
        end = start + count
        number = start
        window: list[Case] = []
        stopped = "count"
        deadline = None if s.max_time is None else self.started + s.max_time
        per_turn = s.monitor_every if s.monitors else BATCH
        self.position = start
        while number < end:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                stopped = "max-time"
                break
            cases = [maker.case(i) for i in range(number, min(end, number + per_turn))]
            results = self.send(cases, "run",
                                max_time=None if deadline is None else deadline - now)
            went = [c for c, r in zip(cases, results) if r.sends]
            window += went
            number += len(went)
            self.position = number
            self._progress()
            if len(went) < len(cases):
                stopped = "max-time"
            if s.monitors and went:
                if self.check("run", after=went[-1].number):
                    window = []
                else:
                    self.failures += 1
                    stopped = "dead"
                    break
            if stopped == "max-time":
                break
        self.fuzzing = self.elapsed
        crash = None
        if stopped == "dead":
            close = getattr(self.progress, "close", None)
            if close is not None:  # a restart may prompt on the terminal the bar is on
                close()
            crash = self._minimise(window, maker.seed, describe)
        return Outcome(stopped, number, crash)

    @property
    def elapsed(self) -> float:
        """Seconds since the runner started."""
        return time.monotonic() - self.started

    def _progress(self) -> None:
        if self.progress is not None:
            self.progress(self.cases_sent, self.failures, self.elapsed)

    def _minimise(self, window: list[Case], seed: int,
                  describe: Callable[[], JSONRecord]) -> JSONRecord:
        s = self.settings
        by_number = {c.number: c for c in window}
        steps = {"n": 0}
        restart_every_time = s.restart_command is not None
        state = {"alive": False}
        failed: list[JSONRecord] = []

        def kills(subset: list[int]) -> bool | None:
            steps["n"] += 1
            step = steps["n"]
            if restart_every_time or not state["alive"]:
                outcome = self.restart(step)
                if not outcome.back:
                    failed.append(outcome.to_dict())
                    return None
            self.send([by_number[n] for n in subset], "bisect", step=step)
            state["alive"] = self.check("bisect", after=subset[-1], step=step)
            return not state["alive"]

        found = minimise([c.number for c in window], kills, s.max_bisect)
        final = None
        if s.restart_command is not None and not state["alive"]:
            outcome = self.restart(None)
            final = outcome.to_dict()
        how: JSONRecord = {"window": [window[0].number, window[-1].number],
                           "reproduced": found.reproduced, "minimal": found.minimal,
                           "steps": found.steps}
        doc = describe()
        doc.update(how, cases=[by_number[n].to_dict(seed) for n in found.cases])
        linktype = 1 if doc.get("layer2") else 101
        json_path, pcap_path = write_crash(s.out_dir, doc, [by_number[n].data
                                                            for n in found.cases], linktype)
        crash: JSONRecord = {
            "seed": seed, "cases": found.cases, **how,
            "mutations": [by_number[n].mutations for n in found.cases],
            "file": json_path, "pcapng": pcap_path}
        if failed:
            crash["restart_failed"] = failed[-1]
        if final is not None:
            crash["restarted"] = final
        return crash

    # -- a replay -------------------------------------------------------------------------------
    def replay(self, crash: CrashFile) -> JSONRecord:
        """Send a crash file's cases again; say whether the target died."""
        s = self.settings
        before = self.check("before")
        if not before and s.restart_command is not None:
            before = self.restart(None).back
        if not before:
            raise RuntimeProblem(f"the target {self.dst} does not answer "
                                 f"{', '.join(m.spec for m in s.monitors)} before the replay; "
                                 "bring it up first (or give --restart-cmd)")
        cases = [Case(number, data, ()) for number, data in crash.cases]
        self.send(cases, "replay")
        died = not self.check("after", after=cases[-1].number)
        result: JSONRecord = {"died": died}
        if died and s.restart_command is not None:
            result["restarted"] = self.restart(None).to_dict()
        return result
