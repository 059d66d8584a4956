"""``-oN FILE`` and ``-oG FILE``: a scan's JSON Lines records as nmap's normal and
grepable text (pure).

Both keep nmap's layout, so that scripts written for nmap's files (``grep
/open/`` on a .gnmap, ``awk`` on the PORT lines) work on netprobe's; the
comment lines name netprobe, not nmap.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from netprobe.plugins.portscan.records import split_records
from netprobe.plugins.portscan.render import not_shown_line

if TYPE_CHECKING:
    from netprobe.plugins.portscan.records import Record


def _times(summary: Record) -> tuple[str, str, str]:
    ts = float(summary.get("ts") or time.time())
    elapsed = float(summary.get("elapsed_s") or 0.0)
    counts = summary.get("hosts") or {}
    up, total = int(counts.get("up", 0)), int(counts.get("up", 0)) + int(counts.get("down", 0))
    done = (f"{total} IP address{'es' if total != 1 else ''} ({up} host{'s' if up != 1 else ''}"
            f" up) scanned in {elapsed:.2f} seconds")
    fmt = "%a %b %d %H:%M:%S %Y"
    return time.strftime(fmt, time.localtime(ts)), time.strftime(
        fmt, time.localtime(ts + elapsed)), done


def _columns(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [" ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def to_normal(records: Iterable[Record], args: str, *, reason: bool = False) -> str:
    """nmap's normal output (-oN) of a scan's records; ``reason``: the REASON column."""
    hosts, summary = split_records(records)
    began, ended, done = _times(summary)
    lines = [f"# netprobe scan initiated {began} as: {args}"]
    for host, ports in hosts:
        lines.append(f"netprobe scan report for {host['host']}")
        if host.get("state") != "up":
            lines += [f"Host is {host.get('state')} ({host.get('reason')}).", ""]
            continue
        lines.append(f"Host is up ({host.get('reason')}).")
        hidden = not_shown_line(host)
        if hidden:
            lines.append(hidden)
        if ports:
            head = ["PORT", "STATE", "SERVICE"] + (["REASON"] if reason else [])
            rows = [[f"{p['port']}/{p['proto']}", p["state"], p.get("service") or "unknown"]
                    + ([str(p.get("reason") or "")] if reason else []) for p in ports]
            lines += _columns([head, *rows])
        lines.append("")
    lines.append(f"# netprobe done at {ended} -- {done}")
    return "\n".join(lines) + "\n"


def to_grepable(records: Iterable[Record], args: str) -> str:
    """nmap's grepable output (-oG) of a scan's records."""
    hosts, summary = split_records(records)
    began, ended, done = _times(summary)
    lines = [f"# netprobe scan initiated {began} as: {args}"]
    for host, ports in hosts:
        name = host["host"]
        lines.append(f"Host: {name} ()\tStatus: {str(host.get('state')).capitalize()}")
        if host.get("state") != "up":
            continue
        entries = ", ".join(f"{p['port']}/{p['state']}/{p['proto']}//{p.get('service') or ''}///"
                            for p in ports)
        line = f"Host: {name} ()\tPorts: {entries}"
        ignored = host.get("not_shown") or []
        if ignored:
            line += f"\tIgnored State: {ignored[0]['state']} ({sum(g['count'] for g in ignored)})"
        lines.append(line)
    lines.append(f"# netprobe done at {ended} -- {done}")
    return "\n".join(lines) + "\n"


__all__ = ["to_grepable", "to_normal"]
