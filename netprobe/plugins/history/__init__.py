"""``netprobe history``: scans recorded with ``--db FILE`` in SQLite; list, show, diff, prune.

Entry point (group ``netprobe.plugins``): ``history = netprobe.plugins.history:plugin``.
The probing plugins record through ``netprobe.services.history`` (its ``recorder``:
``db_option``, ``recording``, ``record_run``, ``run_lock``), whose ``store`` owns
the database and ``diff`` compares two runs with pure functions; this package
holds the subcommand (``commands``, ``filters``, ``pick``, ``render``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click

    from netprobe.services.plugin_record import Plugin

__all__ = ["command", "plugin"]


def __getattr__(name: str) -> click.Command | Plugin:
    """``command`` on first use: a probing plugin imports ``recorder`` through this
    package, and must not pay for the history commands when it records nothing."""
    if name == "command":
        from netprobe.plugins.history.commands import command

        return command
    if name == "plugin":  # the plugin record (entry point ``netprobe.plugins``)
        from netprobe.services.plugin_record import Plugin

        return Plugin(command=__getattr__("command"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
