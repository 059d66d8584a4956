"""Ether / IP / TCP / UDP / Raw byte for byte against Scapy.

Each spec describes one packet once; it is built with netprobe and with Scapy
(the field names are Scapy's, so the same keyword arguments serve both), and:

* the bytes must be equal;
* netprobe's dissection of them must rebuild the same bytes and give back the
  values that were set;
* netprobe's dissection must agree field by field with Scapy's dissection of
  the same bytes (options compared in a normalised form).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from scapy.layers import inet as sc_inet
from scapy.layers import l2 as sc_l2
from scapy.packet import Padding as ScPadding
from scapy.packet import Raw as ScRaw
from scapy.utils import checksum as sc_checksum

from netprobe.packet import IP, TCP, UDP, Ether, Layer, Padding, Raw, dissect, dissect_as
from netprobe.packet.field import FlagValue
from netprobe.packet.layers.ip import encode_ip_options

NETPROBE = {"Ether": Ether, "IP": IP, "TCP": TCP, "UDP": UDP, "Raw": Raw, "Padding": Padding}
SCAPY = {"Ether": sc_l2.Ether, "IP": sc_inet.IP, "TCP": sc_inet.TCP, "UDP": sc_inet.UDP,
         "Raw": ScRaw, "Padding": ScPadding}

MACS = {"src": "02:00:5e:10:00:01", "dst": "02:00:5e:10:00:02"}
ADDRS = {"src": "198.18.0.1", "dst": "198.18.0.2"}


@dataclass
class L:
    """One layer of a spec: shared keyword arguments, plus side-specific ones."""

    name: str
    kw: dict[str, Any] = field(default_factory=dict)
    netprobe: dict[str, Any] = field(default_factory=dict)
    scapy: dict[str, Any] = field(default_factory=dict)


def ether(**kw: Any) -> L:
    return L("Ether", {**MACS, **kw})


def ip(**kw: Any) -> L:
    return L("IP", {**ADDRS, **kw})


def ip_opts(*raw: bytes, **kw: Any) -> L:
    """IP with options given as their bytes (Scapy wants option objects)."""
    return L("IP", {**ADDRS, **kw}, {"options": list(raw)},
             {"options": [sc_inet.IPOption(r) for r in raw]})


def tcp(**kw: Any) -> L:
    return L("TCP", kw)


def udp(**kw: Any) -> L:
    return L("UDP", kw)


def raw(load: bytes) -> L:
    return L("Raw", {"load": load})


def _udp_payload_for_zero_checksum() -> bytes:
    """Two payload bytes that make the computed UDP checksum 0 (sent as 0xffff)."""
    for x in range(65536):
        payload = x.to_bytes(2, "big")
        seg = bytes(sc_inet.IP(**ADDRS) / sc_inet.UDP(sport=1, dport=2, chksum=0) / payload)
        ph = (bytes(sc_inet.IP(**ADDRS))[12:20] + b"\x00\x11" + (10).to_bytes(2, "big"))
        if sc_checksum(ph + seg[20:]) == 0:
            return payload
    raise AssertionError("no payload gives a zero checksum")


ZERO_SUM = _udp_payload_for_zero_checksum()

#: spec id -> layers; built from the same description by both tools
SPECS: dict[str, list[L]] = {
    # -- Ether ------------------------------------------------------------------------------
    "ether-ip-tcp-syn": [ether(), ip(), tcp(flags="S")],
    "ether-raw-default-type": [ether(), raw(b"\x01\x02\x03")],
    "ether-type-by-hand": [ether(type=0x1234), raw(b"payload")],
    "ether-8023-length": [ether(type=46), raw(bytes(46))],
    "ether-uppercase-macs": [L("Ether", {"src": "AA:BB:CC:DD:EE:FF",
                                          "dst": "01:00:5E:00:00:FB"}), ip(), udp()],
    "ether-broadcast": [L("Ether", {"src": MACS["src"], "dst": "ff:ff:ff:ff:ff:ff"}), ip()],
    "ether-type-ipv4-by-hand-raw": [ether(type=0x0800), raw(b"\x00" * 8)],
    # -- IP -----------------------------------------------------------------------------------
    "ip-alone": [ip()],
    "ip-odd-values": [ip(ttl=0, tos=0xFF, id=0xFFFF)],
    "ip-ecn-tos": [ip(tos=0x03), tcp()],
    "ip-df": [ip(flags="DF"), tcp()],
    "ip-mf": [ip(flags="MF"), tcp()],
    "ip-evil": [ip(flags="evil"), udp()],
    "ip-all-flags": [ip(flags=7), udp()],
    "ip-flags-as-int": [ip(flags=2), udp()],
    "ip-frag-1": [ip(flags="MF", frag=1), raw(b"A" * 16)],
    "ip-frag-max": [ip(frag=8191), raw(b"B" * 8)],
    "ip-first-fragment-tcp": [ip(flags="MF", id=4242), tcp(dport=22), raw(b"x" * 24)],
    "ip-last-fragment": [ip(frag=185, id=4242, proto=17), raw(b"C" * 40)],
    "ip-wrong-checksum": [ip(chksum=0x1234), tcp()],
    "ip-zero-checksum": [ip(chksum=0), udp()],
    "ip-len-too-small": [ip(len=24), tcp()],
    "ip-len-too-big": [ip(len=1500), tcp()],
    "ip-len-zero-bigtcp": [ip(len=0), tcp(flags="A"), raw(b"z" * 100)],
    "ip-ihl-too-big": [ip(ihl=15), tcp()],
    "ip-ihl-too-small": [ip(ihl=4), udp()],
    "ip-version-6": [ip(version=6), udp()],
    "ip-proto-by-hand": [ip(proto=99), tcp()],
    "ip-proto-tcp-raw": [ip(proto=6), raw(b"\x00" * 20)],
    "ip-in-ip": [ip(), L("IP", {"src": "198.18.5.5", "dst": "198.18.6.6"}), udp()],
    "ip-raw-payload": [ip(), raw(bytes(range(256)))],
    "ip-opt-nop-eol": [ip_opts(b"\x01", b"\x01", b"\x01", b"\x00"), tcp()],
    "ip-opt-router-alert": [ip_opts(b"\x94\x04\x00\x00"), udp()],
    "ip-opt-record-route": [ip_opts(b"\x07\x0b\x04" + bytes(8)), tcp()],
    "ip-opt-lsrr": [ip_opts(b"\x83\x0b\x04" + bytes([198, 18, 7, 7, 198, 18, 8, 8])), udp()],
    "ip-opt-ssrr": [ip_opts(b"\x89\x07\x04" + bytes([198, 18, 9, 9])), tcp()],
    "ip-opt-timestamp": [ip_opts(b"\x44\x0c\x05\x00" + bytes(8)), udp()],
    "ip-opt-security": [ip_opts(b"\x82\x0b" + bytes(9)), tcp()],
    "ip-opt-unknown": [ip_opts(b"\x9e\x05abc"), udp()],
    "ip-opt-padding-needed": [ip_opts(b"\x01", b"\x9e\x03z"), tcp()],
    "ip-opt-max-40": [ip_opts(b"\x07\x27\x04" + bytes(36), b"\x00"), tcp()],
    # -- TCP ----------------------------------------------------------------------------------
    "tcp-defaults": [ip(), tcp()],
    "tcp-no-flags": [ip(), tcp(flags=0)],
    "tcp-fin": [ip(), tcp(flags="F")],
    "tcp-rst": [ip(), tcp(flags="R")],
    "tcp-psh-ack": [ip(), tcp(flags="PA"), raw(b"data")],
    "tcp-urg": [ip(), tcp(flags="U", urgptr=0xFFFF)],
    "tcp-ece-cwr": [ip(), tcp(flags="EC")],
    "tcp-ns": [ip(), tcp(flags="N")],
    "tcp-all-flags": [ip(), tcp(flags="FSRPAUECN")],
    "tcp-flags-int": [ip(), tcp(flags=0x1FF)],
    "tcp-reserved-bits": [ip(), tcp(reserved=7, flags="S")],
    "tcp-max-seq-ack": [ip(), tcp(seq=0xFFFFFFFF, ack=0xFFFFFFFF, flags="A")],
    "tcp-window-zero": [ip(), tcp(window=0)],
    "tcp-window-max": [ip(), tcp(window=65535, flags="A")],
    "tcp-ports-extreme": [ip(), tcp(sport=0, dport=65535)],
    "tcp-wrong-checksum": [ip(), tcp(chksum=0xDEAD)],
    "tcp-zero-checksum": [ip(), tcp(chksum=0)],
    "tcp-dataofs-too-big": [ip(), tcp(dataofs=15)],
    "tcp-dataofs-hides-options": [ip(), tcp(dataofs=5, options=[("MSS", 1460)])],
    "tcp-opt-mss": [ip(), tcp(flags="S", options=[("MSS", 1460)])],
    "tcp-opt-linux-syn": [ip(), tcp(flags="S", options=[
        ("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None),
        ("WScale", 7)])],
    "tcp-opt-wscale-14": [ip(), tcp(options=[("WScale", 14)])],
    "tcp-opt-sack-1": [ip(), tcp(flags="A", options=[("NOP", None), ("NOP", None),
                                                     ("SAck", (1000, 2000))])],
    "tcp-opt-sack-3": [ip(), tcp(flags="A", options=[
        ("SAck", (1, 2, 3, 4, 5, 6))])],
    "tcp-opt-timestamp-max": [ip(), tcp(options=[("Timestamp", (0xFFFFFFFF, 0xFFFFFFFF))])],
    "tcp-opt-eol-then-pad": [ip(), tcp(options=[("MSS", 536), ("EOL", None)])],
    "tcp-opt-md5": [ip(), tcp(options=[("MD5", bytes(range(16)))])],
    "tcp-opt-uto": [ip(), tcp(options=[("UTO", 0x8123)])],
    "tcp-opt-tfo-cookie": [ip(), tcp(flags="S", options=[("TFO", (0x01020304, 0x05060708))]),
                           raw(b"early data")],
    "tcp-opt-tfo-request": [ip(), tcp(flags="S", options=[("TFO", b"")])],
    "tcp-opt-altchksum": [ip(), tcp(options=[("AltChkSum", (1, 0xBEEF))])],
    "tcp-opt-unknown-kind": [ip(), tcp(options=[(99, b"\x01\x02\x03")])],
    "tcp-opt-unknown-empty": [ip(), tcp(options=[(200, b"")])],
    "tcp-opt-experimental-254": [ip(), tcp(options=[(254, b"\xf9\x89abcd")])],
    "tcp-opt-mss-odd-bytes": [ip(), tcp(options=[("MSS", b"\x05\xb4\x00")])],
    "tcp-opt-full-40": [ip(), tcp(options=[("SAck", (1, 2, 3, 4, 5, 6, 7, 8)),
                                           ("NOP", None), ("NOP", None)])],
    "tcp-http-get": [ether(), ip(flags="DF"), tcp(sport=51000, dport=80, flags="PA",
                                                  seq=1000, ack=2000),
                     raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    # -- UDP ----------------------------------------------------------------------------------
    "udp-defaults": [ip(), udp()],
    "udp-payload": [ip(), udp(sport=4000, dport=4001), raw(b"\x00" * 12)],
    "udp-ports-extreme": [ip(), udp(sport=0, dport=65535), raw(b"x")],
    "udp-len-too-big": [ip(), udp(len=200), raw(b"abc")],
    "udp-len-too-small": [ip(), udp(len=3), raw(b"abcdef")],
    "udp-len-zero": [ip(), udp(len=0)],
    "udp-no-checksum": [ip(), udp(chksum=0), raw(b"no sum")],
    "udp-wrong-checksum": [ip(), udp(chksum=0x1111), raw(b"bad sum")],
    "udp-computed-zero-is-ffff": [ip(), udp(sport=1, dport=2), raw(ZERO_SUM)],
    "udp-odd-length-payload": [ip(), udp(), raw(b"odd")],
    "udp-big-payload": [ether(), ip(), udp(sport=4000, dport=4001), raw(b"\xa5" * 1472)],
    "udp-with-ip-options": [ip_opts(b"\x94\x04\x00\x00"), udp(), raw(b"ra")],
    "udp-in-ip-in-ip": [ip(), ip(id=77), udp(), raw(b"inner")],
    # -- padding: outside every length and checksum ---------------------------------------------
    "ether-ip-tcp-padding": [ether(), ip(), tcp(flags="A"), L("Padding", {"load": b"\x01" * 6})],
    "ip-udp-padding": [ip(), udp(), raw(b"p"), L("Padding", {"load": b"zz"})],
    # -- Raw ----------------------------------------------------------------------------------
    "raw-only": [raw(b"just bytes")],
    "raw-every-byte": [raw(bytes(range(256)))],
    "raw-after-udp-empty": [ip(), udp(), raw(b"")],
}

#: specs whose dissection differs from Scapy's on purpose: spec -> why
DISSECTION_DIFFERS = {
    "ip-ihl-too-big": "ihl 15 announces 60 header bytes where 40 are: netprobe keeps the "
                      "bytes as Raw with a note, Scapy reads options out of the TCP header",
    "ip-ihl-too-small": "ihl 4 is less than 20 bytes: netprobe keeps the bytes as Raw, Scapy "
                        "decodes a header of 20 bytes anyway",
    "ip-proto-tcp-raw": "a TCP data offset of 0: netprobe keeps the bytes as Raw with a "
                        "note, Scapy reads a TCP header assuming an offset of 5",
    "udp-len-too-small": "UDP length 3: netprobe notes it and keeps the payload to the end; "
                         "Scapy cuts len - 8 = -5 bytes (all but the last five) and calls "
                         "the rest padding",
}


def build_netprobe(spec: list[L]) -> Layer:
    layers = [NETPROBE[x.name](**{**x.kw, **x.netprobe}) for x in spec]
    pkt = layers[0]
    for layer in layers[1:]:
        pkt = pkt / layer
    return pkt


def build_scapy(spec: list[L]) -> Any:
    layers = [SCAPY[x.name](**{**x.kw, **x.scapy}) for x in spec]
    pkt = layers[0]
    for layer in layers[1:]:
        pkt = pkt / layer
    return pkt


def netprobe_dissect(spec: list[L], data: bytes) -> Layer:
    first = spec[0].name
    if first == "Ether":
        return dissect(data, 1)
    if first == "IP":
        return dissect(data, 228)
    return dissect_as(NETPROBE[first], data)


def scapy_dissect(spec: list[L], data: bytes) -> Any:
    return SCAPY[spec[0].name](data)


def test_enough_specs() -> None:
    assert len(SPECS) >= 60


@pytest.mark.parametrize("name", SPECS)
def test_bytes_equal_scapy(name: str) -> None:
    spec = SPECS[name]
    assert bytes(build_netprobe(spec)).hex() == bytes(build_scapy(spec)).hex()


@pytest.mark.parametrize("name", SPECS)
def test_dissect_gives_back_the_packet(name: str) -> None:
    spec = SPECS[name]
    built = build_netprobe(spec)
    data = bytes(built)
    got = netprobe_dissect(spec, data)
    assert bytes(got) == data
    # every value set in the spec is read back, where the layer was recognised
    for want, layer in zip(spec, got.chain()):
        if type(layer).__name__ != want.name:
            break
        for key, value in {**want.kw, **want.netprobe}.items():
            if key == "options":
                continue
            mine = getattr(layer, key)
            expected = NETPROBE[want.name].fields_by_name[key].check(value)
            assert mine == expected, f"{want.name}.{key}"


def _plain(value: Any) -> Any:
    if isinstance(value, FlagValue) or type(value).__name__ == "FlagValue":
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, str) and len(value) == 17 and value.count(":") == 5:
        return value.lower()
    return value


def _ip_options_bytes(options: list[Any], scapy_side: bool) -> bytes:
    if scapy_side:
        data = b"".join(bytes(o) for o in options)
    else:
        data = encode_ip_options([o for o in options if o[0] >= 0]) + b"".join(
            o[1] for o in options if o[0] < 0)
    return data.rstrip(b"\x00")


@pytest.mark.parametrize("name", SPECS)
def test_dissection_agrees_with_scapy(name: str) -> None:
    spec = SPECS[name]
    data = bytes(build_scapy(spec))
    mine = netprobe_dissect(spec, data).chain()
    theirs = []
    cur = scapy_dissect(spec, data)
    while cur is not None and type(cur).__name__ != "NoPayload":
        theirs.append(cur)
        cur = cur.payload
    if name in DISSECTION_DIFFERS:
        # still the same bytes, and a difference that is really there
        assert [type(x).__name__ for x in mine] != [type(x).__name__ for x in theirs] or any(
            getattr(a, "options", None) != getattr(b, "options", None)
            for a, b in zip(mine, theirs))
        return
    # Scapy makes an empty Raw for an empty load; netprobe has no layer there
    theirs = [x for x in theirs if not (isinstance(x, ScRaw) and not x.load)]
    assert [type(x).__name__ for x in mine] == [type(x).__name__ for x in theirs]
    compared = 0
    for a, b in zip(mine, theirs):
        for f in a.fields_desc:
            if f.name not in b.fields:
                continue
            compared += 1
            ours, scapys = getattr(a, f.name), getattr(b, f.name)
            if f.name == "options" and type(a).__name__ == "IP":
                assert _ip_options_bytes(ours, False) == _ip_options_bytes(scapys, True)
            elif f.name == "options":
                assert [tuple(_plain(o)) for o in ours] == [_plain(o) for o in scapys]
            else:
                assert _plain(ours) == _plain(scapys), f"{type(a).__name__}.{f.name}"
    assert compared >= sum(len(type(x).fields) for x in mine)  # Scapy has every one
    assert isinstance(theirs[-1], ScPadding) == (type(mine[-1]).__name__ == "Padding")


@pytest.mark.parametrize("name", ["ether-ip-tcp-padding", "ip-udp-padding", "tcp-http-get",
                                  "udp-big-payload"])
def test_recomputed_fields_match_the_originals(name: str) -> None:
    # a dissected packet with its lengths and checksums cleared builds the same bytes
    spec = SPECS[name]
    data = bytes(build_scapy(spec))
    pkt = netprobe_dissect(spec, data)
    for layer in pkt.chain():
        for f in layer.fields_desc:
            if f.name in ("len", "chksum", "ihl", "dataofs"):
                setattr(layer, f.name, None)
    assert bytes(pkt) == data


def test_nested_trailers_stay_where_they_were() -> None:
    # UDP announces 10 bytes of 14 (a trailer inside IP), then the frame's own padding
    inner = bytes(build_scapy([ether(), ip(), udp(sport=4000, dport=4001, len=10),
                               raw(b"abcdef")]))
    data = inner + bytes(10)
    pkt = dissect(data, 1)
    assert [type(x).__name__ for x in pkt.chain()] == ["Ether", "IP", "UDP", "Raw", "Padding",
                                              "Padding"]
    assert bytes(pkt) == data
    pkt[IP].len = None
    pkt[IP].chksum = None
    assert bytes(pkt) == data  # IP's length covers UDP's trailer, not the frame's padding
    ours = dissect(data, 1)
    ours[UDP].chksum = None
    theirs = sc_l2.Ether(data)
    del theirs[sc_inet.UDP].chksum
    assert bytes(ours) == bytes(theirs)
