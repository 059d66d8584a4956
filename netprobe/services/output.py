"""The one place where netprobe prints results.

A command builds an ``Output`` from the root settings and hands it findings:

* JSON mode (a pipe, or ``--json``): every finding is one compact JSON object
  on its own line (JSON Lines), keys in the order the command gave them.
* Terminal mode: ``table`` draws a rich table, ``line`` writes plain text
  lines (the tcpdump-style fast path, no rich per line).

Warnings and progress bars go to stderr, never into the results. rich is
imported only when a table or a progress bar is actually drawn, because
importing it costs more than netprobe's whole start-up budget.
"""

from __future__ import annotations

import datetime
import enum
import errno
import functools
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Literal, NamedTuple

from netprobe.engine.progress import DELAY, DelayedBar
from netprobe.errors import CaptureFileError, RuntimeProblem

if TYPE_CHECKING:
    from rich.console import Console

    from netprobe.services.json_value import JSONValue
    from netprobe.services.root_settings import RootSettings

PROGRESS_DELAY = DELAY
"""Seconds of work before a progress bar appears; quick jobs never flash one."""

ProgressReporter = DelayedBar
"""What :meth:`Output.progress` yields: netprobe's one progress bar, which counts work
done (``advance``) and shows once the work has run a while."""


_IP_TYPES = (ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network
             | ipaddress.IPv6Network | ipaddress.IPv4Interface | ipaddress.IPv6Interface)


def _json_default(value: object) -> JSONValue:
    """Turn the few non-JSON types findings commonly hold into JSON values."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.timestamp()  # times are seconds since the epoch (README)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, _IP_TYPES):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable: {value!r}")


# One encoder for the whole process: json.dumps() with options builds a new
# encoder on every call, which shows on a stream of millions of packets.
# allow_nan=False: NaN is not JSON, and a consumer's parser would choke on it.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                            default=_json_default)


def json_line(obj: Mapping[str, object]) -> str:
    """One finding as a compact JSON text line (with the trailing newline).

    Values are JSON, or one of the few types :func:`_json_default` turns into JSON.
    """
    return _ENCODER.encode(obj) + "\n"


class Column(NamedTuple):
    """A table column: ``key`` names the JSON field, ``header`` the terminal heading."""

    key: str
    header: str | None = None
    justify: Literal["left", "right", "center"] = "left"

    @property
    def heading(self) -> str:
        """The text shown above the column (default: the key in capitals, like nmap)."""
        return self.header if self.header is not None else self.key.replace("_", " ").upper()


class Output:
    """Writes a command's findings as JSON Lines or for a human at a terminal.

    ``stdout``/``stderr`` default to whatever ``sys.stdout``/``sys.stderr`` are
    at the time of writing, so redirections (tests, rich's live display) apply.
    """

    def __init__(self, *, json: bool, color: bool = False, stdout: IO[str] | None = None,
                 stderr: IO[str] | None = None) -> None:
        self.json = json
        # NO_COLOR (https://no-color.org) wins over everything else.
        self.color = color and not os.environ.get("NO_COLOR")
        self._stdout = stdout
        self._stderr = stderr
        self._console: Console | None = None
        self._progress: list[ProgressReporter] = []

    @classmethod
    def from_settings(cls, settings: RootSettings) -> Output:
        """Build from the root ``Settings`` (``json`` and ``color``)."""
        return cls(json=bool(settings.json), color=bool(getattr(settings, "color", False)))

    @classmethod
    def current(cls, as_json: bool | None = None) -> Output:
        """Build from the settings of the running click command; ``as_json`` (a
        subcommand's own ``--json/--no-json``), when given, overrides the root's.

        Outside a netprobe command (a plain script, a test) it falls back to
        the same defaults as the root command: JSON when stdout is not a terminal.
        """
        import click

        ctx = click.get_current_context(silent=True)
        settings = ctx.obj if ctx is not None else None
        if settings is not None and hasattr(settings, "json"):
            output = cls.from_settings(settings)
        else:
            tty = sys.stdout.isatty()
            output = cls(json=not tty, color=tty)
        if as_json is not None:
            output.json = as_json
        return output

    @property
    def stdout(self) -> IO[str]:
        """The stream results go to."""
        return self._stdout if self._stdout is not None else sys.stdout

    @property
    def stderr(self) -> IO[str]:
        """The stream warnings and progress go to."""
        return self._stderr if self._stderr is not None else sys.stderr

    @property
    def console(self) -> Console:
        """A rich console on stdout for commands that draw more than tables."""
        if self._console is None:
            Console = _console_class()  # noqa: N806 - a class, named as one

            # Without colour, no styling at all (not even bold): plain text
            # is what NO_COLOR users and `| less` readers expect.
            self._console = Console(file=self.stdout, color_system="auto" if self.color else None,
                                    highlight=False, emoji=False)
        return self._console

    def emit(self, obj: Mapping[str, object],
             text: Callable[..., str] | None = None) -> None:
        """Write one finding.

        JSON mode: one JSON Lines object, keys in the given order. Terminal
        mode: the line ``text(obj)`` draws, or ``key=value`` pairs on one line
        for commands without a table.

        A record follows ``netprobe/schemas/records.json``: ``type`` first, one
        shape per type across subcommands, times as numbers with the unit in
        the key (``ts``/``*_ts`` epoch seconds, ``*_s`` seconds, ``*_ms``
        milliseconds); ``tests/test_schemas.py`` holds every subcommand to it.
        """
        if self.json:
            self._write(json_line(obj))
        elif text is not None:
            self._write(text(obj) + "\n")
        else:
            self._write(" ".join(f"{k}={_plain(v)}" for k, v in obj.items()) + "\n")

    def emit_json(self, records: Iterable[Mapping[str, object]]) -> bool:
        """In JSON mode write every record as a JSON line and say True; in terminal
        mode write nothing and say False, so the caller draws its own text."""
        if not self.json:
            return False
        for record in records:
            self.emit(record)
        return True

    def table(self, columns: Sequence[str | Column], rows: Iterable[Sequence[object]], *,
              title: str | None = None, kind: str | None = None) -> None:
        """Write rows: a rich table on a terminal, one JSON object per row in JSON mode.

        JSON objects use the column keys (``kind``, when given, comes first so
        consumers can tell findings of different sorts apart). Rows are
        streamed in JSON mode; a terminal table needs them all first.
        """
        cols = [c if isinstance(c, Column) else Column(c) for c in columns]
        keys = [c.key for c in cols]
        if self.json:
            for row in rows:
                if len(row) != len(keys):
                    raise ValueError(f"row has {len(row)} values for {len(keys)} columns")
                obj: dict[str, object] = {"kind": kind} if kind is not None else {}
                obj.update(zip(keys, row))
                self.emit(obj)
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, header_style="bold", box=None, pad_edge=False)
        for col in cols:
            # fold, never cut: an address or a name is whole in the table at any width
            table.add_column(col.heading, justify=col.justify, overflow="fold")
        for row in rows:
            if len(row) != len(keys):
                raise ValueError(f"row has {len(row)} values for {len(keys)} columns")
            # Text(), not str: a cell holding "[x]" must not be read as markup.
            table.add_row(*(Text("" if v is None else str(v)) for v in row))
        (self._bar_console() or self.console).print(table)

    def line(self, text: str) -> None:
        """Write one line of text as is (terminal mode only: JSON mode uses ``emit``)."""
        if self.json:
            raise RuntimeError("Output.line() writes text; in JSON mode use emit()")
        self._write(text + "\n")

    def lines(self, texts: Iterable[str]) -> None:
        """Write many lines at once (the fast path for packet-per-line output)."""
        if self.json:
            raise RuntimeError("Output.lines() writes text; in JSON mode use emit()")
        if self._bar_console() is not None:
            for text in texts:
                self._write(text + "\n")
        else:
            self.stdout.writelines(text + "\n" for text in texts)

    def _write(self, text: str) -> None:
        # The common case costs one list test: no progress bar, straight to stdout.
        shared = self._bar_console() if self._progress else None
        if shared is None:
            self.stdout.write(text)
        else:
            shared.print(text, end="", markup=False, highlight=False, emoji=False, soft_wrap=True)

    def _bar_console(self) -> Console | None:
        """The progress bar's console when results share its terminal, else None.

        While a bar is drawn, text written straight to the same screen would be
        overdrawn by the bar; printed through the bar's console it appears above.
        """
        if not self._progress or not is_terminal(self.stdout):
            return None
        for reporter in self._progress:
            if reporter.console is not None:
                return reporter.console
        return None

    def warn(self, text: str) -> None:
        """A warning on stderr, one line, never mixed into the results."""
        self.stderr.write(f"netprobe: warning: {text}\n")

    @contextmanager
    def progress(self, total: int | None, description: str) -> Iterator[ProgressReporter]:
        """Progress for long work: ``with out.progress(n, "probing") as p: p.advance()``.

        A bar shows on stderr only if stderr is a terminal and the work runs
        longer than about a second.
        """
        stream = self.stderr
        enabled = is_terminal(stream) and os.environ.get("TERM") != "dumb"
        # what others write to stderr meanwhile is printed above the bar
        reporter = DelayedBar(total, description, stream=stream, enabled=enabled,
                              delay=PROGRESS_DELAY, redirect_stderr=True)
        self._progress.append(reporter)
        try:
            yield reporter
        finally:
            self._progress.remove(reporter)
            reporter.close()


@functools.cache
def _console_class() -> type[Console]:
    """rich's Console, except that a closed pipe raises BrokenPipeError.

    rich's own reaction is ``SystemExit(1)``, which would bypass the CLI's
    exit-code policy (a reader going away is a quiet exit 0, and 1 means
    "findings").
    """
    from rich.console import Console

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "output pipe closed")

    return PipeAwareConsole


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal (False for a closed stream or one without isatty)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _plain(value: object) -> str:
    """A value for ``key=value`` text: strings bare unless they hold spaces."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value if value and not any(ch.isspace() for ch in value) else json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _ENCODER.encode(value)


@contextmanager
def atomic_text_file(path: str | os.PathLike[str], *,
                     encoding: str | None = "utf-8") -> Iterator[IO[str] | IO[bytes]]:
    """Open ``path`` for writing so that it appears complete or not at all (as
    bytes, with ``encoding=None``).

    The text goes to a temporary file in the same directory (the capture
    writers' :class:`~netprobe.wire.pcapfile.atomic_output.AtomicOutput`),
    which replaces ``path`` only when the ``with`` block ends without an
    exception, on disk first (fsync) and with the mode the file had, if it
    existed; on an exception the temporary file is removed and ``path`` is left
    untouched. ``"-"`` means stdout (no atomicity there). Failing to create or
    rename the file raises ``RuntimeProblem``.
    """
    target = os.fspath(path)
    if target == "-":
        yield sys.stdout if encoding else sys.stdout.buffer
        return
    import io

    from netprobe.wire.pcapfile.atomic_output import AtomicOutput

    try:
        mode: int | None = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = None  # a new file: the mode open() would give it
    try:
        out = AtomicOutput(target)
    except CaptureFileError as exc:
        raise _cannot_write(target, exc) from exc
    handle = io.TextIOWrapper(out.file, encoding=encoding) if encoding else out.file
    try:
        yield handle
    except BaseException:
        out.abort()
        raise
    try:
        handle.flush()
        os.fsync(out.file.fileno())  # the data is on disk before the name points at it
        if mode is not None:
            os.fchmod(out.file.fileno(), mode)
        out.commit()
    except (OSError, CaptureFileError) as exc:
        out.abort()
        raise _cannot_write(target, exc) from exc


def _cannot_write(target: str, exc: Exception) -> RuntimeProblem:
    """The one line that says why ``target`` could not be written."""
    cause = exc.__cause__ if isinstance(exc, CaptureFileError) else exc
    return RuntimeProblem(f"cannot write {target}: {getattr(cause, 'strerror', None) or cause}")


__all__ = ["PROGRESS_DELAY", "Column", "Output", "ProgressReporter", "atomic_text_file",
           "is_terminal", "json_line"]
