"""Test-wide setup: the lab scope, the rules for ``lab`` tests, the capture corpus.

* ``NETPROBE_SCOPE`` defaults to the lab networks plus loopback, so nothing a
  test composes can be aimed elsewhere by accident.
* Tests marked ``lab`` need root and working network namespaces. Outside CI
  they skip, saying why, when those are missing; with ``CI=true`` they never
  skip: a CI run that cannot build the lab fails loudly instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

LAB_SCOPE = "198.18.0.0/15,2001:db8::/32,127.0.0.0/8,::1/128"
os.environ.setdefault("NETPROBE_SCOPE", LAB_SCOPE)

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = (REPO_ROOT / ".." / "shared" / "pcaps" / "corpus").resolve()


@functools.cache
def lab_unavailable() -> str | None:
    """Why lab tests cannot run here, or None when they can.

    Creating (and at once deleting) a namespace of our own is the only honest
    test: ``ip netns list`` succeeds in places where ``ip netns add`` fails.
    """
    if os.geteuid() != 0:
        return "needs root"
    ip = shutil.which("ip")
    if ip is None:
        return "needs the ip command (iproute2)"
    name = f"netprobe-conftest-{os.getpid()}"
    try:
        added = subprocess.run(
            [ip, "netns", "add", name], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"ip netns unusable: {exc}"
    if added.returncode != 0:
        return f"ip netns unusable: {added.stderr.strip() or added.returncode}"
    subprocess.run([ip, "netns", "delete", name], capture_output=True, timeout=10, check=False)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip (or, under CI=true, fail) ``lab`` tests that cannot have their lab."""
    if item.get_closest_marker("lab") is None:
        return
    reason = lab_unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"lab test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"lab test: {reason}")


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared capture corpus (``<repo>/../shared/pcaps/corpus``)."""
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"capture corpus not found at {CORPUS_DIR}")
    return CORPUS_DIR


@pytest.fixture(autouse=True)
def _source_route_hook_restored() -> Iterator[None]:
    """Each test finds floor 1's source-address hook as the one before it left it.

    Tests that install their own resolver put the previous one back, but not
    whether the library face's default had been tried yet; without this, a test
    that builds ``IP(dst=...)`` with no ``src`` would depend on which tests ran first.
    """
    from netprobe.packet import route

    saved = (route._resolver, route._tried)
    yield
    if (route._resolver, route._tried) != saved:
        route._resolver, route._tried = saved
        route._cache.clear()
