"""Target specifications → addresses (pure; host names through a stub resolver)."""

from __future__ import annotations

import ipaddress
import socket

import numpy as np
import pytest

from netprobe.errors import UsageError
from netprobe.plugins.portscan.targets import MAX_ADDRESSES, TargetSet, parse_spec, split_specs


def stub_resolver(name: str, family: int) -> list[str]:
    table = {("web.lab", 4): ["198.18.1.80"], ("web.lab", 6): ["2001:db8:1::80"],
             ("v6only.lab", 6): ["2001:db8:1::66"]}
    return table.get((name, family), [])


def addrs(ts: TargetSet) -> list[str]:
    return [a for f in ts.families() for a in ts.addresses(f)]


def test_single_addresses_cidr_and_ranges():
    ts = TargetSet.parse(["198.18.1.11", "198.18.1.0/30", "198.18.2.1-3", "2001:db8:1::/126"])
    assert addrs(ts) == ["198.18.1.0", "198.18.1.1", "198.18.1.2", "198.18.1.3",
                         "198.18.1.11", "198.18.2.1", "198.18.2.2", "198.18.2.3",
                         "2001:db8:1::", "2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"]
    assert ts.count() == 12 and ts.count(4) == 8 and ts.count(6) == 4


def test_full_address_ranges_and_overlaps_merge():
    ts = TargetSet.parse(["198.18.1.250-198.18.2.2", "198.18.1.255", "2001:db8::ff-2001:db8::101"])
    assert ts.count(4) == 9
    assert ts.address(4, 5) == "198.18.1.255" and ts.address(4, 6) == "198.18.2.0"
    assert ts.addresses(6)[0] == "2001:db8::ff" and ts.count(6) == 3


def test_exclusions_cut_ranges():
    ts = TargetSet.parse(["198.18.1.0/28"], ["198.18.1.4-8", "198.18.1.15", "198.18.9.9"])
    assert addrs(ts) == ["198.18.1.0", "198.18.1.1", "198.18.1.2", "198.18.1.3",
                         "198.18.1.9", "198.18.1.10", "198.18.1.11", "198.18.1.12",
                         "198.18.1.13", "198.18.1.14"]


def test_host_names_resolve_by_family():
    assert addrs(TargetSet.parse(["web.lab"], resolver=stub_resolver)) == ["198.18.1.80"]
    assert addrs(TargetSet.parse(["web.lab"], family=6, resolver=stub_resolver)) == [
        "2001:db8:1::80"]
    assert addrs(TargetSet.parse(["v6only.lab"], resolver=stub_resolver)) == ["2001:db8:1::66"]
    with pytest.raises(UsageError, match="cannot resolve"):
        TargetSet.parse(["nowhere.lab"], resolver=stub_resolver)


def test_localhost_resolves_with_the_system_resolver():
    assert "127.0.0.1" in addrs(TargetSet.parse(["localhost"]))


@pytest.mark.parametrize("spec", ["198.18.1.300", "198.18.1.1-300", "198.18.1.9-3",
                                  "198.18.1.0/33", "2001:db8::/129", "198.18.1.1-2001:db8::1",
                                  "bad name!", "-x", "1.2.3", ""])
def test_malformed_targets_are_usage_errors(spec):
    with pytest.raises(UsageError):
        parse_spec(spec, resolver=stub_resolver)


@pytest.mark.parametrize(("spec", "message"), [
    ("198.18.1.0/33", "bad target '198.18.1.0/33': not an address/prefix (e.g. 198.18.1.0/24)"),
    ("198.18.1.1-300", "bad target range '198.18.1.1-300': octets must be 0-255, low to high"),
    ("198.18.1.9-3", "bad target range '198.18.1.9-3': octets must be 0-255, low to high"),
    ("300.1.1.1-5", "bad target '300.1.1.1-5': not an IPv4 address range"),
    ("198.18.1.1-1000", "bad target range '198.18.1.1-1000': expected FIRST-LAST addresses "
                        "or 198.18.1.1-20"),
    ("198.18.1.1-2001:db8::1", "bad target range '198.18.1.1-2001:db8::1': the first address "
                               "must come before the last, in one family"),
    ("198.18.1.9-198.18.1.3", "bad target range '198.18.1.9-198.18.1.3': the first address "
                              "must come before the last, in one family"),
    ("bad name!", "bad target 'bad name!': not an address, prefix, range or host name"),
    ("1.2.3", "bad target '1.2.3': not a valid IPv4 address"),
    ("", "empty target"),
])
def test_each_malformed_form_has_its_own_line(spec, message):
    with pytest.raises(UsageError) as caught:
        parse_spec(spec, resolver=stub_resolver)
    assert str(caught.value) == message


def test_ranges_may_have_blanks_around_the_dash_as_in_arpscan():
    assert addrs(TargetSet.parse(["198.18.1.10 - 12"])) == ["198.18.1.10", "198.18.1.11",
                                                           "198.18.1.12"]


def test_of_addresses_is_exactly_those_addresses_in_any_order():
    ts = TargetSet.of_addresses(["2001:db8::2", "198.18.1.9", "198.18.1.7", "198.18.1.8"])
    assert addrs(ts) == ["198.18.1.7", "198.18.1.8", "198.18.1.9", "2001:db8::2"]
    assert ts.ranges[4] == [(int(ipaddress.ip_address("198.18.1.7")),
                             int(ipaddress.ip_address("198.18.1.9")))]


def test_minus_six_refuses_ipv4_literals():
    with pytest.raises(UsageError, match="IPv4"):
        TargetSet.parse(["198.18.1.1"], family=6)


def test_too_many_addresses():
    with pytest.raises(UsageError, match="at most"):
        TargetSet.parse(["2001:db8::/64"])
    assert TargetSet.parse(["10.0.0.0/8"]).count() == MAX_ADDRESSES


def test_split_specs_reads_files_and_options():
    text = "198.18.1.1 198.18.1.2,198.18.1.3\n# a comment\n198.18.1.4  # trailing\n\n"
    assert split_specs(text) == ["198.18.1.1", "198.18.1.2", "198.18.1.3", "198.18.1.4"]


def test_packed_rows_match_addresses_ipv4_and_ipv6_with_carry():
    ts = TargetSet.parse(["198.18.1.254-198.18.2.1",
                          "2001:db8::ffff:ffff:ffff:fffe-2001:db8:0:1::1"])
    for family, af in ((4, socket.AF_INET), (6, socket.AF_INET6)):
        idx = np.arange(ts.count(family), dtype=np.uint64)
        rows = ts.packed(family, idx)
        got = [socket.inet_ntop(af, bytes(r)) for r in rows]
        assert got == ts.addresses(family)
    assert ts.addresses(6) == ["2001:db8::ffff:ffff:ffff:fffe", "2001:db8::ffff:ffff:ffff:ffff",
                               "2001:db8:0:1::", "2001:db8:0:1::1"]


def test_split_groups_ranges_by_key():
    ts = TargetSet.parse(["198.18.1.0/30", "198.19.2.10"])
    groups = ts.split(4, lambda a: ipaddress.ip_address(a) in ipaddress.ip_network("198.18.0.0/16"))
    assert [(k, g.count()) for k, g in groups] == [(True, 4), (False, 1)]
