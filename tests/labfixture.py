"""The ``lab`` pytest fixture: one practice lab for the whole test session.

Use it from any test directory, in one of two ways (both need the repository
root on ``sys.path``: ``python -m pytest`` run from the root provides it, and
so does ``pythonpath = ["."]`` under ``[tool.pytest.ini_options]``):

- in ``tests/conftest.py``: ``pytest_plugins = ["tests.labfixture"]``
- or in any conftest or test module: ``from tests.labfixture import lab  # noqa: F401``

Importing it in several places is harmless: every copy of the fixture shares
one lab (reference counted), brought down when the last user is done.

The fixture brings up a lab named ``npt<pid>``, always brings it down (also
when tests fail, and on SIGTERM), and first removes test labs left behind by
sessions that were killed. Without root (or without ``ip``/``nft``) it skips
with the reason, except when ``CI=true``, where a lab test must run: it fails.

It returns a :class:`LabHandle`; ``handle.truth`` is what ``netprobe lab
status --json`` prints.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence

import pytest

from netprobe.errors import NetprobeError
from netprobe.plugins.lab import build, lifecycle, processes, state

TEST_PREFIX = "npt"
# Names only tests make (npt<pid>, npt<letter><pid>): the sweep never touches others.
TEST_NAME = re.compile(rf"^{TEST_PREFIX}[a-z]?[0-9]+$")


class LabHandle:
    """A running lab as tests see it: its truth and ways to run things inside."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.truth: dict = lifecycle.status(name)
        self.scanner_ns = self.truth["scanner"]["namespace"]

    def refresh(self) -> dict:
        """Re-read ``status`` (after impair, restart-service, add-duplicate...)."""
        self.truth = lifecycle.status(self.name)
        return self.truth

    def namespace(self, node: str) -> str:
        """The namespace of ``node`` (``scan``, ``h1``, ``r2``, ``far``...)."""
        return build.namespace(self.name, node)

    def host(self, name: str) -> dict:
        """The truth about one host (LAN hosts, ``far``, or ``dup`` when added)."""
        duplicate = self.truth.get("duplicate")
        for host in [*self.truth["hosts"], self.truth["far"], *([duplicate] if duplicate else [])]:
            if host["name"] == name:
                return host
        raise KeyError(name)

    def expected(self, host: str, proto: str, port: int) -> tuple[str, str]:
        """The nmap-style (state, reason) a correct scan reports for host/proto/port."""
        entry = self.host(host)
        for listed in entry["ports"]:
            if (listed["proto"], listed["port"]) == (proto, port):
                return listed["state"], listed["reason"]
        default = entry["default"][proto]
        return default["state"], default["reason"]

    def run(self, argv: Sequence[str], node: str | None = None, timeout: float = 60.0,
            **kwargs) -> subprocess.CompletedProcess:
        """Run ``argv`` inside the scanner (or ``node``'s) namespace, capturing text output."""
        ns = self.namespace(node) if node else self.scanner_ns
        return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True,
                              text=True, timeout=timeout, check=False, **kwargs)

    def python(self, code: str, node: str | None = None, timeout: float = 60.0,
               **kwargs) -> subprocess.CompletedProcess:
        """Run Python ``code`` inside the scanner (or ``node``'s) namespace."""
        return self.run([sys.executable, "-c", code], node=node, timeout=timeout,
                        env=processes.child_environment(), **kwargs)

    def netprobe(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        """Run ``python -m netprobe ARGS`` in the scanner namespace (like ``lab run``)."""
        return self.run([sys.executable, "-m", "netprobe", *args], timeout=timeout,
                        env=processes.child_environment())


def require_lab_environment() -> None:
    """Skip (or fail under CI=true) unless this process may build labs."""
    try:
        lifecycle.require_environment()
    except NetprobeError as problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"lab tests must run under CI: {problem}")
        pytest.skip(f"lab tests need root and iproute2/nftables: {problem}")


def remove_stale_test_labs() -> list[str]:
    """Bring down test labs whose pytest process is gone (killed sessions)."""
    removed = []
    for name in state.labs():
        if not TEST_NAME.match(name):
            continue
        try:
            previous = state.load(name)
        except ValueError:
            continue
        if previous is not None and not processes.is_alive(previous.owner_pid):
            lifecycle.down(name)
            removed.append(name)
    return removed


class _SharedLab:
    """One lab per session however many fixture copies ask for it."""

    def __init__(self) -> None:
        self.users = 0
        self.handle: LabHandle | None = None
        self.previous_sigterm = None

    def acquire(self) -> LabHandle:
        if self.handle is None:
            remove_stale_test_labs()
            name = f"{TEST_PREFIX}{os.getpid()}"
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                # Turn SIGTERM into KeyboardInterrupt so teardown still runs.
                self.previous_sigterm = signal.SIG_DFL
                signal.signal(signal.SIGTERM, _interrupt)
            try:
                lifecycle.up(name)
            except BaseException:
                self._restore_sigterm()
                raise
            self.handle = LabHandle(name)
        self.users += 1
        return self.handle

    def release(self) -> None:
        self.users -= 1
        if self.users > 0 or self.handle is None:
            return
        name, self.handle = self.handle.name, None
        try:
            lifecycle.down(name)
        finally:
            self._restore_sigterm()

    def _restore_sigterm(self) -> None:
        if self.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self.previous_sigterm)
            self.previous_sigterm = None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


_SHARED = _SharedLab()


@pytest.fixture(scope="session")
def lab() -> Iterator[LabHandle]:
    """A running practice lab for the session; always brought down afterwards."""
    require_lab_environment()
    handle = _SHARED.acquire()
    try:
        yield handle
    finally:
        _SHARED.release()
