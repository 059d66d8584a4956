"""Fuzz cases: deterministic bytes, field-aware mutations, intact lengths and checksums.

No network: cases are made and checked in memory (and, for "across runs",
by ``netprobe fuzz --dry-run`` in two separate processes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.errors import UsageError
from netprobe.packet import dissect, dissect_as
from netprobe.packet.checksum import checksum, pseudo_header_v4, pseudo_header_v6
from netprobe.plugins.fuzz.cases import CaseMaker, load_template, read_field
from netprobe.plugins.fuzz.targets import STRATEGIES, select

REPO = Path(__file__).resolve().parents[3]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")

SRC, DST, DST6 = "198.18.1.2", "198.18.1.12", "2001:db8:1::12"
NINE_ZEROS = "\\x00" * 9  # a security option's data, written as the expression writes it
TCP_OPTS = '[("MSS",1460),("NOP",None),("WScale",7),("SAckOK",b""),("Timestamp",(1,2))]'
TEMPLATES = {
    "dns": f'IP(src="{SRC}",dst="{DST}")/UDP(sport=4000,dport=53)/'
           'DNS(qd=[DNSQR(qname="www.example.com"),DNSQR(qname="a.example",qtype=28)],'
           'an=[DNSRR(rrname="www.example.com",rdata="198.18.9.9")])',
    "tcp-options": f'IP(src="{SRC}",dst="{DST}")/TCP(dport=80,options={TCP_OPTS})/b"GET /"',
    "ip-options": f'IP(src="{SRC}",dst="{DST}",options=[(130,b"{NINE_ZEROS}"),1,1])/'
                  'UDP(dport=9999)/b"hello"',
    "udp-raw": f'IP(src="{SRC}",dst="{DST}")/UDP(sport=40000,dport=9999)/Raw(load=b"hello")',
    "icmp": f'IP(src="{SRC}",dst="{DST}")/ICMP(id=7,seq=1)/b"ping data"',
    "ipv6-udp": f'IPv6(src="2001:db8:1::2",dst="{DST6}")/UDP(dport=9999)/b"hello six"',
    "ether": f'Ether(src="02:00:00:00:00:01",dst="02:00:00:00:00:02")/'
             f'IP(src="{SRC}",dst="{DST}")/TCP(dport=22,options=[("MSS",1400)])',
    "dns-tcp": f'IP(src="{SRC}",dst="{DST}")/TCP(sport=5353,dport=53,flags="PA")/'
               'DNS(qd=DNSQR(qname="example.org",qtype=15))',
}


def maker(name: str, seed: int = 1, *, fields: list[str] | None = None,
          keep_invalid: bool = False, strategies: tuple[str, ...] = STRATEGIES) -> CaseMaker:
    template = load_template(TEMPLATES[name])
    targets = select(template.chain, template.targets, fields or [],
                     keep_invalid=keep_invalid, strategies=strategies)
    return CaseMaker(template, targets, seed)


def check_integrity(data: bytes) -> None:
    """Lengths and checksums of IPv4/IPv6 and UDP/TCP agree with the bytes (Ether skipped)."""
    if data[12:14] == b"\x08\x00" and data[0] != 0x45:
        data = data[14:]  # an Ethernet frame of the "ether" template
    if data[0] >> 4 == 6:
        plen = int.from_bytes(data[4:6], "big")
        assert plen == len(data) - 40
        proto, seg = data[6], data[40:]
        ph = pseudo_header_v6(data[8:24], data[24:40], proto, len(seg))
    else:
        ihl = (data[0] & 0x0F) * 4
        assert 20 <= ihl <= 60
        assert int.from_bytes(data[2:4], "big") == len(data)
        assert checksum(data[:ihl]) == 0, "IP header checksum"
        proto, seg = data[9], data[ihl:]
        ph = pseudo_header_v4(data[12:16], data[16:20], proto, len(seg))
    if proto == 17:
        assert int.from_bytes(seg[4:6], "big") == len(seg), "UDP length"
        assert checksum(ph + seg) == 0, "UDP checksum"
    elif proto == 6:
        assert 20 <= (seg[12] >> 4) * 4 <= len(seg), "TCP data offset"
        assert checksum(ph + seg) == 0, "TCP checksum"
    elif proto == 1:
        assert checksum(seg) == 0, "ICMP checksum"


def test_same_seed_same_bytes_and_any_case_alone():
    first = [c.data for c in maker("dns", 42).cases(0, 300)]
    again = maker("dns", 42)
    # made in another order, each on its own: the same bytes
    for i in reversed(range(300)):
        assert again.case(i).data == first[i]
    assert [c.data for c in maker("dns", 42).cases(150, 20)] == first[150:170]


def test_different_seeds_differ():
    a = [c.data for c in maker("tcp-options", 1).cases(0, 200)]
    b = [c.data for c in maker("tcp-options", 2).cases(0, 200)]
    assert a != b
    assert sum(x != y for x, y in zip(a, b)) > 150
    assert len(set(a)) > 100  # the cases of one seed differ from one another too


def _dry_run(*args: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "netprobe", "fuzz", *args, "--dry-run",
                           "--json"], capture_output=True, text=True, timeout=120, env=ENV,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_same_cases_byte_for_byte_across_processes_and_with_start():
    expr = TEMPLATES["tcp-options"]
    one = _dry_run(expr, "--seed", "777", "--count", "60")
    two = _dry_run(expr, "--seed", "777", "--count", "60")
    assert [r["hex"] for r in one] == [r["hex"] for r in two]
    assert [r["mutations"] for r in one] == [r["mutations"] for r in two]
    part = _dry_run(expr, "--seed", "777", "--start", "45", "--count", "15")
    assert [r["case"] for r in part] == list(range(45, 60))
    assert [r["hex"] for r in part] == [r["hex"] for r in one[45:]]
    other = _dry_run(expr, "--seed", "778", "--count", "60")
    assert [r["hex"] for r in other] != [r["hex"] for r in one]
    # and what this process makes is what the other processes made
    assert [c.data.hex() for c in maker("tcp-options", 777).cases(0, 60)] == \
        [r["hex"] for r in one]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("keep_invalid", [False, True])
def test_every_case_dissects_and_stays_valid_unless_asked(name, keep_invalid):
    m = maker(name, 9, fields=["all"] if keep_invalid else None, keep_invalid=keep_invalid)
    cls = type(m.template.packet)
    changed = 0
    broken = 0
    for case in m.cases(0, 600):
        # our dissectors never crash, whatever the case holds
        pkt = dissect_as(cls, case.data)
        pkt.summary()
        pkt.to_dicts()
        linktype = 1 if name == "ether" else 101
        dissect(case.data, linktype).summary()
        assert case.mutations and all(m_["strategy"] in STRATEGIES for m_ in case.mutations)
        changed += case.data != m.base
        if keep_invalid:
            try:
                check_integrity(case.data)
            except AssertionError:
                broken += 1
        else:
            check_integrity(case.data)
    assert changed > 500  # a mutation that changes nothing is rare
    if keep_invalid:
        assert broken > 0  # --keep-invalid does give broken lengths or checksums


def test_boundary_and_lie_values_reach_the_wire():
    m = maker("dns", 3, fields=["UDP.sport", "DNS.qdcount", "DNS.id"],
              strategies=("boundary", "lie"))
    seen_sport, seen_count = set(), set()
    for case in m.cases(0, 400):
        dns_at = 28
        for mut in case.mutations:
            if mut["field"] == "UDP.sport":
                assert int.from_bytes(case.data[20:22], "big") == mut["value"]
                seen_sport.add(mut["value"])
            elif mut["field"] == "DNS.qdcount":
                assert int.from_bytes(case.data[dns_at + 4:dns_at + 6], "big") == mut["value"]
                assert mut["value"] != 2  # a count that lies: the template has two questions
                seen_count.add(mut["value"])
        check_integrity(case.data)
    assert {0, 1, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF} <= seen_sport
    assert {0, 1, 3, 4, 0xFFFF} <= seen_count


def test_option_and_list_shuffling_lies_and_truncation():
    m = maker("tcp-options", 5, fields=["TCP.options"])
    strategies = set()
    for case in m.cases(0, 300):
        tcp = dissect(case.data, 101).getlayer("TCP")
        assert tcp is not None
        for mut in case.mutations:
            strategies.add(mut["strategy"])
            if mut["strategy"] == "shuffle":
                names = [o[0] for o in tcp.options if o[0] != "EOL"]
                assert sorted(map(str, names)) == sorted(
                    ["MSS", "NOP", "WScale", "SAckOK", "Timestamp"]) and names != [
                    "MSS", "NOP", "WScale", "SAckOK", "Timestamp"]
            if mut["strategy"] == "lie":
                assert case.data[40 + mut["offset"]] == mut["value"] != mut["was"]
    assert {"shuffle", "truncate", "grow", "lie", "bitflip"} <= strategies


def test_list_items_of_layers_are_fuzzed_field_by_field():
    m = maker("dns", 4, fields=["DNS.qd"], strategies=("boundary",))
    items = [mut for case in m.cases(0, 200) for mut in case.mutations if "item_field" in mut]
    assert {mut["item_field"] for mut in items} >= {"qtype", "qclass"}


def test_raw_bytes_grow_truncate_and_flip():
    m = maker("udp-raw", 6, fields=["Raw.load"])
    lengths = set()
    for case in m.cases(0, 300):
        lengths.add(len(case.data))
        check_integrity(case.data)
        mut = case.mutations[0]
        if mut["strategy"] == "bitflip":
            load = case.data[28:]
            flipped = int.from_bytes(load, "big") ^ int.from_bytes(b"hello", "big")
            assert bin(flipped).count("1") == len(mut["bits"])
    assert min(lengths) < 33 < max(lengths)


def test_fixed_field_patch_matches_the_layer_value():
    m = maker("tcp-options", 8, fields=["TCP.window", "TCP.flags", "TCP.seq"])
    for case in m.cases(0, 100):
        tcp = dissect(case.data, 101).getlayer("TCP")
        for mut in case.mutations:
            name = mut["field"].split(".")[1]
            assert int(getattr(tcp, name)) == mut["value"]
            assert read_field(case.data, 20, type(tcp).field_offsets[name]) == mut["value"]


def test_default_fields_leave_addresses_dport_and_integrity_alone():
    template = load_template(TEMPLATES["dns"])
    names = [t.name for t in select(template.chain, template.targets, [],
                                    keep_invalid=False, strategies=STRATEGIES)]
    assert "UDP.sport" in names and "DNS.qd" in names and "DNS.qdcount" in names
    for never in ("IP.dst", "IP.src", "UDP.dport", "UDP.len", "UDP.chksum", "IP.ttl"):
        assert never not in names
    invalid = [t.name for t in select(template.chain, template.targets, [],
                                      keep_invalid=True, strategies=STRATEGIES)]
    assert "UDP.len" in invalid and "UDP.chksum" in invalid and "IP.dst" not in invalid


@pytest.mark.parametrize("fields, strategies, message", [
    (["IP.dst"], STRATEGIES, "addresses are never fuzzed"),
    (["UDP.len"], STRATEGIES, "--keep-invalid"),
    (["DNS.nope"], STRATEGIES, "has no field"),
    (["HTTP"], STRATEGIES, "no layer"),
    (["UDP.sport"], ("shuffle",), "none of the strategies"),
])
def test_bad_field_choices_are_usage_errors(fields, strategies, message):
    template = load_template(TEMPLATES["dns"])
    with pytest.raises(UsageError, match=message):
        select(template.chain, template.targets, fields, keep_invalid=False,
               strategies=strategies)


def test_a_packet_set_is_refused():
    with pytest.raises(UsageError, match="set of 2 packets"):
        load_template(f'IP(src="{SRC}",dst="{DST}")/UDP(dport=[1,2])')
