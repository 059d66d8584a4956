"""MLD versions 1 and 2 against Scapy 2.8 (same process): bytes, reading back,
``repr``/``summary``/``show()``, ``ls()``, the IPv6 header's overloads, ``answers``;
fields as tshark reads them; mutated bytes never raise."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.icmpv6 as icmpv6_mod
import netprobe.packet.layers.mld as mld_mod
from netprobe.packet import Ether
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.ipv6 import IPv6
from tests.packet.layers_compare import (
    ls_matches_scapy,
    mutations,
    never_raises,
    random_kwargs,
    same_face,
    tshark_rows,
    write_pcap,
)

OURS = {**vars(icmpv6_mod), "IPv6": IPv6, "Ether": Ether}
SRC = 'IPv6(src="fe80::1")/'
QUERY2 = ('ICMPv6MLQuery2(mrd=1000, mladdr="ff05::1:3", S=1, QRV=2, QQIC=125, '
          'sources=["2001:db8::1", "2001:db8::2"])')
REPORT2 = ('ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(rtype=1, dst="ff05::1:3", '
           'sources=["2001:db8::9"]), ICMPv6MLDMultAddrRec(dst="ff05::2", auxdata=b"abcd"), '
           'ICMPv6MLDMultAddrRec(rtype=6, dst="ff0e::42")])')
PACKETS = [
    'ICMPv6MLQuery()', 'ICMPv6MLReport()', 'ICMPv6MLDone()', 'ICMPv6MLQuery2()',
    'ICMPv6MLReport2()', 'ICMPv6MLDMultAddrRec()',
    'ICMPv6MLQuery(mladdr="ff02::fb", mrd=5)', 'ICMPv6MLReport(mladdr="ff02::fb")',
    'ICMPv6MLDone(mladdr="ff02::fb", code=1, reserved=7)', QUERY2, REPORT2,
    'ICMPv6MLDMultAddrRec(rtype=3, dst="ff02::1:ff00:1", sources=["2001:db8::5"], '
    'auxdata=b"xy")', 'ICMPv6MLQuery2(sources_number=3, sources=["::1"])',
    SRC + 'ICMPv6MLQuery()', SRC + 'ICMPv6MLReport(mladdr="ff02::1:2")', SRC + 'ICMPv6MLDone()',
    SRC + QUERY2, SRC + REPORT2, 'IPv6(src="fe80::1", dst="ff02::1:3")/' + QUERY2,
    'IPv6(src="fe80::1", hlim=5)/ICMPv6MLReport2()',
    'Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:16")/' + SRC + REPORT2,
]


@pytest.mark.parametrize("expr", PACKETS)
def test_packet_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


def test_ls_is_scapys() -> None:
    assert ls_matches_scapy(mld_mod) == 6


@pytest.mark.parametrize(("size", "name"), [(24, "ICMPv6MLQuery"), (28, "ICMPv6MLQuery2"),
                                            (44, "ICMPv6MLQuery2")])
def test_a_query_is_version_2_from_28_bytes(size: int, name: str) -> None:
    body = bytes([130, 0, 0, 0, 0x27, 0x10, 0, 0]) + bytes(size - 8)
    frame = bytes(scapy_all.IPv6(src="fe80::1", dst="ff02::1", nh=58, hlim=1)) [:4] + \
        (size).to_bytes(2, "big") + bytes([58, 1]) + bytes(scapy_all.IPv6(
            src="fe80::1", dst="ff02::1"))[8:40] + body
    ours, theirs = dissect_as(IPv6, frame), scapy_all.IPv6(frame)
    assert type(ours.payload).__name__ == type(theirs.payload).__name__ == name
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("reply", ["ICMPv6MLReport()", "ICMPv6MLQuery()", "ICMPv6MLDone()",
                                   "ICMPv6MLReport2()"])
def test_answers_as_scapy(reply: str) -> None:
    for probe in ("ICMPv6MLQuery()", "ICMPv6MLQuery2()", "ICMPv6MLReport()"):
        ours = eval(reply, OURS).answers(eval(probe, OURS))
        assert ours == eval(reply, vars(scapy_all)).answers(eval(probe, vars(scapy_all)))


def test_fields_are_tsharks(tmp_path) -> None:
    # (no auxiliary data: Scapy counts its length in bytes, RFC 3810 and tshark in words)
    report = REPORT2.replace(', auxdata=b"abcd"', "")
    exprs = ['Ether()/IPv6(src="fe80::1")/' + QUERY2, 'Ether()/IPv6(src="fe80::1")/' + report,
             'Ether()/IPv6(src="fe80::1")/ICMPv6MLReport(mladdr="ff02::1:2")']
    frames = [bytes(eval(e, vars(scapy_all))) for e in exprs]
    path = write_pcap(tmp_path / "mld.pcap", frames)
    q = tshark_rows(path, "icmpv6.type == 130", [
        "icmpv6.mld.maximum_response_code", "icmpv6.mld.multicast_address",
        "icmpv6.mld.flag.s", "icmpv6.mld.flag.qrv", "icmpv6.mld.qqi", "icmpv6.mld.nb_sources",
        "icmpv6.mld.source_address", "icmpv6.checksum"])[1]
    ours = dissect_as(Ether, frames[0])[mld_mod.ICMPv6MLQuery2]
    assert q[0] == str(ours.mrd) and q[1] == ours.mladdr
    assert [int(q[2]), int(q[3]), int(q[4]), int(q[5])] == [
        ours.S, ours.QRV, ours.QQIC, ours.sources_number]
    assert q[6].split(",") == ours.sources and int(q[7], 16) == ours.cksum
    r = tshark_rows(path, "icmpv6.type == 143", [
        "icmpv6.mldr.nb_mcast_records", "icmpv6.mldr.mar.record_type",
        "icmpv6.mldr.mar.aux_data_len", "icmpv6.mldr.mar.nb_sources",
        "icmpv6.mldr.mar.multicast_address", "icmpv6.mldr.mar.source_address"])[2]
    rep = dissect_as(Ether, frames[1])[mld_mod.ICMPv6MLReport2]
    recs = []
    rec = rep.records[0]  # as Scapy reads them: each record carries the next as payload
    while rec is not None:
        recs.append(rec)
        rec = rec._payload
    assert int(r[0]) == rep.records_number == len(recs)
    assert r[1].split(",") == [str(x.rtype) for x in recs]
    assert r[2].split(",") == [str(x.auxdata_len) for x in recs]
    assert r[3].split(",") == [str(x.sources_number) for x in recs]
    assert r[4].split(",") == [x.dst for x in recs]
    assert r[5].split(",") == [a for x in recs for a in x.sources]
    v1 = tshark_rows(path, "icmpv6.type == 131", ["icmpv6.mld.multicast_address",
                                                  "ipv6.hlim"])[3]
    ours1 = dissect_as(Ether, frames[2])
    assert v1 == [ours1[mld_mod.ICMPv6MLReport].mladdr, str(ours1[IPv6].hlim)]


def test_malformed_mld_never_raises() -> None:
    for expr in (QUERY2, REPORT2, 'ICMPv6MLDone(mladdr="ff02::fb")'):
        data = bytes(eval('Ether()/IPv6(src="fe80::1")/' + expr, vars(scapy_all)))
        never_raises(mutations(data, count=400))


def test_random_fields_are_scapys() -> None:
    rnd = random.Random(143)
    addr = lambda r: f"2001:db8::{r.randint(1, 0xffff):x}"  # noqa: E731
    group = lambda r: f"ff0{r.randint(2, 0xe):x}::{r.randint(1, 0xffff):x}"  # noqa: E731
    query = {"mrd": (0, 65535), "mladdr": group, "S": (0, 1), "QRV": (0, 7), "QQIC": (0, 255),
             "sources": lambda r: [addr(r) for _ in range(r.randint(1, 3))]}
    rec = {"rtype": (1, 6), "dst": group, "auxdata": lambda r: r.randbytes(4 * r.randint(1, 2)),
           "sources": lambda r: [addr(r) for _ in range(r.randint(1, 3))]}
    for _ in range(40):
        kw = random_kwargs(rnd, query)
        same_face(IPv6(src="fe80::1") / mld_mod.ICMPv6MLQuery2(**kw),
                  scapy_all.IPv6(src="fe80::1") / scapy_all.ICMPv6MLQuery2(**kw))
        recs = [random_kwargs(rnd, rec) for _ in range(rnd.randint(1, 3))]
        same_face(IPv6(src="fe80::1") / mld_mod.ICMPv6MLReport2(
            records=[mld_mod.ICMPv6MLDMultAddrRec(**r) for r in recs]),
            scapy_all.IPv6(src="fe80::1") / scapy_all.ICMPv6MLReport2(
                records=[scapy_all.ICMPv6MLDMultAddrRec(**r) for r in recs]))
