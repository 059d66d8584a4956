"""Tests of ``netprobe lab``: the declaration (no root needed) and the real thing.

Tests marked ``lab`` build network namespaces (root). They check the lab with
plain tools only (ping, sockets, nmap, traceroute, arp-scan) against the truth
``lab status --json`` publishes, never with netprobe's own engine. Every packet
stays inside the lab's namespaces.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

try:
    from tests.labfixture import TEST_PREFIX, lab, require_lab_environment
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.labfixture import TEST_PREFIX, lab, require_lab_environment  # noqa: F401

from netprobe.errors import EnvironmentProblem, RuntimeProblem, UsageError
from netprobe.plugins.lab import command, execute, lifecycle, processes, state
from netprobe.plugins.lab.build import Step, batch, firewall, namespace, nft_table, plan
from netprobe.plugins.lab.impair import ruleset
from netprobe.plugins.lab.routing import path, routes
from netprobe.plugins.lab.services import is_fatal, udp_reply
from netprobe.plugins.lab.topology import (
    LAB_IPV4,
    LAB_IPV6,
    duplicate_of,
    lab_topology,
)
from netprobe.plugins.lab.truth import document, port_state

NMAP_PAIRS = {
    ("open", "syn-ack"), ("closed", "reset"), ("filtered", "no-response"),
    ("filtered", "admin-prohibited"), ("closed", "port-unreach"),
    ("open|filtered", "no-response"), ("open", "udp-response"),
}


def _lab_namespaces(name: str) -> list[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                             check=True).stdout
    return [line.split()[0] for line in listing.splitlines()
            if line.split() and line.split()[0].startswith(f"{name}-")]


# --- the declaration: no root needed -------------------------------------------------


def test_every_address_in_topology_and_commands_is_a_lab_address():
    topology = lab_topology().with_node(duplicate_of(lab_topology(), "h5"))
    seen = 0
    for phase in plan("nplab", topology):
        for step in phase:
            for token in re.split(r"[\s/]+", step.stdin + " " + " ".join(step.argv)):
                try:
                    address = ipaddress.ip_address(token)
                except ValueError:
                    continue
                seen += 1
                assert address in (LAB_IPV4 if address.version == 4 else LAB_IPV6), token
    assert seen > 50  # the scan above really looked at addresses


def test_host_namespace_only_creates_namespaces_and_in_lab_links():
    lab_prefix = "nplab-"
    for phase in plan("nplab", lab_topology()):
        for step in phase:
            if step.argv[:2] == ("ip", "-batch"):  # runs in the host's namespace
                for line in step.stdin.splitlines():
                    words = line.split()
                    if words[:2] == ["netns", "add"]:
                        assert words[2].startswith(lab_prefix)
                        continue
                    assert words[:2] == ["link", "add"], line
                    targets = [words[i + 1] for i, w in enumerate(words) if w == "netns"]
                    wanted = 2 if "peer" in words else 1
                    assert len(targets) == wanted, line
                    assert all(t.startswith(lab_prefix) for t in targets), line
            else:
                assert step.argv[:3] == ("ip", "netns", "exec") or step.argv[:2] == ("ip", "-n")
                assert any(a.startswith(lab_prefix) for a in step.argv)


def test_interface_names_fit_the_kernel_limit_and_macs_are_distinct():
    topology = lab_topology()
    names = [iface.name for node in topology.nodes for iface in node.interfaces]
    names += [node.name for node in topology.nodes]  # bridge ports are named after nodes
    assert max(len(n) for n in names) <= 15
    macs = [iface.mac for node in topology.nodes for iface in node.interfaces]
    twin = duplicate_of(topology, "h5").interfaces[0].mac
    assert len({*macs, twin}) == len(macs) + 1
    for mac in macs:
        first = int(mac.split(":")[0], 16)
        assert first & 0x02 and not first & 0x01  # locally administered, unicast


def test_six_lan_hosts_and_the_promised_firewall_variety():
    doc = document("nplab", lab_topology())
    assert len(doc["hosts"]) == 6
    assert len({h["mac"] for h in doc["hosts"]}) == 6
    pairs = {(p["state"], p["reason"]) for h in doc["hosts"] for p in h["ports"]}
    assert pairs == NMAP_PAIRS  # every state/reason the issue promises, and no other
    assert [h["name"] for h in doc["hosts"] if not h["answers_ping"]] == ["h4"]
    h3 = next(h for h in doc["hosts"] if h["name"] == "h3")
    assert {p["state"] for p in h3["ports"]} <= {"filtered", "open|filtered"}
    assert any(p["listening"] for p in h3["ports"])  # listeners hidden behind the firewall


def test_firewall_rule_wins_over_a_listening_service():
    h1 = lab_topology().node("h1")
    assert any((s.proto, s.port) == ("tcp", 8080) for s in h1.services)
    assert port_state(h1, "tcp", 8080) == ("filtered", "no-response")
    assert port_state(h1, "tcp", 8443) == ("filtered", "admin-prohibited")
    assert port_state(h1, "udp", 123) == ("open|filtered", "no-response")
    assert port_state(h1, "tcp", 22) == ("open", "syn-ack")
    assert port_state(h1, "tcp", 4) == ("closed", "reset")
    assert "tcp dport 8443 reject with icmpx type admin-prohibited" in firewall(h1)


def test_path_has_an_ecmp_split_and_a_silent_router():
    topology = lab_topology()
    hops = path(topology, "scan", "far")
    assert [len(h.nodes) for h in hops] == [1, 1, 2, 1, 1]
    assert [h.answers for h in hops] == [True, True, True, False, True]
    assert hops[-1].ipv4 == (str(topology.node("far").interfaces[0].ipv4),)
    ecmp = [r for r in routes(topology, "r2") if r.multipath]
    assert {str(r.prefix) for r in ecmp} == {"198.19.2.0/24", "2001:db8:2::/64"}


def test_impair_ruleset_sets_and_clears_loss():
    topology = lab_topology()
    node, script = ruleset(topology, "lan", 15)
    assert node == "sw" and "numgen random mod 100 < 15 drop" in script
    node, script = ruleset(topology, "r2", 0)
    assert node == "r2" and "numgen" not in script and "delete table" in script
    node, script = ruleset(topology, "h1", 5)  # h1's cable, both ways, delayed or not
    assert node == "sw" and 'iifname { "h1", "dlb-h1" }' in script
    assert 'oifname { "h1", "dlb-h1" }' in script and "< 5 drop" in script
    with pytest.raises(ValueError):
        ruleset(topology, "far", 5)  # not on the LAN, not a router
    with pytest.raises(ValueError):
        ruleset(topology, "lan", 101)


def test_batch_steps_and_nft_tables_are_written_one_way():
    assert batch("x", ["a", "b"]) == Step("x", ("ip", "-batch", "-"), "a\nb\n")
    assert batch("x", iter(["a"]), "ns1", force=True).argv == \
        ("ip", "-n", "ns1", "-force", "-batch", "-")
    text = nft_table("inet", "t", [("c", "hook input priority 0; policy drop;", ["r1", "r2"])])
    assert text == ("table inet t {\n  chain c {\n    type filter hook input priority 0; "
                    "policy drop;\n    r1\n    r2\n  }\n}\n")


def test_run_quietly_goes_on_after_a_failed_phase(tmp_path):
    mark = tmp_path / "ran"
    with pytest.raises(RuntimeProblem, match="fails: exit status 1"):
        execute.run_phase([Step("fails", ("false",))])
    execute.run_quietly([[Step("fails", ("false",))], [Step("touch", ("touch", str(mark)))]])
    assert mark.exists()


def test_fragile_input_and_replies():
    assert is_fatal(b"\xde\xad" + b"\0" * 99)
    assert not is_fatal(b"\xde\xad" + b"\0" * 98)  # 100 bytes: survives
    assert not is_fatal(b"\xde\xae" + b"\0" * 200)
    query = bytes.fromhex("abcd0100000100000000000003777777076578616d706c6503636f6d0000010001")
    answer = udp_reply("dns", query)
    assert answer[:2] == b"\xab\xcd" and answer[2] & 0x80  # same id, response bit
    assert udp_reply("echo", b"") != b""  # an empty probe still gets an answer


def test_state_file_is_claimed_once(tmp_path, monkeypatch):
    monkeypatch.setenv(state.DIR_VARIABLE, str(tmp_path))
    record = state.LabState("x1", namespaces=["x1-a"])
    state.claim(record)
    with pytest.raises(FileExistsError):
        state.claim(state.LabState("x1"))
    record.processes.append(state.ProcessRecord("h1", "x1-h1", [["tcp", 22]], 42, 7, ["a"]))
    state.save(record)
    again = state.load("x1")
    assert again == record and state.labs() == ["x1"]
    state.discard("x1")
    assert state.load("x1") is None


def test_without_root_one_line_and_exit_3(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(command, ["up", "--name", "nopriv"])
    assert isinstance(result.exception, EnvironmentProblem)
    assert result.exception.exit_code == 3 and "\n" not in str(result.exception)


def test_without_ip_tool_exit_3(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda tool: None if tool == "ip" else "/bin/x")
    result = CliRunner().invoke(command, ["down", "--name", "noip"])
    assert isinstance(result.exception, EnvironmentProblem) and "ip" in str(result.exception)


def test_bad_lab_name_is_a_usage_error():
    with pytest.raises(UsageError):
        lifecycle.status("Bad_Name")


# --- the real lab ------------------------------------------------------------------


@pytest.mark.lab
def test_status_json_shape(lab):
    result = CliRunner().invoke(command, ["status", "--name", lab.name, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["up"] and doc["healthy"] and doc["lab"] == lab.name
    assert doc["built_seconds"] < 10
    assert len(doc["hosts"]) == 6 and all(n["exists"] for n in doc["namespaces"])
    assert all(s["running"] for s in doc["services"])
    for host in [*doc["hosts"], doc["far"]]:
        for key in ("name", "namespace", "ipv4", "ipv6", "mac", "answers_ping", "ports"):
            assert key in host
        for port in host["ports"]:
            assert (port["state"], port["reason"]) in NMAP_PAIRS
            assert port["proto"] in ("tcp", "udp") and 0 < port["port"] < 65536
    assert [h["ttl"] for h in doc["path"]["hops"]] == [1, 2, 3, 4, 5]
    assert doc["kernel"]["hosts"]["net.ipv4.icmp_ratelimit"] >= 0
    assert doc["impair"]["lan"] == 0 and doc["duplicate"] is None


@pytest.mark.lab
def test_the_switch_forwards_without_the_ip_firewall(lab):
    """br_netfilter (when the host loaded it) would run bridged frames through the IP hooks."""
    code = ("import glob, json; print(json.dumps({f: open(f).read().strip() for f in "
            "glob.glob('/proc/sys/net/bridge/bridge-nf-call-*')}))")
    done = lab.run([sys.executable, "-c", code], node="sw")
    assert done.returncode == 0, done.stderr
    settings = json.loads(done.stdout)
    if not settings:  # br_netfilter is not loaded on this host: nothing to turn off
        assert not os.path.exists("/proc/sys/net/bridge/bridge-nf-call-iptables")
    assert set(settings.values()) <= {"0"}, settings


@pytest.mark.lab
def test_second_up_and_unknown_down_are_usage_errors(lab):
    again = CliRunner().invoke(command, ["up", "--name", lab.name])
    assert isinstance(again.exception, UsageError) and again.exception.exit_code == 2
    assert "already up" in str(again.exception)
    missing = CliRunner().invoke(command, ["down", "--name", "npnothere"])
    assert isinstance(missing.exception, UsageError) and "not up" in str(missing.exception)


@pytest.mark.lab
def test_ping_answers_match_truth(lab):
    targets = []
    for host in [*lab.truth["hosts"], lab.truth["far"]]:
        for family in ("ipv4", "ipv6"):
            targets.append((host, family))
    procs = [(host, family,
              subprocess.Popen(["ip", "netns", "exec", lab.scanner_ns, "ping", "-c", "2",
                                "-i", "0.2", "-W", "1", host[family]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
             for host, family in targets]
    answered = {(host["name"], family): proc.wait(timeout=20) == 0
                for host, family, proc in procs}
    expected = {(host["name"], family): host["answers_ping"] for host, family in targets}
    assert answered == expected
    assert answered[("h3", "ipv4")] and not answered[("h4", "ipv6")]  # the two odd hosts


SOCKET_PROBE = r"""
import errno, json, socket, sys, threading

def tcp(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(1.5)
    try:
        s.connect((addr, port))
        return "connected"
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.EACCES):
            return "unreachable"
        return "errno-%s" % e.errno
    finally:
        s.close()

def udp(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.connect((addr, port))
    try:
        # Up to three tries: hosts rate-limit port unreachable (1/s after a burst).
        for _ in range(3):
            s.send(b"netprobe-lab-test")
            try:
                s.recv(4096)
                return "reply"
            except socket.timeout:
                continue
            except ConnectionRefusedError:
                return "refused"
            except OSError as e:
                return "unreachable" if e.errno in (errno.EHOSTUNREACH, errno.EACCES) else "errno"
        return "timeout"
    finally:
        s.close()

targets = json.load(sys.stdin)
results = [None] * len(targets)
def work(i, t):
    results[i] = (tcp if t[1] == "tcp" else udp)(t[0], t[2])
threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(targets)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(results))
"""

SOCKET_OUTCOME = {
    ("open", "syn-ack"): "connected", ("closed", "reset"): "refused",
    ("filtered", "no-response"): "timeout", ("filtered", "admin-prohibited"): "unreachable",
    ("open", "udp-response"): "reply", ("closed", "port-unreach"): "refused",
    ("open|filtered", "no-response"): "timeout",
}


@pytest.mark.lab
def test_sockets_from_the_scanner_match_truth(lab):
    targets, wanted = [], []
    for host in [*lab.truth["hosts"], lab.truth["far"]]:
        for port in host["ports"]:
            for family in ("ipv4", "ipv6"):
                targets.append([host[family], port["proto"], port["port"]])
                wanted.append(SOCKET_OUTCOME[(port["state"], port["reason"])])
    done = lab.python(SOCKET_PROBE, input=json.dumps(targets), timeout=30)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    mismatches = [(t, w, g) for t, w, g in zip(targets, wanted, got, strict=True) if w != g]
    assert not mismatches
    assert {"connected", "refused", "timeout", "unreachable", "reply"} <= set(got)


def _nmap(lab, addresses: list[str], ports: list[tuple[str, int]], ipv6: bool) -> dict:
    spec = ",".join([f"T:{p}" for proto, p in ports if proto == "tcp"] +
                    [f"U:{p}" for proto, p in ports if proto == "udp"])
    argv = ["nmap", "-n", "-Pn", "-sS", "-sU", "-T4", "--max-retries", "2", "-p", spec,
            "-oX", "-", *addresses]
    if ipv6:
        argv.insert(1, "-6")
    done = lab.run(argv, timeout=60)
    assert done.returncode == 0, done.stderr
    found = {}
    for host in ET.fromstring(done.stdout).iter("host"):
        address = next(a.get("addr") for a in host.iter("address")
                       if a.get("addrtype") in ("ipv4", "ipv6"))
        for port in host.iter("port"):
            st = port.find("state")
            found[(address, port.get("protocol"), int(port.get("portid")))] = \
                (st.get("state"), st.get("reason"))
    return found


@pytest.mark.lab
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_nmap_agrees_with_truth(lab, family):
    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed")
    hosts = lab.truth["hosts"]
    # The union of every host's listed ports: each host is also checked on
    # ports it says nothing about (its default state).
    ports = sorted({(p["proto"], p["port"]) for h in hosts for p in h["ports"]})
    found = _nmap(lab, [h[family] for h in hosts], ports, family == "ipv6")
    expected = {(h[family], proto, port): lab.expected(h["name"], proto, port)
                for h in hosts for proto, port in ports}
    assert found == expected


@pytest.mark.lab
def test_nmap_far_host_through_the_routers(lab):
    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed")
    far = lab.truth["far"]
    ports = [(p["proto"], p["port"]) for p in far["ports"]]
    found = _nmap(lab, [far["ipv4"]], ports, ipv6=False)
    assert found == {(far["ipv4"], proto, port): lab.expected("far", proto, port)
                     for proto, port in ports}


def _traceroute_hops(output: str) -> list[list[str]]:
    hops = []
    for line in output.splitlines()[1:]:
        match = re.match(r"\s*\d+\s+(.*)", line)
        if not match:
            continue
        tokens = []
        for token in match.group(1).split():
            if token == "*":
                tokens.append("*")
                continue
            try:
                tokens.append(str(ipaddress.ip_address(token)))
            except ValueError:
                pass
        hops.append(tokens)
    return hops


@pytest.mark.lab
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_traceroute_shows_the_chain_with_a_silent_hop(lab, family):
    if shutil.which("traceroute") is None:
        pytest.skip("traceroute is not installed")
    route = lab.truth["path"]
    argv = ["traceroute", "-n", "-w", "1", "-m", "8", route[family]]
    if family == "ipv6":
        argv.insert(1, "-6")
    done = lab.run(argv, timeout=60)
    assert done.returncode == 0, done.stderr
    hops = _traceroute_hops(done.stdout)
    assert len(hops) == len(route["hops"]), done.stdout
    for seen, truth in zip(hops, route["hops"], strict=True):
        if truth["answers"]:
            assert seen and set(seen) <= set(truth[family]), (seen, truth)
        else:
            assert set(seen) == {"*"}, (seen, truth)
    assert hops[-1][0] == route[family]


ECMP_PROBE = r"""
import json, socket, struct, sys, time
target, ttl, flows, v6 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "6"
family = socket.AF_INET6 if v6 else socket.AF_INET
raw = socket.socket(family, socket.SOCK_RAW,
                    socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
raw.settimeout(0.2)
senders = []
for _ in range(flows):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::" if v6 else "0.0.0.0", 0))
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    senders.append(s)
ports = {s.getsockname()[1] for s in senders}
rounds = []
for _ in range(2):
    for s in senders:
        s.sendto(b"ecmp", (target, 33434))
    answers = {}
    deadline = time.monotonic() + 2.0
    while len(answers) < flows and time.monotonic() < deadline:
        try:
            data, peer = raw.recvfrom(2048)
        except socket.timeout:
            continue
        if v6:
            if data[0] != 3:  # time exceeded
                continue
            inner = data[8 + 40:]
        else:
            icmp = data[(data[0] & 15) * 4:]
            if icmp[0] != 11:
                continue
            quoted = icmp[8:]
            inner = quoted[(quoted[0] & 15) * 4:]
        sport = struct.unpack("!H", inner[:2])[0]
        if sport in ports:
            answers[sport] = peer[0]
    rounds.append(answers)
print(json.dumps(rounds))
"""


@pytest.mark.lab
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ecmp_splits_flows_and_keeps_each_flow_on_one_branch(lab, family):
    route = lab.truth["path"]
    split = next(h for h in route["hops"] if h["ecmp"])
    done = lab.run([sys.executable, "-c", ECMP_PROBE, route[family], str(split["ttl"]), "16",
                    "6" if family == "ipv6" else "4"], timeout=30)
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)
    assert len(first) == 16 and first == second  # every flow answered, same branch twice
    assert set(first.values()) == set(split[family])  # both branches carry flows


@pytest.mark.lab
def test_impair_drops_a_share_of_packets_and_clears(lab):
    h1 = lab.host("h1")["ipv4"]
    result = CliRunner().invoke(command, ["impair", "--name", lab.name, "--loss", "10"])
    assert result.exit_code == 0, result.output
    try:
        assert lab.refresh()["impair"]["lan"] == 10
        done = lab.run(["ping", "-q", "-c", "200", "-i", "0.005", "-W", "0.5", h1], timeout=60)
        received = int(re.search(r"(\d+) received", done.stdout).group(1))
        # 10% each way: about 19% of echo exchanges lost (38 of 200).
        assert 2 <= 200 - received <= 90, done.stdout
    finally:
        lifecycle.impair(lab.name, 0)
    assert lab.refresh()["impair"]["lan"] == 0
    done = lab.run(["ping", "-q", "-c", "50", "-i", "0.005", "-W", "0.5", h1], timeout=60)
    assert " 0% packet loss" in done.stdout, done.stdout


FRAGILE_PROBE = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
s.sendto(sys.argv[3].encode("latin-1"), (sys.argv[1], int(sys.argv[2])))
try:
    s.recvfrom(4096)
    print("reply")
except OSError:
    print("silence")
"""


@pytest.mark.lab
def test_fragile_service_dies_on_its_input_and_restarts(lab):
    fragile = next((h["name"], p["port"]) for h in lab.truth["hosts"] for p in h["ports"]
                   if p["service"] == "fragile")
    address = lab.host(fragile[0])["ipv4"]

    def send(payload: str) -> str:
        done = lab.run([sys.executable, "-c", FRAGILE_PROBE, address, str(fragile[1]),
                        payload], timeout=10)
        return done.stdout.strip()

    assert send("hello") == "reply"
    assert send("\xde\xad" + "A" * 99) == "silence"  # the crash
    assert send("hello") == "silence"
    down = [s for s in lab.refresh()["services"] if s["node"] == fragile[0]]
    assert not down[0]["running"] and not lab.truth["healthy"]
    result = CliRunner().invoke(command, ["restart-service", "--name", lab.name,
                                          fragile[0], str(fragile[1])])
    assert result.exit_code == 0, result.output
    assert send("hello") == "reply"
    assert lab.refresh()["healthy"]


def _arp_scan(lab, first: str, last: str) -> list[tuple[str, str]]:
    done = lab.run(["arp-scan", "-I", "eth0", "-q", "-x", f"{first}-{last}"], timeout=30)
    assert done.returncode == 0, done.stderr
    return [tuple(line.split()[:2]) for line in done.stdout.splitlines() if line.strip()]


@pytest.mark.lab
def test_arp_sees_six_hosts_then_a_duplicate(lab):
    if shutil.which("arp-scan") is None:
        pytest.skip("arp-scan is not installed")
    hosts = lab.truth["hosts"]
    first, last = hosts[0]["ipv4"], hosts[-1]["ipv4"]
    assert sorted(_arp_scan(lab, first, last)) == sorted((h["ipv4"], h["mac"]) for h in hosts)
    result = CliRunner().invoke(command, ["add-duplicate", "--name", lab.name, "--of", "h5"])
    try:
        assert result.exit_code == 0, result.output
        twin = lab.refresh()["duplicate"]
        assert twin["of"] == "h5" and twin["ipv4"] == lab.host("h5")["ipv4"]
        answers = _arp_scan(lab, first, last)
        assert sorted(mac for ip, mac in answers if ip == twin["ipv4"]) == \
            sorted([twin["mac"], lab.host("h5")["mac"]])
    finally:
        lifecycle.remove_duplicate(lab.name)
    assert lab.refresh()["duplicate"] is None
    assert not [ns for ns in _lab_namespaces(lab.name) if ns.endswith("-dup")]


@pytest.mark.lab
def test_run_in_scanner_passes_environment_and_exit_code(lab, monkeypatch, capfd):
    monkeypatch.setenv("NETPROBE_SCOPE", "198.18.0.0/15")
    code = ("import os, sys\n"
            f"same = os.stat('/proc/self/ns/net').st_ino == os.stat('/run/netns/{lab.scanner_ns}')"
            ".st_ino\n"
            "print('scope', os.environ.get('NETPROBE_SCOPE'), 'inside', same)\n"
            "sys.exit(7)\n")
    assert lifecycle.run_in_scanner(lab.name, ["-c", code]) == 7
    assert "scope 198.18.0.0/15 inside True" in capfd.readouterr().out
    monkeypatch.delenv("NETPROBE_SCOPE")
    assert lifecycle.run_in_scanner(lab.name, ["-c", code]) == 7
    assert "scope 198.18.0.0/15,2001:db8::/32 inside True" in capfd.readouterr().out
    # Through the click command: python -m netprobe in the scanner, exit code kept.
    helped = CliRunner().invoke(command, ["run", "--name", lab.name, "--", "--help"])
    assert helped.exit_code == 0
    assert "Usage" in capfd.readouterr().out
    wrong = CliRunner().invoke(command, ["run", "--name", lab.name, "--", "no-such-command"])
    assert wrong.exit_code == 2


# --- whole lifecycles of separate labs ------------------------------------------------


@pytest.mark.lab
def test_up_status_down_leaves_nothing():
    require_lab_environment()
    name = f"{TEST_PREFIX}c{os.getpid() % 1000000}"
    runner = CliRunner()
    try:
        result = runner.invoke(command, ["up", "--name", name])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)  # not a tty: JSON
        assert report["up"] and report["elapsed_s"] < 10
        pids = report["processes"]
        assert pids and all(Path(f"/proc/{pid}").exists() for pid in pids)
        assert len(_lab_namespaces(name)) == len(report["namespaces"])
    finally:
        result = runner.invoke(command, ["down", "--name", name])
    assert result.exit_code == 0, result.output
    assert _lab_namespaces(name) == []
    assert not any(processes.is_ours(pid, name) for pid in pids)
    assert state.load(name) is None
    again = runner.invoke(command, ["down", "--name", name])
    assert isinstance(again.exception, UsageError)


@pytest.mark.lab
def test_failure_during_up_removes_what_was_created(monkeypatch):
    require_lab_environment()
    name = f"{TEST_PREFIX}f{os.getpid() % 1000000}"
    started = []
    real_launch = processes.launch

    def launch_then_fail(lab_name, ns, node):
        proc, record = real_launch(lab_name, ns, node)
        started.append(record)
        if len(started) == 3:
            raise RuntimeProblem("injected failure")
        return proc, record

    monkeypatch.setattr(processes, "launch", launch_then_fail)
    with pytest.raises(RuntimeProblem, match="injected"):
        lifecycle.up(name)
    assert _lab_namespaces(name) == [] and state.load(name) is None
    assert started and not any(processes.is_running(r) for r in started)


@pytest.mark.lab
def test_down_cleans_a_half_built_lab_from_its_state_file(monkeypatch):
    require_lab_environment()
    name = f"{TEST_PREFIX}h{os.getpid() % 1000000}"
    real_plan = lifecycle.build.plan

    def half_plan(lab_name, topology, only=None, ratelimit=True):
        return real_plan(lab_name, topology, only, ratelimit)[:3]  # namespaces, sysctls, links

    def crash(proc, record):  # the process "dies" here
        raise KeyboardInterrupt

    monkeypatch.setattr(lifecycle.build, "plan", half_plan)
    monkeypatch.setattr(processes, "wait_ready", crash)
    monkeypatch.setattr(lifecycle, "teardown", lambda current: None)
    with pytest.raises(KeyboardInterrupt):
        lifecycle.up(name)
    monkeypatch.undo()
    left = state.load(name)
    assert left is not None and left.phase == "building" and _lab_namespaces(name)
    with pytest.raises(UsageError, match="half built"):
        lifecycle.up(name)
    report = lifecycle.down(name)
    assert _lab_namespaces(name) == [] and state.load(name) is None
    assert report["processes"]  # the service processes it had started were stopped
    assert not any(processes.is_running(r) for r in left.processes)
    assert namespace(name, "scan") in report["namespaces"]
