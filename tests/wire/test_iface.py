"""Interfaces and default gateways, checked against ``ip`` in the namespace pair."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from netns_pair import A4, A6, B4, B6, IF_A, NS_A, PREFIX4, PREFIX6, NamespacePair

from netprobe.errors import EXIT_USAGE, UsageError
from netprobe.wire import iface


def test_loopback_is_described() -> None:
    lo = iface.interface("lo")
    assert lo.index == socket.if_nametoindex("lo")
    assert lo.mtu == int(Path("/sys/class/net/lo/mtu").read_text())
    assert lo.is_loopback
    assert any(a.address == "127.0.0.1" and a.prefixlen == 8 for a in lo.ipv4)


def test_unknown_interface_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        iface.interface("npw-nosuch0")
    assert "no such interface: 'npw-nosuch0'" in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


def test_listing_matches_the_kernels_interface_names() -> None:
    names = {i.name for i in iface.interfaces()}
    kernel = {p.name for p in Path("/sys/class/net").iterdir() if (p / "ifindex").exists()}
    assert names == kernel


@pytest.fixture(scope="module")
def pair():
    with NamespacePair() as created:
        yield created


class TestInNamespace:
    """Against the real kernel state of namespace a."""

    pytestmark = pytest.mark.lab

    def test_interface_matches_ip_link_and_addr(self, pair: NamespacePair) -> None:
        got = pair.run_py(
            NS_A,
            f"""
            import json
            from netprobe.wire import iface
            got = iface.interface({IF_A!r})._asdict()
            for family in ("ipv4", "ipv6"):
                got[family] = [a._asdict() for a in got[family]]
            print(json.dumps(got))
            """,
        )
        link = json.loads(pair.sh(NS_A, "ip", "-j", "addr", "show", "dev", IF_A).stdout)[0]
        assert got["name"] == IF_A
        assert got["index"] == link["ifindex"]
        assert got["mac"] == link["address"] == pair.mac_a
        assert got["mtu"] == link["mtu"]
        assert got["up"] is True
        v4 = [(a["address"], a["prefixlen"]) for a in got["ipv4"]]
        v6 = [(a["address"], a["prefixlen"]) for a in got["ipv6"]]
        assert (A4, PREFIX4) in v4
        assert (A6, PREFIX6) in v6
        expected4 = {
            (i["local"], i["prefixlen"]) for i in link["addr_info"] if i["family"] == "inet"
        }
        assert set(v4) == expected4
        netmask = next(a["netmask"] for a in got["ipv4"] if a["address"] == A4)
        assert netmask == "255.255.255.0"

    def test_default_gateways_are_bs_addresses(self, pair: NamespacePair) -> None:
        got = pair.run_py(
            NS_A,
            """
            import json
            from netprobe.wire import iface
            gws = iface.default_gateways()
            print(json.dumps({k: v._asdict() for k, v in gws.items()}))
            """,
        )
        assert got["4"] == {"address": B4, "iface": IF_A, "family": 4}
        assert got["6"] == {"address": B6, "iface": IF_A, "family": 6}

    def test_mtu_change_is_seen(self, pair: NamespacePair) -> None:
        pair.sh(NS_A, "ip", "link", "set", "dev", IF_A, "mtu", "1400")
        try:
            got = pair.run_py(
                NS_A,
                f"""
                import json
                from netprobe.wire import iface
                print(json.dumps(iface.interface({IF_A!r}).mtu))
                """,
            )
        finally:
            pair.sh(NS_A, "ip", "link", "set", "dev", IF_A, "mtu", "1500")
        assert got == 1400
