"""The plugin contract: what a subcommand declares to netprobe, built in or third-party.

A plugin registers one entry point in the group ``netprobe.plugins``; its value
names a :class:`Plugin` record (``"mypkg:plugin"``)::

    from netprobe.services.plugin_record import Plugin, deferred

    plugin = Plugin(
        command=command,                                 # the click command
        report=deferred("mypkg.interpret:report"),       # saved run -> records
        render=deferred("mypkg.interpret:render"),       # records -> terminal
        history_kind="mypkg",                            # --db runs are filed under it
    )

From the record netprobe knows everything it does for the plugin: the root
command runs ``command``; ``netprobe interpret RUN.pcapng`` runs ``report`` (and
``render`` on a terminal) on a run the plugin saved with
``netprobe.engine.runfile.save_run(..., plugin=NAME)``; ``netprobe history show``
prints the records of a run recorded under ``history_kind`` with ``render``.
An entry point that names a bare click command still works: it is a plugin
with a command only.

``deferred`` keeps start-up fast: the interpretation module is imported when
it is first called, not when the record is read (``netprobe --help`` imports
no plugin at all, and ``netprobe portscan`` does not import the history
commands).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from netprobe.services.json_value import JSONRecord, JSONValue

if TYPE_CHECKING:
    import click

    from netprobe.engine.runfile import SavedRun
    from netprobe.services.output import Output

__all__ = ["PLUGIN_GROUP", "Plugin", "Render", "Report", "deferred"]

PLUGIN_GROUP = "netprobe.plugins"
"""Entry-point group under which subcommands register their :class:`Plugin` record."""

Record = JSONRecord
"""One JSON Lines record (a finding, a summary), keys in the order they are printed."""


class Report(Protocol):
    """A plugin's interpretation: a saved run and option overrides -> its records.

    A pure function of its arguments (no network, no clock): the live command
    calls it on an in-memory run, ``netprobe interpret`` on a run read back
    from a file, and both print the same records.
    """

    def __call__(self, saved: SavedRun, overrides: Mapping[str, JSONValue], /) -> Iterable[Record]:
        """The records of ``saved``, interpreted with ``overrides`` (e.g. ``timeout``)."""
        ...


class Render(Protocol):
    """A plugin's terminal face: print records as the live command does (tables, lines)."""

    def __call__(self, records: Sequence[Record], output: Output, /) -> None:
        """Print ``records`` through ``output`` (only called when output is not JSON)."""
        ...


class Plugin:
    """A subcommand's declaration: its click command, interpretation and history kind.

    ``report`` is None for a plugin that saves no runs (``read``, ``flows``);
    ``render`` None for one whose records print as a generic table;
    ``history_kind`` None for one that records nothing in a history database.
    (A plain class: defining a dataclass would cost ``netprobe --help`` about a millisecond.)
    """

    __slots__ = ("command", "history_kind", "render", "report")

    def __init__(self, command: click.Command, report: Report | None = None,
                 render: Render | None = None, history_kind: str | None = None) -> None:
        self.command = command
        self.report = report
        self.render = render
        self.history_kind = history_kind

    @property
    def name(self) -> str:
        """The command's own name (the entry point's name is the subcommand's)."""
        return str(self.command.name)

    def __repr__(self) -> str:
        return (f"Plugin(command={self.name!r}, report={self.report!r}, "
                f"render={self.render!r}, history_kind={self.history_kind!r})")


class _Deferred:
    """A function imported on its first call (see :func:`deferred`)."""

    __slots__ = ("_function", "target")

    def __init__(self, target: str) -> None:
        module, sep, name = target.partition(":")
        if not sep or not module or not name:
            raise ValueError(f"deferred({target!r}): give 'module:function'")
        self.target = target
        self._function: Callable[..., object] | None = None

    def resolve(self) -> Callable[..., object]:
        """Import the module and return the function (once)."""
        if self._function is None:
            module, _, name = self.target.partition(":")
            self._function = getattr(importlib.import_module(module), name)
        return self._function

    def __call__(self, *args: object, **kwargs: object) -> object:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"deferred({self.target!r})"


def deferred(target: str) -> Any:
    """The function ``"module:name"``, imported when first called.

    Typed ``Any`` so that it stands for a :class:`Report` or a :class:`Render`
    in a record; raises ``ValueError`` at once for a target without ``:``.
    """
    return _Deferred(target)
