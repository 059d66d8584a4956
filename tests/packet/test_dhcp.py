"""BOOTP and DHCP: bytes against Scapy, options read back as Scapy reads them (same bytes,
same list), real captures compared with Scapy's dissection, bad bytes never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from link_compare import frames, scapy_dissect
from scapy.layers.dhcp import BOOTP as S_BOOTP
from scapy.layers.dhcp import DHCP as S_DHCP
from scapy.layers.inet import IP as S_IP
from scapy.layers.inet import UDP as S_UDP
from scapy.layers.l2 import Ether as S_Ether

from netprobe.errors import UsageError
from netprobe.packet import BOOTP, DHCP, IP, UDP, Ether, dissect, dissect_as


class NP:
    BOOTP, DHCP, IP, UDP, Ether = BOOTP, DHCP, IP, UDP, Ether


class SC:
    BOOTP, DHCP, IP, UDP, Ether = S_BOOTP, S_DHCP, S_IP, S_UDP, S_Ether


MAC = {"src": "02:00:00:00:00:01", "dst": "ff:ff:ff:ff:ff:ff"}

OPTION_LISTS = {
    "discover": [("message-type", "discover"), ("hostname", "client"),
                 ("param_req_list", [1, 3, 6, 15, 51]), "end"],
    "offer": [("message-type", "offer"), ("server_id", "198.18.0.1"),
              ("subnet_mask", "255.255.255.0"), ("router", "198.18.0.1", "198.18.0.254"),
              ("name_server", "198.18.0.53"), ("lease_time", 3600), ("renewal_time", 1800),
              ("rebinding_time", 3150), ("domain", b"lab.example"), "end"],
    "request": [("message-type", 3), ("requested_addr", "198.18.0.10"),
                ("client_id", b"\x01\x02\x00\x00\x00\x00\x01"), ("max_dhcp_size", 1500),
                ("vendor_class_id", "netprobe"), "end", "pad", "pad"],
    "numeric-code": [("message-type", "ack"), (224, b"\x00\x01private"), "end"],
    "empty-str": [("hostname", b""), "end"],
    "pads": ["pad", "pad", ("message-type", "release"), "end"],
}


def _message(m, options):
    return (m.Ether(**MAC) / m.IP(src="0.0.0.0", dst="255.255.255.255")
            / m.UDP(sport=68, dport=67)
            / m.BOOTP(chaddr="02:00:00:00:00:01", xid=0x12345678, flags="B", secs=3)
            / m.DHCP(options=options))


@pytest.mark.parametrize("name", sorted(OPTION_LISTS))
def test_builds_like_scapy_and_reads_back_scapy_options(name: str) -> None:
    options = OPTION_LISTS[name]
    raw = bytes(_message(SC, options))
    assert bytes(_message(NP, options)) == raw
    ours, theirs = dissect(raw), S_Ether(raw)
    assert ours[DHCP].options == theirs[S_DHCP].options
    for f in ("op", "htype", "hlen", "hops", "xid", "secs", "ciaddr", "yiaddr", "siaddr",
              "giaddr", "chaddr", "options"):
        assert getattr(ours[BOOTP], f) == getattr(theirs[S_BOOTP], f), f
    assert int(ours[BOOTP].flags) == int(theirs[S_BOOTP].flags)
    assert bytes(ours) == raw and ours.errors == []


@pytest.mark.parametrize("blob", [
    "3501023604c612000103", "350102ff0000", "3501", "330500", "0c00", "0103c61200",
    "3302000e", "35020102", "37020103", "0108c6120001c6120002", "ff00000000",
    "c8020102", "3d0301020300ff"])
def test_odd_options_read_as_scapy_reads_them(blob: str) -> None:
    raw = bytes.fromhex(blob)
    assert dissect_as(DHCP, raw).options == S_DHCP(raw).options
    assert bytes(dissect_as(DHCP, raw)) == raw


def test_default_ports_are_filled_as_scapy_fills_them() -> None:
    ours = IP(src="198.18.0.1", dst="198.18.0.2") / UDP() / BOOTP() / DHCP(options=["end"])
    theirs = S_IP(src="198.18.0.1", dst="198.18.0.2") / S_UDP() / S_BOOTP() / S_DHCP(
        options=["end"])
    assert bytes(ours) == bytes(theirs)


def test_bootp_fields_and_defaults_as_scapy() -> None:
    for kw in ({}, {"op": 2, "htype": 6, "hops": 3, "giaddr": "198.18.0.1"},
               {"sname": b"server", "file": b"/boot/pxe"}, {"chaddr": b"\x01" * 16},
               {"options": b"\x00\x01\x02"}):
        assert bytes(BOOTP(**kw)) == bytes(S_BOOTP(**kw))
    assert len(bytes(BOOTP(sname=b"x" * 70))) == len(bytes(S_BOOTP(sname=b"x" * 70))) == 236
    reply = BOOTP(op=2, xid=9)
    assert reply.answers(BOOTP(xid=9)) and not reply.answers(BOOTP(xid=8))


def test_bad_options_are_refused_clearly() -> None:
    for bad in (["nonsense"], [("no-such-option", 1)], [("lease_time", "soon")],
                [(300, b"")], [("hostname", b"x" * 300)]):
        with pytest.raises(UsageError):
            DHCP(options=bad)


@pytest.mark.parametrize("name", ["gopacket__pcapng-le-test008.pcapng",
                                  "pcapplusplus__raw_ip.pcap", "pcapplusplus__sll.pcap"])
def test_corpus_dhcp_as_scapy_reads_it(corpus_dir, name: str) -> None:
    seen = 0
    for linktype, data, wirelen in frames(corpus_dir / name):
        ours = dissect(data, linktype, wirelen)
        if not ours.haslayer(BOOTP):
            continue
        seen += 1
        theirs = scapy_dissect(linktype, data)
        assert theirs.haslayer(S_BOOTP)
        for f in ("op", "xid", "secs", "ciaddr", "yiaddr", "giaddr"):
            assert getattr(ours[BOOTP], f) == getattr(theirs[S_BOOTP], f), f
        if theirs.haslayer(S_DHCP):
            assert ours[DHCP].options == theirs[S_DHCP].options
        assert bytes(ours) == data
    assert seen


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_bad_bytes_never_raise(tail: bytes) -> None:
    for body in (tail, bytes(236) + b"c\x82Sc" + tail):
        raw = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=68, dport=67) / body)
        pkt = dissect_as(IP, raw)
        assert (pkt.haslayer(BOOTP) or not body) and bytes(pkt) == raw
