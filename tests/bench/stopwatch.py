"""Timing for benchmarks: the best of a few repetitions of the same work, per contender."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

#: repetitions per measurement: the best one is the least disturbed by neighbours
REPEATS = 3


def time_once(work: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``work`` once after collecting garbage; return its time (s) and result."""
    gc.collect()  # so that no run pays for the garbage of the one before
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def best_of(contenders: dict[str, Callable[[], Any]],
            repeats: int = REPEATS) -> dict[str, tuple[float, Any]]:
    """Time each contender ``repeats`` times; return its best time (s) and last result.

    The best time, not the mean, is the figure: on a shared machine noise only
    ever adds time, so the minimum is the closest to what the code costs. The
    contenders take turns (A B C, A B C, ...) rather than one after the other,
    so that a busy spell on the machine falls on all of them alike.
    """
    best: dict[str, tuple[float, Any]] = {}
    for _ in range(repeats):
        for name, work in contenders.items():
            # drop the previous result first: holding two copies skews memory and GC
            fastest = best.pop(name, (float("inf"), None))[0]
            elapsed, result = time_once(work)
            best[name] = (min(fastest, elapsed), result)
    return best
