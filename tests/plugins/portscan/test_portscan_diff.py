"""--diff: changes between two runs' records (pure), in ``history diff``'s vocabulary."""

from __future__ import annotations

import json

import pytest

from netprobe.errors import UsageError
from netprobe.plugins.portscan.diff import changes, read_records


def host(h, counts, state="up"):
    return {"type": "host", "host": h, "state": state, "reason": "user-set", "ports": counts}


def port(h, p, state, proto="tcp"):
    return {"type": "port", "host": h, "proto": proto, "port": p, "state": state,
            "reason": "x", "ttl": 64, "service": None}


BEFORE = [host("198.18.1.11", {"open": 2, "closed": 997, "filtered": 1}),
          port("198.18.1.11", 22, "open"), port("198.18.1.11", 80, "open"),
          port("198.18.1.11", 8080, "filtered"),
          host("198.18.1.12", {"open": 1, "closed": 999}), port("198.18.1.12", 25, "open"),
          {"type": "summary"}]


def test_no_change():
    assert changes(BEFORE, BEFORE) == []


def test_opened_gone_changed():
    after = [host("198.18.1.11", {"open": 2, "closed": 998}),
             port("198.18.1.11", 22, "open"), port("198.18.1.11", 443, "open"),
             host("198.18.1.12", {"open": 1, "closed": 999}), port("198.18.1.12", 25, "open")]
    got = changes(BEFORE, after)
    assert [(c["type"], c["change"], c["port"], c["before"], c["after"]) for c in got] == [
        ("port-change", "closed", 80, "open", "closed"),
        ("port-change", "opened", 443, "closed", "open"),
        ("port-change", "changed", 8080, "filtered", "closed")]


def test_hosts_coming_and_going():
    after = [host("198.18.1.11", {"open": 2, "closed": 997, "filtered": 1}),
             port("198.18.1.11", 22, "open"), port("198.18.1.11", 80, "open"),
             port("198.18.1.11", 8080, "filtered"),
             host("198.18.1.13", {"open": 1, "filtered": 999}), port("198.18.1.13", 22, "open")]
    got = changes(BEFORE, after)
    assert [(c["type"], c["change"], c["host"], c.get("port")) for c in got] == [
        ("host-change", "gone", "198.18.1.12", None), ("host-change", "up", "198.18.1.13", None),
        ("port-change", "closed", "198.18.1.12", 25), ("port-change", "opened", "198.18.1.13", 22)]


def test_the_same_records_as_history_diff():
    from netprobe.services.history.diff import diff_records

    after = [host("198.18.1.11", {"open": 1, "closed": 999}), port("198.18.1.11", 22, "open")]
    mine = changes(BEFORE, after)
    theirs = [c for c in diff_records(BEFORE, after)
              if c["type"] in ("host-change", "port-change")]
    assert mine == theirs and mine


def test_read_records(tmp_path):
    path = tmp_path / "prev.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in BEFORE) + "\n")
    assert read_records(str(path)) == BEFORE
    path.write_text("not json\n")
    with pytest.raises(UsageError, match="line 1"):
        read_records(str(path))
    with pytest.raises(UsageError, match="cannot read"):
        read_records(str(tmp_path / "missing.jsonl"))
