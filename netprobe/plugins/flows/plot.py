"""The flow plot: bars of the top flows' bytes and the flow-size distribution.

matplotlib is imported only here, when ``--plot`` asks for a file; the
format follows the file name (.png, .svg or .pdf) and the file is written
atomically (a temporary file in the same directory, renamed into place).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from netprobe.errors import UsageError
from netprobe.npimport import np
from netprobe.plugins.flows.render import flow_label, human_bytes
from netprobe.services.output import atomic_text_file

FORMATS = (".png", ".svg", ".pdf")
#: bars drawn at most (``--top 0`` asks for every flow; a plot cannot show them all)
MAX_BARS = 40


@dataclass
class PlotData:
    """One table's worth of plot: the shown flows and every flow's size."""

    title: str
    records: list[dict]
    sizes: np.ndarray  # bytes of every flow
    by: str = "bytes"
    total_bytes: int = 0  # of every flow (shares are of this, as the summary's)


def check_destination(path: str) -> None:
    """Refuse, before any work, a plot file that cannot be written (exit 2)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--plot {path}: the file name must end in .png, .svg or .pdf "
                         "(or use --plot - for the terminal)")
    directory = Path(path).parent
    if not directory.is_dir():
        raise UsageError(f"--plot {path}: directory {str(directory)!r} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"--plot {path}: cannot write in directory {str(directory)!r}")
    if Path(path).is_dir():
        raise UsageError(f"--plot {path}: is a directory")


def write_plot(path: str, plots: list[PlotData]) -> None:
    """Draw the plots (one row of two panels each) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = max(1, len(plots))
    fig = Figure(figsize=(15, 5.5 * rows), layout="constrained")
    axes = fig.subplots(rows, 2, squeeze=False, width_ratios=(1.35, 1))
    for (bars_ax, ccdf_ax), data in zip(axes, plots):
        _bars(bars_ax, data)
        _ccdf(ccdf_ax, data)
    # svg.fonttype none: an SVG's labels stay text (searchable, selectable, smaller)
    with atomic_text_file(path, encoding=None) as handle, \
            matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(handle, format=Path(path).suffix.lower()[1:], dpi=120)


def _bars(ax, data: PlotData) -> None:  # type: ignore[no-untyped-def]
    records = data.records[:MAX_BARS]
    if not records:
        ax.set_title(f"{data.title}: no flows")
        ax.set_axis_off()
        return
    sizes = np.array([r["bytes"] for r in records], dtype=float)
    scale, unit = _unit(float(sizes.max()))
    y = np.arange(len(records))
    ax.barh(y, sizes / scale, color="#3b75af")
    ax.set_yticks(y, [_short(flow_label(r)) for r in records],
                  fontsize=8 if len(records) > 15 else 9)
    ax.invert_yaxis()  # the biggest on top
    ax.set_xlabel(f"bytes on the wire ({unit})")
    shown = f"top {len(records)}" + (f" of {len(data.records)}"
                                       if len(data.records) > len(records) else "")
    ax.set_title(f"{data.title}: {shown} flows by {data.by}")
    ax.grid(axis="x", alpha=0.3)
    for yi, value in zip(y, sizes):
        share = f" ({100 * value / data.total_bytes:.1f}%)" if data.total_bytes else ""
        ax.annotate(human_bytes(value) + share, (value / scale, yi), xytext=(3, 0),
                    textcoords="offset points", va="center", fontsize=7)
    ax.margins(x=0.15)


def _ccdf(ax, data: PlotData) -> None:  # type: ignore[no-untyped-def]
    sizes = np.sort(data.sizes[data.sizes > 0].astype(float))
    if len(sizes) == 0:
        ax.set_title("flow-size distribution: no flows")
        ax.set_axis_off()
        return
    # P(size >= x) for each distinct size
    values, first = np.unique(sizes, return_index=True)
    ccdf = 1.0 - first / len(sizes)
    ax.step(values, ccdf, where="post", color="#c0504d")
    ax.plot(values, ccdf, "o", markersize=2, color="#c0504d")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("flow size (bytes on the wire, log scale)")
    ax.set_ylabel("fraction of flows at least this large (log scale)")
    ax.set_title(f"flow-size distribution (CCDF) of {len(sizes):,} flows, "
                 f"{human_bytes(float(sizes.sum()))}")
    ax.grid(which="both", alpha=0.3)


def _unit(largest: float) -> tuple[float, str]:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if largest >= size:
            return size, unit
    return 1.0, "B"


def _short(label: str, limit: int = 60) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
