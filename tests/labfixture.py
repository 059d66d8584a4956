"""The lab pytest fixtures: practice labs shared by the whole test session.

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

The fixtures (import the ones you use, as above):

``lab`` (session)
    Fast: built with ``lab up --no-ratelimit`` (routers send ICMP errors
    without limit; hosts keep the kernel's). Round trips ~0.05 ms. What most
    tests want; it behaved like this before the lab kept stock limits.
``real_lab`` (session)
    A second lab (``nptr<pid>``) with the kernel's stock ICMP rate limits on
    every node, routers included: about 6 errors to one peer at once, then one
    per second, like a real router. No delay unless a test asks for it.
``wan_lab`` (function)
    ``real_lab`` with 12.5 ms added to each direction of the LAN (every
    frame crossing the switch), so every round trip from the scanner is 25 ms
    longer (``WAN_ROUND_TRIP_MS``); the delay is removed after the test.
``real_lab_rtt`` (function, parametrized)
    ``real_lab`` at each round trip of ``ROUND_TRIPS_MS`` (0 and 25 ms), ids
    ``rtt0`` and ``rtt25``; ``handle.round_trip_ms`` tells which. For
    benchmarks that must run "at 0 ms and at 25 ms round trip".

Any handle can be impaired for the length of a ``with`` block (restored after)::

    with real_lab.impaired(delay=12.5, jitter=2, loss=10):   # on the LAN
        ...
    with real_lab.impaired(on="h1", icmp_ratelimit=250):     # one node's sysctl
        ...
    with real_lab.impaired(on="r2-r3a", delay=5):            # a link between routers
        ...

The fast ``lab`` can have stock limits on its routers for a block too, without
a second lab: ``with lab.impaired(icmp_ratelimit=1000):`` (the kernel's default,
every node; each node gets its own value back afterwards).

Or for good with ``handle.impair(...)`` (same keywords as ``lab impair``:
``on``, ``delay``, ``jitter`` in ms each direction, ``loss`` in percent,
``icmp_ratelimit`` in ms). Impair only ``real_lab``/``wan_lab`` or restore
what you change: other tests share the lab. Time one stock ICMP burst per
target: a router's limiter refills one token a second (``REFILL_SECONDS``
for a full bucket).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from netprobe.errors import NetprobeError
from netprobe.plugins.lab import build, lifecycle, processes, state

TEST_PREFIX = "npt"
# Names only tests make (npt<pid>, npt<letter><pid>): the sweep never touches others.
TEST_NAME = re.compile(rf"^{TEST_PREFIX}[a-z]?[0-9]+$")
#: one-way delay ``wan_lab`` adds on the LAN, and the round trip it makes
WAN_DELAY_MS = 12.5
WAN_ROUND_TRIP_MS = 2 * WAN_DELAY_MS
#: the round trips ``real_lab_rtt`` runs at
ROUND_TRIPS_MS = (0.0, WAN_ROUND_TRIP_MS)
#: seconds for a stock ICMP rate limiter (burst ~6, one token a second) to be full again
REFILL_SECONDS = 7.0


class LabHandle:
    """A running lab as tests see it: its truth and ways to run things inside."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.truth: dict = lifecycle.status(name)
        self.scanner_ns = self.truth["scanner"]["namespace"]
        #: the round trip the LAN adds right now (set by real_lab_rtt and wan_lab)
        self.round_trip_ms = 0.0

    @property
    def ratelimited(self) -> bool:
        """True when the routers keep stock ICMP rate limits (``real_lab``)."""
        return self.truth["impairments"]["icmp_ratelimit"] == "stock"

    def impair(self, on: str = "lan", *, delay: float | None = None,
               jitter: float | None = None, loss: int | None = None,
               icmp_ratelimit: int | str | None = None) -> dict:
        """Like ``netprobe lab impair --on ON ...``: None leaves a setting, 0 clears it.

        ``icmp_ratelimit="stock"`` puts back the node's limits as ``up`` left them.
        """
        report = lifecycle.impair(self.name, loss, on, delay=delay, jitter=jitter,
                                  icmp_ratelimit=icmp_ratelimit)
        self.refresh()
        return report

    @contextmanager
    def impaired(self, on: str = "lan", *, delay: float | None = None,
                 jitter: float | None = None, loss: int | None = None,
                 icmp_ratelimit: int | str | None = None) -> Iterator[LabHandle]:
        """Impair ``on`` for the ``with`` block, then put back what was there before."""
        before = self.refresh()["impairments"]
        link = before["links"].get(on, {})
        node_limit = before["icmp_ratelimit_ms"]
        self.impair(on, delay=delay, jitter=jitter, loss=loss, icmp_ratelimit=icmp_ratelimit)
        try:
            yield self
        finally:
            undo: dict = {}
            if loss is not None:
                undo["loss"] = link.get("loss_percent", 0)
            if delay is not None or jitter is not None:
                undo["delay"] = link.get("delay_ms", 0.0)
                undo["jitter"] = link.get("jitter_ms", 0.0)
            if undo:
                self.impair(on, **undo)
            if icmp_ratelimit is not None:
                self.impair(on, icmp_ratelimit="stock")  # as up left them, then any set before
                for node, milliseconds in node_limit.items():
                    if on in ("lan", node):
                        self.impair(node, icmp_ratelimit=milliseconds)

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

    def __init__(self, infix: str = "", ratelimit: bool = True) -> None:
        self.infix = infix
        self.ratelimit = ratelimit
        self.users = 0
        self.handle: LabHandle | None = None
        self.previous_sigterm = None

    def acquire(self) -> LabHandle:
        if self.handle is None:
            remove_stale_test_labs()
            name = f"{TEST_PREFIX}{self.infix}{os.getpid()}"
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                # Turn SIGTERM into KeyboardInterrupt so teardown still runs.
                self.previous_sigterm = signal.SIG_DFL
                signal.signal(signal.SIGTERM, _interrupt)
            try:
                lifecycle.up(name, ratelimit=self.ratelimit)
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


_SHARED = _SharedLab(ratelimit=False)
_REAL = _SharedLab("r", ratelimit=True)


@pytest.fixture(scope="session")
def lab() -> Iterator[LabHandle]:
    """A running practice lab for the session (routers without ICMP rate limits)."""
    require_lab_environment()
    handle = _SHARED.acquire()
    try:
        yield handle
    finally:
        _SHARED.release()


@pytest.fixture(scope="session")
def real_lab() -> Iterator[LabHandle]:
    """A second lab for the session with the kernel's stock ICMP rate limits everywhere."""
    require_lab_environment()
    handle = _REAL.acquire()
    try:
        yield handle
    finally:
        _REAL.release()


@contextmanager
def _at_round_trip(handle: LabHandle, round_trip_ms: float) -> Iterator[LabHandle]:
    if not round_trip_ms:
        yield handle
        return
    with handle.impaired(delay=round_trip_ms / 2):
        handle.round_trip_ms = round_trip_ms
        try:
            yield handle
        finally:
            handle.round_trip_ms = 0.0


@pytest.fixture
def wan_lab(real_lab: LabHandle) -> Iterator[LabHandle]:
    """``real_lab`` with a 25 ms round trip across the LAN for this test."""
    with _at_round_trip(real_lab, WAN_ROUND_TRIP_MS) as handle:
        yield handle


@pytest.fixture(params=ROUND_TRIPS_MS, ids=[f"rtt{ms:g}" for ms in ROUND_TRIPS_MS])
def real_lab_rtt(request: pytest.FixtureRequest, real_lab: LabHandle) -> Iterator[LabHandle]:
    """``real_lab`` at each round trip of ``ROUND_TRIPS_MS`` (``handle.round_trip_ms``)."""
    with _at_round_trip(real_lab, request.param) as handle:
        yield handle
