"""The engine's compiled batch operations (``_batch.c``), or None where they are absent.

The C module is built at install time when a compiler is there; every function
in it has a numpy twin that gives the same answer, used when this is None.
``NETPROBE_PURE=1`` in the environment makes it None on purpose (to measure
or test the twins).
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("NETPROBE_PURE", "") not in ("", "0"):
        return None
    try:
        from netprobe.engine import _batch
    except ImportError:
        return None
    return _batch


#: ``netprobe.engine._batch`` (stamp, ipv4_keys, answer_keys), or None: use the twins
batch = _load()
