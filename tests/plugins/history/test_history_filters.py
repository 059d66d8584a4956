"""The --since, --host and --port filters, pure."""

from __future__ import annotations

import datetime

import pytest

from netprobe.errors import UsageError
from netprobe.plugins.history.filters import HostMatch, PortSet, keep_record, parse_since

NOW = 1_750_000_000.0


@pytest.mark.parametrize("text, seconds_back", [
    ("45s", 45), ("30m", 1800), ("2h", 7200), ("7d", 7 * 86400), ("1w", 7 * 86400),
    ("1.5h", 5400), (" 2H ", 7200),
])
def test_since_durations(text: str, seconds_back: float) -> None:
    assert parse_since(text, NOW) == NOW - seconds_back


def test_since_dates_and_epoch() -> None:
    assert parse_since("@1700000000", NOW) == 1_700_000_000.0
    assert parse_since("2024-05-01T08:00:00+00:00", NOW) == datetime.datetime(
        2024, 5, 1, 8, tzinfo=datetime.UTC).timestamp()
    local = datetime.datetime(2024, 5, 1, 8, 30).astimezone().timestamp()
    assert parse_since("2024-05-01T08:30", NOW) == local
    assert parse_since("2024-05-01 08:30", NOW) == local
    assert parse_since("2024-05-01", NOW) == datetime.datetime(2024, 5, 1).astimezone().timestamp()


@pytest.mark.parametrize("text", ["yesterday", "5", "-2h", "@soon", "2024-13-01", ""])
def test_since_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="--since"):
        parse_since(text, NOW)


def test_port_set() -> None:
    ports = PortSet.parse("22, 80,1000-2000")
    assert 22 in ports and 80 in ports and 1000 in ports and 2000 in ports
    assert 23 not in ports and 2001 not in ports and "22" not in ports and None not in ports


@pytest.mark.parametrize("text", ["0", "65536", "80-22", "ssh", "", "1-2-3"])
def test_port_set_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="--port"):
        PortSet.parse(text)


def test_host_match_forms() -> None:
    assert HostMatch.parse("198.18.1.0/24").matches({"type": "port", "host": "198.18.1.11"})
    assert not HostMatch.parse("198.18.1.0/24").matches({"type": "port", "host": "198.19.2.10"})
    assert HostMatch.parse("2001:DB8:1::11").matches({"type": "host", "host": "2001:db8:1::11"})
    assert HostMatch.parse("198.18.1.11").matches({"type": "host", "ip": "198.18.1.11"})
    assert HostMatch.parse("02-00-C6-12-01-0B").matches(
        {"type": "host", "ip": "198.18.1.11", "mac": "02:00:c6:12:01:0b"})
    assert HostMatch.parse("far.lab").matches({"type": "port", "host": "FAR.lab"})


def test_host_match_hops_and_changes() -> None:
    hop = {"type": "hop", "ttl": 3, "addrs": ["198.18.102.2", "198.18.103.2"]}
    assert HostMatch.parse("198.18.103.2").matches(hop)
    assert HostMatch.parse("198.18.103.2").matches(
        {"type": "hop-change", "dst": "198.19.2.10", "ttl": 3, "before": ["198.18.102.2"],
         "after": ["198.18.103.2"]})
    assert HostMatch.parse("198.18.1.40").matches(
        {"type": "mac-move", "mac": "02:00:c6:12:01:0e", "before": ["198.18.1.14"],
         "after": ["198.18.1.40"]})
    assert not HostMatch.parse("198.18.1.40").matches({"type": "summary", "sent": 3})


def test_keep_record_combines_filters() -> None:
    record = {"type": "port", "host": "198.18.1.11", "port": 22}
    assert keep_record(record, [], None)
    assert keep_record(record, [HostMatch.parse("198.18.1.12"), HostMatch.parse("198.18.1.11")],
                       PortSet.parse("22"))
    assert not keep_record(record, [HostMatch.parse("198.18.1.11")], PortSet.parse("80"))
    assert not keep_record({"type": "summary"}, [], PortSet.parse("22"))
