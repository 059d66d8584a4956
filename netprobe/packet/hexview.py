"""Hex views of packets and bytes, in Scapy's layouts.

``hexdump`` (offset, 16 bytes, their printable characters), ``linehexdump`` and
``hexstr`` (one line), ``chexdump`` (a C array body), ``hexdiff`` (two byte
strings aligned by the smallest edit, as Scapy's Wagner-Fischer alignment shows
them) and ``import_hexcap`` (a hexdump's text back to bytes).
Each takes a packet (its built bytes), bytes or text.
"""

from __future__ import annotations

import re
import sys
from typing import Any

__all__ = ["chexdump", "hexdiff", "hexdump", "hexstr", "import_hexcap", "linehexdump"]

#: byte -> the character a dump shows for it (printable ASCII, else ".")
_PRINTABLE = "".join(chr(b) if 32 <= b < 127 else "." for b in range(256))


def _raw(p: Any) -> bytes:
    """The bytes of a packet, bytes-like object or text."""
    return p.encode() if isinstance(p, str) else bytes(p)


def _ascii(data: bytes) -> str:
    return "".join(_PRINTABLE[b] for b in data)


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02X}" for b in data)


def _dumped(text: str, dump: bool) -> str | None:
    """``text`` when ``dump``; else print it (and None), as Scapy's dump functions do."""
    if dump:
        return text
    print(text)
    return None


def hexdump(p: Any, dump: bool = False) -> str | None:
    """Print (or with ``dump=True`` return) a classic hex dump: offset, 16 bytes, text."""
    data = _raw(p)
    lines = []
    for off in range(0, len(data), 16):
        row = data[off:off + 16]
        lines.append(f"{off:04x}  {(_hex(row) + ' ') if row else '':<48} {_ascii(row)}")
    return _dumped("\n".join(lines), dump)


def hexstr(p: Any, onlyasc: int = 0, onlyhex: int = 0, color: bool = False) -> str:
    """The bytes as one line: hex, two spaces, text (or only one of them)."""
    data = _raw(p)
    if onlyasc:
        return _ascii(data)
    if onlyhex:
        return _hex(data)
    return f"{_hex(data)}  {_ascii(data)}"


def linehexdump(p: Any, onlyasc: int = 0, onlyhex: int = 0, dump: bool = False) -> str | None:
    """Print (or with ``dump=True`` return) ``hexstr``'s one-line form."""
    return _dumped(hexstr(p, onlyasc=onlyasc, onlyhex=onlyhex), dump)


def chexdump(p: Any, dump: bool = False) -> str | None:
    """Print (or return) the bytes as a C array's body: ``0x61, 0x62``."""
    return _dumped(", ".join(f"{b:#04x}" for b in _raw(p)), dump)


_HEX_PAIR = re.compile(r"[0-9a-fA-F]{2}")


def import_hexcap(input_string: str | None = None) -> bytes:
    """Bytes from the text of a hex dump (``hexdump``'s, tcpdump's, Wireshark's).

    Each line is an offset, then bytes as hex pairs separated by single spaces;
    what follows a wider gap (the text column) is ignored. With no argument the
    dump is read from standard input up to an empty line or its end.
    """
    if input_string is None:
        lines = []
        for line in sys.stdin:
            if not line.strip():
                break
            lines.append(line)
    else:
        lines = input_string.splitlines()
    out = bytearray()
    for line in lines:
        parts = line.strip().split(" ", 1)
        if len(parts) < 2:
            continue
        rest = parts[1].lstrip(" ")
        for group in rest.split("  "):
            tokens = group.strip().split(" ")
            if not tokens or not all(_HEX_PAIR.fullmatch(t) for t in tokens):
                break
            out += bytes.fromhex("".join(tokens))
            if len(group) != len(group.strip()):
                break
    return bytes(out)


def _align(x: bytes, y: bytes) -> list[tuple[int | None, int | None]]:
    """The smallest-edit alignment of ``x`` and ``y``: (x byte or None, y byte or None).

    Levenshtein distances of the suffixes (substitution, insertion and deletion
    cost 1), then a walk from the start that, among equally cheap steps, takes a
    substitution first, then a byte of ``x`` alone, then a byte of ``y`` alone.
    """
    n, m = len(x), len(y)
    # dist[i][j]: edit distance between x[i:] and y[j:]
    nxt = list(range(m, -1, -1))
    dist = [nxt]
    for i in range(n - 1, -1, -1):
        cur = [0] * m + [n - i]
        xi = x[i]
        for j in range(m - 1, -1, -1):
            cur[j] = min(nxt[j + 1] + (xi != y[j]), nxt[j] + 1, cur[j + 1] + 1)
        dist.append(cur)
        nxt = cur
    dist.reverse()
    out: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n or j < m:
        here = dist[i][j]
        if i < n and j < m and dist[i + 1][j + 1] + (x[i] != y[j]) == here:
            out.append((x[i], y[j]))
            i, j = i + 1, j + 1
        elif i < n and dist[i + 1][j] + 1 == here:
            out.append((x[i], None))
            i += 1
        else:
            out.append((None, y[j]))
            j += 1
    return out


def _diff_hex(row: list[int | None]) -> str:
    parts = []
    for k in range(16):
        b = row[k] if k < len(row) else None
        parts.append("   " if b is None else f"{b:02X} ")
        if k == 7:
            parts.append(" ")
    return "".join(parts)


def _diff_text(row: list[int | None]) -> str:
    return "".join(" " if b is None else _PRINTABLE[b] for b in row)


def _row_offset(row: list[int | None], last: int) -> tuple[int, int]:
    """(the offset a row shows, the index of its last byte) given the previous last index.

    The offset is that of the row's first byte counted back to the row's start, gaps
    included (so a row opening with a gap before byte 0 shows -001).
    """
    for pos, v in enumerate(row):
        if v is not None:
            count = sum(b is not None for b in row)
            return last + 1 - pos, last + count
    return last, last


def hexdiff(a: Any, b: Any, algo: str | None = None, autojunk: bool = False) -> None:
    """Print two packets' (or byte strings') hex dumps aligned, differing rows twice.

    Rows equal on both sides show once with both offsets; a gap (a byte only one
    side has) shows as blanks. ``algo`` and ``autojunk`` are accepted for Scapy's
    signature; the alignment is always the exact smallest-edit one.
    """
    pairs = _align(_raw(a), _raw(b))
    xi = yi = -1
    lines = []
    for start in range(0, len(pairs), 16):
        chunk = pairs[start:start + 16]
        xs = [p[0] for p in chunk]
        ys = [p[1] for p in chunk]
        xoff, xi = _row_offset(xs, xi)
        yoff, yi = _row_offset(ys, yi)
        if all(p[0] is not None and p[0] == p[1] for p in chunk):
            lines.append(f"{yoff:04x} {yoff:04x}   {_diff_hex(xs)}  {_diff_text(xs)}")
            continue
        if any(v is not None for v in xs):
            lines.append(f"{xoff:04x}        {_diff_hex(xs)}  {_diff_text(xs)}")
        if any(v is not None for v in ys):
            lines.append(f"     {yoff:04x}   {_diff_hex(ys)}  {_diff_text(ys)}")
    if lines:
        print("\n".join(lines))
