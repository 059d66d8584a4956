"""Hop assembly and the terminal form, on hand-written outcomes."""

from __future__ import annotations

import pytest

from netprobe.plugins.traceroute.hops import Outcome, assemble, hop_record, terminal_ttl
from netprobe.plugins.traceroute.interpret import records
from netprobe.plugins.traceroute.plan import TraceOptions
from netprobe.plugins.traceroute.render import hop_line, multipath_line, round_row, text_lines

DST = "198.19.2.10"
TE = "time-exceeded"
LABEL = {"label": 16004, "tc": 0, "s": 1, "ttl": 1}


def o(ttl: int, addr: str | None, kind: str | None = TE, rtt: float | None = 1.0, n: int = 0,
      **kw: object) -> Outcome:
    if addr is None:
        kind, rtt = None, None
    return Outcome(ttl=ttl, addr=addr, kind=kind, rtt_ms=rtt, n=n, **kw)  # type: ignore[arg-type]


def lab_like() -> list[Outcome]:
    out = []
    n = 0
    for q in range(3):
        for ttl, addr, kind in ((1, "r1", TE), (2, "r2", TE), (3, "r3", TE), (4, None, None),
                                (5, DST, "port-unreach"), (6, DST, "port-unreach")):
            out.append(o(ttl, addr, kind, rtt=0.1 * ttl + q, n=n))
            n += 1
    return out


def test_hops_run_to_the_destination_with_stars_for_the_silent() -> None:
    path = assemble(lab_like(), DST)
    assert [h.ttl for h in path.hops] == [1, 2, 3, 4, 5]
    assert path.reached and path.end == 5
    assert path.hops[3].addrs == [] and len(path.hops[3].probes) == 3
    assert [p.rtt_ms for p in path.hops[0].probes] == [0.1, 1.1, 2.1]  # planned order


def test_the_first_terminal_answer_ends_the_path() -> None:
    out = [o(1, "r1"), o(2, "r2", "!H"), o(3, DST, "port-unreach")]
    path = assemble(out, DST)
    assert path.end == 2 and [h.ttl for h in path.hops] == [1, 2]
    assert not path.reached  # a router said host unreachable
    assert terminal_ttl(out) == 2


def test_an_unreachable_from_the_destination_still_reaches_it() -> None:
    path = assemble([o(1, "r1"), o(2, DST, "!X")], DST)
    assert path.reached and path.end == 2


def test_without_an_end_the_path_stops_where_it_goes_dark() -> None:
    out = [o(1, "r1"), o(2, None), o(3, "r3"), o(4, None), o(5, None)]
    path = assemble(out, DST)
    assert [h.ttl for h in path.hops] == [1, 2, 3, 4]
    assert not path.reached and path.end is None
    assert [h.ttl for h in assemble([o(1, None), o(2, None)], DST).hops] == [1]
    assert [h.ttl for h in assemble([o(1, "r1"), o(2, "r2")], DST).hops] == [1, 2]


def test_first_ttl_and_distance_probes_are_respected() -> None:
    out = [o(1, "r1"), o(2, "r2"), o(3, DST, "echo-reply"),
           Outcome(ttl=30, role="distance", addr=DST, kind="echo-reply", rtt_ms=1.0)]
    path = assemble(out, DST, first=2)
    assert [h.ttl for h in path.hops] == [2, 3]
    assert path.reached


def test_addresses_keep_first_answer_order_and_mpls_is_deduplicated() -> None:
    out = [o(3, "b", n=0, mpls=(LABEL,)), o(3, "a", n=1), o(3, "b", n=2, mpls=(LABEL,)),
           o(3, None, n=3), o(4, DST, "echo-reply", n=4)]
    hop = assemble(out, DST).hops[2]
    assert hop.addrs == ["b", "a"]
    assert hop.mpls == [{"addr": "b", "labels": [LABEL]}]
    assert hop.answered == 3


def test_rounds_statistics() -> None:
    out = [o(1, "r1", rtt=r, n=i, round=i) for i, r in enumerate((1.0, 2.0, 3.0))]
    out += [o(1, None, n=9, round=3)]
    stats = assemble(out, DST).hops[0].stats()
    assert stats == {"rounds": 4, "sent": 4, "received": 3, "loss_pct": 25.0, "rtt_min_ms": 1.0,
                     "rtt_avg_ms": 2.0, "rtt_max_ms": 3.0, "rtt_stddev_ms": 0.816,
                     "rtt_last_ms": 3.0}


def test_hop_record_shape() -> None:
    hop = assemble([o(1, "r1", n=0, flow=4), o(1, None, n=1, flow=5)], DST).hops[0]
    assert hop_record(hop) == {"type": "hop", "ttl": 1,
                               "probes": [{"addr": "r1", "rtt_ms": 1.0, "reply": TE},
                                          {"addr": None, "rtt_ms": None, "reply": None}],
                               "addrs": ["r1"], "mpls": [], "rate_limited": False}
    assert hop_record(hop, rate_limited=True)["rate_limited"] is True
    assert [p["flow"] for p in hop_record(hop, with_flow=True)["probes"]] == [4, 5]
    assert hop_record(hop, with_stats=True)["loss_pct"] == 50.0


def test_records_end_with_the_path() -> None:
    opts = TraceOptions(dst=DST, target="far")
    recs = list(records(lab_like(), opts, {"elapsed": 0.1234}))
    assert [r["type"] for r in recs] == ["hop"] * 5 + ["path"]
    assert recs[-1] == {"type": "path", "dst": DST, "reached": True, "hops": 5,
                        "target": "far", "family": 4, "method": "udp", "port": 33434,
                        "flow": 0, "first": 1, "max_ttl": 30, "multipath": False,
                        "confidence": 0.95, "rounds": 1, "probes": 18, "answered": 15,
                        "elapsed_s": 0.123}


def test_lines_like_traceroute() -> None:
    opts = TraceOptions(dst=DST, target="far")
    lines = text_lines(records(lab_like(), opts, {}), opts)
    assert lines[0] == ("traceroute to far (198.19.2.10), 30 hops max, udp probes to port "
                        "33434, Paris flow 0")
    assert lines[1] == " 1  r1  0.100 ms  1.100 ms  2.100 ms"
    assert lines[4] == " 4  * * *"
    assert lines[5] == " 5  198.19.2.10  0.500 ms  1.500 ms  2.500 ms"


@pytest.mark.parametrize(("probes", "line"), [
    ([("a", 1.0, TE), ("b", 2.0, TE), ("b", 3.0, TE)], " 3  a  1.000 ms b  2.000 ms  3.000 ms"),
    ([(None, None, None), ("a", 1.5, "!H"), (None, None, None)], " 3  * a  1.500 ms !H *"),
])
def test_hop_line_names_each_new_address_and_flags(probes: list, line: str) -> None:
    hop = {"ttl": 3, "probes": [{"addr": a, "rtt_ms": r, "reply": k} for a, r, k in probes],
           "mpls": []}
    assert hop_line(hop) == line


def test_mpls_labels_print_like_traceroute_e() -> None:
    hop = {"ttl": 2, "probes": [{"addr": "r2", "rtt_ms": 1.0, "reply": TE}],
           "mpls": [{"addr": "r2", "labels": [LABEL, {**LABEL, "label": 7, "s": 0}]}]}
    assert hop_line(hop) == " 2  r2 <MPLS:L=16004,E=0,S=1,T=1/L=7,E=0,S=0,T=1>  1.000 ms"


def test_multipath_line_counts_probes_per_address() -> None:
    hop = {"ttl": 3, "addrs": ["a", "b"], "mpls": [],
           "probes": [{"addr": "a", "rtt_ms": 1.0, "reply": TE},
                      {"addr": "b", "rtt_ms": 3.0, "reply": TE},
                      {"addr": "a", "rtt_ms": 2.0, "reply": TE},
                      {"addr": None, "rtt_ms": None, "reply": None}]}
    assert multipath_line(hop) == " 3  a (2) b (1) * (1)   1.000/2.000/3.000 ms"


def test_round_row_like_mtr() -> None:
    hop = {"ttl": 4, "addrs": [], "loss_pct": 100.0, "sent": 10, "rtt_last_ms": None,
           "rtt_avg_ms": None, "rtt_min_ms": None, "rtt_max_ms": None, "rtt_stddev_ms": None}
    assert round_row(hop) == [4, "???", "100.0%", 10, "", "", "", "", ""]
    hop.update(addrs=["a"], loss_pct=0.0, rtt_last_ms=12.345, rtt_avg_ms=0.5, rtt_min_ms=0.25,
               rtt_max_ms=1.0, rtt_stddev_ms=0.1)
    assert round_row(hop) == [4, "a", "0.0%", 10, "12.3", "0.50", "0.25", "1.00", "0.10"]


def test_a_destination_placed_by_the_distance_probe_ends_the_path() -> None:
    out = [o(1, "r1"), o(2, None), o(3, None),
           Outcome(ttl=30, role="distance", addr=DST, kind="port-unreach", rtt_ms=1.0,
                   quoted_ttl=28)]
    path = assemble(out, DST)
    assert [h.ttl for h in path.hops] == [1, 2, 3]
    assert path.reached and path.end == 3
    # a router's error says nothing about the destination
    out[-1] = Outcome(ttl=30, role="distance", addr="r9", kind="!N", rtt_ms=1.0, quoted_ttl=28)
    assert not assemble(out, DST).reached
