"""Scapy snippets run under Scapy and under netprobe, with only the import line changed.

Each file ``snippets/THEME.snip`` is one theme (Python split by ``# --- name``).
Every snippet must run under netprobe without an exception (when it runs under
Scapy), and print byte for byte what
Scapy prints, unless it is listed in the theme's ``DIFFERS`` (in ``differs.py``)
with the reason (a deliberate difference, documented in the README).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compat.differs import DIFFERS
from tests.compat.runner import split_snippets

HERE = Path(__file__).resolve().parent
SNIPPETS = HERE / "snippets"
REPO = HERE.parent.parent
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()


@functools.cache
def outputs(theme: str, library: str) -> dict[str, dict[str, str]]:
    """Every snippet of a theme run under one library, in one subprocess."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "TZ": "UTC", "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "tests.compat.runner", library,
                           str(SNIPPETS / f"{theme}.snip"), str(CORPUS)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"runner failed under {library}: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def cases() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SNIPPETS.glob("*.snip")):
        for name, _ in split_snippets(path.read_text()):
            out.append((path.stem, name))
    return out


@pytest.mark.parametrize(("theme", "name"), cases(), ids=lambda v: v)
def test_snippet(theme: str, name: str) -> None:
    code = dict(split_snippets((SNIPPETS / f"{theme}.snip").read_text()))[name]
    if "CORPUS" in code and not CORPUS.is_dir():
        pytest.skip(f"capture corpus not found at {CORPUS}")
    theirs = outputs(theme, "scapy")[name]
    ours = outputs(theme, "netprobe")[name]
    assert not theirs["error"], f"the snippet fails under Scapy itself: {theirs['error']}"
    assert not ours["error"], (f"fails under netprobe: {ours['error']}\n"
                               f"Scapy printed:\n{theirs['out']}")
    reason = DIFFERS.get((theme, name))
    if reason:
        assert ours["out"], f"prints nothing (differs on purpose: {reason})"
        return
    assert ours["out"] == theirs["out"]
