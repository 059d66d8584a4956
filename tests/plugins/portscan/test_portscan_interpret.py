"""Results → host reports → JSON Lines records, and the same from a saved run (pure)."""

from __future__ import annotations

import pytest

from netprobe.engine.results import Result, Tag
from netprobe.engine.runfile import SavedRun, load_run, save_run
from netprobe.plugins.portscan import interpret
from netprobe.plugins.portscan.interpret import build, dominant_state, records, report
from netprobe.plugins.portscan.render import render_records
from netprobe.plugins.portscan.verdict import tcp_verdict
from netprobe.services.output import Output, json_line
from tests.plugins.portscan.portscan_samples import probe, result

COUNTERS = {"sent": 40, "received": 36, "retries": 3, "elapsed": 0.5, "rate": 80.0}


def scan_results():
    out = [result("198.18.1.11", p, "RA") for p in range(1, 31) if p not in (22, 23, 25)]
    out += [result("198.18.1.11", 22, "SA", ttl=64), result("198.18.1.11", 23, None, sends=3),
            result("198.18.1.11", 25, "icmp", code=13, ttl=63)]
    out += [result("2001:db8:1::12", p, None, sends=2) for p in (1, 2, 3)]
    out += [result("2001:db8:1::12", 80, "SA", ttl=60)]
    return out


def saved(results, **options):
    opts = {"scan": "syn", "udp": False, "all_states": False, "discovery": "none",
            "seed": 7, "shard": "1/1", **options}
    return SavedRun(plugin="portscan", argv=["x"], options=opts, counters=COUNTERS,
                    extra={"targets": 2}, results=results)


def test_host_reports():
    hosts = build(scan_results(), {"scan": "syn"})
    assert list(hosts) == ["198.18.1.11", "2001:db8:1::12"]
    h1 = hosts["198.18.1.11"]
    assert h1.ports[("tcp", 22)] == ("open", "syn-ack", 64)
    assert h1.ports[("tcp", 23)] == ("filtered", "no-response", None)
    assert h1.ports[("tcp", 25)] == ("filtered", "admin-prohibited", 63)
    assert h1.counts() == {"open": 1, "closed": 27, "filtered": 2}
    assert h1.dominant() == "closed"
    assert hosts["2001:db8:1::12"].dominant() == "filtered"


def test_records_hide_the_dominant_state():
    recs = list(report(saved(scan_results())))
    kinds = [r["type"] for r in recs]
    assert kinds == ["host", "port", "port", "port", "host", "port", "summary"]
    assert recs[0] == {"type": "host", "host": "198.18.1.11", "state": "up",
                       "reason": "user-set", "ports": {"open": 1, "closed": 27, "filtered": 2},
                       "not_shown": [{"state": "closed", "proto": "tcp", "reason": "reset",
                                      "count": 27}]}
    assert recs[1] == {"type": "port", "host": "198.18.1.11", "proto": "tcp", "port": 22,
                       "state": "open", "reason": "syn-ack", "ttl": 64, "service": "ssh"}
    assert [r["port"] for r in recs[1:4]] == [22, 23, 25]
    assert recs[5]["port"] == 80 and recs[5]["ttl"] == 60
    assert recs[-1] == {"type": "summary", "scan": "syn", "hosts": {"up": 2, "down": 0},
                        "ports": {"open": 2, "closed": 27, "filtered": 5}, "ts": None,
                        "elapsed_s": 0.5, "scanned": {}, "sent": 40, "received": 36,
                        "retries": 3, "rate": 80.0, "seed": 7, "shard": "1/1"}


def test_all_states_lists_every_port():
    recs = list(report(saved(scan_results()), {"all_states": True}))
    assert sum(1 for r in recs if r["type"] == "port") == 34


def test_dominant_state_never_open_and_ties_by_order():
    assert dominant_state({"open": 9, "closed": 1}) == "closed"
    assert dominant_state({"open": 3}) is None
    assert dominant_state({"filtered": 2, "closed": 2}) == "closed"


def test_saved_run_gives_the_same_records(tmp_path):
    run = saved(scan_results())
    live = "".join(json_line(r) for r in report(run))
    path = tmp_path / "run.pcapng"
    save_run(str(path), run.results, plugin="portscan", argv=run.argv, options=run.options,
             counters=run.counters, extra=run.extra)
    again = "".join(json_line(r) for r in report(load_run(str(path))))
    assert again == live


def test_connect_and_ping_tags():
    def connect(host, port, status, icmp=None):
        r = result(host, port, None)
        r.tag = Tag("connect", {"status": status, "errno": 0, "icmp": icmp})
        return r

    def ping(host, status):
        r = result(host, 80, None)
        r.tag = Tag("connect-ping", {"host": host, "port": 80, "status": status,
                                     "errno": 0, "icmp": None})
        return r

    rs = [connect("198.18.1.11", 22, "open"), connect("198.18.1.11", 23, "refused"),
          connect("198.18.1.11", 8443, "unreachable", [4, 3, 13, "198.18.1.11"]),
          ping("198.18.1.11", "open"), ping("198.18.1.99", "timeout")]
    hosts = build(rs, {"scan": "connect", "discovery": "connect"})
    assert (hosts["198.18.1.11"].state, hosts["198.18.1.11"].reason) == ("up", "syn-ack")
    assert hosts["198.18.1.99"].state == "down"
    assert hosts["198.18.1.11"].ports[("tcp", 8443)] == ("filtered", "admin-prohibited", None)
    recs = list(records(hosts, {"all_states": False}, {}, {}))
    assert [r["host"] for r in recs if r["type"] == "host"] == ["198.18.1.11"]
    everything = list(records(hosts, {"all_states": True}, {}, {}))
    assert [r["host"] for r in everything if r["type"] == "host"] == ["198.18.1.11",
                                                                      "198.18.1.99"]


def test_interrupted_summary_and_terminal_tables(capsys):
    run = saved(scan_results())
    run.extra["interrupted"] = True
    recs = list(report(run))
    assert recs[-1]["interrupted"] is True
    render_records(recs, Output(json=False))
    text = capsys.readouterr().out
    assert "198.18.1.11 is up (user-set)" in text
    assert "Not shown: 27 closed tcp ports (reset)" in text
    assert "22/tcp" in text and "admin-prohibited" in text
    assert "interrupted" in text.splitlines()[-1]


def test_probe_bytes_name_the_port():
    assert probe("198.18.1.11", 443)[22:24] == (443).to_bytes(2, "big")


# -- the raw TCP tally gives each result's own verdict -----------------------------------------
def _mixed(host, ports, scan="syn"):
    """Results to ``host`` with every kind of answer, in a scan-like order."""
    kinds = [("RA", 64), ("SA", 64), (None, 64), ("icmp", 63), ("SA", 60), ("R", 64)]
    return [result(host, p, kinds[i % len(kinds)][0], ttl=kinds[i % len(kinds)][1],
                   code=3 if i % 4 else 13, scan=scan) for i, p in enumerate(ports)]


def _framed(r):
    """The same result with its probe sent as an Ethernet frame (layer-2 sender)."""
    head = bytes.fromhex("02c612010b0002c6120102") + b"\x00\x08\x00"
    framed = Result(head + r.probe_bytes, 1, r.sent, r.sends, answer_bytes=r.answer_bytes,
                    answer_linktype=r.answer_linktype, received=r.received)
    framed.tag = r.tag
    return framed


def _bare_answer(r):
    """The same result with its answer as a bare IP packet (read by ``tcp_verdict``)."""
    bare = Result(r.probe_bytes, r.probe_linktype, r.sent, r.sends,
                  answer_bytes=None if r.answer_bytes is None else r.answer_bytes[14:],
                  answer_linktype=101, received=r.received)
    bare.tag = r.tag
    return bare


def _one_by_one(rs, scan):
    """The reference: ``tcp_verdict`` per result, the first answered verdict per port kept."""
    tables = {}
    for r in rs:
        if r.tag is None or r.tag.phase != "tcp":
            continue
        host, proto, port = interpret.probe_target(r.probe_bytes, r.probe_linktype)
        ports = tables.setdefault(host, {})
        verdict = tcp_verdict(scan, r.answer_bytes, r.answer_linktype)
        if (proto, port) not in ports or ports[(proto, port)][1] == "no-response":
            ports[(proto, port)] = verdict
    return [(host, list(ports.items())) for host, ports in tables.items()]


def _tables(per_host):
    return [(interpret._ntop(version, packed), list(ports.items()))
            for (version, packed), ports in per_host.items()]


@pytest.mark.parametrize("case", ["one-host", "three-hosts", "framed", "ipv6", "fin",
                                  "bare-answers"])
def test_tally_gives_each_result_its_own_verdict(case):
    scan = "fin" if case == "fin" else "syn"
    if case == "three-hosts":
        rs = [r for p in range(1, 13) for r in _mixed("198.18.1.11", [p])
              + _mixed("198.18.1.12", [p + 1]) + _mixed("198.18.1.9", [p])]
    elif case == "ipv6":
        rs = _mixed("2001:db8:1::12", range(20, 30)) + _mixed("2001:db8:1::11", range(1, 9))
    else:
        rs = _mixed("198.18.1.11", range(1, 25), scan)
    if case == "framed":
        rs = [_framed(r) for r in rs]
    if case == "bare-answers":
        rs = [_bare_answer(r) if i % 3 else r for i, r in enumerate(rs)]
    rs.insert(5, result("198.18.1.11", 99, "RA", tag="discovery"))
    per_host, rest = interpret._tally_raw_tcp(rs, scan)
    assert _tables(per_host) == _one_by_one(rs, scan)
    assert len(rest) == 1 and rest[0].tag == Tag("discovery")


def test_tally_of_mixed_and_repeated_probes():
    mixed = scan_results()  # IPv4 and IPv6 probes
    repeated = _mixed("198.18.1.11", range(1, 9)) + _mixed("198.18.1.12", [1])
    repeated += [result("198.18.1.11", 3, "SA"), result("198.18.1.11", 4, "RA")]
    framed = [_framed(r) for r in _mixed("198.18.1.11", range(1, 5))]
    for rs in (mixed, repeated, repeated[2:] + framed):
        assert _tables(interpret._tally_raw_tcp(rs, "syn")[0]) == _one_by_one(rs, "syn")
    # a port probed twice keeps its first answered verdict
    ports = interpret._tally_raw_tcp(repeated, "syn")[0][(4, bytes([198, 18, 1, 11]))]
    assert ports[("tcp", 3)] == ("open", "syn-ack", 64)  # silent first, then answered
    assert ports[("tcp", 4)] == ("filtered", "port-unreach", 63)  # answered twice
