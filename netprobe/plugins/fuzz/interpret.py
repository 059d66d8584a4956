"""The records of a fuzz run, computed from its tagged results alone (pure).

The live command and ``netprobe interpret RUN.pcapng`` both call
:func:`report` (the live one through :class:`Reporter`, fed as results
come), so a saved run prints the same JSON Lines again, byte for byte.
Records, in order (``type`` first):

* ``start``: target, seed, first_case, count, fields, strategies, monitors,
  monitor_every, keep_invalid (``replay`` instead for a replay: file, target,
  cases, monitors);
* ``check``: one per monitor round: phase (start, run, restart, bisect,
  before, after), alive, after_case, step, restart (how a restart went) and
  per monitor: monitor, alive, answer (summary), rtt_ms;
* ``failure``: first_case, last_case: the target stopped answering after these;
* ``bisect``: step, cases, dead: one minimisation test;
* ``crash``: seed, cases, window, reproduced, minimal, steps, mutations,
  file, pcapng (and restart_failed / restarted);
* ``summary``: seed, first_case, cases, answered, checks, failures, stopped
  (count, max-time, dead, interrupted), next_case, elapsed_s (the whole run),
  fuzzing_s (until the target died: minimisation left out), cases_per_s (over fuzzing_s);
  for a replay ``replay_result``: cases, died.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from netprobe.engine.results import Result, Tag
from netprobe.engine.runfile import SavedRun
from netprobe.plugins.fuzz.monitor import Monitor, parse_monitor

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord, JSONValue
    from netprobe.services.output import Output

_UNTAGGED = Tag("")


def _kind(tag: Tag) -> str:
    """``case`` or ``check``: the tag's phase (runs saved before tags were typed: ``k``)."""
    return tag.phase or str(tag.get("k", ""))


def _round(result: Result) -> JSONValue:
    return (result.tag or _UNTAGGED).get("round")


class Reporter:
    """Turns the run's results, fed in order, into records."""

    def __init__(self, options: JSONRecord) -> None:
        self.options = options
        self.monitors: dict[str, Monitor] = {}
        self.pending: list[Result] = []
        self.last_good = int(options.get("start", 0)) - 1
        self.cases = 0
        self.answered = 0
        self.rounds = 0
        self.failures = 0
        self.step_cases: dict[int, list[int]] = {}
        self.replayed: list[int] = []

    # -- records --------------------------------------------------------------------------------
    def start(self) -> list[JSONRecord]:
        """The first record: what the run is."""
        o = self.options
        if o.get("mode") == "replay":
            return [{"type": "replay", "file": o.get("file"), "target": o.get("target"),
                     "cases": o.get("cases", []), "monitors": o.get("monitors", [])}]
        return [{"type": "start", "target": o.get("target"), "seed": o.get("seed"),
                 "first_case": o.get("start", 0), "count": o.get("count"),
                 "fields": o.get("fields", []), "strategies": o.get("strategies", []),
                 "monitors": o.get("monitors", []), "monitor_every": o.get("monitor_every"),
                 "keep_invalid": bool(o.get("keep_invalid"))}]

    def feed(self, results: Iterable[Result]) -> list[JSONRecord]:
        """Records that the next results complete (a check round ends at its last probe)."""
        out: list[JSONRecord] = []
        for r in results:
            tag = r.tag or _UNTAGGED
            kind = _kind(tag)
            if kind == "check":
                if self.pending and _round(self.pending[0]) != tag.get("round"):
                    out += self.flush()
                self.pending.append(r)
                continue
            out += self.flush()
            if kind != "case" or not r.sends:
                continue
            phase = tag.get("ph")
            if phase == "run":
                self.cases += 1
                self.answered += r.answered
            elif phase == "bisect":
                self.step_cases.setdefault(int(tag.get("step", 0)), []).append(tag["case"])
            elif phase == "replay":
                self.replayed.append(tag["case"])
        return out

    def flush(self) -> list[JSONRecord]:
        """The record of the check round fed so far (and what it implies)."""
        if not self.pending:
            return []
        results, self.pending = self.pending, []
        self.rounds += 1
        tag = results[0].tag or _UNTAGGED
        phase = tag.get("ph")
        per = []
        for r in results:
            spec = (r.tag or _UNTAGGED).get("mon", "")
            monitor = self.monitors.get(spec)
            if monitor is None:
                monitor = self.monitors[spec] = parse_monitor(spec)
            rtt = r.rtt
            answer = r.answer
            per.append({"monitor": spec, "alive": monitor.alive(r),
                        "answer": None if answer is None else answer.brief(),
                        "rtt_ms": None if rtt is None else round(rtt * 1000, 3)})
        alive = all(m["alive"] for m in per)
        rec: JSONRecord = {"type": "check", "phase": phase, "alive": alive}
        if "after" in tag:
            rec["after_case"] = tag["after"]
        if "step" in tag:
            rec["step"] = tag["step"]
        if tag.get("restart"):
            rec["restart"] = tag["restart"]
        rec["monitors"] = per
        out = [rec]
        if phase in ("start", "run") and alive:
            self.last_good = tag.get("after", self.last_good)
        elif phase == "run":
            self.failures += 1
            out.append({"type": "failure", "first_case": self.last_good + 1,
                        "last_case": tag.get("after")})
        elif phase == "bisect":
            step = int(tag.get("step", 0))
            out.append({"type": "bisect", "step": step,
                        "cases": self.step_cases.get(step, []), "dead": not alive})
        return out

    def finish(self, counters: JSONRecord, extra: JSONRecord) -> list[JSONRecord]:
        """The last records: the crash found (if any) and the summary."""
        out = self.flush()
        if self.options.get("mode") == "replay":
            out.append({"type": "replay_result", "cases": self.replayed,
                        "died": bool(extra.get("died"))})
            return out
        crash = extra.get("crash")
        if crash:
            out.append({"type": "crash", **crash})
        elapsed = float(counters.get("elapsed") or 0.0)
        fuzzing = float(counters.get("fuzzing") or elapsed)
        out.append({"type": "summary", "seed": self.options.get("seed"),
                    "first_case": self.options.get("start", 0), "cases": self.cases,
                    "answered": self.answered, "checks": self.rounds,
                    "failures": self.failures, "stopped": extra.get("stopped"),
                    "next_case": extra.get("next_case"), "elapsed_s": round(elapsed, 3),
                    "fuzzing_s": round(fuzzing, 3),
                    "cases_per_s": round(self.cases / fuzzing, 1) if fuzzing > 0 else None})
        return out


def report(saved: SavedRun, overrides: JSONRecord | None = None) -> Iterator[JSONRecord]:
    """The JSON records of a saved fuzz run, as the live run printed them.

    ``overrides`` replace interpretation options of the saved run (none
    change the records today; they are accepted for ``netprobe interpret``).
    """
    options = {**saved.options, **(overrides or {})}
    reporter = Reporter(options)
    yield from reporter.start()
    yield from reporter.feed(saved.results)
    yield from reporter.finish(saved.counters, saved.extra)


def render(records: Iterable[JSONRecord], output: Output) -> None:
    """Print records for a person, as the live run printed them on a terminal."""
    from netprobe.plugins.fuzz.render import record_line

    for rec in records:
        line = record_line(rec)
        if line is not None:
            output.line(line)
