"""``netprobe interpret``: look again at a saved run without sending a packet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from netprobe.cli_types import Duration, Suggest, json_option, option
from netprobe.errors import UsageError
from netprobe.services.plugin_record import Plugin

if TYPE_CHECKING:
    from netprobe.engine.results import Result
    from netprobe.services.json_value import JSONRecord, JSONValue
    from netprobe.services.output import Output

#: views every run can be seen through (``--as``); plugin names work too
GENERIC_VIEWS = ("sr", "hosts", "routers")


def _views() -> tuple[str, ...]:
    """What ``--as`` offers: the generic views, then every plugin that interprets runs."""
    from netprobe.services.plugin_index import interpreting_plugins

    return (*GENERIC_VIEWS, *interpreting_plugins())


@click.command("interpret")
@click.argument("run_file", metavar="RUN.pcapng", type=click.Path(readable=False))
@click.option("--as", "view", metavar="VIEW", default=None,
              type=Suggest(_views),
              help="Interpret with another view: sr (every probe and its answer), hosts "
                   "(who answered), routers (who sent time-exceeded), or a plugin name. "
                   "Needed for captures netprobe did not write.")
@option("--timeout", "timeout", type=Duration(min_open=False),
        help="Count answers that came more than this long after their probe as "
             "unanswered (a shorter cut-off than the live run's).")
@option("--all-states", "all_states", default=None,
        help="Port scans: list every port, not only those outside the host's "
             "dominant state.")
@option("--top", "top", type=click.IntRange(min=0), metavar=None,
        help="Plugins with a top-N view: how many to list.")
@json_option()
def command(run_file: str, view: str | None, timeout: float | None, all_states: bool | None,
            top: int | None, as_json: bool | None) -> None:
    """Interpret a run saved with --save RUN.pcapng again, offline.

    \b
    A file written by a probing subcommand's --save (portscan, traceroute,
    arpscan, craft --sr, fuzz) describes itself: interpret runs the same
    plugin's interpretation on the saved probes and answers and prints the
    same table, or the same JSON Lines byte for byte. Options that only change
    interpretation work offline: --all-states, --top, --timeout.

    \b
    Any other capture (a tcpdump of someone else's scan) is matched as the
    engine matches answers to probes; look at it with --as sr, hosts or routers.

    \b
    Examples:
      netprobe portscan 198.18.1.11 --save run.pcapng
      netprobe interpret run.pcapng --all-states
      netprobe interpret run.pcapng --as hosts
      netprobe interpret someone-elses-scan.pcap --as sr --json

    Exit status: 0; 2 for a view that does not apply; 4 for a file that is not
    a capture or is damaged (with the offset).
    """
    from netprobe.engine.runfile import load_run
    from netprobe.services.output import Output

    output = Output.current(as_json)
    saved = load_run(run_file)
    overrides: JSONRecord = {k: v for k, v in (("timeout", timeout),
                                                    ("all_states", all_states),
                                                    ("top", top)) if v is not None}
    if not saved.has_metadata:
        if view is None:
            raise UsageError(f"{run_file} was not written by netprobe --save: say how to "
                             f"look at it with --as ({', '.join(GENERIC_VIEWS)})")
        if view not in GENERIC_VIEWS:
            raise UsageError(f"--as {view}: a capture without netprobe's metadata can only "
                             f"be seen as {', '.join(GENERIC_VIEWS)}")
        from netprobe.plugins.interpret.offline_match import match_packets

        saved.results = match_packets(saved.packets, timeout)
        _print(output, _generic(view, saved.results))
        return
    if timeout is not None:
        saved.results = [_cut(r, timeout) for r in saved.results]
    if view is None and saved.plugin in GENERIC_VIEWS:
        view = saved.plugin  # saved from the Python API: ``ans.save(path)``
    if view in GENERIC_VIEWS:
        _print(output, _generic(view, saved.results))
        return
    if view is None or view == saved.plugin:
        record = _interpreting(saved.plugin or "")
        records = list(record.report(saved, overrides))  # type: ignore[misc]
        if record.render is not None and not output.json:
            record.render(records, output)
        else:
            _print(output, iter(records))
        return
    raise UsageError(f"--as {view}: a {saved.plugin} run can be seen as {saved.plugin} or as "
                     f"{', '.join(GENERIC_VIEWS)}")


def _interpreting(name: str) -> Plugin:
    """The record of the plugin that saved the run, when it interprets saved runs.

    Found through the plugin records (entry points ``netprobe.plugins``), so a
    third-party plugin's runs are read back as a built-in one's.
    """
    from netprobe.services.plugin_index import load_plugin

    record = load_plugin(name)
    if record is None or record.report is None:
        why = "is not installed" if record is None else "does not interpret saved runs"
        raise UsageError(f"the run was made by {name!r}, which {why}; try --as "
                         f"{', '.join(GENERIC_VIEWS)}")
    return record


def _cut(result: Result, timeout: float) -> Result:
    """The result with an answer later than ``timeout`` turned into no answer."""
    from netprobe.engine.results import Result

    if result.received is None or result.received - result.sent <= timeout:
        return result
    cut = Result(result.probe_bytes, result.probe_linktype, result.sent, result.sends)
    cut.tag = result.tag
    return cut


def _generic(view: str, results: list[Result]) -> Iterator[JSONRecord]:
    from netprobe.plugins.interpret.views import VIEWS

    return VIEWS[view](results)


def _print(output: Output, records: Iterator[JSONRecord]) -> None:
    if output.emit_json(records):
        return
    rows = list(records)
    body = [r for r in rows if r.get("type") != "summary"]
    summary = [r for r in rows if r.get("type") == "summary"]
    if body:
        keys = [k for k in body[0] if k != "type"]
        output.table(keys, [[_cell(r.get(k)) for k in keys] for r in body])
    for s in summary:
        output.line("  ".join(f"{k}: {v}" for k, v in s.items() if k != "type"))


def _cell(value: JSONValue) -> JSONValue:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value


#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command)
