"""Command line → scan plan, and every bad input as one line with exit 2 or 3 (no packets)."""

from __future__ import annotations

import pytest

from netprobe.cli import main
from netprobe.errors import UsageError
from netprobe.plugins.portscan.plan import choose_scans, make_plan, parse_duration

BASE = dict(targets=["198.18.1.11"], input_file=None, excludes=[], exclude_file=None,
            ports="22,80", top=None, scan_flags=[], privileged=True, skip_discovery=True,
            template=None, seed=1, shard=None, rate=None, min_rate=None, max_rate=None,
            max_retries=None, max_time=None, all_states=False, iface=None, ipv6=False)


def plan(**changes):
    return make_plan(**{**BASE, **changes})


def test_default_scan_type_follows_privileges():
    assert choose_scans([], True) == ("syn", False, False)
    assert choose_scans([], False) == ("connect", False, False)
    assert choose_scans(["sU"], False) == (None, True, False)
    assert choose_scans(["sS", "sU"], True) == ("syn", True, False)
    assert choose_scans(["sn"], True) == (None, False, True)


@pytest.mark.parametrize("flags", [["sS", "sT"], ["sF", "sX"], ["sA", "sN", "sU"],
                                   ["sn", "sS"], ["sn", "sU"]])
def test_conflicting_scan_types(flags):
    with pytest.raises(UsageError):
        choose_scans(flags, True)


def test_plan_ports_per_protocol():
    p = plan(ports="T:22,80,U:53", scan_flags=["sS", "sU"])
    assert (p.scan, p.udp, p.tcp_ports, p.udp_ports) == ("syn", True, [22, 80], [53])
    with pytest.raises(UsageError, match="no UDP ports"):
        plan(ports="T:22", scan_flags=["sU"])
    with pytest.raises(UsageError, match="no TCP ports"):
        plan(ports="U:53")


def test_plan_files_and_exclusions(tmp_path):
    targets = tmp_path / "targets.txt"
    targets.write_text("198.18.1.0/29\n# comment\n198.18.1.20\n")
    excludes = tmp_path / "exclude.txt"
    excludes.write_text("198.18.1.0\n198.18.1.7\n")
    p = plan(targets=[], input_file=str(targets), exclude_file=str(excludes),
             excludes=["198.18.1.20,198.18.1.3"])
    assert p.targets.addresses(4) == ["198.18.1.1", "198.18.1.2", "198.18.1.4", "198.18.1.5",
                                      "198.18.1.6"]


def test_plan_seed_shard_and_timing():
    p = plan(seed=None, shard="2/3", template=4, max_retries=1, max_time="2m")
    assert isinstance(p.seed, int) and str(p.shard) == "2/3"
    assert p.timing.name == "aggressive" and p.timing.max_retries == 1
    assert p.max_time == 120.0


def test_durations():
    assert parse_duration("90") == 90 and parse_duration("250ms") == 0.25
    assert parse_duration("1.5h") == 5400
    for bad in ("0", "-1", "x", "5d"):
        with pytest.raises(UsageError):
            parse_duration(bad)


@pytest.mark.parametrize("args,code", [
    (["-p", "0", "198.18.1.1"], 2), (["-p", "65536", "198.18.1.1"], 2),
    (["-p", "a-b", "198.18.1.1"], 2), (["198.18.1.256"], 2), (["198.18.1.5-2"], 2),
    (["--exclude", "198.18.1.0/24", "198.18.1.9"], 2),
    (["-iL", "/nonexistent/targets"], 2), (["--exclude-file", "/nonexistent", "198.18.1.1"], 2),
    (["--shard", "5/4", "198.18.1.1"], 2), (["--shard", "0/4", "198.18.1.1"], 2),
    (["-sS", "-sT", "198.18.1.1"], 2), (["-sn", "-sA", "198.18.1.1"], 2),
    (["-T", "6", "198.18.1.1"], 2), ([], 2), (["--rate", "0", "198.18.1.1"], 2),
    (["--min-rate", "10", "--max-rate", "5", "198.18.1.1"], 2),
    (["--max-time", "soon", "198.18.1.1"], 2), (["-6", "198.18.1.1"], 2),
    (["203.0.113.9"], 2),  # outside the scope: refused before anything is sent
])
def test_bad_input_is_one_line_and_exit_2(args, code, capsys, monkeypatch):
    monkeypatch.setenv("NETPROBE_SCOPE", "198.18.0.0/15,2001:db8::/32")
    assert main(["portscan", *args]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "".join(err)
    assert err[-1].startswith(("netprobe: error:", "Error:"))


def test_raw_scans_without_privileges_suggest_connect(capsys, monkeypatch):
    import netprobe.wire.privileges as privileges

    monkeypatch.setattr(privileges, "can_open_raw_sockets", lambda: False)
    monkeypatch.setenv("NETPROBE_SCOPE", "198.18.0.0/15")
    assert main(["portscan", "-sF", "-p", "22", "198.18.1.11"]) == 3
    err = capsys.readouterr().err
    assert "-sT" in err and err.count("\n") == 1
