"""UDP scan in the practice lab: exactly the lab's truth, and the same states as nmap -sU.

The scans run inside the lab's scanner namespace (one Python process each, or
nmap there); the helpers below are shared with the discovery lab test and the
UDP benchmark.
"""

from __future__ import annotations

import json
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

_UDP_CODE = """
import json, time
from netprobe.engine.results import Counters
from netprobe.plugins.portscan.udp import scan_udp, udp_verdict, _probe_target
targets = [tuple(t) for t in json.loads({targets!r})]
counters = Counters()
start = time.monotonic()
results = scan_udp(targets, timeout={timeout!r}, retries={retries!r}, rate=None,
                   max_time={max_time!r}, iface=None, counters=counters)
seconds = time.monotonic() - start
out = []
for r in results:
    host, port = _probe_target(r.probe_bytes)
    state, reason, ttl = udp_verdict(r)
    out.append([host, port, state, reason, ttl, r.sends, r.tag.phase])
print(json.dumps({{"ports": out, "seconds": seconds, "counters": counters.to_dict()}}))
"""

_DISCOVERY_CODE = """
import json
from netprobe.engine.results import Counters
from netprobe.plugins.portscan.discovery import discover, hosts_up
counters = Counters()
results = discover(json.loads({hosts!r}), timeout={timeout!r}, retries={retries!r}, rate=None,
                   iface=None, counters=counters, arp={arp!r})
assert all(r.tag.phase == "discovery" for r in results)
print(json.dumps({{h: v.to_dict() for h, v in hosts_up(results).items()}}))
"""


def scan_udp_in_lab(lab, targets: list[tuple[str, int]], timeout: float = 1.0,
                    retries: int = 10, max_time: float = 110.0) -> dict:
    """{"ports": {(host, port): (state, reason, ttl, sends)}, "seconds", "counters"}."""
    code = _UDP_CODE.format(targets=json.dumps(targets), timeout=timeout, retries=retries,
                            max_time=max_time)
    proc = lab.python(code, timeout=max_time + 30)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    ports = {}
    for host, port, state, reason, ttl, sends, extra in data["ports"]:
        assert extra == "udp"
        ports[(host, port)] = (state, reason, ttl, sends)
    return {"ports": ports, "seconds": data["seconds"], "counters": data["counters"]}


def discover_in_lab(lab, hosts: list[str], arp: bool = True, timeout: float = 1.0,
                    retries: int = 1) -> dict[str, dict]:
    """{host: {"state", "reason", "ttl"}} from ``discover`` + ``hosts_up``."""
    code = _DISCOVERY_CODE.format(hosts=json.dumps(hosts), timeout=timeout, retries=retries,
                                  arp=arp)
    proc = lab.python(code, timeout=90)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def nmap_udp_in_lab(lab, host: str, ports: list[int], extra: tuple[str, ...] = (),
                    timeout: float = 300.0) -> tuple[dict[int, tuple[str, str]], float, float]:
    """nmap -sU of ``host``'s ``ports``: ({port: (state, reason)}, wall seconds, nmap's own
    elapsed seconds)."""
    argv = ["nmap", "-n", "-Pn", "-sU", "--reason", "-oX", "-",
            "-p", ",".join(map(str, ports)), *extra]
    if ":" in host:
        argv.append("-6")
    argv.append(host)
    start = time.monotonic()
    proc = lab.run(argv, timeout=timeout)
    wall = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    root = ET.fromstring(proc.stdout)
    states = {}
    # ports nmap folds into "Not shown: N closed udp ports" come as ranges per reason
    for extra in root.iter("extraports"):
        for reasons in extra.iter("extrareasons"):
            for part in reasons.get("ports", "").split(","):
                if not part:
                    continue
                lo, _, hi = part.partition("-")
                for number in range(int(lo), int(hi or lo) + 1):
                    states[number] = (extra.get("state"), reasons.get("reason"))
    for port in root.iter("port"):
        state = port.find("state")
        states[int(port.get("portid"))] = (state.get("state"), state.get("reason"))
    finished = root.find("runstats/finished")
    elapsed = float(finished.get("elapsed")) if finished is not None else wall
    return states, wall, elapsed


def udp_ports_of(host: dict) -> list[int]:
    """The UDP ports the lab's truth lists for ``host``."""
    return sorted(p["port"] for p in host["ports"] if p["proto"] == "udp")


# -- the tests ----------------------------------------------------------------------------------
def _truth_targets(lab: LabHandle, family: str) -> list[tuple[str, int]]:
    targets = []
    for host in [*lab.truth["hosts"], lab.truth["far"]]:
        targets += [(host[family], port) for port in udp_ports_of(host)]
    return targets


def _names(lab: LabHandle, family: str) -> dict[str, str]:
    return {h[family]: h["name"] for h in [*lab.truth["hosts"], lab.truth["far"]]}


@pytest.mark.lab
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_udp_scan_matches_the_lab_and_nmap(lab: LabHandle, family: str) -> None:
    targets = _truth_targets(lab, family)
    assert len(targets) >= 8
    names = _names(lab, family)
    got = scan_udp_in_lab(lab, targets)["ports"]
    assert set(got) == set(targets)
    for (address, port), (state, reason, ttl, sends) in got.items():
        expected = lab.expected(names[address], "udp", port)
        assert (state, reason) == expected, (names[address], port, sends)
        assert (ttl is None) == (state == "open|filtered")
    # nmap -sU on the same ports, host by host, run right after in the same namespace
    by_host: dict[str, list[int]] = {}
    for address, port in targets:
        by_host.setdefault(address, []).append(port)
    for address, ports in by_host.items():
        theirs, _, _ = nmap_udp_in_lab(lab, address, ports)
        ours = {port: got[(address, port)][:2] for port in ports}
        assert ours == theirs, names[address]


@pytest.mark.lab
def test_closed_ports_survive_icmp_rate_limiting_ipv4(lab: LabHandle) -> None:
    # 24 closed ports on one host: 6 answered at once, then one per second; a fixed
    # wait would call most of them open|filtered
    host = lab.host("h5")
    ports = list(range(1100, 1124))
    assert all(lab.expected("h5", "udp", p) == ("closed", "port-unreach") for p in ports)
    got = scan_udp_in_lab(lab, [(host["ipv4"], p) for p in ports])
    states = {key: value[:2] for key, value in got["ports"].items()}
    assert set(states.values()) == {("closed", "port-unreach")}
    # tokens come back one per second: about 18 s of them, and not much more
    assert got["seconds"] < 60


@pytest.mark.lab
def test_rate_limited_host_with_silent_ports_ipv6(lab: LabHandle) -> None:
    host = lab.host("h1")  # UDP 123 is dropped by its firewall, 161 closed, 53 open
    ports = [53, 123, 161, *range(2000, 2060)]
    got = scan_udp_in_lab(lab, [(host["ipv6"], p) for p in ports])["ports"]
    for (_, port), (state, reason, _, _) in got.items():
        assert (state, reason) == lab.expected("h1", "udp", port), port


@pytest.mark.lab
def test_max_time_bounds_the_scan(lab: LabHandle) -> None:
    host = lab.host("h6")
    ports = list(range(3000, 3100))
    got = scan_udp_in_lab(lab, [(host["ipv4"], p) for p in ports], max_time=3.0)
    assert got["seconds"] < 6
    assert len(got["ports"]) == len(ports)
    states = {value[0] for value in got["ports"].values()}
    assert states <= {"closed", "open|filtered"}
