"""Run build steps: every step of a phase at once, phases one after another."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from netprobe.errors import RuntimeProblem
from netprobe.plugins.lab.build import Step

STEP_TIMEOUT = 20.0


def _detail(stderr: str, status: int) -> str:
    """What a failed command said, on one line (its exit status when it said nothing)."""
    return " ".join(stderr.split())[:300] or f"exit status {status}"


def run_phase(steps: Sequence[Step], timeout: float = STEP_TIMEOUT) -> None:
    """Run ``steps`` in parallel; raise RuntimeProblem naming the first that failed.

    Every started process is waited for (or killed at the timeout) before
    this returns or raises, so no command outlives the phase.
    """
    running = []
    failures: list[str] = []
    try:
        for step in steps:
            try:
                proc = subprocess.Popen(step.argv, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
            except OSError as exc:
                raise RuntimeProblem(f"{step.label}: {exc}") from exc
            running.append((step, proc))
        for step, proc in running:
            try:
                _, err = proc.communicate(step.stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                failures.append(f"{step.label}: no answer after {timeout:.0f} s")
                continue
            if proc.returncode != 0:
                failures.append(f"{step.label}: {_detail(err, proc.returncode)}")
    finally:
        for _, proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if failures:
        raise RuntimeProblem(failures[0])


def run_plan(phases: Sequence[Sequence[Step]]) -> None:
    """Run the phases of a plan in order, stopping at the first failure."""
    for phase in phases:
        run_phase(phase)


def run_quietly(phases: Sequence[Sequence[Step]]) -> None:
    """Run every phase, going on after failures (repairing what can be repaired)."""
    for phase in phases:
        try:
            run_phase(phase)
        except RuntimeProblem:
            pass


def output(argv: Sequence[str], timeout: float = STEP_TIMEOUT) -> str:
    """Run one command and return its standard output; RuntimeProblem if it fails."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeProblem(f"{argv[0]}: {exc}") from exc
    if done.returncode != 0:
        raise RuntimeProblem(f"{' '.join(argv[:5])}: {_detail(done.stderr, done.returncode)}")
    return done.stdout
