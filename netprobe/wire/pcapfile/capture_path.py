"""Where a capture file is: a path (``"-"`` for the standard stream) or a file object."""

from __future__ import annotations

import os
from typing import BinaryIO

from netprobe.errors import UsageError

CaptureTarget = str | os.PathLike | BinaryIO


def capture_path(target: CaptureTarget, method: str) -> tuple[str, BinaryIO | None]:
    """The path a capture file is known by, and the file object when it is one.

    A path (``str`` or ``os.PathLike``, bytes decoded) comes back as text
    with None; ``"-"`` too, the caller choosing stdin or stdout.  An object
    with a ``method`` (``"read"`` or ``"write"``) comes back with its name, or
    ``"<stream>"``.  Anything else is refused with :class:`UsageError`.
    """
    if isinstance(target, (str, os.PathLike)):
        path = os.fspath(target)
        return (os.fsdecode(path) if isinstance(path, bytes) else path), None
    if hasattr(target, method):
        name = getattr(target, "name", None)
        return (name if isinstance(name, str) else "<stream>"), target
    raise UsageError(f"not a path or a binary file object: {target!r}")
