"""Flow records for a person at a terminal: the table, the summary, the bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from netprobe.services.output import Column, Output

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue

COLUMNS = [
    Column("rank", "#", "right"),
    Column("proto", "PROTO"),
    Column("a", "A"),
    Column("b", "B"),
    Column("packets", "PACKETS", "right"),
    Column("bytes", "BYTES", "right"),
    Column("byte_share", "BYTES%", "right"),
    Column("packet_share", "PKTS%", "right"),
    Column("a_to_b", "A→B", "right"),
    Column("b_to_a", "B→A", "right"),
    Column("start", "START", "right"),
    Column("duration", "DURATION", "right"),
    Column("state", "STATE"),
]


def human_bytes(n: float) -> str:
    """A byte count in SI units: ``950 B``, ``12.3 kB``, ``4.56 GB``."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            value = n / size
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{int(n)} B"


def endpoint(address: str, port: int | None) -> str:
    """``198.18.0.1:443``, ``[2001:db8::1]:443``, or the bare address without a port."""
    if port is None:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def flow_label(record: dict) -> str:
    """A short name for a flow: ``tcp 198.18.0.1:5000 → 198.19.0.2:443``."""
    return (f"{record['proto']} {endpoint(record['a'], record['a_port'])} → "
            f"{endpoint(record['b'], record['b_port'])}")


def table_rows(records: Sequence[Mapping[str, JSONValue]], summary: Mapping[str, JSONValue]
               ) -> list[list[JSONValue]]:
    """Rows of the terminal table (start times relative to the capture's first packet)."""
    base = summary.get("ts") or 0.0
    rows = []
    for rank, r in enumerate(records, 1):
        ab, ba = r["a_to_b"], r["b_to_a"]
        rows.append([
            rank, r["proto"], endpoint(r["a"], r["a_port"]), endpoint(r["b"], r["b_port"]),
            f"{r['packets']:,}", human_bytes(r["bytes"]),
            _percent(r["bytes"], summary.get("flow_bytes", summary["bytes"])),
            _percent(r["packets"], summary.get("flow_packets", summary["packets"])),
            human_bytes(ab["bytes"]), human_bytes(ba["bytes"]),
            f"{r['ts'] - base:.3f}", f"{r['duration_s']:.3f}", r["state"],
        ])
    return rows


def summary_lines(summary: dict) -> list[str]:
    """The summary in a few plain lines."""
    lines = [
        f"{summary['packets']:,} packets, {human_bytes(summary['bytes'])} "
        f"({summary['bytes']:,} bytes), {summary['flows']:,} flows over "
        f"{summary['duration_s']:.3f} s",
    ]
    if summary.get("flow_bytes", 0) > summary["bytes"]:
        lines.append(f"tunnelled packets count in each of their flows: "
                     f"{human_bytes(summary['flow_bytes'])} in flows, "
                     f"{summary['flow_packets']:,} packets (shares are of these)")
    if summary["flows"]:
        lines.append(
            f"top {summary['top']} by {summary['by']}: "
            f"{100 * summary['top_bytes_share']:.1f}% of bytes, "
            f"{100 * summary['top_packets_share']:.1f}% of packets")
    if summary["no_flow_packets"]:
        why = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary["no_flow"].items())
        lines.append(f"{summary['no_flow_packets']:,} packets in no flow ({why})")
    return lines


def show(output: Output, records: list[dict], summary: dict, title: str) -> None:
    """The table and the summary lines, on the terminal."""
    if records:
        output.table(COLUMNS, table_rows(records, summary), title=title)
    for line in summary_lines(summary):
        output.line(line)


def draw_bars(output: Output, records: list[dict], title: str, *, width: int = 40) -> None:
    """Horizontal bars of the flows' bytes, drawn with block characters.

    On a terminal they go below the table; with JSON output they go to
    stderr, so that stdout stays JSON.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = output.console if not output.json else Console(
        file=output.stderr, highlight=False, color_system=None)
    if not records:
        console.print(Text(f"{title}: no flows"))
        return
    biggest = max(r["bytes"] for r in records) or 1
    table = Table(title=title, box=None, show_header=False, pad_edge=False)
    # fold, never cut: both addresses and ports stay whole however narrow the terminal
    table.add_column("flow", overflow="fold", max_width=56)
    table.add_column("bar", no_wrap=True)
    table.add_column("bytes", justify="right", no_wrap=True)
    for r in records:
        table.add_row(Text(flow_label(r)), Text(_bar(r["bytes"] / biggest, width),
                                                style="cyan" if output.color else ""),
                      Text(human_bytes(r["bytes"])))
    console.print(table)


def _bar(fraction: float, width: int) -> str:
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("" if rest == 0 else "▏▎▍▌▋▊▉"[rest - 1])


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"
