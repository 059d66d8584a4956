"""DNSSEC records and EDNS(0) option classes against Scapy 2.8 (same process): bytes,
reading back, ``repr``/``summary``/``show()``, ``ls()``; inside DNS messages; fields as
tshark reads them (Scapy-built messages and the corpus's mDNS); mutated bytes never raise."""

from __future__ import annotations

import base64
import ipaddress
import random

import pytest
import scapy.all as scapy_all
import scapy.layers.dns as scapy_dns

import netprobe.packet.layers.dns as dns_mod
import netprobe.packet.layers.dns_edns_options as options_mod
import netprobe.packet.layers.dns_sec as sec_mod
import netprobe.packet.layers.dns_string_records as strings_mod
import netprobe.packet.layers.dns_svcb as svcb_mod
from netprobe.packet import IP, UDP, Ether
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.dns_sec import bitmap_to_types, types_to_bitmap
from tests.packet.layers_compare import (
    corpus_packets,
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
    write_pcap,
)

OURS = {**vars(dns_mod), "IP": IP, "UDP": UDP, "Ether": Ether}
RECORDS = [
    'DNSRRRSIG()', 'DNSRRNSEC()', 'DNSRRNSEC3()', 'DNSRRNSEC3PARAM()', 'DNSRRDNSKEY()',
    'DNSRRDS()', 'DNSRRDLV()',
    'DNSRRRSIG(rrname="example.", typecovered=1, algorithm=8, labels=2, originalttl=300, '
    'expiration=1700000000, inception=1690000000, keytag=12345, signersname="example.", '
    'signature=b"\\x01\\x02", ttl=3600)',
    'DNSRRRSIG(typecovered="AAAA", algorithm=13, expiration=4294967295)',
    'DNSRRNSEC(rrname="a.example", nextname="b.example", typebitmaps=[1, 2, 46, 47, 99, 257])',
    'DNSRRNSEC(typebitmaps=[0, 1000, 65535, 1, 1])', 'DNSRRNSEC(typebitmaps=b"\\x00\\x01\\x40")',
    'DNSRRNSEC(cacheflush=1, rclass=1, ttl=120, typebitmaps=[12])',
    'DNSRRNSEC3(hashalg=1, flags=1, iterations=10, saltlength=2, salt=b"\\xaa\\xbb", '
    'hashlength=20, nexthashedownername=b"\\x11" * 20, typebitmaps=[1, 46])',
    'DNSRRNSEC3PARAM(hashalg=1, iterations=5, saltlength=1, salt=b"\\xab")',
    'DNSRRDNSKEY(rrname="example", flags=257, algorithm=13, publickey=b"KEY")',
    'DNSRRDNSKEY(flags="S")', 'DNSRRDNSKEY(flags=3)', 'DNSRRDNSKEY(flags=0, protocol=2)',
    'DNSRRDS(rrname="example", keytag=20326, algorithm=8, digesttype=2, digest=b"\\x12" * 32)',
    'DNSRRDLV(keytag=1, digesttype=1, digest=b"z")',
    'DNSRRTSIG()', 'DNSRRHINFO()', 'DNSRRNAPTR()',
    'DNSRRTSIG(rrname="key.", time_signed=1700000000, fudge=300, mac_data=b"m" * 16, '
    'original_id=7, error=16, other_data=b"ab")',
    'DNSRRTSIG(algo_name="hmac-sha256", time_signed=4000000000)',
    'DNSRRHINFO(rrname="h.example", cpu="x86", os="linux", ttl=60)',
    'DNSRRNAPTR(rrname="4.3.2.1.e164.arpa", order=10, preference=20, flags="U", '
    'services="E2U+sip", regexp="!^.*$!sip:info@example.com!", replacement="sip.example")',
    'DNSRRNAPTR(order=1, flags_len=3, flags=b"S", replacement="_sip._udp.example")',
]
OPTIONS = [
    'EDNS0ClientSubnet()', 'EDNS0COOKIE()', 'EDNS0DAU()', 'EDNS0DHU()', 'EDNS0N3U()',
    'EDNS0OWN()', 'EDNS0PADDING()', 'EDNS0ExtendedDNSError()',
    'EDNS0ClientSubnet(source_plen=24, address="198.18.0.0")',
    'EDNS0ClientSubnet(source_plen=20, address="198.18.255.255")',
    'EDNS0ClientSubnet(address="10.0.0.1")', 'EDNS0ClientSubnet(address="0.0.0.0")',
    'EDNS0ClientSubnet(family=2)', 'EDNS0ClientSubnet(family=2, address="2001:db8:1::")',
    'EDNS0ClientSubnet(family=2, address="2001:db8:1::", source_plen=33, scope_plen=48)',
    'EDNS0ClientSubnet(source_plen=32, address="198.18.0.0")', 'EDNS0ClientSubnet(family=3)',
    'EDNS0ClientSubnet(address="198.18.0.0", source_plen=24, optlen=3)',
    'EDNS0COOKIE(client_cookie=b"12345678")', 'EDNS0COOKIE(client_cookie=b"ab")',
    'EDNS0COOKIE(client_cookie=b"12345678", server_cookie=b"\\x01" * 16)',
    'EDNS0DAU(alg_code=[8, 13, 99])', 'EDNS0DHU(alg_code=[1, 2])', 'EDNS0N3U(alg_code=[1])',
    'EDNS0OWN(v=1, s=2, primary_mac="aa:bb:cc:dd:ee:ff")', 'EDNS0PADDING(padding=bytes(12))',
    'EDNS0ExtendedDNSError(info_code=18, extra_text=b"blocked by policy")',
    'EDNS0ExtendedDNSError(info_code=99)',
    'DNSRROPT(rdata=[EDNS0COOKIE(client_cookie=b"abcdefgh"), EDNS0PADDING(padding=bytes(4))])',
]
# options read from bytes: Scapy and netprobe must read them alike
OPTION_BYTES = [
    ('EDNS0OWN', '0004000e0102aabbccddeeff112233445566'),
    ('EDNS0OWN', '000400120102aabbccddeeff11223344556601020304'),
    ('EDNS0COOKIE', '000a001031323334353637380102030405060708'),
    ('EDNS0DHU', '0006000201020304'), ('EDNS0ExtendedDNSError', '000f000600120102030405'),
    ('EDNS0ClientSubnet', '000800070001180001020304'),
    ('EDNS0ClientSubnet', '000800060002200020010db8'),
    # EDNS0TLV(raw) is the class of the option's code, when it has one
    ('EDNS0TLV', '000a00023132'), ('EDNS0TLV', '00030003616263'),
    ('EDNS0TLV', '000800070001180001020304'), ('EDNS0COOKIE', '000a0002313233'),
]


@pytest.mark.parametrize("expr", RECORDS + OPTIONS)
def test_layer_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


@pytest.mark.parametrize(("name", "hexdata"), OPTION_BYTES)
def test_option_read_from_bytes_as_scapy(name: str, hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    ours, theirs = getattr(dns_mod, name)(data), getattr(scapy_all, name)(data)
    assert type(ours).__name__ == type(theirs).__name__
    assert repr(ours) == repr(theirs)
    assert ours.show(dump=True) == theirs.show(dump=True)


def test_lengths_left_none_are_computed_as_scapy() -> None:
    expr = ('DNSRRNSEC3(flags=2, saltlength=None, salt=b"ab", hashlength=None, '
            'nexthashedownername=b"xyz")')
    # (Scapy's repr lists the fields given None; netprobe's leaves them out)
    ours, theirs = eval(expr, OURS), eval(expr, vars(scapy_all))
    assert bytes(ours) == bytes(theirs)
    assert repr(dissect_as(type(ours), bytes(ours))) == repr(type(theirs)(bytes(theirs)))
    # left as they are (0), the lengths are written as 0 before the salt, as Scapy does
    salted = {"salt": b"\xaa\xbb"}
    assert bytes(sec_mod.DNSRRNSEC3(**salted)) == bytes(scapy_all.DNSRRNSEC3(**salted))


def test_ls_is_scapys() -> None:
    assert ls_matches_scapy(sec_mod) == 8
    assert ls_matches_scapy(strings_mod) == 2
    assert ls_matches_scapy(svcb_mod) == 3
    assert ls_matches_scapy(options_mod) == 8


def _message(m: dict) -> str:
    return eval('DNS(id=7, qr=1, aa=1, qd=[DNSQR(qname="example", qtype="DNSKEY")], an=['
                'DNSRRDNSKEY(rrname="example", flags=257, algorithm=8, publickey=b"k" * 20), '
                'DNSRRRSIG(rrname="example", typecovered=48, algorithm=8, labels=1, '
                'originalttl=3600, expiration=1700000000, inception=1690000000, keytag=4242, '
                'signersname="example", signature=b"s" * 16)], ns=['
                'DNSRRNSEC(rrname="a.example", nextname="c.example", typebitmaps=[1, 46, 47]), '
                'DNSRRNSEC3(rrname="h.example", hashalg=1, flags=1, iterations=3, saltlength=2, '
                'salt=b"\\xca\\xfe", hashlength=20, nexthashedownername=b"\\x07" * 20, '
                'typebitmaps=[1, 28]), DNSRRNSEC3PARAM(rrname="example", hashalg=1, '
                'iterations=3, saltlength=2, salt=b"\\xca\\xfe"), DNSRRDS(rrname="child.example",'
                ' keytag=60485, algorithm=5, digesttype=1, digest=b"\\x2b" * 20)], ar=[DNSRROPT('
                'rclass=1232, rdata=[EDNS0ClientSubnet(source_plen=24, address="198.18.7.0"), '
                'EDNS0COOKIE(client_cookie=b"\\x01" * 8, server_cookie=b"\\x02" * 8), '
                'EDNS0ExtendedDNSError(info_code=6, extra_text=b"bogus"), '
                'EDNS0DAU(alg_code=[8, 13]), EDNS0PADDING(padding=bytes(6)), '
                'EDNS0TLV(optcode=3, optdata=b"ns1")])])', m)


def test_message_with_dnssec_and_options_is_scapys() -> None:
    ours, theirs = _message(OURS), _message(vars(scapy_all))
    data = bytes(theirs)
    assert bytes(ours) == data
    read, sread = dissect_as(dns_mod.DNS, data), scapy_all.DNS(data)
    assert [type(x).__name__ for x in read.an + read.ns] == [
        type(x).__name__ for x in sread.an + sread.ns]
    assert [type(o).__name__ for o in read.ar[0].rdata] == [
        type(o).__name__ for o in sread.ar[0].rdata]
    # Scapy reads NSEC3PARAM's salt as padding inside the record: compared apart
    for ours_rec, their_rec in zip(read.an + read.ns, sread.an + sread.ns):
        if type(ours_rec).__name__ != "DNSRRNSEC3PARAM":
            assert repr(ours_rec) == repr(their_rec)
    assert repr(read.ar) == repr(sread.ar)
    assert bytes(read) == data
    udp = Ether() / IP(src="198.18.0.53", dst="198.18.0.2") / UDP(sport=53, dport=40000) / read
    assert bytes(dissect_as(Ether, bytes(udp))) == bytes(udp)


def test_string_records_and_tsig_in_a_message_read_as_scapy() -> None:
    expr = ('DNS(id=5, qr=1, an=[DNSRRHINFO(rrname="h.example", cpu="x86", os="linux"), '
            'DNSRRNAPTR(rrname="n.example", order=10, preference=20, flags="U", '
            'services="E2U+sip", regexp="!^.*$!sip:a@example.com!", replacement=".")], '
            'ar=DNSRRTSIG(rrname="key.", time_signed=1700000000, fudge=300, '
            'mac_data=b"m" * 16, original_id=5))')
    data = bytes(eval(expr, vars(scapy_all)))
    assert bytes(eval(expr, OURS)) == data
    read, sread = dissect_as(dns_mod.DNS, data), scapy_all.DNS(data)
    assert repr(read) == repr(sread)
    assert read.show(dump=True) == sread.show(dump=True)


def test_fields_are_tsharks(tmp_path) -> None:
    frame = bytes(scapy_all.Ether() / scapy_all.IP(src="198.18.0.53", dst="198.18.0.2")
                  / scapy_all.UDP(sport=53, dport=40000) / _message(vars(scapy_all)))
    path = write_pcap(tmp_path / "dnssec.pcap", [frame])
    fields = ["dns.rrsig.type_covered", "dns.rrsig.algorithm", "dns.rrsig.labels",
              "dns.rrsig.original_ttl", "dns.rrsig.key_tag", "dns.rrsig.signers_name",
              "dns.dnskey.flags", "dns.dnskey.protocol", "dns.dnskey.algorithm",
              "dns.nsec.next_domain_name", "dns.nsec3.algo", "dns.nsec3.iterations",
              "dns.nsec3.salt_value", "dns.nsec3.hash_value", "dns.ds.key_id",
              "dns.ds.digest_type", "dns.opt.code", "dns.opt.client.netmask",
              "dns.opt.client.addr4", "dns.opt.cookie.client", "dns.opt.cookie.server",
              "dns.opt.ext_error.info_code", "dns.opt.ext_error.extra_text",
              "dns.rr.udp_payload_size"]
    row = dict(zip(fields, tshark_rows(path, "dns", fields)[1]))
    d = dissect_as(Ether, frame)[dns_mod.DNS]
    key, sig, nsec, nsec3, param, ds = d.an[0], d.an[1], *d.ns
    opts = d.ar[0].rdata
    assert row["dns.rrsig.type_covered"] == str(sig.typecovered)
    assert (row["dns.rrsig.algorithm"], row["dns.rrsig.labels"]) == (str(sig.algorithm),
                                                                     str(sig.labels))
    assert row["dns.rrsig.original_ttl"] == str(sig.originalttl)
    assert row["dns.rrsig.key_tag"] == str(sig.keytag)
    assert row["dns.rrsig.signers_name"] == sig.signersname.decode().rstrip(".")
    assert int(row["dns.dnskey.flags"], 16) == int(key.flags)
    assert (row["dns.dnskey.protocol"], row["dns.dnskey.algorithm"]) == (str(key.protocol),
                                                                         str(key.algorithm))
    assert row["dns.nsec.next_domain_name"] == nsec.nextname.decode().rstrip(".")
    assert row["dns.nsec3.algo"].split(",")[0] == str(nsec3.hashalg)
    assert row["dns.nsec3.iterations"].split(",") == [str(nsec3.iterations),
                                                      str(param.iterations)]
    assert row["dns.nsec3.salt_value"].split(",")[0] == nsec3.salt.hex()
    # tshark shows the hash as base32hex (RFC 4648 7), lowercase and without padding
    assert row["dns.nsec3.hash_value"] == base64.b32hexencode(
        nsec3.nexthashedownername).decode().lower().rstrip("=")
    assert int(row["dns.ds.key_id"], 0) == ds.keytag
    assert row["dns.ds.digest_type"] == str(ds.digesttype)
    assert row["dns.opt.code"].split(",") == [str(o.optcode) for o in opts]
    assert row["dns.opt.client.netmask"] == str(opts[0].source_plen)
    assert row["dns.opt.client.addr4"] == opts[0].address
    assert row["dns.opt.cookie.client"] == opts[1].client_cookie.hex()
    assert row["dns.opt.cookie.server"] == opts[1].server_cookie.hex()
    assert row["dns.opt.ext_error.info_code"] == str(opts[2].info_code)
    assert row["dns.opt.ext_error.extra_text"] == opts[2].extra_text.decode()
    assert row["dns.rr.udp_payload_size"] in (str(d.ar[0].rclass), hex(d.ar[0].rclass))


def _opt(pkt: object) -> dns_mod.DNSRROPT:
    """The OPT record of a packet's DNS message."""
    return next(r for r in pkt[dns_mod.DNS].ar if isinstance(r, dns_mod.DNSRROPT))


def test_corpus_mdns_owner_options_and_nsec_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "pcapplusplus__DnsPackets.pcap"
    rows = tshark_rows(path, "dns.opt", ["dns.opt.code", "dns.opt.len", "dns.opt.data"])
    assert rows
    pkts = corpus_packets(path)
    for number, (codes, lens, data) in rows.items():
        opts = _opt(pkts[number]).rdata
        assert [str(o.optcode) for o in opts] == codes.split(",")
        assert [str(o.optlen) for o in opts] == lens.split(",")
        for o, raw in zip(opts, data.split(",")):
            assert bytes(o)[4:].hex() == raw
            if o.optcode == 4:  # Owner: version, sequence, primary MAC
                assert isinstance(o, dns_mod.EDNS0OWN)
                assert (o.v, o.s, o.primary_mac) == (
                    int(raw[:2], 16), int(raw[2:4], 16),
                    ":".join(raw[i:i + 2] for i in range(4, 16, 2)))
    nsec_rows = tshark_rows(path, "dns.nsec.next_domain_name", ["dns.nsec.next_domain_name"])
    assert nsec_rows
    for number, (names,) in nsec_rows.items():
        d = pkts[number][dns_mod.DNS]
        nsecs = [r for r in d.an + d.ns + d.ar if isinstance(r, dns_mod.DNSRRNSEC)]
        assert [r.nextname.decode().rstrip(".") for r in nsecs] == names.split(",")
        for r in nsecs:
            assert bitmap_to_types(r.typebitmaps)  # each lists the types at its name


def test_corpus_edns_options_are_tsharks(corpus_dir) -> None:
    path = corpus_dir / "tcpdump__edns-opts.pcap"
    fields = ["dns.opt.code", "dns.opt.len", "dns.opt.client.family", "dns.opt.client.netmask",
              "dns.opt.client.scope", "dns.opt.client.addr4", "dns.opt.client.addr6",
              "dns.opt.cookie.client", "dns.opt.cookie.server", "dns.opt.dau", "dns.opt.dhu",
              "dns.opt.n3u", "dns.opt.padding"]
    rows = tshark_rows(path, "dns.opt", fields)
    pkts = corpus_packets(path)
    kinds: set[str] = set()
    for number, cells in rows.items():
        row = dict(zip(fields, cells))
        opts = _opt(pkts[number]).rdata
        assert [str(o.optcode) for o in opts] == row["dns.opt.code"].split(",")
        assert [str(o.optlen) for o in opts] == row["dns.opt.len"].split(",")
        for o in opts:
            kinds.add(type(o).__name__)
            if isinstance(o, dns_mod.EDNS0ClientSubnet):
                assert (str(o.family), str(o.source_plen), str(o.scope_plen)) == (
                    row["dns.opt.client.family"], row["dns.opt.client.netmask"],
                    row["dns.opt.client.scope"])
                addr = row["dns.opt.client.addr4"] or row["dns.opt.client.addr6"]
                assert ipaddress.ip_address(o.address) == ipaddress.ip_address(addr)
            elif isinstance(o, dns_mod.EDNS0COOKIE):
                assert o.client_cookie.hex() == row["dns.opt.cookie.client"]
                assert o.server_cookie.hex() == row["dns.opt.cookie.server"].replace(
                    "<MISSING>", "")
            elif isinstance(o, (dns_mod.EDNS0DAU, dns_mod.EDNS0DHU, dns_mod.EDNS0N3U)):
                key = {"EDNS0DAU": "dns.opt.dau", "EDNS0DHU": "dns.opt.dhu",
                       "EDNS0N3U": "dns.opt.n3u"}[type(o).__name__]
                assert ",".join(str(a) for a in o.alg_code) == row[key]
            elif isinstance(o, dns_mod.EDNS0PADDING):
                assert o.padding.hex() == row["dns.opt.padding"]
    # the capture has client subnets, cookies, DAU/DHU/N3U, padding and options without a
    # class of their own (NSID, keepalive, chain...)
    assert {"EDNS0ClientSubnet", "EDNS0COOKIE", "EDNS0DAU", "EDNS0DHU", "EDNS0N3U",
            "EDNS0PADDING", "EDNS0TLV"} <= kinds


@pytest.mark.parametrize("types", [[1], [0, 255, 256, 65535], list(range(0, 600, 7)), [46, 1]])
def test_type_bitmap_round_trips(types: list[int]) -> None:
    assert bitmap_to_types(types_to_bitmap(types)) == sorted(set(types))
    assert types_to_bitmap(types) == scapy_all.RRlist2bitmap(types)


def test_malformed_records_and_options_never_raise() -> None:
    msg = bytes(scapy_all.Ether() / scapy_all.IP(src="198.18.0.53", dst="198.18.0.2")
                / scapy_all.UDP(sport=53, dport=40000) / _message(vars(scapy_all)))
    never_raises(mutations(msg, count=800))
    for expr in RECORDS + OPTIONS:
        data = bytes(eval(expr, vars(scapy_all)))
        cls = type(eval(expr, OURS))
        never_raises(mutations(data, count=40), lambda b, c=cls: dissect_as(c, b))


def test_random_options_are_scapys() -> None:
    rnd = random.Random(15)
    for _ in range(80):
        kind = rnd.choice(["EDNS0ClientSubnet", "EDNS0COOKIE", "EDNS0DAU",
                           "EDNS0ExtendedDNSError", "EDNS0PADDING"])
        kw: dict = {}
        if kind == "EDNS0ClientSubnet":
            kw = {"family": 1, "address": f"198.18.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}"}
            if rnd.random() < 0.7:
                kw["source_plen"] = rnd.randint(0, 32)
            kw["scope_plen"] = rnd.randint(0, 32)
        elif kind == "EDNS0COOKIE":
            kw = {"client_cookie": rnd.randbytes(8)}
            if rnd.random() < 0.7:
                kw["server_cookie"] = rnd.randbytes(rnd.choice([8, 16, 32]))
        elif kind == "EDNS0DAU":
            kw = {"alg_code": [rnd.randint(0, 255) for _ in range(rnd.randint(1, 5))]}
        elif kind == "EDNS0ExtendedDNSError":
            kw = {"info_code": rnd.randint(0, 40), "extra_text": rnd.randbytes(rnd.randint(1, 9))}
        else:
            kw = {"padding": bytes(rnd.randint(1, 30))}
        same_face(getattr(dns_mod, kind)(**kw), getattr(scapy_all, kind)(**kw))


def test_options_and_records_are_found_as_scapy_finds_them() -> None:
    expr = ('IP(src="198.18.0.1", dst="198.18.0.2")/UDP()/DNS(qd=DNSQR(qname="a.example"), '
            'an=DNSRRRSIG(), ar=DNSRROPT(rdata=[EDNS0COOKIE(), EDNS0TLV(optcode=3)]))')
    data = bytes(eval(expr, vars(scapy_all)))
    ours, theirs = dissect_as(IP, data), scapy_all.IP(data)
    for name in ("DNSQR", "DNSRRRSIG", "DNSRROPT", "EDNS0COOKIE", "EDNS0TLV", "EDNS0PADDING"):
        assert ours.haslayer(getattr(dns_mod, name)) == theirs.haslayer(getattr(scapy_all, name))
        if theirs.haslayer(getattr(scapy_all, name)):
            assert repr(ours[getattr(dns_mod, name)]) == repr(theirs[getattr(scapy_all, name)])


SCAPY_DNS = {**vars(scapy_all), "SvcParam": scapy_dns.SvcParam}
SVCB = [
    'DNSRRSVCB()', 'DNSRRHTTPS()', 'SvcParam()', 'SvcParam(key="port")', 'SvcParam(key="alpn")',
    'SvcParam(key="mandatory", value=["alpn", "port"])', 'SvcParam(key=7, value=b"/q{?dns}")',
    'SvcParam(key="ipv4hint", value=["198.18.0.1", "198.18.0.2"])',
    'SvcParam(key="ipv6hint", value=["2001:db8::1"])', 'SvcParam(key=99, value=b"ab")',
    'DNSRRSVCB(rrname="_dns.example", svc_priority=1, target_name="dns.example", svc_params=['
    'SvcParam(key="alpn", value=[b"h2", b"h3"]), SvcParam(key="port", value=853), '
    'SvcParam(key="ipv4hint", value=["198.18.0.1"]), SvcParam(key="mandatory", value=["alpn"]),'
    ' SvcParam(key="no-default-alpn"), SvcParam(key="ech", value=b"xyz"), '
    'SvcParam(key="ipv6hint", value=["2001:db8::1"])])',
    'DNSRRHTTPS(rrname="example.com", svc_priority=1, target_name="svc.example", '
    'svc_params=SvcParam(key="alpn", value=[b"h3"]))',
]


@pytest.mark.parametrize("expr", SVCB)
def test_service_binding_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, SCAPY_DNS))


@pytest.mark.parametrize("hexdata", ["000300040001", "0001000302683201", "0000000400010003",
                                     "00040008c6120001c6120002", "000100020168"])
def test_service_parameter_read_from_bytes_as_scapy(hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    assert repr(dns_mod.SvcParam(data)) == repr(scapy_dns.SvcParam(data))


def test_https_record_in_a_message_is_scapys_and_tsharks(tmp_path) -> None:
    expr = ('DNS(id=3, qr=1, qd=DNSQR(qname="example.com", qtype="HTTPS"), an=DNSRRHTTPS('
            'rrname="example.com", svc_priority=1, target_name=".", svc_params=['
            'SvcParam(key="alpn", value=[b"h2", b"h3"]), SvcParam(key="port", value=8443), '
            'SvcParam(key="ipv4hint", value=["198.18.0.7"])]))')
    data = bytes(eval(expr, SCAPY_DNS))
    assert bytes(eval(expr, OURS)) == data
    read, sread = dissect_as(dns_mod.DNS, data), scapy_all.DNS(data)
    assert repr(read) == repr(sread) and read.show(dump=True) == sread.show(dump=True)
    assert read.haslayer(dns_mod.SvcParam) and repr(read[dns_mod.SvcParam]) == repr(
        sread[scapy_dns.SvcParam])
    frame = bytes(scapy_all.Ether() / scapy_all.IP(src="198.18.0.53", dst="198.18.0.2")
                  / scapy_all.UDP(sport=53, dport=40000) / sread)
    path = write_pcap(tmp_path / "https.pcap", [frame])
    fields = ["dns.svcb.svcpriority", "dns.svcb.targetname", "dns.svcb.svcparam.key",
              "dns.svcb.svcparam.alpn.length", "dns.svcb.svcparam.port",
              "dns.svcb.svcparam.ipv4hint.ip"]
    row = dict(zip(fields, tshark_rows(path, "dns", fields)[1]))
    rec = dissect_as(Ether, frame)[dns_mod.DNSRRHTTPS]
    assert int(row["dns.svcb.svcpriority"]) == rec.svc_priority
    assert row["dns.svcb.svcparam.key"].split(",") == [str(p.key) for p in rec.svc_params]
    assert row["dns.svcb.svcparam.alpn.length"].split(",") == [
        str(len(a)) for a in rec.svc_params[0].value]
    assert int(row["dns.svcb.svcparam.port"]) == rec.svc_params[1].value
    assert row["dns.svcb.svcparam.ipv4hint.ip"].split(",") == rec.svc_params[2].value


def test_malformed_service_bindings_never_raise() -> None:
    for expr in SVCB:
        data = bytes(eval(expr, SCAPY_DNS))
        cls = type(eval(expr, OURS))
        never_raises(mutations(data, count=60), lambda b, c=cls: dissect_as(c, b))
