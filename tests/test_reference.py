"""Tests for the generated reference: completions and man pages.

The first test keeps the committed files honest; the others check the
generators on a made-up command tree, using the real shells and groff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest

import netprobe.cli as cli
import netprobe.reference.__main__ as reference_main
from netprobe.reference.generate import reference_files, write_reference
from netprobe.reference.tree import CommandInfo, PluginLoadFailures, describe

REPO_ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "run `python -m netprobe.reference --out-dir .`"
GENERATED_DIRS = ("completions", "man")


def _tree_files(base: Path) -> dict[str, str]:
    found = {}
    for directory in GENERATED_DIRS:
        for path in sorted((base / directory).glob("*")):
            if path.is_file():
                found[str(path.relative_to(base))] = path.read_text(encoding="utf-8")
    return found


def test_committed_reference_is_current(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netprobe.reference", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"generating the reference failed (exit {done.returncode}):\n{done.stderr}\n"
            f"fix that, then {REGENERATE}",
            pytrace=False,
        )
    generated = _tree_files(tmp_path)
    committed = _tree_files(REPO_ROOT)
    problems = [f"missing: {name}" for name in sorted(set(generated) - set(committed))]
    problems += [f"stale: {name}" for name in sorted(set(committed) - set(generated))]
    problems += [
        f"out of date: {name}"
        for name in sorted(set(generated) & set(committed))
        if generated[name] != committed[name]
    ]
    if problems:
        pytest.fail(
            "completions/man pages differ from the commands:\n  "
            + "\n  ".join(problems)
            + f"\n{REGENERATE}",
            pytrace=False,
        )


# -- a made-up tree for the generators -------------------------------------------------


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("-c", "--count", type=int, help="Stop after N packets. More detail here.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "hex", "it's"]),
    default="text",
    show_default=True,
    help="How [packets] look: choose.",
)
@click.option("-v", "--verbose", count=True, help="More detail.")
@click.option("--filter", "-f", "filters", multiple=True, help="A BPF filter.")
def read(files: tuple[str, ...], count: int, fmt: str, verbose: int, filters: tuple) -> None:
    """Read packets from capture files.

    Each packet is one line - like tcpdump.

    \b
    Example:
      netprobe read a.pcap
      .not a roff request
    """


@click.group()
@click.option("--name", default="lab", help="Lab name.")
def lab(name: str) -> None:
    """Run the practice lab."""


@lab.command()
@click.option("--hosts", type=click.IntRange(1, 9))
@click.option("--state-dir", type=click.Path(file_okay=False), help="Where state lives.")
def up(hosts: int, state_dir: str) -> None:
    """Create the lab."""


@lab.command()
def down() -> None:
    """Remove the lab."""


@pytest.fixture(scope="module")
def fake_tree() -> CommandInfo:
    """The real root options with two made-up subcommands, one a group."""
    group = click.Group(
        "netprobe",
        params=cli.root.params,
        commands={"read": read, "lab": lab},
        context_settings=cli.root.context_settings,
        help=cli.root.help,
    )
    return describe(group)


@pytest.fixture(scope="module")
def fake_files(fake_tree: CommandInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    write_reference(out, reference_files(fake_tree))
    return out


def need(tool: str) -> str:
    """The tool's path; skip without it, except in CI where .ci/setup installs it."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing; .ci/setup should have installed it", pytrace=False)
        pytest.skip(f"{tool} is not installed")
    return path


def test_tree_describes_commands_options_and_values(fake_tree: CommandInfo) -> None:
    assert [sub.name for sub in fake_tree.walk()] == [
        "netprobe",
        "netprobe lab",
        "netprobe lab down",
        "netprobe lab up",
        "netprobe read",
    ]
    read_info = fake_tree.walk()[-1]
    by_flag = {opt.flags[-1]: opt for opt in read_info.options}
    assert by_flag["--format"].value is not None
    assert by_flag["--format"].value.choices == ("text", "hex", "it's")
    assert by_flag["--format"].help.endswith("[default: text]")
    assert by_flag["--verbose"].value is None and by_flag["--verbose"].multiple
    assert by_flag["-f"].multiple
    assert [a.value.metavar for a in read_info.arguments] == ["FILES"]
    assert read_info.arguments[0].variadic and read_info.arguments[0].value.kind == "file"
    root_flags = [f for opt in fake_tree.options for f in opt.all_flags]
    assert root_flags == ["--version", "--debug", "--json", "--no-json", "--scope", "-h", "--help"]


def test_generation_is_deterministic(fake_tree: CommandInfo) -> None:
    first, second = reference_files(fake_tree), reference_files(fake_tree)
    assert first == second
    assert sorted(first) == [
        "completions/_netprobe",
        "completions/netprobe.bash",
        "completions/netprobe.fish",
        "man/netprobe-lab.1",
        "man/netprobe-read.1",
        "man/netprobe.1",
    ]
    for name, text in first.items():
        if name.startswith("man/"):
            th = next(line for line in text.splitlines() if line.startswith(".TH "))
            assert ' 1 "" ' in th, th  # no date in the title line


BASH_CASES = [
    (["netprobe", ""], "lab read"),
    (["netprobe", "--"], "--version --debug --json --no-json --scope --help"),
    (["netprobe", "--scope", "scope.txt", "r"], "read"),
    (["netprobe", "read", "--format", ""], "text hex it's"),
    (["netprobe", "read", "--format", "=", "h"], "hex"),
    (["netprobe", "read", "--co"], "--count"),
    (["netprobe", "lab", ""], "down up"),
    (["netprobe", "--json", "lab", "--name", "read", ""], "down up"),
    (["netprobe", "lab", "up", "--s"], "--state-dir"),
]


def test_bash_completion_offers_the_right_words(fake_files: Path) -> None:
    bash = need("bash")
    script = [f"source {fake_files / 'completions/netprobe.bash'}"]
    for words, _expected in BASH_CASES:
        quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
        script.append(
            f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=(); _netprobe; "
            'printf "%s\\n" "${COMPREPLY[*]}"'
        )
    done = subprocess.run(
        [bash, "--norc", "-c", "\n".join(script)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    got = done.stdout.split("\n")[: len(BASH_CASES)]
    for (words, expected), line in zip(BASH_CASES, got):
        assert set(line.split()) == set(expected.split()), (words, line)


def test_zsh_completion_parses(fake_files: Path) -> None:
    zsh = need("zsh")
    path = fake_files / "completions/_netprobe"
    done = subprocess.run([zsh, "-n", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert text.startswith("#compdef netprobe\n")
    for function in ("_netprobe()", "_netprobe_lab()", "_netprobe_lab_up()", "_netprobe_read()"):
        assert function in text
    assert "'--state-dir=[Where state lives.]:DIRECTORY:_files -/'" in text


FISH_CASES = [
    ("netprobe ", {"lab", "read"}),
    ("netprobe read --format ", {"text", "hex", "it's"}),
    ("netprobe lab ", {"down", "up"}),
    ("netprobe lab up --", {"--hosts", "--state-dir", "--help"}),
]


def test_fish_completion_offers_the_right_words(fake_files: Path) -> None:
    fish = need("fish")
    script = [f"source {fake_files / 'completions/netprobe.fish'}"]
    for line, _expected in FISH_CASES:
        script += [f"complete -C'{line}'", "echo ---"]
    done = subprocess.run(
        [fish, "--no-config", "-c", "; ".join(script)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    blocks = done.stdout.split("---\n")
    for (line, expected), block in zip(FISH_CASES, blocks):
        words = {entry.split("\t")[0] for entry in block.splitlines() if entry}
        assert words == expected, (line, block)


def _render_man(groff: str, path: Path) -> str:
    done = subprocess.run(
        [groff, "-man", "-Tascii", "-ww", "-P-cbou", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def test_man_pages_render_cleanly(fake_files: Path) -> None:
    groff = need("groff")
    root_page = _render_man(groff, fake_files / "man/netprobe.1")
    for text in ("--scope FILE", "--json / --no-json", "EXIT STATUS", "NETPROBE_SCOPE"):
        assert text in root_page
    for code, meaning in cli.EXIT_STATUS:
        assert re.search(rf"^\s+{code}\s+{re.escape(meaning.split()[0])}", root_page, re.M)
    assert "netprobe-lab(1)" in root_page and "netprobe-read(1)" in root_page

    read_page = _render_man(groff, fake_files / "man/netprobe-read.1")
    assert "netprobe read [OPTIONS] [FILES]..." in read_page
    assert "-c, --count INTEGER" in read_page
    assert ".not a roff request" in read_page  # verbatim block kept, not run
    assert "[default: text]" in read_page

    lab_page = _render_man(groff, fake_files / "man/netprobe-lab.1")
    assert "netprobe lab up" in lab_page and "--state-dir DIRECTORY" in lab_page


# -- failures and upkeep ------------------------------------------------------------------


def test_generation_fails_loudly_when_a_plugin_does_not_load(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = EntryPoint(
        name="broken", value="np_reference_absent_module:command", group=cli.PLUGIN_GROUP
    )
    group = cli.PluginGroup("netprobe", params=cli.root.params, discover=lambda: [broken])
    with pytest.raises(PluginLoadFailures, match="broken"):
        describe(group)

    monkeypatch.setattr(cli, "root", group)
    code = reference_main.main(["--out-dir", str(tmp_path)])
    assert code == 4
    err = capsys.readouterr().err
    assert "cannot load 1 subcommand(s)" in err and "np_reference_absent_module" in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_write_replaces_changed_files_and_drops_stale_pages(
    fake_tree: CommandInfo, tmp_path: Path
) -> None:
    files = reference_files(fake_tree)
    (tmp_path / "man").mkdir()
    stale = tmp_path / "man/netprobe-gone.1"
    stale.write_text("old page\n")
    changed = write_reference(tmp_path, files)
    assert stale in changed and not stale.exists()
    assert _tree_files(tmp_path) == files
    assert write_reference(tmp_path, files) == []  # nothing to do the second time


def test_check_mode_reports_without_writing(
    fake_tree: CommandInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = reference_files(fake_tree)
    monkeypatch.setattr(reference_main, "reference_files", lambda: files)
    assert reference_main.main(["--check", "--out-dir", str(tmp_path)]) == 1
    assert list(tmp_path.iterdir()) == []
    assert reference_main.main(["--out-dir", str(tmp_path)]) == 0
    assert reference_main.main(["--check", "--out-dir", str(tmp_path)]) == 0
    (tmp_path / "completions/netprobe.bash").write_text("edited by hand\n")
    assert reference_main.main(["--check", "--out-dir", str(tmp_path)]) == 1
