"""``lab impair`` and the stock ICMP rate limits: a lab that behaves like a network.

Unit tests check the pure parts (which port gets which delay, the commands
that splice a delay line in and out) and the relay loop itself over datagram
socket pairs: every frame arrives, in order, and never before its delay.

Tests marked ``lab`` measure the lab itself with ping and raw sockets from the
scanner namespace, with generous bounds: the round trip ``--delay`` makes, the
spread ``--jitter`` makes, the share ``--loss`` drops, a router's ICMP burst
then about one error per second, what ``status --json`` reports, and that
``down`` leaves no delay line and no namespace behind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

try:
    from tests.labfixture import (
        REFILL_SECONDS,
        TEST_PREFIX,
        WAN_ROUND_TRIP_MS,
        LabHandle,
        lab,
        real_lab,
        require_lab_environment,
        wan_lab,
    )
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.labfixture import (  # noqa: F401
        REFILL_SECONDS,
        TEST_PREFIX,
        WAN_ROUND_TRIP_MS,
        LabHandle,
        lab,
        real_lab,
        require_lab_environment,
        wan_lab,
    )

from netprobe.errors import UsageError
from netprobe.plugins.lab import delayline, lifecycle, processes, splice, state
from netprobe.plugins.lab.build import sysctls
from netprobe.plugins.lab.impair import (
    Delay,
    PortDelay,
    check_delay,
    lan_ports,
    link_delays,
    link_ends,
    parse_ratelimit,
    port_delays,
    ratelimit_sysctls,
    ruleset,
)
from netprobe.plugins.lab.topology import lab_topology

# -- pure parts ------------------------------------------------------------------------


def test_lan_delay_is_added_once_per_crossing_and_a_cable_both_ways():
    topology = lab_topology()
    ports = lan_ports(topology)
    assert {"scan", "h1", "r1"} <= set(ports) and "r2" not in ports
    lan_only = port_delays(topology, {"lan": Delay(12.5, 1.0)})
    assert [entry.port for entry in lan_only] == ports
    assert all(e.to_lan == Delay(12.5, 1.0) and not e.from_lan for e in lan_only)
    both = {e.port: e for e in port_delays(topology, {"lan": Delay(10), "h1": Delay(5)})}
    assert both["h1"] == PortDelay("h1", Delay(15), Delay(5))
    assert both["h2"] == PortDelay("h2", Delay(10), Delay())
    assert port_delays(topology, {}) == []


def test_delay_values_are_checked():
    assert check_delay(Delay(10, 10)) == Delay(10, 10)
    for bad in (Delay(-1), Delay(5, 6), Delay(20_000)):
        with pytest.raises(ValueError):
            check_delay(bad)
    assert ratelimit_sysctls(250) == ["net.ipv4.icmp_ratelimit=250",
                                      "net.ipv6.icmp.ratelimit=250"]
    built = {"net.ipv4.icmp_ratelimit": 1000, "net.ipv6.icmp.ratelimit": 100}
    assert ratelimit_sysctls("stock", built) == ["net.ipv4.icmp_ratelimit=1000",
                                                 "net.ipv6.icmp.ratelimit=100"]
    with pytest.raises(ValueError):
        ratelimit_sysctls(-1)
    assert parse_ratelimit("250") == 250 and parse_ratelimit("stock") == "stock"
    for bad in ("-5", "fast", "70000"):
        with pytest.raises(ValueError):
            parse_ratelimit(bad)


def test_stock_rate_limits_unless_asked_for_none():
    topology = lab_topology()
    for node in topology.nodes:
        assert not any("ratelimit" in key for key, _ in sysctls(node))
    r1, h1 = topology.node("r1"), topology.node("h1")
    assert ("net.ipv4.icmp_ratelimit", "0") in sysctls(r1, ratelimit=False)
    assert ("net.ipv6.icmp.ratelimit", "0") in sysctls(r1, ratelimit=False)
    assert not any("ratelimit" in key for key, _ in sysctls(h1, ratelimit=False))


def test_splice_commands_put_the_port_back():
    lines = splice.splice_in("h1")
    assert lines[0] == "link set h1 nomaster"
    assert "link add dl-h1 type veth peer name dlb-h1" in lines
    assert "link set dlb-h1 master br0" in lines
    assert splice.splice_out("h1") == ["link del dl-h1", "link set h1 master br0"]
    argv = splice.relay_argv("nplab", "nplab-sw", PortDelay("h1", Delay(12.5, 2), Delay()))
    assert argv[:4] == ["ip", "netns", "exec", "nplab-sw"]
    assert argv[argv.index("--ab") + 1] == "12.5/2" and argv[argv.index("--ba") + 1] == "0/0"
    assert processes.DELAYLINE_MODULE in argv and argv[argv.index("--lab") + 1] == "nplab"
    assert splice.netem_qdisc("eth0", Delay(10, 3)) == [
        "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", "10ms", "3ms",
        "distribution", "uniform"]
    assert splice.netem_qdisc("eth0", Delay()) == ["qdisc", "del", "dev", "eth0", "root"]


def test_a_link_gets_its_own_delay_namespace_and_its_far_end_is_rebuilt():
    topology = lab_topology()
    assert link_ends(topology, "r1-r2") == (("r1", "eth1"), ("r2", "eth0"))
    assert link_ends(topology, "farnet") == (("r4", "eth2"), ("far", "eth0"))
    phases = splice.link_splice_in("nplab", topology, "r1-r2")
    steps = [step for phase in phases for step in phase]
    assert steps[0].argv == ("ip", "netns", "add", "nplab-dl-r1-r2")
    moved = next(step for step in steps if "netns" in step.argv and "set" in step.argv)
    assert moved.argv == ("ip", "-n", "nplab-r2", "link", "set", "eth0", "netns",
                          "nplab-dl-r1-r2")
    mac = topology.node("r2").interfaces[0].mac
    assert any(mac in step.argv for step in steps)  # the new eth0 keeps r2's MAC
    restore = next(step for step in steps if step.label == "restore r2").stdin
    assert "addr add 198.18.101.2/24 dev eth0" in restore
    assert "route replace 198.19.2.0/24 nexthop via" in restore  # r2's ECMP route again
    assert splice.link_name("nplab", "nplab-dl-r1-r2") == "r1-r2"
    assert splice.link_name("nplab", "nplab-r2") is None
    out = [step for phase in splice.link_splice_out("nplab", topology, "r1-r2")
           for step in phase]
    assert out[-1].argv == ("ip", "netns", "del", "nplab-dl-r1-r2")
    assert link_delays(topology, {"r1-r2": Delay(5), "lan": Delay(3), "farnet": Delay()}) \
        == {"r1-r2": Delay(5)}
    node, script = ruleset(topology, "r1-r2", 20)
    assert node == "r2" and 'iifname "eth0"' in script and 'oifname "eth0"' in script


def test_delay_argument_parsing():
    assert delayline.parse_delay("12.5") == (12.5, 0.0)
    assert delayline.parse_delay("20/5") == (20.0, 5.0)
    for bad in ("x", "-1", "5/-2"):
        with pytest.raises(argparse.ArgumentTypeError):
            delayline.parse_delay(bad)


# -- the relay loop over socket pairs ---------------------------------------------------

RELAYS = [pytest.param(delayline.relay_python, id="python")]
if delayline.compiled_relay() is not None:
    RELAYS.append(pytest.param("compiled", id="c"))


def _run_relay(kind, a, b, delay_ab, jitter_ab, frames):
    if kind == "compiled":
        return delayline.relay(a, b, delay_ab, jitter_ab, 0.0, 0.0, 7, frames, 20.0)
    return kind(a, b, delay_ab, jitter_ab, 0.0, 0.0, 7, frames, 20.0)


@pytest.mark.parametrize("kind", RELAYS)
@pytest.mark.parametrize("delay,jitter", [(0.0, 0.0), (0.02, 0.0), (0.02, 0.01)])
def test_relay_keeps_every_frame_in_order_and_never_early(kind, delay, jitter):
    outer_a, inner_a = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    inner_b, outer_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for sock in (inner_a, inner_b):
        sock.setblocking(False)
    frames = 200
    result: list = []
    worker = threading.Thread(target=lambda: result.append(
        _run_relay(kind, inner_a, inner_b, delay, jitter, frames)))
    worker.start()
    sent_at = {}
    try:
        for number in range(frames):
            payload = number.to_bytes(4, "big") + bytes(number % 50)
            sent_at[number] = time.monotonic()
            outer_a.send(payload)
            if number % 20 == 0:
                time.sleep(0.002)
        outer_b.settimeout(10)
        got = []
        for _ in range(frames):
            data = outer_b.recv(2048)
            got.append((int.from_bytes(data[:4], "big"), len(data), time.monotonic()))
    finally:
        worker.join(30)
        for sock in (outer_a, inner_a, inner_b, outer_b):
            sock.close()
    assert [number for number, _, _ in got] == list(range(frames))
    assert all(length == 4 + number % 50 for number, length, _ in got)
    # A frame is held at least its delay minus the jitter: it never leaves early.
    assert min(at - sent_at[number] for number, _, at in got) >= delay - jitter - 0.0005
    assert result and result[0][:2] == (frames, 0) and result[0][2] == 0


@pytest.mark.parametrize("kind", RELAYS)
def test_relay_carries_more_than_its_ring_holds_intact(kind):
    # 14,000 frames of up to 1,500 bytes (~20 MB, more than twice the C ring) through
    # a 2 ms line: the ring wraps many times while frames are held
    outer_a, inner_a = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    inner_b, outer_b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for sock in (inner_a, inner_b):
        sock.setblocking(False)
    frames = 14_000
    worker = threading.Thread(target=_run_relay,
                              args=(kind, inner_a, inner_b, 0.002, 0.001, frames))
    worker.start()
    received: list[bytes] = []

    def read() -> None:
        outer_b.settimeout(10)
        while len(received) < frames:
            received.append(outer_b.recv(2048))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for number in range(frames):
            outer_a.send(number.to_bytes(4, "big") * (1 + number % 375))
    finally:
        reader.join(60)
        worker.join(60)
        for sock in (outer_a, inner_a, inner_b, outer_b):
            sock.close()
    assert len(received) == frames
    for number, data in enumerate(received):
        assert data == number.to_bytes(4, "big") * (1 + number % 375), number


# -- in the lab ---------------------------------------------------------------------------


def _ping(handle: LabHandle, address: str, count: int, interval: float = 0.05,
          node: str | None = None) -> tuple[list[float], int]:
    """(round trips in ms, replies) of ``count`` pings to ``address``."""
    done = handle.run(["ping", "-n", "-q" if count > 100 else "-n", "-c", str(count),
                       "-i", str(interval), "-W", "2", address], node=node, timeout=120)
    times = [float(t) for t in re.findall(r"time=([\d.]+) ms", done.stdout)]
    received = re.search(r"(\d+) received", done.stdout)
    return times, int(received.group(1)) if received else 0


@pytest.mark.lab
def test_wan_lab_adds_the_round_trip_it_promises(wan_lab: LabHandle):
    h1 = wan_lab.host("h1")
    times, _ = _ping(wan_lab, h1["ipv4"], 10)
    assert len(times) >= 9
    # the first may wait for ARP/ND, which crosses the LAN too: look at the typical one
    assert WAN_ROUND_TRIP_MS - 0.5 <= statistics.median(times) <= WAN_ROUND_TRIP_MS + 15
    times6, _ = _ping(wan_lab, h1["ipv6"], 5)
    assert WAN_ROUND_TRIP_MS - 0.5 <= statistics.median(times6) <= WAN_ROUND_TRIP_MS + 15
    # beyond the LAN too (scan -> r1 -> ... -> far): one LAN crossing each way
    far = wan_lab.host("far")
    times_far, _ = _ping(wan_lab, far["ipv4"], 5)
    assert WAN_ROUND_TRIP_MS - 0.5 <= statistics.median(times_far) <= WAN_ROUND_TRIP_MS + 15
    impairments = wan_lab.refresh()["impairments"]
    assert impairments["links"]["lan"]["delay_ms"] == WAN_ROUND_TRIP_MS / 2
    assert impairments["icmp_ratelimit"] == "stock"


def _limits(handle: LabHandle, node: str) -> tuple[str, str]:
    done = handle.run(["sysctl", "-n", "net.ipv4.icmp_ratelimit", "net.ipv6.icmp.ratelimit"],
                      node=node)
    return tuple(done.stdout.split())


@pytest.mark.lab
def test_up_keeps_stock_rate_limits_and_no_ratelimit_lifts_the_routers(
        real_lab: LabHandle, lab: LabHandle):
    # stock: what the kernel gives any new namespace (h1 is never changed by up)
    stock = _limits(real_lab, "h1")
    assert stock != ("0", "0")
    assert all(_limits(real_lab, r) == stock for r in ("r1", "r2", "r4"))
    assert real_lab.truth["impairments"]["icmp_ratelimit"] == "stock"
    # lab up --no-ratelimit (the session's fast lab): routers unlimited, hosts stock
    assert all(_limits(lab, r) == ("0", "0") for r in ("r1", "r2", "r4"))
    assert _limits(lab, "h1") == stock
    assert lab.truth["impairments"]["icmp_ratelimit"] == "off on routers"


@pytest.mark.lab
def test_the_fast_lab_gets_stock_router_limits_for_a_block_and_its_own_back(
        real_lab: LabHandle, lab: LabHandle):
    stock = _limits(real_lab, "r1")
    with lab.impaired(icmp_ratelimit=1000):
        assert _limits(lab, "r1") == ("1000", "1000") == _limits(lab, "r4")
        assert lab.truth["impairments"]["icmp_ratelimit_ms"]["r4"] == 1000
    assert _limits(lab, "r1") == ("0", "0") and _limits(lab, "h2") == stock
    assert lab.refresh()["impairments"]["icmp_ratelimit_ms"] == {}


@pytest.mark.lab
def test_real_lab_is_fast_without_delay(real_lab: LabHandle):
    assert real_lab.refresh()["impairments"]["links"] == {}
    times, _ = _ping(real_lab, real_lab.host("h2")["ipv4"], 5)
    assert statistics.median(times) < 5


@pytest.mark.lab
def test_delay_on_one_cable_slows_that_member_only(real_lab: LabHandle):
    with real_lab.impaired(on="h1", delay=12.5):
        slow, _ = _ping(real_lab, real_lab.host("h1")["ipv4"], 6)
        fast, _ = _ping(real_lab, real_lab.host("h2")["ipv4"], 6)
        # h1's cable: 12.5 ms each way, both directions
        assert 24.5 <= statistics.median(slow) <= 40
        assert statistics.median(fast) < 5
    after, _ = _ping(real_lab, real_lab.host("h1")["ipv4"], 4)
    assert statistics.median(after) < 5
    assert real_lab.refresh()["impairments"]["delay_line"]["processes"] == []


@pytest.mark.lab
def test_delay_and_loss_on_a_link_between_routers(real_lab: LabHandle):
    def routes() -> list[str]:
        return sorted(real_lab.run(["ip", "route"], node="r2").stdout.splitlines()
                      + real_lab.run(["ip", "-6", "route"], node="r2").stdout.splitlines())

    before = routes()
    far = real_lab.host("far")["ipv4"]
    with real_lab.impaired(on="r1-r2", delay=10):
        times, _ = _ping(real_lab, far, 6)
        near, _ = _ping(real_lab, real_lab.host("h1")["ipv4"], 3)
        assert 19.5 <= statistics.median(times) <= 35  # r1-r2 is crossed once each way
        assert statistics.median(near) < 5
        times6, _ = _ping(real_lab, real_lab.host("far")["ipv6"], 4)
        assert 19.5 <= statistics.median(times6) <= 35
        assert real_lab.refresh()["impairments"]["links"]["r1-r2"]["delay_ms"] == 10
        with real_lab.impaired(on="r1-r2", loss=30):
            _, received = _ping(real_lab, far, 300, interval=0.002)
        assert 0.35 * 300 <= received <= 0.63 * 300
    assert routes() == before  # r2 has its interface, addresses and routes back
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                                check=False).stdout
    assert f"{real_lab.name}-dl-r1-r2" not in namespaces
    times, _ = _ping(real_lab, far, 3)
    assert statistics.median(times) < 5


@pytest.mark.lab
def test_jitter_spreads_round_trips_within_its_bounds(real_lab: LabHandle):
    with real_lab.impaired(delay=20, jitter=8):
        times, _ = _ping(real_lab, real_lab.host("h5")["ipv4"], 40, interval=0.03)
    assert len(times) >= 36
    times = times[1:]  # the first waits for ARP, which crosses the LAN twice more
    # two crossings, each 20 +/- 8 ms (order kept, so never less): 24 .. 56 ms and spread
    assert min(times) >= 23.5
    assert max(times) <= 56 + 20
    assert statistics.pstdev(times) >= 2.0
    assert max(times) - min(times) >= 8


@pytest.mark.lab
def test_loss_drops_its_share_both_ways(real_lab: LabHandle):
    with real_lab.impaired(loss=30):
        _, received = _ping(real_lab, real_lab.host("h6")["ipv4"], 400, interval=0.002)
    # each exchange crosses the LAN twice: 0.7 * 0.7 = 49 % come back
    assert 0.35 * 400 <= received <= 0.63 * 400
    _, received = _ping(real_lab, real_lab.host("h6")["ipv4"], 50, interval=0.002)
    assert received == 50


# Counts ICMP time-exceeded answers to UDP probes sent with TTL 1 (r1 answers them):
# ``burst`` probes at once, then one every ``gap`` seconds for ``spread`` seconds.
_TTL_PROBE = r"""
import json, socket, sys, time
target, burst, gap, spread = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
icmp.setblocking(False)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
def drain(seen):
    while True:
        try:
            data = icmp.recv(2048)
        except BlockingIOError:
            return
        ihl = (data[0] & 15) * 4
        if data[ihl] == 11:
            seen.append(time.monotonic())
seen = []
start = time.monotonic()
for port in range(burst):
    udp.sendto(b"x", (target, 33434 + port))
time.sleep(0.3)
drain(seen)
in_burst = len(seen)
later = time.monotonic()
n = 0
while time.monotonic() - later < spread:
    udp.sendto(b"y", (target, 40000 + n)); n += 1
    time.sleep(gap)
    drain(seen)
time.sleep(0.3)
drain(seen)
print(json.dumps({"burst": in_burst, "later": len(seen) - in_burst, "later_sent": n,
                  "seconds": time.monotonic() - later}))
"""


def _ttl_probe(handle: LabHandle, burst: int, gap: float, spread: float) -> dict:
    done = handle.run([sys.executable, "-c", _TTL_PROBE, handle.host("far")["ipv4"],
                       str(burst), str(gap), str(spread)], timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.lab
def test_stock_icmp_rate_limit_is_a_burst_then_one_a_second(real_lab: LabHandle):
    time.sleep(REFILL_SECONDS)  # whatever ran before, r1's bucket is full again
    got = _ttl_probe(real_lab, burst=30, gap=0.05, spread=4.0)
    # a burst of about 6 of 30 at once, then about one a second (not 80 for 80 probes)
    assert 3 <= got["burst"] <= 12
    assert got["later_sent"] >= 40
    assert 1 <= got["later"] <= got["seconds"] * 1.5 + 3


@pytest.mark.lab
def test_icmp_ratelimit_can_be_changed_per_node(real_lab: LabHandle):
    with real_lab.impaired(on="r1", icmp_ratelimit=0):
        got = _ttl_probe(real_lab, burst=30, gap=0.05, spread=1.0)
        assert got["burst"] == 30 and got["later"] == got["later_sent"]
        doc = real_lab.refresh()
        assert doc["impairments"]["icmp_ratelimit_ms"]["r1"] == 0
    assert "r1" not in real_lab.refresh()["impairments"]["icmp_ratelimit_ms"]  # stock again
    time.sleep(1.5)
    with real_lab.impaired(on="r1", icmp_ratelimit=250):
        got = _ttl_probe(real_lab, burst=30, gap=0.02, spread=3.0)
    # a token every 250 ms: about 4 a second after the burst
    assert 3 <= got["burst"] <= 12
    assert got["seconds"] * 2 <= got["later"] <= got["seconds"] * 6 + 3


@pytest.mark.lab
def test_status_json_reports_the_impairments_in_force(real_lab: LabHandle):
    with real_lab.impaired(on="h2", delay=5, jitter=1, loss=3), \
            real_lab.impaired(on="h3", icmp_ratelimit=300):
        done = subprocess.run([sys.executable, "-m", "netprobe", "lab", "status", "--json",
                               "--name", real_lab.name], capture_output=True, text=True,
                              timeout=60, env=processes.child_environment(), check=False)
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        found = doc["impairments"]
        assert found["links"]["h2"] == {"loss_percent": 3, "delay_ms": 5.0, "jitter_ms": 1.0}
        assert found["icmp_ratelimit_ms"]["h3"] == 300
        assert found["icmp_ratelimit"] == "stock"
        assert found["delay_line"]["backend"] in (splice.USERSPACE, splice.NETEM)
        if found["delay_line"]["backend"] == splice.USERSPACE:
            lines = found["delay_line"]["processes"]
            assert [p["port"] for p in lines] == ["h2"] and lines[0]["running"]
        assert doc["impair"]["h2"] == 3 and doc["healthy"]
        # the kernel really has it
        limit = real_lab.run(["sysctl", "-n", "net.ipv4.icmp_ratelimit"], node="h3")
        assert limit.stdout.strip() == "300"
    doc = real_lab.refresh()
    assert "h2" not in doc["impairments"]["links"]
    assert doc["impairments"]["delay_line"]["processes"] == []


@pytest.mark.lab
def test_tcp_crosses_the_delay_line_whole(wan_lab: LabHandle):
    # TCP segmentation offload makes 64 KB frames: the delay line carries them as they are
    done = wan_lab.python(
        "import socket,time\n"
        f"s=socket.create_connection(({wan_lab.host('h1')['ipv4']!r},80),timeout=10)\n"
        "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n"
        "data=b''\n"
        "while True:\n"
        "    chunk=s.recv(65536)\n"
        "    if not chunk: break\n"
        "    data+=chunk\n"
        "print(data.split(b'\\r\\n')[0].decode())\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HTTP/1.")


@pytest.mark.lab
def test_bad_impairments_are_one_line_usage_errors(real_lab: LabHandle):
    with pytest.raises(UsageError, match="cannot delay 'r2'"):
        lifecycle.impair(real_lab.name, target="r2", delay=10)
    with pytest.raises(UsageError, match="jitter"):
        lifecycle.impair(real_lab.name, delay=5, jitter=10)
    with pytest.raises(UsageError, match="give --loss"):
        lifecycle.impair(real_lab.name)
    done = subprocess.run([sys.executable, "-m", "netprobe", "lab", "impair", "--name",
                           real_lab.name, "--on", "nowhere", "--delay", "5"],
                          capture_output=True, text=True, timeout=60,
                          env=processes.child_environment(), check=False)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert real_lab.refresh()["impairments"]["links"] == {}


@pytest.mark.lab
def test_down_removes_delay_lines_and_namespaces():
    require_lab_environment()
    name = f"{TEST_PREFIX}i{os.getpid()}"
    lifecycle.up(name)
    try:
        lifecycle.impair(name, delay=5, jitter=1)
        lifecycle.impair(name, target="scan", delay=2, loss=5)
        lifecycle.impair(name, target="r2-r3b", delay=1)
        relays = state.load(name).relays
        assert len(relays) == 9 and all(processes.is_running(r) for r in relays)
        assert f"{name}-dl-r2-r3b" in state.load(name).namespaces
    finally:
        report = lifecycle.down(name)
    assert {r.pid for r in relays} <= set(report["processes"])
    assert not any(processes.is_alive(r.pid) for r in relays)
    assert report["left_running"] == {}
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                            check=False).stdout
    assert f"{name}-" not in listed
    assert state.load(name) is None
