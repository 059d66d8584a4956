"""PPPoE discovery and session headers, built and dissected as Scapy does."""

from __future__ import annotations

from pathlib import Path

import pytest
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import UDP as SUDP
from scapy.layers.l2 import Ether as SEther
from scapy.layers.ppp import PPP as SPPP
from scapy.layers.ppp import PPPoE as SPPPoE
from scapy.layers.ppp import PPPoED as SPPPoED
from scapy.utils import rdpcap

from netprobe.packet import IP, UDP, Ether, dissect
from netprobe.packet.layers.link import PPP
from netprobe.packet.layers.pppoe import PPPoE, PPPoED

CORPUS = Path("/work/shared/pcaps/corpus")


def test_built_session_bytes_are_scapys() -> None:
    ours = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / PPPoE(sessionid=0x11) \
        / PPP() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=2)
    theirs = SEther(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") \
        / SPPPoE(sessionid=0x11) / SPPP() / SIP(src="198.18.0.1", dst="198.18.0.2") \
        / SUDP(sport=1, dport=2)
    assert bytes(ours) == bytes(theirs)


def test_built_discovery_bytes_are_scapys() -> None:
    ours = Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / PPPoED()
    theirs = SEther(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / SPPPoED()
    assert bytes(ours) == bytes(theirs)


def test_a_session_frame_dissects_to_ip_and_its_padding() -> None:
    frame = bytes(SEther() / SPPPoE(sessionid=7) / SPPP() / SIP(dst="198.18.0.2")
                  / SUDP(dport=53)) + bytes(10)
    pkt = dissect(frame)
    assert [type(x).__name__ for x in pkt.chain()] == ["Ether", "PPPoE", "PPP", "IP", "UDP",
                                                      "Padding"]
    assert pkt.errors == []


def test_a_cut_header_is_noted_not_raised() -> None:
    pkt = dissect(bytes(SEther() / SPPPoE())[:17])
    assert pkt.errors


@pytest.mark.skipif(not (CORPUS / "zeek__pppoe.pcap").exists(), reason="corpus absent")
def test_the_corpus_capture_reads_as_scapy_reads_it() -> None:
    path = CORPUS / "zeek__pppoe.pcap"
    for theirs in rdpcap(str(path)):
        ours = dissect(bytes(theirs))
        for cls, scls in ((PPPoE, SPPPoE), (PPPoED, SPPPoED)):
            if theirs.haslayer(scls) and type(theirs[scls]) is scls:
                mine = next(x for x in ours.chain() if type(x) is cls)
                for field in ("version", "type", "code", "sessionid", "len"):
                    assert getattr(mine, field) == getattr(theirs[scls], field), field
        if theirs.haslayer(SIP):
            assert ours.getlayer(IP) is not None and ours[IP].src == theirs[SIP].src
