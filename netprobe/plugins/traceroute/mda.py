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


def more_probes(seen: int, answered: int, sent: int,
                confidence: float = DEFAULT_CONFIDENCE) -> int:
    """How many more probes a hop needs: with answers, the answered flows must reach
    :func:`probes_needed` for the branches seen; a hop that never answered is done
    (silent) once as many probes as one branch would need have gone out."""
    if seen == 0:
        return max(0, probes_needed(1, confidence) - sent)
    return max(0, probes_needed(seen, confidence) - answered)


def flows_for(budgets: tuple[int, ...], need: int, confidence: float = DEFAULT_CONFIDENCE,
              cap: int = 96) -> int:
    """New flows to send to a hop whose known next hops have ``budgets`` ICMP answers left,
    for ``need`` more answers (or as many as the budgets allow) with ``confidence``.

    Flows spread uniformly over the next hops; a router out of tokens drops
    what reaches it without spending anything, so a few flows more than
    ``need`` make up for an uneven split. The chance of enough answers is
    computed exactly (router by router, binomially), within ``cap`` flows.
    """
    k = len(budgets)
    if k == 0:
        return min(need, cap)
    target = min(need, sum(budgets))
    if target <= 0:
        return 0
    if k > EXACT_BRANCHES:
        # the exact sum grows fast with the branches: half as many again, one more each
        return min(cap, target + (target + 1) // 2 + k)
    alpha = 1.0 - confidence
    for n in range(target, cap + 1):
        if _shortfall(tuple(sorted(budgets)), n, target) <= alpha:
            return n
    return cap


#: next hops up to which :func:`flows_for` computes exactly
EXACT_BRANCHES = 4


@lru_cache(maxsize=4096)
def _shortfall(budgets: tuple[int, ...], n: int, target: int) -> float:
    """P(fewer than ``target`` answers) when ``n`` flows spread over routers with ``budgets``."""
    # states: (flows left for the routers not yet placed, answers so far capped at target)
    states = {(n, 0): 1.0}
    k = len(budgets)
    for i, budget in enumerate(budgets):
        nxt: dict[tuple[int, int], float] = {}
        share = 1.0 / (k - i)
        for (left, got), p in states.items():
            if i == k - 1:
                outcomes = [(left, 1.0)]
            else:
                outcomes = [(x, comb(left, x) * share**x * (1.0 - share)**(left - x))
                            for x in range(left + 1)]
            for x, px in outcomes:
                key = (left - x, min(target, got + min(x, budget)))
                nxt[key] = nxt.get(key, 0.0) + p * px
        states = nxt
    return sum(p for (_, got), p in states.items() if got < target)
