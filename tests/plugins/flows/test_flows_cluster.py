"""The runner (netprobe.services.cluster) and the distributed flow analysis.

The Dask path runs on a LocalCluster bound to 127.0.0.1 and must give the
same records as one process, byte for byte; so must local processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.cli import main
from netprobe.errors import UsageError
from netprobe.services.cluster import run_tasks

REPO = Path(__file__).resolve().parents[3]
MAKE_TRACE = (REPO / ".." / "shared" / "tools" / "make_trace.py").resolve()


def square(x: int) -> int:
    """A task for the runner tests (module level, so workers can import it)."""
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x * x


def test_run_here_and_on_processes() -> None:
    seen: list[tuple[int, int]] = []
    assert run_tasks(square, [1, 2, 3], on_done=lambda i, r: seen.append((i, r))) == [1, 4, 9]
    assert seen == [(0, 1), (1, 4), (2, 9)]
    seen.clear()
    assert run_tasks(square, list(range(7)), jobs=3,
                     on_done=lambda i, r: seen.append((i, r))) == [x * x for x in range(7)]
    assert sorted(seen) == [(x, x * x) for x in range(7)]


def test_a_failing_task_fails_the_run() -> None:
    with pytest.raises(ValueError, match="negative: -2"):
        run_tasks(square, [1, -2, 3], jobs=2)
    with pytest.raises(UsageError):
        run_tasks(square, [1], jobs=0)


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MAKE_TRACE.is_file():
        pytest.skip(f"make_trace.py not found at {MAKE_TRACE}")
    path = tmp_path_factory.mktemp("cluster") / "trace.pcap"
    subprocess.run([sys.executable, str(MAKE_TRACE), "--packets", "20000", "--flows", "500",
                    "--seed", "9", "--out", str(path)], check=True, capture_output=True,
                   timeout=300)
    return path


@pytest.fixture(scope="module")
def scheduler() -> str:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_dask_gives_the_one_process_table(trace: Path, scheduler: str,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import netprobe.plugins.flows.analysis as analysis

    assert main(["flows", str(trace), "--top", "0", "--json"]) == 0
    one, _ = capsys.readouterr()
    # small byte ranges, so that the cluster reads the file in several parts
    monkeypatch.setattr(analysis, "SPLIT_MIN", 1 << 18)
    assert main(["flows", str(trace), "--top", "0", "--json", "--scheduler", scheduler,
                 "--jobs", "3"]) == 0
    many, err = capsys.readouterr()
    assert err == ""
    assert many == one
    assert json.loads(one.splitlines()[-1])["packets"] == 20000
    assert run_tasks(square, [4, 5], scheduler=scheduler) == [16, 25]
