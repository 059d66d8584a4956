"""IPv4 options as layers: bytes, reading back and printing as Scapy's IPOption classes."""

from __future__ import annotations

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.ip_options as ours_mod
from netprobe.errors import UsageError
from netprobe.packet import IP, TCP, UDP, Ether
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import (
    corpus_packets,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

OURS = {**vars(ours_mod), "IP": IP, "UDP": UDP, "TCP": TCP, "Ether": Ether}
OPTIONS = [
    "IPOption_RR()", "IPOption_RR(routers=['198.18.1.1', '198.18.1.2'])",
    "IPOption_RR(routers=['198.18.1.1'], pointer=8)", "IPOption_LSRR(routers=['198.18.1.1'])",
    "IPOption_SSRR(routers=['198.18.1.1', '198.18.2.2', '198.18.3.3'])", "IPOption_NOP()",
    "IPOption_EOL()", "IPOption_Router_Alert()", "IPOption_Router_Alert(alert=5)",
    "IPOption_Timestamp()", "IPOption_Timestamp(flg=0, timestamp=5)",
    "IPOption_Timestamp(flg=3, internet_address='198.18.0.1', timestamp=5, oflw=2)",
    "IPOption_Security()", "IPOption_Security(security=0xf135, transmission_control_code=b'ab')",
    "IPOption_Stream_Id(security=7)", "IPOption_MTU_Probe(mtu=1500)",
    "IPOption_MTU_Reply(mtu=9000)",
    "IPOption_Traceroute(id=1, outbound_hops=2, return_hops=3, originator_ip='198.18.0.1')",
    "IPOption_Address_Extension(src_ext='198.18.0.1', dst_ext='198.18.0.2')",
    "IPOption_SDBM(addresses=['198.18.0.1', '198.18.0.2'])",
    "IPOption(option=30, value=b'ab')", "IPOption(copy_flag=1, option=25, value=b'\\xab\\xcd')",
]


@pytest.mark.parametrize("opt", OPTIONS)
def test_option_alone_is_scapys(opt: str) -> None:
    ours, theirs = eval(opt, OURS), eval(opt, vars(scapy_all))
    assert bytes(ours) == bytes(theirs)
    assert repr(ours) == repr(theirs) and ours.show(dump=True) == theirs.show(dump=True)
    read, sread = ours_mod.IPOption(bytes(theirs)), scapy_all.IPOption(bytes(theirs))
    assert type(read).__name__ == type(sread).__name__
    assert repr(read) == repr(sread) and read.show(dump=True) == sread.show(dump=True)


@pytest.mark.parametrize("opt", OPTIONS)
def test_ip_with_option_is_scapys(opt: str) -> None:
    expr = f"IP(src='198.18.0.1', dst='198.18.0.2', options=[{opt}])/UDP()"
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


@pytest.mark.parametrize("opts", [
    "[IPOption_RR(routers=['198.18.1.1', '198.18.1.2']), IPOption_NOP(), "
    "IPOption_Router_Alert()]",
    "[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]",
    "[IPOption_LSRR(routers=['198.18.5.5', '198.18.9.9']), IPOption_Timestamp(flg=0)]",
    "[IPOption_Security(), IPOption_RR(), IPOption_NOP()]",
])
def test_option_lists_are_scapys(opts: str) -> None:
    expr = f"IP(src='198.18.0.1', dst='198.18.0.2', options={opts})/TCP(dport=80)"
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


def test_loose_source_route_gives_the_checksum_its_last_hop() -> None:
    expr = ("IP(src='198.18.0.1', dst='198.18.0.2', options=[IPOption_LSRR("
            "routers=['198.18.7.7'])])/TCP(dport=80)")
    assert bytes(eval(expr, OURS)) == bytes(eval(expr, vars(scapy_all)))


def test_older_option_forms_still_build() -> None:
    assert bytes(IP(options=[(148, b"\x00\x00")])) == bytes(
        IP(options=[ours_mod.IPOption_Router_Alert()]))
    read = dissect_as(IP, bytes(IP(options=[b"\x94\x04\x00\x00"])))
    assert read.options[0][0] == 148 and read.options[0][1] == b"\x00\x00"
    with pytest.raises(UsageError):
        IP(options=["router alert"])


def test_corpus_ip_options_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "pcapparser__wireshark_samples-test.pcapng"
    rows = tshark_rows(path, "ip.opt.type", ["ip.opt.type", "ip.opt.len"])
    assert rows
    pkts = corpus_packets(path)
    for number, (types, lengths) in rows.items():
        opts = [o for o in pkts[number][IP].options if bytes(o)[0] not in (0, 1)]
        assert [bytes(o)[0] for o in opts] == [int(t) for t in types.split(",")]
        assert [len(bytes(o)) for o in opts] == [int(n) for n in lengths.split(",")]


def test_malformed_options_never_raise() -> None:
    expr = ("Ether()/IP(src='198.18.0.1', dst='198.18.0.2', options=[IPOption_RR(routers="
            "['198.18.1.1']), IPOption_Timestamp(), IPOption_Router_Alert()])/UDP()")
    never_raises(mutations(bytes(eval(expr, vars(scapy_all))), count=500))
    for raw in (b"\x07", b"\x07\x01", b"\x07\xff\x04", b"\x44\x03", b"\x82\x0b\x00"):
        opts, problem = ours_mod.read_ip_options(raw)
        assert problem is None or opts[-1][0] == -1
