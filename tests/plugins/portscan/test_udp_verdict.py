"""UDP verdicts and the retry arithmetic, on constructed results (pure)."""

from __future__ import annotations

import pytest

from netprobe import ICMP, IP, UDP, Ether, IPv6, Raw
from netprobe.engine.results import Result
from netprobe.packet.layers.icmpv6 import ICMPv6DestUnreach
from netprobe.plugins.portscan.ratelimit import Attempt
from netprobe.plugins.portscan.udp import (
    TAG,
    _outcome,
    _Port,
    _probe,
    _probe_target,
    loss_estimate,
    needed_silences,
    udp_verdict,
)

US, HOST, ROUTER = "198.18.1.2", "198.18.1.11", "198.18.1.1"
US6, HOST6 = "2001:db8:1::2", "2001:db8:1::11"
MACS = dict(src="02:00:c6:12:01:0b", dst="02:00:c6:12:01:02")


def result(probe: object, answer: object | None) -> Result:
    return Result(bytes(probe), 101, 100.0,
                  answer_bytes=None if answer is None else bytes(Ether(**MACS) / answer),
                  answer_linktype=1, received=None if answer is None else 100.001)


def v4_probe(port: int = 161) -> object:
    return IP(src=US, dst=HOST) / UDP(sport=40000, dport=port) / Raw(load=b"x")


def v4_error(code: int, src: str = HOST, ttl: int = 64, port: int = 161) -> object:
    return (IP(src=src, dst=US, ttl=ttl) / ICMP(type=3, code=code) /
            IP(src=US, dst=HOST) / UDP(sport=40000, dport=port))


def test_silence_is_open_filtered() -> None:
    assert udp_verdict(result(v4_probe(), None)) == ("open|filtered", "no-response", None)


def test_udp_answer_is_open_with_its_ttl() -> None:
    answer = IP(src=HOST, dst=US, ttl=61) / UDP(sport=161, dport=40000) / Raw(load=b"reply")
    assert udp_verdict(result(v4_probe(), answer)) == ("open", "udp-response", 61)


@pytest.mark.parametrize("code,state,reason", [
    (3, "closed", "port-unreach"), (13, "filtered", "admin-prohibited"),
    (1, "filtered", "host-unreach"), (0, "filtered", "net-unreach"),
    (2, "filtered", "proto-unreach"), (9, "filtered", "net-prohibited"),
    (10, "filtered", "host-prohibited"), (4, "filtered", "frag-needed"),
    (8, "filtered", "host-isolated"), (99, "filtered", "unreach-code-99"),
])
def test_icmp_unreachables(code: int, state: str, reason: str) -> None:
    assert udp_verdict(result(v4_probe(), v4_error(code, ttl=63))) == (state, reason, 63)


def test_port_unreachable_from_another_host_is_filtered() -> None:
    got = udp_verdict(result(v4_probe(), v4_error(3, src=ROUTER, ttl=255)))
    assert got == ("filtered", "port-unreach", 255)


@pytest.mark.parametrize("code,state,reason", [
    (4, "closed", "port-unreach"), (1, "filtered", "admin-prohibited"),
    (3, "filtered", "addr-unreach"), (0, "filtered", "no-route"),
])
def test_icmpv6_unreachables(code: int, state: str, reason: str) -> None:
    probe = IPv6(src=US6, dst=HOST6) / UDP(sport=40000, dport=53)
    answer = (IPv6(src=HOST6, dst=US6, hlim=64) / ICMPv6DestUnreach(code=code) /
              IPv6(src=US6, dst=HOST6) / UDP(sport=40000, dport=53))
    assert udp_verdict(result(probe, answer)) == (state, reason, 64)


def test_outcome_tells_host_errors_from_others() -> None:
    assert _outcome(result(v4_probe(), v4_error(3)), HOST) == "error"
    assert _outcome(result(v4_probe(), v4_error(1, src=ROUTER)), HOST) == "reply"
    udp_answer = IP(src=HOST, dst=US) / UDP(sport=161, dport=40000)
    assert _outcome(result(v4_probe(), udp_answer), HOST) == "reply"
    assert _outcome(result(v4_probe(), None), HOST) == "none"


def test_probes_carry_the_port_payload_and_parse_back() -> None:
    from netprobe.plugins.portscan.udp_payloads import payload_for

    for host, port in ((HOST, 53), (HOST6, 161), (HOST, 40000)):
        probe = _probe(host, port, 45000)
        probe.src = US6 if ":" in host else US  # no route lookup in a pure test
        data = bytes(probe)
        assert _probe_target(data) == (host, port)
        assert data.endswith(payload_for(port))
    assert _probe_target(b"") is None
    assert _probe_target(bytes(IP(src=US, dst=HOST) / ICMP())) is None
    assert TAG.phase == "udp"


def test_needed_silences_follow_loss_within_the_cap() -> None:
    assert needed_silences(0.0, 10) == 2
    assert needed_silences(0.0, 0) == 1
    assert needed_silences(0.05, 10) == 3
    assert needed_silences(0.3, 10) == 6
    assert needed_silences(0.5, 10) == 10
    assert needed_silences(0.5, 3) == 4


def test_loss_estimate_counts_silences_before_answers() -> None:
    closed = _Port(HOST, 161, [Attempt(161, 1.0, "none"), Attempt(161, 2.0, "error", 2.001)],
                   answered=True)
    opened = _Port(HOST, 53, [Attempt(53, 1.0, "none"), Attempt(53, 2.0, "reply", 2.001)],
                   answered=True)
    silent = _Port(HOST, 123, [Attempt(123, 1.0, "none")])
    ports = [closed, opened, silent]
    # the closed port's silence did not count (no token was sure): only the open one's
    credit = {0: [False, False], 1: [True, False], 2: [True]}
    assert loss_estimate(ports, credit) == pytest.approx(1.25 / 4)
    credit[0] = [True, False]
    assert loss_estimate(ports, credit) == pytest.approx(2.25 / 5)
    # nothing answered: nothing measured, so no loss to plan more resends with
    assert loss_estimate([silent], {0: [True]}) == 0.0


def _scan_with(attempts: dict[int, list[Attempt]]) -> object:
    import time

    from netprobe.engine.results import Counters
    from netprobe.plugins.portscan.udp import _Scan

    scan = _Scan([(HOST, port) for port in attempts], timeout=1.0, retries=10, rate=None,
                 max_time=None, iface=None, counters=Counters(), on_progress=None)
    now = time.time()
    for p in scan.ports:
        p.attempts = [Attempt(a.port, now + a.sent, a.outcome,
                              None if a.received is None else now + a.received, a.seq)
                      for a in attempts[p.port]]
        p.answered = any(a.outcome != "none" for a in p.attempts)
    return scan


def test_a_sure_token_takes_every_missing_silence_at_once() -> None:
    """A host that never sent an error, probed 5 s ago: its limiter surely holds a token
    now, so each silent port gets the two counted silences it needs in one round."""
    scan = _scan_with({7: [Attempt(7, -5.0, "none")], 9: [Attempt(9, -5.0, "none", seq=1)]})
    todo, limits = scan.pending()
    at_once, paced, _rate, sleep = scan.plan(todo, limits)
    assert sleep == 0 and not paced
    assert sorted(at_once) == [0, 0, 1, 1]


def test_a_host_that_sent_errors_gets_one_probe_per_port() -> None:
    """Where a closed port may spend the round's token, the ports go once each."""
    scan = _scan_with({
        7: [Attempt(7, -5.0, "none")],
        9: [Attempt(9, -5.0, "none", seq=1)],
        11: [Attempt(11, -5.0, "error", -4.999, seq=2)],
    })
    todo, limits = scan.pending()
    at_once, _paced, _rate, sleep = scan.plan(todo, limits)
    assert sleep == 0
    assert sorted(at_once) == [0, 1]
