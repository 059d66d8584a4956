"""SNMP and its BER values: bytes, reading back and printing as Scapy's (same process)."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy_all
from scapy.layers.inet import IP as SIP
from scapy.layers.inet import UDP as SUDP
from scapy.layers.l2 import Ether as SEther

import netprobe.packet.layers.snmp as ours_mod
from netprobe.errors import UsageError
from netprobe.packet import IP, UDP, Ether, dissect
from netprobe.packet.layers.asn1_ber import encode_length, read_tlv, read_value
from netprobe.packet.layers.snmp import SNMP, SNMPresponse, SNMPvarbind
from tests.packet.layers_compare import (
    mutations,
    never_raises,
    same_face,
    tshark_rows,
    write_pcap,
)

VALUES = ["ASN1_INTEGER(5)", "ASN1_INTEGER(-3)", "ASN1_INTEGER(-128)", "ASN1_INTEGER(128)",
          "ASN1_INTEGER(-32768)", "ASN1_INTEGER(2**31)", "ASN1_STRING(b'hello')",
          "ASN1_STRING('hi')", "ASN1_STRING(b'')", "ASN1_STRING(b'x' * 300)",
          "ASN1_OID('1.3.6.1.4.1.2021.200')", "ASN1_OID('2.39.3')", "ASN1_NULL(0)",
          "ASN1_IPADDRESS('198.18.0.1')", "ASN1_COUNTER32(0xffffffff)", "ASN1_GAUGE32(9)",
          "ASN1_TIME_TICKS(100)", "ASN1_BOOLEAN(1)", "ASN1_COUNTER64(2**40)", "5", "'text'",
          "b'bytes'"]

MESSAGES = [
    "SNMP()",
    "SNMP(community='public', PDU=SNMPget(varbindlist=[SNMPvarbind("
    "oid=ASN1_OID('1.3.6.1.2.1.1.1.0'))]))",
    "SNMP(version='v1', community=b'private', PDU=SNMPnext(id=99, varbindlist=["
    "SNMPvarbind(oid='1.3.6.1.2.1.2'), SNMPvarbind(oid='1.3.6.1.2.1.4')]))",
    "SNMP(PDU=SNMPset(id=ASN1_INTEGER(70000), varbindlist=[SNMPvarbind("
    "oid='1.3.6.1.2.1.1.5.0', value=ASN1_STRING(b'router1'))]))",
    "SNMP(community=b'c', PDU=SNMPresponse(id=0x1234, error=2, error_index=1))",
    "SNMP(PDU=SNMPresponse(error='too_big'))",
    "SNMP(version=0, PDU=SNMPtrapv1(enterprise='1.3.6.1.4.1.8072', agent_addr='198.18.0.1', "
    "generic_trap=6, specific_trap=3, time_stamp=12345))",
    "SNMP(PDU=SNMPtrapv1(generic_trap='link_down', time_stamp=ASN1_TIME_TICKS(7), "
    "varbindlist=[SNMPvarbind(oid='1.3.6.1.2.1.2.2.1.1.2', value=2)]))",
    "SNMP(PDU=SNMPbulk(id=7, non_repeaters=1, max_repetitions=10, varbindlist=["
    "SNMPvarbind(oid='1.3.6.1.2.1.2.2')]))",
    "SNMP(PDU=SNMPinform(id=3))",
    "SNMP(PDU=SNMPtrapv2(id=4, varbindlist=[SNMPvarbind(oid='1.3.6.1.2.1.1.3.0', "
    "value=ASN1_TIME_TICKS(555)), SNMPvarbind(oid='1.3.6.1.6.3.1.1.4.1.0', "
    "value=ASN1_OID('1.3.6.1.6.3.1.1.5.3'))]))",
    "SNMP(version=3)",
    "SNMPvarbind(oid='1.3', noSuchObject=ASN1_NULL(0))",
    "SNMPvarbind(oid='1.3.6', noSuchInstance=ASN1_NULL(0))",
    "SNMPvarbind(oid='1.3.6', endOfMibView=ASN1_NULL(0))",
]


def both(expr: str):
    """The expression evaluated with netprobe's names and with Scapy's."""
    return eval(expr, vars(ours_mod)), eval(expr, vars(scapy_all))


@pytest.mark.parametrize("expr", MESSAGES)
def test_message_is_scapys(expr: str) -> None:
    same_face(*both(expr))


@pytest.mark.parametrize("value", VALUES)
def test_varbind_value_is_scapys(value: str) -> None:
    expr = (f"SNMP(PDU=SNMPresponse(id=1, varbindlist=[SNMPvarbind(oid='1.3.6.1.2.1.1.1.0', "
            f"value={value})]))")
    same_face(*both(expr))


@pytest.mark.parametrize("value", VALUES)
def test_asn1_value_prints_and_encodes_as_scapys(value: str) -> None:
    if not value.startswith("ASN1"):
        return
    ours, theirs = both(value)
    assert bytes(ours) == bytes(theirs)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert ours == theirs.val and ours.val == theirs.val


def test_on_udp_ports_as_scapy() -> None:
    msg = "SNMP(PDU=SNMPresponse(id=5, varbindlist=[SNMPvarbind(oid='1.3.6.1', value=1)]))"
    n, s = both(msg)
    theirs = SEther(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / SIP(
        src="198.18.0.1", dst="198.18.0.2") / SUDP() / s
    ours = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(
        src="198.18.0.1", dst="198.18.0.2") / UDP() / n
    assert bytes(ours) == bytes(theirs)
    assert repr(ours) == repr(theirs) and ours.summary() == theirs.summary()
    for sport, dport in ((161, 161), (40000, 161), (161, 40000), (40000, 162), (162, 40000)):
        data = bytes(SIP(src="198.18.0.1", dst="198.18.0.2") / SUDP(sport=sport, dport=dport)
                     / s)
        read = dissect(data, 228)
        assert repr(read) == repr(SIP(data))
        assert read.show(dump=True) == SIP(data).show(dump=True)


def test_response_answers_its_request() -> None:
    req = SNMP(PDU=ours_mod.SNMPget(id=42))
    assert SNMP(PDU=SNMPresponse(id=42)).answers(req)
    assert not SNMP(PDU=SNMPresponse(id=41)).answers(req)


def test_bad_values_are_refused_clearly() -> None:
    with pytest.raises(UsageError):
        ours_mod.ASN1_OID("1.x.3")
    with pytest.raises(UsageError):
        SNMP(PDU=b"nope")
    with pytest.raises(UsageError):
        SNMPresponse(error="no_such_error")
    with pytest.raises(UsageError):
        SNMPvarbind(value=1.5)


def test_oid_arcs_past_39_under_2_read_as_x690_says() -> None:
    # Scapy reads 2.999.3 back as 26.39.3 (it splits the first subidentifier by 40 alone);
    # netprobe follows X.690 8.19.4 here, as tshark does
    raw = bytes(ours_mod.ASN1_OID("2.999.3"))
    assert raw == bytes(scapy_all.ASN1_OID("2.999.3"))
    assert read_value(raw, 0, len(raw))[0].val == "2.999.3"


def test_long_lengths_read_back() -> None:
    for n in (0, 127, 128, 255, 256, 70000):
        raw = b"\x04" + encode_length(n) + b"x" * n
        assert read_tlv(raw, 0, len(raw))[2] == len(raw)


def test_malformed_snmp_never_raises() -> None:
    _, s = both(MESSAGES[6].replace("time_stamp=12345", "time_stamp=1, varbindlist=["
                                    "SNMPvarbind(oid='1.3.6.1', value=ASN1_COUNTER64(9))]"))
    data = bytes(SEther() / SIP() / SUDP() / s)
    never_raises(mutations(data, count=600))


def test_fields_are_tsharks(tmp_path) -> None:
    """SNMP made by netprobe, read by tshark and by netprobe: the same values."""
    def udp(dport: int) -> str:
        return f'Ether()/IP(src="198.18.0.2", dst="198.18.0.10")/UDP(sport=40000, dport={dport})/'
    exprs = [
        udp(161) + 'SNMP(community="lab", PDU=SNMPget(id=77, varbindlist=[SNMPvarbind('
        'oid="1.3.6.1.2.1.1.1.0"), SNMPvarbind(oid="1.3.6.1.2.1.1.5.0")]))',
        udp(161) + 'SNMP(version=0, community="lab", PDU=SNMPresponse(id=70000, error=2, '
        'error_index=1, varbindlist=[SNMPvarbind(oid="1.3.6.1.2.1.1.1.0", '
        'value=ASN1_STRING(b"router"))]))',
        udp(161) + 'SNMP(PDU=SNMPbulk(id=5, non_repeaters=1, max_repetitions=9, varbindlist=['
        'SNMPvarbind(oid="1.3.6.1.4.1.2021.200.1")]))',
        udp(162) + 'SNMP(version=0, PDU=SNMPtrapv1(enterprise="1.3.6.1.4.1.8072", agent_addr='
        '"198.18.0.10", generic_trap=6, specific_trap=3, time_stamp=4242))',
    ]
    names = {**vars(ours_mod), "Ether": Ether, "IP": IP, "UDP": UDP}
    frames = [bytes(eval(e, names)) for e in exprs]
    path = write_pcap(tmp_path / "snmp.pcap", frames)
    rows = tshark_rows(path, "snmp", ["snmp.version", "snmp.community", "snmp.request_id",
                                      "snmp.error_status", "snmp.error_index", "snmp.name",
                                      "snmp.non_repeaters", "snmp.max_repetitions",
                                      "snmp.enterprise", "snmp.agent_addr",
                                      "snmp.generic_trap", "snmp.specific_trap",
                                      "snmp.time_stamp", "snmp.value.octets"])
    assert len(rows) == len(frames)

    def val(v: object) -> str:
        v = getattr(v, "val", v)
        return v.hex() if isinstance(v, bytes) else str(v)

    for number, row in rows.items():
        msg = dissect(frames[number - 1])[SNMP]
        pdu = msg.PDU
        fields = pdu.fields_by_name
        mine = [val(msg.version), msg.community.val.decode(),
                val(pdu.id) if "id" in fields else "",
                val(pdu.error) if "error" in fields else "",
                val(pdu.error_index) if "error_index" in fields else "",
                ",".join(v.oid.val for v in pdu.varbindlist),
                val(pdu.non_repeaters) if "non_repeaters" in fields else "",
                val(pdu.max_repetitions) if "max_repetitions" in fields else "",
                val(pdu.enterprise.val) if "enterprise" in fields else "",
                val(pdu.agent_addr) if "agent_addr" in fields else "",
                val(pdu.generic_trap) if "generic_trap" in fields else "",
                val(pdu.specific_trap) if "specific_trap" in fields else "",
                val(pdu.time_stamp) if "time_stamp" in fields else "",
                ",".join(val(v.value) for v in pdu.varbindlist
                         if isinstance(v.value, ours_mod.ASN1_STRING))]
        assert mine == row, number


@pytest.mark.parametrize("request_pdu", ["SNMPget", "SNMPnext", "SNMPset", "SNMPbulk",
                                         "SNMPinform", "SNMPresponse", "SNMPtrapv2"])
def test_answers_as_scapy(request_pdu: str) -> None:
    for rid in (5, 6):
        ours, theirs = both(f"SNMP(PDU=SNMPresponse(id=5)).answers(SNMP(PDU={request_pdu}("
                            f"id={rid})))")
        assert ours == theirs


def test_random_messages_are_scapys() -> None:
    rnd = random.Random(161)

    def oid(r: random.Random) -> str:
        return "1.3.6.1." + ".".join(str(r.choice([0, 1, 2, 127, 128, 300, 2**20, 2**31]))
                                     for _ in range(r.randint(1, 8)))

    values = [lambda r: f"ASN1_INTEGER({r.randint(-2**40, 2**40)})",
              lambda r: f"ASN1_STRING({r.randbytes(r.randint(0, 200))!r})",
              lambda r: f"ASN1_OID({oid(r)!r})", lambda r: "ASN1_NULL(0)",
              lambda r: f"ASN1_COUNTER32({r.randint(0, 2**32 - 1)})",
              lambda r: f"ASN1_GAUGE32({r.randint(0, 2**32 - 1)})",
              lambda r: f"ASN1_TIME_TICKS({r.randint(0, 2**32 - 1)})",
              lambda r: f"ASN1_COUNTER64({r.randint(0, 2**64 - 1)})",
              lambda r: f"ASN1_IPADDRESS('198.18.{r.randint(0, 255)}.{r.randint(0, 255)}')",
              lambda r: str(r.randint(-1000, 10**6))]
    for _ in range(80):
        binds = ", ".join(f"SNMPvarbind(oid={oid(rnd)!r}, value={rnd.choice(values)(rnd)})"
                          for _ in range(rnd.randint(0, 5)))
        pdu = rnd.choice(["SNMPget", "SNMPnext", "SNMPresponse", "SNMPset", "SNMPinform",
                          "SNMPtrapv2"])
        extra = f", error={rnd.randint(0, 18)}, error_index={rnd.randint(0, 9)}"
        community = rnd.choice(["public", b"x" * 130])
        expr = (f"SNMP(version={rnd.randint(0, 3)}, community={community!r}, "
                f"PDU={pdu}(id={rnd.randint(-2**31, 2**31 - 1)}{extra}, varbindlist=[{binds}]))")
        same_face(*both(expr))
