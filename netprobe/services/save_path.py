"""``--save RUN.pcapng``: refuse a path that could not be written, before anything is sent."""

from __future__ import annotations

import os

from netprobe.errors import UsageError


def check_save_path(path: str) -> None:
    """UsageError (exit 2, a bad argument) when the run could not be saved at ``path``.

    The run file is written when the probing ends; a path in a missing or
    read-only directory, or naming a directory, is refused at the start so
    that no probe is sent for a run that would be lost.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--save {path}: no directory {folder}")
    if os.path.isdir(path):
        raise UsageError(f"--save {path}: is a directory")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--save {path}: directory {folder} is not writable")


__all__ = ["check_save_path"]
