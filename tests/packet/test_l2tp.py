"""L2TPv2 headers: Scapy's fields, bytes and dissection (Scapy loads L2TP by default)."""

from __future__ import annotations

import pytest
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import UDP as SUDP
from scapy.layers.l2 import Ether as SEther
from scapy.layers.l2tp import L2TP as SL2TP
from scapy.layers.ppp import PPP as SPPP

from netprobe.packet import IP, UDP, Ether, dissect
from netprobe.packet.layers.l2tp import L2TP
from netprobe.packet.layers.link import PPP

MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
FIELDS = ("hdr", "version", "len", "tunnel_id", "session_id", "ns", "nr", "offset")


@pytest.mark.parametrize("hdr", ["", "length", "sequence", "length+sequence", "offset",
                                 "control+length+sequence", "priority+length"])
def test_bytes_and_dissection_are_scapys(hdr: str) -> None:
    kw = {"tunnel_id": 3, "session_id": 4, "ns": 5, "nr": 6}
    theirs = SEther(src=MAC1, dst=MAC2) / SIP(src="198.18.0.1", dst="198.18.0.2") / SUDP() \
        / SL2TP(hdr=hdr, **kw) \
        / SPPP() / SIP(src="198.18.0.3", dst="198.18.0.4")
    ours = Ether(src=MAC1, dst=MAC2) / IP(src="198.18.0.1", dst="198.18.0.2") / UDP() \
        / L2TP(hdr=hdr, **kw) \
        / PPP() / IP(src="198.18.0.3", dst="198.18.0.4")
    data = bytes(theirs)
    assert bytes(ours) == data
    got = dissect(data)
    assert [type(x).__name__ for x in got.chain()] == ["Ether", "IP", "UDP", "L2TP", "PPP",
                                                      "IP"]
    mine, scapys = got.chain()[3], SEther(data)[SL2TP]
    for name in FIELDS:
        if name in mine.present_fields():
            assert int(getattr(mine, name)) == int(getattr(scapys, name)), name
    assert got.chain()[5].dst == "198.18.0.4"


def test_a_cut_header_is_noted_not_raised() -> None:
    data = bytes(SEther() / SIP() / SUDP() / SL2TP(hdr="length+sequence"))[:50]
    assert dissect(data).errors
