"""nmap's states and reasons from answers (pure)."""

from __future__ import annotations

import pytest

from netprobe.plugins.portscan.verdict import connect_verdict, tcp_verdict
from tests.plugins.portscan.portscan_samples import icmp_answer, probe, tcp_answer

H4, H6 = "198.18.1.11", "2001:db8:1::11"

# scan type -> (SYN/ACK, RST, no answer)
TABLE = {
    "syn": (("open", "syn-ack"), ("closed", "reset"), ("filtered", "no-response")),
    "fin": (None, ("closed", "reset"), ("open|filtered", "no-response")),
    "null": (None, ("closed", "reset"), ("open|filtered", "no-response")),
    "xmas": (None, ("closed", "reset"), ("open|filtered", "no-response")),
    "ack": (None, ("unfiltered", "reset"), ("filtered", "no-response")),
}


@pytest.mark.parametrize("host", [H4, H6])
@pytest.mark.parametrize("scan", list(TABLE))
def test_tcp_answers_and_silence(scan, host):
    synack, rst, silent = TABLE[scan]
    p = probe(host, 22, scan)
    if synack:
        assert tcp_verdict(scan, tcp_answer(host, 22, "SA", p, ttl=61)) == (*synack, 61)
    assert tcp_verdict(scan, tcp_answer(host, 22, "RA", p, ttl=63)) == (*rst, 63)
    assert tcp_verdict(scan, None) == (*silent, None)


@pytest.mark.parametrize("scan", list(TABLE))
@pytest.mark.parametrize("host,code,reason", [
    (H4, 13, "admin-prohibited"), (H4, 1, "host-unreach"), (H4, 3, "port-unreach"),
    (H4, 10, "host-prohibited"), (H4, 9, "net-prohibited"), (H4, 0, "net-unreach"),
    (H6, 1, "admin-prohibited"), (H6, 4, "port-unreach"), (H6, 3, "addr-unreach"),
    (H6, 5, "source-policy"), (H6, 6, "reject-route"), (H4, 99, "unreach-code-99"),
    (H6, 0, "no-route")])
def test_icmp_unreachable_is_filtered_with_its_reason(scan, host, code, reason):
    answer = icmp_answer(host, code, probe(host, 8443, scan), ttl=62)
    assert tcp_verdict(scan, answer) == ("filtered", reason, 62)


def test_a_raw_ip_answer_and_a_syn_without_ack():
    p = probe(H4, 80)
    frame = tcp_answer(H4, 80, "S", p)
    assert tcp_verdict("syn", frame) == ("open", "syn", 64)
    assert tcp_verdict("syn", frame[14:], 101) == ("open", "syn", 64)


def test_connect_outcomes():
    assert connect_verdict({"status": "open"}) == ("open", "syn-ack", None)
    assert connect_verdict({"status": "refused"}) == ("closed", "reset", None)
    assert connect_verdict({"status": "timeout"}) == ("filtered", "no-response", None)
    icmp = {"status": "unreachable", "icmp": [4, 3, 13, H4]}
    assert connect_verdict(icmp) == ("filtered", "admin-prohibited", None)
    assert connect_verdict({"status": "denied", "icmp": [6, 1, 1, H6]}) == (
        "filtered", "admin-prohibited", None)
    assert connect_verdict({"status": "unreachable", "icmp": [4, 3, 1, "198.18.1.1"]}) == (
        "filtered", "host-unreach", None)
    assert connect_verdict({"status": "refused", "icmp": [4, 3, 3, H4]}) == (
        "closed", "port-unreach", None)
