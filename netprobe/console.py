"""The ``netprobe`` command's process: its garbage collector tuned before anything is
imported, then :func:`netprobe.cli.main`.

This module imports nothing at module level but ``gc``: the console script imports it
first, so that the collector's thresholds hold while click and the subcommand's modules
are imported (with Python's defaults, the collector walks the objects those imports make
again and again: about 6 % of a small port scan's instructions, measured with
``valgrind --tool=cachegrind``).
"""

from __future__ import annotations

import gc

#: the cyclic collector's thresholds for a netprobe process (Python's default: 700, 10, 10)
GC_THRESHOLDS = (50_000, 20, 100)


def console() -> int:
    """The ``netprobe`` command (console script and ``python -m netprobe``): ``main``
    in a process whose cyclic garbage collector runs less often.

    A scan makes objects by the hundred thousand (results, bytes, tuples) and
    almost no reference cycles; with the default thresholds the collector
    walks them again and again, about a tenth of a 65,535-port scan's CPU
    time. The objects alive once the command's modules are imported (modules,
    classes) are frozen out of its walks altogether. Cycles still get collected,
    in larger batches. Only the command's own process is tuned: ``main`` called
    from other code leaves the caller's collector alone.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    from netprobe.cli import main

    gc.freeze()
    try:
        return main()
    finally:
        # The interpreter's exit collects every generation, several times while it
        # clears the modules: 3 % of a small scan's instructions. The process ends
        # here, so nothing is left for those collections to walk.
        gc.disable()
        gc.freeze()
