"""ICMP (IPv4): bytes against Scapy for every type, dissection, RFC 4884/4950 extensions,
matching of replies and errors (built pairs and real captures)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.contrib.mpls import MPLS as S_MPLS
from scapy.contrib.mpls import ICMPExtension_MPLS as S_ExtMPLS
from scapy.layers.inet import ICMP as S_ICMP
from scapy.layers.inet import IP as S_IP
from scapy.layers.inet import TCP as S_TCP
from scapy.layers.inet import UDP as S_UDP
from scapy.layers.inet import ICMPExtension_Header as S_ExtHdr
from scapy.layers.l2 import Ether as S_Ether
from scapy.packet import Raw as S_Raw
from scapy.utils import rdpcap

from netprobe.errors import UsageError
from netprobe.packet import ICMP, IP, TCP, UDP, Ether, Raw, UDPerror, dissect, dissect_as
from netprobe.packet.layers.icmp import ICMPExtension, ICMPExtensionObject, MPLSLabel

NP = SimpleNamespace(IP=IP, ICMP=ICMP, TCP=TCP, UDP=UDP, Raw=Raw)
SC = SimpleNamespace(IP=S_IP, ICMP=S_ICMP, TCP=S_TCP, UDP=S_UDP, Raw=S_Raw)

A, B, C = "198.18.0.1", "198.18.0.2", "198.18.5.9"


def _ip(m, **kw):
    return m.IP(src=kw.pop("src", A), dst=kw.pop("dst", B), **kw)


def _quote_udp(m, **kw):
    return m.IP(src=B, dst=C, ttl=1) / m.UDP(sport=40000, dport=33434, **kw) / m.Raw(b"probe")


def _quote_tcp(m):
    return m.IP(src=B, dst=C, id=77) / m.TCP(sport=40001, dport=443, seq=123456, flags="S")


def _quote_icmp(m):
    return m.IP(src=B, dst=C) / m.ICMP(id=9, seq=3) / m.Raw(b"ping!")


# Each spec builds the same packet from either library's classes (same names, same
# fields): ``m`` is NP (netprobe) or SC (Scapy).
SPECS = {
    "echo-default": lambda m: _ip(m) / m.ICMP(),
    "echo-request": lambda m: _ip(m) / m.ICMP(type=8, id=0x1234, seq=1) / m.Raw(b"abcdefgh"),
    "echo-reply": lambda m: _ip(m) / m.ICMP(type=0, id=0xFFFF, seq=0xFFFF) / m.Raw(b"x" * 56),
    "echo-odd-code": lambda m: _ip(m) / m.ICMP(type=8, code=7, id=1, seq=2),
    "echo-odd-length": lambda m: _ip(m) / m.ICMP(type=8, id=3, seq=4) / m.Raw(b"abc"),
    "echo-bad-chksum": lambda m: _ip(m) / m.ICMP(type=8, chksum=0xDEAD, id=1, seq=1),
    "echo-zero-chksum": lambda m: _ip(m) / m.ICMP(type=0, chksum=0, id=1, seq=1),
    "echo-big": lambda m: _ip(m) / m.ICMP(id=7, seq=8) / m.Raw(bytes(range(256)) * 5),
    "info-request": lambda m: _ip(m) / m.ICMP(type=15, id=5, seq=6),
    "info-reply": lambda m: _ip(m) / m.ICMP(type=16, id=5, seq=6),
    "mask-request": lambda m: _ip(m) / m.ICMP(type=17, id=1, seq=1),
    "mask-reply": lambda m: _ip(m) / m.ICMP(type=18, id=1, seq=1, addr_mask="255.255.255.0"),
    "mask-reply-odd": lambda m: _ip(m) / m.ICMP(type=18, code=3, addr_mask="255.0.255.1"),
    "timestamp-request": lambda m: _ip(m) / m.ICMP(type=13, id=2, seq=9, ts_ori=1000,
                                                      ts_rx=0, ts_tx=0),
    "timestamp-reply": lambda m: _ip(m) / m.ICMP(type=14, id=2, seq=9, ts_ori=1000,
                                                    ts_rx=86399999, ts_tx=0xFFFFFFFF),
    "timestamp-bad-chksum": lambda m: _ip(m) / m.ICMP(type=13, chksum=1, ts_ori=5, ts_rx=6,
                                                         ts_tx=7),
    "domain-name-request": lambda m: _ip(m) / m.ICMP(type=37, id=1, seq=2, unused=0x01020304),
    "domain-name-reply": lambda m: _ip(m) / m.ICMP(type=38, id=1, seq=2),
    "source-quench": lambda m: _ip(m) / m.ICMP(type=4) / _quote_udp(m),
    "source-quench-unused": lambda m: _ip(m) / m.ICMP(type=4, unused=0xCAFEBABE) / _quote_udp(m),
    "redirect-net": lambda m: _ip(m) / m.ICMP(type=5, code=0, gw="198.18.0.254") / _quote_udp(m),
    "redirect-host": lambda m: _ip(m) / m.ICMP(type=5, code=1, gw="198.18.1.1") / _quote_tcp(m),
    "redirect-tos": lambda m: _ip(m) / m.ICMP(type=5, code=3) / _quote_icmp(m),
    "router-advertisement": lambda m: _ip(m) / m.ICMP(type=9, unused=0x01020708)
    / m.Raw(b"\xc6\x12\x00\x01\x00\x00\x00\x00"),
    "router-solicitation": lambda m: _ip(m, dst="224.0.0.2") / m.ICMP(type=10),
    "traceroute-30": lambda m: _ip(m) / m.ICMP(type=30, unused=7),
    "photuris": lambda m: _ip(m) / m.ICMP(type=40, code=4),
    "unassigned-type": lambda m: _ip(m) / m.ICMP(type=255, code=255, unused=0xFFFFFFFF),
    "type-44": lambda m: _ip(m) / m.ICMP(type=44, code=1) / m.Raw(b"\x00" * 12),
    "time-exceeded-udp": lambda m: _ip(m) / m.ICMP(type=11) / _quote_udp(m),
    "time-exceeded-tcp": lambda m: _ip(m) / m.ICMP(type=11, code=0) / _quote_tcp(m),
    "time-exceeded-icmp": lambda m: _ip(m) / m.ICMP(type=11) / _quote_icmp(m),
    "time-exceeded-reassembly": lambda m: _ip(m) / m.ICMP(type=11, code=1) / _quote_udp(m),
    "time-exceeded-unused": lambda m: _ip(m) / m.ICMP(type=11, unused=0xABCD, reserved=9)
    / _quote_udp(m),
    "time-exceeded-length": lambda m: _ip(m) / m.ICMP(type=11, length=5) / _quote_udp(m),
    "time-exceeded-bad-chksum": lambda m: _ip(m) / m.ICMP(type=11, chksum=0x1111)
    / _quote_udp(m),
    "unreach-net": lambda m: _ip(m) / m.ICMP(type=3, code=0) / _quote_udp(m),
    "unreach-host": lambda m: _ip(m) / m.ICMP(type=3, code=1) / _quote_tcp(m),
    "unreach-proto": lambda m: _ip(m) / m.ICMP(type=3, code=2) / _quote_icmp(m),
    "unreach-port": lambda m: _ip(m) / m.ICMP(type=3, code=3) / _quote_udp(m),
    "unreach-frag-needed": lambda m: _ip(m) / m.ICMP(type=3, code=4, nexthopmtu=1400)
    / _quote_tcp(m),
    "unreach-frag-needed-max": lambda m: _ip(m) / m.ICMP(type=3, code=4, nexthopmtu=0xFFFF,
                                                            reserved=0xFF) / _quote_udp(m),
    "unreach-prohibited": lambda m: _ip(m) / m.ICMP(type=3, code=13) / _quote_tcp(m),
    "unreach-code-15": lambda m: _ip(m) / m.ICMP(type=3, code=15) / _quote_udp(m),
    "unreach-code-99": lambda m: _ip(m) / m.ICMP(type=3, code=99) / _quote_udp(m),
    "unreach-length": lambda m: _ip(m) / m.ICMP(type=3, code=3, length=8) / _quote_udp(m),
    "unreach-bad-chksum": lambda m: _ip(m) / m.ICMP(type=3, code=3, chksum=0xFFFF)
    / _quote_udp(m),
    "unreach-no-quote": lambda m: _ip(m) / m.ICMP(type=3, code=1),
    "param-problem": lambda m: _ip(m) / m.ICMP(type=12, ptr=20) / _quote_udp(m),
    "param-problem-option": lambda m: _ip(m) / m.ICMP(type=12, code=1, ptr=255, length=3,
                                                         unused=0x0102) / _quote_tcp(m),
    "param-problem-code-2": lambda m: _ip(m) / m.ICMP(type=12, code=2) / _quote_udp(m),
    "quote-truncated-8": lambda m: _ip(m) / m.ICMP(type=11)
    / m.Raw(bytes(m.IP(src=B, dst=C) / m.TCP(sport=1, dport=2, seq=3))[:28]),
    "ip-options-outside": lambda m: m.IP(src=A, dst=B, options=[]) / m.ICMP(type=8, id=1),
    "ttl-tos-outside": lambda m: m.IP(src=A, dst=B, ttl=1, tos=0x10) / m.ICMP(id=99),
}


def _build(spec, m):
    return bytes(SPECS[spec](m))


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_bytes_match_scapy(spec):
    assert _build(spec, NP) == _build(spec, SC)


def _scapy_value(v):
    return int(v) if isinstance(v, int) else v


@pytest.mark.parametrize("spec", sorted(SPECS))
def test_dissection_matches_scapy_and_round_trips(spec):
    raw = _build(spec, SC)
    ours = dissect_as(IP, raw)
    assert ours.errors == [] or spec == "quote-truncated-8"
    assert bytes(ours) == raw
    theirs = S_IP(raw)
    icmp, s_icmp = ours[ICMP], theirs[S_ICMP]
    names = icmp.present_fields()
    assert names[:3] == ("type", "code", "chksum")
    for name in names:
        if name == "ext":
            assert icmp.ext is None and s_icmp.ext is None
            continue
        assert getattr(icmp, name) == _scapy_value(getattr(s_icmp, name)), name
    # the quoted packet (when the type quotes one) is dissected as IP, like Scapy's IPerror
    if icmp.type in (3, 4, 5, 11, 12) and icmp.payload is not None and S_IP in s_icmp.payload:
        q, sq = icmp.payload, s_icmp.payload
        assert isinstance(q, IP)
        assert (q.src, q.dst, q.proto, q.ttl) == (sq.src, sq.dst, sq.proto, sq.ttl)


def test_each_type_puts_its_own_fields_on_the_wire():
    # the four bytes after the checksum: what each type means by them
    assert bytes(ICMP(type=8, id=0x0102, seq=0x0304))[4:] == b"\x01\x02\x03\x04"
    assert bytes(ICMP(type=5, gw="1.2.3.4", id=9))[4:] == b"\x01\x02\x03\x04"
    assert bytes(ICMP(type=12, ptr=7, seq=9))[4:] == b"\x07\x00\x00\x00"
    assert bytes(ICMP(type=3, code=4, nexthopmtu=1500))[4:] == b"\x00\x00\x05\xdc"
    assert bytes(ICMP(type=11, unused=0x0102))[4:] == b"\x00\x00\x01\x02"
    assert bytes(ICMP(type=4, unused=0x01020304))[4:] == b"\x01\x02\x03\x04"
    assert len(bytes(ICMP(type=13, ts_ori=1, ts_rx=2, ts_tx=3))) == 20
    assert len(bytes(ICMP(type=17))) == 12
    assert len(bytes(ICMP(type=37))) == 12


def test_unset_timestamps_are_milliseconds_since_midnight():
    raw = bytes(ICMP(type=13))
    ts = [int.from_bytes(raw[i:i + 4], "big") for i in (8, 12, 16)]
    assert all(0 <= t < 86_400_000 for t in ts)
    assert max(ts) - min(ts) < 1000


def test_to_dict_lists_only_the_fields_of_the_type():
    d = ICMP(type=3, code=4, nexthopmtu=1400).to_dict()
    assert list(d) == ["layer", "type", "code", "chksum", "reserved", "length", "nexthopmtu",
                       "ext"]
    d = ICMP(type=13, ts_ori=1, ts_rx=2, ts_tx=3).to_dict()
    assert d["ts_tx"] == 3 and "gw" not in d and "nexthopmtu" not in d


def test_bad_values_are_usage_errors():
    with pytest.raises(UsageError):
        ICMP(type=256)
    with pytest.raises(UsageError):
        ICMP(id=70000)
    with pytest.raises(UsageError):
        ICMP(gw="not an address")
    with pytest.raises(UsageError):
        ICMP(type=11, ext="nope")


def test_field_sets_make_packet_sets():
    pkts = list(IP(src=A, dst=B) / ICMP(seq=range(5), id=[1, 2]))
    assert len(pkts) == 10
    assert sorted((p[ICMP].id, p[ICMP].seq) for p in pkts) == [(i, s) for i in (1, 2)
                                                               for s in range(5)]


def test_truncated_header_becomes_raw_with_a_note():
    raw = bytes(IP(src=A, dst=B) / ICMP(type=13, ts_ori=1, ts_rx=2, ts_tx=3))[:20 + 12]
    d = dissect_as(IP, raw)
    assert isinstance(d.payload, Raw) and not isinstance(d.payload, ICMP)
    assert any("ICMP" in e and "truncated" in e for e in d.errors)
    assert bytes(d) == raw


# -- RFC 4884 / RFC 4950 extensions ------------------------------------------------------------
LABELS = [MPLSLabel(label=16005, tc=0, s=0, ttl=1), MPLSLabel(label=24000, tc=5, s=1, ttl=254)]


def _scapy_ext(length):
    stack = [S_MPLS(label=x.label, cos=x.tc, s=x.s, ttl=x.ttl) for x in LABELS]
    return (S_IP(src=A, dst=B) / S_ICMP(type=11, length=length,
                                        ext=S_ExtHdr() / S_ExtMPLS(stack=stack))
            / S_IP(src=B, dst=C, ttl=1) / S_UDP(sport=40000, dport=33434) / b"probe")


def _our_ext(length):
    ext = ICMPExtension([ICMPExtensionObject.mpls(LABELS)])
    return (IP(src=A, dst=B) / ICMP(type=11, length=length, ext=ext)
            / IP(src=B, dst=C, ttl=1) / UDP(sport=40000, dport=33434) / b"probe")


@pytest.mark.parametrize("length", [0, 32])
def test_extension_bytes_match_scapy(length):
    assert bytes(_our_ext(length)) == bytes(_scapy_ext(length))


def test_extension_length_fills_itself():
    raw = bytes(_our_ext(None))
    assert raw[20 + 5] == 32  # 128 bytes of quoted datagram, in 32-bit words
    assert bytes(_our_ext(None)) == bytes(_scapy_ext(32))


@pytest.mark.parametrize("length", [0, 32])
def test_extension_from_scapy_is_decoded(length):
    raw = bytes(_scapy_ext(length))
    d = dissect_as(IP, raw)
    assert d.errors == []
    icmp = d[ICMP]
    assert icmp.ext is not None
    assert icmp.ext.labels == LABELS
    assert [o.classnum for o in icmp.ext.objects] == [1]
    s_ext = S_IP(raw)[S_ICMP].ext
    assert icmp.ext.chksum == s_ext.chksum
    s_labels = []
    for entry in s_ext.payload.stack:  # Scapy stacks the later entries as payloads
        while isinstance(entry, S_MPLS):
            s_labels.append((entry.label, entry.cos, entry.s, entry.ttl))
            entry = entry.payload
    assert [(x.label, x.tc, x.s, x.ttl) for x in icmp.ext.labels] == s_labels
    # the quoted probe is still there, and the whole thing builds back byte for byte
    assert d[UDPerror].dport == 33434 and UDP not in d  # a quote, as in Scapy
    assert bytes(d) == raw
    assert "mpls=16005,24000" in d.brief()
    j = icmp.to_dict()["ext"]
    assert j["objects"][0]["labels"][1] == {"label": 24000, "tc": 5, "s": 1, "ttl": 254}


def test_extension_round_trips_with_a_frame_trailer():
    inner = bytes(_our_ext(None))
    frame = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Raw(load=inner))
    frame = frame[:12] + b"\x08\x00" + frame[14:] + b"FCS!"
    d = dissect(frame, 1)
    assert d[ICMP].ext.labels == LABELS
    assert d.chain()[-1].load == b"FCS!"
    assert bytes(d) == frame


def test_long_quote_extension_uses_the_length_field():
    # a quoted datagram longer than 128 bytes: the extension starts after length*4 bytes
    probe = IP(src=B, dst=C, ttl=1) / UDP(sport=1, dport=33434) / (b"p" * 200)
    ext = ICMPExtension([ICMPExtensionObject.mpls([MPLSLabel(100)]),
                         ICMPExtensionObject(classnum=2, classtype=3, data=b"ifdata!!")])
    raw = bytes(IP(src=A, dst=B) / ICMP(type=3, code=3, ext=ext) / probe)
    icmp_len = len(raw) - 20
    assert raw[20 + 5] == (len(bytes(probe)) + 3) // 4
    d = dissect_as(IP, raw)
    assert d[ICMP].ext.labels == [MPLSLabel(100)]
    assert d[ICMP].ext.objects[1].data == b"ifdata!!"
    assert d[ICMP].ext.objects[1].labels == []
    assert bytes(d) == raw and icmp_len == 8 + 228 + 4 + 8 + 12


def test_extension_with_wrong_checksum_is_kept_and_noted():
    ext = ICMPExtension([ICMPExtensionObject.mpls([MPLSLabel(7)])], chksum=0x1234)
    raw = bytes(IP(src=A, dst=B) / ICMP(type=11, ext=ext) / IP(src=B, dst=C) / UDP())
    d = dissect_as(IP, raw)
    assert d[ICMP].ext.chksum == 0x1234
    assert any("checksum" in e for e in d.errors)
    assert bytes(d) == raw


def test_malformed_extension_stays_in_the_payload():
    good = bytes(_our_ext(32))
    bad = bytearray(good)
    bad[20 + 8 + 128 + 4] = 0xFF  # object length far beyond the end
    bad = bytes(bad)
    d = dissect_as(IP, bad)
    assert d[ICMP].ext is None
    assert any("extension object length" in e for e in d.errors)
    assert bytes(d) == bad


def test_no_extension_guessed_without_a_valid_header():
    # a long quote whose byte 128 does not start a valid extension: no extension
    probe = IP(src=B, dst=C) / UDP(sport=5, dport=6) / (b"\x20" * 300)
    raw = bytes(IP(src=A, dst=B) / ICMP(type=11) / probe)
    d = dissect_as(IP, raw)
    assert d[ICMP].ext is None and d.errors == []
    assert bytes(d) == raw


def test_extension_values_are_checked():
    with pytest.raises(UsageError):
        MPLSLabel(label=1 << 20)
    with pytest.raises(UsageError):
        ICMPExtensionObject(classnum=300)
    with pytest.raises(UsageError):
        ICMPExtension(objects=["x"])
    assert MPLSLabel(5, tc=3).exp == 3


# -- matching ---------------------------------------------------------------------------------
def _key(pkt):
    """The key the engine uses: from the built bytes, dissected."""
    return dissect_as(type(pkt), bytes(pkt)).hashkey()


def _answers(reply, probe):
    return dissect_as(type(reply), bytes(reply)).answers(dissect_as(type(probe), bytes(probe)))


@pytest.mark.parametrize("req,rep", [(8, 0), (13, 14), (15, 16), (17, 18), (37, 38)])
def test_reply_matches_request(req, rep):
    probe = IP(src=A, dst=B) / ICMP(type=req, id=0x4242, seq=7, ts_ori=1, ts_rx=0, ts_tx=0)
    reply = IP(src=B, dst=A) / ICMP(type=rep, id=0x4242, seq=7, ts_ori=1, ts_rx=2, ts_tx=3)
    assert _key(probe) == _key(reply)
    assert _answers(reply, probe)
    assert not _answers(probe, reply)


def test_reply_with_other_id_or_seq_does_not_match():
    probe = IP(src=A, dst=B) / ICMP(id=1, seq=1)
    for other in (ICMP(type=0, id=2, seq=1), ICMP(type=0, id=1, seq=2)):
        reply = IP(src=B, dst=A) / other
        assert _key(probe) != _key(reply)
        assert not _answers(reply, probe)
    # a reply from a host the probe did not go to
    stranger = IP(src=C, dst=A) / ICMP(type=0, id=1, seq=1)
    assert _key(stranger) != _key(probe)
    assert not _answers(stranger, probe)


def _router_error(probe, icmp, quote_len=None, router="198.18.9.9"):
    quoted = bytes(probe)
    if quote_len is not None:
        quoted = quoted[:quote_len]
    return IP(src=router, dst=probe.src) / icmp / Raw(load=quoted)


@pytest.mark.parametrize("quote_len", [None, 28, 48])
@pytest.mark.parametrize("kind", ["udp", "tcp", "icmp"])
@pytest.mark.parametrize("icmp", [dict(type=11), dict(type=3, code=3), dict(type=3, code=13),
                                  dict(type=12, ptr=8), dict(type=4), dict(type=5, gw=C)])
def test_error_matches_the_probe_it_quotes(kind, quote_len, icmp):
    l4 = {"udp": UDP(sport=40000, dport=33434) / b"payload!",
          "tcp": TCP(sport=40001, dport=80, seq=99, flags="S"),
          "icmp": ICMP(id=5, seq=6) / b"echo"}[kind]
    probe = IP(src=A, dst=C, ttl=3) / l4
    err = _router_error(probe, ICMP(**icmp), quote_len)
    assert _key(err) == _key(probe)
    assert _answers(err, probe)
    # a probe to the same host on other ports, or to another host, is not matched
    other_l4 = {"udp": UDP(sport=40000, dport=33435) / b"payload!",
                "tcp": TCP(sport=40002, dport=80, seq=99, flags="S"),
                "icmp": ICMP(id=5, seq=7) / b"echo"}[kind]
    other = IP(src=A, dst=C, ttl=3) / other_l4
    assert _key(err) != _key(other)
    elsewhere = IP(src=A, dst=B, ttl=3) / l4
    assert _key(err) != _key(elsewhere)
    assert not _answers(err, elsewhere)
    if not (kind == "tcp" and quote_len == 28):  # see the test below
        assert not _answers(err, other)


def test_eight_byte_tcp_quote_tells_ports_apart_in_answers():
    probe = IP(src=A, dst=C) / TCP(sport=40001, dport=80, seq=99)
    other = IP(src=A, dst=C) / TCP(sport=40002, dport=80, seq=99)
    err = _router_error(probe, ICMP(type=11), 28)
    assert not _answers(err, other)


def test_error_key_through_ethernet_frames():
    probe = IP(src=A, dst=C) / UDP(sport=33000, dport=33434)
    frame = bytes(S_Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                  / S_IP(bytes(_router_error(probe, ICMP(type=11)))))
    assert dissect(frame).hashkey() == _key(probe)


# -- real captures ----------------------------------------------------------------------------
def _frames(corpus_dir, name):
    pkts = rdpcap(str(corpus_dir / name))
    out = []
    for p in pkts:
        assert isinstance(p, S_Ether), name
        out.append((bytes(p.original), getattr(p, "wirelen", None), p))
    return out


def test_capture_echo_pairs_match(corpus_dir):
    frames = _frames(corpus_dir, "zeek__icmp-5-pings.pcap")
    ours = [dissect(raw, 1, wl) for raw, wl, _ in frames]
    requests = [p for p in ours if p[ICMP].type == 8]
    replies = [p for p in ours if p[ICMP].type == 0]
    assert len(requests) == len(replies) == 5
    for req in requests:
        matched = [r for r in replies if r.answers(req)]
        assert len(matched) == 1
        assert matched[0].hashkey() == req.hashkey()
        assert matched[0][ICMP].seq == req[ICMP].seq
    for (raw, _, theirs), p in zip(frames, ours):
        assert bytes(p) == raw and p.errors == []
        assert (p[ICMP].id, p[ICMP].seq, p[ICMP].chksum) == (theirs[S_ICMP].id, theirs[S_ICMP].seq,
                                                             theirs[S_ICMP].chksum)


def test_capture_timestamp_and_echo_pairs(corpus_dir):
    frames = _frames(corpus_dir, "pcapplusplus__IcmpPackets.pcapng")
    ours = [dissect(raw, 1, wl) for raw, wl, _ in frames]
    for (raw, _, theirs), p in zip(frames, ours):
        assert bytes(p) == raw
        if ICMP in p and S_ICMP in theirs:
            icmp, s_icmp = p[ICMP], theirs[S_ICMP]
            for name in icmp.present_fields():
                if name != "ext":
                    assert getattr(icmp, name) == _scapy_value(getattr(s_icmp, name)), name
    by_type = {}
    for p in ours:
        by_type.setdefault(p[ICMP].type, []).append(p)
    ts_req, ts_rep = by_type[13][0], by_type[14][0]
    assert ts_rep.answers(ts_req) and ts_rep.hashkey() == ts_req.hashkey()
    assert ts_rep[ICMP].ts_ori == ts_req[ICMP].ts_ori
    echo_req, echo_rep = by_type[8][0], by_type[0][0]
    assert echo_rep.answers(echo_req) and echo_rep.hashkey() == echo_req.hashkey()
    assert not echo_rep.answers(ts_req)
    # the time-exceeded errors quote probes: each has the key of the probe rebuilt from it
    for err in by_type[11]:
        quoted = err[ICMP].payload
        assert isinstance(quoted, IP)
        q4 = quoted.payload
        if isinstance(q4, (UDP, TCP)):
            # the probe's own class: the quote's is its twin (UDPerror, TCPerror)
            probe = IP(src=quoted.src, dst=quoted.dst) / type(q4).__mro__[1](
                sport=q4.sport, dport=q4.dport)
        elif isinstance(q4, ICMP):
            probe = IP(src=quoted.src, dst=quoted.dst) / ICMP(type=q4.type, id=q4.id,
                                                              seq=q4.seq)
        else:  # a TCP header cut to 8 bytes: rebuilt from the first bytes of the quote
            assert quoted.proto == 6
            sport, dport = int.from_bytes(q4.load[:2], "big"), int.from_bytes(q4.load[2:4],
                                                                               "big")
            probe = IP(src=quoted.src, dst=quoted.dst) / TCP(sport=sport, dport=dport)
        assert err.hashkey() == dissect_as(IP, bytes(probe)).hashkey()


def test_capture_time_exceeded_matches_its_probe(corpus_dir):
    ((raw, wl, theirs),) = _frames(corpus_dir, "zeek__icmp-timeexceeded.pcap")
    err = dissect(raw, 1, wl)
    assert bytes(err) == raw and err.errors == []
    assert err[ICMP].type == 11 and err[ICMP].chksum == theirs[S_ICMP].chksum
    # what the host sent: 10.0.0.2 -> 10.0.0.1 UDP 30000 -> 13000 "XXXX"
    probe = IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=30000, dport=13000) / b"XXXX"
    assert err.hashkey() == _key(probe)
    assert err[IP].answers(dissect_as(IP, bytes(probe)))
    wrong = IP(src="10.0.0.2", dst="10.0.0.1") / UDP(sport=30001, dport=13000) / b"XXXX"
    assert not err[IP].answers(dissect_as(IP, bytes(wrong)))


def test_capture_port_unreachable_matches_its_probe(corpus_dir):
    ((raw, wl, theirs),) = _frames(corpus_dir, "zeek__icmp-destunreach-udp.pcap")
    err = dissect(raw, 1, wl)
    icmp = err[ICMP]
    assert (icmp.type, icmp.code, icmp.chksum) == (3, 3, theirs[S_ICMP].chksum)
    quoted = icmp.payload
    assert (quoted.src, quoted.dst, quoted[UDPerror].sport) == ("192.168.1.1", "192.168.1.102", 53)
    # the probe was the (DNS) datagram quoted; its key is the error's
    probe = dissect_as(IP, bytes(quoted))
    assert err[IP].hashkey() == probe.hashkey()
    assert err[IP].answers(probe)
    moved = IP(bytes(quoted))
    moved[UDP].dport += 1
    moved[UDP].chksum = None
    assert err[IP].hashkey() != _key(moved)
    assert not err[IP].answers(dissect_as(IP, bytes(moved)))


# -- never raise ------------------------------------------------------------------------------
_IP_HDR = bytes(IP(src=A, dst=B, proto=1, len=20))[:20]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_icmp_bytes_never_raise(data):
    raw = _IP_HDR[:2] + (20 + len(data)).to_bytes(2, "big") + _IP_HDR[4:] + data
    d = dissect_as(IP, raw)
    assert bytes(d) == raw
    d.summary()
    d.to_dicts()
    d.hashkey()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([3, 4, 5, 11, 12]), st.binary(max_size=400))
def test_random_error_bodies_never_raise(icmp_type, body):
    raw = bytes(IP(src=A, dst=B) / ICMP(type=icmp_type, length=(len(body) // 4) % 256)
                / Raw(load=body))
    d = dissect_as(IP, raw)
    quoted = d[ICMP].chain()[1:]
    # the quoted layers' own round trip on random bytes belongs to their tests
    if not any(type(x).__name__ in ("IP", "TCP", "DNS") for x in quoted):
        assert bytes(d) == raw
    d.hashkey()
    d.answers(IP(src=B, dst=A) / UDP())
