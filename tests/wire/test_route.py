"""Route lookup and the source-address hook, in the namespace pair and on loopback."""

from __future__ import annotations

import json

import pytest
from netns_pair import A4, A6, B4, B6, IF_A, NS_A, NS_B, NamespacePair

from netprobe.errors import EXIT_USAGE, UsageError
from netprobe.wire import route


def test_loopback_route_is_cached() -> None:
    route._cache.clear()
    first = route.route_to("127.0.0.1")
    assert (first.src, first.iface, first.gateway, first.family) == ("127.0.0.1", "lo", None, 4)
    assert route.route_to("127.0.0.1") is first
    route._cache.clear()
    assert route.route_to("127.0.0.1") is not first


def test_not_an_address_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not an IP address: 'nonsense'"):
        route.route_to("nonsense")


def test_install_source_hook_feeds_the_packet_engine() -> None:
    from netprobe.packet import route as packet_route

    route.install_source_hook()
    try:
        assert packet_route.resolve_source("127.0.0.1") == "127.0.0.1"
        assert packet_route.resolve_source("::1") == "::1"
    finally:
        packet_route.set_source_resolver(None)


def test_install_source_hook_registers_source_for(monkeypatch) -> None:
    """The hook hands over a function, whatever the packet module does with it."""
    import netprobe.packet.route as packet_route

    registered = []
    monkeypatch.setattr(packet_route, "set_source_resolver", registered.append)
    route.install_source_hook()
    assert registered == [route.source_for]


@pytest.fixture(scope="module")
def pair():
    with NamespacePair() as created:
        created.sh(NS_A, "ip", "route", "add", "unreachable", "198.18.9.0/24")
        created.sh(NS_A, "ip", "-6", "route", "add", "unreachable", "2001:db8:9::/48")
        yield created


_LOOKUP = """
import json, sys
from netprobe.errors import NetprobeError
from netprobe.wire import route
out = {}
for dst in sys.argv[1:] or DSTS:
    try:
        out[dst] = route.route_to(dst)._asdict()
    except NetprobeError as exc:
        out[dst] = {"error": type(exc).__name__, "message": str(exc), "exit": exc.exit_code}
print(json.dumps(out))
"""


def lookup(pair: NamespacePair, ns: str, *dsts: str) -> dict:
    """route_to for each destination, run inside ``ns``."""
    return pair.run_py(ns, f"DSTS = {list(dsts)!r}\n" + _LOOKUP)


class TestInNamespace:
    """The kernel's answers inside namespace a (b is a's neighbour and gateway)."""

    pytestmark = pytest.mark.lab

    def test_on_link_and_via_gateway_both_families(self, pair: NamespacePair) -> None:
        got = lookup(pair, NS_A, B4, "198.18.99.1", B6, "2001:db8:99::1")
        assert got[B4] == {"dst": B4, "src": A4, "iface": IF_A, "gateway": None, "family": 4}
        assert got["198.18.99.1"] == {
            "dst": "198.18.99.1",
            "src": A4,
            "iface": IF_A,
            "gateway": B4,
            "family": 4,
        }
        assert got[B6] == {"dst": B6, "src": A6, "iface": IF_A, "gateway": None, "family": 6}
        assert got["2001:db8:99::1"] == {
            "dst": "2001:db8:99::1",
            "src": A6,
            "iface": IF_A,
            "gateway": B6,
            "family": 6,
        }

    def test_local_address_routes_through_loopback(self, pair: NamespacePair) -> None:
        got = lookup(pair, NS_A, A4)
        assert got[A4]["iface"] == "lo" and got[A4]["src"] == A4

    def test_no_route_is_a_usage_error(self, pair: NamespacePair) -> None:
        got = lookup(pair, NS_A, "198.18.9.9", "2001:db8:9::9")
        assert got["198.18.9.9"] == {
            "error": "UsageError",
            "message": "no route to 198.18.9.9",
            "exit": EXIT_USAGE,
        }
        assert got["2001:db8:9::9"]["message"] == "no route to 2001:db8:9::9"
        # b has no default route at all: a different kernel answer, same error.
        got_b = lookup(pair, NS_B, "198.18.99.1", "2001:db8:99::1")
        assert got_b["198.18.99.1"]["message"] == "no route to 198.18.99.1"
        assert got_b["2001:db8:99::1"]["message"] == "no route to 2001:db8:99::1"

    def test_link_local_with_interface_scope(self, pair: NamespacePair) -> None:
        addrs = json.loads(pair.sh(NS_A, "ip", "-j", "-6", "addr", "show", "dev", IF_A).stdout)
        link_local = next(
            i["local"] for i in addrs[0]["addr_info"] if i["local"].startswith("fe80:")
        )
        got = lookup(pair, NS_A, f"fe80::99%{IF_A}")[f"fe80::99%{IF_A}"]
        assert got == {
            "dst": "fe80::99",
            "src": link_local,
            "iface": IF_A,
            "gateway": None,
            "family": 6,
        }

    def test_ip_command_fallback_agrees_with_netlink(self, pair: NamespacePair) -> None:
        got = pair.run_py(
            NS_A,
            f"""
            import json
            from netprobe.wire import route
            out = []
            for dst in {[B4, "198.18.99.1", B6, "2001:db8:99::1", A4]!r}:
                parsed = route._parse(dst)
                out.append([route._lookup_netlink(*parsed)._asdict(),
                            route._lookup_ip_command(*parsed)._asdict()])
            print(json.dumps(out))
            """,
        )
        for by_netlink, by_ip in got:
            assert by_netlink == by_ip

    def test_source_hook_answers_inside_the_namespace(self, pair: NamespacePair) -> None:
        got = pair.run_py(
            NS_A,
            f"""
            import json
            from netprobe.packet import route as packet_route
            from netprobe.wire import route
            route.install_source_hook()
            print(json.dumps([packet_route.resolve_source({B6!r}),
                              packet_route.resolve_source("198.18.50.5"),
                              route.source_for("198.18.9.9")]))
            """,
        )
        assert got == [A6, A4, None]
