"""A scan's JSON Lines records grouped back into hosts: what the nmap formats are written from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

HostRecords = tuple[dict[str, Any], list[dict[str, Any]]]


def split_records(records: Iterable[dict[str, Any]]) -> tuple[list[HostRecords], dict[str, Any]]:
    """(each host record with its port records, the summary record) of a scan, in order."""
    hosts: list[HostRecords] = []
    summary: dict[str, Any] = {}
    for rec in records:
        kind = rec.get("type")
        if kind == "host":
            hosts.append((rec, []))
        elif kind == "port" and hosts:
            hosts[-1][1].append(rec)
        elif kind == "summary":
            summary = rec
    return hosts, summary
