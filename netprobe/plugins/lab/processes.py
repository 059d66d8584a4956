"""Start, check and stop the lab's service processes, always by PID.

A PID alone is not an identity (PIDs are reused), so every check also compares
the process start time recorded when it was started. Processes found inside a
lab namespace that the lab did not start are reported, never killed.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from netprobe.errors import RuntimeProblem
from netprobe.plugins.lab.build import in_namespace
from netprobe.plugins.lab.state import ProcessRecord
from netprobe.plugins.lab.topology import Node

SERVICES_MODULE = "netprobe.plugins.lab.services"
# Every module the lab runs as a process inside its namespaces (``--lab NAME`` in argv).
DELAYLINE_MODULE = "netprobe.plugins.lab.delayline"
LAB_MODULES = (SERVICES_MODULE, DELAYLINE_MODULE)
READY_TIMEOUT = 10.0
STOP_GRACE = 1.0
NETNS_DIR = Path("/run/netns")


def package_root() -> str:
    """The directory holding the ``netprobe`` package (for PYTHONPATH in namespaces)."""
    return str(Path(__file__).resolve().parents[3])


def child_environment() -> dict[str, str]:
    """The caller's environment with ``netprobe`` importable whatever the cwd."""
    env = dict(os.environ)
    root = package_root()
    current = env.get("PYTHONPATH")
    env["PYTHONPATH"] = root if not current else f"{root}{os.pathsep}{current}"
    return env


def service_argv(lab: str, ns: str, node: Node) -> list[str]:
    """The command that runs ``node``'s services inside namespace ``ns``."""
    argv = [*in_namespace(ns, sys.executable, "-m", SERVICES_MODULE),
            "--lab", lab, "--node", node.name]
    for service in node.services:
        argv += ["--listen", f"{service.proto}:{service.port}:{service.kind}"]
    return argv


def _stat_fields(pid: int, live: bool = False) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name; None when there is no
    such process (``live``: or it is a zombie)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    return None if live and fields[0] in ("Z", "X") else fields


def starttime(pid: int) -> int | None:
    """When ``pid`` started (clock ticks after boot), or None if it does not exist."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_alive(pid: int) -> bool:
    """True when ``pid`` exists and is not a zombie."""
    return _stat_fields(pid, live=True) is not None


def is_running(record: ProcessRecord) -> bool:
    """True when the recorded process still runs (not reused, not a zombie)."""
    fields = _stat_fields(record.pid, live=True)
    return fields is not None and int(fields[19]) == record.starttime


def close_pipes(launched: list[tuple[subprocess.Popen, ProcessRecord]]) -> None:
    """Close the output pipes of launched processes not yet waited for (after a failure)."""
    for proc, _ in launched:
        if proc.stdout and not proc.stdout.closed:
            proc.stdout.close()


def _reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child, so no zombie stays."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def launch(lab: str, ns: str, node: Node) -> tuple[subprocess.Popen, ProcessRecord]:
    """Start ``node``'s services in ``ns`` without waiting for them."""
    return spawn(service_argv(lab, ns, node), node.name, ns,
                 [[s.proto, s.port] for s in node.services], f"services on {node.name}")


def spawn(argv: list[str], node: str, ns: str, ports: list[list], label: str,
          env: dict[str, str] | None = None) -> tuple[subprocess.Popen, ProcessRecord]:
    """Start ``argv`` (a lab process that prints ``ready``) without waiting for it.

    ``env`` adds variables to the child's environment.

    The process gets its own session so it outlives the command that started
    it; ``ip netns exec`` execs in place, so the PID is the process's own.
    """
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                env={**child_environment(), **(env or {})},
                                start_new_session=True)
    except OSError as exc:
        raise RuntimeProblem(f"{label}: {exc}") from exc
    # The start time does not change across exec: it identifies the process.
    record = ProcessRecord(node, ns, ports, proc.pid, starttime(proc.pid) or 0, argv)
    return proc, record


def wait_ready(proc: subprocess.Popen, record: ProcessRecord) -> None:
    """Read the child's first line; stop it and raise RuntimeProblem unless ``ready``."""
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    text = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in text and time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            text += chunk
    proc.stdout.close()
    first = text.split(b"\n", 1)[0].decode(errors="replace").strip()
    if first == "ready":
        return
    stop(record)
    rest = " ".join(text.decode(errors="replace").split())[-300:]
    what = "delay line" if DELAYLINE_MODULE in record.argv else "services"
    raise RuntimeProblem(f"{what} on {record.node} did not start: {rest or 'no answer'}")


def _ended(record: ProcessRecord, seconds: float) -> bool:
    """Reap and look until the recorded process is gone (True) or ``seconds`` passed."""
    deadline = time.monotonic() + seconds
    while True:
        _reap(record.pid)
        if not is_running(record):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def stop(record: ProcessRecord, grace: float = STOP_GRACE) -> bool:
    """Stop the recorded process (TERM, then KILL); False if it was not running."""
    if not is_running(record):
        _reap(record.pid)
        return False
    # Bounded: a killed process is gone within moments.
    for sig, seconds in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        try:
            os.kill(record.pid, sig)
        except ProcessLookupError:
            return True
        if _ended(record, seconds):
            break
    return True


def namespace_inode(ns: str) -> int | None:
    """The inode identifying namespace ``ns``, or None when it does not exist."""
    try:
        return os.stat(NETNS_DIR / ns).st_ino
    except OSError:
        return None


def processes_in(namespaces: list[str]) -> dict[str, list[int]]:
    """PIDs of every live process inside each of ``namespaces`` (one /proc pass)."""
    inodes = {}
    for ns in namespaces:
        inode = namespace_inode(ns)
        if inode is not None:
            inodes[inode] = ns
    found: dict[str, list[int]] = {ns: [] for ns in inodes.values()}
    if not inodes:
        return found
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            inode = os.stat(f"/proc/{entry.name}/ns/net").st_ino
        except OSError:
            continue
        if inode in inodes and is_alive(int(entry.name)):
            found[inodes[inode]].append(int(entry.name))
    return found


def is_ours(pid: int, lab: str) -> bool:
    """True when ``pid`` is a process lab ``lab`` started (by its command line)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [word.decode(errors="replace") for word in argv]
    return any(module in words for module in LAB_MODULES) and "--lab" in words and \
        words[words.index("--lab") + 1: words.index("--lab") + 2] == [lab]


def adopt(pid: int, ns: str) -> ProcessRecord | None:
    """A record for a running process found in the lab (to stop it by PID)."""
    begun = starttime(pid)
    if begun is None:
        return None
    return ProcessRecord("?", ns, [], pid, begun, [])
