"""Traceroute records as a human reads them: traceroute(8)'s lines, mtr's table for rounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from netprobe.plugins.traceroute.plan import TraceOptions

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


def _mpls_text(hop: Mapping[str, Any], addr: str) -> str:
    stacks = [m["labels"] for m in hop.get("mpls") or () if m.get("addr") == addr]
    return "".join(" <MPLS:" + "/".join(f"L={lab['label']},E={lab['tc']},S={lab['s']},"
                                         f"T={lab['ttl']}" for lab in labels) + ">"
                   for labels in stacks)


def hop_line(hop: Mapping[str, Any]) -> str:
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


def _limited_text(hop: Mapping[str, Any]) -> str:
    return "  (rate-limited)" if hop.get("rate_limited") else ""


def multipath_line(hop: Mapping[str, Any]) -> str:
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


def round_row(hop: Mapping[str, Any]) -> list[Any]:
    """One hop of a ``--rounds`` trace as mtr's report shows it."""

    def ms(key: str) -> str:
        value = hop.get(key)
        return "" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"

    host = ", ".join(hop["addrs"]) or "???"
    return [hop["ttl"], host, f"{hop['loss_pct']:.1f}%", hop["sent"], ms("rtt_last_ms"),
            ms("rtt_avg_ms"), ms("rtt_min_ms"), ms("rtt_max_ms"), ms("rtt_stddev_ms")]


def text_lines(records: Iterable[Mapping[str, Any]], options: TraceOptions) -> list[str]:
    """Every line of the terminal form of a plain or multipath trace."""
    lines = [header(options)]
    for rec in records:
        if rec["type"] == "hop":
            lines.append(multipath_line(rec) if options.multipath else hop_line(rec))
        elif rec["type"] == "path" and not rec["reached"]:
            lines.append(f"(no answer from {rec['dst']} up to TTL {options.max_ttl})")
    return lines
