"""arpscan's argument checks that need no network: families, scope, usage errors."""

from __future__ import annotations

import ipaddress

import pytest

from netprobe.cli import main
from netprobe.errors import ScopeError, UsageError
from netprobe.plugins.arpscan import plan
from netprobe.plugins.arpscan.sweep import Sweep, check_scope, families, link_scope
from netprobe.wire.scope import Scope

LAB = Scope(["198.18.0.0/15", "2001:db8::/32"])


def sweep(**kw) -> Sweep:
    s = Sweep("eth0", "02:00:c6:12:01:02", [ipaddress.ip_interface("198.18.1.2/24")],
              [ipaddress.ip_interface("2001:db8:1::2/64"), ipaddress.ip_interface("fe80::1/64")])
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_families_from_flags_and_targets():
    v4, v6 = plan.parse_target("198.18.1.0/24"), plan.parse_target("2001:db8:1::/120")
    assert families([], False, False) == {4}
    assert families([], False, True) == {6}
    assert families([], True, True) == {4, 6}
    assert families([v4, v6], False, False) == {4, 6}
    assert families([v6], False, False) == {6}
    with pytest.raises(UsageError, match="IPv4 target, but only -6"):
        families([v4], False, True)
    with pytest.raises(UsageError, match="IPv6 target, but only -4"):
        families([v6], True, False)


def test_targets_outside_the_scope_are_refused_before_sending():
    check_scope(LAB, sweep(arp_blocks=[plan.parse_target("198.18.1.0/24")]))
    with pytest.raises(ScopeError):
        check_scope(LAB, sweep(arp_blocks=[plan.parse_target("198.17.255.250-198.18.0.5")]))
    with pytest.raises(ScopeError):
        check_scope(LAB, sweep(ns_blocks=[plan.parse_target("2001:db9::/120")]))


def test_all_nodes_discovery_needs_the_link_in_the_scope():
    check_scope(LAB, sweep(multicast=True))
    with pytest.raises(UsageError, match="every host of 2001:db8:1::/64"):
        check_scope(Scope(["198.18.0.0/15"]), sweep(multicast=True))


def test_link_scope_adds_only_the_neighbour_discovery_groups():
    scope = link_scope(LAB)
    for inside in ("ff02::1", "ff02::1:ff00:15", "ff02::1:ffff:ffff", "2001:db8:1::15",
                   "198.18.1.1"):
        assert scope.contains(inside)
    for outside in ("ff02::2", "ff05::1", "ff02::1:fe00:1", "2001:db9::1", "10.0.0.1"):
        assert not scope.contains(outside)


@pytest.mark.parametrize("args, message", [
    (["foo"], "'foo' is not an address"),
    (["-I", "no-such-iface0"], "no such interface: 'no-such-iface0'"),
    (["--localnet", "198.18.1.0/24"], "not both"),
    (["-6", "198.18.1.0/24"], "IPv4 target, but only -6"),
    (["--rate", "0"], None),
])
def test_usage_errors_exit_2_with_one_line(args, message, capsys):
    assert main(["arpscan", *args]) == 2
    err = capsys.readouterr().err
    if message is not None:
        assert message in err and len(err.strip().splitlines()) == 1
