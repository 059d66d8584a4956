"""``traceroute()``, ``arping()`` and ``sr()``'s Scapy keywords in the practice lab.

The code under test runs in the lab's scanner namespace (``lab.python``) and prints
one JSON object, compared here with what ``netprobe lab status --json`` says.
"""

from __future__ import annotations

import ipaddress
import json
import textwrap
from typing import Any

import pytest

from tests.labfixture import LabHandle

pytestmark = pytest.mark.lab


def in_scanner(lab: LabHandle, code: str, timeout: float = 120.0) -> Any:
    proc = lab.python("import json\n" + textwrap.dedent(code), timeout=timeout)
    assert proc.returncode == 0, f"snippet failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_traceroute_finds_the_truths_path(lab: LabHandle) -> None:
    route = lab.truth["path"]
    target = route["ipv4"]
    hops = route["hops"]
    got = in_scanner(lab, f"""
        from netprobe import traceroute
        res, unans = traceroute({target!r}, dport=80, maxttl={len(hops)}, timeout=1,
                                retry=1, verbose=0)
        res.show()
        trace = res.get_trace()[{target!r}]
        print(json.dumps({{str(ttl): list(hop) for ttl, hop in trace.items()}}))
    """)
    assert got, "no hop answered"
    for hop in hops:
        seen = got.get(str(hop["ttl"]))
        if not hop["answers"]:
            assert seen is None, hop
            continue
        assert seen is not None, hop
        assert seen[0] in hop["ipv4"], (seen, hop)
    last = got[str(hops[-1]["ttl"])]
    assert last == [target, True]


def test_arping_finds_the_lan_hosts(lab: LabHandle) -> None:
    hosts = [h for h in lab.truth["hosts"]]
    net = ipaddress.ip_network(hosts[0]["ipv4"] + "/24", strict=False)
    got = in_scanner(lab, f"""
        from netprobe import arping
        ans, unans = arping({str(net)!r}, timeout=1, retry=2, verbose=0)
        print(json.dumps([[r[1].getlayer("ARP").psrc, r[1].src] for r in ans]))
    """, timeout=180)
    answered = {ip: mac for ip, mac in got}
    for host in hosts:
        if ipaddress.ip_address(host["ipv4"]) in net:
            assert answered.get(host["ipv4"]) == host["mac"], host["name"]


def test_sr_keywords(lab: LabHandle) -> None:
    host = lab.host("h1")
    opened = [p["port"] for p in host["ports"] if p["proto"] == "tcp"
              and lab.expected("h1", "tcp", p["port"])[1] == "syn-ack"]
    closed = [p["port"] for p in host["ports"] if p["proto"] == "tcp"
              and lab.expected("h1", "tcp", p["port"])[1] == "reset"]
    if not opened or not closed:
        pytest.skip("h1 lists no open and closed TCP port together")
    ports = [opened[0], closed[0]]
    got = in_scanner(lab, f"""
        from netprobe import IP, TCP, sr, sr1
        seen = []
        ans, unans = sr(IP(dst={host["ipv4"]!r}) / TCP(dport={ports!r}, flags="S"),
                        timeout=1, retry=-1, inter=0.01, verbose=0,
                        prn=lambda a: seen.append(a[TCP].sport),
                        lfilter=lambda a: a[TCP].flags & 0x12 == 0x12)
        one = sr1(IP(dst={host["ipv4"]!r}) / TCP(dport={opened[0]}, flags="S"), timeout=1,
                  verbose=0)
        print(json.dumps({{"answered": [s[TCP].dport for s, r in ans],
                          "unanswered": [p[TCP].dport for p in unans],
                          "seen": seen, "one": str(one[TCP].flags)}}))
    """)
    # the reset is refused by lfilter: it counts as no answer
    assert got == {"answered": [opened[0]], "unanswered": [closed[0]], "seen": [opened[0]],
                   "one": "SA"}
