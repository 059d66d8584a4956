"""Finding installed plugins by their records (``netprobe.plugins`` entry points).

Names come from the distributions' ``entry_points.txt`` files without importing
anything (``netprobe.entry_index``); a record is loaded (its plugin imported)
only when asked for by name, or when a question needs every record (which
plugins interpret saved runs, which one files history runs under a kind).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from netprobe.errors import RuntimeProblem
from netprobe.services.plugin_record import PLUGIN_GROUP, Plugin

if TYPE_CHECKING:
    from netprobe.entry_index import IndexedEntryPoint

__all__ = ["PluginLoadError", "as_plugin", "history_plugin", "interpreting_plugins",
           "load_plugin", "plugin_entry_points"]


class PluginLoadError(RuntimeProblem):
    """A subcommand's plugin could not be imported or is not a plugin record (exit 4)."""


#: the last scan of the installed distributions, for the ``sys.path`` it was made on
_scanned: tuple[tuple[str, ...], dict[str, IndexedEntryPoint]] | None = None


def plugin_entry_points() -> dict[str, IndexedEntryPoint]:
    """Entry points by subcommand name; the first registration of a name wins.

    The distributions are read once per ``sys.path`` (a process installs no
    plugin while it runs).
    """
    global _scanned
    key = tuple(sys.path)
    if _scanned is None or _scanned[0] != key:
        from netprobe.entry_index import entry_points

        found: dict[str, IndexedEntryPoint] = {}
        for entry_point in entry_points(PLUGIN_GROUP):
            found.setdefault(entry_point.name, entry_point)
        _scanned = (key, found)
    return dict(_scanned[1])


def as_plugin(loaded: object) -> Plugin:
    """What an entry point named, as a record: a :class:`Plugin`, or a bare click
    command (a plugin with a command only). Raises ``TypeError`` for anything else."""
    import click

    if isinstance(loaded, Plugin):
        return loaded
    if isinstance(loaded, click.Command):
        return Plugin(command=loaded)
    raise TypeError(f"{type(loaded).__name__} object is not a click command nor a "
                    f"netprobe Plugin record")


def load_plugin(name: str) -> Plugin | None:
    """The record of subcommand ``name``, or None when no plugin has that name.

    Raises :class:`PluginLoadError` (chained to the cause) when it cannot be loaded.
    """
    entry_point = plugin_entry_points().get(name)
    return None if entry_point is None else _load(name, entry_point)


def _load(name: str, entry_point: IndexedEntryPoint) -> Plugin:
    try:
        return as_plugin(entry_point.load())
    except Exception as exc:
        raise PluginLoadError(f"plugin {name!r} cannot be loaded from {entry_point.value} "
                              f"({type(exc).__name__}: {exc})") from exc


def _loadable() -> dict[str, Plugin]:
    """Every record that loads, by subcommand name (broken plugins are left out)."""
    records: dict[str, Plugin] = {}
    for name, entry_point in plugin_entry_points().items():
        try:
            records[name] = _load(name, entry_point)
        except PluginLoadError:
            continue
    return records


def interpreting_plugins() -> tuple[str, ...]:
    """Names of the plugins whose saved runs ``netprobe interpret`` can read (sorted).

    Imports every plugin's package (not its interpretation): for completion and
    error messages, not for the hot path.
    """
    return tuple(sorted(name for name, record in _loadable().items()
                        if record.report is not None))


def history_plugin(kind: str) -> Plugin | None:
    """The record of the plugin that files its history runs under ``kind``, or None.

    The plugin named ``kind`` is tried first (the usual case), then the others.
    """
    try:
        first = load_plugin(kind)
    except PluginLoadError:
        first = None
    if first is not None and first.history_kind == kind:
        return first
    for record in _loadable().values():
        if record.history_kind == kind:
            return record
    return None
