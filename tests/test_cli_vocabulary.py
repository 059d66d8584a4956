"""One vocabulary across subcommands (issue 19): a walk of the whole click tree.

Every plugin command is loaded and its options compared with the vocabulary
(``netprobe/cli_vocabulary.py``, the README's table): one name means one thing
everywhere, one meaning has one spelling everywhere, and the root options
work after any subcommand. There are no exceptions: a subcommand declares
the vocabulary's options through ``cli_types.option``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from netprobe import cli
from netprobe.cli_types import Duration
from netprobe.cli_vocabulary import GLOBAL, WORDS, markdown_table

REPO = Path(__file__).resolve().parents[1]


def _commands() -> Iterator[tuple[str, click.Command]]:
    """(path, command) for every command and group under the root, plugins loaded."""
    ctx = click.Context(cli.root)

    def walk(group: click.Group, prefix: str) -> Iterator[tuple[str, click.Command]]:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            assert not isinstance(command, cli.UnavailablePlugin), command.help
            path = f"{prefix} {name}".strip()
            yield path, command
            if isinstance(command, click.Group):
                yield from walk(command, path)

    yield from walk(cli.root, "")


COMMANDS = dict(_commands())


def _visible(param: click.Option) -> list[str]:
    hidden = set(getattr(param, "hidden_names", ()))
    return [n for n in (*param.opts, *param.secondary_opts) if n not in hidden]


def _options(command: click.Command) -> Iterator[click.Option]:
    """The command's own options (not the root options copied onto it, not --help)."""
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = set(param.opts) | set(param.secondary_opts)
        if names & set(cli.GLOBAL_OPTIONS) or names == {"--help"}:
            continue
        yield param


def _family(path: str) -> str:
    return path.split()[0]


def test_every_plugin_loads() -> None:
    assert {"read", "sniff", "portscan", "traceroute", "arpscan", "craft", "fuzz", "flows",
            "history", "lab", "interpret"} <= set(COMMANDS)


def test_each_word_is_spelt_the_same_by_each_of_its_users() -> None:
    wrong = []
    for word in WORDS:
        for path, dest in word.users.items():
            command = COMMANDS.get(path)
            assert command is not None, f"{word.meaning}: no subcommand {path!r}"
            carriers = [p for p in _options(command) if p.name == dest]
            if not any(set(_visible(p)) == set(word.names) for p in carriers):
                found = [_visible(p) for p in carriers]
                wrong.append(f"{path}: {word.meaning} is {found or 'missing'}, "
                             f"the vocabulary says {list(word.names)}")
    assert not wrong, "\n".join(wrong)


def test_a_name_shared_by_subcommands_means_one_thing() -> None:
    uses: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path, command in COMMANDS.items():
        for param in _options(command):
            for name in _visible(param):
                uses[name].add((path, str(param.name)))
    problems = []
    for name, users in sorted(uses.items()):
        if len({_family(path) for path, _ in users}) < 2:
            continue  # one subcommand (or one group's subcommands): its own business
        meanings = {next((w.meaning for w in WORDS
                          if word_users_has(w, use) and name in w.names), None)
                    for use in users}
        if None in meanings or len(meanings) > 1:
            unlisted = sorted(f"{p}:{d}" for p, d in users
                              if not any(word_users_has(w, (p, d)) for w in WORDS))
            problems.append(f"{name}: meanings {sorted(map(str, meanings))}; "
                            f"not in the vocabulary: {unlisted}")
    assert not problems, "\n".join(problems)


def word_users_has(word: object, use: tuple[str, str]) -> bool:
    path, dest = use
    return getattr(word, "users", {}).get(path) == dest


def test_one_meaning_has_no_second_visible_name() -> None:
    # Old spellings stay usable (scripts) but must never show in --help.
    # "NAME (subcommands)": an old name of those subcommands only, free elsewhere.
    old = {name: word.meaning for word in WORDS for name in word.old if " " not in name}
    seen = []
    for path, command in COMMANDS.items():
        for param in _options(command):
            for name in _visible(param):
                meaning = old.get(name)
                if meaning and name not in next(w.names for w in WORDS
                                                if w.meaning == meaning):
                    seen.append(f"{path}: {name} (say {meaning!r} with the vocabulary's name)")
    assert not seen, "\n".join(seen)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_root_options_work_after_every_subcommand(path: str) -> None:
    command = COMMANDS[path]
    names = {n for p in command.params for n in (*p.opts, *p.secondary_opts)}
    assert set(cli.GLOBAL_OPTIONS) <= names, path


def test_old_spellings_still_parse() -> None:
    for path, old, new in (("arpscan", "-I", "-i"), ("arpscan", "--retry", "--retries"),
                           ("craft", "-I", "--iface"), ("traceroute", "--wait", "-W"),
                           ("sniff", "--timeout", "--max-time"), ("read", "-f", "--filter")):
        param = next(p for p in COMMANDS[path].params
                     if old in p.opts and isinstance(p, click.Option))
        assert new in _visible(param) and old not in _visible(param), (path, old)


def test_every_time_option_takes_a_duration() -> None:
    # a time option is one the vocabulary says takes DURATION, or whose help speaks of
    # seconds or a wait: each must take 500ms, 2s, 5m alike
    timed = {(path, dest) for word in WORDS if word.accepts == "DURATION"
             for path, dest in word.users.items()}
    wrong = []
    for path, command in COMMANDS.items():
        for param in _options(command):
            text = f"{param.help or ''} {param.metavar or ''}".lower()
            is_time = (path, param.name) in timed or "seconds" in text or (
                param.metavar or "") in ("SECONDS", "DURATION", "MS")
            if is_time and not param.count and not isinstance(param.type, Duration):
                wrong.append(f"{path} {_visible(param)}: {type(param.type).__name__}")
    assert not wrong, "\n".join(wrong)


def test_the_readme_table_is_the_vocabulary() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme
    for names, _meaning in GLOBAL:
        assert names in readme


def test_an_option_declared_by_name_takes_the_vocabularys_names() -> None:
    from netprobe.cli_types import option

    @click.command()
    @option("--retries", "retry", old=("--retry",), type=int, help="tries")
    @option("-n", "numeric", help="numeric")
    def probe(retry: int | None, numeric: bool) -> None:
        click.echo(f"{retry} {numeric}")

    retries, numeric = probe.params
    assert _visible(retries) == ["--retries"] and "--retry" in retries.opts
    assert retries.metavar == "N" and numeric.is_flag
    from click.testing import CliRunner

    assert CliRunner().invoke(probe, ["--retry", "3", "-n"]).output == "3 True\n"
    assert "--retry " not in probe.get_help(click.Context(probe))
    with pytest.raises(ValueError, match="--tries is not an option of the vocabulary"):
        option("--tries", "tries")
