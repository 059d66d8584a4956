"""``craft``'s plan (final packets, fragments, how they are sent) and its interpretation
(records of ``--sr``, also from a saved run), without a network."""

from __future__ import annotations

from pathlib import Path

import pytest

from netprobe.engine.results import Counters, Result, Tag
from netprobe.engine.runfile import SavedRun, load_run, save_run
from netprobe.errors import UsageError
from netprobe.packet import IP, TCP, UDP, Ether, dissect
from netprobe.packet.layers.arp import ARP
from netprobe.packet.layers.icmp import ICMP
from netprobe.packet.layers.ipv6 import IPv6
from netprobe.packet.layers.link import SLL
from netprobe.plugins.craft.edit import Edits, parse_set
from netprobe.plugins.craft.interpret import probe_record, report, summary_record
from netprobe.plugins.craft.plan import craft, send_plan
from netprobe.plugins.craft.run import match_key
from netprobe.plugins.craft.source import Source, guess_linktype, linktype_of, parse_hex
from netprobe.services.output import json_line

ADDR = {"src": "198.18.1.2", "dst": "198.18.1.11"}
ADDR6 = {"src": "2001:db8:1::2", "dst": "2001:db8:1::11"}


def sources(*packets: object) -> list[Source]:
    return [Source(p, linktype_of(p)) for p in packets]


def test_sets_expand_and_number_their_units() -> None:
    out = craft(sources(IP(**ADDR) / TCP(dport=[1, 2, 3])), Edits())
    assert [c.unit for c in out] == [0, 1, 2]
    assert [c.layer[TCP].dport for c in out] == [1, 2, 3]
    assert all(c.frags == 1 and c.linktype == 101 for c in out)


def test_fragments_belong_to_their_packet() -> None:
    out = craft(sources(IP(**ADDR) / ICMP() / (b"x" * 40), IPv6(**ADDR6) / UDP() / (b"y" * 8)),
                Edits(), fragment_size=16)
    assert [(c.unit, c.frag, c.frags) for c in out] == [(0, 0, 3), (0, 1, 3), (0, 2, 3),
                                                        (1, 0, 1)]
    data = b"".join(c.build()[20:] for c in out[:3])
    assert data == (IP(**ADDR) / ICMP() / (b"x" * 40)).build()[20:]


def test_fragments_of_a_frame_keep_unset_link_addresses() -> None:
    out = craft(sources(Ether() / IP(**ADDR) / ICMP() / (b"x" * 40)), Edits(), fragment_size=16)
    assert len(out) == 3
    assert all(c.layer.is_unset("src") and c.layer.dst is None for c in out)
    assert all(c.linktype == 1 for c in out)


def test_badsum_and_fragments_break_each_fragment_header() -> None:
    from netprobe.packet.checksum import checksum

    out = craft(sources(IP(**ADDR) / UDP(dport=9) / (b"z" * 30)), Edits(badsum=True),
                fragment_size=16)
    assert len(out) == 3
    for c in out:
        assert checksum(c.build()[:20]) != 0


def test_fragment_needs_an_ip_packet() -> None:
    with pytest.raises(UsageError, match="link type"):
        craft([Source(dissect(bytes(SLL() / IP(**ADDR) / ICMP() / (b"x" * 40)), 113), 113)],
              Edits(), fragment_size=8)
    # packets without IP are left alone
    out = craft(sources(Ether() / ARP(pdst="198.18.1.11")), Edits(), fragment_size=8)
    assert len(out) == 1


def test_limit_counts_packets_before_anything_is_made() -> None:
    with pytest.raises(UsageError, match="--limit 10"):
        craft(sources(IP(**ADDR) / TCP(dport=range(100))), Edits(), limit=10)


def test_edits_apply_to_expressions_and_report_missing_layers() -> None:
    out = craft(sources(IP(**ADDR) / TCP(dport=1)), Edits(changes=[parse_set("TCP.dport=[5,6]")]))
    assert [c.layer[TCP].dport for c in out] == [5, 6]
    with pytest.raises(UsageError, match="no packet has a UDP layer"):
        craft(sources(IP(**ADDR) / TCP()), Edits(changes=[parse_set("UDP.dport=5")]))


# -- how packets are sent ------------------------------------------------------------------------
def test_send_plan_layers() -> None:
    assert send_plan(craft(sources(Ether() / IP(**ADDR)), Edits())).layer2 is True
    assert send_plan(craft(sources(IP(**ADDR) / TCP()), Edits())).layer2 is False
    assert send_plan(craft(sources(IPv6(**ADDR6) / TCP()), Edits())).layer2 is False
    cooked = Source(dissect(bytes(SLL() / IP(**ADDR) / TCP()), 113), 113, True)
    plan = send_plan(craft([cooked], Edits()))
    assert plan.layer2 is False
    assert type(plan.packets[0]).__name__ == "IP"  # sent from its IP header
    assert plan.packets[0].underlayer is None


@pytest.mark.parametrize("packet", [TCP(dport=80), ARP(pdst="198.18.1.11"), UDP()])
def test_what_cannot_be_sent(packet: object) -> None:
    with pytest.raises(UsageError, match="cannot send a packet that starts with"):
        send_plan(craft(sources(packet), Edits()))


def test_frames_and_ip_packets_do_not_mix() -> None:
    with pytest.raises(UsageError, match="mix"):
        send_plan(craft(sources(Ether() / IP(**ADDR), IP(**ADDR)), Edits()))


def test_match_key_ignores_the_link_addresses_the_sender_fills() -> None:
    a = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(**ADDR)).build()
    b = (Ether() / IP(**ADDR)).build()
    assert match_key(a, True) == match_key(b, True)
    assert match_key(a, False) != match_key(b, False)


# -- hex input ------------------------------------------------------------------------------------
def test_hex_guesses_its_link_type() -> None:
    ip = (IP(**ADDR) / TCP()).build()
    ip6 = (IPv6(**ADDR6) / TCP()).build()
    eth = (Ether(src="45:00:00:00:00:01", dst="45:00:00:00:00:02") / IP(**ADDR)).build()
    assert guess_linktype(ip) == 101
    assert guess_linktype(ip6) == 101
    assert guess_linktype(eth) == 1
    src = parse_hex(" ".join(f"{b:02x}" for b in ip))
    assert src.from_bytes and src.linktype == 101 and src.layer.build() == ip
    assert parse_hex(ip.hex(), linktype=1).linktype == 1


@pytest.mark.parametrize(("text", "why"), [("zz", "'z' is not a hex digit"),
                                           ("abc", "odd number"), ("", "no hex digits"),
                                           (" : ", "no hex digits")])
def test_bad_hex(text: str, why: str) -> None:
    with pytest.raises(UsageError, match=why):
        parse_hex(text)


# -- interpretation -------------------------------------------------------------------------------
def _result(n: int, frag: int = 0, frags: int = 1, answered: bool = True) -> Result:
    probe = (IP(**ADDR) / TCP(sport=1000, dport=n, flags="S")).build()
    answer = (Ether(src="02:00:00:00:00:0b", dst="02:00:00:00:00:02")
              / IP(src=ADDR["dst"], dst=ADDR["src"]) / TCP(sport=n, dport=1000, flags="SA",
                                                           ack=1)).build()
    r = Result(probe, 101, 1000.0 + n, sends=1,
               answer_bytes=answer if answered else None, answer_linktype=1,
               received=1000.0 + n + 0.00125 if answered else None)
    r.tag = Tag("probe", {"n": n, "round": 0, "unit": n - 1, "frag": frag, "frags": frags})
    return r


def test_probe_records() -> None:
    rec = probe_record(_result(1), {"hex": True})
    assert rec["type"] == "probe" and rec["n"] == 1
    assert rec["rtt_ms"] == 1.25
    assert rec["sent"]["linktype"] == 101 and rec["answer"]["linktype"] == 1
    assert [x["layer"] for x in rec["answer"]["layers"]] == ["Ether", "IP", "TCP"]
    assert rec["sent"]["ts"] == 1001.0
    assert "hex" in rec["sent"]
    rec = probe_record(_result(2, answered=False), {"hex": False})
    assert rec["answer"] is None and rec["rtt_ms"] is None and "hex" not in rec["sent"]
    assert "fragments" not in rec
    assert probe_record(_result(3, 0, 4), {})["fragments"] == 4


def test_report_hides_later_fragments_and_sums_up() -> None:
    results = [_result(1, 0, 2), _result(1, 1, 2, answered=False), _result(2, answered=False)]
    saved = SavedRun(plugin="craft", counters={"sent": 3, "retries": 0, "elapsed": 2.5},
                     results=results)
    records = list(report(saved, {}))
    assert [r["type"] for r in records] == ["probe", "probe", "summary"]
    assert [r["n"] for r in records[:2]] == [1, 2]
    assert records[-1] == {"type": "summary", "probes": 2, "answered": 1, "unanswered": 1,
                           "packets_sent": 3, "retries": 0, "elapsed_s": 2.5}
    assert all("hex" not in r["sent"] for r in report(saved, {"hex": False}) if "sent" in r)


def test_a_saved_run_reprints_the_same_records(tmp_path: Path) -> None:
    results = [_result(2), _result(1, answered=False)]
    counters = Counters(sent=2, matched=1, elapsed=2.0123456)
    live = [probe_record(r, {"hex": True}) for r in results]
    live.append(summary_record(results, counters.to_dict()))
    path = tmp_path / "run.pcapng"
    save_run(str(path), results, plugin="craft", argv=["craft", "x"], options={"hex": True},
             counters=counters)
    again = list(report(load_run(str(path)), {}))
    assert [json_line(r) for r in again] == [json_line(r) for r in live]


def test_text_lines() -> None:
    from netprobe.plugins.craft.render import record_line, summary_line

    line = record_line(probe_record(_result(22), {"hex": True}))
    assert line.startswith("22 IP 198.18.1.2:1000 > 198.18.1.11:22 TCP [S]")
    assert "  ==>  IP 198.18.1.11:22 > 198.18.1.2:1000 TCP [SA]" in line
    assert line.endswith("(1.250 ms)")
    lost = probe_record(_result(23, 0, 3, answered=False), {"hex": True})
    assert record_line(lost).endswith("[3 fragments]  ==>  no answer")
    # without hex, the layer names stand in
    bare = record_line(probe_record(_result(24), {"hex": False}))
    assert bare.startswith("24 IP / TCP  ==>  Ether / IP / TCP")
    assert summary_line({"probes": 1, "answered": 1, "unanswered": 0, "packets_sent": 1,
                         "retries": 0, "elapsed_s": 0.5}) == (
        "1 probe: 1 answered, 0 without answer (1 packet sent, 0 retries) in 0.500 s")
    assert summary_line({"probes": 2, "answered": 0, "unanswered": 2, "packets_sent": 4,
                         "retries": 2, "elapsed_s": None}).startswith("2 probes: 0 answered")


def test_deleting_the_link_layer_changes_the_link_type() -> None:
    frame = Source(dissect((Ether() / IP(**ADDR) / TCP()).build(), 1), 1, True)
    (c,) = craft([frame], Edits(deletions=["Ether"]))
    assert c.linktype == 101
    assert c.build() == (IP(**ADDR) / TCP()).build()
    assert send_plan([c]).layer2 is False
