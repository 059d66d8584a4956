"""The diff functions, pure: constructed records of two runs in, exactly the changes out."""

from __future__ import annotations

from history_samples import (
    FAR,
    PATH,
    arpscan_records,
    changed_ports,
    mac_of,
    portscan_records,
    traceroute_records,
)

from netprobe.services.history.diff import (
    change_counts,
    diff_records,
    hop_changes,
    host_changes,
    mac_moves,
    path_changes,
    port_changes,
)
from netprobe.services.history.records import dominant_state, with_destinations


def test_identical_runs_have_no_changes() -> None:
    for build in (portscan_records, arpscan_records, traceroute_records):
        assert diff_records(build(), build()) == []


# -- ports -----------------------------------------------------------------------------------
def test_port_opened_from_the_dominant_state() -> None:
    after = portscan_records(changed_ports(h198_18_1_11={("tcp", 8080): ("open", "syn-ack")}))
    assert port_changes(portscan_records(), after) == [
        {"type": "port-change", "change": "opened", "host": "198.18.1.11", "proto": "tcp",
         "port": 8080, "before": "closed", "after": "open", "reason": "syn-ack",
         "service": "http-proxy"}]


def test_port_closed_back_to_the_dominant_state() -> None:
    after = portscan_records(changed_ports(h198_18_1_12={("tcp", 80): None}))
    (change,) = port_changes(portscan_records(), after)
    assert (change["change"], change["host"], change["port"]) == ("closed", "198.18.1.12", 80)
    assert (change["before"], change["after"], change["reason"]) == ("open", "closed", None)
    assert change["service"] == "http"


def test_state_change_that_is_neither_open_nor_closed() -> None:
    after = portscan_records(changed_ports(
        h198_18_1_13={("tcp", 443): ("filtered", "no-response")},  # same state, new reason
        h198_18_1_12={("tcp", 8080): None}))  # filtered -> closed (dominant)
    changes = port_changes(portscan_records(), after)
    assert [(c["change"], c["host"], c["port"], c["before"], c["after"]) for c in changes] == [
        ("changed", "198.18.1.12", 8080, "filtered", "closed")]


def test_explicit_port_equal_to_the_other_runs_dominant_state_is_no_change() -> None:
    # Run A lists 22 as closed because its dominant state is filtered; run B's
    # dominant state is closed and does not list 22: the port did not change.
    before = portscan_records({"198.18.1.11": {("tcp", 22): ("closed", "reset")}},
                              quiet=[], dominant={"198.18.1.11": "filtered"})
    after = portscan_records({"198.18.1.11": {("tcp", 25): ("filtered", "no-response")}},
                             quiet=[])
    assert port_changes(before, after) == []
    host = host_changes(before, after)
    assert host == [{"type": "host-change", "change": "dominant", "host": "198.18.1.11",
                     "before": "filtered", "after": "closed"}]


def test_new_host_lists_its_open_ports_and_gone_host_its_lost_ones() -> None:
    ports = changed_ports(h198_18_1_20={("tcp", 22): ("open", "syn-ack"),
                                        ("tcp", 8080): ("filtered", "no-response")})
    del ports["198.18.1.14"]
    after = portscan_records(ports)
    assert host_changes(portscan_records(), after) == [
        {"type": "host-change", "change": "gone", "host": "198.18.1.14", "before": "up",
         "after": None},
        {"type": "host-change", "change": "up", "host": "198.18.1.20", "before": None,
         "after": "up"}]
    changes = port_changes(portscan_records(), after)
    assert [(c["change"], c["host"], c["port"], c["before"], c["after"]) for c in changes] == [
        ("closed", "198.18.1.14", 53, "open", None),
        ("opened", "198.18.1.20", 22, None, "open")]


def test_host_reported_down_is_gone() -> None:
    after = portscan_records({h: p for h, p in changed_ports().items() if h != "198.18.1.11"},
                             down=["198.18.1.11"])
    changes = host_changes(portscan_records(), after)
    assert changes == [{"type": "host-change", "change": "gone", "host": "198.18.1.11",
                        "before": "up", "after": "down"}]
    opened_back = host_changes(after, portscan_records())
    assert opened_back == [{"type": "host-change", "change": "up", "host": "198.18.1.11",
                            "before": "down", "after": "up"}]


def test_udp_and_tcp_ports_are_different_ports() -> None:
    after = portscan_records(changed_ports(h198_18_1_14={("udp", 53): ("open", "udp-response")}))
    (change,) = port_changes(portscan_records(), after)
    assert (change["proto"], change["port"], change["change"]) == ("udp", 53, "opened")


def test_ipv6_hosts_sort_after_ipv4_and_compare_as_written() -> None:
    before = portscan_records({"2001:db8:1::11": {("tcp", 22): ("open", "syn-ack")},
                               "198.18.1.11": {("tcp", 22): ("open", "syn-ack")}}, quiet=[])
    after = portscan_records({"2001:db8:1::11": {}, "198.18.1.11": {}}, quiet=[])
    assert [c["host"] for c in port_changes(before, after)] == ["198.18.1.11", "2001:db8:1::11"]


# -- arpscan: hosts and MACs ------------------------------------------------------------------
def test_mac_moved_to_another_ip() -> None:
    hosts = {f"198.18.1.{n}": mac_of(f"198.18.1.{n}") for n in range(11, 17)}
    moved = dict(hosts)
    moved["198.18.1.40"] = moved.pop("198.18.1.14")
    before, after = arpscan_records(hosts), arpscan_records(moved)
    assert mac_moves(before, after) == [{"type": "mac-move", "mac": mac_of("198.18.1.14"),
                                         "before": ["198.18.1.14"], "after": ["198.18.1.40"]}]
    assert [(c["change"], c["host"]) for c in host_changes(before, after)] == [
        ("gone", "198.18.1.14"), ("up", "198.18.1.40")]


def test_address_answered_by_another_mac() -> None:
    hosts = {f"198.18.1.{n}": mac_of(f"198.18.1.{n}") for n in range(11, 17)}
    swapped = dict(hosts, **{"198.18.1.13": "02:00:00:00:00:99"})
    changes = diff_records(arpscan_records(hosts), arpscan_records(swapped))
    assert changes == [{"type": "host-change", "change": "mac", "host": "198.18.1.13",
                        "before": [mac_of("198.18.1.13")], "after": ["02:00:00:00:00:99"]}]


def test_mac_case_does_not_count_as_a_change() -> None:
    hosts = {"198.18.1.11": "02:00:C6:12:01:0B"}
    assert diff_records(arpscan_records(hosts),
                        arpscan_records({"198.18.1.11": "02:00:c6:12:01:0b"})) == []


# -- traceroute -------------------------------------------------------------------------------
def test_hop_switched_branch() -> None:
    path = [list(h) for h in PATH]
    path[2] = ["198.18.103.2"]  # r3b instead of r3a
    assert hop_changes(traceroute_records(), traceroute_records(path)) == [
        {"type": "hop-change", "change": "changed", "dst": FAR, "ttl": 3,
         "before": ["198.18.102.2"], "after": ["198.18.103.2"]}]


def test_multipath_hop_sets_compare_without_order() -> None:
    path = [list(h) for h in PATH]
    path[2] = ["198.18.102.2", "198.18.103.2"]
    reordered = [list(h) for h in path]
    reordered[2] = ["198.18.103.2", "198.18.102.2"]
    assert hop_changes(traceroute_records(path), traceroute_records(reordered)) == []


def test_longer_path_and_silent_hop_and_reachability() -> None:
    shorter = [list(h) for h in PATH[:3]]
    before, after = traceroute_records(), traceroute_records(shorter, reached=False)
    assert hop_changes(before, after) == [
        {"type": "hop-change", "change": "removed", "dst": FAR, "ttl": 4, "before": [],
         "after": None},
        {"type": "hop-change", "change": "removed", "dst": FAR, "ttl": 5, "before": [FAR],
         "after": None}]
    assert path_changes(before, after) == [
        {"type": "path-change", "change": "unreached", "dst": FAR, "before": True,
         "after": False}]


def test_hops_belong_to_the_path_record_that_follows_them() -> None:
    two = traceroute_records(dst=FAR)[:-1] + traceroute_records(
        [["198.18.1.1"], ["198.18.1.12"]], dst="198.18.1.12")
    placed = [(rec["type"], rec.get("ttl"), dst) for _, rec, dst in with_destinations(two)]
    assert placed[:6] == [("hop", 1, FAR), ("hop", 2, FAR), ("hop", 3, FAR), ("hop", 4, FAR),
                          ("hop", 5, FAR), ("path", None, FAR)]
    assert ("hop", 2, "198.18.1.12") in placed
    # the same hops carried with their own dst compare equal to the positional ones
    assert hop_changes(traceroute_records(), traceroute_records(with_dst=True)) == []


# -- helpers ----------------------------------------------------------------------------------
def test_dominant_state_follows_the_port_scanners_rule() -> None:
    assert dominant_state({"closed": 997, "open": 3}) == "closed"
    assert dominant_state({"open": 5, "filtered": 1}) == "filtered"  # never open
    assert dominant_state({"open": 5}) is None
    assert dominant_state({"filtered": 2, "closed": 2}) == "closed"  # tie: order
    assert dominant_state({}) is None
    assert dominant_state(None) is None


def test_change_counts() -> None:
    after = portscan_records(changed_ports(h198_18_1_11={("tcp", 8080): ("open", "syn-ack"),
                                                         ("tcp", 22): None}))
    counts = change_counts(diff_records(portscan_records(), after))
    assert counts == {"port-change:closed": 1, "port-change:opened": 1}
