"""``netprobe.npimport``: numpy without OpenBLAS's thread pool, the environment untouched."""

from __future__ import annotations

import os
import subprocess
import sys

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
# what the environment holds after the import, and the process's threads (OpenBLAS
# starts its pool when numpy loads it: one thread per core, the caller's included)
CODE = ("import os; from netprobe.npimport import np\n"
        "print(np.__name__, os.environ.get('OPENBLAS_NUM_THREADS'),\n"
        "      len(os.listdir('/proc/self/task')))\n")


def _run(env: dict[str, str]) -> list[str]:
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                          check=True).stdout.split()


def test_numpy_loads_with_one_blas_thread_and_leaves_the_environment_alone() -> None:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    name, left, threads = _run(env)
    assert (name, left) == ("numpy", "None"), "the variable was set for the import only"
    assert int(threads) == 1, "no OpenBLAS worker threads were started"


def test_a_thread_count_given_by_the_user_is_kept() -> None:
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    name, left, threads = _run({**env, "OPENBLAS_NUM_THREADS": "2"})
    assert (name, left) == ("numpy", "2")
    assert int(threads) == 2, "OpenBLAS started the one extra thread asked for"
