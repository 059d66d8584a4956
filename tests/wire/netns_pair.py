"""Two network namespaces joined by a veth pair, for the wire tests.

::

    npw<pid>-a  npwa0 198.18.200.1/24  2001:db8:200::1/64
                  |   (veth)            default routes via b
    npw<pid>-b  npwb0 198.18.200.2/24  2001:db8:200::2/64

Nothing in either namespace links to the host's network, so whatever the
tests send stays between a and b. Code under test runs inside a namespace as
a child Python process (``ip netns exec``), because Python 3.11 has no
``os.setns``. The namespaces, and every process the tests start in them,
are removed on exit, also after a failure. Tests using the pair are marked
``lab``; ``tests/conftest.py`` skips them (or fails them under CI=true) where
namespaces cannot be made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

#: one pair per test process (``npw<pid>-a``), so that two runs at once keep apart
NS_A, NS_B = f"npw{os.getpid()}-a", f"npw{os.getpid()}-b"
IF_A, IF_B = "npwa0", "npwb0"
A4, B4 = "198.18.200.1", "198.18.200.2"
A6, B6 = "2001:db8:200::1", "2001:db8:200::2"
PREFIX4, PREFIX6 = 24, 64

PYTHON = sys.executable
REPO = Path(__file__).resolve().parents[2]
_RUN_TIMEOUT_S = 60


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=check)


def _remove_orphans() -> None:
    """Delete the pairs of test processes that are gone (killed before their cleanup)."""
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        pid = name[3:].partition("-")[0]
        if name.startswith("npw") and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _ip("netns", "del", name, check=False)


class NamespacePair:
    """Context manager creating (and always removing) ``NS_A`` and ``NS_B``."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[str]] = []
        self.mac_a = ""
        self.mac_b = ""

    def __enter__(self) -> NamespacePair:
        _remove_orphans()  # leftovers of interrupted earlier runs
        try:
            self._create()
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._remove()

    def _create(self) -> None:
        for ns in (NS_A, NS_B):
            _ip("netns", "add", ns)
            # Interfaces created afterwards inherit "default": no duplicate
            # address detection, so addresses are usable at once.
            self.sh(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
            self.sh(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", IF_A, "netns", NS_A, "type", "veth", "peer", "name", IF_B, "netns", NS_B)
        for ns, dev, v4, v6 in ((NS_A, IF_A, A4, A6), (NS_B, IF_B, B4, B6)):
            _ip("-n", ns, "addr", "add", f"{v4}/{PREFIX4}", "dev", dev)
            _ip("-n", ns, "addr", "add", f"{v6}/{PREFIX6}", "dev", dev, "nodad")
            _ip("-n", ns, "link", "set", dev, "up")
        _ip("-n", NS_A, "route", "add", "default", "via", B4)
        _ip("-n", NS_A, "-6", "route", "add", "default", "via", B6)
        self.mac_a = self.link(NS_A, IF_A)["address"]
        self.mac_b = self.link(NS_B, IF_B)["address"]

    def _remove(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        self._procs.clear()
        for ns in (NS_A, NS_B):
            _ip("netns", "del", ns, check=False)

    # -- running things inside ----------------------------------------------

    def sh(self, ns: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a command inside namespace ``ns``."""
        return subprocess.run(
            ["ip", "netns", "exec", ns, *cmd],
            capture_output=True,
            text=True,
            timeout=_RUN_TIMEOUT_S,
            check=check,
        )

    def link(self, ns: str, dev: str) -> dict:
        """``ip -j link show`` of one interface."""
        return json.loads(_ip("-n", ns, "-j", "link", "show", "dev", dev).stdout)[0]

    def python_cmd(self, ns: str, code: str, *, user: int | None = None) -> list[str]:
        """The argv running ``code`` with this repository's netprobe inside ``ns``."""
        cmd = ["ip", "netns", "exec", ns]
        if user is not None:
            cmd += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
        return [*cmd, PYTHON, "-c", textwrap.dedent(code)]

    def run_py(self, ns: str, code: str, *, user: int | None = None, timeout: float = 60) -> dict:
        """Run ``code`` in ``ns``; its last line of output must be JSON, returned parsed."""
        done = subprocess.run(
            self.python_cmd(ns, code, user=user),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_child_env(),
            cwd="/",
            check=False,
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise AssertionError(
                f"child failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return json.loads(lines[-1])

    def start_py(self, ns: str, code: str) -> subprocess.Popen[str]:
        """Start ``code`` in ``ns`` in the background; it is killed at exit."""
        proc = subprocess.Popen(
            self.python_cmd(ns, code),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
            cwd="/",
        )
        self._procs.append(proc)
        return proc

    def wait_line(self, proc: subprocess.Popen[str], expected: str, timeout: float = 20) -> None:
        """Wait until ``proc`` prints the line ``expected`` (bounded by ``timeout``)."""

        def expire(*_: object) -> None:
            raise TimeoutError(f"no {expected!r} from the child within {timeout} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == expected:
                    return
            raise AssertionError(f"child ended before {expected!r}: {proc.stderr.read()}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def finish(self, proc: subprocess.Popen[str], timeout: float = 30) -> dict:
        """Wait for a background child and return its last line of output as JSON."""
        out, err = proc.communicate(timeout=timeout)
        lines = out.strip().splitlines()
        if proc.returncode != 0 or not lines:
            raise AssertionError(f"child failed (exit {proc.returncode}):\n{out}\n{err}")
        return json.loads(lines[-1])


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    inherited = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + inherited if inherited else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the unprivileged child cannot write caches
    return env
