"""Realistic records of the probing commands, for the history tests (no network).

The shapes are those the issues give the port scanner (issue 5), arpscan and
traceroute (issue 6); the addresses, MACs and services those of the practice
lab (``netprobe/plugins/lab/topology.py``). Each builder takes the changes a
test wants, so a test says what differs between two runs and checks that
exactly that is reported.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

LAN = "198.18.1.0/24"
SERVICES = {22: "ssh", 25: "smtp", 53: "domain", 80: "http", 443: "https", 8080: "http-proxy"}

#: host -> {(proto, port): (state, reason)} for the ports not in the host's dominant state
BASE_PORTS: dict[str, dict[tuple[str, int], tuple[str, str]]] = {
    "198.18.1.11": {("tcp", 22): ("open", "syn-ack"), ("tcp", 25): ("open", "syn-ack"),
                    ("tcp", 80): ("open", "syn-ack")},
    "198.18.1.12": {("tcp", 80): ("open", "syn-ack"), ("tcp", 8080): ("filtered", "no-response")},
    "198.18.1.13": {("tcp", 22): ("open", "syn-ack"), ("tcp", 443): ("filtered",
                                                                    "admin-prohibited")},
    "198.18.1.14": {("tcp", 53): ("open", "syn-ack")},
}
#: hosts up with every scanned port closed (answers RST everywhere)
QUIET_HOSTS = ["198.18.1.15"]
SCANNED_PORTS = 1000


def _address_order(address: str) -> tuple[int, int]:
    parsed = ipaddress.ip_address(address)
    return parsed.version, int(parsed)


def mac_of(address: str) -> str:
    """The lab's MAC for a LAN address (02:00 + the IPv4 address in hex)."""
    octets = [int(x) for x in address.split(".")]
    return "02:00:" + ":".join(f"{o:02x}" for o in octets)


def portscan_records(ports: dict[str, dict[tuple[str, int], tuple[str, str]]] | None = None,
                     quiet: list[str] | None = None, down: list[str] | None = None,
                     dominant: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """A portscan run's JSON Lines: port records, then a host record per host, a summary."""
    ports = BASE_PORTS if ports is None else ports
    quiet = QUIET_HOSTS if quiet is None else quiet
    down = down or []
    dominant = dominant or {}
    records: list[dict[str, Any]] = []
    hosts = sorted(set(ports) | set(quiet), key=_address_order)
    for host in hosts:
        for (proto, port), (state, reason) in sorted(ports.get(host, {}).items()):
            records.append({"type": "port", "host": host, "proto": proto, "port": port,
                            "state": state, "reason": reason, "ttl": 64,
                            "service": SERVICES.get(port)})
    for host in hosts:
        counts: dict[str, int] = {}
        for state, _reason in ports.get(host, {}).values():
            counts[state] = counts.get(state, 0) + 1
        listed = sum(counts.values())
        rest = dominant.get(host, "closed")
        counts[rest] = counts.get(rest, 0) + SCANNED_PORTS - listed
        records.append({"type": "host", "host": host, "state": "up", "reason": "arp-response",
                        "ports": dict(sorted(counts.items(), key=lambda kv: -kv[1]))})
    for host in down:
        records.append({"type": "host", "host": host, "state": "down", "reason": "no-response",
                        "ports": {}})
    opened = sum(1 for p in ports.values() for s, _ in p.values() if s == "open")
    records.append({"type": "summary", "hosts_up": len(hosts), "hosts_down": len(down),
                    "open": opened, "duration": 1.234, "sent": 6012, "received": 5007,
                    "retries": 12, "rate": 4871.9})
    return records


def changed_ports(**changes: dict[tuple[str, int], tuple[str, str] | None]
                  ) -> dict[str, dict[tuple[str, int], tuple[str, str]]]:
    """BASE_PORTS with some ports changed; a value None removes the port (dominant state).

    Keyword names are hosts with dots as underscores: ``h198_18_1_11={...}``.
    """
    result = {h: dict(p) for h, p in BASE_PORTS.items()}
    for name, ports in changes.items():
        host = name.removeprefix("h").replace("_", ".")
        table = result.setdefault(host, {})
        for key, value in ports.items():
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
    return result


def arpscan_records(hosts: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """An arpscan run: one host record per (IP, MAC), then a summary."""
    if hosts is None:
        hosts = {f"198.18.1.{n}": mac_of(f"198.18.1.{n}") for n in range(11, 17)}
    records: list[dict[str, Any]] = []
    for ip, mac in sorted(hosts.items(), key=lambda kv: _address_order(kv[0])):
        records.append({"type": "host", "ip": ip, "mac": mac, "vendor": None,
                        "rtt_ms": 0.21, "flags": []})
    records.append({"type": "summary", "hosts": len(hosts), "sent": 254, "received": len(hosts),
                    "duration": 0.8})
    return records


FAR = "198.19.2.10"
#: the lab path to the far host: r1, r2, (r3a | r3b: ECMP), r4 silent, far
PATH = [["198.18.1.1"], ["198.18.101.2"], ["198.18.102.2"], [], [FAR]]


def traceroute_records(path: list[list[str]] | None = None, dst: str = FAR,
                       reached: bool = True, with_dst: bool = False) -> list[dict[str, Any]]:
    """A traceroute run to ``dst``: hop records, then the path record, then a summary."""
    path = PATH if path is None else path
    records: list[dict[str, Any]] = []
    for ttl, addrs in enumerate(path, start=1):
        probes = ([{"addr": a, "rtt_ms": 0.1 * ttl, "reply": "time-exceeded"} for a in addrs]
                  or [{"addr": None, "rtt_ms": None, "reply": None}] * 3)
        hop: dict[str, Any] = {"type": "hop", "ttl": ttl, "probes": probes,
                               "addrs": list(addrs), "mpls": []}
        if with_dst:
            hop["dst"] = dst
        records.append(hop)
    records.append({"type": "path", "dst": dst, "reached": reached, "hops": len(path)})
    records.append({"type": "summary", "traces": 1, "sent": 15, "received": 12,
                    "duration": 0.05})
    return records


def big_portscan(n_hosts: int, ports: int = 65535) -> Iterator[dict[str, Any]]:
    """An --all-states scan: every port of ``n_hosts`` hosts (for the crash test)."""
    for h in range(n_hosts):
        host = f"198.18.1.{11 + h}"
        for port in range(1, ports + 1):
            yield {"type": "port", "host": host, "proto": "tcp", "port": port,
                   "state": "open" if port in SERVICES else "closed",
                   "reason": "syn-ack" if port in SERVICES else "reset", "ttl": 64,
                   "service": SERVICES.get(port)}
        yield {"type": "host", "host": host, "state": "up", "reason": "arp-response",
               "ports": {"closed": ports - len(SERVICES), "open": len(SERVICES)}}
