"""Congestion control for the engine's ``rate_control`` hook: back off on loss, grow while
answers keep up.

The probes go out in a random permutation of (host, port), so the share of
probes that get an answer is the same, on average, in every stretch of the
scan. A stretch answered well below the run's share so far means answers
are being lost *now* (a queue overflowing somewhere), not that the ports are
different. Random loss on a bad link lowers every stretch alike and so does
not slow the scan: resending takes care of it.

Answers trail their probes by the round trip plus the capture's delivery
delay (packets reach the engine in blocks, up to 20 ms late), so the answers
counted in a window are compared with the probes sent one ``lag`` earlier,
and over windows of ``WINDOW`` seconds, long enough for that delay to blur.

The engine calls the controller about every 50 ms with its counters; a
number returned becomes the send rate, None keeps the current one.
"""

from __future__ import annotations

import bisect

from netprobe.engine.results import Counters

#: seconds of answers a decision looks at
WINDOW = 0.2
#: a window needs this many probes sent before its answer share means anything
MIN_WINDOW = 300
#: a window answered below this fraction of the run's share is congestion
CONGESTED = 0.7
#: multiplicative decrease on congestion
BACKOFF = 0.6
#: the rate handed to the engine for "unpaced" (its hook cannot set None back)
UNPACED = 1e7


class RateController:
    """AIMD-like control of the send rate from the engine's counters.

    ``rate`` None means "unpaced" (as fast as the machine sends); ``max_rate``
    caps it, ``min_rate`` floors it, and ``growth`` multiplies it every call
    without congestion. Once the rate passes twice what the sender actually
    achieves, the controller lets it go unpaced until congestion shows.
    ``lag`` (seconds) is how far answers trail probes; the scan updates it
    from its round-trip estimate.
    """

    def __init__(self, start: float | None, *, growth: float = 1.5,
                 min_rate: float | None = None, max_rate: float | None = None,
                 adaptive: bool = True) -> None:
        self.min_rate = min_rate
        self.max_rate = max_rate
        self.growth = growth
        self.adaptive = adaptive
        self.rate = self._bounded(start)
        self.lag = 0.03
        self.backoffs = 0
        self.new_run()

    def _bounded(self, rate: float | None) -> float | None:
        if rate is None:
            return self.max_rate
        if self.max_rate is not None:
            rate = min(rate, self.max_rate)
        if self.min_rate is not None:
            rate = max(rate, self.min_rate)
        return rate

    def new_run(self) -> None:
        """A new engine run starts (its counters start from zero)."""
        self._times: list[float] = [0.0]
        self._sent: list[int] = [0]
        self._matched: list[int] = [0]
        self._refused = 0
        self._quiet_until = 0.0

    def _sent_at(self, t: float) -> float:
        """Probes sent by time ``t`` of the run (linear between samples)."""
        times = self._times
        k = bisect.bisect_right(times, t) - 1
        if k < 0:
            return 0.0
        if k + 1 >= len(times):
            return float(self._sent[-1])
        t0, t1 = times[k], times[k + 1]
        s0, s1 = self._sent[k], self._sent[k + 1]
        return s0 + (s1 - s0) * (t - t0) / (t1 - t0) if t1 > t0 else float(s1)

    def share(self, now: float) -> tuple[float, float] | None:
        """(share answered in the last window, share over the run), lag-corrected."""
        start = now - WINDOW
        k = max(0, bisect.bisect_left(self._times, start))
        if k >= len(self._times) - 1:
            return None
        t0 = self._times[k]
        sent_window = self._sent_at(now - self.lag) - self._sent_at(t0 - self.lag)
        sent_total = self._sent_at(now - self.lag)
        if sent_window < MIN_WINDOW or sent_total <= 0:
            return None
        matched_window = self._matched[-1] - self._matched[k]
        return matched_window / sent_window, self._matched[-1] / sent_total

    def __call__(self, c: Counters) -> float | None:
        now = c.elapsed
        self._times.append(now)
        self._sent.append(c.sent)
        self._matched.append(c.matched)
        if len(self._times) > 400:  # keep the last few seconds: windows look back less
            cut = bisect.bisect_left(self._times, now - 2 * WINDOW - self.lag - 1.0)
            del self._times[:cut], self._sent[:cut], self._matched[:cut]
        if not self.adaptive:
            return None
        refused = c.refused > self._refused
        self._refused = c.refused
        congested = refused
        shares = self.share(now)
        if shares is not None and now >= self._quiet_until:
            window, overall = shares
            congested = congested or (overall > 0 and window < CONGESTED * overall)
        if congested and now >= self._quiet_until:
            self.backoffs += 1
            self._quiet_until = now + WINDOW + self.lag  # let the lower rate show first
            span = min(WINDOW, now)
            achieved = (c.sent - self._sent_at(now - span)) / span if span > 0 else 0.0
            base = achieved if self.rate is None else min(self.rate, achieved or self.rate)
            new = self._bounded(max(1.0, base * BACKOFF))
        elif self.rate is None or congested:
            return None
        else:
            span = min(WINDOW, now)
            achieved = (c.sent - self._sent_at(now - span)) / span if span > 0 else 0.0
            if (achieved and self.rate > 2 * achieved
                    and (self.max_rate is None or self.rate < self.max_rate)):
                new = self._bounded(None)  # the sender, not the pacer, is the limit
            else:
                new = self._bounded(self.rate * self.growth)
        if new == self.rate:
            return None
        self.rate = new
        return UNPACED if new is None else new
