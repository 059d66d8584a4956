"""PPP's LCP, IPCP, PAP and CHAP against Scapy (bytes, dissection, printing) and tshark."""

from __future__ import annotations

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet as N  # noqa: N812
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers import ppp_control as C  # noqa: N812
from netprobe.packet.layers.link import PPP
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

CASES = [
    "PPP()/PPP_LCP_Configure(id=1, options=[PPP_LCP_MRU_Option(),"
    " PPP_LCP_Magic_Number_Option(magic_number=0x1234), PPP_LCP_Auth_Protocol_Option(),"
    " PPP_LCP_ACCM_Option()])",
    "PPP()/PPP_LCP_Configure(code=2, options=[PPP_LCP_Option(type=7, data=b'')])",
    "PPP()/PPP_LCP_Configure(code=3, id=9, options=[PPP_LCP_MRU_Option(max_recv_unit=1492)])",
    "PPP()/PPP_LCP_Configure(code=4)",
    "PPP()/PPP_LCP_Configure(options=[PPP_LCP_Auth_Protocol_Option(auth_protocol=0xc223)])",
    "PPP()/PPP_LCP_Configure(options=[PPP_LCP_Auth_Protocol_Option(auth_protocol=0xc223,"
    " algorithm=0x81), PPP_LCP_ACCM_Option(accm=0xa0000)])",
    "PPP()/PPP_LCP_Echo(id=2, magic_number=5, data=b'x')",
    "PPP()/PPP_LCP_Echo(code=10, magic_number=0xffffffff)",
    "PPP()/PPP_LCP_Terminate()",
    "PPP()/PPP_LCP_Terminate(code=6, data=b'bye')",
    "PPP()/PPP_LCP()",
    "PPP()/PPP_LCP_Code_Reject(rejected_packet=PPP_LCP(code=99))",
    "PPP()/PPP_LCP_Discard_Request()",
    "PPP()/PPP_IPCP(options=[PPP_IPCP_Option_IPAddress(data='198.18.0.1'),"
    " PPP_IPCP_Option_DNS1()])",
    "PPP()/PPP_IPCP(code=3, options=[PPP_IPCP_Option_DNS2(data='198.18.0.53'),"
    " PPP_IPCP_Option_NBNS1(), PPP_IPCP_Option_NBNS2(), PPP_IPCP_Option(type=2, data=b'ab')])",
    "PPP()/PPP_IPCP()",
    "PPP()/PPP_PAP_Request(username=b'u', password=b'p')",
    "PPP()/PPP_PAP_Request(id=4, username=b'someone', password=b'secret')",
    "PPP()/PPP_PAP_Response(message=b'ok')",
    "PPP()/PPP_PAP_Response(code=3)",
    "PPP()/PPP_CHAP_ChallengeResponse(value=b'\\x01' * 16, optional_name=b'srv')",
    "PPP()/PPP_CHAP_ChallengeResponse(code=2)",
    "PPP()/PPP_CHAP(code=3)",
    "PPP()/PPP_CHAP(code=4, data=b'no')",
    "PPP()/IP(dst='198.18.0.1')",
]


def _both(expr: str) -> tuple:
    N.load_families()
    return eval(expr, {n: getattr(N, n) for n in N.__all__}), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    # Scapy's unbuilt PAP response cannot summarise itself (msg_len is None)
    same_face(ours, theirs, show=True) if "PAP_Response" not in expr else _no_summary(
        ours, theirs)


def _no_summary(ours, theirs) -> None:
    data = bytes(theirs)
    assert bytes(ours) == data
    assert repr(ours) == repr(theirs)
    assert ours.show(dump=True) == theirs.show(dump=True)
    read_ours, read_theirs = dissect_as(PPP, data), S.PPP(data)
    assert repr(read_ours) == repr(read_theirs)
    assert read_ours.summary() == read_theirs.summary()
    assert read_ours.show(dump=True) == read_theirs.show(dump=True)


@pytest.mark.parametrize("expr", CASES[:3])
def test_over_pppoe_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    macs = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
    data = bytes(S.Ether(**macs) / S.PPPoE(sessionid=5) / theirs)
    assert bytes(N.Ether(**macs) / N.PPPoE(sessionid=5) / ours) == data
    # PPPoE's own fields print as pppoe.py prints them; the PPP part is compared here
    assert repr(dissect_as(N.Ether, data)[PPP]) == repr(S.Ether(data)[S.PPP])
    assert dissect_as(N.Ether, data).summary() == S.Ether(data).summary()


@pytest.mark.parametrize("expr", [CASES[0], CASES[6], CASES[10], CASES[13], CASES[16],
                                  CASES[18], CASES[20], CASES[22]])
def test_bytes_after_the_length_read_as_in_scapy(expr: str) -> None:
    _ours, theirs = _both(expr)
    data = bytes(theirs) + b"\x00" * 6
    assert repr(dissect_as(PPP, data)) == repr(S.PPP(data))


def test_a_cut_or_mutated_packet_never_raises() -> None:
    frames = []
    for expr in (CASES[0], CASES[5], CASES[13], CASES[17], CASES[20], CASES[11]):
        frames += mutations(bytes(_both(expr)[0]), count=150)
    never_raises(frames, lambda b: dissect_as(PPP, b))


def test_corpus_control_packets_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "zeek__pppoe.pcap"
    rows = tshark_rows(path, "lcp or ipcp or pap", [
        "ppp.protocol", "ppp.code", "ppp.identifier", "ppp.length", "pap.peer_id",
        "pap.password", "lcp.opt.type", "ipcp.opt.type"])
    assert len(rows) > 20
    pkts = corpus_packets(path)
    for number, (proto, code, ident, length, peer, password, lcp_opts, ipcp_opts) in rows.items():
        ppp = pkts[number][PPP]
        ctl = ppp.payload
        assert ppp.proto == int(proto, 16)
        if code:
            assert (ctl.code, ctl.id, ctl.len) == (int(code), int(ident), int(length))
        if peer:
            assert (ctl.username, ctl.password) == (peer.encode(), password.encode())
        opts = [o.type for o in (getattr(ctl, "options", None) or [])]
        assert opts == [int(t) for t in (lcp_opts or ipcp_opts).split(",") if t]


@pytest.mark.parametrize("name", ["zeek__pppoe.pcap", "dpkt__nb6-http.pcap"])
def test_corpus_control_packets_read_as_scapy_reads_them(corpus_dir, name: str) -> None:
    from tests.packet.link_compare import frames

    path = corpus_dir / name
    pkts = corpus_packets(path)
    compared = 0
    for i, (lt, data, _wl) in enumerate(frames(path), 1):
        theirs = S.Ether(data) if lt == 1 else S.PPP(data)
        for mine_cls, their_cls in ((C.PPP_LCP, S.PPP_LCP), (C.PPP_IPCP, S.PPP_IPCP),
                                    (C.PPP_PAP, S.PPP_PAP)):
            found = [x for x in pkts[i].chain() if isinstance(x, mine_cls)]
            if found:
                layer = theirs.getlayer(their_cls, _subclass=True)
                assert layer is not None, i
                # the Ethernet trailer after PPPoE's length: pppoe.py's business, not compared
                mine, scapys = found[0].copy(), layer.copy()
                mine.remove_payload()
                scapys.remove_payload()
                assert repr(mine) == repr(scapys), i
                compared += 1
    assert compared > 0


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import ppp_control as family

    assert ls_matches_scapy(family)
