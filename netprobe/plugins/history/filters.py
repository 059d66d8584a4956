"""The ``--since``, ``--host`` and ``--port`` filters of ``netprobe history`` (pure).

Each parser raises ``UsageError`` (exit 2) with one line on input it cannot
read. Matching works on any record history stores or produces: findings
(``port``, ``host``, ``hop``, ``path``...) and changes (``port-change``,
``mac-move``...).
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.services.history.records import hop_addrs, record_host, record_type

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.IGNORECASE)


def parse_since(text: str, now: float) -> float:
    """A point in time (epoch seconds) from ``--since``.

    Accepted: a duration back from ``now`` (``30m``, ``2h``, ``7d``, ``1w``;
    units s m h d w), an ISO 8601 date or time (``2024-05-01``,
    ``2024-05-01T08:00``, ``2024-05-01 08:00:00+02:00``; local time unless an
    offset is given), or ``@SECONDS`` since the epoch.
    """
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value.startswith("@"):
        try:
            return float(value[1:])
        except ValueError:
            pass
    else:
        try:
            when = datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if when.tzinfo is None:
                when = when.astimezone()  # naive: the local time zone
            return when.timestamp()
    raise UsageError(f"--since {text!r}: expected a duration (30m, 2h, 7d), an ISO date or "
                     "time (2024-05-01, 2024-05-01T08:00) or @EPOCH_SECONDS")


@dataclass(frozen=True)
class PortSet:
    """Ports from ``--port``: ``22``, ``22,80,443``, ``1000-2000`` or a mix."""

    ranges: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str) -> PortSet:
        """Read a port list; raises ``UsageError`` for anything outside 1..65535."""
        ranges = []
        for part in text.split(","):
            part = part.strip()
            low, dash, high = part.partition("-")
            try:
                first = int(low)
                last = int(high) if dash else first
            except ValueError:
                raise UsageError(f"--port {text!r}: {part!r} is not a port or a range "
                                 "(22,80,1000-2000)") from None
            if not (1 <= first <= last <= 65535):
                raise UsageError(f"--port {text!r}: ports are 1-65535, low-high")
            ranges.append((first, last))
        return cls(tuple(ranges))

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and any(lo <= port <= hi for lo, hi in self.ranges)


@dataclass(frozen=True)
class HostMatch:
    """Hosts from ``--host``: an address, a CIDR block, a MAC, or a name (exact)."""

    text: str
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    mac: str | None

    @classmethod
    def parse(cls, text: str) -> HostMatch:
        """Read one ``--host`` value (never fails: an unknown form matches exactly)."""
        value = text.strip()
        if _MAC.match(value):
            return cls(value.lower().replace("-", ":"), None, value.lower().replace("-", ":"))
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return cls(value.lower(), None, None)
        return cls(value, network, None)

    def matches_address(self, value: object) -> bool:
        """True when ``value`` (an address or a name) is this host or inside this block."""
        if value is None:
            return False
        text = str(value)
        if self.network is not None:
            try:
                return ipaddress.ip_address(text) in self.network
            except ValueError:
                return False
        if self.mac is not None:
            return text.lower().replace("-", ":") == self.mac
        return text.lower() == self.text

    def matches(self, record: Mapping[str, JSONValue]) -> bool:
        """True when a finding or a change concerns this host."""
        candidates: list[object] = [record_host(record)]
        kind = record_type(record)
        if kind == "hop":
            candidates += hop_addrs(record)
        if self.mac is not None:
            candidates.append(record.get("mac"))
        for key in ("before", "after"):  # hop-change and mac-move carry address lists
            value = record.get(key)
            if kind in ("hop-change", "mac-move", "host-change") and isinstance(value, list):
                candidates += value
        return any(self.matches_address(c) for c in candidates)


def record_has_port(record: Mapping[str, JSONValue], ports: PortSet) -> bool:
    """True when the record is about one of ``ports`` (port findings and port changes)."""
    return record.get("port") in ports


def keep_record(record: Mapping[str, JSONValue], hosts: list[HostMatch],
                ports: PortSet | None) -> bool:
    """The ``--host`` (any of them) and ``--port`` filters together; no filter keeps all."""
    if hosts and not any(h.matches(record) for h in hosts):
        return False
    return ports is None or record_has_port(record, ports)


FRAME_TYPES = ("summary", "path")
"""Records that say what a run was rather than what it found: a plugin's table needs them
(the summary line, a trace's options), so a filtered table keeps them."""


def framed(records: Sequence[Mapping[str, JSONValue]], hosts: list[HostMatch],
           ports: PortSet | None) -> list[Mapping[str, JSONValue]]:
    """The records a filtered table shows, in their order: those the filters keep, the
    run's ``summary`` and ``path`` records, and the ``host`` record of every host with a
    port kept (a port scan's table lists ports under their host)."""
    kept = [keep_record(r, hosts, ports) for r in records]
    with_ports = {record_host(r) for r, keep in zip(records, kept, strict=True)
                  if keep and record_type(r) == "port"}
    return [r for r, keep in zip(records, kept, strict=True)
            if keep or record_type(r) in FRAME_TYPES
            or (record_type(r) == "host" and record_host(r) in with_ports)]


def is_finding(record: Mapping[str, JSONValue]) -> bool:
    """True for a record about something found (not a ``summary`` or ``path`` frame)."""
    return record_type(record) not in FRAME_TYPES


__all__ = ["FRAME_TYPES", "HostMatch", "PortSet", "framed", "is_finding", "keep_record",
           "parse_since", "record_has_port"]
