"""Floor 4: one subcommand per module or package, each declaring a plugin record.

Every plugin here registers ``netprobe.services.plugin_record.Plugin`` under the
entry-point group ``netprobe.plugins`` (``pyproject.toml``), as third-party
plugins do. A plugin imports the services floor and what lies under it, never
another plugin (``tests/test_floors.py``). Nothing is imported here.
"""
