"""``netprobe arpscan`` in the practice lab: every LAN neighbour with its MAC, IPv4 and
IPv6, a duplicate address flagged, complete answers under loss, arp-scan's view.

The lab's truth (``lab.truth``) says which hosts are on the LAN (h1-h6 and the
gateway r1) and their MACs; the duplicate host of ``lab add-duplicate`` claims
h5's addresses with a MAC of its own. The lab is shared by the whole test
session: every change (duplicate, loss) is undone in ``finally``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from netprobe.engine.runfile import load_run
from netprobe.plugins.arpscan import report
from netprobe.plugins.arpscan.vendors import LOCAL, is_local
from netprobe.plugins.lab import lifecycle, processes
from netprobe.services.output import json_line

pytestmark = pytest.mark.lab

#: retries under 10 % loss: a host stays unseen after 7 tries with p ~ 0.19^7 ~ 1e-5
LOSSY_RETRY = "6"


def arpscan(lab, *args: str, timeout: float = 120.0, **kwargs):
    """Run ``netprobe arpscan --json ARGS`` in the scanner; (exit code, records, stderr)."""
    done = lab.netprobe("arpscan", "--json", *args, timeout=timeout, **kwargs)
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, records, done.stderr


def pairs(records) -> set[tuple[str, str]]:
    return {(r["host"], r["mac"]) for r in records if r["type"] == "host"}


def lan_neighbours(lab, family: str) -> set[tuple[str, str]]:
    """(address, MAC) of every node on the LAN but the scanner: h1-h6 and the gateway."""
    found = {(h[family], h["mac"]) for h in lab.truth["hosts"] if h["network"] == "lan"}
    for router in lab.truth["routers"]:
        for iface in router["interfaces"]:
            if iface["network"] == "lan":
                found.add((iface[family], iface["mac"]))
    return found


def test_ipv4_sweep_finds_every_lan_host_with_its_mac(lab):
    code, records, err = arpscan(lab)
    assert code == 0, err
    expected = lan_neighbours(lab, "ipv4")
    assert len(expected) == 7  # h1-h6 and r1
    assert pairs(records) == expected
    hosts = [r for r in records if r["type"] == "host"]
    assert all(r["flags"] == [] and r["rtt_ms"] is not None and r["rtt_ms"] >= 0
               for r in hosts)
    # every lab MAC is locally administered: no registry names it
    assert all(is_local(r["mac"]) and r["vendor"] == LOCAL for r in hosts)
    summary = records[-1]
    assert summary["type"] == "summary" and summary["interface"] == "eth0"
    assert summary["scanned"] == 253  # 198.18.1.0/24 without .0, .255 and the scanner
    assert summary["responded"] == 7 and summary["conflicts"] == [] == summary["proxies"]


def test_ipv6_all_nodes_discovery_finds_every_lan_host(lab):
    code, records, err = arpscan(lab, "-6")
    assert code == 0, err
    # h4 drops echo requests and h3 everything but echo and ND: each is found by one
    # of the two all-nodes probes
    assert pairs(records) == lan_neighbours(lab, "ipv6")
    routers = [r["host"] for r in records if "router" in r.get("flags", ())]
    assert routers == [ip for ip, _ in lan_neighbours(lab, "ipv6") if ip.endswith("::1")]
    assert records[-1]["multicast"] is True


def test_ipv6_solicitations_to_given_addresses(lab):
    code, records, err = arpscan(lab, "-6", "2001:db8:1::/120")
    assert code == 0, err
    assert pairs(records) == lan_neighbours(lab, "ipv6")
    # 256 addresses but the scanner's own and the subnet-router anycast ::0 (which r1,
    # a router, would answer for)
    assert records[-1]["scanned"] == 254 and records[-1]["multicast"] is False


def test_both_families_in_one_run(lab):
    code, records, err = arpscan(lab, "-4", "-6")
    assert code == 0, err
    assert pairs(records) == lan_neighbours(lab, "ipv4") | lan_neighbours(lab, "ipv6")


def test_a_duplicate_address_is_a_conflict_and_fails_on_request(lab):
    lifecycle.add_duplicate(lab.name, "h5")
    try:
        twin = lab.refresh()["duplicate"]
        h5 = lab.host("h5")
        code, records, err = arpscan(lab, "-4", "-6")
        assert code == 0, err  # seen, reported, but not asked to fail
        assert pairs(records) == (lan_neighbours(lab, "ipv4") | lan_neighbours(lab, "ipv6")
                                  | {(twin["ipv4"], twin["mac"]), (twin["ipv6"], twin["mac"])})
        assert records[-1]["conflicts"] == [h5["ipv4"], h5["ipv6"]]
        flagged = {(r["host"], r["mac"]) for r in records
                   if r["type"] == "host" and "conflict" in r["flags"]}
        assert flagged == {(h5["ipv4"], h5["mac"]), (h5["ipv4"], twin["mac"]),
                           (h5["ipv6"], h5["mac"]), (h5["ipv6"], twin["mac"])}
        code, records, err = arpscan(lab, "--fail-on-conflict")
        assert code == 1, err
        assert records[-1]["conflicts"] == [h5["ipv4"]]
    finally:
        lifecycle.remove_duplicate(lab.name)
    assert lab.refresh()["duplicate"] is None
    code, records, err = arpscan(lab, "--fail-on-conflict")
    assert code == 0 and records[-1]["conflicts"] == [], err


def test_complete_under_ten_percent_loss(lab):
    lifecycle.impair(lab.name, 10)
    try:
        assert lab.refresh()["impair"]["lan"] == 10
        # The lab spares ARP from its loss (impair.py): this checks that nothing else
        # breaks; the IPv6 sweeps below are the ones that lose packets.
        code, records, err = arpscan(lab)
        assert code == 0, err
        assert pairs(records) == lan_neighbours(lab, "ipv4")
        # all-nodes discovery with the default patience: each probe goes out six times
        code, records, err = arpscan(lab, "-6")
        assert code == 0, err
        assert pairs(records) == lan_neighbours(lab, "ipv6")
        # solicitations to each address: retries for the silent
        code, records, err = arpscan(lab, "-6", "2001:db8:1::/120", "--retry", LOSSY_RETRY)
        assert code == 0, err
        assert pairs(records) == lan_neighbours(lab, "ipv6")
    finally:
        lifecycle.impair(lab.name, 0)
    assert lab.refresh()["impair"]["lan"] == 0


def test_same_hosts_and_macs_as_arp_scan(lab):
    if shutil.which("arp-scan") is None:
        pytest.fail("arp-scan is not installed (the peer this test compares with)")
    done = lab.run(["arp-scan", "-I", "eth0", "-q", "-x", "--localnet"], timeout=60)
    assert done.returncode == 0, done.stderr
    theirs = {tuple(line.split()[:2]) for line in done.stdout.splitlines() if line.strip()}
    code, records, err = arpscan(lab, "--localnet")
    assert code == 0, err
    assert pairs(records) == theirs == lan_neighbours(lab, "ipv4")


def test_saved_run_reprints_the_same_records(lab, tmp_path):
    path = tmp_path / "arpscan.pcapng"
    done = lab.netprobe("arpscan", "--json", "-4", "-6", "--save", str(path))
    assert done.returncode == 0, done.stderr
    saved = load_run(str(path))
    assert saved.plugin == "arpscan" and saved.argv[:1] == ["arpscan"]
    assert "".join(json_line(r) for r in report(saved, {})) == done.stdout
    # and through the command line (no namespace needed: nothing is sent)
    again = subprocess.run([sys.executable, "-m", "netprobe", "interpret", "--json", str(path)],
                           capture_output=True, text=True, timeout=60, check=False,
                           env=processes.child_environment())
    assert again.returncode == 0 and again.stdout == done.stdout, again.stderr
    table = subprocess.run([sys.executable, "-m", "netprobe", "interpret", "--no-json",
                            str(path)], capture_output=True, text=True, timeout=60,
                           check=False, env=processes.child_environment())
    assert table.returncode == 0, table.stderr
    assert "Interface: eth0" in table.stdout and "02:00:c6:12:01:0b" in table.stdout
    # an ordinary capture file: tshark (if present) reads the probes and answers
    if shutil.which("tshark"):
        listed = subprocess.run(["tshark", "-r", str(path), "-Y", "arp.opcode == 2"],
                                capture_output=True, text=True, timeout=60, check=False)
        assert listed.returncode == 0 and len(listed.stdout.splitlines()) >= 7


@pytest.mark.parametrize("args, message", [
    (["-I", "eth9"], "no such interface: 'eth9'"),
    (["198.18.0.0/15"], "more than a /16"),
    (["10.1.2.0/24"], "outside the allowed scope"),
])
def test_bad_input_one_line_exit_2(lab, args, message):
    code, records, err = arpscan(lab, *args)
    assert code == 2 and records == []
    assert message in err and len(err.strip().splitlines()) == 1


#: inside the scanner namespace, drop CAP_NET_RAW from the bounding set (root in a
#: container without it) and run ``netprobe arpscan``
WITHOUT_NET_RAW = ("import ctypes, os, sys\n"
                   "PR_CAPBSET_DROP, CAP_NET_RAW = 24, 13\n"
                   "libc = ctypes.CDLL(None, use_errno=True)\n"
                   "assert libc.prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0) == 0\n"
                   "os.execv(sys.executable, [sys.executable, '-m', 'netprobe', 'arpscan'])\n")


def test_without_privileges_exit_3(lab):
    done = lab.python(WITHOUT_NET_RAW)
    assert done.returncode == 3, done.stderr
    assert "an ARP sweep needs root or CAP_NET_RAW" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


@pytest.fixture
def bare_namespace():
    """A namespace of this test's own with a veth pair that has no IPv4 address."""
    ns = f"npa{os.getpid()}-noip"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=30)
    try:
        for argv in (["link", "add", "a0", "type", "veth", "peer", "name", "a1"],
                     ["link", "set", "a0", "up"], ["link", "set", "a1", "up"]):
            subprocess.run(["ip", "-n", ns, *argv], check=True, timeout=30)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False, timeout=30)


def test_interface_without_ipv4_exit_2(bare_namespace):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", bare_namespace, sys.executable, "-m",
                               "netprobe", "arpscan", *args], capture_output=True, text=True,
                              timeout=60, env=processes.child_environment(), check=False)

    done = run("-I", "a0")
    assert done.returncode == 2 and "a0 has no IPv4 address" in done.stderr
    # IPv6 only on a link-local link outside the scope: refused before anything is sent
    done = run("-6", "-I", "a0")
    assert done.returncode == 2 and "not inside the scope" in done.stderr
    # two interfaces and no default route: the user must choose
    done = run()
    assert done.returncode == 2 and "choose one with -I" in done.stderr
