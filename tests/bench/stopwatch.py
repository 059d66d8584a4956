"""Timing for benchmarks: the best of a few repetitions of the same work."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

#: repetitions per measurement: the best one is the least disturbed by neighbours
REPEATS = 3


def best_of(work: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    """Run ``work`` ``repeats`` times; return the shortest time (s) and the last result.

    The best time, not the mean, is the figure: on a shared machine noise only
    ever adds time, so the minimum is the closest to what the code costs.
    Garbage left by one repetition is collected before the next starts, so
    that no run pays for another's.
    """
    best = float("inf")
    result: Any = None
    for _ in range(repeats):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result
