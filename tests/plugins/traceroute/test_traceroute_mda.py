"""The MDA stopping rule as a pure function."""

from __future__ import annotations

import math
import random

import pytest

from netprobe.plugins.traceroute import mda


def test_probes_needed_at_95_percent_is_the_published_table() -> None:
    # Veitch et al., "Failure control in multipath route tracing" (2009), 95 %
    assert [mda.probes_needed(k) for k in range(1, 16)] == [6, 11, 16, 21, 27, 33, 38, 44,
                                                            51, 57, 63, 70, 76, 83, 90]


def test_nothing_seen_counts_as_one_branch() -> None:
    assert mda.probes_needed(0) == mda.probes_needed(1) == 6


def miss_probability(branches: int, n: int, trials: int, seed: int) -> float:
    """How often ``n`` uniform flows miss a branch, by simulation."""
    rng = random.Random(seed)
    missed = sum(len({rng.randrange(branches) for _ in range(n)}) < branches
                 for _ in range(trials))
    return missed / trials


def test_needed_probes_bound_the_miss_probability() -> None:
    # simulated, so independent of the formula: n flows miss a branch at most 1 - c
    # of the time, and n - 1 flows clearly more often
    for k in (1, 2, 4):
        n = mda.probes_needed(k)
        assert miss_probability(k + 1, n, 20000, k) <= 0.05 + 0.006
        assert miss_probability(k + 1, n - 1, 20000, k) > 0.05 - 0.006


def test_more_confidence_costs_more_probes() -> None:
    for k in range(1, 10):
        assert mda.probes_needed(k, 0.99) > mda.probes_needed(k, 0.95) > mda.probes_needed(k, 0.5)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_confidence_must_be_a_probability(bad: float) -> None:
    with pytest.raises(ValueError):
        mda.probes_needed(1, bad)


def test_a_silent_hop_is_done_after_six_probes() -> None:
    assert mda.more_probes(0, 0, 5) == 1
    assert mda.more_probes(0, 0, 6) == 0
    assert mda.more_probes(0, 0, 2) == 4


def test_a_second_branch_asks_for_eleven_answers() -> None:
    assert mda.more_probes(1, 6, 6) == 0
    assert mda.more_probes(2, 6, 6) == 5
    # lost probes do not count: only answered flows inform the rule
    assert mda.more_probes(2, 9, 11) == 2


def simulated_shortfall(budgets: tuple[int, ...], n: int, target: int, trials: int,
                        seed: int) -> float:
    """How often ``n`` uniform flows get fewer than ``target`` answers, by simulation."""
    rng = random.Random(seed)
    short = 0
    for _ in range(trials):
        hits = [0] * len(budgets)
        for _ in range(n):
            hits[rng.randrange(len(budgets))] += 1
        short += sum(min(h, b) for h, b in zip(hits, budgets, strict=True)) < target
    return short / trials


@pytest.mark.parametrize(("budgets", "need"), [((3, 3), 5), ((6, 6), 11), ((1, 1), 5),
                                               ((2, 4), 5), ((1, 2, 3), 6)])
def test_flows_for_a_budget_get_the_answers_as_a_simulation_says(budgets: tuple[int, ...],
                                                                 need: int) -> None:
    n = mda.flows_for(budgets, need)
    target = min(need, sum(budgets))
    assert n >= target
    # enough flows: at most 5 % fall short (simulated with a margin) ...
    assert simulated_shortfall(budgets, n, target, 4000, seed=n) <= 0.05 + 0.015
    # ... and one flow fewer would not be enough
    assert simulated_shortfall(budgets, n - 1, target, 4000, seed=n) > 0.05 - 0.015


def test_flows_for_stays_within_what_can_be_answered() -> None:
    assert mda.flows_for((), 5) == 5  # nothing known: the rule's own count
    assert mda.flows_for((0, 0), 5) == 0  # every router out of tokens: wait instead
    assert mda.flows_for((1,), 6) == 1  # one token: one flow
    assert mda.flows_for((6, 6), 11, cap=8) == 8
    many = mda.flows_for((6,) * 8, 40)
    assert 40 <= many <= 96
