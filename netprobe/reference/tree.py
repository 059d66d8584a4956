"""The command tree as plain data: what every renderer (bash, zsh, fish, man) reads.

Walking click objects once, here, keeps the renderers free of click details
and makes them testable on hand-built trees.
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import click

from netprobe.cli import UnavailablePlugin

ValueKind = str
"""How a value is completed: "file", "dir", "path", "choice" or "text"."""


class PluginLoadFailures(Exception):
    """One or more subcommands could not be loaded; the reference would be incomplete."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        listed = "; ".join(f"{name}: {reason}" for name, reason in sorted(failures.items()))
        super().__init__(f"cannot load {len(failures)} subcommand(s): {listed}")


@dataclass(frozen=True)
class ValueInfo:
    """The value an option or argument takes."""

    kind: ValueKind
    metavar: str
    choices: tuple[str, ...] = ()

    def completion(self, choices: Callable[[tuple[str, ...]], str],
                   by_kind: Mapping[ValueKind, str], default: str) -> str:
        """What a shell completes here: ``choices(...)`` of a choice list, else the
        shell's completion for the kind, else ``default`` (free text)."""
        if self.kind == "choice":
            return choices(self.choices)
        return by_kind.get(self.kind, default)


@dataclass(frozen=True)
class OptionInfo:
    """One option: its spellings, its help, and its value (None for a flag)."""

    flags: tuple[str, ...]
    negations: tuple[str, ...]
    help: str
    value: ValueInfo | None
    multiple: bool = False

    @property
    def all_flags(self) -> tuple[str, ...]:
        """Every spelling, the negations (``--no-json``) included."""
        return self.flags + self.negations


@dataclass(frozen=True)
class ArgumentInfo:
    """One positional argument."""

    value: ValueInfo
    variadic: bool
    required: bool


@dataclass(frozen=True)
class CommandInfo:
    """A command with its options, arguments and (for groups) subcommands."""

    path: tuple[str, ...]
    summary: str
    help: str
    usage: str
    options: tuple[OptionInfo, ...]
    arguments: tuple[ArgumentInfo, ...] = ()
    subcommands: tuple[CommandInfo, ...] = ()

    @property
    def name(self) -> str:
        """The command as typed: ``netprobe lab up``."""
        return " ".join(("netprobe", *self.path))

    @property
    def is_group(self) -> bool:
        """Whether the command has subcommands."""
        return bool(self.subcommands)

    def walk(self) -> list[CommandInfo]:
        """This command and all below it, depth first, in name order."""
        found = [self]
        for sub in self.subcommands:
            found.extend(sub.walk())
        return found


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` on one line (all of it if there is no full stop)."""
    line = " ".join(text.split())
    match = re.match(r"(.+?\.)(\s|$)", line)
    return match.group(1) if match else line


def _help_text(text: str | None) -> str:
    # click drops everything after a form feed from help output; so do we.
    return inspect.cleandoc(text or "").partition("\f")[0].strip()


def _choice_text(choice: object) -> str:
    return choice.name if isinstance(choice, enum.Enum) else str(choice)


def _value(param: click.Parameter, ctx: click.Context) -> ValueInfo:
    kind: ValueKind = "text"
    choices: tuple[str, ...] = ()
    ptype = param.type
    if isinstance(ptype, click.Choice):
        kind, choices = "choice", tuple(_choice_text(c) for c in ptype.choices)
    elif isinstance(ptype, click.File):
        kind = "file"
    elif isinstance(ptype, click.Path):
        if ptype.file_okay and not ptype.dir_okay:
            kind = "file"
        elif ptype.dir_okay and not ptype.file_okay:
            kind = "dir"
        else:
            kind = "path"
    suggestions = getattr(ptype, "suggestions", None)
    if kind == "text" and suggestions:
        kind, choices = "choice", tuple(suggestions)
    if isinstance(param, click.Argument):
        # Just the name: click's "[FILES]..." decoration is kept apart (variadic, required).
        metavar = param.metavar or (param.name or "ARG").upper()
    else:
        metavar = param.make_metavar(ctx)
    if kind == "text" and metavar == "IFACE":
        kind = "iface"  # the shell offers the machine's interfaces
    return ValueInfo(kind=kind, metavar=metavar, choices=choices)


def _option(opt: click.Option, ctx: click.Context) -> OptionInfo:
    takes_value = not opt.is_flag and not opt.count
    help_text = _help_text(opt.help)
    default = opt.default
    if opt.show_default and takes_value and default is not None and not callable(default):
        shown = opt.show_default if isinstance(opt.show_default, str) else default
        help_text = f"{help_text} [default: {shown}]".strip()
    return OptionInfo(
        # the vocabulary's names only: old spellings (AliasedOption) stay out of sight
        flags=tuple(getattr(opt, "visible_opts", None) or opt.opts),
        negations=tuple(opt.secondary_opts),
        help=help_text,
        value=_value(opt, ctx) if takes_value else None,
        multiple=bool(opt.multiple or opt.count),
    )


def describe(command: click.Command, path: tuple[str, ...] = (), parent: click.Context | None = None
             ) -> CommandInfo:
    """Describe ``command`` (invoked as ``netprobe *path``) and everything below it.

    Raises ``PluginLoadFailures`` when a subcommand cannot be loaded: a
    reference that silently lacks a command would be worse than none.
    """
    # No parsing and no callbacks: only what the help output would show.
    ctx = click.Context(command, info_name=path[-1] if path else "netprobe", parent=parent,
                        **command.context_settings)
    options = []
    arguments = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        if isinstance(param, click.Option):
            options.append(_option(param, ctx))
        elif isinstance(param, click.Argument):
            arguments.append(
                ArgumentInfo(
                    value=_value(param, ctx),
                    variadic=param.nargs == -1,
                    required=param.required,
                )
            )
    subcommands = []
    if isinstance(command, click.Group):
        failures: dict[str, str] = {}
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is None or isinstance(sub, UnavailablePlugin):
                failures[" ".join((*path, name))] = sub.reason if sub else "listed but not found"
                continue
            if sub.hidden:
                continue
            try:
                subcommands.append(describe(sub, (*path, name), ctx))
            except PluginLoadFailures as exc:
                failures.update(exc.failures)
        if failures:
            raise PluginLoadFailures(failures)
    usage = " ".join(("netprobe", *path, *command.collect_usage_pieces(ctx)))
    return CommandInfo(path=path, summary=command.get_short_help_str(limit=80),
                       help=_help_text(command.help), usage=usage, options=tuple(options),
                       arguments=tuple(arguments), subcommands=tuple(subcommands))


def netprobe_tree() -> CommandInfo:
    """The installed netprobe command tree, every plugin loaded."""
    from netprobe.cli import root

    return describe(root)
