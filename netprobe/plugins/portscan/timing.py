"""Timing templates (-T0..-T5), round-trip estimates and how many times to retry (pure).

nmap fixes patience per template; here the template gives bounds and the
scan measures the rest:

* timeouts follow the measured round trip (RFC 6298: ``srtt + 4 * rttvar``)
  within the template's bounds, so a responsive host is not waited on for a
  fixed second or two at the end;
* retries follow the measured loss: each resend pass is a Bernoulli trial per
  still-silent responsive port, so after ``k`` sends a responsive port stays
  silent with probability ``p**k`` (``p`` the chance that probe or answer is
  lost). Passes continue until the expected number of responsive ports still
  mistaken for silent ones drops below ``MISS_BUDGET`` (or ``--max-retries``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

#: the expected number of responsive ports a scan may still miss when it stops retrying
MISS_BUDGET = 0.001
#: once loss is seen, silent probes are resent over at least this many seconds: losses
#: come in bursts that quick resends all fall into (a neighbour resolution failing for
#: seconds, with the probes queued behind it; a server holding a half-open connection)
PATIENCE = 4.0
#: ... and over this long when a host with silent probes has not answered anything yet:
#: a whole host dark while loss is seen is as likely a path down for a while (its
#: neighbour resolution failing) as a host that drops everything
DARK_PATIENCE = 10.0
#: loss below this share is no reason for patience
PATIENCE_LOSS = 0.02
#: a resend pass of at most this many silent probes is cheap enough to take on the
#: numbers alone (and the first one always, as nmap does)
FREE_RESEND = 1024
#: a larger pass must also expect at least this many responsive ports per probe resent:
#: in a sweep where most addresses never answer, resending them all for a few expected
#: finds doubles the scan (ZMap and masscan send once); one find per 1,000 probes is
#: what a resend must be worth
RESEND_YIELD = 1e-3
#: the loss a large first resend is judged by, before any resend has measured one
FIRST_RESEND_LOSS = 0.2
#: TPACKET_V3 hands packets over in blocks whose timer is the capture's 20 ms read timeout;
#: an answer can sit that long before the engine sees it
DELIVERY_SLACK = 0.025


class Timing(NamedTuple):
    """One template's bounds: pacing, patience and retries."""

    name: str
    #: fixed send rate (None: congestion control decides, from ``start_rate``)
    rate: float | None
    #: where congestion control starts (None: unpaced) and how fast it grows per 50 ms
    start_rate: float | None
    growth: float
    initial_timeout: float
    min_timeout: float
    max_timeout: float
    max_retries: int
    #: whether congestion control may change the rate at all
    adaptive: bool = True
    #: ``--max-retries`` was given: silent probes are resent up to it even when
    #: nothing answered (without it, no answer at all means no resend)
    retries_asked: bool = False

    def with_limits(self, *, max_retries: int | None = None) -> Timing:
        """A copy with ``--max-retries`` applied."""
        if max_retries is None:
            return self
        return self._replace(max_retries=max_retries, retries_asked=True)


#: -T0 .. -T5, after nmap's templates (nmap's max-retries 10 is a ceiling here: the
#: measured loss decides; the lab's 30 % loss per frame needs about 15 passes)
TEMPLATES = {
    0: Timing("paranoid", 1 / 300, None, 1.0, 300.0, 1.0, 300.0, 10, adaptive=False),
    1: Timing("sneaky", 1 / 15, None, 1.0, 15.0, 1.0, 15.0, 10, adaptive=False),
    2: Timing("polite", 2.5, None, 1.0, 1.0, 0.1, 10.0, 10, adaptive=False),
    3: Timing("normal", None, 20_000.0, 1.5, 1.0, 0.1, 10.0, 30),
    4: Timing("aggressive", None, 100_000.0, 2.0, 0.5, 0.05, 1.25, 30),
    5: Timing("insane", None, None, 2.0, 0.25, 0.05, 0.3, 10),
}
DEFAULT_TEMPLATE = 3


class RttEstimator:
    """Smoothed round-trip time and variation (RFC 6298), and the timeout they give."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.samples = 0

    def add(self, rtt: float) -> None:
        """Take one measured round trip (seconds)."""
        if rtt < 0:
            return
        self.samples += 1
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
            return
        self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
        self.srtt = 0.875 * self.srtt + 0.125 * rtt

    def timeout(self) -> float:
        """How long to wait for an answer now: measured, within the template's bounds."""
        t = self.timing
        if self.srtt is None:
            return t.initial_timeout
        wanted = self.srtt + 4 * self.rttvar + DELIVERY_SLACK
        return min(t.max_timeout, max(t.min_timeout, wanted))


class LossEstimate:
    """What the sends so far say about loss: answered probes and their sends
    (``sends``: what it took to get those answers, 1 each when nothing is lost)."""

    __slots__ = ("answered", "sends")

    def __init__(self, answered: int = 0, sends: int = 0) -> None:
        self.answered = answered
        self.sends = sends

    def __repr__(self) -> str:
        return f"LossEstimate(answered={self.answered}, sends={self.sends})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, LossEstimate) and self.answered == other.answered
                and self.sends == other.sends)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def add(self, sends: int) -> None:
        """One probe answered after ``sends`` sends."""
        self.answered += 1
        self.sends += sends

    def add_many(self, answered: int, sends: int) -> None:
        """``answered`` probes answered after ``sends`` sends in all (one ``add`` each)."""
        self.answered += answered
        self.sends += sends

    @property
    def loss(self) -> float:
        """Estimated chance that one send goes unanswered for a responsive port.

        Each answered probe was sent ``sends`` times, all but the last lost: the
        maximum-likelihood estimate of a geometric loss. Half a lost send is
        added (a prior) so that a clean run does not claim loss is impossible.
        """
        if not self.answered:
            return 0.0
        return min(0.99, (self.sends - self.answered + 0.5) / (self.sends + 0.5))

    @property
    def observed_loss(self) -> float:
        """The share of sends lost among answered probes, as seen (no prior)."""
        return (self.sends - self.answered) / self.sends if self.sends else 0.0

    @property
    def cautious_loss(self) -> float:
        """The loss to plan resends with: once loss is seen, the estimate plus 1.5 standard
        errors, since a low estimate from few answers would stop the resends too soon."""
        p = self.loss
        if self.sends == self.answered or not self.sends:
            return p
        return min(0.99, p + 1.5 * math.sqrt(p * (1 - p) / self.sends))


def should_resend(estimate: LossEstimate, sends_done: int, silent: int, timing: Timing) -> bool:
    """Whether the still silent probes deserve one more pass.

    ``sends_done`` is how often every silent probe has been sent; ``silent``
    how many there are. A pass of up to ``FREE_RESEND`` probes: one resend
    always (unless ``--max-retries 0``), as nmap too sends a silent port twice;
    after that, another pass only while more than ``MISS_BUDGET`` responsive
    ports are expected among the silent. A larger pass must also be worth its
    probes: ``RESEND_YIELD`` expected finds per probe. With no answer at all
    there is no measured loss to justify anything: no resend (of a large pass;
    of any, without ``--max-retries``, once a first resend found nothing).
    """
    if silent == 0 or sends_done > timing.max_retries:
        return False
    if estimate.answered == 0 and timing.retries_asked:
        return True  # nothing to measure: the user's bound decides
    small = silent <= FREE_RESEND
    if sends_done < 2 and small:
        return True
    p = estimate.cautious_loss
    if sends_done < 2:
        # one send each tells nothing about loss (the lost ones are the silent):
        # judge the first resend of a large pass by a loss as high as real paths have
        p = max(p, FIRST_RESEND_LOSS)
    if p <= 0:
        return False
    # responsive probes in all: the answered ones plus those still lost
    responsive = estimate.answered / max(1e-9, 1 - p ** sends_done)
    expected_missed = min(responsive * p ** sends_done, silent)
    if not small and expected_missed < silent * RESEND_YIELD:
        return False
    return expected_missed > MISS_BUDGET


def next_pass(estimate: LossEstimate, sends_done: int, silent: int, timing: Timing,
              waited: float, dark: bool = False) -> float | None:
    """Whether to resend the silent probes: None to stop, else the least wait for answers.

    :func:`should_resend` decides by the numbers. While loss is seen and the silent
    probes have been tried for less than ``PATIENCE`` seconds (``waited``; ``dark``:
    some host with silent probes never answered, ``DARK_PATIENCE``), the passes go
    on anyway, spread over what is left of that time and of the template's
    retries, so that a burst of loss cannot swallow them all.
    """
    if silent == 0 or sends_done > timing.max_retries:
        return None
    numeric = should_resend(estimate, sends_done, silent, timing)
    patience = DARK_PATIENCE if dark else PATIENCE
    patient = estimate.observed_loss >= PATIENCE_LOSS and waited < patience
    if not patient:
        return 0.0 if numeric else None
    passes_left = timing.max_retries + 1 - sends_done
    return (patience - waited) / max(1, passes_left)
