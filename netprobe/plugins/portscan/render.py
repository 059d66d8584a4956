"""The terminal face of a scan, drawn from its JSON Lines records: an nmap-like table per
host, a summary line, the ``--diff`` changes.

Drawn from the records alone, so that the live command and ``netprobe interpret
RUN.pcapng`` show the same tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from netprobe.services.history.records import dominant_state
from netprobe.services.output import Column, Output

if TYPE_CHECKING:
    from netprobe.plugins.portscan.records import Record
    from netprobe.services.json_value import JSONValue

PORT_COLUMNS = [Column("port", "PORT"), Column("state", "STATE"), Column("service", "SERVICE")]
REASON_COLUMNS = [Column("reason", "REASON"), Column("ttl", "TTL", justify="right")]
CHANGE_COLUMNS = [Column("change", "CHANGE"), Column("host", "HOST"), Column("port", "PORT"),
                  Column("before", "BEFORE"), Column("after", "AFTER")]


def not_shown_line(host: Record) -> str | None:
    """nmap's "Not shown: 995 closed tcp ports (reset)" for a host record (None: nothing
    hidden); one group per protocol and reason, the largest first."""
    groups = host.get("not_shown") or []
    if not groups:
        return None
    parts = [f"{g['count']:,} {g['state']} {g['proto']} port{'s' if g['count'] != 1 else ''}"
             f" ({g['reason']})" for g in sorted(groups, key=lambda g: -g["count"])]
    return "Not shown: " + ", ".join(parts)


def _host_lines(host: Record, ports: list[Record]) -> list[str]:
    lines = [f"{host['host']} is {host['state']} ({host['reason']})"]
    line = not_shown_line(host)
    if line is None and "not_shown" not in host:
        # records of an older netprobe: counts only
        counts = host.get("ports") or {}
        hide = dominant_state(counts)
        hidden = counts[hide] - sum(1 for p in ports if p["state"] == hide) if hide else 0
        if hidden:
            line = f"Not shown: {hidden:,} {hide} ports"
    if line is not None:
        lines.append(line)
    return lines


def _port_rows(ports: list[Record], reason: bool) -> list[list[JSONValue]]:
    rows = [[f"{p['port']}/{p['proto']}", p["state"], p.get("service") or ""] for p in ports]
    if reason:
        for row, p in zip(rows, ports, strict=True):
            row += [p["reason"], "" if p.get("ttl") is None else p["ttl"]]
    return rows


def summary_line(summary: Record) -> str:
    """The closing line: hosts, port states, time, packets."""
    hosts = summary["hosts"]
    n_hosts = hosts["up"] + hosts["down"]
    ports = ", ".join(f"{n:,} {state}" for state, n in summary["ports"].items())
    total = sum(summary["ports"].values())
    duration = summary.get("elapsed_s", summary.get("duration")) or 0.0
    rate = summary.get("rate")
    parts = [f"{n_hosts:,} host{'s' if n_hosts != 1 else ''} ({hosts['up']:,} up)",
             f"{total:,} ports" + (f" ({ports})" if ports else ""),
             f"{duration:.2f} s",
             f"{summary['sent']:,} sent, {summary['received']:,} received, "
             f"{summary['retries']:,} retries" + (f", {rate:,.0f} pkt/s" if rate else "")]
    text = f"netprobe portscan ({summary['scan']}): " + " · ".join(parts)
    if summary.get("interrupted"):
        text += " · interrupted"
    if summary.get("max_time_reached"):
        text += " · stopped by --max-time"
    return text


def render_records(records: Iterable[Record], out: Output, *, reason: bool = True,
                   ) -> None:
    """Tables for the host and port records, the changes, then the summary line.

    ``reason``: the REASON and TTL columns (portscan shows them with --reason, as nmap).
    """
    host: Record | None = None
    ports: list[Record] = []
    changes: list[Record] = []
    summary: Record | None = None
    shown = 0

    def flush() -> None:
        nonlocal host, ports, shown
        if host is None:
            return
        for line in _host_lines(host, ports):
            out.line(line)
        if ports:
            out.table(PORT_COLUMNS + (REASON_COLUMNS if reason else []),
                      _port_rows(ports, reason))
        out.line("")
        shown += 1
        host, ports = None, []

    for rec in records:
        kind = rec.get("type")
        if kind == "host":
            flush()
            host = rec
        elif kind == "port":
            ports.append(rec)
        elif kind in ("change", "port-change", "host-change"):
            changes.append(rec)
        elif kind == "summary":
            summary = rec
    flush()
    if changes:
        change_table(out, changes)
    elif not shown and summary is not None and summary["hosts"]["down"]:
        out.line("No host is up. If they are, but block the discovery probes, try -Pn.")
    if summary is not None:
        out.line(summary_line(summary))


def change_table(out: Output, changes: Iterable[Record]) -> None:
    """The --diff changes as a table (or a line saying there are none)."""
    rows = [[c["change"], c["host"],
             "" if c.get("port") is None else f"{c['port']}/{c['proto']}",
             c.get("before") or "", c.get("after") or ""] for c in changes]
    if rows:
        out.table(CHANGE_COLUMNS, rows, title="Changes since the previous scan")
    else:
        out.line("No changes since the previous scan.")
