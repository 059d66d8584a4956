"""Monitor specs, their probes, and what counts as alive."""

from __future__ import annotations

import pytest

from netprobe.engine.results import Result
from netprobe.errors import UsageError
from netprobe.packet import IP, TCP, UDP, Raw, dissect
from netprobe.packet.layers.icmp import ICMP
from netprobe.plugins.fuzz.monitor import Monitor, parse_monitor

DST = "198.18.1.12"


@pytest.mark.parametrize("text, kind, port, payload, spec", [
    ("icmp", "icmp", None, b"", "icmp"),
    ("ICMP", "icmp", None, b"", "icmp"),
    ("tcp:22", "tcp", 22, b"", "tcp:22"),
    ("udp:9999", "udp", 9999, b"", "udp:9999"),
    ("udp:53:abcd", "udp", 53, b"\xab\xcd", "udp:53:abcd"),
])
def test_good_specs(text, kind, port, payload, spec):
    m = parse_monitor(text)
    assert (m.kind, m.port, m.payload, m.spec) == (kind, port, payload, spec)
    assert parse_monitor(m.spec) == m


@pytest.mark.parametrize("text", ["", "icmp:1", "tcp", "tcp:x", "tcp:0", "tcp:70000",
                                  "tcp:22:ab", "udp:53:zz", "udp:1:2:3", "sctp:9", "udp:"])
def test_bad_specs_are_one_line_usage_errors(text):
    with pytest.raises(UsageError) as err:
        parse_monitor(text)
    assert "\n" not in str(err.value) and "--monitor" in str(err.value)


def _result(probe, answer=None) -> Result:
    probe.src = "198.18.1.2"
    return Result(bytes(probe), 101, 1.0, answer_bytes=None if answer is None else bytes(answer),
                  answer_linktype=101, received=None if answer is None else 1.001)


def test_probes_vary_with_the_check_number():
    m = parse_monitor("udp:9999:6869")
    a, b = m.probe(DST, 0), m.probe(DST, 1)
    assert a[UDP].dport == 9999 and a[Raw].load == b"hi" and a[UDP].sport != b[UDP].sport
    assert parse_monitor("icmp").probe("2001:db8::1", 3).brief().startswith("IPv6")


def test_udp_alive_only_with_a_datagram_back():
    m = parse_monitor("udp:9999")
    probe = m.probe(DST, 5)
    sport = probe[UDP].sport
    echo = IP(src=DST, dst="198.18.1.2") / UDP(sport=9999, dport=sport) / b"x"
    unreachable = (IP(src=DST, dst="198.18.1.2") / ICMP(type=3, code=3)
                   / IP(bytes(IP(src="198.18.1.2", dst=DST) / UDP(sport=sport, dport=9999))))
    assert m.alive(_result(probe, echo))
    assert not m.alive(_result(probe, unreachable))
    assert not m.alive(_result(probe))
    quoted = dissect(bytes(unreachable), 101)
    assert quoted.getlayer("UDPerror") is not None and quoted.getlayer("UDP") is None


def test_tcp_alive_only_with_a_syn_ack():
    m = parse_monitor("tcp:22")
    probe = m.probe(DST, 1)
    back = IP(src=DST, dst="198.18.1.2")
    synack = back / TCP(sport=22, dport=probe[TCP].sport, flags="SA", ack=probe[TCP].seq + 1)
    reset = back / TCP(sport=22, dport=probe[TCP].sport, flags="RA")
    assert m.alive(_result(probe, synack)) and not m.alive(_result(probe, reset))


def test_icmp_alive_only_with_an_echo_reply():
    m = Monitor("icmp")
    probe = m.probe(DST, 2)
    reply = IP(src=DST, dst="198.18.1.2") / ICMP(type=0, id=probe[ICMP].id, seq=2)
    probe.src = "198.18.1.2"
    unreachable = IP(src=DST, dst="198.18.1.2") / ICMP(type=3, code=1) / IP(bytes(probe))
    assert m.alive(_result(probe, reply)) and not m.alive(_result(probe, unreachable))
