"""``netprobe history``: scans recorded with ``--db FILE`` in SQLite; list, show, diff, prune.

Entry point (group ``netprobe.plugins``): ``history = netprobe.plugins.history:command``.
The probing plugins record through ``recorder.py`` (``db_option``,
``recording``, ``record_run``, ``run_lock``); ``store.py`` owns the database,
``diff.py`` compares two runs with pure functions.
"""

from netprobe.plugins.history.commands import command

__all__ = ["command"]
