"""The raw-bytes fast path never disagrees with the layers.

``fastpath.hashkey(b, lt)`` must be None or ``dissect(b, lt).hashkey()``, and
``fastpath.answers(a, alt, p, plt)`` None or exactly what the loop would decide
from dissected packets (see ``SendReceiveLoop._drain``). The packets come from
netprobe itself (random headers, fragments, options, payloads, link layers) and
are then mutated at random, since the fast path reads captured, untrusted bytes.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from netprobe.packet import (
    ICMP,
    IP,
    TCP,
    UDP,
    CookedLinux,
    Dot1Q,
    Ether,
    Padding,
    Raw,
    dissect,
    fastpath,
)
from netprobe.packet.layer import Layer

ETHERNET, RAW_IP, COOKED, IPV4_ONLY = 1, 101, 113, 228
LINKTYPES = [ETHERNET, RAW_IP, COOKED, IPV4_ONLY, 12]
MAC_A = "02:00:c6:12:01:02"
MAC_B = "02:00:c6:12:01:0b"

addresses = st.one_of(st.sampled_from(["198.18.1.2", "198.18.1.11", "198.19.2.10"]),
                      st.ip_addresses(v=4).map(str))
ports = st.one_of(st.sampled_from([53, 80, 123, 443, 5353, 33434, 0, 65535]),
                  st.integers(0, 65535))
u32 = st.integers(0, 2 ** 32 - 1)


@st.composite
def ip_headers(draw: st.DrawFn, src: str | None = None, dst: str | None = None) -> IP:
    kwargs: dict[str, object] = {
        "src": src or draw(addresses), "dst": dst or draw(addresses),
        "ttl": draw(st.integers(0, 255)), "id": draw(st.integers(0, 65535)),
        "tos": draw(st.integers(0, 255)),
        "flags": draw(st.integers(0, 7)),
        "frag": draw(st.one_of(st.just(0), st.just(0), st.integers(0, 8191))),
    }
    if draw(st.integers(0, 5)) == 0:
        kwargs["options"] = draw(st.lists(st.one_of(
            st.just(1), st.tuples(st.integers(2, 255), st.binary(max_size=6))),
            min_size=1, max_size=3))
    if draw(st.integers(0, 8)) == 0:
        kwargs["len"] = draw(st.integers(0, 200))
    if draw(st.integers(0, 8)) == 0:
        kwargs["ihl"] = draw(st.integers(0, 15))
    if draw(st.integers(0, 8)) == 0:
        kwargs["version"] = draw(st.integers(0, 15))
    return IP(**kwargs)


@st.composite
def tcp_headers(draw: st.DrawFn, sport: int | None = None, dport: int | None = None,
                ack: int | None = None) -> TCP:
    kwargs: dict[str, object] = {
        "sport": draw(ports) if sport is None else sport,
        "dport": draw(ports) if dport is None else dport,
        "seq": draw(u32), "ack": draw(u32) if ack is None else ack,
        "flags": draw(st.one_of(st.sampled_from(["S", "SA", "RA", "R", "A", "FA"]),
                                st.integers(0, 511))),
        "window": draw(st.integers(0, 65535)),
    }
    if draw(st.integers(0, 4)) == 0:
        kwargs["options"] = draw(st.lists(st.sampled_from(
            [("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""),
             ("Timestamp", (1, 2))]), max_size=4))
    if draw(st.integers(0, 8)) == 0:
        kwargs["dataofs"] = draw(st.integers(0, 15))
    return TCP(**kwargs)


@st.composite
def udp_headers(draw: st.DrawFn, sport: int | None = None, dport: int | None = None) -> UDP:
    kwargs: dict[str, object] = {"sport": draw(ports) if sport is None else sport,
                                 "dport": draw(ports) if dport is None else dport}
    if draw(st.integers(0, 6)) == 0:
        kwargs["len"] = draw(st.integers(0, 80))
    return UDP(**kwargs)


@st.composite
def icmp_messages(draw: st.DrawFn) -> Layer:
    kind = draw(st.sampled_from(["echo", "reply", "error", "other"]))
    if kind == "echo":
        return ICMP(type=8, id=draw(st.integers(0, 65535)), seq=draw(st.integers(0, 65535)))
    if kind == "reply":
        return ICMP(type=0, id=draw(st.integers(0, 65535)), seq=draw(st.integers(0, 65535)))
    if kind == "error":
        quoted = draw(ip_headers()) / draw(st.one_of(tcp_headers(), udp_headers()))
        data = bytes(quoted)[:draw(st.integers(20, 60))]
        return ICMP(type=draw(st.sampled_from([3, 11, 12, 4, 5])),
                    code=draw(st.integers(0, 15))) / Raw(data)
    return ICMP(type=draw(st.integers(0, 255)), code=draw(st.integers(0, 255)))


@st.composite
def link_wrapped(draw: st.DrawFn, ip_packet: Layer) -> tuple[bytes, int]:
    """The IP packet as captured on a random link type (Ethernet with VLAN tags, raw, SLL)."""
    linktype = draw(st.sampled_from(LINKTYPES))
    if linktype == ETHERNET:
        outer: Layer = Ether(src=MAC_A, dst=MAC_B)
        for _ in range(draw(st.integers(0, 2)) if draw(st.booleans()) else 0):
            outer = outer / Dot1Q(vlan=draw(st.integers(0, 4095)))
        return bytes(outer / ip_packet), linktype
    if linktype == COOKED:
        return bytes(CookedLinux(pkttype=0, lladdrlen=6, src=MAC_A) / ip_packet), linktype
    return bytes(ip_packet), linktype


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with, sometimes, a few bytes changed, cut off or added."""
    if draw(st.integers(0, 2)) != 0:
        return data
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["set", "cut", "add"]))
        if what == "set" and buf:
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] = draw(st.integers(0, 255))
        elif what == "cut" and buf:
            del buf[draw(st.integers(0, len(buf))):]
        else:
            buf += draw(st.binary(min_size=1, max_size=8))
    return bytes(buf)


@st.composite
def ip_packets(draw: st.DrawFn) -> Layer:
    ip = draw(ip_headers())
    upper = draw(st.one_of(tcp_headers(), udp_headers(), icmp_messages()))
    packet = ip / upper
    payload = draw(st.binary(max_size=40))
    if payload:
        packet = packet / Raw(payload)
    return packet


@st.composite
def frames(draw: st.DrawFn) -> tuple[bytes, int]:
    packet = draw(ip_packets())
    try:
        data, linktype = draw(link_wrapped(packet))
    except Exception:
        assume(False)
    return draw(mutated(data)), linktype


def layers_key(frame: bytes, linktype: int) -> bytes | None:
    """The loop's slow path for a key: dissect and ask (None when hashkey() raises)."""
    try:
        return dissect(frame, linktype).hashkey()
    except Exception:
        return None


def layers_verdict(answer: bytes, alt: int, probe: bytes, plt: int) -> bool:
    """What ``SendReceiveLoop._drain`` decides from dissected packets."""
    pkt = dissect(answer, alt)
    probe_layer = dissect(probe, plt)
    ans = pkt if type(pkt) is type(probe_layer) else pkt.getlayer(type(probe_layer))
    return ans is not None and ans.answers(probe_layer)


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(frames())
def test_hashkey_is_none_or_the_layers_key(case: tuple[bytes, int]) -> None:
    frame, linktype = case
    fast = fastpath.hashkey(frame, linktype)
    assert fast == fastpath.key_of(fastpath.parse(frame, linktype), frame)
    if fast is not None:
        assert fast == layers_key(frame, linktype)


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[bytes, int, bytes, int]:
    """A probe and a packet that may answer it: mostly a real answer, sometimes a near miss."""
    scanner, target = "198.18.1.2", draw(addresses)
    transport = draw(st.sampled_from(["tcp", "udp"]))
    sport, dport = draw(ports), draw(ports)
    if transport == "tcp":
        probe_l4: Layer = draw(tcp_headers(sport=sport, dport=dport))
    else:
        probe_l4 = draw(udp_headers(sport=sport, dport=dport))
    probe = draw(ip_headers(src=scanner, dst=target)) / probe_l4
    related = draw(st.booleans())
    a_src = target if related or draw(st.booleans()) else draw(addresses)
    a_sport = dport if related or draw(st.booleans()) else draw(ports)
    a_dport = sport if related or draw(st.booleans()) else draw(ports)
    if transport == "tcp" and draw(st.booleans()):
        seq = probe_l4.seq
        ack = (seq + 1) & 0xFFFFFFFF if related or draw(st.booleans()) else draw(u32)
        answer_l4: Layer = draw(tcp_headers(sport=a_sport, dport=a_dport, ack=ack))
    elif transport == "tcp" or draw(st.integers(0, 5)) == 0:
        answer_l4 = draw(tcp_headers(sport=a_sport, dport=a_dport))
    else:
        answer_l4 = draw(udp_headers(sport=a_sport, dport=a_dport))
    answer = draw(ip_headers(src=a_src, dst=scanner)) / answer_l4
    payload = draw(st.binary(max_size=16))
    if payload:
        answer = answer / Raw(payload)
    try:
        # Probes go out as raw IP (sr: answers captured on any link type) or as
        # Ethernet frames (srp: sent and captured on the same Ethernet interface).
        if draw(st.booleans()):
            probe_bytes, plt = bytes(probe), RAW_IP
            answer_bytes, alt = draw(link_wrapped(answer))
        else:
            probe_bytes, plt = bytes(Ether(src=MAC_A, dst=MAC_B) / probe), ETHERNET
            answer_bytes, alt = bytes(Ether(src=MAC_B, dst=MAC_A) / answer), ETHERNET
    except Exception:
        assume(False)
    return draw(mutated(answer_bytes)), alt, draw(mutated(probe_bytes)), plt


def _udp_payload_kind(frame: bytes, linktype: int) -> type[Layer] | None:
    udp = dissect(frame, linktype).getlayer(UDP)
    return None if udp is None or udp.payload is None else type(udp.payload)


def padding_against_payload(answer: bytes, alt: int, probe: bytes, plt: int) -> bool:
    """True when one UDP carries data and the other only padding (a known disagreement:
    ``UDP.answers`` compares the two, see test_udp_padding_against_data)."""
    kinds = {_udp_payload_kind(answer, alt), _udp_payload_kind(probe, plt)}
    return kinds == {Raw, Padding}


@SETTINGS
@given(exchanges())
def test_answers_is_none_or_the_layers_verdict(case: tuple[bytes, int, bytes, int]) -> None:
    answer, alt, probe, plt = case
    # The loop compares only an answer and the probes filed under the answer's key.
    assume(layers_key(answer, alt) == layers_key(probe, plt))
    assume(not padding_against_payload(answer, alt, probe, plt))
    fast = fastpath.answers(answer, alt, probe, plt)
    assert fast == fastpath.answers_parsed(fastpath.parse(answer, alt), answer,
                                           fastpath.parse(probe, plt), probe)
    if fast is not None:
        assert fast == layers_verdict(answer, alt, probe, plt)


# -- hand-picked cases -----------------------------------------------------------------------

def _syn(seq: int = 1000) -> Layer:
    return IP(src="198.18.1.2", dst="198.18.1.11") / TCP(sport=40000, dport=80, flags="S",
                                                          seq=seq)


def _synack(ack: int = 1001) -> Layer:
    return IP(src="198.18.1.11", dst="198.18.1.2") / TCP(sport=80, dport=40000, flags="SA",
                                                          ack=ack)


@pytest.mark.parametrize(("answer", "expected"), [
    (_synack(1001), True),
    (_synack(1000), False),  # ack is not seq + 1
    (IP(src="198.18.1.11", dst="198.18.1.2") / TCP(sport=80, dport=40000, flags="RA",
                                                   ack=1001), True),
    (IP(src="198.18.1.12", dst="198.18.1.2") / TCP(sport=80, dport=40000, flags="SA",
                                                   ack=1001), False),  # another host
    (IP(src="198.18.1.11", dst="198.18.1.2") / TCP(sport=81, dport=40000, flags="SA",
                                                   ack=1001), False),  # another port
])
def test_syn_answers(answer: Layer, expected: bool) -> None:
    for wrapped, alt in [(bytes(answer), RAW_IP), (bytes(Ether() / answer), ETHERNET)]:
        assert fastpath.answers(wrapped, alt, bytes(_syn()), RAW_IP) is expected
        assert bool(layers_verdict(wrapped, alt, bytes(_syn()), RAW_IP)) is expected
    # VLAN-tagged frames are left to the layers (Dot1Q.answers compares the tags)
    tagged = bytes(Ether() / Dot1Q(vlan=5) / answer)
    assert fastpath.answers(tagged, ETHERNET, bytes(_syn()), RAW_IP) is None
    assert bool(layers_verdict(tagged, ETHERNET, bytes(_syn()), RAW_IP)) is expected


def test_keys_of_a_probe_and_its_answer_agree() -> None:
    probe, answer = bytes(_syn()), bytes(Ether() / _synack())
    assert fastpath.hashkey(probe, RAW_IP) == fastpath.hashkey(answer, ETHERNET)
    assert fastpath.hashkey(probe, RAW_IP) == dissect(probe, RAW_IP).hashkey()


@pytest.mark.parametrize("packet", [
    IP(src="198.18.1.2", dst="198.18.1.11", frag=3) / TCP(),           # a later fragment
    IP(src="198.18.1.2", dst="198.18.1.11", options=[1, 1, 1, 1]) / TCP(),  # options
    IP(src="198.18.1.2", dst="198.18.1.11") / ICMP(),                  # not TCP/UDP
    IP(src="198.18.1.2", dst="198.18.1.11") / UDP(dport=53) / Raw(b"\x00" * 12),  # DNS bound
    IP(src="198.18.1.2", dst="198.18.1.11") / TCP(dataofs=3),          # bad data offset
])
def test_other_shapes_agree_too(packet: Layer) -> None:
    data = bytes(packet)
    fast = fastpath.hashkey(data, RAW_IP)
    assert fast is None or fast == layers_key(data, RAW_IP)


def test_a_truncated_frame_is_left_to_the_layers() -> None:
    frame = bytes(Ether() / _syn())
    for cut in range(len(frame)):
        fast = fastpath.hashkey(frame[:cut], ETHERNET)
        assert fast is None or fast == layers_key(frame[:cut], ETHERNET)


def test_total_length_shorter_than_the_frame_is_padding() -> None:
    # Ethernet pads short frames: bytes past the IP total length are not the packet's
    frame = bytes(Ether() / _synack()) + b"\x00" * 6
    assert fastpath.hashkey(frame, ETHERNET) == layers_key(frame, ETHERNET)
    assert fastpath.answers(frame, ETHERNET, bytes(_syn()), RAW_IP) is True


VLAN_MISMATCH = [
    # both tagged, different VLANs: the layers say no (Dot1Q.answers compares VLAN ids)
    (Ether() / Dot1Q(vlan=7) / _synack(), Ether() / Dot1Q(vlan=8) / _syn()),
    # a tagged probe answered without a tag: the layers say no
    (Ether() / _synack(), Ether() / Dot1Q(vlan=8) / _syn()),
]


@pytest.mark.parametrize(("answer", "probe"), VLAN_MISMATCH)
def test_vlan_tags_of_layer2_probes(answer: Layer, probe: Layer) -> None:
    a, p = bytes(answer), bytes(probe)
    fast = fastpath.answers(a, ETHERNET, p, ETHERNET)
    assert fast is None or fast == layers_verdict(a, ETHERNET, p, ETHERNET)


def test_udp_padding_against_data() -> None:
    probe = bytes(IP(src="198.18.1.2", dst="198.18.1.11") / UDP(sport=5000, dport=7)
                  / Raw(b"ping"))
    # an empty datagram back, padded to Ethernet's 60-byte minimum
    answer = bytes(Ether() / IP(src="198.18.1.11", dst="198.18.1.2")
                   / UDP(sport=7, dport=5000)) + b"\x00" * 18
    assert fastpath.answers(answer, ETHERNET, probe, RAW_IP) is True
    assert layers_verdict(answer, ETHERNET, probe, RAW_IP) is True


@pytest.mark.parametrize(("answer_offset", "ack"), [(None, 8), (0, 99)])
def test_bad_tcp_data_offset(answer_offset: int | None, ack: int) -> None:
    """A TCP header whose data offset is below 5 is no TCP header to the layers (Raw):
    the fast path must not compare ports and sequence numbers in it."""
    probe = bytes(IP(src="198.18.1.2", dst="198.18.1.11") / TCP(sport=40000, dport=80,
                                                                seq=7, dataofs=0))
    answer = bytes(IP(src="198.18.1.11", dst="198.18.1.2") / TCP(
        sport=80, dport=40000, flags="SA", ack=ack, dataofs=answer_offset))
    fast = fastpath.answers(answer, RAW_IP, probe, RAW_IP)
    assert fast is None or fast == layers_verdict(answer, RAW_IP, probe, RAW_IP)
