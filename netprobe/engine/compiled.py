"""The engine's compiled batch operations (``_batch.c``), or None where they are absent.

The C module is built at install time when a compiler is there; every function
in it has a numpy twin that gives the same answer, used when this is None.
``NETPROBE_PURE=1`` in the environment makes it None on purpose (to measure
or test the twins).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The compiled module ``name``, or None when it was not built or ``NETPROBE_PURE``
    is set (the caller then uses its Python twin)."""
    if os.environ.get("NETPROBE_PURE", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


#: ``netprobe.engine._batch`` (stamp, ipv4_keys, answer_keys), or None: use the twins
batch = load("netprobe.engine._batch")
