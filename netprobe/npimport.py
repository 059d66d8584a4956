"""numpy for integer and byte columns, loaded without a BLAS thread pool.

The scans use numpy for byte and integer columns only, never for linear
algebra; but loading numpy loads its OpenBLAS, which starts one thread per
core at once, and that start costs about 0.1 s of CPU time, a tenth of a
65,535-port scan's. So when this module is the first to import numpy, it
asks OpenBLAS for a single thread, for the duration of the import only:
the process's environment (and its children's) is left as it was, and a
thread count already in the environment is respected.

Modules import numpy as ``from netprobe.npimport import np`` (the port scanner always,
the capture readers' batch walks and the flow table when they need it).
"""

from __future__ import annotations

import os
import sys

#: what OpenBLAS reads at load for its thread count (the first one set wins)
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")

_set_here = ("numpy" not in sys.modules
             and not any(name in os.environ for name in _BLAS_THREADS))
if _set_here:
    os.environ[_BLAS_THREADS[0]] = "1"
try:
    import numpy as np  # after the thread count: OpenBLAS reads it at load
finally:
    if _set_here:
        os.environ.pop(_BLAS_THREADS[0], None)

__all__ = ["np"]
