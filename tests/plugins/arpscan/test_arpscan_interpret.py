"""arpscan's interpretation: answers → hosts, conflicts and proxies, saved runs re-read.

Answers are built with the packet layers (the shapes Linux sends) and, in the
last tests, read from a run recorded in the practice lab with a duplicate
host (``data/lab-duplicate.pcapng``: ``arpscan -4 -6 198.18.1.9-17 --save``).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from netprobe.engine.results import Counters, Result, Tag
from netprobe.engine.runfile import SavedRun, load_run, save_run
from netprobe.packet import (
    ARP,
    Ether,
    ICMPv6EchoReply,
    ICMPv6ND_NA,
    ICMPv6NDOptDstLLAddr,
    ICMPv6ParamProblem,
    IPv6,
    Raw,
)
from netprobe.plugins.arpscan import interpret, plan
from netprobe.plugins.arpscan.interpret import (
    CONFLICT,
    PROXY,
    ROUTER,
    Neighbour,
    Sighting,
    answers_all_nodes,
    flag_duplicates,
    neighbours,
    report,
    sighting,
)
from netprobe.services.output import json_line

MAC = "02:00:c6:12:01:02"
ME4, ME6 = "198.18.1.2", "2001:db8:1::2"
RECORDED = Path(__file__).with_name("data") / "lab-duplicate.pcapng"


def arp_result(ip: str, mac: str, rtt: float = 0.0005) -> Result:
    probe = next(plan.arp_frames(MAC, ME4, [int(ipaddress.IPv4Address(ip))]))
    reply = bytes(Ether(dst=MAC, src=mac) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=MAC, pdst=ME4))
    return Result(probe, 1, 100.0, 1, answer_bytes=reply, received=100.0 + rtt)


def na_result(ip: str, mac: str, router: bool = False, tlla: bool = True) -> Result:
    probe = plan.ns_frame(MAC, ME6, ip)
    na = Ether(dst=MAC, src=mac) / IPv6(src=ip, dst=ME6, hlim=255) / ICMPv6ND_NA(
        tgt=ip, R=int(router), S=1, O=1)
    if tlla:
        na = na / ICMPv6NDOptDstLLAddr(lladdr=mac)
    return Result(probe, 1, 100.0, 1, answer_bytes=bytes(na), received=100.0002)


PROBES = plan.all_nodes_probes(MAC, ME6, 0x1234)


def echo_reply(ip: str, mac: str, ident: int = 0x1234, dst: str = ME6) -> bytes:
    return bytes(Ether(dst=MAC, src=mac) / IPv6(src=ip, dst=dst) /
                 ICMPv6EchoReply(id=ident, seq=1, data=plan.COOKIE_MAGIC))


def param_problem(ip: str, mac: str, quoted: bytes) -> bytes:
    return bytes(Ether(dst=MAC, src=mac) / IPv6(src=ip, dst=ME6) /
                 ICMPv6ParamProblem(code=2, ptr=42) / Raw(load=quoted))


# -- sightings ----------------------------------------------------------------------------------
def test_arp_reply_sighting():
    s = sighting(arp_result("198.18.1.11", "02:00:c6:12:01:0b", rtt=0.0005))
    assert (s.ip, s.mac, s.version) == ("198.18.1.11", "02:00:c6:12:01:0b", 4)
    assert s.rtt == pytest.approx(0.0005)


def test_unanswered_and_non_replies_are_no_sightings():
    probe = next(plan.arp_frames(MAC, ME4, [1]))
    assert sighting(Result(probe, 1, 1.0)) is None
    request = bytes(Ether(src="02:00:00:00:00:09") / ARP(op=1, hwsrc="02:00:00:00:00:09",
                                                         psrc="198.18.1.9", pdst=ME4))
    assert sighting(Result(probe, 1, 1.0, answer_bytes=request, received=1.1)) is None


def test_neighbour_advertisement_sighting_uses_the_target_link_address():
    s = sighting(na_result("2001:db8:1::1", "02:00:c6:12:01:01", router=True))
    assert (s.ip, s.mac, s.version, s.router) == ("2001:db8:1::1", "02:00:c6:12:01:01", 6, True)
    # without the option: the frame's source
    s = sighting(na_result("2001:db8:1::11", "02:00:c6:12:01:0b", tlla=False))
    assert (s.ip, s.mac, s.router) == ("2001:db8:1::11", "02:00:c6:12:01:0b", False)


def test_answers_to_the_all_nodes_echo():
    echo = PROBES[0]
    assert answers_all_nodes(echo, echo_reply("2001:db8:1::11", "02:00:c6:12:01:0b"))
    assert not answers_all_nodes(echo, echo_reply("2001:db8:1::11", "02:00:c6:12:01:0b",
                                                  ident=0x9999))
    assert not answers_all_nodes(echo, echo_reply("2001:db8:1::11", "02:00:c6:12:01:0b",
                                                  dst="2001:db8:1::3"))
    assert not answers_all_nodes(PROBES[1], echo_reply("2001:db8:1::11", "02:00:c6:12:01:0b"))


def test_answers_to_the_unknown_option_probe():
    option = PROBES[1]
    quote = option[14:]
    assert answers_all_nodes(option, param_problem("2001:db8:1::14", "02:00:c6:12:01:0e", quote))
    other_run = plan.all_nodes_probes(MAC, ME6, 0x4321)[1][14:]
    assert not answers_all_nodes(option, param_problem("2001:db8:1::14", "02:00:c6:12:01:0e",
                                                       other_run))
    assert not answers_all_nodes(PROBES[0], param_problem("2001:db8:1::14",
                                                          "02:00:c6:12:01:0e", quote))
    s = sighting(Result(option, 1, 5.0, answer_bytes=param_problem(
        "2001:db8:1::14", "02:00:c6:12:01:0e", quote), received=5.001))
    assert (s.ip, s.mac, s.version) == ("2001:db8:1::14", "02:00:c6:12:01:0e", 6)


# -- conflicts and proxies --------------------------------------------------------------------
def test_two_macs_for_one_ip_is_a_conflict():
    hosts = neighbours([Sighting("198.18.1.15", "02:00:c6:12:01:0f", 4, 0.001),
                        Sighting("198.18.1.15", "02:01:c6:12:01:0f", 4, 0.002),
                        Sighting("198.18.1.11", "02:00:c6:12:01:0b", 4, 0.001)])
    assert [(n.ip, n.mac, n.flags) for n in hosts] == [
        ("198.18.1.11", "02:00:c6:12:01:0b", []),
        ("198.18.1.15", "02:00:c6:12:01:0f", [CONFLICT]),
        ("198.18.1.15", "02:01:c6:12:01:0f", [CONFLICT])]


def test_one_mac_for_many_ipv4_addresses_is_a_proxy_but_not_in_ipv6():
    hosts = neighbours([Sighting("198.18.1.20", "02:00:00:00:00:aa", 4),
                        Sighting("198.18.1.21", "02:00:00:00:00:aa", 4),
                        Sighting("198.18.1.22", "02:00:00:00:00:bb", 4),
                        Sighting("2001:db8:1::20", "02:00:00:00:00:bb", 6),
                        Sighting("fe80::20", "02:00:00:00:00:bb", 6)])
    flags = {(n.ip, n.mac): n.flags for n in hosts}
    assert flags[("198.18.1.20", "02:00:00:00:00:aa")] == [PROXY]
    assert flags[("198.18.1.21", "02:00:00:00:00:aa")] == [PROXY]
    # one IPv4 address plus IPv6 ones on the same interface is one host, not a proxy
    assert flags[("198.18.1.22", "02:00:00:00:00:bb")] == []
    assert flags[("2001:db8:1::20", "02:00:00:00:00:bb")] == []


def test_conflict_and_proxy_together():
    hosts = [Neighbour("198.18.1.5", "02:00:00:00:00:01", 4),
             Neighbour("198.18.1.5", "02:00:00:00:00:02", 4),
             Neighbour("198.18.1.6", "02:00:00:00:00:02", 4)]
    flag_duplicates(hosts)
    assert [n.flags for n in hosts] == [[CONFLICT], [CONFLICT, PROXY], [PROXY]]
    flag_duplicates(hosts)  # flagging twice changes nothing
    assert [n.flags for n in hosts] == [[CONFLICT], [CONFLICT, PROXY], [PROXY]]


def test_repeated_answers_merge_keeping_the_fastest_and_the_router_flag():
    hosts = neighbours([Sighting("2001:db8:1::1", "02:00:c6:12:01:01", 6, 0.004),
                        Sighting("2001:db8:1::1", "02:00:c6:12:01:01", 6, 0.001, router=True),
                        Sighting("2001:db8:1::1", "02:00:c6:12:01:01", 6, None)])
    assert len(hosts) == 1
    assert hosts[0].rtt == 0.001 and hosts[0].flags == [ROUTER]


def test_hosts_sort_by_family_and_address():
    hosts = neighbours([Sighting("2001:db8:1::2", "02:00:00:00:00:01", 6),
                        Sighting("198.18.1.100", "02:00:00:00:00:02", 4),
                        Sighting("198.18.1.9", "02:00:00:00:00:03", 4)])
    assert [n.ip for n in hosts] == ["198.18.1.9", "198.18.1.100", "2001:db8:1::2"]


# -- records and saved runs -------------------------------------------------------------------
def _saved(results: list[Result]) -> SavedRun:
    counters = Counters(sent=10, retries=4, elapsed=0.25)
    return SavedRun(plugin="arpscan", options={"iface": "eth0", "scanned": 6,
                                               "multicast": False},
                    counters=counters.to_dict(), extra={}, results=results)


def test_report_records_and_summary():
    results = [arp_result("198.18.1.15", "02:00:c6:12:01:0f", 0.0011),
               arp_result("198.18.1.15", "02:01:c6:12:01:0f", 0.0012),
               arp_result("198.18.1.11", "00:22:72:00:00:01", 0.0009),
               Result(next(plan.arp_frames(MAC, ME4, [99])), 1, 1.0, 3)]
    saved = _saved(results)
    saved.extra["vendors"] = {"00:22:72:00:00:01": "American Micro-Fuel Device Corp.",
                              "02:00:c6:12:01:0f": "(unknown: locally administered)",
                              "02:01:c6:12:01:0f": "(unknown: locally administered)"}
    records = list(report(saved, {}))
    assert records[0] == {"type": "host", "host": "198.18.1.11", "state": "up",
                          "reason": "arp-response", "mac": "00:22:72:00:00:01",
                          "vendor": "American Micro-Fuel Device Corp.", "rtt_ms": 0.9,
                          "flags": []}
    assert [r["flags"] for r in records[1:3]] == [[CONFLICT], [CONFLICT]]
    assert records[-1] == {"type": "summary", "interface": "eth0", "scanned": 6,
                           "multicast": False, "responded": 2, "hosts": 3,
                           "conflicts": ["198.18.1.15"], "proxies": [], "sent": 10,
                           "retries": 4, "elapsed_s": 0.25}
    assert interpret.has_conflict(records)
    assert not interpret.has_conflict(records[:1] + records[-1:])
    # overrides replace saved options
    assert list(report(saved, {"iface": "eth9"}))[-1]["interface"] == "eth9"


def test_saved_and_reread_runs_give_the_same_records(tmp_path):
    results = [arp_result("198.18.1.11", "02:00:c6:12:01:0b"),
               na_result("2001:db8:1::1", "02:00:c6:12:01:01", router=True),
               Result(next(plan.arp_frames(MAC, ME4, [99])), 1, 1.0, 3)]
    for r, tag in zip(results, ("arp", "ns", "arp"), strict=True):
        r.tag = Tag(tag)
    saved = _saved(results)
    live = [json_line(r) for r in report(saved, {})]
    path = tmp_path / "run.pcapng"
    save_run(str(path), results, plugin="arpscan", argv=["arpscan"], options=saved.options,
             counters=saved.counters, extra=saved.extra)
    again = load_run(str(path))
    assert [r.tag for r in again.results] == [Tag("arp"), Tag("ns"), Tag("arp")]
    assert [json_line(r) for r in report(again, {})] == live


def test_recorded_lab_run_with_a_duplicate():
    saved = load_run(str(RECORDED))
    assert saved.plugin == "arpscan"
    records = list(report(saved, {}))
    hosts = [(r["host"], r["mac"]) for r in records if r["type"] == "host"]
    lan = [(f"198.18.1.{n}", f"02:00:c6:12:01:{n:02x}") for n in range(11, 17)]
    lan6 = [(f"2001:db8:1::{n}", f"02:00:c6:12:01:{n:02x}") for n in range(11, 17)]
    twin = "02:01:c6:12:01:0f"  # the duplicate of h5
    assert set(hosts) == {*lan, *lan6, ("198.18.1.15", twin), ("2001:db8:1::15", twin),
                          ("2001:db8:1::1", "02:00:c6:12:01:01")}
    summary = records[-1]
    assert summary["conflicts"] == ["198.18.1.15", "2001:db8:1::15"]
    assert summary["multicast"] and summary["scanned"] == 9
    flagged = {(r["host"], r["mac"]) for r in records if CONFLICT in r.get("flags", ())}
    assert flagged == {("198.18.1.15", "02:00:c6:12:01:0f"), ("198.18.1.15", twin),
                       ("2001:db8:1::15", "02:00:c6:12:01:0f"), ("2001:db8:1::15", twin)}
    router = [r for r in records if ROUTER in r.get("flags", ())]
    assert [r["host"] for r in router] == ["2001:db8:1::1"]
    # the multicast answers are tagged, and each matches its probe by the pure rule
    multicast = [r for r in saved.results if r.tag == interpret.TAG_MULTICAST]
    assert multicast and all(answers_all_nodes(r.probe_bytes, r.answer_bytes)
                             for r in multicast)
