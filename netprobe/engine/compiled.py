"""The engine's compiled batch operations (``_batch.c``), or None where they are absent.

The C module is built at install time when a compiler is there. Each of its
functions does in one call, for a whole batch, what the per-packet Python path
does one packet at a time, and the tests hold them to the same bytes:

- ``stamp``: the probes of a packet set (``template.ProbeTemplate``), each
  exactly the packet the layers build for that member of the set;
- ``ipv4_keys``: their hash keys and strict keys (``fastpath.key_of``,
  ``strictkeys.probe_key``);
- ``answer_keys``: the strict key of every captured packet of a batch
  (``strictkeys.answer_key``).

Where it is None the engine takes that per-packet path: probes are built one by
one with the layers, answers keyed one by one; slower, the same answers.
``NETPROBE_PURE=1`` in the environment makes it None on purpose (to measure or
test that path).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """The compiled module ``name``, or None when it was not built or ``NETPROBE_PURE``
    is set (the caller then takes its pure-Python path)."""
    if os.environ.get("NETPROBE_PURE", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


#: ``netprobe.engine._batch`` (stamp, ipv4_keys, answer_keys), or None: per packet in Python
batch = load("netprobe.engine._batch")
