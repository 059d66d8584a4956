"""The history service: a database of runs and their findings, shared by every plugin.

A probing plugin records with ``recorder`` (``db_option``, ``make_scan_key``,
``recording``; ``lock`` keeps two runs of one scan apart); ``store`` owns the
SQLite database; ``records`` reads the few fields history needs from a
plugin's records; ``diff`` compares the records of two runs (pure functions,
also used by ``portscan --diff``). The ``netprobe history`` subcommand
(``netprobe.plugins.history``) lists, shows, compares and prunes what is stored.

Nothing is imported here: a probing job without ``--db`` must not pay for
SQLite.
"""
