"""The scope guard: where the scope comes from, membership, refusals. No network."""

from __future__ import annotations

import ipaddress
import random
import socket

import pytest

from netprobe.errors import EXIT_USAGE, ScopeError, UsageError
from netprobe.wire.scope import ENV_VAR, Scope


def test_default_scope_is_loopback_only_and_says_how_to_widen() -> None:
    scope = Scope.from_sources(None, None)
    assert scope.is_default
    assert scope.contains("127.0.0.1")
    assert scope.contains("127.255.255.254")
    assert scope.contains("::1")
    assert not scope.contains("198.51.100.1")
    assert not scope.contains("::2")
    with pytest.raises(ScopeError) as caught:
        scope.check("198.51.100.1")
    message = str(caught.value)
    assert message.startswith("198.51.100.1 is outside the allowed scope (")
    assert "refusing to send" in message
    assert "--scope" in message and ENV_VAR in message
    assert caught.value.exit_code == EXIT_USAGE


def test_empty_environment_value_means_default() -> None:
    assert Scope.from_sources(None, "  ").is_default


def test_env_cidr_list() -> None:
    scope = Scope.from_sources(None, "198.18.0.0/15, 2001:db8::/32,192.0.2.7")
    assert not scope.is_default
    for inside in ("198.18.0.0", "198.19.255.255", "2001:db8::1", "2001:db8:ffff::9", "192.0.2.7"):
        assert scope.contains(inside), inside
    for outside in ("198.17.255.255", "198.20.0.0", "2001:db9::1", "192.0.2.8", "10.0.0.1"):
        assert not scope.contains(outside), outside
    assert scope.contains("127.0.0.1"), "loopback stays allowed when a scope is given"


def test_env_names_a_file(tmp_path) -> None:
    path = tmp_path / "scope.txt"
    path.write_text("# lab\n198.18.5.0/24   # hosts\n\n2001:db8:5::/48\n")
    scope = Scope.from_sources(None, str(path))
    assert scope.contains("198.18.5.77")
    assert not scope.contains("198.18.6.1")
    assert scope.contains("2001:db8:5:1::1")
    assert not scope.contains("2001:db8:6::1")


def test_cli_file_wins_over_environment(tmp_path) -> None:
    path = tmp_path / "scope"
    path.write_text("198.18.7.0/24\n")
    scope = Scope.from_sources(str(path), "198.18.8.0/24")
    assert scope.contains("198.18.7.1")
    assert not scope.contains("198.18.8.1")
    assert str(path) in scope.describe()


def test_bad_file_line_reports_file_and_line(tmp_path) -> None:
    path = tmp_path / "scope"
    path.write_text("198.18.0.0/15\nnot-a-net\n")
    with pytest.raises(UsageError, match=r"scope:2: 'not-a-net' is not a network"):
        Scope.from_sources(str(path), None)


def test_missing_file_is_a_usage_error(tmp_path) -> None:
    with pytest.raises(UsageError, match="cannot read scope file"):
        Scope.from_sources(str(tmp_path / "absent"), None)


def test_bad_env_value_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="neither a file nor a comma-separated"):
        Scope.from_sources(None, "198.18.0.0/15,/no/such/file")


def test_not_an_address_is_a_usage_error() -> None:
    scope = Scope(["198.18.0.0/15"])
    with pytest.raises(UsageError, match="not an IP address"):
        scope.check("example.com")


def test_ipv4_mapped_ipv6_is_judged_as_ipv4() -> None:
    scope = Scope(["198.18.0.0/15"])
    assert scope.contains("::ffff:198.18.1.1")
    assert not scope.contains("::ffff:198.51.100.1")


def test_check_many_names_first_and_counts_the_rest() -> None:
    scope = Scope(["198.18.0.0/24"])
    scope.check_many(["198.18.0.1", "198.18.0.254", "127.0.0.1"])
    with pytest.raises(ScopeError) as caught:
        scope.check_many(["198.18.0.1", "198.18.1.1", "198.18.2.2", "198.18.3.3"])
    assert str(caught.value).startswith("198.18.1.1 is outside")
    assert "and 2 more outside" in str(caught.value)


def test_packed_addresses() -> None:
    scope = Scope(["198.18.0.0/15", "2001:db8::/32"])
    assert scope.contains_packed(socket.inet_pton(socket.AF_INET, "198.18.3.4"))
    assert not scope.contains_packed(socket.inet_pton(socket.AF_INET, "198.20.3.4"))
    assert scope.contains_packed(socket.inet_pton(socket.AF_INET6, "2001:db8::4"))
    assert not scope.contains_packed(socket.inet_pton(socket.AF_INET6, "2001:db9::4"))


def test_membership_agrees_with_ipaddress_on_random_networks() -> None:
    """Overlapping, adjacent and nested networks merge without changing membership."""
    rng = random.Random(20240601)
    networks = []
    for _ in range(200):
        prefix = rng.randint(8, 30)
        base = rng.getrandbits(32) & ~((1 << (32 - prefix)) - 1)
        networks.append(ipaddress.IPv4Network((base, prefix)))
    for _ in range(50):
        prefix = rng.randint(16, 64)
        base = rng.getrandbits(128) & ~((1 << (128 - prefix)) - 1)
        networks.append(ipaddress.IPv6Network((base, prefix)))
    scope = Scope(networks)
    loopback = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    everything = networks + loopback
    probes = [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(3000)]
    # Edges of each network, where off-by-one mistakes would show.
    for net in networks:
        probes += [net.network_address, net.broadcast_address]
        probes += [net.network_address - 1] if int(net.network_address) > 0 else []
    probes += [ipaddress.IPv6Address(rng.getrandbits(128)) for _ in range(500)]
    for address in probes:
        expected = any(address in net for net in everything if net.version == address.version)
        assert scope.contains(str(address)) is expected, address


def test_describe_lists_networks_and_origin() -> None:
    scope = Scope.from_sources(None, "198.18.0.0/15,2001:db8::/32")
    text = scope.describe()
    assert "198.18.0.0/15" in text and "2001:db8::/32" in text and ENV_VAR in text
