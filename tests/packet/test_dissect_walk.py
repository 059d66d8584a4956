"""Dissection's two walks agree: the written-out one (``dissect``, ``dissect_as``,
``Hdr(raw)``) and the general loop (taken when spans are asked for, after a failure,
past the written-out depth). Also: ``Hdr(raw)`` reads into the layer it makes, and
dissected addresses read as the standard library writes them."""

from __future__ import annotations

import ipaddress
import random
import socket

import pytest

import netprobe.packet as packet
from netprobe.errors import UsageError
from netprobe.packet import DNS, DNSQR, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, dissect, dissect_as
from netprobe.packet import field as F  # noqa: N812
from netprobe.packet.dissect import MAX_DEPTH

packet.load_families()
MPLS = packet.MPLS
HOP = packet.IPv6ExtHdrHopByHop
DEST = packet.IPv6ExtHdrDestOpt

SRC, DST = "198.18.1.2", "198.18.1.15"


def _frames() -> list[bytes]:
    """Chains of every depth around the written-out walk's (6 layers), with trailers."""
    eth = Ether(src="02:00:5e:00:01:02", dst="02:00:5e:00:01:0f")
    dns = UDP(sport=5353, dport=53) / DNS(qd=DNSQR(qname="www.example.com"))
    out = [bytes(eth / IP(src=SRC, dst=DST) / TCP(dport=80, flags="S")),
           bytes(eth / IP(src=SRC, dst=DST) / TCP(dport=80, flags="PA") / b"GET / HTTP/1.0\r\n"),
           bytes(eth / IP(src=SRC, dst=DST) / TCP(dport=1, options=[("MSS", 1460)])) + b"\0" * 6,
           bytes(eth / IPv6(src="2001:db8::1", dst="2001:db8::2") / HOP() / DEST() / dns)]
    for tags in range(9):  # Ether, tags, IP, UDP, DNS: 4 to 12 layers
        chain = eth
        for i in range(tags):
            chain = chain / Dot1Q(vlan=i + 1)
        out.append(bytes(chain / IP(src=SRC, dst=DST) / dns))
        out.append(bytes(chain / IP(src=SRC, dst=DST) / TCP(sport=40000, dport=9)) + b"\xaa" * 4)
    labels = eth
    for i in range(7):
        labels = labels / MPLS(label=16 + i, s=0)
    out.append(bytes(labels / MPLS(label=99, s=1) / IP(src=SRC, dst=DST) / dns))
    return out


def _mutations(frames: list[bytes], count: int) -> list[bytes]:
    """Every cut of each frame, then random byte changes."""
    rng = random.Random(15)
    out = [f[:n] for f in frames for n in range(len(f))]
    for _ in range(count):
        b = bytearray(rng.choice(frames))
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        out.append(bytes(b))
    return out


def _seen(pkt: object) -> tuple:
    """What a dissection shows: classes, repr, notes, trailers' places, bytes."""
    chain = pkt.chain()  # type: ignore[attr-defined]
    try:
        built: object = bytes(pkt)  # type: ignore[call-overload]
    except Exception as exc:  # a frame may not build back: the same way both times
        built = (type(exc).__name__, str(exc))
    return ([type(x).__name__ for x in chain], repr(pkt), pkt.errors,  # type: ignore[attr-defined]
            [getattr(x, "_back", None) for x in chain], built, pkt.original)  # type: ignore[attr-defined]


FRAMES = _frames()
CASES = FRAMES + _mutations(FRAMES, 3000)


def test_the_frames_are_as_deep_as_meant() -> None:
    depths = {len(dissect(f).chain()) for f in FRAMES}
    assert min(depths) <= 3 and max(depths) >= 12, depths


@pytest.mark.parametrize("wirelen", [None, 2000])
def test_written_out_walk_agrees_with_the_general_loop(wirelen: int | None) -> None:
    for data in CASES:
        fast = dissect_as(Ether, data, wirelen)
        spans: list = []
        general = dissect_as(Ether, data, wirelen, spans)
        assert _seen(fast) == _seen(general), data.hex()
        assert _seen(dissect(data, 1, wirelen)) == _seen(dissect(data, 1, wirelen, [])), data.hex()
        # one span per layer of the chain, trailers aside
        assert len(spans) == len([x for x in general.chain() if not x.is_padding])


def test_too_deep_a_chain_stops_at_the_limit_the_same_way() -> None:
    tags = MAX_DEPTH + 5
    data = bytes(Ether(type=0x8100)) + bytes(Dot1Q(vlan=7, type=0x8100)) * tags + bytes(20)
    fast = dissect_as(Ether, data)
    assert _seen(fast) == _seen(dissect_as(Ether, data, None, []))
    assert any("nested layers" in e for e in fast.errors)
    assert len(fast.chain()) == MAX_DEPTH + 2  # the layers, then the rest as Raw
    assert isinstance(fast.lastlayer(), Raw)


def test_hdr_raw_reads_what_dissect_as_reads() -> None:
    for data in CASES:
        expected = dissect_as(Ether, data)
        if type(expected) is not Ether:
            with pytest.raises(UsageError, match="cannot read"):
                Ether(data)
            continue
        made = Ether(data)
        assert _seen(made) == _seen(expected), data.hex()
        assert made.is_dissected()
        p = made.payload
        assert not p or p.underlayer is made


def test_hdr_raw_takes_bytearray_memoryview_and_fields_given() -> None:
    data = FRAMES[0]
    assert repr(Ether(bytearray(data))) == repr(Ether(memoryview(data))) == repr(dissect(data))
    ip = IP(data[14:], ttl=3)  # a field given by keyword wins over the bytes, as in Scapy
    assert ip.ttl == 3 and ip[TCP].dport == 80 and ip.src == SRC


def test_a_layer_dissected_again_in_place_keeps_its_place() -> None:
    pkt = dissect(FRAMES[0])
    ip = pkt[IP]
    again = bytes(IP(src="198.18.1.3", dst=DST) / UDP(dport=9))
    ip.dissect(again)
    assert pkt[IP] is ip and ip.underlayer is pkt and ip.src == "198.18.1.3"
    assert type(ip.payload) is UDP and ip.payload.underlayer is ip


def test_dissected_addresses_read_as_the_standard_library_writes_them() -> None:
    rng = random.Random(4)
    for _ in range(2000):
        a4, a6 = rng.randbytes(4), rng.randbytes(16)
        if rng.random() < 0.3:  # runs of zero groups, IPv4-mapped
            a6 = bytes(10) + b"\xff\xff" + a4 if rng.random() < 0.5 else bytes(8) + a6[8:]
        frame = (bytes(12) + b"\x08\x00" + bytes(IP(src="198.18.1.2", dst="198.18.1.3"))[:12]
                 + a4 + a4)
        assert dissect(frame)[IP].src == str(ipaddress.IPv4Address(a4))
        six = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2"))[:8] + a6 + a6
        got = dissect(bytes(12) + b"\x86\xdd" + six)[IPv6].dst
        assert got == socket.inet_ntop(socket.AF_INET6, a6)
        assert ipaddress.IPv6Address(got) == ipaddress.IPv6Address(a6)


def test_the_address_text_cache_stays_bounded() -> None:
    texts = F.AddressTexts(socket.inet_ntoa)
    for i in range(F.ADDRESS_TEXTS_MAX * 2 + 3):
        raw = i.to_bytes(4, "big")
        assert texts[raw] == str(ipaddress.IPv4Address(raw))
        assert len(texts) <= F.ADDRESS_TEXTS_MAX


def test_hdr_raw_builds_back_the_bytes_it_read_as_scapy_does() -> None:
    """A header read by hand (``TCP(raw)``) keeps what it read beyond its fields (options
    cut short, a data offset the options do not fill): built again, it gives the bytes
    Scapy's ``TCP(raw)`` gives."""
    from scapy.layers import inet as scapy_inet

    rng = random.Random(27)
    compared = 0
    for _ in range(400):
        offset = rng.randrange(5, 16) << 4 | rng.randrange(16)  # under 5 netprobe refuses
        data = bytes(TCP(sport=1, dport=2))[:12] + bytes([offset]) + bytes(
            rng.randrange(256) for _ in range(rng.randrange(7, 40)))
        try:
            theirs = bytes(scapy_inet.TCP(data))
        except Exception:  # Scapy cannot read it: nothing to compare
            continue
        assert bytes(TCP(data)) == theirs, data.hex()
        compared += 1
    assert compared > 300
