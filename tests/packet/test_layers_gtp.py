"""GTP-U, GTP-C and the GTP extension headers against Scapy's ``scapy.contrib.gtp``
(bytes, dissection, printing, ``ls``), ``load_contrib("gtp")``, and bytes that never
make the dissector raise."""

from __future__ import annotations

import contextlib
import io

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.gtp as N  # noqa: N812 - N for netprobe, S for Scapy
from netprobe.packet import IP, UDP, IPv6, Raw, load_families, optional_layers
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.icmp import ICMP
from netprobe.packet.layers.tcp import TCP
from tests.packet.layers_compare import mutations, never_raises, same_face

scapy_all.load_contrib("gtp")
S = pytest.importorskip("scapy.contrib.gtp")

CASES = [
    "GTP_U_Header()",
    "GTP_U_Header(teid=5)/IP(src='198.18.0.1', dst='198.18.0.2')/TCP()",
    "GTP_U_Header()/IPv6()/UDP()",
    "GTP_U_Header(S=1, seq=7)/IP()/ICMP()",
    "GTP_U_Header(PN=1, npdu=3)",
    "GTP_U_Header(E=1, next_ex=0x85)/GTPPDUSessionContainer(QFI=5)/IPv6()/UDP()",
    "GTP_U_Header(E=1)/GTPPDUSessionContainer(type=1, QMP=1, SNP=1, QFI=9)/IP()/UDP()",
    "GTP_U_Header(E=1)/GTPPDUSessionContainer(type=1, dlDelayInd=1, ulDelayInd=1,"
    " N3N9DelayInd=1, dlDelayRslt=3, ulDelayRslt=4, N3N9DelayRslt=5)/IP()",
    "GTP_U_Header(E=1)/GTPPDUSessionContainer(PPP=1, PPI=2, QMP=1, dlSendTime=7, SNP=1,"
    " dlQFISeqNum=9, QFI=1)/IP()",
    "GTP_U_Header(E=1)/GTP_UDPPort_ExtensionHeader(udp_port=5)/Raw(b'xx')",
    "GTP_U_Header(E=1)/GTP_PDCP_PDU_ExtensionHeader(pdcp_pdu=12)/Raw(b'xy')",
    "GTP_U_Header(gtp_type=1, S=1, seq=3)",
    "GTP_U_Header(gtp_type=255)/Raw(b'0abc')",
    "GTP_U_Header(version=2, gtp_type=255)/IP()",
    "GTPHeader()",
    "GTPHeader(gtp_type=1)/Raw(b'Eabc')",
    "GTPHeader(gtp_type=16, S=1, seq=0x1234, teid=9)",
]


def _both(expr: str) -> tuple:
    load_families()
    ours = eval(expr, {**vars(N), "IP": IP, "IPv6": IPv6, "UDP": UDP, "TCP": TCP,
                       "ICMP": ICMP, "Raw": Raw})
    theirs = eval(expr, {**vars(scapy_all), **vars(S)})
    return ours, theirs


@pytest.mark.parametrize("expr", CASES)
def test_alone_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


@pytest.mark.parametrize("expr", CASES)
def test_over_udp_is_scapys(expr: str) -> None:
    """Stacked on UDP the ports are filled (2152, 2123) and the datagram dissects from IP
    as in Scapy with the contrib module loaded."""
    optional_layers.load("gtp")
    ours, theirs = _both(expr)
    same_face(IP(src="198.18.0.1", dst="198.18.0.2") / UDP() / ours,
              scapy_all.IP(src="198.18.0.1", dst="198.18.0.2") / scapy_all.UDP() / theirs)


@pytest.mark.parametrize("sport, dport", [(2152, 40000), (40000, 2152), (2123, 2123)])
def test_either_port_is_gtp(sport: int, dport: int) -> None:
    optional_layers.load("gtp")
    expr = "GTP_U_Header()/IP()/UDP()" if 2152 in (sport, dport) else "GTPHeader(gtp_type=1)"
    ours, theirs = _both(expr)
    data = bytes(scapy_all.IP() / scapy_all.UDP(sport=sport, dport=dport) / theirs)
    assert bytes(IP() / UDP(sport=sport, dport=dport) / ours) == data
    assert repr(dissect_as(IP, data)) == repr(scapy_all.IP(data))


def test_not_dissected_before_load_contrib_as_in_scapy() -> None:
    """Scapy leaves port 2152 ``Raw`` until the contrib module is loaded; so does a
    script under netprobe, and ``load_contrib("gtp")`` gives the names and the dissection."""
    from netprobe.library.layer_modules import load_contrib

    data = bytes(scapy_all.IP() / scapy_all.UDP() / S.GTP_U_Header() / scapy_all.IP())
    optional_layers.unload("gtp")
    try:
        assert [type(x).__name__ for x in dissect_as(IP, data).chain()] == ["IP", "UDP", "Raw"]
        names: dict = {}
        load_contrib("gtp", names)
        assert {"GTP_U_Header", "GTPHeader", "GTPPDUSessionContainer"} <= set(names)
        assert names["GTP_U_Header"] is N.GTP_U_Header
        assert repr(dissect_as(IP, data)) == repr(scapy_all.IP(data))
    finally:
        optional_layers.load("gtp")


def test_user_packet_follows_every_extension_header() -> None:
    """After a UDP port or PDCP extension header the user packet is dissected (tshark
    does; Scapy leaves it ``Raw``, a deliberate difference)."""
    optional_layers.load("gtp")
    pkt = IP() / UDP() / N.GTP_U_Header(gtp_type=255, E=1) \
        / N.GTP_PDCP_PDU_ExtensionHeader(pdcp_pdu=1, next_ex=64) \
        / N.GTP_UDPPort_ExtensionHeader(udp_port=9) / IP(dst="198.18.0.9") / UDP(dport=7)
    read = dissect_as(IP, bytes(pkt))
    names = [type(x).__name__ for x in read.chain()]
    assert names == ["IP", "UDP", "GTP_U_Header", "GTP_PDCP_PDU_ExtensionHeader",
                     "GTP_UDPPort_ExtensionHeader", "IP", "UDP"]
    assert read.getlayer(IP, 2).dst == "198.18.0.9" and read.getlayer(UDP, 2).dport == 7


def test_ls_is_scapys() -> None:
    from netprobe.packet.present import ls

    for name in N.__all__:
        theirs, ours = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(theirs):
            scapy_all.ls(getattr(S, name))
        with contextlib.redirect_stdout(ours):
            ls(getattr(N, name))
        assert ours.getvalue() == theirs.getvalue(), name


def test_a_cut_or_mutated_datagram_never_raises() -> None:
    optional_layers.load("gtp")
    frames = []
    for expr in CASES:
        frames += mutations(bytes(IP() / UDP() / _both(expr)[0]), count=120)
    never_raises(frames, lambda b: dissect_as(IP, b))
    for b in frames[:400]:  # and what is read builds again
        bytes(dissect_as(IP, b))
