"""What changed between two runs: pure functions of their records.

Each function takes the records of the earlier run (``before``) and of the
later one (``after``), in the shapes the probing commands print (see
``records.py``), and returns change records, sorted, as JSON-ready dicts:

``{"type": "host-change", "change": "up" | "gone" | "mac" | "dominant", "host", "before", "after"}``
    a host that answers now and did not before (``up``), or the reverse
    (``gone``); an address now answered by another MAC (``mac``, the MAC lists
    before and after); the state of the ports a port scan does not list one by
    one changed (``dominant``, e.g. closed -> filtered).
``{"type": "port-change", "change": "opened" | "closed" | "changed", "host", "proto", "port",
"before", "after", "reason", "service"}``
    a port whose state changed; ``opened`` when it is open now and was not,
    ``closed`` when it was open and is not, ``changed`` for the other state
    changes (filtered -> closed...). ``before``/``after`` are states; null when
    the host was not up in that run. ``reason`` is the reason of the new state.
``{"type": "hop-change", "change": "changed" | "added" | "removed", "dst", "ttl", "before",
"after"}``
    the set of addresses answering at one hop of a path changed (``[]`` is a
    silent hop; null: the run had no such hop).
``{"type": "path-change", "change": "reached" | "unreached", "dst", "before", "after"}``
    the destination answers now and did not (or the reverse).
``{"type": "mac-move", "mac", "before", "after"}``
    a MAC seen in both runs at different addresses (the address lists).

A port scan lists only the ports not in a host's dominant state; a port
listed in one run and not in the other is compared with the other run's
dominant state for that host. Ports of a host that is up in only one of the
runs are not compared one by one: the ``host-change`` says it, and its open
ports are listed as ``opened``/``closed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from netprobe.services.history.records import (
    address_key,
    dominant_state,
    hop_addrs,
    record_host,
    record_type,
    with_destinations,
)
from netprobe.services.json_value import JSONRecord, JSONValue

Record = Mapping[str, JSONValue]


@dataclass
class _Hosts:
    """The hosts of one run: state, MACs, dominant port state, explicitly listed."""

    state: dict[str, str | None] = field(default_factory=dict)
    macs: dict[str, set[str]] = field(default_factory=dict)
    dominant: dict[str, str | None] = field(default_factory=dict)
    #: host -> (state, proto) -> reason of the ports not listed (nmap's "Not shown")
    hidden: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)

    def up(self) -> set[str]:
        return {h for h, s in self.state.items() if s in (None, "up")}

    def hidden_reason(self, host: str, state: str | None, proto: str) -> str | None:
        """Why the host's unlisted ports of ``proto`` are in ``state`` (None: not said)."""
        return self.hidden.get(host, {}).get((str(state), proto))


def _is_up(state: object) -> bool:
    return state in (None, "up")


def _hosts(records: Iterable[Record]) -> _Hosts:
    hosts = _Hosts()
    for rec in records:
        if record_type(rec) != "host":
            continue
        host = record_host(rec)
        if host is None:
            continue
        state = rec.get("state")
        state = None if state is None else str(state)
        # Several records for one address (arpscan: two MACs answering for one
        # IP): the host is up if any says so.
        if host not in hosts.state or _is_up(state):
            hosts.state[host] = state
        mac = rec.get("mac")
        if mac and _is_up(state):
            hosts.macs.setdefault(host, set()).add(str(mac).lower())
        if host not in hosts.dominant or hosts.dominant[host] is None:
            hosts.dominant[host] = dominant_state(rec.get("ports"))
        for group in rec.get("not_shown") or ():
            if isinstance(group, Mapping) and group.get("reason"):
                hosts.hidden.setdefault(host, {})[
                    (str(group.get("state")), str(group.get("proto")))] = str(group["reason"])
    return hosts


def _ports(records: Iterable[Record]) -> dict[tuple[str, str, int], Record]:
    ports: dict[tuple[str, str, int], Record] = {}
    for rec in records:
        if record_type(rec) != "port":
            continue
        host = record_host(rec)
        port = rec.get("port")
        if host is None or not isinstance(port, int):
            continue
        ports[(host, str(rec.get("proto") or "tcp"), port)] = rec
    return ports


def _port_key(key: tuple[str, str, int]) -> tuple[tuple[int, int, str], str, int]:
    return (address_key(key[0]), key[1], key[2])


def host_changes(before: Iterable[Record], after: Iterable[Record]) -> list[JSONRecord]:
    """Hosts up or gone, addresses answered by another MAC, dominant port states changed."""
    before, after = list(before), list(after)
    a, b = _hosts(before), _hosts(after)
    # A host that has listed ports in a run was up in it, even without a host record.
    for hosts, ports in ((a, _ports(before)), (b, _ports(after))):
        for host, _proto, _port in ports:
            hosts.state.setdefault(host, "up")
    up_a, up_b = a.up(), b.up()
    changes: list[JSONRecord] = []
    for host in sorted(set(a.state) | set(b.state), key=address_key):
        if host in up_b and host not in up_a:
            changes.append({"type": "host-change", "change": "up", "host": host,
                            "before": a.state.get(host), "after": b.state.get(host) or "up"})
        elif host in up_a and host not in up_b:
            changes.append({"type": "host-change", "change": "gone", "host": host,
                            "before": a.state.get(host) or "up", "after": b.state.get(host)})
        elif host in up_a and host in up_b:
            macs_a, macs_b = a.macs.get(host), b.macs.get(host)
            if macs_a and macs_b and macs_a != macs_b:
                changes.append({"type": "host-change", "change": "mac", "host": host,
                                "before": sorted(macs_a), "after": sorted(macs_b)})
            dom_a, dom_b = a.dominant.get(host), b.dominant.get(host)
            if dom_a and dom_b and dom_a != dom_b:
                changes.append({"type": "host-change", "change": "dominant", "host": host,
                                "before": dom_a, "after": dom_b})
    return changes


def _port_change(key: tuple[str, str, int], state_a: str | None, state_b: str | None,
                 rec_a: Record | None, rec_b: Record | None,
                 hidden_reason: str | None = None) -> JSONRecord:
    if state_b == "open":
        change = "opened"
    elif state_a == "open":
        change = "closed"
    else:
        change = "changed"
    service = next((r.get("service") for r in (rec_b, rec_a)
                    if r is not None and r.get("service") is not None), None)
    return {"type": "port-change", "change": change, "host": key[0], "proto": key[1],
            "port": key[2], "before": state_a, "after": state_b,
            "reason": rec_b.get("reason") if rec_b is not None else hidden_reason,
            "service": service}


def port_changes(before: Iterable[Record], after: Iterable[Record]) -> list[JSONRecord]:
    """Ports opened, closed or in another state (see the module docstring for the rules)."""
    before, after = list(before), list(after)
    ports_a, ports_b = _ports(before), _ports(after)
    hosts_a, hosts_b = _hosts(before), _hosts(after)
    up_a = hosts_a.up() | {k[0] for k in ports_a}
    up_b = hosts_b.up() | {k[0] for k in ports_b}
    changes: list[JSONRecord] = []
    for key in sorted(set(ports_a) | set(ports_b), key=_port_key):
        host = key[0]
        rec_a, rec_b = ports_a.get(key), ports_b.get(key)
        if host not in up_a or host not in up_b:
            # The host-change tells the story; list only the open ports it took along.
            if host in up_b and rec_b is not None and rec_b.get("state") == "open":
                changes.append(_port_change(key, None, "open", None, rec_b))
            elif host in up_a and rec_a is not None and rec_a.get("state") == "open":
                changes.append(_port_change(key, "open", None, rec_a, None))
            continue
        state_a = str(rec_a["state"]) if rec_a is not None else hosts_a.dominant.get(host)
        state_b = str(rec_b["state"]) if rec_b is not None else hosts_b.dominant.get(host)
        if state_a == state_b or (state_a is None and state_b is None):
            continue
        changes.append(_port_change(key, state_a, state_b, rec_a, rec_b,
                                    hosts_b.hidden_reason(host, state_b, key[1])))
    return changes


def _hops(records: Iterable[Record]) -> dict[tuple[str | None, int], list[str]]:
    """(destination, TTL) -> the addresses that answered there, sorted."""
    hops: dict[tuple[str | None, int], list[str]] = {}
    for _, rec, dst in with_destinations(records):
        if record_type(rec) == "hop" and isinstance(rec.get("ttl"), int):
            seen = hops.setdefault((dst, rec["ttl"]), [])
            seen.extend(a for a in hop_addrs(rec) if a not in seen)
    return {k: sorted(v, key=address_key) for k, v in hops.items()}


def _reached(records: Iterable[Record]) -> dict[str | None, bool]:
    """Destination -> whether its path record says it was reached."""
    return {dst: bool(rec.get("reached")) for _, rec, dst in with_destinations(records)
            if record_type(rec) == "path"}


def hop_changes(before: Iterable[Record], after: Iterable[Record]) -> list[JSONRecord]:
    """Path hops whose set of answering addresses changed, appeared or disappeared."""
    hops_a, hops_b = _hops(before), _hops(after)
    changes: list[JSONRecord] = []
    for key in sorted(set(hops_a) | set(hops_b), key=lambda k: (address_key(k[0]), k[1])):
        a, b = hops_a.get(key), hops_b.get(key)
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        changes.append({"type": "hop-change", "change": change, "dst": key[0], "ttl": key[1],
                        "before": a, "after": b})
    return changes


def path_changes(before: Iterable[Record], after: Iterable[Record]) -> list[JSONRecord]:
    """Destinations reached now and not before, or the reverse."""
    reached_a, reached_b = _reached(before), _reached(after)
    changes: list[JSONRecord] = []
    for dst in sorted(set(reached_a) & set(reached_b), key=address_key):
        a, b = reached_a[dst], reached_b[dst]
        if a != b:
            changes.append({"type": "path-change", "change": "reached" if b else "unreached",
                            "dst": dst, "before": a, "after": b})
    return changes


def _mac_addresses(records: Iterable[Record]) -> dict[str, set[str]]:
    """MAC -> the addresses it answered for, in a run's host records."""
    found: dict[str, set[str]] = {}
    for host, macs in _hosts(records).macs.items():
        for mac in macs:
            found.setdefault(mac, set()).add(host)
    return found


def mac_moves(before: Iterable[Record], after: Iterable[Record]) -> list[JSONRecord]:
    """MACs seen in both runs whose addresses changed (a host that moved, or spoofing)."""
    a, b = _mac_addresses(before), _mac_addresses(after)
    changes: list[JSONRecord] = []
    for mac in sorted(set(a) & set(b)):
        if a[mac] != b[mac]:
            changes.append({"type": "mac-move", "mac": mac,
                            "before": sorted(a[mac], key=address_key),
                            "after": sorted(b[mac], key=address_key)})
    return changes


def diff_records(before: Iterable[Record], after: Iterable[Record]) -> list[JSONRecord]:
    """Every change between two runs: hosts, ports, hops, paths, MACs, in that order."""
    before, after = list(before), list(after)
    return (host_changes(before, after) + port_changes(before, after)
            + hop_changes(before, after) + path_changes(before, after)
            + mac_moves(before, after))


def change_counts(changes: Iterable[Record]) -> dict[str, int]:
    """How many changes of each kind, keyed ``<type>:<change>`` (``port-change:opened``)."""
    counts: dict[str, int] = {}
    for change in changes:
        key = f"{change.get('type')}:{change.get('change')}" if change.get("change") else str(
            change.get("type"))
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


__all__ = ["change_counts", "diff_records", "hop_changes", "host_changes",
           "mac_moves", "path_changes", "port_changes"]
