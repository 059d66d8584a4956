"""``traceroute -i IFACE`` (issue 19: the vocabulary's interface option): probes leave by
the interface named, whatever the routes say, and answers are read there.

The lab test gives the scanner a second interface (a veth pair inside its
namespace) and a route that sends the far network into it, where nothing
answers: without ``-i`` the trace goes dark, with ``-i eth0`` it is the lab's
path again. The unit tests need no packets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from netprobe.cli import main
from netprobe.plugins.traceroute.source import answer_filter, pick_address
from tests.labfixture import LabHandle
from tests.plugins.traceroute.test_traceroute_lab import by_ttl, check_path, far


@pytest.fixture
def no_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    from netprobe.engine import api

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a session was opened")

    monkeypatch.setattr(api, "Session", refuse)


def test_an_unknown_interface_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                                      no_sending: None) -> None:
    code = main(["--json", "traceroute", "-i", "nosuch0", "198.19.2.10"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("netprobe: error: no such interface: 'nosuch0' (interfaces here: ")


def test_the_long_name_and_the_option_after_the_target(capsys: pytest.CaptureFixture[str],
                                                       no_sending: None) -> None:
    code = main(["traceroute", "198.19.2.10", "--iface", "nosuch0", "--json"])
    _, err = capsys.readouterr()
    assert code == 2 and "no such interface: 'nosuch0'" in err


def test_the_source_address_of_an_interface() -> None:
    addrs = ["198.18.1.2", "fe80::1%eth0", "2001:db8:1::2", "198.18.9.2"]
    assert pick_address(addrs, 4, "198.19.2.10") == "198.18.1.2"
    assert pick_address(addrs, 6, "2001:db8:2::10") == "2001:db8:1::2"  # global first
    assert pick_address(addrs, 6, "fe80::99") == "fe80::1"  # link-local for link-local
    assert pick_address(["fe80::1"], 6, "2001:db8:2::10") == "fe80::1"  # all there is
    assert pick_address(["198.18.1.2"], 6, "2001:db8:2::10") is None


def test_the_answer_filter_takes_every_icmp_and_the_destination() -> None:
    assert answer_filter(4, "198.19.2.10") == "icmp or src host 198.19.2.10"
    assert answer_filter(6, "2001:db8:2::10") == "icmp6 or (ip6 and src host 2001:db8:2::10)"


# -- in the lab ---------------------------------------------------------------------------------
def trace(lab: LabHandle, *args: str) -> list[dict]:
    proc = lab.netprobe("--json", "traceroute", *args, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture
def detour(lab: LabHandle) -> Iterator[str]:
    """A veth pair inside the scanner's namespace, and the far network routed into it
    (a dead end: nothing there answers); removed afterwards."""
    far4 = lab.truth["path"]["ipv4"]
    net = ".".join(far4.split(".")[:3]) + ".0/24"
    steps = [["ip", "link", "add", "np0", "type", "veth", "peer", "name", "np1"],
             ["ip", "link", "set", "np0", "up"], ["ip", "link", "set", "np1", "up"],
             ["ip", "addr", "add", "198.18.250.2/24", "dev", "np0"],
             ["ip", "route", "add", net, "dev", "np0"]]
    try:
        for argv in steps:
            done = lab.run(argv)
            assert done.returncode == 0, (argv, done.stderr)
        yield "np0"
    finally:
        lab.run(["ip", "link", "del", "np0"])  # takes np1, its address and the route


@pytest.mark.lab
def test_iface_sends_where_the_routes_do_not(lab: LabHandle, detour: str) -> None:
    dst = far(lab, 4)
    # the routes now send the far network into the dead end: nothing comes back
    dark = trace(lab, "-m", "6", "-W", "300ms", dst)
    assert dark[-1]["type"] == "path" and dark[-1]["reached"] is False
    assert all(not r["addrs"] for r in dark if r["type"] == "hop")
    # -i eth0: out by the LAN whatever the routes say, from the LAN address
    records = trace(lab, "-i", "eth0", dst)
    check_path(lab, records, 4, "udp", ecmp_both=False)
    # and -i the dead end itself: dark again
    pinned = trace(lab, "--iface", detour, "-m", "2", "-W", "300ms", dst)
    assert pinned[-1]["reached"] is False
    # an interface that is down: one line, exit 2, nothing sent
    assert lab.run(["ip", "link", "set", detour, "down"]).returncode == 0
    proc = lab.netprobe("traceroute", "-i", detour, dst)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"netprobe: error: interface {detour} is down\n"


@pytest.mark.lab
def test_iface_ipv6_and_every_method(lab: LabHandle) -> None:
    for method in ("udp", "icmp", "tcp"):
        records = trace(lab, "-6", "-P", method, "-i", "eth0", far(lab, 6))
        check_path(lab, records, 6, method, ecmp_both=False)
    assert by_ttl(records)[1]["addrs"]


@pytest.mark.lab
def test_unknown_interface_in_the_lab(lab: LabHandle) -> None:
    proc = lab.netprobe("traceroute", "-i", "eth9", far(lab, 4))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "no such interface: 'eth9'" in proc.stderr
    assert "eth0" in proc.stderr  # the interfaces there are, to choose from
