"""The engine's Python API in the practice lab, checked against the lab's truth.

Every probe is sent from inside the lab's scanner namespace: the code under
test runs there (``lab.python``) and prints one JSON object, which is compared
here with what ``netprobe lab status --json`` says a correct probe must find.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.labfixture import LabHandle

pytestmark = pytest.mark.lab

# Shared by every snippet: what kind of answer a result got, in the truth's words.
PRELUDE = '''
import json, sys, time
from netprobe.engine.api import sr, srp
from netprobe.packet import (IP, TCP, UDP, ICMP, IPv6, Ether, DNS, DNSQR,
                             ICMPv6EchoRequest)

def reason(r):
    """The nmap-style reason for one result: how (or whether) it was answered."""
    a = r.answer
    if a is None:
        return "no-response"
    icmp = a.getlayer("ICMP")
    if icmp is not None:
        return {(3, 13): "admin-prohibited", (3, 3): "port-unreach",
                (0, 0): "echo-reply"}.get((icmp.type, icmp.code), f"icmp {icmp.type}/{icmp.code}")
    for layer in a.chain():
        if type(layer).__name__.startswith("ICMPv6"):
            return {(1, 1): "admin-prohibited", (1, 4): "port-unreach",
                    (129, 0): "echo-reply"}.get((layer.type, layer.code),
                                                f"icmpv6 {layer.type}/{layer.code}")
    tcp = a.getlayer(TCP)
    if tcp is not None:
        if "R" in tcp.flags:
            return "reset"
        if tcp.flags & 0x12 == 0x12:
            return "syn-ack"
        return f"tcp {tcp.flags}"
    if a.getlayer(UDP) is not None:
        return "udp-response"
    return "other " + a.summary()

def dst_of(r):
    net = r.probe.getlayer(IP) or r.probe.getlayer(IPv6)
    return net.dst

def port_of(r):
    l4 = r.probe.getlayer(TCP) or r.probe.getlayer(UDP)
    return l4.dport

def done(obj):
    print(json.dumps(obj))
'''


def in_scanner(lab: LabHandle, code: str, timeout: float = 120.0) -> Any:
    """Run ``code`` (after PRELUDE) in the scanner namespace; return what it ``done()``s."""
    proc = lab.python(PRELUDE + textwrap.dedent(code), timeout=timeout)
    assert proc.returncode == 0, f"snippet failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"snippet printed nothing; stderr:\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1])


def address(lab: LabHandle, host: str, family: int) -> str:
    return lab.host(host)["ipv4" if family == 4 else "ipv6"]


def listed_ports(lab: LabHandle, host: str, proto: str) -> list[int]:
    return [p["port"] for p in lab.host(host)["ports"] if p["proto"] == proto]


def unlisted_port(lab: LabHandle, host: str, proto: str) -> int:
    listed = set(listed_ports(lab, host, proto))
    return next(p for p in (9, 1, 2, 3, 4) if p not in listed)


def r1_lan_mac(lab: LabHandle) -> str:
    r1 = next(r for r in lab.truth["routers"] if r["name"] == "r1")
    return next(i["mac"] for i in r1["interfaces"] if i["network"] == "lan")


@pytest.mark.parametrize("family", [4, 6])
def test_syn_probes_get_the_answers_the_truth_lists(lab: LabHandle, family: int) -> None:
    expected: dict[str, str] = {}
    probes = []
    for host in ("h1", "h2", "h4"):
        dst = address(lab, host, family)
        ports = [*listed_ports(lab, host, "tcp"), unlisted_port(lab, host, "tcp")]
        for port in ports:
            expected[f"{dst} {port}"] = lab.expected(host, "tcp", port)[1]
        probes.append((dst, ports))
    assert {"syn-ack", "reset", "no-response", "admin-prohibited"} <= set(expected.values())
    got = in_scanner(lab, f'''
        net = IP if {family} == 4 else IPv6
        probes = [net(dst=dst) / TCP(sport=41000, dport=ports, flags="S", seq=12345)
                  for dst, ports in {probes!r}]
        ans, unans = sr(probes, timeout=1.0, retry=1)
        done({{"results": {{f"{{dst_of(r)}} {{port_of(r)}}": reason(r) for r in [*ans, *unans]}},
               "answered": len(ans), "unanswered": len(unans)}})
    ''')
    assert got["results"] == expected
    assert got["answered"] + got["unanswered"] == len(expected)
    assert got["unanswered"] == sum(v == "no-response" for v in expected.values())


@pytest.mark.parametrize("family", [4, 6])
def test_udp_probes_to_h1(lab: LabHandle, family: int) -> None:
    dst = address(lab, "h1", family)
    ports = [*listed_ports(lab, "h1", "udp"), unlisted_port(lab, "h1", "udp")]
    expected = {str(p): lab.expected("h1", "udp", p)[1] for p in ports}
    assert {"udp-response", "port-unreach", "no-response"} <= set(expected.values())
    got = in_scanner(lab, f'''
        net = IP if {family} == 4 else IPv6
        probe = net(dst={dst!r}) / UDP(sport=41001, dport={ports!r}) / DNS(
            id=4242, qd=[DNSQR(qname="h1.lab.example")])
        ans, unans = sr(probe, timeout=1.0, retry=1)
        done({{str(port_of(r)): reason(r) for r in [*ans, *unans]}})
    ''')
    assert got == expected


@pytest.mark.parametrize("family", [4, 6])
def test_echo_is_answered_by_the_hosts_that_answer_ping(lab: LabHandle, family: int) -> None:
    hosts = [h["name"] for h in lab.truth["hosts"]]
    expected = {address(lab, h, family): ("echo-reply" if lab.host(h)["answers_ping"]
                                          else "no-response") for h in hosts}
    assert expected[address(lab, "h3", family)] == "echo-reply"
    assert expected[address(lab, "h4", family)] == "no-response"
    got = in_scanner(lab, f'''
        dsts = {list(expected)!r}
        if {family} == 4:
            probe = IP(dst=dsts) / ICMP(type=8, id=0x4242, seq=7)
        else:
            probe = IPv6(dst=dsts) / ICMPv6EchoRequest(id=0x4242, seq=7)
        ans, unans = sr(probe, timeout=1.0, retry=1)
        done({{dst_of(r): reason(r) for r in [*ans, *unans]}})
    ''')
    assert got == expected


def test_srp_fills_in_link_addresses_and_gets_answers(lab: LabHandle) -> None:
    scanner_mac = lab.truth["scanner"]["mac"]
    h1 = lab.host("h1")
    far = lab.host("far")
    assert lab.expected("h1", "tcp", 22)[1] == "syn-ack"
    assert lab.expected("far", "tcp", 80)[1] == "syn-ack"
    targets = [(h1["ipv4"], 22, h1["mac"]), (h1["ipv6"], 22, h1["mac"]),
               (far["ipv4"], 80, r1_lan_mac(lab)), (far["ipv6"], 80, r1_lan_mac(lab))]
    got = in_scanner(lab, f'''
        frames = []
        for dst, port, _ in {targets!r}:
            net = IPv6 if ":" in dst else IP
            frames.append(Ether() / net(dst=dst) / TCP(sport=41002, dport=port, flags="S"))
        ans, unans = srp(frames, timeout=1.0, retry=2)
        out = {{}}
        for r in [*ans, *unans]:
            eth = r.probe.getlayer(Ether)
            out[dst_of(r)] = [eth.src, eth.dst, reason(r),
                              None if r.answer is None else r.answer.getlayer(Ether).dst]
        done(out)
    ''')
    assert got == {dst: [scanner_mac, hop_mac, "syn-ack", scanner_mac]
                   for dst, _, hop_mac in targets}


def test_neighbour_resolution_gives_each_hosts_mac(lab: LabHandle) -> None:
    hosts = {h["name"]: h for h in lab.truth["hosts"]}
    got = in_scanner(lab, f'''
        from netprobe.wire import neighbour
        neighbour.clear_neighbour_cache()
        out = {{}}
        for ip in {[a for h in hosts.values() for a in (h["ipv4"], h["ipv6"])]!r}:
            out[ip] = neighbour.resolve(ip, timeout=2.0)
        out["far"] = list(neighbour.next_hop_mac({lab.host("far")["ipv4"]!r}, timeout=2.0))
        done(out)
    ''')
    for h in hosts.values():
        assert got[h["ipv4"]] == h["mac"], h["name"]
        assert got[h["ipv6"]] == h["mac"], h["name"]
    assert got["far"] == [lab.truth["scanner"]["interface"], r1_lan_mac(lab)]


def test_routes_to_hosts_and_to_the_far_network(lab: LabHandle) -> None:
    scanner = lab.truth["scanner"]
    far = lab.host("far")
    dsts = [a for h in lab.truth["hosts"] for a in (h["ipv4"], h["ipv6"])]
    got = in_scanner(lab, f'''
        from netprobe.wire import route
        out = {{}}
        for dst in {[*dsts, far["ipv4"], far["ipv6"]]!r}:
            r = route.route_to(dst)
            out[dst] = [r.src, r.iface, r.gateway, r.family]
        done(out)
    ''')
    for dst in dsts:
        family = 6 if ":" in dst else 4
        src = scanner["ipv4"] if family == 4 else scanner["ipv6"]
        assert got[dst] == [src, scanner["interface"], None, family], dst
    assert got[far["ipv4"]] == [scanner["ipv4"], scanner["interface"],
                                scanner["gateway"]["ipv4"], 4]
    assert got[far["ipv6"]] == [scanner["ipv6"], scanner["interface"],
                                scanner["gateway"]["ipv6"], 6]
    assert (scanner["ipv4"], scanner["ipv6"]) == ("198.18.1.2", "2001:db8:1::2")


def _impair(lab: LabHandle, loss: int) -> None:
    proc = subprocess.run([sys.executable, "-m", "netprobe", "lab", "impair", "--name",
                           lab.name, "--loss", str(loss)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def test_retries_recover_what_random_loss_takes(lab: LabHandle) -> None:
    """10 % loss each way on the LAN: an exchange fails 19 % of the time. With 7
    retries a probe stays unanswered by bad luck with odds 0.19**8 (2e-6), so every
    probe that has an answer must get it. (The brief said 5 retries; that leaves a
    300-probe run a 1.4 % chance to fail for no fault of the engine.)"""
    ports = [*range(1, 299), 8080, 8443]
    assert len(ports) == 300
    answerable = {p for p in ports if lab.expected("h1", "tcp", p)[1] != "no-response"}
    assert len(answerable) == 299  # all but the dropped port
    dst = address(lab, "h1", 4)
    _impair(lab, 10)
    try:
        got = in_scanner(lab, f'''
            ans, unans = sr(IP(dst={dst!r}) / TCP(sport=41003, dport={ports!r}, flags="S"),
                            timeout=0.5, retry=7)
            done({{"answered": sorted(port_of(r) for r in ans),
                   "max_sends": max(r.sends for r in ans)}})
        ''', timeout=180)
    finally:
        _impair(lab, 0)
    assert set(got["answered"]) == answerable
    assert got["max_sends"] > 1  # the loss was real and retries made up for it


def test_rate_limit_holds_in_the_lab(lab: LabHandle) -> None:
    dst = address(lab, "h1", 4)
    got = in_scanner(lab, f'''
        import netprobe.engine.api as api
        from netprobe.engine.results import Counters
        counters = Counters()
        results = list(api.run(IP(dst={dst!r}) / TCP(sport=41004, dport=range(1, 3001),
                                                     flags="S"),
                               timeout=0.5, rate=2000, counters=counters))
        done({{"sent": counters.sent, "elapsed": counters.elapsed,
               "answered": sum(r.answered for r in results)}})
    ''')
    assert got["sent"] == 3000
    assert got["answered"] >= 2990  # closed or open ports on h1: nearly all answer
    assert 0.8 <= got["elapsed"] <= 4.0
    rate = got["sent"] / got["elapsed"]
    assert 1000 <= rate <= 3000, f"{rate:.0f} packets/s for a limit of 2000"
