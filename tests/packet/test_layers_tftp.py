"""TFTP: bytes, reading back and printing as Scapy's TFTP layers (same process)."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.tftp as ours_mod
from netprobe.packet import IP, UDP, Raw, dissect
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import mutations, never_raises, same_face, tshark_rows, write_pcap

OURS = {**vars(ours_mod), "IP": IP, "UDP": UDP, "Raw": Raw}
HOSTS = 'IP(src="198.18.0.2", dst="198.18.0.1")/UDP(sport=1024)/'
PACKETS = [
    'TFTP()', 'TFTP()/TFTP_RRQ(filename="boot.img")', 'TFTP()/TFTP_RRQ()',
    'TFTP()/TFTP_WRQ(filename=b"x", mode=b"netascii")/TFTP_Options(options=['
    'TFTP_Option(oname="blksize", value="1428"), TFTP_Option(oname="tsize", value="0")])',
    'TFTP()/TFTP_DATA(block=3)/Raw(b"abc")', 'TFTP()/TFTP_DATA(block=65535)',
    'TFTP()/TFTP_ACK(block=4)', 'TFTP()/TFTP_ERROR(errorcode=1, errormsg="File not found")',
    'TFTP(op=5)/TFTP_ERROR(errorcode=9, errormsg="x")', 'TFTP()/TFTP_ERROR()',
    'TFTP()/TFTP_OACK()/TFTP_Options(options=[TFTP_Option(oname="blksize", value="512")])',
    'TFTP(op=9)/Raw(b"xx")', 'TFTP_Option(oname="a", value="b")', 'TFTP_Options()',
    HOSTS + 'TFTP()/TFTP_RRQ(filename="a")', HOSTS + 'TFTP()/TFTP_WRQ(filename="a")',
    HOSTS + 'TFTP()/TFTP_ACK(block=9)', HOSTS + 'TFTP()/TFTP_DATA(block=1)/Raw(b"x" * 512)',
    HOSTS + 'TFTP()/TFTP_ERROR(errorcode=2, errormsg="no")', HOSTS + 'TFTP()/TFTP_OACK()',
]
WIRE = ["0006626c6b73697a6500353132007473697a6500", "000166696c65006f6374657400626c6b7300",
        "000166696c65", "000500096f6f7073", "000300", "0001", "0002006f637465740061",
        "00040001ffff"]


@pytest.mark.parametrize("expr", PACKETS)
def test_packet_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


@pytest.mark.parametrize("hexdata", WIRE)
def test_odd_bytes_read_as_scapy_reads_them(hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    ours, theirs = dissect_as(ours_mod.TFTP, data), scapy_all.TFTP(data)
    assert repr(ours) == repr(theirs)


def test_only_port_69_reads_as_tftp() -> None:
    for sport, dport, tftp in ((1024, 69, True), (69, 1024, False)):
        data = bytes(scapy_all.IP(src="198.18.0.2", dst="198.18.0.1")
                     / scapy_all.UDP(sport=sport, dport=dport) / scapy_all.TFTP()
                     / scapy_all.TFTP_ACK(block=1))
        read = dissect(data, 228)
        assert read.haslayer(ours_mod.TFTP) == tftp
        assert repr(read) == repr(scapy_all.IP(data))


def test_malformed_tftp_never_raises() -> None:
    data = bytes(eval(HOSTS + 'TFTP()/TFTP_WRQ(filename="a")/TFTP_Options(options=['
                      'TFTP_Option(oname="blksize", value="512")])', vars(scapy_all)))
    never_raises(mutations(data), lambda b: dissect(b, 228))


def test_fields_are_tsharks(tmp_path) -> None:
    """TFTP made by netprobe, read by tshark and by netprobe: the same values."""
    # one source port each: tshark ties the datagrams of one port pair into one transfer
    head = 'Ether()/IP(src="198.18.0.2", dst="198.18.0.1")/UDP(sport={})/TFTP()/'
    exprs = [head.format(1069) + 'TFTP_RRQ(filename="boot.img", mode="netascii")',
             head.format(1070) + 'TFTP_WRQ(filename="up.bin")/TFTP_Options(options=['
             'TFTP_Option(oname="blksize", value="1428"), TFTP_Option(oname="tsize", '
             'value="0")])',
             head.format(1071) + 'TFTP_ERROR(errorcode=2, errormsg="denied")']
    from netprobe.packet import Ether

    frames = [bytes(eval(e, {**OURS, "Ether": Ether})) for e in exprs]
    rows = tshark_rows(write_pcap(tmp_path / "tftp.pcap", frames), "tftp",
                       ["tftp.opcode", "tftp.source_file", "tftp.destination_file",
                        "tftp.type", "tftp.error.code", "tftp.error.message",
                        "tftp.option.name", "tftp.option.value"])
    assert len(rows) == len(frames)
    for number, row in rows.items():
        pkt = dissect(frames[number - 1])
        op = pkt[ours_mod.TFTP].op
        req = pkt.getlayer(ours_mod.TFTP_RRQ) or pkt.getlayer(ours_mod.TFTP_WRQ)
        err = pkt.getlayer(ours_mod.TFTP_ERROR)
        opts = pkt.getlayer(ours_mod.TFTP_Options)
        opts = opts.options if opts is not None else []
        mine = [str(op), req.filename.decode() if op == 1 else "",
                req.filename.decode() if op == 2 else "",
                req.mode.decode() if req is not None else "",
                str(err.errorcode) if err is not None else "",
                err.errormsg.decode() if err is not None else "",
                ",".join(o.oname.decode() for o in opts), ",".join(o.value.decode() for o in opts)]
        assert mine == row


MESSAGES = ['TFTP_RRQ(filename="a")', 'TFTP_WRQ(filename="a")', 'TFTP_DATA(block=1)',
            'TFTP_DATA(block=2)', 'TFTP_ACK(block=1)', 'TFTP_ACK(block=0)', 'TFTP_ACK(block=2)',
            'TFTP_ERROR()', 'TFTP_OACK()']


@pytest.mark.parametrize("reply", MESSAGES)
def test_answers_as_scapy(reply: str) -> None:
    for probe in MESSAGES:
        for head in ("", "TFTP()/"):
            ours = eval(head + reply, OURS).answers(eval(head + probe, OURS))
            theirs = eval(head + reply, vars(scapy_all)).answers(eval(head + probe,
                                                                      vars(scapy_all)))
            assert repr(ours) == repr(theirs), (reply, probe, head)


def test_random_messages_are_scapys() -> None:
    rnd = random.Random(69)

    def text(r: random.Random) -> str:
        # not empty: an empty value given by hand is the default object (b"" is one object),
        # which repr() does not list; Scapy lists it
        return "".join(r.choice("abcxyz./-_09") for _ in range(r.randint(1, 40)))

    for _ in range(80):
        kind = rnd.choice([
            f'TFTP_RRQ(filename={text(rnd)!r}, mode={rnd.choice(["octet", "netascii", "mail"])!r})',
            f'TFTP_WRQ(filename={text(rnd)!r})/TFTP_Options(options=[TFTP_Option(oname='
            f'{text(rnd)!r}, value={text(rnd)!r})])',
            f'TFTP_DATA(block={rnd.randint(0, 65535)})/Raw({text(rnd).encode()!r})',
            f'TFTP_ACK(block={rnd.randint(0, 65535)})',
            f'TFTP_ERROR(errorcode={rnd.randint(0, 9)}, errormsg={text(rnd)!r})'])
        expr = HOSTS + "TFTP()/" + kind
        same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))
