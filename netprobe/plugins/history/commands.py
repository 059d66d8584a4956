"""``netprobe history``: the click group and its subcommands (list, show, diff, prune).

Only click is imported here at module level: ``netprobe --help`` and the
probing plugins that import ``recorder`` must not pay for SQLite or rich.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import click

from netprobe.cli_types import json_option, option
from netprobe.errors import UsageError
from netprobe.services.history.recorder import DB_ENV

if TYPE_CHECKING:
    from netprobe.plugins.history.filters import HostMatch, PortSet
    from netprobe.plugins.history.pick import Comparison
    from netprobe.services.history.store import HistoryStore
    from netprobe.services.json_value import JSONRecord, JSONValue
    from netprobe.services.output import Output

F = TypeVar("F", bound=Callable[..., object])
_DB_KEY = "netprobe.history.db"

_EPILOG = """\b
Exit status: 0 ok; 1 `diff` found changes; 2 usage (unknown run, bad filter,
no database at FILE); 3 the database is locked by another process past the
busy timeout; 4 FILE is not a netprobe history database, is damaged, or was
written by a newer netprobe.
"""


_db_option = option("--db", "db", type=click.Path(dir_okay=False),
                    help=f"history database (default: the group's --db, else ${DB_ENV})")
_json_option = json_option("JSON Lines or tables")


def _filter_options(function: F) -> F:
    function = option("--port", "port_text",
                      help="only findings about these ports: 22 | 22,80 | 1000-2000")(function)
    return click.option("--host", "host_texts", metavar="HOST", multiple=True,
                        help="only findings about this address, CIDR block or MAC "
                             "(repeatable)")(function)


@click.group("history", epilog=_EPILOG)
@option("--db", "db", envvar=DB_ENV, type=click.Path(dir_okay=False),
        help=f"history database written by --db runs (env {DB_ENV})")
@click.pass_context
def command(ctx: click.Context, db: str | None) -> None:
    """Runs recorded with --db: list them, show one, diff two, prune old ones.

    \b
    Examples:
      netprobe history --db lab.db list --since 1d
      netprobe history --db lab.db show last --port 22
      netprobe history --db lab.db diff            # each scan of the latest round
      netprobe history --db lab.db diff --scan traceroute
      netprobe history --db lab.db diff 12 15 --host 198.18.1.0/24
      netprobe history --db lab.db prune --keep 100
    """
    ctx.meta[_DB_KEY] = db


# -- shared plumbing -----------------------------------------------------------------------
def _open(ctx: click.Context, db: str | None) -> HistoryStore:
    from netprobe.services.history.store import HistoryStore

    path = db or ctx.meta.get(_DB_KEY)
    if not path:
        raise UsageError(f"no history database: give --db FILE or set {DB_ENV}")
    return HistoryStore.open(path)


def _filters(host_texts: tuple[str, ...], port_text: str | None
             ) -> tuple[list[HostMatch], PortSet | None]:
    from netprobe.plugins.history.filters import HostMatch, PortSet

    hosts = [HostMatch.parse(text) for text in host_texts]
    ports = PortSet.parse(port_text) if port_text is not None else None
    return hosts, ports


def _run_id(text: str, store: HistoryStore) -> int:
    """A RUN argument: a run id, or ``last``."""
    if text.strip().lower() == "last":
        latest = store.latest()
        if latest is None:
            raise UsageError(f"{store.path} holds no runs yet")
        return latest.id
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"RUN must be a run id (a number, see `history list`) or 'last', "
                         f"not {text!r}") from None
    if value < 1:
        raise UsageError(f"run ids start at 1, not {value}")
    return value


def _scan_key(text: str, store: HistoryStore) -> str:
    """``--scan``: a scan key, or an unambiguous beginning of one or of its hash part."""
    keys = store.scan_keys()
    if text in keys:
        return text
    matches = sorted(k for k in keys
                     if k.startswith(text) or k.partition(":")[2].startswith(text))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no scan {text!r} in {store.path} (the SCAN column of "
                         "`history list`)")
    raise UsageError(f"--scan {text!r} is ambiguous: {', '.join(matches[:5])}")


def _since(text: str | None) -> float | None:
    from netprobe.plugins.history.filters import parse_since

    return None if text is None else parse_since(text, time.time())


# -- list ----------------------------------------------------------------------------------
@command.command("list")
@_db_option
@_json_option
@click.option("--since", "since_text", metavar="WHEN", default=None,
              help="runs started since WHEN: 2h, 7d, 2024-05-01, 2024-05-01T08:00, @EPOCH")
@_filter_options
@click.option("--scan", "scan_text", metavar="SCAN", default=None,
              help="only runs of this scan (its key, or the beginning of it or of the SCAN "
                   "column)")
@click.option("--kind", "kind", metavar="KIND", default=None,
              help="only runs of this command (portscan, arpscan, traceroute...)")
@click.pass_context
def list_command(ctx: click.Context, db: str | None, as_json: bool | None,
                 since_text: str | None, host_texts: tuple[str, ...], port_text: str | None,
                 scan_text: str | None, kind: str | None) -> None:
    """The recorded runs, oldest first, with what each found.

    JSON Lines: one {"type": "run", "run", "kind", "scan", "ts", "ended_ts",
    "elapsed_s", "partial", "targets", "argv", "counts", "summary", "version"}
    per run. --host/--port keep the runs with a finding about them.
    """
    from netprobe.plugins.history.filters import keep_record
    from netprobe.plugins.history.render import run_table
    from netprobe.services.output import Output

    since = _since(since_text)
    hosts, ports = _filters(host_texts, port_text)
    output = Output.current(as_json)
    with _open(ctx, db) as store:
        scan_key = _scan_key(scan_text, store) if scan_text is not None else None

        def having(record: Mapping[str, JSONValue]) -> bool:
            return keep_record(record, hosts, ports)

        runs = store.runs(since=since, scan_key=scan_key,
                          having=having if hosts or ports is not None else None)
    if kind is not None:
        runs = [run for run in runs if run.kind == kind]
    if output.json:
        for run in runs:
            output.emit(run.to_record())
    elif runs:
        run_table(output, runs)
    else:
        output.line("no runs")


# -- show ----------------------------------------------------------------------------------
@command.command("show")
@click.argument("run_text", metavar="RUN")
@_db_option
@_json_option
@_filter_options
@click.pass_context
def show_command(ctx: click.Context, run_text: str, db: str | None, as_json: bool | None,
                 host_texts: tuple[str, ...], port_text: str | None) -> None:
    """The findings of RUN (a run id, or `last`) as the probing command printed them.

    On a terminal, the command's own table (portscan's port table, traceroute's
    hops, arpscan's hosts...), drawn by that command's renderer from the
    recorded records. With --host or --port, the findings about those hosts or
    ports, under their host and above the run's summary line.

    JSON Lines: the run's records, byte for byte as the live run printed
    them (port, host, hop, path, summary...). With --host or --port only the
    records about those hosts or ports.
    """
    from netprobe.plugins.history.filters import framed, is_finding, keep_record
    from netprobe.plugins.history.render import draw_records, run_heading
    from netprobe.services.output import Output

    hosts, ports = _filters(host_texts, port_text)
    filtered = bool(hosts) or ports is not None
    output = Output.current(as_json)
    with _open(ctx, db) as store:
        run = store.run(_run_id(run_text, store))
        records = store.records(run.id)
    if output.json:
        for record in records:
            if not filtered or keep_record(record, hosts, ports):
                output.emit(record)
        return
    output.line(run_heading(run))
    shown = framed(records, hosts, ports) if filtered else records
    if any(is_finding(r) for r in shown):
        draw_records(output, run.kind, shown)
    else:
        output.line("no findings" + (" matching the filters" if filtered else ""))


# -- diff ----------------------------------------------------------------------------------
def _comparisons(store: HistoryStore, first: str | None, second: str | None,
                 scan_text: str | None, since: float | None, output: Output
                 ) -> list[Comparison]:
    """What ``diff`` compares (see ``diff_command`` and ``pick.py`` for the rules)."""
    from netprobe.plugins.history.pick import choose, is_run_id, named_pair

    target = None
    if first is not None and not is_run_id(first):
        if second is not None:
            raise UsageError(f"give two runs to compare, or one TARGET, not {first!r} and "
                             f"{second!r}")
        target, first = first, None
    if first is not None and (scan_text is not None or since is not None):
        raise UsageError("give runs to compare, or --scan/--since to pick them, not both")
    if first is not None and second is not None:
        before, after = store.run(_run_id(first, store)), store.run(_run_id(second, store))
        comparison = named_pair(before, after)
        if before.scan_key != after.scan_key:
            output.warn(f"runs {before.id} and {after.id} are of different scans "
                        f"({before.scan_key}, {after.scan_key}): what only one of them "
                        "probed shows as changed")
        for run in (before, after):
            if run.partial:
                output.warn(f"run {run.id} is partial (stopped early): what it did not reach "
                            "shows as changed")
        return [comparison]
    if first is not None:
        before = store.run(_run_id(first, store))
        later = [r for r in store.scan_runs(before.scan_key) if r.id > before.id]
        if not later:
            raise UsageError(f"run {before.id} is the latest complete run of its scan: give "
                             "a second run to compare it with")
        return [named_pair(before, later[-1])]
    runs = store.runs()
    kind = scan_key = None
    if scan_text is not None:
        if scan_text in {run.kind for run in runs}:
            kind = scan_text
        else:
            scan_key = _scan_key(scan_text, store)
    return choose(runs, kind=kind, scan_key=scan_key, target=target, since=since)


def _summary(comparison: Comparison, changes: list[JSONRecord] | None) -> JSONRecord:
    from netprobe.services.history.diff import change_counts

    summary: JSONRecord = {
        "type": "summary", "kind": comparison.kind, "scan": comparison.scan,
        "before": comparison.before.id if comparison.before is not None else None,
        "after": comparison.after.id if comparison.after is not None else None,
        "changes": len(changes or ()), "counts": change_counts(changes or ())}
    if comparison.note is not None:
        summary["note"] = comparison.note
    return summary


@command.command("diff")
@click.argument("first", metavar="[RUN_A|TARGET]", required=False)
@click.argument("second", metavar="[RUN_B]", required=False)
@_db_option
@_json_option
@click.option("--scan", "scan_text", metavar="KIND|SCAN", default=None,
              help="compare the last two runs of the latest scan of this kind (portscan, "
                   "traceroute, arpscan...), or of this scan (the SCAN column of `history "
                   "list`)")
@click.option("--since", "since_text", metavar="WHEN", default=None,
              help="compare each scan as it was at WHEN (its last run started before) with "
                   "its latest run: 1d, 2024-05-01...")
@_filter_options
@click.pass_context
def diff_command(ctx: click.Context, first: str | None, second: str | None, db: str | None,
                 as_json: bool | None, scan_text: str | None, since_text: str | None,
                 host_texts: tuple[str, ...], port_text: str | None) -> None:
    """What changed between two runs of one scan; exit 1 when something did (for cron).

    A scan is one kind of run (portscan, traceroute, arpscan...) of the same
    targets with the same ports or method; runs of different kinds are never
    compared (exit 2 when named).

    \b
    Which runs:
      diff                  every scan of the latest round (walking back from the
                            latest run, until a scan repeats): its last two runs
      diff --scan KIND      the last two runs of the latest scan of KIND
                            (portscan, traceroute, arpscan...) or of scan SCAN
      diff TARGET           the last two runs of the latest scan of TARGET
                            (with --scan KIND: of that kind)
      diff --since 1d       each scan run since WHEN: its last run before WHEN
                            against its latest run
      diff RUN_A            RUN_A against the latest complete run of its scan
      diff RUN_A RUN_B      these two (`last` names the latest run)
    Partial runs (stopped by --max-time) are skipped unless named: when a
    scan's latest run is partial, that scan is not compared and its next
    complete run is compared with the last complete one, so a cron job sees
    every change once.

    \b
    JSON Lines: for each pair of runs compared, one record per change, then
    a summary (with a "note" and "before": null when there was nothing to
    compare). The change records are those of `portscan --diff`:
      {"type": "host-change", "change": "up|gone|mac|dominant", "host", "before", "after"}
      {"type": "port-change", "change": "opened|closed|changed", "host", "proto", "port",
       "before", "after", "reason", "service"}
      {"type": "hop-change", "change": "changed|added|removed", "dst", "ttl", "before", "after"}
      {"type": "path-change", "change": "reached|unreached", "dst", "before", "after"}
      {"type": "mac-move", "mac", "before", "after"}
      {"type": "summary", "kind", "scan", "before", "after", "changes", "counts"}
    """
    from netprobe.plugins.history.filters import keep_record
    from netprobe.services.history.diff import diff_records
    from netprobe.services.output import Output

    hosts, ports = _filters(host_texts, port_text)
    since = _since(since_text)
    output = Output.current(as_json)
    found: list[tuple[Comparison, list[JSONRecord] | None]] = []
    with _open(ctx, db) as store:
        for comparison in _comparisons(store, first, second, scan_text, since, output):
            if comparison.before is None or comparison.after is None:
                found.append((comparison, None))
                continue
            changes = diff_records(store.records(comparison.before.id),
                                   store.records(comparison.after.id))
            if hosts or ports is not None:
                changes = [c for c in changes if keep_record(c, hosts, ports)]
            found.append((comparison, changes))
    if not found:
        note = ("no runs recorded yet: nothing to compare" if since is None
                else "no run since --since: nothing to compare")
        if output.json:
            output.emit({"type": "summary", "kind": None, "scan": None, "before": None,
                         "after": None, "changes": 0, "counts": {}, "note": note})
        else:
            output.line(note)
        return
    if _show_changes(output, found):
        ctx.exit(1)


def _show_changes(output: Output,
                  found: list[tuple[Comparison, list[JSONRecord] | None]]) -> int:
    """Print each comparison's changes (JSON records and a summary, or a table); the
    number of changes."""
    from netprobe.plugins.history.render import change_table, run_heading

    total = 0
    for position, (comparison, changes) in enumerate(found):
        total += len(changes or ())
        if output.json:
            for change in changes or ():
                output.emit(change)
            output.emit(_summary(comparison, changes))
            continue
        if position:
            output.line("")
        if changes is None:
            output.line(str(comparison.note))
            continue
        assert comparison.before is not None and comparison.after is not None
        output.line(f"before: {run_heading(comparison.before)}")
        output.line(f"after:  {run_heading(comparison.after)}")
        if changes:
            change_table(output, changes)
        output.line(f"{len(changes)} change{'' if len(changes) == 1 else 's'}")
    return total


# -- prune ---------------------------------------------------------------------------------
@command.command("prune")
@_db_option
@_json_option
@click.option("--keep", "keep", type=click.IntRange(min=1), required=True, metavar="N",
              help="keep the N most recent runs of each scan")
@option("--dry-run", "dry_run", help="say what would be deleted, delete nothing")
@click.pass_context
def prune_command(ctx: click.Context, db: str | None, as_json: bool | None, keep: int,
                  dry_run: bool) -> None:
    """Delete old runs: all but the N most recent of each scan, in one transaction.

    JSON Lines: one {"type": "pruned", "run", "kind", "scan", "ts"} per run
    deleted (or that would be, with --dry-run), then {"type": "summary",
    "pruned", "kept", "dry_run"}.
    """
    from netprobe.plugins.history.render import local_time
    from netprobe.services.output import Output

    output = Output.current(as_json)
    with _open(ctx, db) as store:
        doomed = store.prune(keep, dry_run=dry_run)
        kept = len(store.runs()) - (len(doomed) if dry_run else 0)
    summary = {"type": "summary", "pruned": len(doomed), "kept": kept, "dry_run": dry_run}
    if output.json:
        for run in doomed:
            output.emit({"type": "pruned", "run": run.id, "kind": run.kind,
                         "scan": run.scan_key, "ts": run.started})
        output.emit(summary)
        return
    verb = "would delete" if dry_run else "deleted"
    for run in doomed:
        output.line(f"{verb} run {run.id}: {run.kind} at {local_time(run.started)}")
    output.line(f"{verb} {len(doomed)} run{'' if len(doomed) == 1 else 's'}, {kept} kept")


__all__ = ["command"]
