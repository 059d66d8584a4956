"""Tests for netprobe.services.output: JSON Lines shape, terminal tables, colours, files."""

from __future__ import annotations

import datetime
import io
import ipaddress
import json
import os
import re
import stat
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import netprobe.services.output as output
from netprobe.errors import RuntimeProblem
from netprobe.services.output import Column, Output, ProgressReporter, atomic_text_file

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class TTYBuffer(io.StringIO):
    """A StringIO that says it is a terminal, as a console would."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def colour_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment in which rich would colour a terminal."""
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


# -- JSON Lines ---------------------------------------------------------------


def test_emit_writes_one_compact_object_per_line_in_given_key_order() -> None:
    out = io.StringIO()
    printer = Output(json=True, stdout=out)
    printer.emit({"zeta": 1, "alpha": "b", "mid": [1, 2], "none": None})
    printer.emit({"host": "198.18.1.10", "name": "grüße ✓"})
    text = out.getvalue()
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) == 3  # every object ends with a newline
    assert lines[0] == '{"zeta":1,"alpha":"b","mid":[1,2],"none":null}'
    # ensure_ascii=False: non-ASCII stays readable, and still parses back.
    assert "grüße ✓" in lines[1]
    assert json.loads(lines[1]) == {"host": "198.18.1.10", "name": "grüße ✓"}
    assert list(json.loads(lines[0])) == ["zeta", "alpha", "mid", "none"]


def test_emit_json_writes_every_record_in_json_mode_only() -> None:
    out = io.StringIO()
    records = ({"type": "host", "n": n} for n in range(3))
    assert Output(json=True, stdout=out).emit_json(records) is True
    assert [json.loads(x) for x in out.getvalue().splitlines()] == [
        {"type": "host", "n": 0}, {"type": "host", "n": 1}, {"type": "host", "n": 2}]
    text = io.StringIO()
    untouched = iter([{"type": "host"}])
    assert Output(json=False, stdout=text).emit_json(untouched) is False
    assert text.getvalue() == "" and next(untouched) == {"type": "host"}


def test_emit_converts_common_non_json_values() -> None:
    out = io.StringIO()
    Output(json=True, stdout=out).emit(
        {
            "raw": b"\x00\xffA",
            "addr": ipaddress.ip_address("2001:db8::1"),
            "net": ipaddress.ip_network("198.18.0.0/15"),
            "path": Path("/tmp/x.pcap"),
            "flags": {"S", "A"},
            "when": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        }
    )
    assert json.loads(out.getvalue()) == {
        "raw": "00ff41",
        "addr": "2001:db8::1",
        "net": "198.18.0.0/15",
        "path": "/tmp/x.pcap",
        "flags": ["A", "S"],
        "when": 1704067200.0,
    }


def test_emit_refuses_nan_and_unknown_types() -> None:
    printer = Output(json=True, stdout=io.StringIO())
    with pytest.raises(ValueError):
        printer.emit({"rtt": float("nan")})  # NaN is not JSON
    with pytest.raises(TypeError):
        printer.emit({"thing": object()})


def test_table_in_json_mode_streams_one_object_per_row_with_kind_first() -> None:
    out = io.StringIO()
    rows = iter([[22, "open", None], [80, "closed", "http"]])
    Output(json=True, stdout=out).table(
        ["port", Column("state", header="State"), "service"], rows, kind="port"
    )
    objects = [json.loads(line) for line in out.getvalue().splitlines()]
    assert objects == [
        {"kind": "port", "port": 22, "state": "open", "service": None},
        {"kind": "port", "port": 80, "state": "closed", "service": "http"},
    ]
    assert all(next(iter(obj)) == "kind" for obj in objects)


def test_table_rejects_rows_of_the_wrong_width() -> None:
    for json_mode in (True, False):
        with pytest.raises(ValueError, match="2 values for 3 columns"):
            Output(json=json_mode, stdout=io.StringIO()).table(["a", "b", "c"], [[1, 2]])


def test_terminal_mode_table_shows_headings_and_cells_literally() -> None:
    out = io.StringIO()
    Output(json=False, stdout=out).table(
        ["port", "state", Column("service_name", justify="right")],
        [[22, "open", "[bold]ssh[/bold]"], [8080, "filtered", None]],
        title="Ports",
    )
    text = out.getvalue()
    assert "PORT" in text and "STATE" in text and "SERVICE NAME" in text
    assert "Ports" in text
    assert "[bold]ssh[/bold]" in text  # cells are text, never rich markup
    assert "8080" in text and "filtered" in text
    assert not ANSI.search(text)  # a StringIO is no terminal: no colour codes


def test_emit_in_terminal_mode_writes_key_value_pairs() -> None:
    out = io.StringIO()
    Output(json=False, stdout=out).emit({"host": "198.18.1.10", "note": "two words", "up": True})
    assert out.getvalue() == 'host=198.18.1.10 note="two words" up=true\n'


class ClosedPipe(io.StringIO):
    """A stream whose reader has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_under_a_table_raises_broken_pipe() -> None:
    # rich would exit with status 1 on its own; the CLI wants the exception.
    with pytest.raises(BrokenPipeError):
        Output(json=False, stdout=ClosedPipe()).table(["port"], [[22]])


# -- lines and warnings --------------------------------------------------------


def test_line_writes_text_as_is_and_refuses_json_mode() -> None:
    out = io.StringIO()
    printer = Output(json=False, stdout=out)
    printer.line("12:00:00.000001 IP 198.18.1.1 > 198.18.1.10: [S]")
    printer.lines(["a", "b"])
    assert out.getvalue() == "12:00:00.000001 IP 198.18.1.1 > 198.18.1.10: [S]\na\nb\n"
    with pytest.raises(RuntimeError):
        Output(json=True, stdout=io.StringIO()).line("text would break the JSON stream")


def test_warn_goes_to_stderr_only() -> None:
    out, err = io.StringIO(), io.StringIO()
    Output(json=True, stdout=out, stderr=err).warn("3 probes unanswered")
    assert out.getvalue() == ""
    assert err.getvalue() == "netprobe: warning: 3 probes unanswered\n"


# -- colour ----------------------------------------------------------------------


@pytest.mark.usefixtures("colour_env")
def test_colour_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    coloured = TTYBuffer()
    Output(json=False, color=True, stdout=coloured).table(["port"], [[22]])
    assert ANSI.search(coloured.getvalue()), "a colour terminal should get a bold header"

    monkeypatch.setenv("NO_COLOR", "1")
    plain = TTYBuffer()
    printer = Output(json=False, color=True, stdout=plain)
    assert printer.color is False
    printer.table(["port"], [[22]])
    assert "PORT" in plain.getvalue()
    assert not ANSI.search(plain.getvalue())


@pytest.mark.usefixtures("colour_env")
def test_no_colour_when_settings_say_so() -> None:
    plain = TTYBuffer()
    Output(json=False, color=False, stdout=plain).table(["port"], [[22]])
    assert not ANSI.search(plain.getvalue())


def test_current_follows_the_running_command_settings() -> None:
    class FakeSettings:
        json = True
        color = False

    seen = []

    @click.command()
    @click.pass_context
    def show(ctx: click.Context) -> None:
        seen.append(Output.current())

    CliRunner().invoke(show, [], obj=FakeSettings(), catch_exceptions=False)
    assert seen[0].json is True
    FakeSettings.json = False
    CliRunner().invoke(show, [], obj=FakeSettings(), catch_exceptions=False)
    assert seen[1].json is False


# -- progress ---------------------------------------------------------------------


def test_progress_bar_appears_only_after_the_delay() -> None:
    now = [100.0]
    stream = TTYBuffer()
    reporter = ProgressReporter(
        10, "probing", enabled=True, stream=stream, delay=1.0, clock=lambda: now[0]
    )
    reporter.advance()
    now[0] += 0.5
    reporter.advance()
    assert not reporter.visible and stream.getvalue() == ""
    now[0] += 0.6
    reporter.advance(3)
    try:
        assert reporter.visible
        assert reporter.completed == 5
    finally:
        reporter.close()
    assert not reporter.visible


def test_progress_never_draws_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(output, "PROGRESS_DELAY", 0.0)
    err = io.StringIO()
    with Output(json=True, stderr=err).progress(3, "probing") as reporter:
        for _ in range(3):
            reporter.advance()
        assert not reporter.visible
        assert reporter.completed == 3
    assert err.getvalue() == ""


@pytest.mark.usefixtures("colour_env")
def test_progress_draws_on_a_terminal_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "PROGRESS_DELAY", 0.0)
    err = TTYBuffer()
    with Output(json=True, stderr=err).progress(None, "reading") as reporter:
        reporter.advance()
        assert reporter.visible
    assert not reporter.visible
    assert err.getvalue() != ""  # something was drawn on the "terminal"


@pytest.mark.usefixtures("colour_env")
def test_results_stay_on_stdout_while_a_bar_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "PROGRESS_DELAY", 0.0)
    piped, err = io.StringIO(), TTYBuffer()
    printer = Output(json=True, stdout=piped, stderr=err)
    stdout_before = sys.stdout
    with printer.progress(2, "probing") as reporter:
        reporter.advance()
        assert reporter.visible
        assert sys.stdout is stdout_before  # rich must not capture stdout
        printer.emit({"port": 22})
    assert piped.getvalue() == '{"port":22}\n'
    assert '{"port":22}' not in err.getvalue()


@pytest.mark.usefixtures("colour_env")
def test_lines_print_above_the_bar_when_both_share_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(output, "PROGRESS_DELAY", 0.0)
    screen_out, screen_err = TTYBuffer(), TTYBuffer()
    printer = Output(json=False, stdout=screen_out, stderr=screen_err)
    with printer.progress(2, "probing") as reporter:
        reporter.advance()
        printer.line("198.18.1.10 is up")
    printer.line("done")
    assert "198.18.1.10 is up" in screen_err.getvalue()  # drawn through the bar
    assert screen_out.getvalue() == "done\n"


# -- atomic files -----------------------------------------------------------------


def _leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_atomic_text_file_writes_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    with atomic_text_file(target) as handle:
        handle.write("first\n")
        assert not target.exists()  # nothing visible until the block ends
        handle.write("second ✓\n")
    assert target.read_text(encoding="utf-8") == "first\nsecond ✓\n"
    assert _leftovers(tmp_path, {"report.json"}) == []


def test_atomic_text_file_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old contents\n")
    with pytest.raises(KeyboardInterrupt), atomic_text_file(target) as handle:
        handle.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old contents\n"
    assert _leftovers(tmp_path, {"report.json"}) == []

    fresh = tmp_path / "new.txt"
    with pytest.raises(ValueError), atomic_text_file(fresh) as handle:
        handle.write("x")
        raise ValueError("boom")
    assert not fresh.exists()
    assert _leftovers(tmp_path, {"report.json"}) == []


def test_atomic_text_file_modes(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        with atomic_text_file(tmp_path / "new.txt") as handle:
            handle.write("x")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640

    existing = tmp_path / "exec.sh"
    existing.write_text("old")
    existing.chmod(0o750)
    with atomic_text_file(existing) as handle:
        handle.write("new")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o750
    assert existing.read_text() == "new"


def test_atomic_text_file_reports_an_unwritable_place(tmp_path: Path) -> None:
    with pytest.raises(RuntimeProblem, match="cannot write"):  # noqa: SIM117
        with atomic_text_file(tmp_path / "no-such-dir" / "out.txt") as handle:
            handle.write("x")
    target_dir = tmp_path / "is-a-dir"
    target_dir.mkdir()
    with pytest.raises(RuntimeProblem, match="cannot write"), atomic_text_file(target_dir) as h:
        h.write("x")
    assert _leftovers(tmp_path, {"is-a-dir"}) == []


def test_atomic_text_file_dash_means_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with atomic_text_file("-") as handle:
        handle.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


@pytest.mark.parametrize("width", [80, 120])
def test_terminal_table_folds_long_cells_and_never_cuts_them(
        width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    a, b = "[2001:db8:4000:1234:5678:9abc:def0:1]:35995", "[2001:db8:1:8000::5]:443"
    out = io.StringIO()
    Output(json=False, stdout=out).table(
        ["proto", "a", "b", Column("packets", justify="right"), Column("bytes", justify="right"),
         Column("a to b", justify="right"), Column("b to a", justify="right"), "state"],
        [["tcp", a, b, 28, "15.5 kB", "2.32 kB", "13.2 kB", "S1"]])
    text = out.getvalue()
    assert "…" not in text
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    # a folded cell reads back whole from its column, line after line
    header = lines[0]
    for heading, nxt, value in (("A", "B", a), ("B", "PACKETS", b)):
        start = header.index(f" {heading} ") + 1 if f" {heading} " in header else header.index(
            heading)
        end = header.index(nxt, start + len(heading))
        column = "".join(line[start:end].strip() for line in lines[1:])
        assert column == value
    assert all(part in text for part in ("28", "15.5 kB", "S1"))
