"""``netprobe lab``: a disposable practice network built from network namespaces.

Entry point (group ``netprobe.plugins``): ``lab = netprobe.plugins.lab:command``.
The topology (``topology.py``) is the single source of truth; ``lab status
--json`` publishes what probes must find there (``truth.py``).
"""

from netprobe.plugins.lab.commands import command

__all__ = ["command"]
