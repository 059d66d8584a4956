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
from typing import Any

import click

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """``90``, ``1.5s``, ``250ms``, ``30m``, ``2h`` as seconds; None when not a duration."""
    match = _DURATION.match(text)
    if not match:
        return None
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


class Duration(click.ParamType):
    """A length of time: a number with ``ms``, ``s``, ``m`` or ``h``; a bare number is seconds.

    ``minimum`` is the smallest value allowed (``min_open``: the value must
    be larger than it); the option receives seconds as a float.
    """

    name = "duration"

    def __init__(self, minimum: float = 0.0, min_open: bool = True) -> None:
        self.minimum = minimum
        self.min_open = min_open

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """DURATION in help, unless the option names its own metavar."""
        return "DURATION"

    def describe(self) -> str:
        """What the option accepts, in plain words."""
        bound = "more than" if self.min_open else "at least"
        limit = f"{self.minimum:g}s"
        return f"a duration {bound} {limit} (500ms, 2s, 5m, 1h; a plain number is seconds)"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        """Seconds, or click's failure with the plain words of ``describe``."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds: float | None = float(value)
        else:
            seconds = parse_duration(str(value))
        if seconds is None or seconds < self.minimum or (
                self.min_open and seconds == self.minimum):
            self.fail(f"{value!r} is not {self.describe()}", param, ctx)
        return seconds  # type: ignore[return-value]


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
    return f"{kind} of " + " and ".join(words)


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


__all__ = ["Duration", "accepts", "parse_duration"]
