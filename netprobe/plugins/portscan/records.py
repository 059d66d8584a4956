"""A scan's JSON Lines records grouped back into hosts: what the nmap formats are written from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue

#: one JSON Lines record of a scan (host, port, summary, change), as made or read back
Record = Mapping[str, "JSONValue"]

#: a host record and the port records that follow it
HostRecords = tuple[Record, list[Record]]


def split_records(records: Iterable[Record]) -> tuple[list[HostRecords], Record]:
    """(each host record with its port records, the summary record) of a scan, in order."""
    hosts: list[HostRecords] = []
    summary: Record = {}
    for rec in records:
        kind = rec.get("type")
        if kind == "host":
            hosts.append((rec, []))
        elif kind == "port" and hosts:
            hosts[-1][1].append(rec)
        elif kind == "summary":
            summary = rec
    return hosts, summary
