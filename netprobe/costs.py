"""Where a command's fixed time goes: named spans that every floor records, shown by --debug.

A probing command pays for things that have nothing to do with how many
probes it sends: the interpreter's start, imports, route, interface and
neighbour lookups, opening and closing the capture, and the final wait for
answers that may still come. Each of these is recorded here as a named span
(count and seconds), at almost no cost (two clock reads), whether or not
anyone asks; ``netprobe --debug`` prints the table on stderr at the end.

Spans nest freely and are inclusive: a route lookup that imports a module
counts that import in both rows. Import times are only recorded with
``--debug`` (:func:`time_imports`), since the hook costs a little on every
``import`` statement.

This module sits beside ``errors``: any floor may import it, it imports
only the standard library.
"""

from __future__ import annotations

import builtins
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: name -> [count, seconds], in the order the names first appeared
_spans: dict[str, list[float]] = {}


def add(name: str, seconds: float, count: int = 1) -> None:
    """Count ``seconds`` (and ``count`` occurrences) under ``name``."""
    entry = _spans.get(name)
    if entry is None:
        _spans[name] = [count, seconds]
    else:
        entry[0] += count
        entry[1] += seconds


@contextmanager
def span(name: str) -> Iterator[None]:
    """Time the ``with`` block under ``name``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        add(name, time.perf_counter() - start)


def spans() -> list[tuple[str, int, float]]:
    """Every span so far: (name, count, seconds)."""
    return [(name, int(count), seconds) for name, (count, seconds) in _spans.items()]


def clear() -> None:
    """Forget every span (tests; a library caller between two runs)."""
    _spans.clear()


def process_age() -> float | None:
    """Seconds since this process started (10 ms resolution), or None if unknown.

    From ``/proc/self/stat`` (start time in clock ticks since boot) against the
    boot-time clock, which is what the kernel counts those ticks on.
    """
    try:
        with open("/proc/self/stat", "rb") as handle:
            stat = handle.read()
        # the command name (field 2) may hold spaces: fields count from after ')'
        fields = stat[stat.rindex(b")") + 2:].split()
        ticks = int(fields[19])  # field 22 overall
        # the start is truncated to a tick: take the middle of it
        started = (ticks + 0.5) / os.sysconf("SC_CLK_TCK")
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def time_imports() -> None:
    """From now on, record the time of every module loaded for the first time under
    ``imports`` (outermost loads only: a module's own imports are inside its time)."""
    if getattr(builtins.__import__, "_netprobe_timed", False):
        return
    real = builtins.__import__
    depth = [0]

    def timed_import(name: str, globals: object = None, locals: object = None,
                     fromlist: object = (), level: int = 0) -> object:
        if depth[0] or (level == 0 and name in sys.modules and not fromlist):
            return real(name, globals, locals, fromlist, level)
        depth[0] += 1
        before = len(sys.modules)
        start = time.perf_counter()
        try:
            return real(name, globals, locals, fromlist, level)
        finally:
            depth[0] -= 1
            loaded = len(sys.modules) - before
            if loaded > 0:
                add("imports", time.perf_counter() - start, loaded)

    timed_import._netprobe_timed = True  # type: ignore[attr-defined]
    builtins.__import__ = timed_import


def peak_memory() -> int | None:
    """The process's peak resident set so far (bytes; ``VmHWM``), or None if unknown."""
    from netprobe.proc_status import proc_status

    kib = proc_status("VmHWM")
    return int(kib) * 1024 if kib is not None and kib.isdigit() else None


def table(total: float | None = None) -> list[str]:
    """The spans as lines of text (milliseconds), with the process's age as the total
    and its peak memory."""
    lines = [f"{'fixed costs':<28}{'ms':>9}  count"]
    for name, count, seconds in spans():
        lines.append(f"  {name:<26}{seconds * 1000:>9.1f}  {count}")
    if total is not None:
        lines.append(f"  {'whole command (so far)':<26}{total * 1000:>9.1f}")
    peak = peak_memory()
    if peak is not None:
        lines.append(f"  {'peak memory (MB)':<26}{peak / 1e6:>9.1f}")
    return lines


__all__ = ["add", "clear", "peak_memory", "process_age", "span", "spans", "table",
           "time_imports"]
