"""RFC 4884 ICMP extensions as Scapy's layers, against Scapy 2.8 (same process): the layers
alone, ICMP errors carrying them (bytes, repr, summary, show), fields as tshark reads them,
the answers netprobe's own ICMPExtension gives (labels, objects, JSON), mutations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import scapy.all as scapy_all
import scapy.contrib.mpls as scapy_mpls  # Scapy reads MPLS objects as ICMPExtension_MPLS now

import netprobe.packet.layers.icmp_ext_layers as ext_mod
from netprobe.packet import IP, UDP, Ether, Raw, optional_layers
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layers.icmp import ICMP, ICMPExtension, ICMPExtensionObject, MPLSLabel
from netprobe.packet.layers.icmp_quote import IPerror, IPerror6, UDPerror
from netprobe.packet.layers.icmpv6 import ICMPv6DestUnreach, ICMPv6TimeExceeded
from netprobe.packet.layers.ipv6 import IPv6
from netprobe.packet.layers.mpls import MPLS
from tests.packet.layers_compare import (
    ls_matches_scapy,
    mutations,
    never_raises,
    same_face,
    tshark_rows,
    write_pcap,
)

OURS = {**vars(ext_mod), "MPLS": MPLS, "IP": IP, "UDP": UDP, "Ether": Ether, "Raw": Raw,
        "ICMP": ICMP, "IPerror": IPerror, "UDPerror": UDPerror, "IPv6": IPv6, "IPerror6": IPerror6,
        "ICMPv6TimeExceeded": ICMPv6TimeExceeded, "ICMPv6DestUnreach": ICMPv6DestUnreach}
SCAPY = {**vars(scapy_all), **vars(scapy_mpls)}
MPLS = 'ICMPExtension_Object(classnum=1, classtype=1)/Raw(b"\\x03\\xe8\\x01\\x01")'
IFINFO = ('ICMPExtension_InterfaceInformation(has_ifindex=1, ifindex=5, has_ipaddr=1, afi=1, '
          'ip4="198.18.0.1", has_mtu=1, mtu=1500)')
LAYERS = [
    'ICMPExtension_Header()', 'ICMPExtension_Object()', 'ICMPExtension_InterfaceInformation()',
    'ICMPExtension_Header()/' + MPLS, 'ICMPExtension_Header()/' + IFINFO,
    'ICMPExtension_Header(chksum=0x1234, reserved=5)/ICMPExtension_Object(classnum=3, '
    'classtype=2)/Raw(b"abcd")',
    'ICMPExtension_InterfaceInformation(has_ifname=1, ifname=b"ge-0/0/1.100")',
    'ICMPExtension_InterfaceInformation(has_ipaddr=1, afi=2, ip6="2001:db8::9", classtype=2)',
    'ICMPExtension_InterfaceInformation(has_ipaddr=1, ip4="198.18.0.9")',
    'ICMPExtension_InterfaceInformation(has_ifindex=1, ifindex=5, has_ipaddr=1, afi=1, '
    'ip4="198.18.0.1", has_ifname=1, ifname=b"eth0", has_mtu=1, mtu=1500)',
    'ICMPExtension_MPLS()', 'ICMPExtension_MPLS(stack=[MPLS(label=16005, s=0, ttl=1), '
    'MPLS(label=24000, cos=5, s=1, ttl=254)])', 'ICMPExtension_Header()/ICMPExtension_MPLS('
    'stack=[MPLS(label=299776, ttl=1)])',
]
QUOTE = '/IPerror(src="198.18.0.2", dst="198.18.9.9")/UDPerror(sport=40000, dport=33434)'
ERRORS = [
    'IP(src="198.18.0.1", dst="198.18.0.2")/ICMP(type=11, ext=ICMPExtension_Header()/' + MPLS
    + ')' + QUOTE,
    'IP(src="198.18.0.1", dst="198.18.0.2")/ICMP(type=3, code=3, ext=ICMPExtension_Header()/'
    + IFINFO + ')' + QUOTE,
    'IP(src="198.18.0.1", dst="198.18.0.2")/ICMP(type=12, ext=ICMPExtension_Header()/'
    'ICMPExtension_Object(classnum=3, classtype=2)/Raw(b"abcd"))' + QUOTE,
    'IPv6(src="2001:db8::1", dst="2001:db8::2")/ICMPv6TimeExceeded(ext=ICMPExtension_Header()/'
    + MPLS + ')/IPerror6(src="2001:db8::2", dst="2001:db8::9")/UDPerror(dport=33434)',
]


@pytest.fixture(autouse=True)
def _mpls_loaded() -> Iterator[None]:
    """As with Scapy's contrib loaded (above): MPLS objects read as ICMPExtension_MPLS."""
    was = optional_layers.is_loaded("mpls")
    optional_layers.load("mpls")
    yield
    if not was:
        optional_layers.unload("mpls")


def test_mpls_objects_are_raw_until_mpls_is_loaded() -> None:
    optional_layers.unload("mpls")
    data = bytes(eval('ICMPExtension_Header()/' + MPLS, OURS))
    assert type(dissect_as(ext_mod.ICMPExtension_Header, data).payload).__name__ == \
        "ICMPExtension_Object"
    optional_layers.load("mpls")
    read = dissect_as(ext_mod.ICMPExtension_Header, data)
    assert type(read.payload) is ext_mod.ICMPExtension_MPLS
    assert read.payload.stack[0].label == read.labels[0].label == 16000


@pytest.mark.parametrize("expr", LAYERS)
def test_layers_are_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, SCAPY))


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_carrying_them_build_and_print_as_scapy(expr: str) -> None:
    ours, theirs = eval(expr, OURS), eval(expr, SCAPY)
    data = bytes(theirs)
    assert bytes(ours) == data
    assert repr(ours) == repr(theirs)
    assert ours.summary() == theirs.summary()
    assert ours.show(dump=True) == theirs.show(dump=True)
    # read back: the same layers, the quote's padding shown as Scapy shows it
    read, sread = dissect_as(type(ours), data), type(theirs)(data)
    err = read.payload
    if isinstance(err, ICMP):
        assert repr(read) == repr(sread)
        assert read.summary() == sread.summary()
        assert read.show(dump=True) == sread.show(dump=True)
    else:
        # ICMPv6 errors announce their quote's length (RFC 4884 5.1): netprobe reads an
        # extension only after one that does, Scapy also guesses one after 128 bytes
        assert err.ext is None and sread.payload.ext is not None
    assert bytes(read) == data


def test_two_objects_build_as_scapy() -> None:
    # (read back, the MPLS object takes the rest as its label stack in both; what the
    # stack's last entry is followed by is guessed differently)
    expr = 'ICMPExtension_Header()/' + MPLS + '/' + IFINFO
    assert bytes(eval(expr, OURS)) == bytes(eval(expr, SCAPY))


def test_ls_is_scapys() -> None:
    assert ls_matches_scapy(ext_mod) == 3  # (ICMPExtension_MPLS is Scapy's contrib's)


def test_layers_answer_what_icmpextension_answers() -> None:
    labels = [MPLSLabel(16005, tc=0, s=0, ttl=1), MPLSLabel(24000, tc=5, s=1, ttl=254)]
    value = ICMPExtension([ICMPExtensionObject.mpls(labels),
                           ICMPExtensionObject(classnum=3, classtype=2, data=b"ifdata!!")])
    layers = ext_mod.extension_layers(value.encode())
    assert layers.labels == value.labels == labels
    assert layers.objects == ICMPExtension.decode(value.encode())[0].objects
    assert layers.to_dict() == ICMPExtension.decode(value.encode())[0].to_dict()
    # an error read from bytes holds the layers; traceroute's labels still come out
    frame = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / ICMP(type=11, ext=value)
                  / IPerror(src="198.18.0.2", dst="198.18.9.9") / UDPerror(dport=33434))
    got = dissect_as(IP, frame)[ICMP]
    assert isinstance(got.ext, ext_mod.ICMPExtension_Header)
    assert got.ext.labels == labels and got.ext.chksum == scapy_all.IP(frame)[
        scapy_all.ICMP].ext.chksum
    assert got.to_dict()["ext"] == value.to_dict() | {"chksum": got.ext.chksum,
                                                      "objects": got.ext.to_dict()["objects"]}
    assert bytes(got._under) == frame


def test_fields_are_tsharks(tmp_path) -> None:
    frames = [bytes(scapy_all.Ether() / eval(e, SCAPY)) for e in ERRORS[:2]]
    path = write_pcap(tmp_path / "ext.pcap", frames)
    rows = tshark_rows(path, "icmp.ext", ["icmp.ext.version", "icmp.ext.checksum",
                                          "icmp.ext.length", "icmp.ext.class", "icmp.ext.ctype",
                                          "icmp.mpls.label", "icmp.int_info.index",
                                          "icmp.int_info.ipv4", "icmp.int_info.mtu"])
    assert set(rows) == {1, 2}
    for number, row in rows.items():
        ext = dissect_as(Ether, frames[number - 1])[ICMP].ext
        obj = ext.payload
        # (tshark's C-type is the whole byte: RFC 5837's role and flags are in it)
        assert [int(row[0]), int(row[1], 16), int(row[2]), int(row[3]), int(row[4])] == [
            ext.version, ext.chksum, obj.len, obj.classnum, bytes(obj)[3]]
        if number == 1:
            assert int(row[5]) == ext.labels[0].label
        else:
            assert [int(row[6]), row[7], int(row[8])] == [obj.ifindex, obj.ip4, obj.mtu]


def test_malformed_extensions_never_raise() -> None:
    for expr in ERRORS:
        data = bytes(scapy_all.Ether() / eval(expr, SCAPY))
        never_raises(mutations(data, count=300))
    for expr in LAYERS:
        data = bytes(eval(expr, SCAPY))
        never_raises(mutations(data, count=60),
                     lambda b: dissect_as(ext_mod.ICMPExtension_Header, b))


def test_extension_layers_are_found_as_scapy_finds_them() -> None:
    data = bytes(eval(ERRORS[1], SCAPY))
    ours, theirs = dissect_as(IP, data), scapy_all.IP(data)
    for name in ("ICMPExtension_Header", "ICMPExtension_InterfaceInformation",
                 "ICMPExtension_Object", "UDPerror"):
        assert ours.haslayer(OURS[name]) == theirs.haslayer(SCAPY[name])
        if theirs.haslayer(SCAPY[name]):  # (a subclass is not its base: Object is not found)
            assert repr(ours[OURS[name]]) == repr(theirs[SCAPY[name]])
