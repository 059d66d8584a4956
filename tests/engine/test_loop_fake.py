"""The send-and-match loop against a fake network, in virtual time.

The fake sender records what goes out and hands each probe to a scripted
"network" that schedules answers built with netprobe (SYN/ACK, RST, ICMP
errors, duplicates, late and unrelated packets). The fake capture hands them
back when their time has come, packed like pcapy-ng's ``next_batch``. Time is
virtual: the loop's clock and ``select`` are replaced, so a run of seconds
takes milliseconds and every count is exact.

Every scenario runs both ways: with the compiled batch operations where they were
built (templates stamped in C, capture batches keyed in C), and with the
per-packet Python path that stands in for them (what ``NETPROBE_PURE=1`` gives:
every probe built by the layers, every captured packet keyed on its own).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from netprobe.engine import loop as loop_mod
from netprobe.engine import strictkeys
from netprobe.engine import template as template_mod
from netprobe.engine.loop import RunOptions, SendReceiveLoop
from netprobe.engine.probes import prepare
from netprobe.engine.results import Counters, Result
from netprobe.errors import UsageError
from netprobe.packet import ARP, ICMP, IP, TCP, UDP, Ether, Raw, dissect
from netprobe.packet.layer import Layer
from tests.engine.virtual_time import WALL0, VirtualTime, install, pack_batch

SCANNER = "198.18.1.2"
TARGET = "198.18.1.11"
ROUTER = "198.18.1.1"
SPORT = 40000
SEQ = 1000


@pytest.fixture(autouse=True, params=["compiled", "per-packet"])
def engine_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the C batch operations, then with the per-packet Python path."""
    if request.param == "compiled":
        if template_mod.cbatch is None:
            pytest.skip("the C extension was not built here (no compiler, or NETPROBE_PURE=1)")
    else:  # what compiled.batch = None makes of the engine
        monkeypatch.setattr(template_mod, "cbatch", None)
        monkeypatch.setattr(loop_mod, "capture_keys", strictkeys.answer_keys)
    return request.param


@pytest.fixture
def vt(monkeypatch: pytest.MonkeyPatch) -> VirtualTime:
    return install(monkeypatch)


# What the network does with one probe: (delay, answer frame) pairs, given the
# probe, how many times this probe was sent before, and when it was sent.
Reaction = Callable[[Layer, int, float], list[tuple[float, bytes]]]


@dataclass
class FakeNetwork:
    """A sender and a capture sharing a schedule of answers."""

    clock: VirtualTime
    react: Reaction
    accept: Callable[[int], int] = lambda n: n  # how many of n packets the "kernel" takes
    sent: list[tuple[float, bytes]] = field(default_factory=list)
    pending: list[tuple[float, int, bytes]] = field(default_factory=list)
    sends_by_probe: dict[bytes, list[float]] = field(default_factory=dict)
    linktype: int = 1
    delivered: int = 0

    # -- the sender's side ------------------------------------------------------------------
    def send_many(self, packets: list[bytes]) -> int:
        for data in packets:
            self.sent.append((self.clock.now, data))
            times = self.sends_by_probe.setdefault(data, [])
            for delay, frame in self.react(dissect(data, 101), len(times), self.clock.now):
                self.pending.append((self.clock.now + delay, len(self.pending), frame))
            times.append(self.clock.now)
        return self.accept(len(packets))

    def schedule(self, at: float, frame: bytes) -> None:
        """A packet that turns up by itself (not caused by a probe)."""
        self.pending.append((at, len(self.pending), frame))

    # -- the capture's side -----------------------------------------------------------------
    def read_raw_batch(self, n: int) -> tuple[bytes, bytes]:
        due = sorted(p for p in self.pending if p[0] <= self.clock.now)[:n]
        for p in due:
            self.pending.remove(p)
        self.delivered += len(due)
        return pack_batch(due)

    def fileno(self) -> int:
        return 0  # only ever handed to the virtual select

    def stats(self) -> tuple[int, int, int]:
        return (self.delivered, 3, 4)


def frame(packet: Layer) -> bytes:
    return bytes(Ether(src="02:00:c6:12:01:0b", dst="02:00:c6:12:01:02") / packet)


def tcp_reply(probe: Layer, flags: str, ack: int | None = None) -> bytes:
    ip, tcp = probe[IP], probe[TCP]
    return frame(IP(src=ip.dst, dst=ip.src) / TCP(
        sport=tcp.dport, dport=tcp.sport, flags=flags, seq=777,
        ack=(tcp.seq + 1) & 0xFFFFFFFF if ack is None else ack))


def icmp_error(probe_bytes: bytes, code: int, src: str = TARGET) -> bytes:
    quoted = dissect(probe_bytes, 101)
    return frame(IP(src=src, dst=SCANNER) / ICMP(type=3, code=code) / Raw(bytes(quoted)[:28]))


def syns(*ports: int) -> Layer:
    return IP(src=SCANNER, dst=TARGET) / TCP(sport=SPORT, dport=list(ports), flags="S",
                                              seq=SEQ)


def run(network: FakeNetwork, packets: Layer | list, **options: object
        ) -> tuple[list[Result], Counters]:
    counters = Counters()
    opts = RunOptions(**options)  # type: ignore[arg-type]
    loop = SendReceiveLoop(network, network, opts, counters)
    results = list(loop.run(prepare(packets, layer2=opts.layer2)))
    return results, counters


def by_port(results: list[Result]) -> dict[int, Result]:
    out = {}
    for r in results:
        port = r.probe[TCP].dport if r.probe.haslayer(TCP) else r.probe[UDP].dport
        assert port not in out, f"two results for port {port}"
        out[port] = r
    return out


RTT = 0.01  # the fake network answers after 10 ms
TIMEOUT = 0.2
LATE_AFTER = 0.02  # the late answer comes this long after the probe was given up


def scripted_network(clock: VirtualTime, retries: int, late_after: float) -> FakeNetwork:
    def react(probe: Layer, sends_before: int, now: float) -> list[tuple[float, bytes]]:
        port = probe[TCP].dport
        data = bytes(probe)
        if port == 21:   # rejected: ICMP administratively prohibited from the target
            return [(RTT, icmp_error(data, 13))]
        if port == 22:   # open
            return [(RTT, tcp_reply(probe, "SA"))]
        if port == 23:   # closed
            return [(RTT, tcp_reply(probe, "RA"))]
        if port == 25:   # the first send is lost
            return [] if sends_before < 1 else [(RTT, tcp_reply(probe, "SA"))]
        if port == 80:   # the first two sends are lost
            return [] if sends_before < 2 else [(RTT, tcp_reply(probe, "SA"))]
        if port == 443:  # answered twice
            return [(RTT, tcp_reply(probe, "SA")), (2 * RTT, tcp_reply(probe, "SA"))]
        if port == 8443 and sends_before == retries:  # answered only after the last wait
            return [(TIMEOUT + late_after, tcp_reply(probe, "SA"))]
        if port == 9000 and not sends_before:  # noise keyed like this probe: a wrong ack,
            # and an ICMP error quoting the probe as if sent by the target to us
            swapped = IP(src=TARGET, dst=SCANNER) / TCP(sport=SPORT, dport=9000, flags="S",
                                                         seq=SEQ)
            return [(RTT, tcp_reply(probe, "SA", ack=SEQ)),
                    (RTT, frame(IP(src=ROUTER, dst=SCANNER) / ICMP(type=3, code=1)
                                / Raw(bytes(swapped)[:28])))]
        return []        # 8080 and 9000 themselves: filtered

    net = FakeNetwork(clock, react)
    # packets nobody asked for: another conversation and an ARP request
    net.schedule(0.003, frame(IP(src="198.18.1.99", dst=SCANNER) / TCP(sport=1234,
                                                                        dport=5678)))
    net.schedule(0.004, bytes(Ether(src="02:00:00:00:00:99") / ARP(psrc=ROUTER, pdst=SCANNER)))
    return net


PORTS = (8443, 21, 22, 23, 25, 80, 443, 9000, 8080)


@pytest.mark.parametrize(("rate", "late_after"), [(None, 0.0), (20.0, LATE_AFTER)])
def test_answers_retries_late_duplicates_and_noise(vt: VirtualTime, rate: float | None,
                                                   late_after: float) -> None:
    retries = 2
    net = scripted_network(vt, retries, late_after)
    results, c = run(net, syns(*PORTS), retries=retries, timeout=TIMEOUT, rate=rate)

    answered = by_port([r for r in results if r.answered])
    unanswered = by_port([r for r in results if not r.answered])
    assert set(answered) == {8443, 21, 22, 23, 25, 80, 443}
    assert set(unanswered) == {8080, 9000}
    assert len(results) == len(PORTS)

    sends = {port: r.sends for port, r in {**answered, **unanswered}.items()}
    assert sends == {8443: 3, 21: 1, 22: 1, 23: 1, 25: 2, 80: 3, 443: 1, 9000: 3, 8080: 3}
    assert c.sent == sum(sends.values()) == len(net.sent)
    assert c.retries == sum(sends.values()) - len(PORTS)
    assert c.matched == 7
    # an answer there by the deadline is in time (the capture is read before probes are
    # given up); one after it is late, but still matched
    assert c.late == (1 if late_after > 0 else 0)
    assert c.duplicates == 1
    assert c.related_unmatched == 2
    # 7 answers, 443's second one, 2 noise frames keyed like 9000, 2 unrelated packets
    assert c.received == net.delivered == 12
    assert len(c.stray) == 2
    assert c.refused == 0
    assert (c.capture_dropped) == 3 + 4

    assert answered[22].answer[TCP].flags == "SA"
    assert answered[23].answer[TCP].flags == "RA"
    icmp = answered[21].answer[ICMP]
    assert (icmp.type, icmp.code) == (3, 13)
    for port in (21, 22, 23, 25, 80, 443):
        assert answered[port].rtt == pytest.approx(RTT, abs=2e-6)
    assert answered[8443].rtt == pytest.approx(TIMEOUT + late_after, abs=2e-6)
    for r in results:
        assert r.probe[TCP].dport in PORTS
        assert r.sent >= WALL0

    # every retry waited the timeout; the pacer held the rate
    for times in net.sends_by_probe.values():
        assert all(b - a >= TIMEOUT - 1e-9 for a, b in itertools.pairwise(times))
    if rate is not None:
        stamps = [t for t, _ in net.sent]
        assert stamps[-1] - stamps[0] >= (len(stamps) - 2) / rate


def test_answered_results_come_as_they_match_unanswered_at_the_end(vt: VirtualTime) -> None:
    net = scripted_network(vt, 1, 0.0)
    results, _ = run(net, syns(8080, 22, 23), retries=1, timeout=TIMEOUT)
    assert [r.answered for r in results] == [True, True, False]


def test_identical_probes_get_one_answer_each(vt: VirtualTime) -> None:
    """Two probes with the same bytes: each answer goes to the next unanswered one, and
    neither counts as a duplicate."""
    probe = IP(src=SCANNER, dst=TARGET) / UDP(sport=5000, dport=7) / Raw(b"echo")

    def react(p: Layer, sends_before: int, now: float) -> list[tuple[float, bytes]]:
        return [(RTT, frame(IP(src=TARGET, dst=SCANNER) / UDP(sport=7, dport=5000)
                            / Raw(b"echo")))]

    net = FakeNetwork(vt, react)
    results, c = run(net, [probe, probe], timeout=TIMEOUT)
    assert [r.answered for r in results] == [True, True]
    assert c.matched == 2
    assert c.duplicates == 0


def test_a_real_duplicate_still_counts_with_identical_probes(vt: VirtualTime) -> None:
    probe = IP(src=SCANNER, dst=TARGET) / UDP(sport=5000, dport=7) / Raw(b"echo")
    answer = frame(IP(src=TARGET, dst=SCANNER) / UDP(sport=7, dport=5000) / Raw(b"echo"))

    net = FakeNetwork(vt, lambda p, n, now: [(RTT, answer), (2 * RTT, answer)])
    _, c = run(net, [probe, probe], timeout=TIMEOUT)
    assert c.matched == 2
    assert c.duplicates == 2  # four answers for two probes


def test_multi_keeps_every_answer(vt: VirtualTime) -> None:
    def react(p: Layer, sends_before: int, now: float) -> list[tuple[float, bytes]]:
        return [(RTT, tcp_reply(p, "SA")), (2 * RTT, tcp_reply(p, "SA")),
                (3 * RTT, tcp_reply(p, "RA"))]

    net = FakeNetwork(vt, react)
    results, c = run(net, syns(22, 80), timeout=TIMEOUT, multi=True)
    assert len([r for r in results if r.answered]) == 6
    assert c.duplicates == 0
    assert c.matched == 2


def test_multi_can_wait_its_timeout_for_more_answers(vt: VirtualTime) -> None:
    """With ``stop_when_answered=False`` a probe stays open until its deadline: an
    answer after the first one (a second MAC for one address) is still kept, and
    the run lasts the timeout; with the default it ends at the first answer."""
    def react(p: Layer, sends_before: int, now: float) -> list[tuple[float, bytes]]:
        return [(RTT, tcp_reply(p, "SA")), (TIMEOUT / 2, tcp_reply(p, "RA"))]

    net = FakeNetwork(vt, react)
    results, c = run(net, syns(22), timeout=TIMEOUT, multi=True, stop_when_answered=False,
                     retries=2)
    assert [r.answer[TCP].flags for r in results if r.answered] == ["SA", "RA"]
    assert c.sent == 1 and c.retries == 0  # answered: never sent again
    assert vt.now >= TIMEOUT
    net = FakeNetwork(vt, react)
    start = vt.now
    results, c = run(net, syns(22), timeout=TIMEOUT, multi=True)
    assert len([r for r in results if r.answered]) == 1
    assert vt.now - start < TIMEOUT / 2


def test_no_answers_at_all(vt: VirtualTime) -> None:
    net = FakeNetwork(vt, lambda p, n, now: [])
    results, c = run(net, syns(*range(1, 41)), retries=3, timeout=0.5)
    assert len(results) == 40
    assert not any(r.answered for r in results)
    assert all(r.sends == 4 for r in results)
    assert (c.sent, c.retries, c.matched, c.received) == (160, 120, 0, 0)
    assert vt.now == pytest.approx(4 * 0.5, abs=0.06)


def test_refused_packets_are_counted(vt: VirtualTime) -> None:
    net = FakeNetwork(vt, lambda p, n, now: [], accept=lambda n: n - 1)
    _, c = run(net, syns(1, 2, 3), timeout=0.1)
    assert c.sent == 3
    assert c.refused == 1  # one batch of three, one refused


def test_max_time_stops_the_run(vt: VirtualTime) -> None:
    net = FakeNetwork(vt, lambda p, n, now: [])
    results, c = run(net, syns(*range(1, 1001)), timeout=1.0, rate=100.0, max_time=2.0)
    assert vt.now == pytest.approx(2.0, abs=0.06)
    assert 150 <= c.sent <= 210  # about 2 s at 100 packets per second
    assert len(results) == c.sent  # what was sent is reported, unanswered


def test_rate_limits_in_virtual_time(vt: VirtualTime) -> None:
    def react(p: Layer, sends_before: int, now: float) -> list[tuple[float, bytes]]:
        return [(RTT, tcp_reply(p, "RA"))]

    net = FakeNetwork(vt, react)
    _, c = run(net, syns(*range(1, 3001)), rate=2000.0, timeout=0.5)
    assert c.matched == 3000
    stamps = [t for t, _ in net.sent]
    span = stamps[-1] - stamps[0]
    assert span == pytest.approx(3000 / 2000, rel=0.02)
    # no 100 ms window holds much more than 100 ms worth of packets
    j = 0
    for i, t in enumerate(stamps):
        while stamps[j] < t - 0.1:
            j += 1
        assert i - j + 1 <= 2000 * 0.1 * 1.1 + 64


def test_a_large_set_is_matched_exactly_either_way(vt: VirtualTime, engine_path: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A set large enough for a template (C) or built one by one (per packet): every
    answer goes to its probe through the strict keys, a wrong ACK number to none."""
    made: list[object] = []
    real = template_mod.ProbeTemplate

    def spy(pkt: Layer) -> object:
        made.append(pkt)
        return real(pkt)

    monkeypatch.setattr(template_mod, "ProbeTemplate", spy)
    general_calls = []
    real_match = SendReceiveLoop._match

    def general(self: SendReceiveLoop, *args: object) -> None:
        general_calls.append(args)  # the general path: a strict key did not settle it
        return real_match(self, *args)

    monkeypatch.setattr(SendReceiveLoop, "_match", general)

    def react(p: Layer, sends_before: int, now: float) -> list[tuple[float, bytes]]:
        port = p[TCP].dport
        if port % 7 == 0:  # acknowledges the wrong number: answers nothing
            return [(RTT, tcp_reply(p, "SA", ack=SEQ))]
        return [(RTT, tcp_reply(p, "SA" if port % 2 else "RA"))]

    net = FakeNetwork(vt, react)
    results, c = run(net, syns(*range(1, 301)), timeout=TIMEOUT)
    answered = by_port([r for r in results if r.answered])
    assert set(answered) == {p for p in range(1, 301) if p % 7}
    for port, r in answered.items():
        assert r.answer[TCP].flags == ("SA" if port % 2 else "RA")
        assert r.answer[TCP].ack == SEQ + 1
    assert c.matched == len(answered) and c.related_unmatched == 300 // 7
    # only the wrong answers went down the general path; the rest hit their strict keys
    assert len(general_calls) == 300 // 7
    assert len(made) == 1  # prepare() tried a template (refused without the C build)


def test_progress_is_reported(vt: VirtualTime) -> None:
    seen: list[tuple[int, float]] = []
    net = FakeNetwork(vt, lambda p, n, now: [])
    loop = SendReceiveLoop(net, net, RunOptions(timeout=0.5, retries=1, rate=100.0),
                           on_progress=lambda c: seen.append((c.sent, c.elapsed)))
    list(loop.run(prepare(syns(*range(1, 51)))))
    assert len(seen) >= 5
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert all(e > 0 for _, e in seen)


@pytest.mark.parametrize("options", [
    {"rate": 0}, {"rate": -5.0}, {"rate": float("nan")}, {"retries": -1},
    {"timeout": -0.1}, {"timeout": float("nan")},
])
def test_nonsense_options_are_usage_errors(options: dict) -> None:
    with pytest.raises(UsageError):
        SendReceiveLoop(object(), object(), RunOptions(**options))


def _probes_of(results: list[Result]) -> Iterator[bytes]:
    for r in results:
        yield r.probe_bytes


def test_results_carry_the_bytes_sent(vt: VirtualTime) -> None:
    net = scripted_network(vt, 0, 0.0)
    results, _ = run(net, syns(22, 23), timeout=TIMEOUT)
    assert sorted(_probes_of(results)) == sorted(d for _, d in net.sent)
    for r in results:
        assert r.answer_bytes is not None
        assert dissect(r.answer_bytes, r.answer_linktype)[TCP].dport == SPORT


def test_answers_that_came_during_a_stall_are_in_time(vt: VirtualTime) -> None:
    """The loop reads what was captured before it gives probes up: a stall (the
    process not scheduled) longer than the timeout must not turn answers that
    came in time into retries and late answers."""
    net = FakeNetwork(vt, lambda probe, before, now: [(RTT, tcp_reply(probe, "SA"))])
    opts = RunOptions(retries=2, timeout=TIMEOUT)
    loop = SendReceiveLoop(net, net, opts, Counters())
    real_send = net.send_many

    def stalling_send(packets: list[bytes]) -> int:
        ok = real_send(packets)
        vt.now += 5 * TIMEOUT  # the process sleeps right after sending
        return ok

    net.send_many = stalling_send  # type: ignore[method-assign]
    results = list(loop.run(prepare(syns(22, 23, 80))))
    assert all(r.answered for r in results)
    assert loop.counters.retries == 0 and loop.counters.late == 0
