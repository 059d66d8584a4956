"""Minimisation against simulated targets: one killer, killers that need company."""

from __future__ import annotations

from netprobe.plugins.fuzz.minimise import minimise


def target(killers: list[set[int]], log: list[list[int]] | None = None):
    """A target that dies when every case of one of ``killers`` has been sent."""
    def kills(cases: list[int]) -> bool:
        if log is not None:
            log.append(cases)
        sent = set(cases)
        return any(k <= sent for k in killers)
    return kills


def test_one_killing_case_in_a_window():
    log: list[list[int]] = []
    found = minimise(list(range(100, 110)), target([{104}], log))
    assert found.cases == [104] and found.reproduced and found.minimal
    assert found.steps == len(log) <= 6
    assert all(cases == sorted(cases) for cases in log)  # always sent in order


def test_the_first_killer_wins_when_several_kill():
    found = minimise(list(range(10)), target([{7}, {3}]))
    assert found.cases == [3]


def test_a_killer_that_needs_an_earlier_case():
    found = minimise(list(range(20)), target([{2, 11}]))
    assert found.cases == [2, 11] and found.minimal


def test_three_cases_together():
    found = minimise(list(range(40)), target([{5, 17, 30}]), max_steps=64)
    assert found.cases == [5, 17, 30] and found.minimal


def test_not_reproducible():
    found = minimise(list(range(10)), lambda cases: False)
    assert not found.reproduced and found.cases == list(range(10)) and found.steps == 1


def test_cannot_tell_stops_with_the_best_so_far():
    answers = iter([True, True, None])
    found = minimise(list(range(8)), lambda cases: next(answers))
    assert found.reproduced and not found.minimal and found.cases == list(range(4))


def test_step_budget():
    found = minimise(list(range(64)), target([{63}]), max_steps=3)
    assert not found.minimal and found.steps == 3 and found.cases[-1] == 63
