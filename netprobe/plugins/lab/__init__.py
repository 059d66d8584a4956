"""``netprobe lab``: a disposable practice network built from network namespaces.

Entry point (group ``netprobe.plugins``): ``lab = netprobe.plugins.lab:plugin``.
The topology (``topology.py``) is the single source of truth; ``lab status
--json`` publishes what probes must find there (``truth.py``).

``command`` is imported on first use, so the processes the lab runs inside its
namespaces (``services``, ``delayline``) start without loading click.
"""

__all__ = ["command", "plugin"]


def __getattr__(name: str):
    if name == "command":
        from netprobe.plugins.lab.commands import command
        return command
    if name == "plugin":  # the plugin record (entry point ``netprobe.plugins``)
        from netprobe.services.plugin_record import Plugin

        return Plugin(command=__getattr__("command"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
