"""Minimisation: the smallest set of cases, in their order, that still kills the target.

Pure: the test (restart the target, send the cases, check it) is a function
given by the caller, which returns True (the target died), False (it lived)
or None (cannot tell: the target did not come back after a restart).

The usual crash is one case, often after others that did nothing, so the
search goes from cheap to thorough:

1. the whole window must kill again (otherwise: not reproducible);
2. the shortest prefix of the window that kills (binary search; the last
   case of that prefix is the one that fired);
3. that last case alone;
4. if it needs company (state built by earlier cases): delta debugging
   (ddmin) over the cases before it, the last case always kept.

Every test counts against ``max_steps``; running out keeps the smallest
killing set found so far (``minimal`` is then False).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass
class Minimised:
    """What minimisation found."""

    cases: list[int]
    reproduced: bool
    minimal: bool
    steps: int


class _Stop(Exception):
    """No more tests: the step budget is spent or a test could not tell."""


def _split(items: list[int], n: int) -> list[list[int]]:
    """``items`` in ``n`` contiguous chunks of nearly equal size."""
    size, extra = divmod(len(items), n)
    out, at = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        out.append(items[at:at + step])
        at += step
    return [c for c in out if c]


def minimise(cases: Sequence[int], kills: Callable[[list[int]], bool | None],
             max_steps: int = 32) -> Minimised:
    """Reduce ``cases`` (in sending order) to a smallest subsequence that ``kills``."""
    steps = 0

    def test(subset: list[int]) -> bool:
        nonlocal steps
        if steps >= max_steps:
            raise _Stop
        steps += 1
        verdict = kills(list(subset))
        if verdict is None:
            raise _Stop
        return verdict

    full = list(cases)
    best = full
    reproduced = False
    try:
        if not full or not test(full):
            return Minimised(full, reproduced=False, minimal=False, steps=steps)
        reproduced = True
        lo, hi = 1, len(full)
        while lo < hi:
            mid = (lo + hi) // 2
            if test(full[:mid]):
                hi = mid
                best = full[:mid]
            else:
                lo = mid + 1
        best = full[:hi]
        last = best[-1]
        if len(best) == 1:
            return Minimised(best, reproduced=True, minimal=True, steps=steps)
        if test([last]):
            return Minimised([last], reproduced=True, minimal=True, steps=steps)
        rest = best[:-1]
        n = 2
        while len(rest) >= 2:
            chunks = _split(rest, n)
            reduced = False
            for chunk in chunks:
                if len(chunk) < len(rest) and test([*chunk, last]):
                    rest, n, reduced = chunk, 2, True
                    best = [*rest, last]
                    break
            if not reduced and n > 2:
                for i in range(len(chunks)):
                    complement = [x for j, c in enumerate(chunks) if j != i for x in c]
                    if test([*complement, last]):
                        rest, n, reduced = complement, max(n - 1, 2), True
                        best = [*rest, last]
                        break
            if not reduced:
                if n >= len(rest):
                    break
                n = min(len(rest), 2 * n)
        # one case before the last one: [last] alone was tested, so this is minimal too
        return Minimised([*rest, last], reproduced=True, minimal=True, steps=steps)
    except _Stop:
        return Minimised(best, reproduced=reproduced, minimal=False, steps=steps)
