"""RIP: bytes, reading back and printing as Scapy's RIP layers (same process)."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.rip as ours_mod
from netprobe.packet import IP, UDP, Ether, Raw, dissect
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import (
    mutations,
    never_raises,
    random_ip,
    random_kwargs,
    same_face,
    tshark_rows,
    write_pcap,
)

OURS = {**vars(ours_mod), "IP": IP, "UDP": UDP, "Raw": Raw}
PACKETS = [
    'RIP()', 'RIP()/RIPEntry()',
    'RIP(cmd=2)/RIPEntry(addr="198.18.0.0", mask="255.255.0.0", metric=2)'
    '/RIPEntry(addr="198.19.0.0", metric=16)',
    'RIP(cmd=2, version=2)/RIPAuth(password="secret")/RIPEntry(addr="198.18.0.0", '
    'mask="255.254.0.0", nextHop="198.18.0.1", RouteTag=5)',
    'RIP(cmd=1)/RIPEntry(AF=0, metric=16)',
    'IP(src="198.18.0.2", dst="224.0.0.9")/UDP()/RIP()/RIPEntry()',
    'IP(src="198.18.0.2", dst="224.0.0.9")/UDP()/RIP(cmd=2, version=2)/RIPEntry(metric=3)',
    'RIPAuth(authtype=3, keyid=1, authdatalen=20, seqnum=7)',
    'RIP(version=2)/RIPAuth(authtype=3, keyid=1, authdatalen=20, seqnum=7)/RIPEntry()'
    '/RIPAuth(authtype=1, authdata=b"x" * 16)',
    'RIPAuth()', 'RIPAuth(authtype=1)', 'RIPAuth(authtype=5)',
    'RIPAuth(authtype=2, password="x" * 20)',
    'RIP(cmd="resp", version=2)/RIPEntry(metric=15)/Raw(b"\\x01\\x02")',
    'RIP(cmd=11, version=9, null=7)',
]
WIRE = ["020200000002000000000000", "02020000ffff000179797979", "02020000ffff0005" + "79" * 16
        + "0002" + "00" * 18, "0202000000020000000000000000000000000000000000010102"]


@pytest.mark.parametrize("expr", PACKETS)
def test_packet_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


@pytest.mark.parametrize("hexdata", WIRE)
def test_odd_bytes_read_as_scapy_reads_them(hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    assert repr(dissect_as(ours_mod.RIP, data)) == repr(scapy_all.RIP(data))


def test_port_520_on_either_side_reads_as_rip() -> None:
    for sport, dport in ((520, 4000), (4000, 520)):
        data = bytes(scapy_all.IP(src="198.18.0.2", dst="198.18.0.1")
                     / scapy_all.UDP(sport=sport, dport=dport) / scapy_all.RIP(cmd=2)
                     / scapy_all.RIPEntry(addr="198.18.0.0"))
        assert repr(dissect(data, 228)) == repr(scapy_all.IP(data))


def test_malformed_rip_never_raises() -> None:
    data = bytes(eval(PACKETS[8], vars(scapy_all)))
    never_raises(mutations(data), lambda b: dissect_as(ours_mod.RIP, b))


def test_fields_are_tsharks(tmp_path) -> None:
    """RIP made by netprobe, read by tshark and by netprobe: the same values."""
    head = 'Ether()/IP(src="198.18.0.2", dst="224.0.0.9")/UDP()/RIP(cmd=2, version=2)/'
    exprs = [head + 'RIPEntry(addr="198.18.0.0", mask="255.255.0.0", nextHop="198.18.0.1", '
             'metric=3, RouteTag=7)/RIPEntry(addr="198.19.0.0", mask="255.255.255.0", metric=16)',
             head + 'RIPAuth(password="secret")/RIPEntry(addr="198.18.0.0", mask="255.254.0.0")']
    frames = [bytes(eval(e, {**OURS, "Ether": Ether})) for e in exprs]
    rows = tshark_rows(write_pcap(tmp_path / "rip.pcap", frames), "rip",
                       ["rip.command", "rip.version", "rip.route_tag", "rip.ip", "rip.netmask",
                        "rip.next_hop", "rip.metric", "rip.auth.passwd"])
    assert len(rows) == len(frames)
    for number, row in rows.items():
        pkt = dissect(frames[number - 1])
        entries = [x for x in pkt.chain() if type(x) is ours_mod.RIPEntry]
        auth = pkt.getlayer(ours_mod.RIPAuth)
        mine = [str(pkt[ours_mod.RIP].cmd), str(pkt[ours_mod.RIP].version)] + [
            ",".join(str(getattr(e, n)) for e in entries)
            for n in ("RouteTag", "addr", "mask", "nextHop", "metric")] + [
            auth.password.rstrip(b"\0").decode() if auth is not None else ""]
        assert mine == row


def test_random_entries_are_scapys() -> None:
    rnd = random.Random(520)
    entry = {"AF": [0, 2, 2, 2], "RouteTag": (0, 65535), "addr": random_ip,
             "mask": lambda r: ["255.255.255.0", "255.255.0.0", "0.0.0.0"][r.randint(0, 2)],
             "nextHop": random_ip, "metric": (0, 16)}
    for _ in range(60):
        head = random_kwargs(rnd, {"cmd": (1, 11), "version": (1, 2), "null": (0, 65535)})
        entries = [random_kwargs(rnd, entry) for _ in range(rnd.randint(0, 4))]
        ours, theirs = ours_mod.RIP(**head), scapy_all.RIP(**head)
        for e in entries:
            ours, theirs = ours / ours_mod.RIPEntry(**e), theirs / scapy_all.RIPEntry(**e)
        same_face(ours, theirs)
