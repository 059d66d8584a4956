"""IGMP v1/v2: bytes, reading back and printing as Scapy's IGMP classes (same process),
and fields as tshark reads them from a real capture."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.igmp as ours_mod
import netprobe.packet.layers.ip_options as options_mod
from netprobe.packet import IP, Ether
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import (
    corpus_packets,
    mutations,
    never_raises,
    random_ip,
    random_kwargs,
    same_face,
    tshark_rows,
)

OURS = {**vars(options_mod), **vars(ours_mod), "IP": IP, "Ether": Ether}
HOSTS = 'IP(src="198.18.0.2", dst="224.0.0.1")/'
PACKETS = [
    'IGMP()', 'IGMP(type=0x16, gaddr="224.1.2.3")', 'IGMP(type=0x17, gaddr="224.1.2.3", mrcode=5)',
    'IGMP(type=0x12, gaddr="239.1.1.1", chksum=0x1234)', 'IGMP(type=0x99)',
    'IGMPv2_MR(gaddr="239.9.9.9")', 'IGMP_MQ(mrcode=100, gaddr="224.3.3.3")', 'IGMP_MR()',
    'IGMPv2_LG(gaddr="224.1.2.3")', 'IGMP(type="Leave Group", gaddr="224.1.2.3")',
    'IP(src="198.18.0.2", dst="224.1.2.3")/IGMP(type=0x16, gaddr="224.1.2.3")',
    HOSTS + 'IGMP()', HOSTS + 'IGMP(mrcode=200)', HOSTS + 'IGMP(mrcode=255, gaddr="224.9.9.9")',
    'IP(ttl=5, tos=1, src="198.18.0.2", dst="224.0.0.2")/IGMP(type=0x17, gaddr="224.1.2.3")',
    'IP(src="198.18.0.2", dst="224.0.0.1", options=[IPOption_NOP()])/IGMP()',
    'Ether(src="02:00:00:00:00:01", dst="01:00:5e:01:02:03")/IP(src="198.18.0.2", '
    'dst="224.1.2.3")/IGMP(type=0x16, gaddr="224.1.2.3")',
    # version 3 and router discovery
    'IGMPv3_MQ()', 'IGMPv3_MQ(gaddr="224.1.2.3", s=1, qrv=2, qqic=125, srcaddrs=['
    '"198.18.0.1", "198.18.0.2"], mrcode=100)', 'IGMPv3_MQ(mrcode=200)',
    'IGMPv3_MQ(mrcode=40000, flags=8)',
    'IGMPv3_MR(records=[IGMPv3_MR_Group(rtype=2, maddr="239.1.1.1", srcaddrs=["198.18.0.9"]), '
    'IGMPv3_MR_Group(maddr="239.2.2.2")])', 'IGMPv3_MR(flags=0x8001)',
    'IP(src="198.18.0.2", dst="224.0.0.22")/IGMPv3_MR(records=[IGMPv3_MR_Group('
    'maddr="239.1.1.1")])', HOSTS + 'IGMPv3_MQ()',
    'IGMPv3_MRA(advIntvl=20, qryIntvl=125, robust=2)', 'IGMPv3_MRS()', 'IGMPv3_MRT()',
    'IGMPv3_MR_Group(auxdlen=1, maddr="239.1.1.1")', 'IGMPv3()', 'IGMPv3(type=0x22)',
    'IGMP(type=0x30)', 'IGMPv3(type=0x32)',
]


@pytest.mark.parametrize("expr", PACKETS)
def test_packet_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


@pytest.mark.parametrize("mrcode", [0, 127, 128, 129, 200, 255, 1000, 3000, 31744, 31745,
                                    40000])
def test_v3_query_codes_long_times_as_scapy(mrcode: int) -> None:
    ours, theirs = ours_mod.IGMPv3_MQ(mrcode=mrcode), scapy_all.IGMPv3_MQ(mrcode=mrcode)
    assert ours.mrcode == theirs.mrcode and bytes(ours) == bytes(theirs)


@pytest.mark.parametrize(("kind", "size"), [(0x11, 8), (0x12, 8), (0x16, 8), (0x17, 8),
                                            (0x99, 8), (0x11, 11), (0x11, 12), (0x11, 20),
                                            (0x22, 8), (0x22, 16), (0x30, 8), (0x31, 4),
                                            (0x32, 4)])
def test_the_type_byte_chooses_the_class(kind: int, size: int) -> None:
    data = bytes([kind, 0, 0, 0, 224, 0, 0, 9] + [0] * 12)[:size]
    if kind == 0x22 and size == 16:
        data = bytes.fromhex("220000000000000104010000ef010101")
    ours, theirs = ours_mod.IGMP(data), scapy_all.IGMP(data)
    assert type(ours).__name__ == type(theirs).__name__ and repr(ours) == repr(theirs)
    ip = bytes(scapy_all.IP(src="198.18.0.2", dst="224.0.0.9", proto=2) / data)
    read, sread = dissect_as(IP, ip), scapy_all.IP(ip)
    assert repr(read.payload) == repr(sread.payload)
    # Scapy adds a Router Alert option to an IP header it reads without one (then builds
    # other bytes than it read); netprobe reads the header as it is
    assert sread.options and not read.options and bytes(read) == ip != bytes(sread)


def test_corpus_igmp_fields_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "pcapparser__wireshark_samples-test.pcapng"
    rows = tshark_rows(path, "igmp", ["igmp.type", "igmp.max_resp", "igmp.checksum",
                                      "igmp.maddr"])
    assert rows
    pkts = corpus_packets(path)
    for number, (kind, max_resp, chksum, maddr) in rows.items():
        igmp = pkts[number][ours_mod.IGMP_MQ if int(kind, 16) == 0x11 else ours_mod.IGMP]
        assert (igmp.type, igmp.mrcode, igmp.chksum, igmp.gaddr) == (
            int(kind, 16), int(max_resp), int(chksum, 16), maddr)


def test_malformed_igmp_never_raises() -> None:
    data = bytes(eval('Ether()/' + HOSTS + 'IGMP(type=0x16, gaddr="224.1.2.3")',
                      vars(scapy_all)))
    never_raises(mutations(data))
    v3 = bytes(eval('Ether()/' + HOSTS + 'IGMPv3_MR(records=[IGMPv3_MR_Group(maddr="239.1.1.1", '
                    'srcaddrs=["198.18.0.1", "198.18.0.2"]), IGMPv3_MR_Group()])',
                    vars(scapy_all)))
    never_raises(mutations(v3, count=500))


KINDS = ['IGMP()', 'IGMP(type=0x16)', 'IGMP(type=0x17)', 'IGMP(type=0x12)', 'IGMPv3_MQ()',
         'IGMPv3_MR()', 'IGMPv3_MRA()']


@pytest.mark.parametrize("reply", KINDS)
def test_answers_as_scapy(reply: str) -> None:
    for probe in KINDS:
        ours = eval(reply, OURS).answers(eval(probe, OURS))
        assert ours == eval(reply, vars(scapy_all)).answers(eval(probe, vars(scapy_all)))


def test_random_fields_are_scapys() -> None:
    rnd = random.Random(2)
    group = lambda r: f"{r.randint(224, 239)}.{r.randint(0, 255)}.{r.randint(0, 255)}.1"  # noqa: E731
    v2 = {"type": [0x11, 0x12, 0x16, 0x17], "mrcode": (0, 255), "gaddr": group}
    v3q = {"mrcode": (0, 40000), "gaddr": group, "s": (0, 1), "qrv": (0, 7), "qqic": (0, 255),
           "srcaddrs": lambda r: [random_ip(r) for _ in range(r.randint(0, 3))]}
    rec = {"rtype": (1, 6), "maddr": group,
           "srcaddrs": lambda r: [random_ip(r) for _ in range(r.randint(0, 3))]}
    for _ in range(60):
        kw = random_kwargs(rnd, v2)
        same_face(eval(HOSTS + "IGMP(**kw)", {**OURS, "kw": kw}),
                  eval(HOSTS + "IGMP(**kw)", {**vars(scapy_all), "kw": kw}))
        kw = random_kwargs(rnd, v3q)
        same_face(ours_mod.IGMPv3_MQ(**kw), scapy_all.IGMPv3_MQ(**kw))
        recs = [random_kwargs(rnd, rec) for _ in range(rnd.randint(0, 3))]
        same_face(ours_mod.IGMPv3_MR(records=[ours_mod.IGMPv3_MR_Group(**r) for r in recs]),
                  scapy_all.IGMPv3_MR(records=[scapy_all.IGMPv3_MR_Group(**r) for r in recs]))
