"""``netprobe portscan --scheduler``: a Dask scheduler and two workers started inside the
practice lab's scanner namespace (on 127.0.0.1) must give the same port states as the
single-machine scan, also when a worker is killed mid-scan; an unreachable scheduler and a
worker without privileges end in one clear line.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.plugins.lab import processes

pytestmark = pytest.mark.lab

DASK = str(Path(sys.executable).parent / "dask")
LAN_HOSTS = "198.18.1.11-16"
_ports = itertools.count()


def _port() -> int:
    """A scheduler port for this test (the namespace is shared by the session's tests)."""
    return 21000 + (os.getpid() % 2000) * 4 + next(_ports) % 4


def _start(lab: LabHandle, argv: list[str], log: Path,
           prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    # `ip netns exec` execs the command: the pid is the dask process's own
    with open(log, "wb") as out:
        return subprocess.Popen(["ip", "netns", "exec", lab.scanner_ns, *prefix, *argv],
                                stdout=out, stderr=subprocess.STDOUT,
                                env=processes.child_environment(), start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _wait_for_workers(lab: LabHandle, address: str, n: int) -> None:
    code = ("from distributed import Client\n"
            f"c = Client({address!r}, timeout=30)\n"
            f"c.wait_for_workers({n}, timeout=60)\nc.close()\n")
    done = lab.python(code, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]


@contextlib.contextmanager
def dask_cluster(lab: LabHandle, tmp_path: Path, workers: int = 2,
                 worker_prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, list]]:
    """A scheduler and ``workers`` single-threaded workers (no nanny: one pid each)."""
    port = _port()
    address = f"tcp://127.0.0.1:{port}"
    started: list[subprocess.Popen] = []
    try:
        started.append(_start(lab, [DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                    str(port), "--no-dashboard"], tmp_path / "scheduler.log"))
        for i in range(workers):
            started.append(_start(lab, [DASK, "worker", address, "--nthreads", "1",
                                        "--no-nanny", "--no-dashboard"],
                                  tmp_path / f"worker{i}.log", worker_prefix))
        _wait_for_workers(lab, address, workers)
        yield address, started[1:]
    finally:
        for proc in started:
            _stop(proc)


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def port_states(recs: list[dict]) -> dict[tuple[str, str, int], tuple[str, str]]:
    ports = [(r["host"], r["proto"], r["port"]) for r in recs if r["type"] == "port"]
    assert len(ports) == len(set(ports)), "a port appears twice"
    return {(r["host"], r["proto"], r["port"]): (r["state"], r["reason"])
            for r in recs if r["type"] == "port"}


def single_scan(lab: LabHandle, *args: str) -> list[dict]:
    done = lab.netprobe("portscan", *args, "--all-states", "--json", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return records(done.stdout)


def check_same(distributed: list[dict], single: list[dict], lab: LabHandle,
               hosts: int, ports: int) -> None:
    got, want = port_states(distributed), port_states(single)
    assert len(got) == hosts * ports
    assert got == want
    host_states = {r["host"]: (r["state"], r["reason"], r["ports"]) for r in distributed
                   if r["type"] == "host"}
    assert host_states == {r["host"]: (r["state"], r["reason"], r["ports"]) for r in single
                           if r["type"] == "host"}
    summary = distributed[-1]
    assert summary["type"] == "summary" and summary["hosts"] == {"up": hosts, "down": 0}
    assert summary["ports"] == single[-1]["ports"]
    # and the lab's own description agrees
    book = {h["ipv4"]: h["name"] for h in lab.truth["hosts"]}
    for (host, proto, port), state in got.items():
        assert state == lab.expected(book[host], proto, port), (host, port)


def test_distributed_scan_equals_the_single_machine_scan(lab, tmp_path):
    args = (LAN_HOSTS, "-sS", "-p", "1-1024,3306,8080,8443", "--seed", "11")
    db, run = tmp_path / "history.db", tmp_path / "run.pcapng"
    with dask_cluster(lab, tmp_path) as (address, _workers):
        done = lab.netprobe("portscan", *args, "--all-states", "--json", "--scheduler",
                            address, "--tasks", "3", "--db", str(db), "--save", str(run),
                            timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        distributed = records(done.stdout)
    check_same(distributed, single_scan(lab, *args), lab, hosts=6, ports=1027)
    # one saved run that reprints the same records, and one history run
    again = lab.netprobe("interpret", str(run), "--json")
    assert again.returncode == 0, again.stderr[-2000:]
    assert records(again.stdout) == distributed
    listed = lab.netprobe("history", "--db", str(db), "list", "--json")
    runs = records(listed.stdout)
    assert len(runs) == 1 and runs[0]["summary"] == distributed[-1] and not runs[0]["partial"]


def test_a_worker_killed_mid_scan_loses_nothing_and_doubles_nothing(lab, tmp_path):
    # slow enough (each of 4 tasks ~1,500 probes at 250 pps) to kill a worker mid-task
    args = (LAN_HOSTS, "-sS", "-p", "1-1000", "--seed", "5", "--max-rate", "250")
    with dask_cluster(lab, tmp_path) as (address, workers):
        scan = _start(lab, [sys.executable, "-m", "netprobe", "portscan", *args,
                            "--all-states", "--json", "--scheduler", address, "--tasks", "4"],
                      tmp_path / "scan.out")
        try:
            time.sleep(4.0)
            assert scan.poll() is None, "the scan ended before a worker could be killed"
            os.kill(workers[0].pid, signal.SIGKILL)
            scan.wait(timeout=240)
        finally:
            _stop(scan)
        assert workers[0].wait(timeout=10) == -signal.SIGKILL
        assert scan.returncode == 0, (tmp_path / "scan.out").read_text()[-2000:]
        distributed = records((tmp_path / "scan.out").read_text())
    single = single_scan(lab, LAN_HOSTS, "-sS", "-p", "1-1000", "--seed", "5")
    check_same(distributed, single, lab, hosts=6, ports=1000)


def test_an_unreachable_scheduler_is_one_line_and_exit_4(lab):
    done = lab.netprobe("portscan", "198.18.1.11", "-p", "22", "--scheduler",
                        f"tcp://127.0.0.1:{_port()}", timeout=120)
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler" in lines[0]
    assert done.stdout == ""


def test_a_worker_without_privileges_is_one_line(lab, tmp_path):
    # a root worker without CAP_NET_RAW cannot open raw sockets
    drop = ("setpriv", "--bounding-set", "-net_raw,-net_admin", "--inh-caps", "-all")
    with dask_cluster(lab, tmp_path, workers=1, worker_prefix=drop) as (address, _workers):
        done = lab.netprobe("portscan", "198.18.1.11", "-sS", "-Pn", "-p", "22,80",
                            "--scheduler", address, timeout=120)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].count("worker ") and "raw" in lines[0].lower()
