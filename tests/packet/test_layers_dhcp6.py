"""DHCPv6 messages, options and DUIDs against Scapy (bytes, dissection, printing) and tshark."""

from __future__ import annotations

import pytest
import scapy.all as S  # noqa: N812 - S for Scapy, N for netprobe

import netprobe.packet.layers.dhcp6 as N  # noqa: N812
from netprobe.packet import UDP, Ether, Raw
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.ipv6 import IPv6
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
)

CASES = [
    "DHCP6_Solicit()",
    "DHCP6_Solicit(trid=0x123456)/DHCP6OptClientId(duid=DUID_LLT(lladdr='02:00:00:00:00:01',"
    " timeval=100))/DHCP6OptElapsedTime()/DHCP6OptOptReq()/DHCP6OptIA_NA(iaid=1,"
    " ianaopts=[DHCP6OptIAAddress(addr='2001:db8::5', preflft=100, validlft=200)])",
    "DHCP6_Advertise(trid=2)/DHCP6OptServerId(duid=DUID_LL(lladdr='02:00:00:00:00:02'))"
    "/DHCP6OptClientId(duid=DUID_LLT())/DHCP6OptPref(prefval=7)/DHCP6OptIA_NA(T1=5, T2=6)",
    "DHCP6_Request(trid=3)/DHCP6OptClientId(duid=DUID_EN(id=b'abc'))"
    "/DHCP6OptServerId(duid=DUID_EN(enterprisenum=9, id=b'xy'))"
    "/DHCP6OptIA_TA(iaid=4, iataopts=[DHCP6OptIAAddress(addr='2001:db8::6')])",
    "DHCP6_Reply(trid=1)/DHCP6OptServerId(duid=DUID_LL(lladdr='02:00:00:00:00:02'))"
    "/DHCP6OptStatusCode(statuscode=0, statusmsg=b'ok')/DHCP6OptPref()/DHCP6OptRapidCommit()"
    "/DHCP6OptDNSServers(dnsservers=['2001:db8::53'])/DHCP6OptUnknown(optcode=99, data=b'zz')",
    "DHCP6_Confirm()/DHCP6OptElapsedTime(elapsedtime=1234)",
    "DHCP6_Renew()/DHCP6OptElapsedTime(elapsedtime=0xffff)",
    "DHCP6_Rebind()/DHCP6OptOptReq(reqopts=[1, 2, 99])",
    "DHCP6_Release()/DHCP6OptIA_NA(iaid=0xffffffff, T1=0xffffffff, ianaopts=["
    "DHCP6OptIAAddress(preflft=0xffffffff, validlft=0xffffffff), DHCP6OptIAAddress("
    "addr='2001:db8::9', iaaddropts=[DHCP6OptStatusCode(statuscode=2)])])",
    "DHCP6_Decline()/DHCP6OptDNSServers(dnsservers=['2001:db8::1', '2001:db8::2'])",
    "DHCP6_Reconf()/DHCP6OptDNSServers()",
    "DHCP6_InfoRequest()/DHCP6OptOptReq(reqopts=[23])",
    "DHCP6OptClientId()",
    "DHCP6OptServerId()/DHCP6OptClientId(duid=DUID_LLT(hwtype=6))",
    "DHCP6OptStatusCode(statuscode=9)",
    "DUID_LL()",
    "DUID_LLT(timeval=12345678)",
    "DUID_EN(enterprisenum=9, id=b'xy')",
    "DHCP6_Reply()/DHCP6OptIA_PD(iaid=1, T1=2, T2=3, iapdopt=[DHCP6OptIAPrefix("
    "prefix='2001:db8:1::', plen=48, preflft=10, validlft=20)])",
    "DHCP6_RelayForward(linkaddr='2001:db8::1', peeraddr='fe80::1')"
    "/DHCP6OptRelayMsg(message=DHCP6_Solicit()/DHCP6OptClientId())",
    "DHCP6_RelayReply(hopcount=2)/DHCP6OptIfaceId(ifaceid=b'eth0')/DHCP6OptRelayMsg("
    "message=DHCP6_Reply(trid=5)/DHCP6OptReconfAccept()/DHCP6OptInfoRefreshTime())",
    "DHCP6OptRelayMsg()",
    "DHCP6_InfoRequest()/DHCP6OptIA_PD(iapdopt=[DHCP6OptIAPrefix(iaprefopts=["
    "DHCP6OptStatusCode(statuscode=6)])])",
    "DHCP6OptDNSDomains(dnsdomains=['example.com', 'lab.test.'])",
    "DHCP6OptDNSDomains()",
    "DHCP6_InfoRequest()/DHCP6OptOptReq(reqopts=[])",
    "DHCP6OptReconfMsg()",
    "DHCP6_Reconf()/DHCP6OptReconfMsg(msgtype=5)",
    "DHCP6OptBootFileUrl(optdata=b'tftp://x')",
    "DHCP6_Reply()/DHCP6OptDNSServers(dnsservers=['2001:db8::53'])/DHCP6OptDNSDomains("
    "dnsdomains=['lab.example'])/DHCP6OptSNTPServers(sntpservers=['2001:db8::123',"
    " '2001:db8::124'])/DHCP6OptSubscriberID(subscriberid=b'sub')/DHCP6OptNISPServers()"
    "/DHCP6OptPanaAuthAgent(paaaddr=['2001:db8::9'])/DHCP6OptBCMCSDomains(bcmcsdomains=['a.b'])"
    "/DHCP6OptSIPDomains(sipdomains=['sip.test'])/DHCP6OptNISServers()/DHCP6OptBCMCSServers()"
    "/DHCP6OptSIPServers(sipservers=['2001:db8::5'])",
]


def _both(expr: str) -> tuple:
    return eval(expr, dict(vars(N))), eval(expr, dict(vars(S)))


@pytest.mark.parametrize("expr", CASES)
def test_alone_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


@pytest.mark.parametrize("expr", [c for c in CASES if c.startswith("DHCP6_")])
def test_over_udp_and_ipv6_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    addrs = {"src": "fe80::1", "dst": "ff02::1:2"}
    macs = {"src": "02:00:00:00:00:01", "dst": "33:33:00:01:00:02"}
    same_face(Ether(**macs) / IPv6(**addrs) / UDP() / ours,
              S.Ether(**macs) / S.IPv6(**addrs) / S.UDP() / theirs)


@pytest.mark.parametrize("expr", [*CASES, "DUID_UUID(uuid='1ed56250-2373-bf2c-996b-483a98488e9e')"])
def test_json_of_what_is_built_and_read(expr: str) -> None:
    import json

    ours = eval(expr, dict(vars(N)))
    json.dumps(ours.to_dicts())
    json.dumps(dissect_as(type(ours), bytes(ours)).to_dicts())


def test_a_message_type_not_declared_stays_raw() -> None:
    data = bytes(S.UDP(sport=546, dport=547) / S.Raw(bytes.fromhex("cc000001")))
    assert repr(dissect_as(UDP, data)) == repr(S.UDP(data))
    assert isinstance(dissect_as(UDP, data).payload, Raw)


def test_a_cut_or_mutated_message_never_raises() -> None:
    frames = []
    for expr in (CASES[1], CASES[4], CASES[8]):
        frames += mutations(bytes(UDP() / _both(expr)[0]), count=250)
    never_raises(frames, lambda b: dissect_as(UDP, b))


@pytest.mark.parametrize("name", ["pcapparser__wireshark_samples-test.pcapng",
                                  "zeek__pppoe.pcap"])
def test_corpus_dhcpv6_is_tsharks(corpus_dir, name: str) -> None:
    path = corpus_dir / name
    rows = tshark_rows(path, "dhcpv6", ["dhcpv6.msgtype", "dhcpv6.xid", "dhcpv6.option.type",
                                        "dhcpv6.option.length", "dhcpv6.duid.type",
                                        "dhcpv6.duidllt.link_layer_addr"])
    assert len(rows) >= 4
    pkts = corpus_packets(path)
    for number, (msgtype, xid, types, lengths, duid_types, lladdrs) in rows.items():
        msg = pkts[number][UDP].payload
        assert (msg.msgtype, msg.trid) == (int(msgtype), int(xid, 16))
        options = []
        cur = msg.payload
        while cur:
            options.append(cur)
            cur = cur.payload
        # tshark lists options nested in IA_PD after it; the top-level ones come first
        assert [o.optcode for o in options] == [int(t) for t in types.split(",")][:len(options)]
        assert [o.optlen for o in options] == [int(n) for n in lengths.split(",")][:len(options)]
        duids = [o.duid for o in options if o.optcode in (1, 2)]
        assert [d.type for d in duids] == [int(t) for t in duid_types.split(",")]
        assert [d.lladdr for d in duids if d.type == 1] == [a for a in lladdrs.split(",") if a]


def test_corpus_dhcpv6_reads_as_scapy_reads_it(corpus_dir) -> None:
    from tests.packet.link_compare import frames

    path = corpus_dir / "pcapparser__wireshark_samples-test.pcapng"
    pkts = corpus_packets(path)
    compared = 0
    for i, (_lt, data, _wl) in enumerate(frames(path), 1):
        theirs = S.Ether(data)
        if S.DHCP6OptClientId not in theirs:
            continue
        assert repr(pkts[i][N.DHCP6OptClientId]) == repr(theirs[S.DHCP6OptClientId])
        compared += 1
    assert compared >= 4


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import dhcp6 as family

    assert ls_matches_scapy(family)
