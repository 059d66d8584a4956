"""Bringing a dead target back between minimisation steps.

Three ways, chosen by the options:

* ``--restart-cmd CMD``: run CMD (split like a shell would split it, but run
  without a shell), then wait until the monitors answer again. For the
  practice lab: ``--restart-cmd "netprobe lab restart-service h2 9999"``.
* no command, on a terminal: ask the user to restart the target and press
  Enter (``q`` then Enter gives up minimising).
* no command, no terminal: wait for the target to come back by itself (a
  supervised service), for at most ``--restart-wait`` seconds.

Either way the target counts as back only when every monitor answers,
within ``--restart-wait`` seconds.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from netprobe.errors import UsageError
from netprobe.services.output import is_terminal

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

#: seconds between two liveness checks while waiting for the target
POLL = 0.2


def parse_command(text: str | None) -> list[str] | None:
    """``--restart-cmd`` as an argument list (shell quoting rules, no shell)."""
    if text is None:
        return None
    try:
        argv = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"--restart-cmd {text!r}: {exc}") from None
    if not argv:
        raise UsageError("--restart-cmd is empty")
    return argv


@dataclass
class RestartOutcome:
    """How one restart went (JSON in the records: how, status, back, seconds)."""

    how: str                  # "command", "prompt" or "wait"
    back: bool                # every monitor answers again
    seconds: float
    status: int | None = None  # the command's exit status
    error: str | None = None  # why the command could not run, or its last error line

    def to_dict(self) -> JSONRecord:
        """JSON form."""
        d: JSONRecord = {"how": self.how, "back": self.back,
                             "seconds": round(self.seconds, 3)}
        if self.status is not None:
            d["status"] = self.status
        if self.error:
            d["error"] = self.error
        return d


class Restarter:
    """Restarts the target and waits until ``is_alive()`` says it answers."""

    def __init__(self, command: list[str] | None, wait: float,
                 is_alive: Callable[[], bool], *, interactive: bool | None = None,
                 prompt_in: TextIO | None = None, prompt_out: TextIO | None = None) -> None:
        self.command = command
        self.wait = wait
        self.is_alive = is_alive
        self.prompt_in = prompt_in or sys.stdin
        self.prompt_out = prompt_out or sys.stderr
        if interactive is None:
            interactive = is_terminal(self.prompt_in) and is_terminal(self.prompt_out)
        self.interactive = interactive

    def restart(self, note: JSONRecord | None = None) -> RestartOutcome:
        """Restart the target (as configured) and wait for it to answer.

        ``note``, when given, receives how the restart was done (and the
        command's exit status) before the waiting starts, so that the liveness
        checks made while waiting can carry it.
        """
        started = time.monotonic()
        status = None
        error = None
        if self.command is not None:
            how = "command"
            try:
                done = subprocess.run(self.command, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      timeout=max(self.wait, 1.0), check=False,
                                      env=os.environ.copy())
                status = done.returncode
                if status:
                    lines = done.stderr.decode(errors="replace").strip().splitlines()
                    error = lines[-1][:300] if lines else None
            except FileNotFoundError:
                status, error = 127, f"{self.command[0]}: command not found"
            except subprocess.TimeoutExpired:
                error = f"still running after {max(self.wait, 1.0):g} s"
            except OSError as exc:
                status, error = 126, f"{self.command[0]}: {exc.strerror or exc}"
            if status is None or status != 0:
                return RestartOutcome(how, False, time.monotonic() - started, status, error)
        elif self.interactive:
            how = "prompt"
            self.prompt_out.write("netprobe: the target stopped answering. Restart it, then "
                                  "press Enter (q and Enter: stop minimising): ")
            self.prompt_out.flush()
            reply = self.prompt_in.readline()
            if not reply or reply.strip().lower() in ("q", "quit"):
                return RestartOutcome(how, False, time.monotonic() - started)
        else:
            how = "wait"
        if note is not None:
            note["how"] = how
            if status is not None:
                note["status"] = status
        back = self._wait_alive(time.monotonic())
        return RestartOutcome(how, back, time.monotonic() - started, status, error)

    def _wait_alive(self, started: float) -> bool:
        deadline = started + self.wait
        while True:
            if self.is_alive():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
