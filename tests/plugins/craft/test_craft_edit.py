"""``craft``'s edits without a network: --set/--del/--flags parsing and application,
lengths and checksums computed again, checksums broken on purpose.

Packets read from bytes are checked against Scapy rebuilding the same change
(``del p.chksum`` and friends), so "refilled" means what a Scapy user expects.
"""

from __future__ import annotations

import pytest
from scapy.layers.inet import ICMP as SICMP
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import TCP as STCP
from scapy.layers.inet import UDP as SUDP
from scapy.layers.l2 import Ether as SEther
from scapy.packet import Raw as SRaw

from netprobe.errors import UsageError
from netprobe.packet import IP, TCP, UDP, Ether, Raw, dissect, dissect_as
from netprobe.packet.checksum import checksum
from netprobe.packet.field import SetValue
from netprobe.plugins.craft.edit import (
    EditReport,
    Edits,
    _wrong,
    apply_edits,
    break_checksums,
    flags_change,
    parse_del,
    parse_set,
    value_source,
)

ADDR = {"src": "198.18.1.2", "dst": "198.18.1.11"}


# -- parsing -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("spec", "layer", "field", "value"), [
    ("TCP.dport=443", "TCP", "dport", 443),
    ("IP.ttl=5", "IP", "ttl", 5),
    ("IP.ttl=0x10", "IP", "ttl", 16),
    ("IP.dst=198.18.1.12", "IP", "dst", "198.18.1.12"),
    ('IP.dst="198.18.1.12"', "IP", "dst", "198.18.1.12"),
    ("IPv6.dst=2001:db8:1::12", "IPv6", "dst", "2001:db8:1::12"),
    ("Ether.dst=02:00:c6:12:01:0b", "Ether", "dst", "02:00:c6:12:01:0b"),
    ("TCP.flags=SA", "TCP", "flags", 0x12),
    ("IP.flags=DF", "IP", "flags", 2),
    ("IP.chksum=None", "IP", "chksum", None),
    ("Raw.load=hello", "Raw", "load", b"hello"),
    (r'Raw.load=b"\x00\x01"', "Raw", "load", b"\x00\x01"),
    ("DNSQR.qname=www.example.com", "DNSQR", "qname", None),  # text, whatever form it keeps
    (" TCP.window = 1024 ", "TCP", "window", 1024),
])
def test_set_values_read_like_the_expression_language(spec: str, layer: str, field: str,
                                                      value: object) -> None:
    change = parse_set(spec)
    assert (change.layer, change.field) == (layer, field)
    if value is not None or field == "chksum":
        assert change.value == value


def test_set_lists_and_ranges_make_packet_sets() -> None:
    change = parse_set("TCP.dport=[22, 80, range(8000, 8003)]")
    assert isinstance(change.value, SetValue)
    assert list(change.value) == [22, 80, 8000, 8001, 8002]
    packet = apply_edits(IP(**ADDR) / TCP(), Edits(changes=[change]), refill=False)
    assert [p[TCP].dport for p in packet] == [22, 80, 8000, 8001, 8002]


@pytest.mark.parametrize(("spec", "words"), [
    ("TCP.dportt=3", ["no field 'dportt'"]),
    ("Foo.ttl=3", ["unknown layer 'Foo'"]),
    ("tcp.dport=3", ["did you mean TCP"]),
    ("IP.ttl=300", ["ttl"]),
    ("IP.ttl=-1", ["ttl"]),
    ("IP.ttl=1.5", ["ttl"]),
    ("IP.dst=300.1.1.1", ["dst"]),
    ("TCP.flags=Z", ["'Z'"]),
    ("IP.ttl", ["LAYER.field=VALUE"]),
    ("ttl=5", ["LAYER.field=VALUE"]),
    ("IP.=5", ["LAYER.field=VALUE"]),
    ('IP.ttl=__import__("os").system("touch pwned")', ["nothing is called"]),
    ("IP.ttl=1+1", ["not allowed"]),
    ("IP.ttl=[x for x in range(3)]", ["not allowed"]),
    ("IP.ttl=open('x')", ["nothing is called"]),
    ("IP.dst=globals()", ["nothing is called"]),
    ("IP.ttl=TCP()", ["nothing is called"]),
    ("IP.ttl=(lambda: 1)()", ["nothing is called"]),
])
def test_bad_sets_are_usage_errors(spec: str, words: list[str]) -> None:
    with pytest.raises(UsageError) as info:
        parse_set(spec)
    text = str(info.value)
    assert text.startswith("--set ")
    for w in words:
        assert w in text


def test_value_source_quotes_what_is_not_a_literal() -> None:
    assert value_source("5") == "5"
    assert value_source("[1, 2]") == "[1, 2]"
    assert value_source("None") == "None"
    assert value_source("True") == "True"
    assert value_source("198.18.1.1") == repr("198.18.1.1")
    assert value_source("SA") == repr("SA")
    assert value_source("a.b.c") == repr("a.b.c")
    assert value_source("ff:ff:ff:ff:ff:ff") == repr("ff:ff:ff:ff:ff:ff")
    assert value_source("'quoted'") == "'quoted'"


@pytest.mark.parametrize(("text", "flags"), [
    ("S", "S"), ("SA", "SA"), ("FPU", "FPU"), ("", ""), ("syn", "S"), ("XMAS", "FPU"),
    ("null", ""), ("synack", "SA"), ("rst", "R"),
])
def test_flags_shortcuts(text: str, flags: str) -> None:
    change = flags_change(text)
    assert (change.layer, change.field) == ("TCP", "flags")
    assert TCP(flags=change.value).flags == flags


def test_bad_flags() -> None:
    with pytest.raises(UsageError, match=r"--flags Q: .*'Q'.*syn"):
        flags_change("Q")


def test_del_names_a_layer() -> None:
    assert parse_del("Raw") == "Raw"
    with pytest.raises(UsageError, match="unknown layer 'Bogus'"):
        parse_del("Bogus")


# -- applying to packets read from bytes -----------------------------------------------------
def read(scapy_packet: object, linktype: int = 101):
    return dissect(bytes(scapy_packet), linktype)


def test_set_on_read_packets_refills_lengths_and_checksums_like_scapy() -> None:
    original = SIP(id=7, **ADDR) / STCP(sport=1234, dport=80, flags="S") / SRaw(b"abc")
    packet = read(original)
    edits = Edits(changes=[parse_set("TCP.dport=443"), parse_set("IP.ttl=5")])
    edited = apply_edits(packet, edits, refill=True)
    want = original.copy()
    want[STCP].dport = 443
    want.ttl = 5
    assert edited.build() == bytes(want)
    assert packet.build() == bytes(original)  # the original is left as it was


def test_a_set_checksum_or_length_is_kept() -> None:
    original = SIP(**ADDR) / SUDP(sport=1, dport=2) / SRaw(b"hello")
    edits = Edits(changes=[parse_set("UDP.chksum=0x1234"), parse_set("IP.len=100"),
                           parse_set("UDP.dport=53")])
    edited = dissect_as(IP, apply_edits(read(original), edits, refill=True).build())
    assert edited[UDP].chksum == 0x1234
    assert edited.len == 100
    assert edited[UDP].len == 13  # not set: computed again


def test_without_refill_nothing_else_changes() -> None:
    # a crafted packet keeps what its expression set, e.g. a wrong checksum on purpose
    packet = IP(chksum=0xDEAD, **ADDR) / TCP(dport=1)
    edited = apply_edits(packet, Edits(changes=[parse_set("TCP.dport=2")]), refill=False)
    assert dissect_as(IP, edited.build()).chksum == 0xDEAD


def test_del_raw_shortens_the_packet_and_its_lengths() -> None:
    original = SEther(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / SIP(**ADDR) / SUDP(
        sport=1, dport=2) / SRaw(b"payload")
    edited = apply_edits(read(original, 1), Edits(deletions=["Raw"]), refill=True)
    want = SEther(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / SIP(**ADDR) / SUDP(
        sport=1, dport=2)
    assert edited.build() == bytes(want)


def test_del_in_the_middle_refills_the_protocol_number_below() -> None:
    original = SIP(**ADDR) / STCP(sport=1, dport=2) / SRaw(b"x")
    edited = apply_edits(read(original), Edits(deletions=["TCP"]), refill=True)
    assert [type(x).__name__ for x in edited.chain()] == ["IP", "Raw"]
    assert dissect_as(IP, edited.build()).proto == 0  # nothing is bound to Raw
    # dissects as IP / TCP / Raw (ports with nothing bound: port 80 would give HTTP)
    icmp = read(SIP(**ADDR) / STCP(sport=1, dport=2) / SICMP())
    assert [type(x).__name__ for x in apply_edits(icmp, Edits(deletions=["TCP"]),
                                                  True).chain()] == ["IP", "Raw"]


def test_del_the_outer_layer() -> None:
    original = SEther() / SIP(**ADDR) / SICMP()
    edited = apply_edits(read(original, 1), Edits(deletions=["Ether"]), refill=True)
    assert edited.build() == bytes(SIP(**ADDR) / SICMP())
    assert edited.underlayer is None


def test_del_everything_is_refused() -> None:
    with pytest.raises(UsageError, match="nothing of the packet"):
        apply_edits(Raw(load=b"x"), Edits(deletions=["Raw"]), refill=False)


def test_edit_report_says_which_layers_no_packet_had() -> None:
    report = EditReport()
    edits = Edits(changes=[parse_set("TCP.dport=1")], deletions=["Raw"])
    apply_edits(IP(**ADDR) / UDP(), edits, refill=False, report=report)
    with pytest.raises(UsageError, match="--del Raw: no packet has a Raw layer"):
        report.check(edits)
    apply_edits(IP(**ADDR) / UDP() / b"x", edits, refill=False, report=report)
    with pytest.raises(UsageError, match=r"--set TCP\.dport=1: no packet has a TCP layer"):
        report.check(edits)
    apply_edits(IP(**ADDR) / TCP(), edits, refill=False, report=report)
    report.check(edits)


# -- checksums ------------------------------------------------------------------------------------
def test_wrong_never_gives_a_checksum_that_verifies() -> None:
    for value in range(0x10000):
        bad = _wrong(value)
        assert bad != value and bad not in (0, 0xFFFF)


def _verify_l4(ip_bytes: bytes) -> int:
    """The ones'-complement check of a TCP/UDP segment over its pseudo-header (0: good)."""
    ihl = (ip_bytes[0] & 15) * 4
    seg = ip_bytes[ihl:]
    pseudo = ip_bytes[12:20] + bytes([0, ip_bytes[9]]) + len(seg).to_bytes(2, "big")
    return checksum(pseudo + seg)


def test_badsum_breaks_every_computed_checksum() -> None:
    packet = IP(**ADDR) / TCP(dport=80, flags="S") / b"abc"
    good = packet.build()
    assert checksum(good[:20]) == 0 and _verify_l4(good) == 0
    bad = break_checksums(packet).build()
    assert checksum(bad[:20]) != 0
    assert _verify_l4(bad) != 0
    assert bad[:10] + bad[12:36] == good[:10] + good[12:36]  # only the checksums differ
    assert bad[38:] == good[38:]


def test_badsum_keeps_checksums_set_by_hand_and_unset_link_addresses() -> None:
    packet = Ether() / IP(**ADDR) / UDP(dport=9, chksum=0x4242) / b"x"
    bad = break_checksums(packet)
    assert bad.is_unset("src") and bad.dst is None  # the sender fills them
    assert bad[UDP].chksum == 0x4242
    assert checksum(bad.build()[14:34]) != 0


def test_badsum_can_be_limited_to_some_layers() -> None:
    packet = IP(**ADDR) / UDP(dport=9) / b"x"
    bad = break_checksums(packet, only=("IP",)).build()
    assert checksum(bad[:20]) != 0
    assert _verify_l4(bad) == 0
