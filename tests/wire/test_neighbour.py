"""ARP and NDP resolution through the kernel, in the namespace pair."""

from __future__ import annotations

import pytest
from netns_pair import B4, B6, IF_A, NS_A, NamespacePair

pytestmark = pytest.mark.lab


@pytest.fixture()
def pair():
    # A fresh pair per test: each starts with an empty neighbour table.
    with NamespacePair() as created:
        yield created


_RESOLVE = """
import json, time
from netprobe.errors import NetprobeError
from netprobe.wire import neighbour
out = {{}}
for ip in {ips!r}:
    before = neighbour.lookup(ip)
    t0 = time.monotonic()
    try:
        mac = neighbour.resolve(ip, timeout={timeout})
    except NetprobeError as exc:
        mac = {{"error": type(exc).__name__, "message": str(exc)}}
    out[ip] = {{"before": before, "mac": mac, "seconds": time.monotonic() - t0,
               "after": neighbour.lookup(ip)}}
print(json.dumps(out))
"""


def resolve_in_a(pair: NamespacePair, *ips: str, timeout: float = 1.0) -> dict:
    """neighbour.resolve for each address, inside namespace a."""
    return pair.run_py(NS_A, _RESOLVE.format(ips=list(ips), timeout=timeout))


def test_arp_and_ndp_resolve_to_bs_mac(pair: NamespacePair) -> None:
    got = resolve_in_a(pair, B4, B6)
    for ip in (B4, B6):
        assert got[ip]["before"] is None, "the table starts empty"
        assert got[ip]["mac"] == pair.mac_b
        assert got[ip]["after"] == pair.mac_b


def test_kernel_table_agrees_with_ip_neigh(pair: NamespacePair) -> None:
    resolve_in_a(pair, B4)
    got = pair.run_py(
        NS_A,
        """
        import json
        from netprobe.wire import neighbour
        netlink = neighbour.neighbour_table(4)
        fallback = neighbour._table_fallback(4)
        print(json.dumps({"netlink": [n._asdict() for n in netlink],
                          "fallback": [n._asdict() for n in fallback]}))
        """,
    )
    for source in ("netlink", "fallback"):
        entries = [n for n in got[source] if n["ip"] == B4]
        assert len(entries) == 1, source
        assert entries[0]["mac"] == pair.mac_b and entries[0]["iface"] == IF_A


def test_silent_address_gives_none_within_the_wait(pair: NamespacePair) -> None:
    got = resolve_in_a(pair, "198.18.200.77", timeout=0.6)["198.18.200.77"]
    assert got["mac"] is None
    assert 0.55 <= got["seconds"] < 2.0


def test_off_link_address_is_refused_and_next_hop_is_the_gateway(pair: NamespacePair) -> None:
    off_link = "198.18.99.1"
    got = resolve_in_a(pair, off_link)[off_link]
    assert got["mac"]["error"] == "UsageError"
    assert "reached via 198.18.200.2" in got["mac"]["message"]
    hop = pair.run_py(
        NS_A,
        f"""
        import json
        from netprobe.wire import neighbour
        print(json.dumps([neighbour.next_hop_mac({off_link!r}), neighbour.next_hop_mac({B4!r})]))
        """,
    )
    assert hop == [[IF_A, pair.mac_b], [IF_A, pair.mac_b]]
