"""Fixed costs: spans add up, imports are timed on request, --debug prints the table."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from netprobe import costs


def test_spans_count_and_add_up() -> None:
    costs.clear()
    with costs.span("route lookup"):
        time.sleep(0.002)
    costs.add("route lookup", 0.5)
    costs.add("final wait", 0.25, count=3)
    got = {name: (count, seconds) for name, count, seconds in costs.spans()}
    assert got["route lookup"][0] == 2 and 0.502 <= got["route lookup"][1] < 1.0
    assert got["final wait"] == (3, 0.25)
    lines = costs.table(total=1.0)
    assert lines[0].startswith("fixed costs")
    assert any(line.split()[:2] == ["final", "wait"] and line.split()[2] == "250.0"
               for line in lines)
    costs.clear()
    assert costs.spans() == []


def test_process_age_and_peak_memory_are_plausible() -> None:
    age = costs.process_age()
    assert age is not None and 0 < age < 24 * 3600
    peak = costs.peak_memory()
    assert peak is not None and peak > 1_000_000


def _netprobe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**os.environ, "NETPROBE_DEBUG": ""})


def test_debug_prints_where_the_time_went() -> None:
    done = _netprobe("--debug", "read", "--help")
    assert done.returncode == 0, done.stderr
    lines = [line.removeprefix("netprobe: ").strip() for line in done.stderr.splitlines()]
    names = {" ".join(w for w in line.split() if not w.replace(".", "").isdigit())
             for line in lines}
    assert "interpreter start + cli" in names
    assert "imports" in names  # the read plugin is imported after --debug is seen
    assert "whole command (so far)" in names
    plain = _netprobe("read", "--help")
    assert plain.returncode == 0 and "fixed costs" not in plain.stderr


def test_import_timing_counts_first_loads_only() -> None:
    code = ("from netprobe import costs; costs.time_imports(); import json; "
            "import colorsys; import colorsys; "
            "print(dict((n, c) for n, c, s in costs.spans()).get('imports', 0))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert int(done.stdout) >= 1  # colorsys (json may be loaded already); not twice
