"""Benchmark setup: the shared report and the practice lab.

Run the benchmarks with ``.venv/bin/python -m pytest tests/bench -m bench -s``
(``-m bench`` overrides the ``-m 'not bench'`` in pyproject's addopts; ``-s``
lets the tables through). Set ``NETPROBE_BENCH_OUT=path.json`` to also get
the tables as JSON.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    # the lab fixture, for the engine benchmarks
    from tests.labfixture import lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.labfixture import lab  # noqa: F401

from tests.bench.bench_table import BenchReport


@pytest.fixture(scope="session")
def bench_report() -> BenchReport:
    """The session's tables; each benchmark adds its section."""
    return BenchReport()
