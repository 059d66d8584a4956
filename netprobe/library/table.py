"""``make_table``: a two-way table of values computed from packets, in Scapy's layout.

A function gives ``(column, row, cell)`` for each packet; columns and rows are the
distinct values, sorted as numbers when they read as numbers, as IPv4 addresses
when they read as addresses, else as text. A missing cell shows ``-``. Each
column is as wide as its widest entry; every entry is followed by one space.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["make_lined_table", "make_table", "make_tex_table"]


def _sort_key(text: str) -> tuple[int, Any]:
    """Numbers first (by value), then dotted IPv4 addresses (by value), then text."""
    try:
        return (0, int(text))
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
        return (1, tuple(int(p) for p in parts))
    return (2, text)


def _cells(items: Iterable[Any], fn: Callable[..., Any]) -> tuple[list[str], list[str],
                                                                     dict[tuple[str, str], str]]:
    """The sorted column and row labels and the cells, all as text."""
    cells: dict[tuple[str, str], str] = {}
    cols: dict[str, None] = {}
    rows: dict[str, None] = {}
    for item in items:
        args = item if isinstance(item, tuple) else (item,)
        x, y, z = (str(v) for v in fn(*args))
        cols[x] = None
        rows[y] = None
        cells[(x, y)] = z
    return sorted(cols, key=_sort_key), sorted(rows, key=_sort_key), cells


def _print_grid(items: Iterable[Any], fn: Callable[..., Any], sep: str, ruled: bool) -> None:
    """The table, every entry left-aligned in its column and followed by ``sep``;
    ``ruled``: ``-+-`` rules above and below the heading and at the end."""
    cols, rows, cells = _cells(items, fn)
    grid = [["", *cols]] + [[y, *(cells.get((x, y), "-") for x in cols)] for y in rows]
    widths = [max(len(line[i]) for line in grid) for i in range(len(cols) + 1)]
    lines = ["".join(f"{c:<{w}}{sep}" for c, w in zip(line, widths, strict=True))
             for line in grid]
    if ruled:
        rule = "-" * widths[0] + "-+" + "".join("-" * (w + 2) + "+" for w in widths[1:])
        lines = [rule, lines[0], rule, *lines[1:], rule]
    print("\n".join(lines))


def make_table(items: Iterable[Any], fn: Callable[..., Any]) -> None:
    """Print the table of ``fn(item) -> (column, row, cell)`` over ``items``."""
    _print_grid(items, fn, " ", False)


def make_lined_table(items: Iterable[Any], fn: Callable[..., Any]) -> None:
    """The same table with ``|`` between columns and ``-+-`` rules above and below."""
    _print_grid(items, fn, " | ", True)


def make_tex_table(items: Iterable[Any], fn: Callable[..., Any]) -> None:
    """The same table as the body of a LaTeX ``tabular``."""
    cols, rows, cells = _cells(items, fn)
    print("\\hline")
    print(" & " + " & ".join(cols) + " \\\\")
    print("\\hline")
    for y in rows:
        print(y + " & " + " & ".join(cells.get((x, y), "-") for x in cols) + " \\\\")
    print("\\hline")
