"""What a scan has found so far, kept so that Ctrl-C or ``--max-time`` can still report it.

Results come in as they settle: answered probes are final; silent ones are
final only once the scan stops resending them. When a scan is interrupted
halfway through a resend pass, the probes of that pass still silent are
reported as they stood after the previous pass (sent that many times, no
answer), and probes never sent are not reported at all.
"""

from __future__ import annotations

from collections.abc import Hashable

from netprobe.engine.results import Counters, Result

#: a scan's counters as a saved run keeps them (``Totals.to_dict``): numbers by name,
#: ``rate`` None when no time passed
SavedCounters = dict[str, int | float | None]


class PhaseInterrupted(KeyboardInterrupt):
    """Ctrl-C during discovery or the UDP scan; ``results`` holds what came back so far."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__("interrupted")
        self.results = results


class Totals:
    """The counters of every engine run and connect phase of one scan, added up."""

    def __init__(self) -> None:
        self.sent = self.retries = self.received = self.matched = self.late = 0
        self.duplicates = self.refused = self.capture_dropped = 0
        self.passes = self.backoffs = 0

    def add(self, c: Counters, resend: bool = False) -> None:
        """Add the counters of one finished engine run (``resend``: all its sends resend)."""
        for name in _FROM_COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(c, name))
        self.retries += c.sent if resend else c.retries

    def to_dict(self, elapsed: float) -> SavedCounters:
        """JSON form, with the scan's duration and average send rate."""
        d = dict(self.__dict__)
        d["elapsed"] = round(elapsed, 6)
        d["rate"] = round(self.sent / elapsed, 1) if elapsed > 0 else None
        return d


#: the totals that are sums of the engine runs' counters of the same name
_FROM_COUNTERS = ("sent", "received", "matched", "late", "duplicates", "refused",
                  "capture_dropped")


class Collector:
    """Results of a scan as they settle; ``results()`` gives what is known now.

    Each scan group (an ``owner``: one family and route, or the connect scan's phase
    name) keeps its silent probes here after each pass, by a key of its own (a raw
    scan's packed address and port, a connect scan's (host, port)), so that an
    interrupted scan still reports them.
    """

    def __init__(self) -> None:
        #: final results: answered probes, and silent ones of finished groups
        self.settled: list[Result] = []
        #: per group, its silent probes after its last complete pass, by key
        self.pending: dict[Hashable, dict[Hashable, Result]] = {}
        #: results of other phases (discovery, UDP) as their modules return them
        self.other: list[Result] = []
        self.totals = Totals()

    def answer(self, owner: Hashable, key: Hashable, result: Result) -> None:
        """A probe got its answer (final)."""
        silent = self.pending.get(owner)
        if silent:
            silent.pop(key, None)
        self.settled.append(result)

    def pass_done(self, owner: Hashable, silent: dict[Hashable, Result]) -> None:
        """A group's pass ended: these probes are still silent."""
        self.pending[owner] = silent

    def group_done(self, owner: Hashable) -> None:
        """A group ended: its silent probes are final."""
        self.settled.extend(self.pending.pop(owner, {}).values())

    def clear(self) -> None:
        """Forget every result (the counters stay): once they have been interpreted."""
        self.settled = []
        self.pending = {}
        self.other = []

    def results(self) -> list[Result]:
        """Everything known: other phases, settled probes, silent probes."""
        pending = [r for silent in self.pending.values() for r in silent.values()]
        return [*self.other, *self.settled, *pending]
