"""RADIUS against Scapy (bytes, dissection, printing) and tshark (fields of what we build)."""

from __future__ import annotations

import subprocess

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet as N  # noqa: N812
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import ls_matches_scapy, mutations, never_raises, same_face

CASES = [
    "Radius()",
    "Radius(code=2)",
    "UDP()/Radius()",
    "Radius(attributes=[RadiusAttribute(type=1, value=b'bob')])",
    "IP(src='198.18.0.1', dst='198.18.0.2')/UDP(sport=1024)/Radius(code=1, id=5,"
    " authenticator=b'A' * 16, attributes=[RadiusAttribute(type=1, value=b'bob'),"
    " RadiusAttr_User_Password(value=b'x' * 16), RadiusAttr_NAS_IP_Address(value='198.18.0.1')])",
    "Radius(attributes=[RadiusAttr_User_Password(value=b'x'), RadiusAttr_Service_Type(value=2),"
    " RadiusAttr_EAP_Message(value=EAP(code=2, type=1, identity=b'u')),"
    " RadiusAttr_Message_Authenticator(), RadiusAttr_NAS_Port_Type(value=15),"
    " RadiusAttr_State(value=b'st')])",
    "Radius(code=11, attributes=[RadiusAttr_Vendor_Specific(vendor_id=9, vendor_type=1,"
    " value=b'abc'), RadiusAttribute(type=200, value=b'a')])",
    "Radius(code=4, attributes=[RadiusAttr_Acct_Status_Type(value=1),"
    " RadiusAttr_Acct_Session_Time(value=5), RadiusAttr_Framed_IP_Address(value='198.18.0.9'),"
    " RadiusAttr_Framed_MTU(value=1500), RadiusAttr_Session_Timeout(value=60),"
    " RadiusAttr_Idle_Timeout(value=10), RadiusAttr_NAS_Port(value=3),"
    " RadiusAttr_User_Name(value=b'x')])",
    "Radius(code=1, attributes=[RadiusAttr_User_Name(value=b'al'), RadiusAttribute(type=3,"
    " value=b'c' * 17)])",
    "Radius(code=1, attributes=[RadiusAttr_User_Name(value=b'al'),"
    " RadiusAttr_EAP_Message(value=EAP_MD5(id=3, value=b'v' * 16))])",
    "Radius(code=5, id=200, authenticator=bytes(range(16)))",
    "Radius(code=43, attributes=[RadiusAttr_Acct_Status_Type(value=15)])",
    "RadiusAttr_User_Name(value=b'bob')",
    "RadiusAttr_Service_Type()",
    "RadiusAttr_Vendor_Specific(vendor_id=9, vendor_type=2, value=b'zz')",
    "Radius(code=4, attributes=[RadiusAttr_Acct_Terminate_Cause(value=1),"
    " RadiusAttr_Acct_Authentic(value=1), RadiusAttr_Framed_Protocol(value=1),"
    " RadiusAttr_Acct_Input_Octets(value=5), RadiusAttr_Framed_IP_Netmask(value='255.255.255.0'),"
    " RadiusAttr_WLAN_RF_Band(value=3), RadiusAttr_PMIP6_Visited_IPv4_Gateway(value='198.18.0.1'),"
    " RadiusAttr_Login_TCP_Port(value=23)])",
]


def test_every_attribute_class_scapy_has() -> None:
    import netprobe.packet.layers.radius as R  # noqa: N812

    assert {n for n in dir(S) if n.startswith("RadiusAttr")} <= set(R.__all__)


def _both(expr: str) -> tuple:
    N.load_families()
    return eval(expr, {n: getattr(N, n) for n in N.__all__}), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


@pytest.mark.parametrize("port", [1812, 1813, 3799, 1645])
def test_ports_read_as_scapy_reads_them(port: int) -> None:
    data = bytes(S.UDP(sport=5555, dport=port) / S.Radius(attributes=[
        S.RadiusAttr_User_Name(value=b"u")]))
    assert repr(dissect_as(N.UDP, data)) == repr(S.UDP(data))


def test_bytes_after_the_length_are_padding() -> None:
    _ours, theirs = _both(CASES[3])
    data = bytes(S.UDP() / theirs) + b"\x00" * 5
    assert repr(dissect_as(N.UDP, data)) == repr(S.UDP(data))


def test_a_cut_or_mutated_packet_never_raises() -> None:
    frames = []
    for expr in (CASES[4], CASES[5], CASES[6], CASES[9]):
        frames += mutations(bytes(_both(expr)[0]), count=200)
    never_raises(frames, lambda b: dissect_as(N.IP, b))


def test_tshark_reads_what_netprobe_builds(tmp_path) -> None:
    from netprobe.library.pcap_write import wrpcap

    pkts = [N.Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / N.IP(src="198.18.0.1", dst="198.18.0.2") / N.UDP(sport=1812)
            / _both(e)[0] for e in (CASES[0], CASES[3], CASES[5], CASES[6], CASES[7])]
    path = tmp_path / "radius.pcap"
    wrpcap(str(path), pkts)
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|",
                          "-E", "occurrence=a", "-e", "radius.code", "-e", "radius.id",
                          "-e", "radius.length", "-e", "radius.avp.type",
                          "-e", "radius.avp.length"],
                         capture_output=True, text=True, timeout=120,
                         check=True).stdout.splitlines()
    assert len(out) == len(pkts)
    for line, pkt in zip(out, pkts, strict=True):
        code, ident, length, types, lengths = line.split("|")
        rad = dissect_as(N.Ether, bytes(pkt))[N.Radius]
        assert (int(code), int(ident), int(length)) == (rad.code, rad.id, rad.len)
        assert [a.type for a in rad.attributes] == [int(t) for t in types.split(",") if t]
        assert [a.len for a in rad.attributes] == [int(n) for n in lengths.split(",") if n]


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import radius as family

    assert ls_matches_scapy(family)
