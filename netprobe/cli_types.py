"""Option types every subcommand shares, and the plain words that describe them.

A service of the plugins' floor: a plugin declares ``type=Duration()`` for
any time option, so ``500ms``, ``2s``, ``5m``, ``1h`` and a plain number of
seconds mean the same everywhere. ``accepts`` turns any click type into the
plain words the one-line usage error uses ("a whole number of at least 1",
never click's ``x>=1``). Imports only click and the standard library: the
root command uses it on every error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, bare: str = "s") -> float | None:
    """``90``, ``1.5s``, ``250ms``, ``30m``, ``2h`` as seconds; None when not a duration.

    A number without a unit is in ``bare`` units (seconds unless said otherwise).
    """
    match = _DURATION.match(text)
    if not match:
        return None
    return float(match.group(1)) * _UNITS[match.group(2) or bare]


class Duration(click.ParamType):
    """A length of time: a number with ``ms``, ``s``, ``m`` or ``h``; a bare number is seconds.

    ``minimum``/``maximum`` bound the value in seconds (``min_open``: it must
    be larger than ``minimum``); the option receives seconds as a float. An
    option whose old bare numbers were milliseconds says ``bare="ms"``.
    """

    name = "duration"

    def __init__(self, minimum: float = 0.0, min_open: bool = True,
                 maximum: float | None = None, bare: str = "s") -> None:
        self.minimum = minimum
        self.min_open = min_open
        self.maximum = maximum
        self.bare = bare

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """DURATION in help, unless the option names its own metavar."""
        return "DURATION"

    def describe(self) -> str:
        """What the option accepts, in plain words."""
        bound = "more than" if self.min_open else "at least"
        words = f"a duration {bound} {self.minimum:g}s"
        if self.maximum is not None:
            words += f" and at most {self.maximum:g}s"
        plain = {"s": "seconds", "ms": "milliseconds"}.get(self.bare, self.bare)
        return f"{words} (500ms, 2s, 5m, 1h; a plain number is {plain})"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        """Seconds, or click's failure with the plain words of ``describe``."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds: float | None = float(value) * _UNITS[self.bare]
        else:
            seconds = parse_duration(str(value), self.bare)
        if (seconds is None or seconds < self.minimum
                or (self.min_open and seconds == self.minimum)
                or (self.maximum is not None and seconds > self.maximum)):
            self.fail(f"{value!r} is not {self.describe()}", param, ctx)
        return seconds  # type: ignore[return-value]


class AliasedOption(click.Option):
    """An option whose old spellings still parse but are left out of ``--help``.

    ``@click.option("-i", "--iface", "-I", "--interface", cls=AliasedOption,
    hidden_names=("-I", "--interface"))``: one option, one value, and the help
    (and the vocabulary test) shows only the names of the vocabulary.
    """

    def __init__(self, *args: Any, hidden_names: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_names = tuple(hidden_names)

    @property
    def visible_opts(self) -> list[str]:
        """The names ``--help`` shows."""
        return [name for name in self.opts if name not in self.hidden_names]

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """click's help line, written with the visible names only."""
        kept = self.opts
        self.opts = self.visible_opts or kept
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = kept


def option(name: str, dest: str, *, old: tuple[str, ...] = (), **kwargs: Any
           ) -> Callable[[F], F]:
    """The vocabulary's option spelt ``name`` (``cli_vocabulary.WORDS``), carried by ``dest``.

    Its names and metavar (or, for a word that takes no value, being a flag)
    are the vocabulary's, so every subcommand spells it alike; ``old``
    spellings still parse but stay out of ``--help``. Help, type and default
    are the subcommand's own (``kwargs``, as ``click.option`` takes them).
    """
    from netprobe.cli_vocabulary import WORDS

    word = next((w for w in WORDS if name in w.names), None)
    if word is None:
        raise ValueError(f"{name} is not an option of the vocabulary (cli_vocabulary.WORDS)")
    if word.accepts:
        kwargs.setdefault("metavar", word.accepts)
    elif not kwargs.get("count") and "flag_value" not in kwargs:
        kwargs.setdefault("is_flag", True)
    return click.option(*word.names, *old, dest, cls=AliasedOption, hidden_names=old, **kwargs)


def json_option(what: str = "JSON Lines") -> Callable[[F], F]:
    """``--json/--no-json`` (parameter ``as_json``; None: as the root command decided)."""
    return click.option("--json/--no-json", "as_json", default=None,
                        help=f"{what} (the default on a pipe).")


def _bounds(kind: str, low: Any, high: Any, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None and not (low_open or high_open):
        return f"{kind} from {low:g} to {high:g}"
    words = []
    if low is not None:
        words.append(f"{'greater than' if low_open else 'at least'} {low:g}")
    if high is not None:
        words.append(f"{'less than' if high_open else 'at most'} {high:g}")
    if not words:
        return kind
    first = f"of {words[0]}" if words[0].startswith("at ") else words[0]
    return " ".join((kind, first, *(f"and {w}" for w in words[1:])))


def accepts(kind: click.ParamType) -> str | None:
    """Plain words for what values of ``kind`` an option accepts (None: nothing to add)."""
    describe = getattr(kind, "describe", None)
    if callable(describe):
        return str(describe())
    if isinstance(kind, click.IntRange):
        return _bounds("a whole number", kind.min, kind.max, kind.min_open, kind.max_open)
    if isinstance(kind, click.FloatRange):
        return _bounds("a number", kind.min, kind.max, kind.min_open, kind.max_open)
    if isinstance(kind, click.Choice):
        return "one of " + ", ".join(str(c) for c in kind.choices)
    if isinstance(kind, click.Path):
        if kind.exists and not kind.dir_okay:
            return "an existing file"
        if kind.exists:
            return "an existing path"
        return None
    simple = {"integer": "a whole number", "float": "a number", "boolean": "true or false",
              "uuid": "a UUID"}
    return simple.get(getattr(kind, "name", ""))


__all__ = ["AliasedOption", "Duration", "Suggest", "accepts", "json_option", "option",
           "packet_view_options", "parse_duration"]


class Suggest(click.types.StringParamType):
    """Free text, with values shell completion offers (a tuple, or a function giving one).

    For options that accept more than a fixed list (``interpret --as`` takes
    plugin names too): ``click.Choice`` would refuse the others.
    """

    def __init__(self, values: tuple[str, ...] | Callable[[], tuple[str, ...]]) -> None:
        self._values = values

    @property
    def suggestions(self) -> tuple[str, ...]:
        """The values to offer (computed on first use when given as a function)."""
        values = self._values
        return tuple(values() if callable(values) else values)


def packet_view_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """tcpdump's display options, shared by ``read`` and ``sniff``: -n, -e, -X/-XX,
    -t..-ttttt and --json/--no-json (parameters numeric, link, hexdump, tstamp, as_json)."""
    options = [
        option("-n", "numeric",
               help="Numeric addresses (always so: netprobe never looks names up)."),
        option("-e", "link", help="Print the link-level header on each line."),
        option("-X", "hexdump", count=True,
               help="Print each packet in hex and ASCII after its line; -XX with its "
                    "link-level header."),
        option("-t", "tstamp", count=True,
               help="Time format, as tcpdump: none (-t), seconds since the epoch (-tt), "
                    "delta since the previous packet (-ttt), date and time (-tttt), "
                    "delta since the first (-ttttt); default: time of day."),
        json_option("JSON Lines, one object per packet"),
    ]
    for decorate in reversed(options):
        function = decorate(function)
    return function
