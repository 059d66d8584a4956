"""Traceroute records as a human reads them: traceroute(8)'s lines, mtr's table for rounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from netprobe.plugins.traceroute.plan import TraceOptions

if TYPE_CHECKING:
    from rich.console import Group

    from netprobe.services.json_value import JSONValue

#: one JSON Lines record of a trace (hop or path), as made or read back
Record = Mapping[str, "JSONValue"]

ROUND_COLUMNS = ("hop", "host", "loss%", "snt", "last", "avg", "best", "wrst", "stdev")


def header(options: TraceOptions) -> str:
    """The first line, as traceroute(8) starts."""
    what = {"udp": f"udp probes to port {options.port}",
            "tcp": f"tcp SYN probes to port {options.port}",
            "icmp": "icmp echo probes"}[options.method]
    if options.multipath:
        mode = f"multipath (MDA at {options.confidence * 100:g} %)"
    else:
        mode = f"Paris flow {options.flow}"
    target = options.target or options.dst
    return (f"traceroute to {target} ({options.dst}), {options.max_ttl} hops max, "
            f"{what}, {mode}")


def _mpls_text(hop: Record, addr: str) -> str:
    stacks = [m["labels"] for m in hop.get("mpls") or () if m.get("addr") == addr]
    return "".join(" <MPLS:" + "/".join(f"L={lab['label']},E={lab['tc']},S={lab['s']},"
                                         f"T={lab['ttl']}" for lab in labels) + ">"
                   for labels in stacks)


def hop_line(hop: Record) -> str:
    """One hop as traceroute(8) prints it: address when it changes, RTTs, ``*``, flags."""
    parts = [f"{hop['ttl']:2d} "]
    last = None
    for p in hop["probes"]:
        addr = p["addr"]
        if addr is None:
            parts.append(" *")
            continue
        if addr != last:
            parts.append(f" {addr}{_mpls_text(hop, addr)}")
            last = addr
        parts.append(f"  {p['rtt_ms']:.3f} ms")
        if p["reply"] and p["reply"].startswith("!"):
            parts.append(f" {p['reply']}")
    return "".join(parts) + _limited_text(hop)


def _limited_text(hop: Record) -> str:
    return "  (rate-limited)" if hop.get("rate_limited") else ""


def multipath_line(hop: Record) -> str:
    """One hop of a multipath trace: every address with its probe count, then the RTT range."""
    counts: dict[str | None, int] = {}
    for p in hop["probes"]:
        counts[p["addr"]] = counts.get(p["addr"], 0) + 1
    parts = [f"{hop['ttl']:2d} "]
    for addr in hop["addrs"]:
        parts.append(f" {addr}{_mpls_text(hop, addr)} ({counts[addr]})")
    if None in counts:
        parts.append(f" * ({counts[None]})")
    rtts = [p["rtt_ms"] for p in hop["probes"] if p["rtt_ms"] is not None]
    if rtts:
        parts.append(f"   {min(rtts):.3f}/{sum(rtts) / len(rtts):.3f}/{max(rtts):.3f} ms")
    flags = sorted({p["reply"] for p in hop["probes"]
                    if p["reply"] and p["reply"].startswith("!")})
    if flags:
        parts.append(" " + " ".join(flags))
    return "".join(parts) + _limited_text(hop)


def round_row(hop: Record) -> list[JSONValue]:
    """One hop of a ``--rounds`` trace as mtr's report shows it: SNT is the rounds that
    probed the hop (mtr sends one probe per hop and round), loss is over the probes;
    several addresses (a load balancer) one per line, so each stays whole."""

    def ms(key: str) -> str:
        value = hop.get(key)
        return "" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"

    host = "\n".join(hop["addrs"]) or "???"
    # records saved before rounds were counted give their probes (what SNT said then)
    sent = hop.get("rounds", hop["sent"])
    return [hop["ttl"], host, f"{hop['loss_pct']:.1f}%", sent, ms("rtt_last_ms"),
            ms("rtt_avg_ms"), ms("rtt_min_ms"), ms("rtt_max_ms"), ms("rtt_stddev_ms")]


def rounds_heading(options: TraceOptions, done: int | None = None) -> str:
    """The line above the ``--rounds`` table; ``done`` rounds of a trace still running."""
    head = header(options)
    return head if done is None else f"{head}, round {done} of {options.rounds}"


def rounds_view(records: Iterable[Record], options: TraceOptions,
                done: int | None = None) -> Group:
    """mtr's table of a ``--rounds`` trace as one rich renderable (the heading, then a
    row per hop): what the terminal shows after each round and at the end. Pure.

    Nothing is cut at any width: each address of a hop has its own line and
    keeps it whole (the host column is never narrower than the longest one),
    and a number too wide for its column folds onto a second line.
    """
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    rows = [round_row(r) for r in records if r.get("type") == "hop"]
    longest = max((len(line) for row in rows for line in str(row[1]).split("\n")),
                  default=4)
    table = Table(header_style="bold", box=None, pad_edge=False, padding=(0, 1, 0, 0))
    for name in ROUND_COLUMNS:
        if name == "host":
            table.add_column(name, no_wrap=True, min_width=longest)
        else:
            table.add_column(name, justify="right", overflow="fold")
    for row in rows:
        table.add_row(*(Text(str(v)) for v in row))
    return Group(Text(rounds_heading(options, done)), table)


def text_lines(records: Iterable[Record], options: TraceOptions) -> list[str]:
    """Every line of the terminal form of a plain or multipath trace."""
    lines = [header(options)]
    for rec in records:
        if rec["type"] == "hop":
            lines.append(multipath_line(rec) if options.multipath else hop_line(rec))
        elif rec["type"] == "path" and not rec["reached"]:
            lines.append(f"(no answer from {rec['dst']} up to TTL {options.max_ttl})")
    return lines
