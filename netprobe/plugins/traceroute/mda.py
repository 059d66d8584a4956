"""The Multipath Detection Algorithm's stopping rule (Augustin, Friedman, Teixeira 2007).

A load balancer at a hop splits flows uniformly over its next hops. Having
seen ``k`` distinct next hops, how many flows must have been answered before
one may say, with confidence ``c``, that there is no ``k+1``-th? If there
were ``k+1`` branches, ``n`` flows would miss at least one of them with
probability (inclusion-exclusion over the branches missed)

    P(n) = sum over i = 1 .. k of (-1)^(i+1) C(k+1, i) ((k+1-i)/(k+1))^n

and the answer is the smallest ``n`` with ``P(n) <= 1 - c``. At 95 %: 6, 11,
16, 21, 27, 33, 38, 44, 51, 57 ... flows for 1 ... 10 branches seen (the
table of Veitch, Augustin, Friedman, Teixeira, "Failure control in
multipath route tracing", 2009). Computed in exact integer arithmetic.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

DEFAULT_CONFIDENCE = 0.95


def probes_needed(seen: int, confidence: float = DEFAULT_CONFIDENCE) -> int:
    """Answered flows needed at a hop where ``seen`` next hops appeared, to rule out one more.

    ``seen`` 0 (nothing answered yet) is treated as 1: that many probes
    without any answer make the hop silent.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return _needed(max(1, seen), round((1.0 - confidence) * _SCALE))


#: the failure probability is compared in billionths, in integers
_SCALE = 10**9


@lru_cache(maxsize=1024)
def _needed(k: int, alpha_scaled: int) -> int:
    branches = k + 1
    n = branches
    while True:
        # n flows over k+1 branches: how many of the (k+1)^n ways miss some branch
        missing = sum((-1) ** (i + 1) * comb(branches, i) * (branches - i) ** n
                      for i in range(1, branches))
        if missing * _SCALE <= alpha_scaled * branches ** n:
            return n
        n += 1


def hop_done(seen: int, answered: int, sent: int,
             confidence: float = DEFAULT_CONFIDENCE) -> bool:
    """True when a hop needs no more probes.

    With answers, the answered flows must reach :func:`probes_needed` for
    the branches seen; a hop that never answered is done (silent) once as
    many probes as one branch would need have gone out.
    """
    if seen == 0:
        return sent >= probes_needed(1, confidence)
    return answered >= probes_needed(seen, confidence)


def more_probes(seen: int, answered: int, sent: int,
                confidence: float = DEFAULT_CONFIDENCE) -> int:
    """How many more probes a hop needs before :func:`hop_done` can hold."""
    if seen == 0:
        return max(0, probes_needed(1, confidence) - sent)
    return max(0, probes_needed(seen, confidence) - answered)
