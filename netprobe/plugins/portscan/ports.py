"""Port specifications (``-p``) → sorted TCP and UDP port lists (pure).

nmap's syntax: ``22,80,1000-2000``; ``-`` alone or ``-p-`` for 1-65535; open
ends (``-1024``, ``60000-``); ``T:`` and ``U:`` prefixes that apply to the
entries after them (``T:80,443,U:53``). Entries without a prefix go to
every protocol the scan uses. Port 0 and ports above 65535 are refused.
"""

from __future__ import annotations

from netprobe.errors import UsageError

MAX_PORT = 65535


class PortSpec:
    """The ports a spec names, per protocol; ``any`` holds the entries without T:/U:
    (they go to every scanned protocol)."""

    __slots__ = ("any", "tcp", "udp")

    def __init__(self) -> None:
        self.tcp: list[int] = []
        self.udp: list[int] = []
        self.any: list[int] = []

    def for_proto(self, proto: str) -> list[int]:
        """The sorted ports to scan with ``proto`` ("tcp" or "udp")."""
        own = self.tcp if proto == "tcp" else self.udp
        return sorted(set(own) | set(self.any))


def _number(text: str, spec: str) -> int:
    if not text.isdigit():
        raise UsageError(f"bad port spec {spec!r}: {text!r} is not a port number")
    value = int(text)
    if not 1 <= value <= MAX_PORT:
        raise UsageError(f"bad port spec {spec!r}: port {value} is outside 1-{MAX_PORT}")
    return value


def parse_ports(spec: str) -> PortSpec:
    """Parse a ``-p`` value; UsageError with the reason when malformed."""
    out = PortSpec()
    text = spec.strip()
    if not text:
        raise UsageError("empty port spec")
    target: list[int] = out.any
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            raise UsageError(f"bad port spec {spec!r}: empty entry")
        if len(item) >= 2 and item[1] == ":" and item[0] in "TtUuSs":
            letter = item[0].upper()
            if letter == "S":
                raise UsageError(f"bad port spec {spec!r}: SCTP (S:) is not supported")
            target = out.tcp if letter == "T" else out.udp
            item = item[2:]
            if not item:
                raise UsageError(f"bad port spec {spec!r}: nothing after {letter}:")
        if item == "-":
            target.extend(range(1, MAX_PORT + 1))
            continue
        if "-" in item:
            lo_text, _, hi_text = item.partition("-")
            lo = _number(lo_text, spec) if lo_text else 1
            hi = _number(hi_text, spec) if hi_text else MAX_PORT
            if lo > hi:
                raise UsageError(f"bad port spec {spec!r}: range {item} runs backwards")
            target.extend(range(lo, hi + 1))
        else:
            target.append(_number(item, spec))
    return out


def describe(ports: list[int]) -> str:
    """Ports as compact text: ``22,80,1000-2000``."""
    parts = []
    i = 0
    while i < len(ports):
        j = i
        while j + 1 < len(ports) and ports[j + 1] == ports[j] + 1:
            j += 1
        parts.append(str(ports[i]) if i == j else f"{ports[i]}-{ports[j]}")
        i = j + 1
    return ",".join(parts)
