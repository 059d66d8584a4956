"""Target specifications → the set of addresses to scan (pure, except name lookups).

Accepted, as nmap reads them: single addresses (IPv4, IPv6), CIDR blocks
(``198.18.1.0/24``, ``2001:db8:1::/120``; every address of the block, network
and broadcast included), ranges (``198.18.1.1-20`` in the last octet, or
``198.18.1.250-198.18.2.5`` between two addresses of one family) and host
names (resolved once, first address of the wanted family). ``-iL`` files
hold the same, separated by blanks or new lines, ``#`` starting a comment.

A :class:`TargetSet` keeps sorted, disjoint ranges of integers per family,
so a /8 costs a few numbers, exclusions are range subtractions, and the
i-th address (in address order) is a binary search away: the scan's
permutation indexes it directly.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.services.targets import SpanError, address_text, parse_span

if TYPE_CHECKING:
    import numpy as np

#: the most addresses one scan takes (nmap's practical limit: a /8)
MAX_ADDRESSES = 1 << 24

Range = tuple[int, int]  # first, last (inclusive)

#: each malformed address form's error line (nmap's forms: services.targets)
_SPAN_ERRORS = {
    "prefix": "bad target {spec!r}: not an address/prefix (e.g. 198.18.1.0/24)",
    "octets": "bad target range {spec!r}: octets must be 0-255, low to high",
    "octet-order": "bad target range {spec!r}: octets must be 0-255, low to high",
    "head": "bad target {spec!r}: not an IPv4 address range",
    "range": "bad target range {spec!r}: expected FIRST-LAST addresses or 198.18.1.1-20",
    "families": "bad target range {spec!r}: the first address must come before the last, "
                "in one family",
    "order": "bad target range {spec!r}: the first address must come before the last, "
             "in one family",
}


def _merge(ranges: Iterable[Range]) -> list[Range]:
    out: list[Range] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            if last > out[-1][1]:
                out[-1] = (out[-1][0], last)
        else:
            out.append((first, last))
    return out


def _subtract(ranges: list[Range], holes: list[Range]) -> list[Range]:
    out: list[Range] = []
    holes = _merge(holes)
    for first, last in ranges:
        cur = first
        for h_first, h_last in holes:
            if h_last < cur or h_first > last:
                continue
            if h_first > cur:
                out.append((cur, h_first - 1))
            cur = max(cur, h_last + 1)
            if cur > last:
                break
        if cur <= last:
            out.append((cur, last))
    return out


Resolver = Callable[[str, int], list[str]]


def resolve_name(name: str, family: int) -> list[str]:
    """Addresses of host ``name`` in ``family`` (4 or 6), first the resolver's favourite."""
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    try:
        infos = socket.getaddrinfo(name, None, af, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


def parse_spec(spec: str, *, prefer: int | None = None,
               resolver: Resolver = resolve_name) -> tuple[int, Range]:
    """One target specification as (family, (first, last)); UsageError when malformed.

    ``prefer`` is the family a host name resolves to (6 with ``-6``; else 4,
    falling back to 6 for a name with IPv6 addresses only).
    """
    text = spec.strip()
    if not text:
        raise UsageError("empty target")
    try:
        span = parse_span(text)
    except SpanError as exc:
        raise UsageError(_SPAN_ERRORS[exc.kind].format(spec=spec)) from None
    if span is not None:
        return span.version, (span.first, span.last)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", text) or text.startswith("-") or ".." in text:
        raise UsageError(f"bad target {spec!r}: not an address, prefix, range or host name")
    if re.fullmatch(r"[0-9.]+", text):
        raise UsageError(f"bad target {spec!r}: not a valid IPv4 address")
    families = [prefer] if prefer else [4, 6]
    for family in families:
        found = resolver(text, family)
        if found:
            addr = ipaddress.ip_address(found[0])
            return addr.version, (int(addr), int(addr))
    wanted = "" if not prefer else f" (IPv{prefer})"
    raise UsageError(f"cannot resolve host name {text!r}{wanted}")


def split_specs(text: str) -> list[str]:
    """Specifications in a file or an option: separated by blanks, commas or new lines."""
    specs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        specs += [s for s in re.split(r"[\s,]+", line) if s]
    return specs


def read_spec_file(path: str, what: str) -> list[str]:
    """The specifications in file ``path`` (``-`` is stdin); UsageError when unreadable."""
    import sys

    try:
        if path == "-":
            return split_specs(sys.stdin.read())
        with open(path, encoding="utf-8", errors="replace") as handle:
            return split_specs(handle.read())
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


class TargetSet:
    """Addresses of one scan: sorted disjoint ranges per family; indexable."""

    def __init__(self, ranges: dict[int, list[Range]]) -> None:
        self.ranges = {f: _merge(r) for f, r in ranges.items() if r}
        self._starts: dict[int, list[int]] = {}
        for family, rs in self.ranges.items():
            acc, starts = 0, []
            for first, last in rs:
                starts.append(acc)
                acc += last - first + 1
            self._starts[family] = [*starts, acc]

    @classmethod
    def parse(cls, specs: Iterable[str], excludes: Iterable[str] = (), *,
              family: int | None = None, resolver: Resolver = resolve_name) -> TargetSet:
        """Targets from specifications minus exclusions; UsageError for bad input.

        ``family`` 6 (``-6``) makes host names resolve to IPv6; an IPv4 literal
        with ``-6`` (an IPv6 one with ``-4``) is a contradiction and refused.
        """
        found: dict[int, list[Range]] = {4: [], 6: []}
        for spec in specs:
            fam, rng = parse_spec(spec, prefer=family, resolver=resolver)
            if family == 6 and fam == 4:
                raise UsageError(f"target {spec!r} is IPv4 but -6 asks for IPv6 targets")
            if family == 4 and fam == 6:
                raise UsageError(f"target {spec!r} is IPv6 but -4 asks for IPv4 targets")
            found[fam].append(rng)
        holes: dict[int, list[Range]] = {4: [], 6: []}
        for spec in excludes:
            fam, rng = parse_spec(spec, resolver=resolver)
            holes[fam].append(rng)
        merged = {f: _subtract(_merge(found[f]), holes[f]) for f in (4, 6)}
        targets = cls(merged)
        if targets.count() > MAX_ADDRESSES:
            raise UsageError(f"{targets.count():,} target addresses: at most "
                             f"{MAX_ADDRESSES:,} per scan (split it, or use --shard)")
        return targets

    @classmethod
    def of_addresses(cls, addresses: Iterable[str]) -> TargetSet:
        """A target set of exactly ``addresses`` (in any order)."""
        ranges: dict[int, list[Range]] = {4: [], 6: []}
        for a in addresses:
            ip = ipaddress.ip_address(a)
            ranges[ip.version].append((int(ip), int(ip)))
        return cls(ranges)

    def families(self) -> list[int]:
        """The address families present (4 before 6)."""
        return sorted(self.ranges)

    def count(self, family: int | None = None) -> int:
        """How many addresses (of ``family``, or all)."""
        fams = [family] if family is not None else list(self.ranges)
        return sum(self._starts[f][-1] for f in fams if f in self._starts)

    def __len__(self) -> int:
        return self.count()

    def address(self, family: int, index: int) -> str:
        """The ``index``-th address of ``family`` (address order), as text."""
        starts = self._starts[family]
        if not 0 <= index < starts[-1]:
            raise IndexError(index)
        k = bisect.bisect_right(starts, index) - 1
        return address_text(self.ranges[family][k][0] + index - starts[k], family)

    def addresses(self, family: int) -> list[str]:
        """Every address of ``family`` as text (for small sets: discovery, reports)."""
        return [self.address(family, i) for i in range(self.count(family))]

    def packed_ints(self, family: int, index: list[int]) -> list[bytes]:
        """:meth:`packed` for Python integers: each address as network-order bytes."""
        starts = self._starts[family]
        ranges = self.ranges[family]
        width = 4 if family == 4 else 16
        out = []
        for i in index:
            k = bisect.bisect_right(starts, i) - 1
            out.append((ranges[k][0] + i - starts[k]).to_bytes(width, "big"))
        return out

    def packed(self, family: int, index: np.ndarray) -> np.ndarray:
        """Addresses number ``index`` (uint64 array) as rows of network-order bytes."""
        from netprobe.npimport import np

        starts = np.array(self._starts[family][:-1], dtype=np.uint64)
        k = np.searchsorted(starts, index, side="right") - 1
        offset = index - starts[k]
        width = 4 if family == 4 else 16
        out = np.zeros((len(index), width), dtype=np.uint8)
        if family == 4:
            firsts = np.array([f for f, _ in self.ranges[4]], dtype=np.uint64)
            value = firsts[k] + offset
            for b in range(4):
                out[:, b] = (value >> np.uint64(24 - 8 * b)) & np.uint64(0xFF)
            return out
        # IPv6: 128-bit values do not fit numpy; add the offset to the low 64 bits and
        # carry into the high ones by hand
        lo_first = np.array([f & (2**64 - 1) for f, _ in self.ranges[6]], dtype=np.uint64)
        hi_first = np.array([f >> 64 for f, _ in self.ranges[6]], dtype=np.uint64)
        lo = lo_first[k] + offset  # wraps modulo 2^64
        hi = hi_first[k] + (lo < lo_first[k]).astype(np.uint64)
        for b in range(8):
            out[:, b] = (hi >> np.uint64(56 - 8 * b)) & np.uint64(0xFF)
            out[:, 8 + b] = (lo >> np.uint64(56 - 8 * b)) & np.uint64(0xFF)
        return out

    def split(self, family: int, key: Callable[[str], object]) -> list[tuple[object, TargetSet]]:
        """This family's addresses grouped by ``key(first address of each range)``.

        Used to group targets by route (interface, source address): a range is
        assumed to share the route of its first address.
        """
        groups: dict[object, list[Range]] = {}
        order: list[object] = []
        for first, last in self.ranges.get(family, []):
            k = key(address_text(first, family))
            if k not in groups:
                groups[k] = []
                order.append(k)
            groups[k].append((first, last))
        return [(k, TargetSet({family: groups[k]})) for k in order]
