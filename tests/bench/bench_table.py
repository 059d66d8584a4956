"""Benchmark tables: netprobe's figure, each peer's figure, the ratio and the target.

A benchmark measures, then hands its rows to :class:`BenchReport`, which prints
them as a table and, when ``NETPROBE_BENCH_OUT`` names a file, keeps that file
up to date with every table of the session as JSON. Verdicts against targets
are reported (MET / NOT MET), never asserted: timings on a shared machine are
noisy, and a benchmark run must not fail because a neighbour was busy.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: environment variable naming the JSON file the tables are written to
OUT_ENV = "NETPROBE_BENCH_OUT"
#: units of measured rates, shown rounded; counts (answers, probes) are shown exactly
RATE_UNITS = ("pkt/s", "probes/s", "pps")


@dataclass
class Row:
    """One measured quantity for netprobe and its peers.

    ``higher_is_better`` says which way the figures run (packets per second:
    higher; start-up seconds: lower) so that a ratio always reads "netprobe is
    N times as fast as the peer". ``comparison`` replaces the computed ratio
    text where a row compares with something other than peers (pacing: the
    asked rate).
    """

    what: str
    unit: str
    netprobe: float
    peers: dict[str, float] = field(default_factory=dict)
    higher_is_better: bool = True
    target: str = ""
    met: bool | None = None
    comparison: str | None = None
    note: str = ""

    def speedup(self, peer: str) -> float | None:
        """How many times better netprobe does than ``peer`` (None without a figure)."""
        theirs = self.peers.get(peer)
        if not theirs or not self.netprobe:
            return None
        return self.netprobe / theirs if self.higher_is_better else theirs / self.netprobe

    def ratio_text(self) -> str:
        """``2.3x dpkt, 45x Scapy`` (or the row's own comparison)."""
        if self.comparison is not None:
            return self.comparison
        parts = []
        for peer in self.peers:
            s = self.speedup(peer)
            parts.append(f"{peer}: n/a" if s is None else f"{format_ratio(s)} {peer}")
        return ", ".join(parts)

    def verdict(self) -> str:
        """MET, NOT MET, or empty when the row has no target."""
        if self.met is None:
            return ""
        return "MET" if self.met else "NOT MET"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: raw figures plus the computed ratios and verdict."""
        return {
            "what": self.what,
            "unit": self.unit,
            "netprobe": self.netprobe,
            "peers": dict(self.peers),
            "higher_is_better": self.higher_is_better,
            "ratios": {p: self.speedup(p) for p in self.peers},
            "ratio_text": self.ratio_text(),
            "target": self.target,
            "met": self.met,
            "verdict": self.verdict(),
            "note": self.note,
        }


def format_ratio(x: float) -> str:
    """A speed-up as people say it: ``0.42x``, ``2.3x``, ``45x``, ``1,200x``."""
    if x >= 100:
        return f"{x:,.0f}x"
    if x >= 10:
        return f"{x:.0f}x" if abs(x - round(x)) < 0.05 else f"{x:.1f}x"
    return f"{x:.2f}x" if x < 1 else f"{x:.1f}x"


def format_figure(value: float, unit: str) -> str:
    """A figure with its unit, thousands separated; rates to three significant digits."""
    if unit == "s":
        return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"
    if unit == "%":
        return f"{value:+.1f} %"
    if value >= 1000 and unit in RATE_UNITS:
        digits = len(str(int(value)))
        rounded = round(value, 3 - digits)  # rates: three significant digits are all we know
        return f"{rounded:,.0f} {unit}"
    if value == int(value) or value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.1f} {unit}" if value >= 10 else f"{value:.2f} {unit}"


def load_average() -> tuple[float, float, float] | None:
    """The 1, 5 and 15 minute load averages (None where the OS does not say)."""
    try:
        return os.getloadavg()
    except OSError:
        return None


def _load_text() -> str:
    load = load_average()
    cores = os.cpu_count() or "?"
    if load is None:
        return f"{cores} cores"
    return f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {cores} cores"


class BenchReport:
    """The session's benchmark tables: printed as measured, saved as JSON if asked."""

    def __init__(self, out_path: str | None = None) -> None:
        self.out_path = out_path if out_path is not None else os.environ.get(OUT_ENV) or None
        self.sections: list[dict[str, Any]] = []

    def section(self, title: str, rows: list[Row], conditions: str = "") -> str:
        """Print ``rows`` as a table under ``title``, record them, return the text."""
        load = load_average()
        peers: list[str] = []
        for row in rows:
            peers += [p for p in row.peers if p not in peers]
        text = render(title, rows, peers, conditions)
        print("\n" + text, flush=True)
        self.sections.append({
            "title": title,
            "conditions": conditions,
            "load_average": list(load) if load else None,
            "rows": [r.to_dict() for r in rows],
        })
        self.write()
        return text

    def write(self) -> None:
        """(Re)write the JSON file with every section so far; atomically."""
        if not self.out_path:
            return
        doc = {
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "cores": os.cpu_count(),
            "sections": self.sections,
        }
        path = Path(self.out_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A reader (CI, a dashboard) never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(doc, fh, indent=2)
                fh.write("\n")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def render(title: str, rows: list[Row], peers: list[str], conditions: str = "") -> str:
    """The table as text: what | netprobe | each peer | ratio | target | verdict."""
    header = ["what", "netprobe", *peers, "ratio", "target", ""]
    body = []
    for r in rows:
        cells = [r.what, format_figure(r.netprobe, r.unit)]
        cells += [format_figure(r.peers[p], r.unit) if p in r.peers else "-" for p in peers]
        cells += [r.ratio_text(), r.target, r.verdict()]
        body.append(cells)
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    rule = "-" * len(line(header))
    out = [f"== {title} ==", f"   ({'; '.join(filter(None, [conditions, _load_text()]))})",
           line(header), rule, *(line(b) for b in body)]
    notes = [f"   {r.what}: {r.note}" for r in rows if r.note]
    if notes:
        out += ["notes:", *notes]
    return "\n".join(out)
