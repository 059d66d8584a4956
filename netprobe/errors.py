"""Errors that end a command, each with the exit code the CLI documents.

Every floor raises these; the face (``netprobe/cli.py``) turns them into one
line on stderr and the exit code, with a traceback only under ``--debug``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_RUNTIME = 4
EXIT_INTERRUPTED = 130


class NetprobeError(Exception):
    """Base class: a failure the user should read as one line."""

    exit_code = EXIT_RUNTIME


class UsageError(NetprobeError, ValueError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = EXIT_USAGE


class EnvironmentProblem(NetprobeError):
    """Missing privileges, tools or kernel features (exit 3)."""

    exit_code = EXIT_ENVIRONMENT


class RuntimeProblem(NetprobeError):
    """Something failed while working: a damaged file, a socket error (exit 4)."""

    exit_code = EXIT_RUNTIME


class ScopeError(UsageError):
    """A destination lies outside the allowed scope; nothing was sent (exit 2)."""


class CaptureFileError(RuntimeProblem):
    """A capture file is unreadable or damaged at a known offset."""

    def __init__(self, path: str, offset: int | None, message: str) -> None:
        self.path = path
        self.offset = offset
        self.message = message
        where = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"{path}{where}: {message}")
