"""``netprobe history``: scans recorded with ``--db FILE`` in SQLite; list, show, diff, prune.

Entry point (group ``netprobe.plugins``): ``history = netprobe.plugins.history:plugin``.
The probing plugins record through ``netprobe.services.history`` (its ``recorder``:
``db_option``, ``recording``, ``record_run``, ``run_lock``), whose ``store`` owns
the database and ``diff`` compares two runs with pure functions; this package
holds the subcommand (``commands``, ``filters``, ``pick``, ``render``).
"""

from netprobe.plugins.history.commands import command
from netprobe.services.plugin_record import Plugin

__all__ = ["command", "plugin"]

#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command)
