"""NTP: bytes, reading back and printing as Scapy's ``NTP``/``NTPHeader`` (same process)."""

from __future__ import annotations

import random
import socket
import struct

import pytest
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import UDP as SUDP
from scapy.layers.l2 import Ether as SEther
from scapy.layers.ntp import NTP as SNTP
from scapy.layers.ntp import NTPHeader as SNTPHeader

from netprobe.packet import IP, UDP, Ether, dissect
from netprobe.packet.layers.ntp import NTP, NTPHeader
from tests.packet.layers_compare import (
    corpus_packets,
    mutations,
    never_raises,
    random_ip,
    random_kwargs,
    same_face,
    tshark_rows,
)

T0 = 3900000000.5
CASES = [
    {},
    {"mode": 4, "stratum": 1, "ref_id": b"GPS"},
    {"leap": 3, "version": 3, "mode": 4, "stratum": 1, "ref_id": "PPS", "delay": 1.5,
     "dispersion": 0.25, "ref": T0, "orig": T0 + 1, "recv": T0 + 2.25, "sent": 0, "poll": -6,
     "precision": -20},
    {"stratum": 0},
    {"stratum": 3, "id": "198.18.0.1", "delay": 0.1, "dispersion": 3},
    {"mode": 5, "leap": 1, "poll": 127, "precision": -128, "ref": 5, "recv": 2208988799},
    {"mode": 1, "delay": -1.5, "ref": 2208988800.75, "recv": 4294967295},
    {"mode": 2, "version": 2, "stratum": 16, "dispersion": 65535.99},
    {"mode": 0, "version": 1, "ref": 3900000000.123456789},
]


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_header_alone_is_scapys(kw: dict) -> None:
    kw = {"orig": 0, "sent": 0, **kw}
    same_face(NTPHeader(**kw), SNTPHeader(**kw))


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_ntp_name_makes_the_header(kw: dict) -> None:
    kw = {"orig": 0, "sent": 0, **kw}
    ours, theirs = NTP(**kw), SNTP(**kw)
    assert type(ours) is NTPHeader
    same_face(ours, theirs)


def test_unset_times_print_as_scapy_and_build_now() -> None:
    ours, theirs = NTP(), SNTP()
    assert repr(ours) == repr(theirs)
    assert ours.show(dump=True) == theirs.show(dump=True)
    data, sdata = bytes(ours), bytes(theirs)
    assert data[:24] == sdata[:24] and data[32:40] == sdata[32:40]
    for at in (24, 40):  # orig and sent: the time of building, in NTP seconds
        assert abs(struct.unpack_from("!I", data, at)[0]
                   - struct.unpack_from("!I", sdata, at)[0]) <= 2


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_stacked_on_udp(kw: dict) -> None:
    kw = {"orig": 0, "sent": 0, **kw}
    theirs = SEther(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / SIP(
        src="198.18.0.1", dst="198.18.0.2") / SUDP() / SNTP(**kw)
    ours = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(
        src="198.18.0.1", dst="198.18.0.2") / UDP() / NTP(**kw)
    assert bytes(ours) == bytes(theirs)
    assert repr(ours) == repr(theirs)
    assert ours.summary() == theirs.summary()
    read, sread = dissect(bytes(theirs)), SEther(bytes(theirs))
    assert repr(read) == repr(sread)
    assert read.show(dump=True) == sread.show(dump=True)
    assert read.haslayer(NTP) and read[NTP] is read[NTPHeader]


@pytest.mark.parametrize("raw", [1, 2, 3, 0x8000, 0x8001, 0xFFFF, 0x10001, 0x12345678,
                                 0xFFFFFFFF, 0x7FFF8000])
def test_fixed_point_values_read_as_scapys(raw: int) -> None:
    data = bytearray(bytes(SNTPHeader(orig=0, sent=0)))
    data[4:8] = struct.pack("!I", raw)
    data[16:24] = struct.pack("!II", raw, raw)
    ours, theirs = NTPHeader(bytes(data)), SNTPHeader(bytes(data))
    assert ours.delay == theirs.delay and str(ours.delay) == str(theirs.delay)
    assert str(ours.ref) == str(theirs.ref)
    assert repr(ours) == repr(theirs)


def test_server_port_on_either_side_reads_as_ntp() -> None:
    payload = bytes(SNTPHeader(mode=4, orig=0, sent=0))
    for sport, dport in ((123, 40000), (40000, 123)):
        data = bytes(SIP(src="198.18.0.1", dst="198.18.0.2") / SUDP(sport=sport, dport=dport)
                     / payload)
        assert repr(dissect(data, 228)) == repr(SIP(data))


def test_control_and_private_modes_stay_raw() -> None:
    data = bytes(SIP() / SUDP(sport=123, dport=123) / (b"\x16" + bytes(11)))
    pkt = dissect(data, 228)
    assert not pkt.haslayer(NTPHeader) and pkt[UDP].payload.name == "Raw"


def test_malformed_ntp_never_raises() -> None:
    data = bytes(SEther() / SIP() / SUDP() / SNTPHeader(stratum=1, ref_id=b"GPS", orig=0,
                                                          sent=0))
    never_raises(mutations(data))


def test_corpus_ntp_fields_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "pcapparser__wireshark_samples-test.pcapng"
    rows = tshark_rows(path, "ntp", ["ntp.flags.li", "ntp.flags.vn", "ntp.flags.mode",
                                     "ntp.stratum", "ntp.ppoll", "ntp.precision", "ntp.refid"])
    assert rows
    pkts = corpus_packets(path)
    for number, (li, vn, mode, stratum, poll, precision, refid) in rows.items():
        ntp = pkts[number][NTPHeader]
        assert (ntp.leap, ntp.version, ntp.mode, ntp.stratum) == tuple(
            int(x) for x in (li, vn, mode, stratum))
        assert ntp.poll & 0xFF == int(poll) and ntp.precision & 0xFF == int(precision)
        ref = ntp.ref_id if ntp.stratum <= 1 else socket.inet_aton(ntp.id)
        assert ref.ljust(4, b"\0").hex() == refid


def test_random_fields_are_scapys() -> None:
    rnd = random.Random(123)
    spec = {"leap": (0, 3), "version": (0, 7), "mode": (0, 5), "stratum": (0, 255),
            "poll": (-128, 127), "precision": (-128, 127),
            "delay": lambda r: round(r.uniform(0, 65535), 6),
            "dispersion": lambda r: round(r.uniform(0, 100), 3), "id": random_ip,
            "ref": lambda r: r.uniform(0, 2**32 - 1), "recv": lambda r: r.randint(0, 2**32 - 1)}
    for _ in range(150):
        kw = {"orig": rnd.uniform(0, 2**32 - 1), "sent": rnd.randint(0, 2**32 - 1),
              **random_kwargs(rnd, spec)}
        same_face(NTPHeader(**kw), SNTPHeader(**kw))
