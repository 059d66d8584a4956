"""The all-nodes collector's schedule, on a fake capture and sender (no network)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from netprobe.engine.results import Counters
from netprobe.packet import (
    Ether,
    ICMPv6EchoReply,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from netprobe.packet.dissect import dissect
from netprobe.plugins.arpscan import multicast, plan
from netprobe.plugins.arpscan.interpret import TAG_MULTICAST, resolver_of

MAC, ME6 = "02:00:c6:12:01:02", "2001:db8:1::2"
A, B = "02:00:c6:12:01:0b", "02:00:c6:12:01:0c"
PROBES = plan.all_nodes_probes(MAC, ME6, 0x1234)
HELPER = plan.unsolicited_na(MAC, ME6)


def echo_reply(ip: str, mac: str) -> bytes:
    return bytes(Ether(dst=MAC, src=mac) / IPv6(src=ip, dst=ME6) /
                 ICMPv6EchoReply(id=0x1234, seq=1, data=plan.COOKIE_MAGIC))


def resolving(mac: str, unicast: bool = False) -> bytes:
    """A host's solicitation for our address: to our group (resolving) or to us (NUD)."""
    dst = ME6 if unicast else plan.solicited_node(ME6)
    return bytes(Ether(dst=MAC if unicast else plan.multicast_mac(dst), src=mac) /
                 IPv6(src="fe80::c", dst=dst, hlim=255) / ICMPv6ND_NS(tgt=ME6) /
                 ICMPv6NDOptSrcLLAddr(lladdr=mac))


class Wire:
    """A fake link: ``answer(sends)`` gives the frames that arrive after each send."""

    def __init__(self, answer: Callable[[int], list[bytes]]) -> None:
        self.answer = answer
        self.sent: list[list[bytes]] = []
        self.queue: list[tuple[float, bytes]] = []
        self.read_end, self.write_end = os.pipe()  # never readable: select just waits

    def sender(self, iface: str, scope: object = None) -> object:
        wire = self

        class Sender:
            def send_many(self, frames: list[bytes]) -> int:
                wire.sent.append(list(frames))
                wire.queue += [(1000.0 + len(wire.sent), f) for f in wire.answer(len(wire.sent))]
                return len(frames)

            def close(self) -> None:
                pass

        return Sender()

    def capture(self, iface: str, bpf: str, **kw: object) -> object:
        wire = self

        class Capture:
            linktype = 1

            def __enter__(self) -> Capture:
                return self

            def __exit__(self, *exc: object) -> None:
                pass

            def fileno(self) -> int:
                return wire.read_end

            def read_batch(self, n: int) -> list[tuple[float, bytes]]:
                out, wire.queue = wire.queue[:n], wire.queue[n:]
                return out

        return Capture()


@pytest.fixture
def wire_for(monkeypatch):
    def make(answer: Callable[[int], list[bytes]]) -> Wire:
        wire = Wire(answer)
        monkeypatch.setattr("netprobe.wire.capture.Capture", wire.capture)
        monkeypatch.setattr("netprobe.wire.sockets.L2Sender", wire.sender)
        return wire
    return make


def run(wire: Wire, tries: int = 3) -> tuple[list, Counters]:
    counters = Counters()
    results = multicast.discover("eth0", PROBES, tries=tries, interval=0.01, wait=0.02,
                                 scope=None, counters=counters, ours={ME6},
                                 helpers=[HELPER])
    return results, counters


def test_probes_and_the_advertisement_go_out_each_try(wire_for):
    wire = wire_for(lambda n: [echo_reply("2001:db8:1::11", A)] if n == 1 else [])
    results, counters = run(wire)
    assert wire.sent == [[*PROBES, HELPER]] * 3
    assert (counters.sent, counters.retries, counters.matched) == (6, 4, 1)
    (r,) = results
    assert r.tag == TAG_MULTICAST and r.probe_bytes == PROBES[0] and r.sends == 1
    assert r.answer_bytes == echo_reply("2001:db8:1::11", A)


def test_a_host_resolving_us_is_waited_for_until_it_answers(wire_for, monkeypatch):
    monkeypatch.setattr(multicast, "ND_RETRANS", 0.5)
    # B resolves us after the first send and answers only after the fifth
    wire = wire_for(lambda n: [resolving(B)] if n == 1 else
                    [echo_reply("2001:db8:1::12", B)] if n == 5 else [])
    results, _ = run(wire)
    assert len(wire.sent) == 5
    assert [dissect(r.answer_bytes, 1).getlayer(IPv6).src for r in results] == [
        "2001:db8:1::12"]


def test_waiting_ends_at_the_second_retransmission(wire_for, monkeypatch):
    monkeypatch.setattr(multicast, "ND_RETRANS", 0.05)
    wire = wire_for(lambda n: [resolving(B)] if n == 1 else [])
    results, _ = run(wire)
    assert results == []
    # 0.12 s of extension at one round per 0.02 s: more than the 3 tries, and bounded
    assert 3 < len(wire.sent) <= 3 + 8


def test_reachability_checks_do_not_extend(wire_for, monkeypatch):
    monkeypatch.setattr(multicast, "ND_RETRANS", 5.0)
    wire = wire_for(lambda n: [resolving(B, unicast=True)] if n == 1 else [])
    run(wire)
    assert len(wire.sent) == 3


def test_resolver_of():
    assert resolver_of(resolving(B), {ME6}) == B
    assert resolver_of(resolving(B), {"2001:db8:1::99"}) is None
    assert resolver_of(resolving(B, unicast=True), {ME6}) is None
    assert resolver_of(echo_reply("2001:db8:1::11", A), {ME6}) is None
    assert resolver_of(b"\x00" * 20, {ME6}) is None


def test_unsolicited_advertisement_of_our_address():
    pkt = dissect(HELPER, 1)
    na = pkt.getlayer(ICMPv6ND_NA)
    assert pkt.getlayer(IPv6).dst == "ff02::1" and pkt.getlayer(IPv6).hlim == 255
    assert (na.tgt, na.S, na.O, na.R) == (ME6, 0, 0, 0)  # no override of existing entries
    assert pkt.getlayer(ICMPv6NDOptDstLLAddr).lladdr == MAC
    assert not pkt.errors
