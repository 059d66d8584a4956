"""The face of netprobe: the root command, its options, and the exit-code policy.

Subcommands are plugins found through the entry-point group ``netprobe.plugins``
and imported only when they are invoked, so ``netprobe --help`` and
``netprobe read ...`` stay fast and never pay for plugins they do not use.

Start-up cost matters here: this module imports only click and the standard
library at the top; everything else (rich, the scope, plugins) is imported
where it is first needed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from netprobe.errors import (
    EXIT_ENVIRONMENT,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    NetprobeError,
)
from netprobe.services.plugin_index import PluginLoadError, as_plugin
from netprobe.services.plugin_record import PLUGIN_GROUP
from netprobe.version import package_version

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from netprobe.wire.scope import Scope

SCOPE_ENV = "NETPROBE_SCOPE"
DEBUG_ENV = "NETPROBE_DEBUG"

EXIT_STATUS: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success"),
    (EXIT_FINDINGS, "findings, for commands that document it"),
    (EXIT_USAGE, "usage error (bad arguments, destination outside the scope)"),
    (EXIT_ENVIRONMENT, "missing privileges or environment (root, tools, kernel features)"),
    (EXIT_RUNTIME, "runtime error (damaged file, socket failure, plugin failed to load)"),
    (EXIT_INTERRUPTED, "interrupted"),
)
"""Exit codes and their meaning, as documented in --help, the man page and README."""

ENVIRONMENT: tuple[tuple[str, str], ...] = (
    (SCOPE_ENV, "allowed destinations: a file, or CIDRs separated by commas"),
    (DEBUG_ENV, "set to 1 for full tracebacks, like --debug"),
    ("NETPROBE_DB", "default history database for --db and `netprobe history`"),
    ("NETPROBE_PORT_FREQUENCIES", "port frequency table for portscan --top-ports"),
    ("NO_COLOR", "set to disable colours"),
)
"""Environment variables netprobe reads."""

# "\b" keeps click from re-wrapping the two tables.
EPILOG = ("\b\nExit status:\n"
          + "".join(f"  {code:<4} {meaning}\n" for code, meaning in EXIT_STATUS)
          + "\n\b\nEnvironment:\n"
          + "".join(f"  {name:<26} {meaning}\n" for name, meaning in ENVIRONMENT))


class Settings:
    """What the root options decided; every subcommand receives it as ``ctx.obj``.

    ``scope`` is built on first use, so a command that never sends a packet
    (``netprobe read``) is not stopped by a broken ``NETPROBE_SCOPE``.
    """

    def __init__(self, json: bool = False, debug: bool = False, color: bool = False,
                 scope_file: str | None = None, scope_env: str | None = None) -> None:
        self.json = json
        self.debug = debug
        self.color = color
        self.scope_file = scope_file
        self.scope_env = scope_env

    @cached_property
    def scope(self) -> Scope:
        """The allowed destinations: ``--scope FILE``, else ``NETPROBE_SCOPE``, else loopback.

        Raises ``UsageError`` when the file or the list cannot be parsed.
        """
        from netprobe.wire.scope import Scope

        return Scope.from_sources(self.scope_file, self.scope_env)


class UnavailablePlugin(click.Command):
    """Stands in for a plugin that failed to load.

    Its help explains the failure; invoking it raises ``PluginLoadError`` chained
    to the original exception, so ``--debug`` shows where the import broke.
    """

    def __init__(self, name: str, target: str, error: BaseException) -> None:
        self.error = error
        self.reason = f"cannot load {target} ({type(error).__name__}: {error})"
        note = f"(unavailable: {type(error).__name__})"
        # Accept whatever arguments were meant for the real plugin, so the
        # user sees the load failure rather than a confusing usage error.
        super().__init__(name, help=f"This subcommand is unavailable: {self.reason}",
                         short_help=note, add_help_option=True, context_settings={
                             "ignore_unknown_options": True, "allow_extra_args": True})

    def invoke(self, ctx: click.Context) -> Any:
        """Refuse to run: report the load failure as one error line."""
        raise PluginLoadError(f"subcommand {self.name!r} is unavailable: {self.reason}"
                              ) from self.error


def _installed_plugins() -> Iterable[EntryPoint]:
    # Not importlib.metadata: importing it alone costs ~35 ms of the start-up budget.
    from netprobe.entry_index import entry_points

    return entry_points(PLUGIN_GROUP)  # type: ignore[return-value]


class PluginGroup(click.Group):
    """A click group whose subcommands are entry points, loaded one at a time.

    ``list_commands`` only reads entry-point names; ``get_command`` imports just
    the requested plugin. The help listing takes each plugin's one-line summary
    from its source without importing it (see ``plugin_summary``).
    """

    def __init__(self, *args: Any,
                 discover: Callable[[], Iterable[EntryPoint]] = _installed_plugins,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._discover = discover
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, click.Command] = {}

    def plugin_entry_points(self) -> dict[str, EntryPoint]:
        """Entry points by subcommand name (found once, then remembered)."""
        if self._entry_points is None:
            found: dict[str, EntryPoint] = {}
            for entry_point in self._discover():
                # The first registration of a name wins, as with PATH lookups.
                found.setdefault(entry_point.name, entry_point)
            self._entry_points = found
        return self._entry_points

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All subcommand names, without importing any plugin."""
        return sorted(set(self.commands) | set(self.plugin_entry_points()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Load and return one subcommand; a broken plugin yields ``UnavailablePlugin``."""
        if cmd_name in self.commands:
            add_global_options(self.commands[cmd_name])
            return self.commands[cmd_name]
        if cmd_name in self._loaded:
            return self._loaded[cmd_name]
        entry_point = self.plugin_entry_points().get(cmd_name)
        if entry_point is None:
            return None
        command: click.Command
        try:
            # a Plugin record (services.plugin_record), or a bare click command
            command = as_plugin(entry_point.load()).command
        except Exception as exc:
            command = UnavailablePlugin(cmd_name, entry_point.value, exc)
        add_global_options(command)
        self._loaded[cmd_name] = command
        return command

    def resolve_command(self, ctx: click.Context, args: list[str],
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve as click does, but suggest plugin names (never loaded) for typos."""
        name = args[0]
        unknown = self.get_command(ctx, name) is None
        if unknown and not name.startswith("-") and not ctx.resilient_parsing:
            from difflib import get_close_matches

            message = f"No such command {name!r}."
            close = get_close_matches(name, self.list_commands(ctx))
            if close:
                message += " Did you mean " + " or ".join(repr(c) for c in close) + "?"
            raise click.UsageError(message, ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Invoke as click does; a usage error click raised without its context
        (``--flag=value`` on a flag) learns which subcommand it belongs to."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            if exc.ctx is None and ctx.invoked_subcommand:
                exc.netprobe_where = ctx.invoked_subcommand  # type: ignore[attr-defined]
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List subcommands with their summaries, importing no plugin."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                if self.commands[name].hidden:
                    continue
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, plugin_summary(self.plugin_entry_points()[name], limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def plugin_summary(entry_point: EntryPoint, limit: int = 45) -> str:
    """One line about a plugin, read from its source without importing it.

    The text is the docstring of the object the entry point names (following
    ``from ... import`` a few steps), else the module docstring; shortened as
    click shortens help. A module that cannot be found or parsed gets a short
    "(unavailable: ...)" note instead, so ``--help`` flags it without failing.
    """
    module, _, attr = entry_point.value.partition(":")
    try:
        doc = _source_docstring(module.strip(), attr.strip())
    except _Unavailable as exc:
        return f"(unavailable: {exc})"
    return _shorten(doc, limit)


class _Unavailable(Exception):
    """Why a plugin's source could not be read."""


def _source_docstring(module: str, attr: str) -> str:
    from importlib.util import find_spec

    try:
        # Imports the parent packages (netprobe.plugins), never the plugin itself.
        spec = find_spec(module)
    except Exception as exc:  # a parent package failed to import
        raise _Unavailable(type(exc).__name__) from exc
    if spec is None:
        raise _Unavailable("module not found")
    if not spec.origin or not spec.origin.endswith(".py"):
        return ""
    try:
        tree = _parse(spec.origin)
    except SyntaxError as exc:
        raise _Unavailable(f"syntax error at line {exc.lineno}") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _Unavailable("unreadable source") from exc
    home = (module, list(spec.submodule_search_locations or ()))
    return _docstring_in(tree, module, bool(spec.submodule_search_locations), attr, home, 3)


def _parse(path: str) -> Any:
    import ast

    with open(path, encoding="utf-8") as handle:
        return ast.parse(handle.read(), filename=path)


def _docstring_in(tree: Any, module: str, is_package: bool, attr: str,
                  home: tuple[str, list[str]], hops: int) -> str:
    """Docstring of ``attr`` defined in (or imported into) ``tree``, else the module's.

    Imports are followed only inside the plugin's own package (``home``), by
    file path: finding them through the import system would run the
    package's ``__init__`` and so import the plugin.
    """
    import ast
    from importlib.util import resolve_name

    for node in tree.body if attr else ():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == attr and ast.get_docstring(node):
                return ast.get_docstring(node) or ""
        elif _record_of(node, attr) and hops > 0:
            # ``plugin = Plugin(command=command, ...)``: the command's docstring
            return _docstring_in(tree, module, is_package, _record_of(node, attr), home,
                                 hops - 1)
        elif isinstance(node, ast.ImportFrom) and hops > 0:
            for alias in node.names:
                if (alias.asname or alias.name) != attr:
                    continue
                package = module if is_package else module.rpartition(".")[0]
                try:
                    source = resolve_name("." * node.level + (node.module or ""), package)
                except ImportError:
                    continue
                path = _file_in_home(source, home)
                if path is None:
                    continue
                try:
                    subtree = _parse(path)
                except (SyntaxError, OSError, UnicodeDecodeError, ValueError):
                    continue
                is_pkg = path.endswith("__init__.py")
                found = _docstring_in(subtree, source, is_pkg, alias.name, home, hops - 1)
                if found:
                    return found
    return ast.get_docstring(tree) or ""


def _record_of(node: Any, attr: str) -> str:
    """The name given as ``command=`` when ``node`` assigns a plugin record to ``attr``."""
    import ast

    if not (isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call)):
        return ""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not any(isinstance(t, ast.Name) and t.id == attr for t in targets):
        return ""
    for keyword in node.value.keywords:
        if keyword.arg == "command" and isinstance(keyword.value, ast.Name):
            return keyword.value.id
    return ""


def _file_in_home(module: str, home: tuple[str, list[str]]) -> str | None:
    """The source file of ``module`` when it lies inside the plugin package ``home``."""
    name, directories = home
    if not module.startswith(name + "."):
        return None
    parts = module[len(name) + 1 :].split(".")
    for directory in directories:
        base = os.path.join(directory, *parts)
        for candidate in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(candidate):
                return candidate
    return None


def _shorten(doc: str, limit: int) -> str:
    """The first sentence of the first paragraph, cut to ``limit`` like click does."""
    paragraph = " ".join(doc.strip().split("\n\n", 1)[0].split()).replace("``", "")
    sentence = paragraph.split(". ", 1)[0]
    if sentence != paragraph:
        sentence += "."
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: max(limit - 3, 1)].rsplit(" ", 1)[0]
    return cut + "..."


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"netprobe {package_version()}")
    ctx.exit(EXIT_OK)


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@click.group(cls=PluginGroup, epilog=EPILOG, no_args_is_help=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_print_version, help="Show the version and exit.")
@click.option("--debug", is_flag=True,
              help="Show full tracebacks on errors, and at the end where the command's "
                   "time went (stderr).")
@click.option("--json/--no-json", "json_output", default=None,
              help="Write JSON Lines instead of tables (default: when stdout is not a terminal).")
@click.option("--scope", "scope_file", type=click.Path(exists=True, dir_okay=False),
              metavar="FILE",
              help="File of networks (CIDR) that probes may reach; overrides NETPROBE_SCOPE.")
@click.pass_context
def root(ctx: click.Context, debug: bool, json_output: bool | None, scope_file: str | None) -> None:
    """Probe and observe networks with packets you compose.

    Every subcommand writes a table on a terminal and JSON Lines (one object
    per finding) on a pipe or with --json. Probes are only sent to networks in
    the scope (--scope or NETPROBE_SCOPE). --json/--no-json, --debug and
    --scope work before or after the subcommand's name.
    """
    settings = ctx.ensure_object(Settings)
    settings.debug = settings.debug or debug
    settings.json = (not sys.stdout.isatty()) if json_output is None else json_output
    settings.color = not settings.json and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    settings.scope_file = scope_file
    settings.scope_env = os.environ.get(SCOPE_ENV)


#: the completion script each shell gets, rendered by netprobe.reference (module name)
COMPLETION_SHELLS = {"bash": "bash", "zsh": "zsh", "fish": "fish"}


@root.command("completion")
@click.argument("shell", type=click.Choice(sorted(COMPLETION_SHELLS)))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL (bash, zsh or fish).

    \b
    The same scripts pip installs (share/bash-completion/completions,
    share/zsh/site-functions, share/fish/vendor_completions.d); by hand:
      netprobe completion bash > ~/.local/share/bash-completion/completions/netprobe
      netprobe completion zsh > ~/.zfunc/_netprobe      # fpath+=(~/.zfunc)
      netprobe completion fish > ~/.config/fish/completions/netprobe.fish
    """
    from importlib import import_module

    from netprobe.reference.tree import netprobe_tree

    renderer = import_module(f"netprobe.reference.{COMPLETION_SHELLS[shell]}")
    click.echo(renderer.render(netprobe_tree()), nl=False)


GLOBAL_OPTIONS: tuple[str, ...] = ("--debug", "--json", "--no-json", "--scope")
"""Root options every subcommand also accepts after its name (``netprobe X --json``)."""


def _late(ctx: click.Context, param: click.Parameter, value: bool | str | None) -> None:
    """Give ``Settings`` a root option written after the subcommand's name."""
    settings = ctx.find_object(Settings)
    if value is None or not isinstance(settings, Settings):
        return
    if param.name == "debug":
        settings.debug = settings.debug or bool(value)
    elif param.name == "json":
        settings.json = bool(value)
        settings.color = not value and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    else:
        settings.scope_file = str(value)
        settings.__dict__.pop("scope", None)  # forget a scope built from the earlier source


def _global_option_copies(taken: set[str]) -> list[click.Option]:
    """The root options a subcommand lacks, as options that update ``Settings``."""
    extra: list[click.Option] = []
    if "--debug" not in taken:
        extra.append(click.Option(["--debug"], is_flag=True, expose_value=False,
                                  hidden=True, callback=_late))
    if "--json" not in taken and "--no-json" not in taken:
        extra.append(click.Option(["--json/--no-json"], default=None, expose_value=False,
                                  callback=_late,
                                  help="JSON Lines (the default when stdout is not a "
                                       "terminal)."))
    if "--scope" not in taken:
        extra.append(click.Option(["--scope"], type=click.Path(exists=True, dir_okay=False),
                                  metavar="FILE", expose_value=False, hidden=True,
                                  callback=_late))
    return extra


def add_global_options(command: click.Command) -> None:
    """Let ``command`` (and, for a group, each of its subcommands) take the root options.

    ``--debug``, ``--json/--no-json`` and ``--scope`` then work before or after
    the subcommand's name; a command that declares one of these names itself
    keeps its own (its ``--json`` then overrides the root's as before).
    """
    if getattr(command, "_netprobe_globals", False):
        return
    taken = {name for param in command.params
             for name in (*param.opts, *param.secondary_opts)}
    command.params.extend(_global_option_copies(taken))
    command._netprobe_globals = True  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)


def _option_name(param: click.Parameter | None) -> str:
    if param is None:
        return "a value"
    if isinstance(param, click.Option):
        names = sorted(param.opts, key=len, reverse=True)
        return names[0] if names else str(param.name)
    return (param.human_readable_name or str(param.name)).upper()


def usage_message(exc: click.UsageError) -> str:
    """click's usage error as netprobe's one line: which option, what it accepts.

    ``"traceroute --queries: '0' is not a whole number from 1 to 10"`` instead
    of click's four-line block with ``x>=1`` or "not a valid float range".
    """
    import re

    from netprobe.cli_types import accepts

    ctx = exc.ctx
    where = (ctx.command_path.removeprefix("netprobe").strip() if ctx is not None
             else getattr(exc, "netprobe_where", ""))
    prefix = f"{where}: " if where else ""
    help_hint = f" (see 'netprobe {where} --help')" if where else " (see 'netprobe --help')"
    if isinstance(exc, click.MissingParameter):
        kind = "argument" if isinstance(exc.param, click.Argument) else "option"
        words = accepts(exc.param.type) if exc.param is not None else None
        tail = f", {words}" if words else ""
        return f"{prefix}missing {kind} {_option_name(exc.param)}{tail}{help_hint}"
    if isinstance(exc, click.BadParameter):
        name = _option_name(exc.param)
        words = accepts(exc.param.type) if exc.param is not None else None
        message = exc.message.rstrip(".")
        quoted = re.match(r"^('.*?'|\S+) is not ", message)
        if quoted and words and not message.endswith(words):
            message = f"{quoted.group(1)} is not {words}"
        return f"{prefix}{name}: {message}"
    if isinstance(exc, click.NoSuchOption):
        text = f"{prefix}No such option {exc.option_name}"
        if exc.possibilities:
            text += " (did you mean " + " or ".join(sorted(exc.possibilities)) + "?)"
        return text + help_hint
    message = exc.message.rstrip(".")
    return f"{prefix}{message}{help_hint}"


def _error_text(kind: str, message: object) -> str:
    # One line, whatever the message holds: a multi-line error would look
    # like several errors in logs.
    text = " ".join(str(message).split()) or "(no message)"
    return f"netprobe: {kind}: {text}\n"


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (tests); nothing will flush it later


def main(argv: Sequence[str] | None = None) -> int:
    """Run netprobe and return the exit code; the console script exits with it.

    This is the one place that turns exceptions into exit codes: NetprobeError
    gives its own code and one line, click usage errors 2, Ctrl-C 130, a closed
    output pipe a quiet 0, anything else 4 with "internal error". Tracebacks
    appear only with --debug or NETPROBE_DEBUG=1, and so does the table of the
    command's fixed costs (``netprobe.costs``) on stderr at the end.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    settings = Settings(debug=_env_flag(DEBUG_ENV))
    timed = settings.debug or "--debug" in args
    if timed:
        from netprobe import costs

        costs.add("interpreter start + cli", costs.process_age() or 0.0)
        costs.time_imports()
    last: list[str] = []
    try:
        return _main(args, settings, last)
    finally:
        if timed and settings.debug:
            sys.stderr.write("".join(f"netprobe: {line}\n"
                                     for line in costs.table(costs.process_age())))
        # The error line is the last line of stderr, after the --debug costs.
        for line in last:
            sys.stderr.write(line)
        sys.stderr.flush()


def _main(args: list[str], settings: Settings, last: list[str]) -> int:
    """``main`` for parsed-out ``args``: run the command, map exceptions to exit codes.

    The one error line is appended to ``last`` (written after everything else).
    """
    try:
        with root.make_context("netprobe", args, obj=settings) as ctx:
            result = root.invoke(ctx)
        sys.stdout.flush()  # inside the try: a closed pipe shows up here
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort as exc:
        reason = "interrupted" if isinstance(exc.__context__, KeyboardInterrupt) else "aborted"
        sys.stderr.write(f"netprobe: {reason}\n")
        return EXIT_INTERRUPTED
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        return EXIT_USAGE
    except click.UsageError as exc:
        last.append(_error_text("error", usage_message(exc)))
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        # click's generic exit code 1 would read as "findings"; its usage
        # errors already carry 2.
        return EXIT_RUNTIME if exc.exit_code == 1 else exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\nnetprobe: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (head, less) went away: what it wanted was written.
        _silence_stdout()
        return EXIT_OK
    except NetprobeError as exc:
        if settings.debug:
            _print_traceback(exc)
        last.append(_error_text("error", exc))
        return exc.exit_code
    except Exception as exc:
        if settings.debug:
            _print_traceback(exc)
        last.append(_error_text("internal error", f"{type(exc).__name__}: {exc}"))
        return EXIT_RUNTIME
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    return EXIT_OK


def _print_traceback(exc: BaseException) -> None:
    import traceback

    traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.flush()


__all__ = ["ENVIRONMENT", "EPILOG", "EXIT_STATUS", "GLOBAL_OPTIONS", "PLUGIN_GROUP",
           "PluginGroup", "PluginLoadError", "Settings", "UnavailablePlugin",
           "add_global_options", "completion", "main", "package_version",
           "plugin_summary", "root", "usage_message"]
