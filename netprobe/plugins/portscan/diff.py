"""``--diff PREV.jsonl``: what changed between two scans' JSON Lines records (pure).

A port missing from a host's records is in that host's dominant state (the
records hide it; the host record's counts say which state that is), so a
port is compared with its explicit state where there is one and with its
host's dominant state otherwise. Changes:

``host-change`` (``up``, ``gone``...) and ``port-change`` (``opened``, ``closed``,
``changed``) records, as ``netprobe history diff`` gives them (its module makes both).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from netprobe.errors import UsageError

if TYPE_CHECKING:
    from netprobe.plugins.portscan.records import Record
    from netprobe.services.json_value import JSONRecord


def read_records(path: str) -> list[JSONRecord]:
    """The JSON Lines records of a previous run's output; UsageError when unreadable."""
    out = []
    try:
        with open(path, encoding="utf-8") as handle:
            for n, line in enumerate(handle, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    raise UsageError(f"--diff {path}: line {n} is not JSON (expected a "
                                     "previous run's JSON Lines, e.g. from -o)") from None
                if isinstance(rec, dict):
                    out.append(rec)
    except OSError as exc:
        raise UsageError(f"cannot read --diff file {path}: {exc.strerror or exc}") from None
    return out


def changes(previous: Iterable[Record], current: Iterable[Record]) -> list[JSONRecord]:
    """The change records from ``previous`` to ``current`` (empty: nothing changed).

    The same records as ``netprobe history diff`` (one vocabulary): ``host-change``
    (``up``/``gone``/``dominant``...) then ``port-change`` (``opened``/``closed``/
    ``changed``, with ``before`` and ``after`` states).
    """
    from netprobe.services.history.diff import host_changes, port_changes

    before, after = list(previous), list(current)
    return host_changes(before, after) + port_changes(before, after)
