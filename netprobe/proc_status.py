"""One field of ``/proc/self/status``: what Linux says about this process.

Read by several floors (the umask for new capture files, the capabilities for
raw sockets, the peak memory for ``--debug``), so it lives in the basement and
imports nothing of netprobe.
"""

from __future__ import annotations


def proc_status(key: str) -> str | None:
    """The first word after ``key:`` in ``/proc/self/status`` (``"0022"`` for
    ``Umask``), or None when the file or the field cannot be read."""
    prefix = key + ":"
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(prefix):
                    words = line.split()
                    return words[1] if len(words) > 1 else None
    except (OSError, ValueError):
        pass
    return None
