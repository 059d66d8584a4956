"""Port specifications (``-p``)."""

from __future__ import annotations

import pytest

from netprobe.errors import UsageError
from netprobe.plugins.portscan.ports import describe, parse_ports


def test_lists_ranges_and_open_ends():
    spec = parse_ports("22,80,1000-1003,65534-")
    assert spec.for_proto("tcp") == [22, 80, 1000, 1001, 1002, 1003, 65534, 65535]
    assert parse_ports("-3").for_proto("udp") == [1, 2, 3]


def test_all_ports():
    assert parse_ports("-").for_proto("tcp") == list(range(1, 65536))


def test_protocol_prefixes_apply_to_what_follows():
    spec = parse_ports("T:80,443,U:53,161-162")
    assert spec.for_proto("tcp") == [80, 443]
    assert spec.for_proto("udp") == [53, 161, 162]
    mixed = parse_ports("22,T:80,U:53")
    assert mixed.for_proto("tcp") == [22, 80] and mixed.for_proto("udp") == [22, 53]


def test_duplicates_collapse():
    assert parse_ports("80,80,79-81").for_proto("tcp") == [79, 80, 81]


@pytest.mark.parametrize("spec", ["0", "65536", "1-70000", "22-x", "80,,81", "20-10", "T:",
                                  "S:80", "http", ""])
def test_bad_specs(spec):
    with pytest.raises(UsageError):
        parse_ports(spec)


def test_describe_compacts_runs():
    assert describe([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8"
