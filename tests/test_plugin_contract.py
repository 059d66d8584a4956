"""The plugin contract (netprobe.services.plugin_record): records, and a third-party plugin.

A small plugin package, ``np_theirs``, is built here as a wheel and installed
with pip into a temporary target directory; netprobe, run with that directory
on ``PYTHONPATH``, must list it, run it, read back the runs it saves
(``netprobe interpret``) and draw the runs it records (``netprobe history``),
exactly as it does for its own plugins. The plugin sends nothing: its results
are made up from packets it builds.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest

from netprobe.services.plugin_index import (
    PluginLoadError,
    as_plugin,
    history_plugin,
    interpreting_plugins,
    load_plugin,
    plugin_entry_points,
)
from netprobe.services.plugin_record import Plugin, deferred

# -- the built-in plugins ------------------------------------------------------------------


def test_every_builtin_entry_point_names_a_record() -> None:
    names = plugin_entry_points()
    assert {"portscan", "traceroute", "arpscan", "craft", "fuzz", "read", "sniff", "flows",
            "lab", "history", "interpret"} <= set(names)
    for name, entry_point in names.items():
        if not entry_point.value.startswith("netprobe."):
            continue  # a third-party plugin installed beside netprobe
        loaded = entry_point.load()
        assert isinstance(loaded, Plugin), name
        assert loaded.command.name == name


def test_probing_plugins_interpret_and_record() -> None:
    """The plugins that save runs say how to read them back; the ones with --db say
    under which kind their runs are filed, and the function behind each name loads."""
    for name in ("portscan", "traceroute", "arpscan", "craft", "fuzz"):
        record = load_plugin(name)
        assert record is not None and record.report is not None, name
        assert callable(record.report.resolve())  # type: ignore[attr-defined]
        if record.render is not None:
            assert callable(record.render.resolve())  # type: ignore[attr-defined]
    for name in ("read", "sniff", "flows", "lab", "history", "interpret"):
        record = load_plugin(name)
        assert record is not None and record.report is None, name
    assert {n for n in ("portscan", "traceroute", "arpscan", "craft", "fuzz")
            if history_plugin(n) is not None} == {"portscan", "traceroute", "arpscan"}
    assert {"portscan", "traceroute", "arpscan", "craft", "fuzz"} <= set(interpreting_plugins())
    assert load_plugin("no-such-plugin") is None
    assert history_plugin("no-such-kind") is None


def test_deferred_imports_on_first_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "np_deferred_probe.py").write_text("def double(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "np_deferred_probe", raising=False)
    function = deferred("np_deferred_probe:double")
    assert "np_deferred_probe" not in sys.modules
    assert function(21) == 42
    assert "np_deferred_probe" in sys.modules
    with pytest.raises(ValueError, match="module:function"):
        deferred("np_deferred_probe.double")


def test_a_bare_click_command_is_a_plugin_with_a_command_only() -> None:
    @click.command("bare")
    def bare() -> None:
        """A command registered the old way."""

    record = as_plugin(bare)
    assert record.command is bare and record.name == "bare"
    assert (record.report, record.render, record.history_kind) == (None, None, None)
    with pytest.raises(TypeError, match="not a click command"):
        as_plugin(42)


def test_a_broken_plugin_is_named_and_left_out_of_listings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "np_broken-0.1.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text("[netprobe.plugins]\nbroken = np_absent_mod:plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "broken" in plugin_entry_points()
    with pytest.raises(PluginLoadError, match="np_absent_mod") as caught:
        load_plugin("broken")
    assert caught.value.exit_code == 4
    assert "broken" not in interpreting_plugins() and "portscan" in interpreting_plugins()
    assert history_plugin("portscan") is not None


# -- a third-party plugin, installed with pip ----------------------------------------------

PLUGIN_INIT = '''\
"""np_theirs: a third-party netprobe plugin for the contract test (sends nothing)."""

import sys

import click

from netprobe.services.history.recorder import db_option, make_scan_key, recording
from netprobe.services.plugin_record import Plugin, deferred


@click.command("theirs")
@click.option("--count", type=int, default=3)
@click.option("--save", "save_path", default=None)
@db_option
def command(count, save_path, db):
    """Echo made-up probes: a third-party plugin of the contract test.

    Results are built from packets, never sent.
    """
    from netprobe.engine.results import Result
    from netprobe.engine.runfile import SavedRun, save_run
    from netprobe.packet import IP, UDP
    from netprobe.services.output import Output
    from np_theirs.interpret import render, report

    output = Output.current()
    results = []
    for i in range(count):
        probe = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=4000, dport=7000 + i))
        answer = None
        if i % 2 == 0:
            answer = bytes(IP(src="198.18.0.2", dst="198.18.0.1")
                           / UDP(sport=7000 + i, dport=4000))
        results.append(Result(probe, 101, 1000.0 + i, answer_bytes=answer, answer_linktype=101,
                              received=None if answer is None else 1000.25 + i))
    with recording(db, kind="theirs", scan_key="" if db is None else make_scan_key(
            "theirs", ["198.18.0.2"], {"count": count}), targets=["198.18.0.2"]) as history:
        saved = SavedRun(plugin="theirs", argv=sys.argv[1:], results=results)
        records = list(report(saved, {}))
        if save_path:
            save_run(save_path, results, plugin="theirs", argv=saved.argv)
        if output.json:
            for record in records:
                output.emit(record)
        else:
            render(records, output)
        for record in records:
            history.add(record)


plugin = Plugin(
    command=command,
    report=deferred("np_theirs.interpret:report"),
    render=deferred("np_theirs.interpret:render"),
    history_kind="theirs",
)
'''

PLUGIN_INTERPRET = '''\
"""np_theirs' interpretation: results -> records, records -> lines."""

from netprobe.packet import UDP


def report(saved, overrides):
    answered = 0
    for n, result in enumerate(saved.results):
        answered += result.answered
        yield {"type": "echo", "n": n, "dport": result.probe[UDP].dport,
               "answered": result.answered}
    yield {"type": "summary", "probes": len(saved.results), "answered": answered}


def render(records, output):
    for record in records:
        if record["type"] == "echo":
            state = "answered" if record["answered"] else "silent"
            output.line(f"THEIRS n={record['n']} dport={record['dport']} {state}")
        else:
            output.line(f"THEIRS {record['answered']} of {record['probes']} answered")
'''


def _wheel(directory: Path) -> Path:
    """np_theirs 0.1 as a wheel file (the format pip installs; no build tools needed)."""
    dist = "np_theirs-0.1.dist-info"
    files = {
        "np_theirs/__init__.py": PLUGIN_INIT,
        "np_theirs/interpret.py": PLUGIN_INTERPRET,
        f"{dist}/METADATA": "Metadata-Version: 2.1\nName: np-theirs\nVersion: 0.1\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
        f"{dist}/entry_points.txt": "[netprobe.plugins]\ntheirs = np_theirs:plugin\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append(f"{name},sha256={digest.rstrip(b'=').decode()},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    path = directory / "np_theirs-0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def theirs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A target directory into which pip installed np_theirs."""
    base = tmp_path_factory.mktemp("theirs")
    target = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--disable-pip-version-check", "--target", str(target),
                    str(_wheel(base))], check=True, timeout=120)
    assert (target / "np_theirs-0.1.dist-info" / "entry_points.txt").is_file()
    return target


def netprobe(args: list[str], cwd: Path, site: Path | None
             ) -> subprocess.CompletedProcess[str]:
    """``python -m netprobe ARGS``, with ``site`` (the plugin's install) on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NETPROBE_DB")}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    env["COLUMNS"] = "120"
    return subprocess.run([sys.executable, "-m", "netprobe", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_third_party_plugin_is_listed(theirs: Path, tmp_path: Path) -> None:
    done = netprobe(["--help"], tmp_path, theirs)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.strip().startswith("theirs "))
    assert "Echo made-up probes" in line
    assert "theirs" not in netprobe(["--help"], tmp_path, None).stdout
    completion = netprobe(["completion", "bash"], tmp_path, theirs)
    assert completion.returncode == 0, completion.stderr
    offered = next(x for x in completion.stdout.splitlines() if '"interpret:--as"' in x)
    assert "theirs" in offered and "portscan" in offered


def test_third_party_runs_are_interpreted_and_recorded(theirs: Path, tmp_path: Path) -> None:
    live = netprobe(["theirs", "--count", "3", "--save", "run.pcapng", "--db", "h.db",
                     "--json"], tmp_path, theirs)
    assert live.returncode == 0, live.stderr
    records = [json.loads(line) for line in live.stdout.splitlines()]
    assert [(r["type"], r.get("dport"), r.get("answered")) for r in records] == [
        ("echo", 7000, True), ("echo", 7001, False), ("echo", 7002, True),
        ("summary", None, 2)]

    # probe once, interpret many: the same records, byte for byte, from the file
    again = netprobe(["interpret", "run.pcapng", "--json"], tmp_path, theirs)
    assert again.returncode == 0, again.stderr
    assert again.stdout == live.stdout
    drawn = netprobe(["interpret", "run.pcapng", "--as", "theirs", "--no-json"], tmp_path,
                     theirs)
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout.splitlines() == ["THEIRS n=0 dport=7000 answered",
                                         "THEIRS n=1 dport=7001 silent",
                                         "THEIRS n=2 dport=7002 answered",
                                         "THEIRS 2 of 3 answered"]

    # history files the run under the plugin's kind and draws it with its renderer
    listed = netprobe(["history", "--db", "h.db", "list", "--json"], tmp_path, theirs)
    assert [json.loads(x)["kind"] for x in listed.stdout.splitlines()] == ["theirs"]
    shown = netprobe(["history", "--db", "h.db", "show", "last", "--no-json"], tmp_path,
                     theirs)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[1:] == drawn.stdout.splitlines()

    # without the plugin installed, its runs cannot be interpreted: one line, exit 2
    gone = netprobe(["interpret", "run.pcapng"], tmp_path, None)
    assert gone.returncode == 2
    assert gone.stderr.strip().splitlines()[-1] == (
        "netprobe: error: the run was made by 'theirs', which is not installed; try --as "
        "sr, hosts, routers")
    generic = netprobe(["history", "--db", "h.db", "show", "last", "--no-json"], tmp_path,
                       None)
    assert generic.returncode == 0 and "THEIRS" not in generic.stdout
    assert "echo (3)" in generic.stdout


def test_written_plugin_docstring_is_what_help_shows() -> None:
    """The summary in ``netprobe --help`` is read from the record's command (source)."""
    from netprobe.cli import plugin_summary

    entry_point = plugin_entry_points()["portscan"]
    assert entry_point.value.endswith(":plugin")
    expected = load_plugin("portscan").command.help  # type: ignore[union-attr]
    summary = plugin_summary(entry_point, 200)  # type: ignore[arg-type]
    assert summary and summary.rstrip(".") in " ".join((expected or "").split())
