"""Host discovery in the practice lab: every host found up, for the reason the lab implies."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from tests.plugins.portscan.test_udp_lab import discover_in_lab

pytestmark = pytest.mark.lab

#: an address on the LAN and one on the far network that no node has
NOBODY_LAN = {"ipv4": "198.18.1.99", "ipv6": "2001:db8:1::99"}
NOBODY_FAR = {"ipv4": "198.19.2.99", "ipv6": "2001:db8:2::99"}
#: answers the IP probes can get from a host that is up
TCP_OR_ICMP = {"echo-reply", "syn-ack", "reset", "timestamp-reply"}


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_every_lab_host_is_found(lab: LabHandle, family: str) -> None:
    lan = lab.truth["hosts"]
    far = lab.truth["far"]
    hosts = [h[family] for h in lan] + [far[family], NOBODY_LAN[family], NOBODY_FAR[family]]
    verdicts = discover_in_lab(lab, hosts)
    link_reason = "arp-response" if family == "ipv4" else "nd-response"
    for host in lan:
        # on our link: ARP / neighbour discovery, which no host firewall in the lab stops
        # (h3 drops everything but ping, h4 does not answer ping: both are found)
        assert verdicts[host[family]] == {"state": "up", "reason": link_reason, "ttl": None}, \
            host["name"]
    far_verdict = verdicts[far[family]]
    assert far_verdict["state"] == "up" and far_verdict["reason"] in TCP_OR_ICMP
    hops = len(lab.truth["path"]["hops"])
    assert far_verdict["ttl"] == 64 - (hops - 1)  # one less per router on the way
    for nobody in (NOBODY_LAN, NOBODY_FAR):
        assert verdicts[nobody[family]] == {"state": "down", "reason": "no-response",
                                            "ttl": None}


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ip_probes_find_hosts_that_ignore_ping(lab: LabHandle, family: str) -> None:
    # nmap --disable-arp-ping: the LAN hosts get echo, SYN 443, ACK 80 (and timestamp)
    lan = lab.truth["hosts"]
    verdicts = discover_in_lab(lab, [h[family] for h in lan], arp=False)
    for host in lan:
        got = verdicts[host[family]]
        assert got["state"] == "up", host["name"]
        assert got["reason"] in TCP_OR_ICMP and got["ttl"] == 64
        if not host["answers_ping"]:
            assert got["reason"] != "echo-reply", host["name"]
        if host["name"] == "h3":  # its firewall lets only echo requests in
            assert got["reason"] == "echo-reply"


def test_the_command_finds_the_first_ipv6_neighbour_too(lab: LabHandle) -> None:
    # the command imports only the layers it uses: its neighbour solicitation once went out
    # with next header 59 (no binding loaded), and the first IPv6 target was reported down
    hosts = [h["ipv6"] for h in lab.truth["hosts"][:2]]
    lab.run(["ip", "-6", "neigh", "flush", "all"])
    done = lab.netprobe("portscan", "-6", "-p", "22", *hosts, "--json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    up = {r["host"]: r for r in records if r.get("type") == "host"}
    for host in hosts:
        assert host in up, f"{host} not reported up"
        assert up[host]["state"] == "up" and up[host]["reason"] == "nd-response", up[host]
