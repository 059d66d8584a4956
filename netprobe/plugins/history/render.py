"""How ``netprobe history`` prints runs, findings and changes on a terminal.

JSON Lines need no help (the records are emitted as they are); this module
turns them into tables for a human. A run's findings are drawn by the
probing plugin that recorded them (its ``interpret.render``, the function
``netprobe interpret`` calls), so ``history show`` prints the command's own
table; records no plugin here can draw get one generic table per record type.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from netprobe.services.history.records import record_type
from netprobe.services.history.store import Run
from netprobe.services.json_value import JSONValue
from netprobe.services.output import Column, Output, json_line


def local_time(seconds: float, *, precise: bool = True) -> str:
    """Epoch seconds as local ``YYYY-MM-DD HH:MM:SS`` (``precise=False``: to the minute)."""
    return time.strftime("%Y-%m-%d %H:%M:%S" if precise else "%Y-%m-%d %H:%M",
                         time.localtime(seconds))


def duration(seconds: float) -> str:
    """A short human duration: ``0.42 s``, ``12.3 s``, ``4 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def found(counts: Mapping[str, int]) -> str:
    """What a run found, in a few words, from its counts (``6 up, 12 open``)."""
    parts = []
    if "up" in counts or "port" in counts:
        parts.append(f"{counts.get('up', 0)} up")
    elif "host" in counts:
        parts.append(f"{counts['host']} hosts")
    if "port" in counts or "open" in counts:
        parts.append(f"{counts.get('open', 0)} open")
    if "hop" in counts:
        parts.append(f"{counts['hop']} hop{'' if counts['hop'] == 1 else 's'}")
    if "path" in counts:
        parts.append(f"{counts['path']} path{'' if counts['path'] == 1 else 's'}")
    return ", ".join(parts) or f"{sum(counts.values())} records"


def run_table(output: Output, runs: Iterable[Run]) -> None:
    """The table of ``history list``. SCAN is the start of the scan key's hash (which
    ``--scan`` accepts), shown when the runs are of more than one scan."""
    runs = list(runs)
    columns = [Column("run", "RUN", "right"), Column("started", "STARTED"),
               Column("took", "TOOK", "right"), Column("kind", "KIND"),
               Column("targets", "TARGETS"), Column("found", "FOUND")]
    rows = [[run.id, local_time(run.started, precise=False), duration(run.ended - run.started),
             run.kind, " ".join(run.targets),  # whole: a table folds, never cuts
             found(run.counts) + (" (partial)" if run.partial else "")] for run in runs]
    if len({run.scan_key for run in runs}) > 1:
        columns.append(Column("scan", "SCAN"))
        for row, run in zip(rows, runs):
            row.append((run.scan_key.partition(":")[2] or run.scan_key)[:8])
    output.table(columns, rows)


def run_heading(run: Run) -> str:
    """One line naming a run: id, kind, time, duration, targets."""
    partial = " (partial)" if run.partial else ""
    return (f"run {run.id}{partial}: {run.kind} {' '.join(run.targets)} at "
            f"{local_time(run.started)}, {duration(run.ended - run.started)}")


def _cell(key: str, value: JSONValue) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        if not value:
            return "*" if key == "addrs" else ""  # a hop where nothing answered
        if all(isinstance(v, Mapping) for v in value):  # e.g. a hop's probes
            return "; ".join(" ".join(str(x) for x in v.values() if x is not None) or "*"
                             for v in value)
        if all(isinstance(v, str | int | float) or v is None for v in value):
            return ", ".join("*" if v is None else str(v) for v in value)
    if isinstance(value, Mapping) and all(isinstance(v, str | int | float)
                                          for v in value.values()):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, str | int | float | bool):
        return str(value)
    return json_line(value)[:-1]


def records_tables(output: Output, records: Sequence[Mapping[str, JSONValue]]) -> None:
    """A table per record type, columns in the order the records give their keys."""
    groups: dict[str, list[Mapping[str, JSONValue]]] = {}
    for record in records:
        groups.setdefault(record_type(record) or "other", []).append(record)
    for kind, group in groups.items():
        keys: list[str] = []
        for record in group:
            keys += [k for k in record if k not in ("type", "kind") and k not in keys]
        rows = [[_cell(k, record.get(k)) for k in keys] for record in group]
        output.table([Column(k) for k in keys], rows, title=f"{kind} ({len(group)})")


Renderer = Callable[[Sequence[Mapping[str, JSONValue]], Output], None]

#: what a renderer raises on records of a shape it does not know (an older netprobe's)
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, StopIteration)


def plugin_renderer(kind: str) -> Renderer | None:
    """The terminal renderer of the plugin that records runs of ``kind``, or None.

    Found through the plugin records (``netprobe.services.plugin_index``), as
    ``netprobe interpret`` finds it: third-party plugins' runs are drawn too.
    """
    from netprobe.services.plugin_index import history_plugin

    record = history_plugin(kind)
    return None if record is None else record.render


def draw_records(output: Output, kind: str, records: Sequence[Mapping[str, JSONValue]]) -> None:
    """A run's records as the command that recorded them prints them on a terminal.

    The plugin's renderer writes to a buffer first (tables as wide as the
    terminal): records it cannot draw, written by an older netprobe, get the
    generic tables and a warning instead of a half-drawn table and a traceback.
    """
    render = plugin_renderer(kind)
    if render is not None:
        buffer = io.StringIO()
        try:
            render(list(records), Output(json=False, color=output.color, stdout=buffer))
        except _SHAPE_ERRORS as exc:
            output.warn(f"these {kind} records are not in the shape this netprobe's {kind} "
                        f"draws ({type(exc).__name__}: {exc}); shown as generic tables")
        else:
            output.stdout.write(buffer.getvalue())
            return
    records_tables(output, records)


def _where(change: Mapping[str, JSONValue]) -> str:
    kind = change.get("type")
    if kind == "port-change":
        service = f" ({change['service']})" if change.get("service") else ""
        return f"{change.get('host')} {change.get('proto')}/{change.get('port')}{service}"
    if kind == "hop-change":
        return f"{change.get('dst') or '?'} ttl {change.get('ttl')}"
    if kind == "path-change":
        return str(change.get("dst"))
    if kind == "mac-move":
        return str(change.get("mac"))
    return str(change.get("host"))


def _state(value: JSONValue) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "*"
    if isinstance(value, bool):
        return "reached" if value else "not reached"
    return str(value)


def change_table(output: Output, changes: Iterable[Mapping[str, JSONValue]]) -> None:
    """The table of ``history diff``: what, where, before -> after."""
    columns = [Column("change", "CHANGE"), Column("what", "WHAT"), Column("where", "WHERE"),
               Column("before", "BEFORE"), Column("after", "AFTER")]
    rows = [(str(c.get("change") or ""), str(c.get("type", "")).removesuffix("-change"),
             _where(c), _state(c.get("before")), _state(c.get("after"))) for c in changes]
    output.table(columns, rows)


__all__ = ["change_table", "draw_records", "duration", "found", "local_time", "plugin_renderer",
           "records_tables", "run_heading", "run_table"]
