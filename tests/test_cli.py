"""Tests for the root command: plugin discovery, settings, exit codes, start-up.

Most tests run the real entry point (``python -m netprobe``) in a subprocess
with a fake installed distribution on ``PYTHONPATH`` whose entry points add
test plugins: one that works, one whose import fails, one that is not a
click command, one whose module is missing, one with a syntax error.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import netprobe.cli as cli
from netprobe.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent

GOOD_PLUGIN = '''\
"""Report what the root command decided (a fake plugin for tests).

More text that is not part of the summary.
"""
import json
import sys

import click

from netprobe.errors import EnvironmentProblem, UsageError


@click.command()
@click.option("--what", default="settings")
@click.pass_obj
def command(settings, what):
    """Report settings or misbehave on request."""
    if what == "settings":
        print(json.dumps({
            "json": settings.json,
            "color": settings.color,
            "debug": settings.debug,
            "scope_file": settings.scope_file,
            "scope_env": settings.scope_env,
            "plugins": sorted(m for m in sys.modules if m.startswith("np_fake_")),
            "rich": "rich" in sys.modules,
        }))
    elif what == "table":
        from netprobe.services.output import Output
        Output.current().table(["port", "state"], [[22, "open"]], kind="port")
    elif what == "usage-error":
        raise UsageError("bad target 'x'")
    elif what == "env-error":
        raise EnvironmentProblem("needs root")
    elif what == "crash":
        raise ValueError("boom\\nsecond line")
    elif what == "interrupt":
        raise KeyboardInterrupt
    elif what == "findings":
        return 1
    elif what == "spew":
        for i in range(2_000_000):
            print(f"line {i}")
    elif what == "big-table":
        from netprobe.services.output import Output
        rows = ([f"line {i}", "x" * 60] for i in range(20_000))
        Output(json=False).table(["name", "filler"], rows)
'''

ENTRY_POINTS = """\
[netprobe.plugins]
fake-good = np_fake_good:command
fake-broken = np_fake_broken:command
fake-notcmd = np_fake_notcmd:command
fake-missing = np_fake_absent:command
fake-syntax = np_fake_syntax:command
fake-pkg = np_fake_pkg:command
"""


@pytest.fixture(scope="module")
def fake_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a fake distribution that registers five plugins."""
    root = tmp_path_factory.mktemp("fakedist")
    info = root / "netprobe_fake_plugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: netprobe-fake-plugins\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    (root / "np_fake_good.py").write_text(GOOD_PLUGIN)
    (root / "np_fake_broken.py").write_text(
        '"""Broken on purpose."""\nimport np_fake_dependency_that_is_not_there\n'
    )
    (root / "np_fake_notcmd.py").write_text('"""Not a command."""\ncommand = 42\n')
    (root / "np_fake_syntax.py").write_text('"""Syntax error."""\ndef command(:\n')
    package = root / "np_fake_pkg"
    package.mkdir()
    (package / "__init__.py").write_text('"""Package docstring."""\nfrom .impl import command\n')
    (package / "impl.py").write_text(
        "import click\n\n\n@click.command()\ndef command():\n"
        '    """Live in a package. Second sentence."""\n    print("pkg ran")\n'
    )
    return root


def _env(fake_dist: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("NETPROBE_DEBUG", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(fake_dist), str(REPO_ROOT)])
    env.update(extra)
    return env


def run_netprobe(
    fake_dist: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m netprobe ARGS`` with the fake plugins installed."""
    return subprocess.run(
        [sys.executable, "-m", "netprobe", *args],
        capture_output=True,
        text=True,
        env=env or _env(fake_dist),
        cwd=fake_dist,
        timeout=60,
        check=False,
    )


def run_on_tty(fake_dist: Path, *args: str, **env: str) -> tuple[int, str]:
    """Run netprobe with stdout on a pseudo-terminal; return (exit code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "netprobe", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=_env(fake_dist, TERM="xterm-256color", **env),
        cwd=fake_dist,
    )
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    proc.stderr.close()
    return proc.returncode, b"".join(chunks).decode().replace("\r\n", "\n")


def _one_json(text: str) -> dict[str, object]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return json.loads(lines[0])


# -- version and help --------------------------------------------------------------


def test_version_is_the_one_in_pyproject(fake_dist: Path) -> None:
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        expected = tomllib.load(handle)["project"]["version"]
    done = run_netprobe(fake_dist, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"netprobe {expected}\n"


def test_help_lists_every_plugin_without_importing_any(fake_dist: Path) -> None:
    script = (
        "import sys\n"
        "from netprobe.cli import main\n"
        "code = main(['--help'])\n"
        "loaded = sorted(m for m in sys.modules\n"
        "                if m.startswith(('np_fake_', 'netprobe.plugins.')) or m == 'rich')\n"
        "print('EXIT', code, 'LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=_env(fake_dist),
        cwd=fake_dist,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.rstrip().endswith("EXIT 0 LOADED []"), out
    names = ("fake-good", "fake-broken", "fake-notcmd", "fake-missing", "fake-syntax", "fake-pkg")
    for name in names:
        assert name in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  fake-")}
    # Summaries come from the source, read without importing it: the command's
    # docstring (followed through an import), else the module's.
    assert lines["fake-good"].split(None, 1)[1] == "Report settings or misbehave on request."
    assert lines["fake-pkg"].split(None, 1)[1] == "Live in a package."
    assert lines["fake-notcmd"].split(None, 1)[1] == "Not a command."
    assert "Report what the root command decided" not in out
    assert "(unavailable: module not found)" in lines["fake-missing"]
    assert "(unavailable: syntax error at line 2)" in lines["fake-syntax"]
    for code, _meaning in cli.EXIT_STATUS:
        assert f"\n    {code} " in out


def test_subcommand_help_of_a_broken_plugin_still_works(fake_dist: Path) -> None:
    done = run_netprobe(fake_dist, "fake-broken", "--help")
    assert done.returncode == 0, done.stderr
    assert "unavailable" in done.stdout
    assert "np_fake_dependency_that_is_not_there" in done.stdout


def test_unknown_subcommand_is_a_usage_error(fake_dist: Path) -> None:
    done = run_netprobe(fake_dist, "no-such-thing")
    assert done.returncode == 2
    assert "No such command 'no-such-thing'" in done.stderr
    typo = run_netprobe(fake_dist, "fake-goo")
    assert typo.returncode == 2
    assert "fake-good" in typo.stderr  # suggested, although it was never loaded


def test_bad_option_and_no_arguments_are_usage_errors(fake_dist: Path) -> None:
    assert run_netprobe(fake_dist, "--no-such-option").returncode == 2
    bare = run_netprobe(fake_dist)
    assert bare.returncode == 2
    assert "Usage: netprobe" in bare.stdout + bare.stderr


# -- plugins that fail to load --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("fake-broken", "ModuleNotFoundError"),
        ("fake-notcmd", "not a click command"),
        ("fake-missing", "np_fake_absent"),
        ("fake-syntax", "SyntaxError"),
    ],
)
def test_invoking_a_broken_plugin_is_one_line_and_exit_4(
    fake_dist: Path, name: str, why: str
) -> None:
    done = run_netprobe(fake_dist, name, "--some-option", "value")
    assert done.returncode == 4
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"netprobe: error: subcommand '{name}' is unavailable")
    assert why in lines[0]
    assert done.stdout == ""


def test_debug_shows_the_traceback_of_a_broken_plugin(fake_dist: Path) -> None:
    for done in (
        run_netprobe(fake_dist, "--debug", "fake-broken"),
        run_netprobe(fake_dist, "fake-broken", env=_env(fake_dist, NETPROBE_DEBUG="1")),
    ):
        assert done.returncode == 4
        assert "Traceback (most recent call last)" in done.stderr
        assert "np_fake_broken.py" in done.stderr  # where the import actually broke
        last = done.stderr.splitlines()[-1]
        assert last.startswith("netprobe: error: subcommand 'fake-broken' is unavailable")


def test_a_plugin_in_a_package_runs(fake_dist: Path) -> None:
    done = run_netprobe(fake_dist, "fake-pkg")
    assert (done.returncode, done.stdout) == (0, "pkg ran\n"), done.stderr


def test_a_working_plugin_loads_alone(fake_dist: Path) -> None:
    done = run_netprobe(fake_dist, "fake-good")
    assert done.returncode == 0, done.stderr
    report = _one_json(done.stdout)
    assert report["plugins"] == ["np_fake_good"]
    assert report["rich"] is False  # nothing drawn, so rich was never imported


# -- exit codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "code", "line"),
    [
        ("usage-error", 2, "netprobe: error: bad target 'x'"),
        ("env-error", 3, "netprobe: error: needs root"),
        ("crash", 4, "netprobe: internal error: ValueError: boom second line"),
        ("interrupt", 130, "netprobe: interrupted"),
    ],
)
def test_errors_become_one_line_and_their_exit_code(
    fake_dist: Path, what: str, code: int, line: str
) -> None:
    done = run_netprobe(fake_dist, "fake-good", "--what", what)
    assert done.returncode == code
    assert done.stderr.strip().splitlines() == [line]
    assert "Traceback" not in done.stderr


def test_debug_adds_the_traceback_of_an_internal_error(fake_dist: Path) -> None:
    done = run_netprobe(fake_dist, "--debug", "fake-good", "--what", "crash")
    assert done.returncode == 4
    assert "Traceback (most recent call last)" in done.stderr
    assert "ValueError: boom" in done.stderr
    assert done.stderr.splitlines()[-1] == "netprobe: internal error: ValueError: boom second line"


def test_a_command_may_return_its_exit_code(fake_dist: Path) -> None:
    done = run_netprobe(fake_dist, "fake-good", "--what", "findings")
    assert done.returncode == 1
    assert done.stderr == ""


@pytest.mark.parametrize("what", ["spew", "big-table"])
def test_closed_pipe_ends_quietly(fake_dist: Path, what: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "netprobe", "fake-good", "--what", what],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(fake_dist),
        cwd=fake_dist,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        assert b"line 0" in proc.stdout.readline() + proc.stdout.readline()
        proc.stdout.close()  # like `| head -n 1`
        code = proc.wait(timeout=60)
        err = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert code == 0
    assert err == ""


def test_main_in_process_returns_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("netprobe ")
    assert cli.main(["--no-such-option"]) == 2
    assert "No such option" in capsys.readouterr().err


# -- JSON or terminal, colour, scope ---------------------------------------------------------


def test_pipe_means_json_unless_told_otherwise(fake_dist: Path) -> None:
    piped = _one_json(run_netprobe(fake_dist, "fake-good").stdout)
    assert piped["json"] is True and piped["color"] is False
    forced = _one_json(run_netprobe(fake_dist, "--no-json", "fake-good").stdout)
    assert forced["json"] is False and forced["color"] is False


def test_terminal_means_tables_and_colour(fake_dist: Path) -> None:
    code, out = run_on_tty(fake_dist, "fake-good")
    assert code == 0, out
    on_tty = _one_json(out)
    assert on_tty["json"] is False and on_tty["color"] is True

    code, out = run_on_tty(fake_dist, "fake-good", NO_COLOR="1")
    assert _one_json(out)["color"] is False

    code, out = run_on_tty(fake_dist, "--json", "fake-good")
    forced = _one_json(out)
    assert forced["json"] is True and forced["color"] is False


def test_output_follows_the_mode(fake_dist: Path) -> None:
    piped = run_netprobe(fake_dist, "fake-good", "--what", "table")
    assert _one_json(piped.stdout) == {"kind": "port", "port": 22, "state": "open"}
    code, out = run_on_tty(fake_dist, "fake-good", "--what", "table")
    assert code == 0
    assert "PORT" in out and "open" in out and "{" not in out


def test_scope_sources_are_recorded(fake_dist: Path, tmp_path: Path) -> None:
    scope = tmp_path / "scope.txt"
    scope.write_text("198.18.0.0/15\n")
    env = _env(fake_dist, NETPROBE_SCOPE="2001:db8::/32")
    given = _one_json(run_netprobe(fake_dist, "--scope", str(scope), "fake-good", env=env).stdout)
    assert given["scope_file"] == str(scope)
    assert given["scope_env"] == "2001:db8::/32"
    missing = run_netprobe(fake_dist, "--scope", str(tmp_path / "absent"), "fake-good")
    assert missing.returncode == 2


def test_scope_is_parsed_only_when_asked(tmp_path: Path) -> None:
    broken = cli.Settings(scope_env="this is not a network")  # no error yet
    with pytest.raises(UsageError):
        _ = broken.scope
    lab = cli.Settings(scope_env="198.18.0.0/15,2001:db8::/32")
    assert "198.18.1.10" in lab.scope
    assert "2001:db8::10" in lab.scope
    assert "192.0.2.1" not in lab.scope
    scope_file = tmp_path / "scope.txt"
    scope_file.write_text("# lab only\n198.18.0.0/15\n")
    from_file = cli.Settings(scope_file=str(scope_file), scope_env="2001:db8::/32")
    assert "198.18.1.10" in from_file.scope
    assert "2001:db8::10" not in from_file.scope  # --scope wins over the environment


# -- the lazy group itself --------------------------------------------------------------------


def _group(fake_dist: Path, monkeypatch: pytest.MonkeyPatch, *names: str) -> cli.PluginGroup:
    monkeypatch.syspath_prepend(str(fake_dist))
    points = {
        "good": "np_fake_good:command",
        "broken": "np_fake_broken:command",
    }
    eps = [EntryPoint(name=n, value=points[n], group=cli.PLUGIN_GROUP) for n in names]
    eps.append(EntryPoint(name="good", value="np_fake_notcmd:command", group=cli.PLUGIN_GROUP))

    @click.group(cls=cli.PluginGroup, discover=lambda: eps)
    @click.pass_context
    def group(ctx: click.Context) -> None:
        ctx.ensure_object(cli.Settings)

    return group  # type: ignore[return-value]


def test_group_loads_only_what_is_asked(fake_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("np_fake_good", "np_fake_broken", "np_fake_notcmd"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    group = _group(fake_dist, monkeypatch, "good", "broken")
    ctx = click.Context(group)
    assert group.list_commands(ctx) == ["broken", "good"]
    assert not {"np_fake_good", "np_fake_broken"} & set(sys.modules)

    good = group.get_command(ctx, "good")
    assert isinstance(good, click.Command) and not isinstance(good, cli.UnavailablePlugin)
    assert "np_fake_good" in sys.modules
    assert "np_fake_notcmd" not in sys.modules  # the later, shadowed "good" is ignored
    assert "np_fake_broken" not in sys.modules
    assert group.get_command(ctx, "good") is good  # loaded once

    broken = group.get_command(ctx, "broken")
    assert isinstance(broken, cli.UnavailablePlugin)
    assert isinstance(broken.error, ModuleNotFoundError)
    assert group.get_command(ctx, "nothing") is None

    result = CliRunner().invoke(group, ["broken", "x"])
    assert isinstance(result.exception, cli.PluginLoadError)
    assert result.exception.exit_code == 4
    assert isinstance(result.exception.__cause__, ModuleNotFoundError)


# -- start-up time (a report, not a test of speed) -----------------------------------------------


def test_report_startup_time(fake_dist: Path) -> None:
    """Print how long ``netprobe --help`` takes; the budget is 150 ms."""
    env = _env(fake_dist)
    env["PYTHONPATH"] = str(REPO_ROOT)  # just netprobe, as installed
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "netprobe", "--help"],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        assert done.returncode == 0
    timed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "netprobe", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    rows = []
    for line in timed.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    top = sorted(rows, reverse=True)[:8]
    print(f"\nnetprobe --help wall time: best {min(walls) * 1000:.0f} ms of {len(walls)} runs")
    for cumulative, name in top:
        print(f"  {cumulative / 1000:7.1f} ms  {name}")


def test_the_command_process_tunes_the_collector_and_main_leaves_it_alone() -> None:
    script = (
        "import gc\n"
        "from netprobe.cli import main\n"
        "from netprobe.console import GC_THRESHOLDS, console\n"
        "before = gc.get_threshold()\n"
        "main(['--version'])\n"
        "after_main = gc.get_threshold()\n"
        "console_code = None\n"
        "import sys; sys.argv = ['netprobe', '--version']\n"
        "console_code = console()\n"
        "print(before == after_main, gc.get_threshold() == GC_THRESHOLDS, console_code,\n"
        "      gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "True True 0 True"
