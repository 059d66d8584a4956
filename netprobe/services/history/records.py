"""What history needs to know about a probing plugin's records (pure functions).

History stores the JSON Lines records a probing command printed, as it printed
them, and reads a few fields from them to index, filter and compare:

* portscan: ``{"type": "port", "host", "proto", "port", "state", "reason", ...}``
  and ``{"type": "host", "host", "state", "reason", "ports": {state: count}}``
* arpscan: ``{"type": "host", "ip", "mac", "vendor", ...}``
* traceroute: ``{"type": "hop", "ttl", "addrs", ...}`` then
  ``{"type": "path", "dst", "reached", "hops"}`` for each destination

Anything else (a ``summary``, a future plugin's records) is kept and shown
as is. ``kind`` is accepted where ``type`` is missing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue


def record_type(record: Mapping[str, JSONValue]) -> str | None:
    """The record's sort (``port``, ``host``, ``hop``, ``path``, ``summary``...)."""
    value = record.get("type", record.get("kind"))
    return value if isinstance(value, str) else None


def record_host(record: Mapping[str, JSONValue]) -> str | None:
    """The address a host, port or path record is about (``host``, ``ip`` or ``dst``)."""
    for key in ("host", "ip", "dst"):
        value = record.get(key)
        if value is not None:
            return str(value)
    return None


def hop_addrs(record: Mapping[str, JSONValue]) -> list[str]:
    """The addresses that answered at one hop, without silent markers (``*``, null)."""
    addrs = record.get("addrs")
    if not isinstance(addrs, list | tuple):
        return []
    return [str(a) for a in addrs if a not in (None, "*", "")]


def with_destinations(records: Iterable[Mapping[str, JSONValue]], default: str | None = None
                      ) -> Iterator[tuple[int, Mapping[str, JSONValue], str | None]]:
    """Each record as ``(position, record, address)``; hops get their trace's destination.

    ``position`` counts the input from 0; ``address`` is what the record is
    about (``record_host``). A traceroute prints a trace's hops, then its
    ``path`` record naming the destination. A hop that carries its own
    ``dst`` keeps it; the others get the destination of the next ``path``
    record, else ``default``. Such hops are held back until their path
    arrives, so the output order can differ from the input order.
    """
    held: list[tuple[int, Mapping[str, JSONValue]]] = []
    for position, record in enumerate(records):
        kind = record_type(record)
        if kind == "hop" and record.get("dst") is None:
            held.append((position, record))
            continue
        if kind == "path":
            dst = record_host(record)
            for hop_position, hop in held:
                yield hop_position, hop, dst
            held.clear()
        yield position, record, record_host(record)
    for hop_position, hop in held:
        yield hop_position, hop, default


PORT_STATES = ("open", "closed", "filtered", "unfiltered", "open|filtered", "closed|filtered")
"""The port scanner's states, in the order that breaks ties between equal counts."""


def dominant_state(counts: Mapping[str, JSONValue] | None) -> str | None:
    """The state of the ports a host does not list one by one (nmap's "Not shown"), from
    its ports per state (a host record's ``ports``).

    The port scanner's rule: the state other than ``open`` with the most ports,
    ties going to the state that comes first in ``PORT_STATES``; None when there
    are no such counts.
    """
    if not isinstance(counts, Mapping):
        return None
    order = {state: i for i, state in enumerate(PORT_STATES)}
    best, best_n = None, 0
    for state, n in sorted(counts.items(), key=lambda kv: order.get(kv[0], len(order))):
        if state != "open" and isinstance(n, int | float) and n > best_n:
            best, best_n = str(state), n
    return best


def address_key(value: object) -> tuple[int, int, str]:
    """A sort key that puts IPv4 before IPv6 in numeric order, then anything else."""
    text = "" if value is None else str(value)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return (9, 0, text)
    return (address.version, int(address), text)


__all__ = ["PORT_STATES", "address_key", "dominant_state", "hop_addrs", "record_host",
           "record_type", "with_destinations"]
