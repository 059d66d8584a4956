"""Running a trace: the planned waves go through the engine's send-and-match loop.

One engine session (raw socket and capture) serves every wave, so a wave
costs its own round trips and nothing more. Each wave's probes go out at
once, whatever their TTL; the loop matches ICMP errors to the probe they
quote through the layers' ``hashkey``/``answers`` and retries the
unanswered. Every result is tagged (``Result.tag``) with the probe's role (the
tag's phase), TTL, flow, round and planned order, which ``--save`` keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from netprobe.engine.loop import RunOptions, SendReceiveLoop
from netprobe.engine.probes import prepare
from netprobe.engine.results import Counters, Result, Tag
from netprobe.plugins.traceroute.hops import Outcome
from netprobe.plugins.traceroute.interpret import outcome
from netprobe.plugins.traceroute.plan import (
    MAX_WAVES,
    TraceOptions,
    Wanted,
    next_wave,
    pause_before,
    round_wave,
    wave_wait,
)
from netprobe.plugins.traceroute.probes import ProbeMaker, ident_of


class TraceRun:
    """What a trace produced: tagged ``results``, their ``outcomes``, the engine's
    ``counters`` and how many ``waves`` were sent, under ``options``."""

    __slots__ = ("counters", "options", "outcomes", "results", "waves")

    def __init__(self, options: TraceOptions) -> None:
        self.options = options
        self.results: list[Result] = []
        self.outcomes: list[Outcome] = []
        self.counters = Counters()
        self.waves = 0


class Tracer:
    """Sends the waves of one trace through ``sender`` and ``capture`` (an engine session).

    ``on_round(run, done)`` is called each time a round is complete (``done``
    rounds so far: 1 once round 0's waves are over), for a live display.
    """

    def __init__(self, options: TraceOptions, maker: ProbeMaker, sender: object, capture: object,
                 *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 on_round: Callable[[TraceRun, int], None] | None = None) -> None:
        self.options = options
        self.on_round = on_round
        self.maker = maker
        self.sender = sender
        self.capture = capture
        self.sleep = sleep
        self.clock = clock
        self.run = TraceRun(options)
        self._n = 0

    def wave(self, wanted: list[Wanted], wait: float, retries: int) -> None:
        """Send ``wanted`` at once and collect every result (answered or not)."""
        planned: dict[bytes, tuple[Wanted, int]] = {}
        datas = []
        for w in wanted:
            data = self.maker.build(w.ttl, w.flow, ident_of(self._n))
            planned[data] = (w, self._n)
            datas.append(data)
            self._n += 1
        run = self.run
        loop = SendReceiveLoop(self.sender, self.capture,
                               RunOptions(timeout=wait, retries=retries), run.counters)
        for r in loop.run(prepare(datas)):
            w, n = planned[r.probe_bytes]
            r.tag = Tag(w.role, {"ttl": w.ttl, "flow": w.flow, "round": w.round, "n": n,
                                 "wave": run.waves, "paced": w.paced})
            run.results.append(r)
            run.outcomes.append(outcome(r))
        run.waves += 1

    def trace(self) -> TraceRun:
        """Every wave of the trace, then the extra rounds; counters cover them all."""
        opts = self.options
        # the answers' layers, imported here: a dissection that met them unknown would
        # import every layer family (45 ms of a small trace's start)
        if opts.family == 6:
            from netprobe.packet.layers import icmpv6  # noqa: F401
        else:
            from netprobe.packet.layers import icmp  # noqa: F401
        run = self.run
        start = self.clock()
        for _ in range(MAX_WAVES):
            wanted = next_wave(opts, run.outcomes)
            if not wanted:
                break
            pause = pause_before(opts, run.outcomes, wanted)
            if pause:
                self.sleep(pause)
            distance = wanted[0].role == "distance"
            # the distance probe is no hop's sample: it may be retried even over rounds
            self.wave(wanted, wave_wait(opts, run.outcomes, distance),
                      opts.retries if distance else opts.engine_retries)
        self._round_done(1)
        for round_ in range(1, opts.rounds):
            if opts.interval:
                self.sleep(opts.interval)
            self.wave(round_wave(opts, run.outcomes, round_), wave_wait(opts, run.outcomes), 0)
            self._round_done(round_ + 1)
        # the loop counts each wave's own time; the trace's is from first wave to last
        run.counters.elapsed = self.clock() - start
        return run

    def _round_done(self, done: int) -> None:
        if self.on_round is not None:
            self.on_round(self.run, done)
