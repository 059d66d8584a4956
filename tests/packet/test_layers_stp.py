"""STP BPDUs over 802.3/LLC against Scapy (bytes, dissection, printing) and tshark (fields)."""

from __future__ import annotations

import pytest
from scapy.layers.l2 import LLC as SLLC
from scapy.layers.l2 import STP as SSTP
from scapy.layers.l2 import Dot3 as SDot3

from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.link import LLC, Dot3
from netprobe.packet.layers.stp import STP
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

KWARGS = [
    {},
    {"age": 1.5, "maxage": 20.25, "rootmac": "02:00:00:00:00:01", "bpduflags": 1,
     "bpdutype": 0x80, "portid": 0x8001, "pathcost": 4},
    {"version": 2, "bpdutype": 2, "bpduflags": 0x3C, "rootid": 32768 + 1,
     "bridgeid": 4096, "bridgemac": "02:00:00:00:00:02", "hellotime": 1, "fwddelay": 4},
    {"proto": 1, "age": 0, "maxage": 255, "hellotime": 0.5, "fwddelay": 30.75},
    {"rootmac": "ff:ff:ff:ff:ff:ff", "pathcost": 0xFFFFFFFF, "portid": 0xFFFF},
]
MACS = {"src": "02:00:00:00:00:01", "dst": "01:80:c2:00:00:00"}


@pytest.mark.parametrize("kw", KWARGS)
def test_stp_alone_is_scapys(kw: dict) -> None:
    same_face(STP(**kw), SSTP(**kw))


@pytest.mark.parametrize("kw", KWARGS)
def test_stp_over_llc_and_802_3_is_scapys(kw: dict) -> None:
    same_face(Dot3(**MACS) / LLC() / STP(**kw), SDot3(**MACS) / SLLC() / SSTP(**kw))


@pytest.mark.parametrize("kw", KWARGS[:2])
def test_stp_over_llc_in_ethernet_ii_is_scapys(kw: dict) -> None:
    from scapy.layers.l2 import Ether as SEther

    from netprobe.packet import Ether

    same_face(Ether(**MACS) / LLC() / STP(**kw), SEther(**MACS) / SLLC() / SSTP(**kw))


def test_llc_takes_the_stp_saps() -> None:
    assert bytes(LLC() / STP())[:3] == b"\x42\x42\x03"


def test_a_cut_or_mutated_bpdu_never_raises() -> None:
    data = bytes(SDot3(**MACS) / SLLC() / SSTP(**KWARGS[1]))
    never_raises(mutations(data, count=400), lambda b: dissect_as(Dot3, b))


@pytest.mark.parametrize("name", ["pcapplusplus__EthDot3.pcap", "zeek__wikipedia.pcap",
                                  "pcapplusplus__Sll2PacketLLC.pcap"])
def test_corpus_bpdus_are_tsharks(corpus_dir, name: str) -> None:
    path = corpus_dir / name
    rows = tshark_rows(path, "stp", [
        "stp.protocol", "stp.version", "stp.type", "stp.flags", "stp.root.prio",
        "stp.root.ext", "stp.root.hw", "stp.root.cost", "stp.bridge.prio", "stp.bridge.ext",
        "stp.bridge.hw", "stp.port", "stp.msg_age", "stp.max_age", "stp.hello",
        "stp.forward"])
    assert rows
    pkts = corpus_packets(path)
    for number, row in rows.items():
        (proto, version, kind, flags, rprio, rext, rmac, cost, bprio, bext, bmac, port,
         age, maxage, hello, fwd) = row
        stp = pkts[number][STP]
        assert stp.proto == int(proto, 16)
        assert (stp.version, stp.bpdutype, stp.bpduflags) == (int(version), int(kind, 16),
                                                               int(flags, 16))
        assert stp.rootid == int(rprio) + int(rext or 0)
        assert stp.bridgeid == int(bprio) + int(bext or 0)
        assert (stp.rootmac, stp.bridgemac) == (rmac, bmac)
        assert (stp.pathcost, stp.portid) == (int(cost), int(port, 16))
        assert [stp.age, stp.maxage, stp.hellotime, stp.fwddelay] == [
            float(age), float(maxage), float(hello), float(fwd)]


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import stp as family

    assert ls_matches_scapy(family)
