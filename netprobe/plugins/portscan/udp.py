"""UDP scan (-sU): protocol payloads, nmap's verdicts, and ICMP rate limits learnt per host.

``scan_udp`` runs in rounds through the engine. Round one sends every probe
(with the payload its port's protocol answers, ``udp_payloads``) and ends as
soon as every host has answered something and nothing more came for a few of
its round trips (else after ``timeout``). After each round the answers so far
are read per host (``ratelimit``): which silences count as evidence (the host
surely held an ICMP token when the probe came: a closed port would have been
answered), which hosts ration their errors and how fast, and how lossy the
path is (which sets how many counted silences make ``open|filtered`` sure).
The next round probes again every port whose counted silences are too few:

* on a host whose limiter is not measured, once a token is sure, or at once
  with a *canary* (a port known closed) right behind the silent probes in the
  same batch: if the host answers the canary, it had a token for them too;
* on a host measured to be limited, paced at four probes per expected token
  (densely at first, to measure it), so that each token the host grows back
  is spent on a closed port's answer.

The scan ends when every port is answered or has enough counted silences, or
at ``max_time``. ``udp_verdict`` (pure) turns one result into nmap's state,
reason and TTL.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address

from netprobe.engine.results import Counters, Result, Tag
from netprobe.packet.linktypes import LINKTYPE_RAW
from netprobe.packet.shape import PORT_UNREACH, icmp_reason
from netprobe.plugins.portscan import ratelimit
from netprobe.plugins.portscan.collect import PhaseInterrupted
from netprobe.plugins.portscan.interpret import probe_target
from netprobe.plugins.portscan.ratelimit import Attempt
from netprobe.plugins.portscan.udp_payloads import payload_for
from netprobe.services.packetview import hop_limit, ip_layer

#: the tag every UDP scan result carries in ``Result.tag``
TAG = Tag("udp")
#: the chance, per port, of calling a port that answers ``open|filtered`` because
#: every counted probe or its answer was lost
MISS_CHANCE = 0.001
#: probes sent per expected token to a rate-limited host (keeps its limiter busy)
PROBES_PER_TOKEN = 4
#: a paced round covers at least this many seconds of a limited host's tokens
PACED_WINDOW = 2.0
#: the closest spacing between two probes to one limited host
MIN_SPACING = 0.002
#: spacing while a limited host's interval is not measured yet: the prior interval's
#: pace (Linux's IPv4 default, 1 s a token), halved each round that measures nothing,
#: so that a faster limiter is found without spending probes on a slow one
EXPLORE_SPACING = 0.25
#: shortest and extra wait for answers after round one (on top of 3 round trips):
#: captured packets can sit up to 20 ms in the capture's block before we see them
MIN_WAIT = 0.05
DELIVERY_SLACK = 0.03
#: probes to one port at most (silences that do not count included)
MAX_SENDS = 60
#: a limited host with at most this many ports left is probed once a token is sure
#: (the prior's interval until one is measured), not paced
FEW_PORTS = PROBES_PER_TOKEN



class _RoundOver(Exception):
    """Raised from the progress hook to end a round early (every answer is in)."""


def udp_verdict(result: Result) -> tuple[str, str, int | None]:
    """nmap's (state, reason, ttl) for one UDP probe's result.

    ``open``/``udp-response`` for a UDP answer; ``closed``/``port-unreach`` for a
    port unreachable from the target itself; ``filtered`` with the ICMP reason
    for other unreachables (and for a port unreachable sent by another host);
    ``open|filtered``/``no-response`` for silence.
    """
    answer = result.answer
    if answer is None:
        return "open|filtered", "no-response", None
    net = ip_layer(answer)
    if net is None:
        return "filtered", "unknown-response", None
    ttl = hop_limit(net)
    transport = net._payload  # type: ignore[attr-defined]
    kind = type(transport).__name__
    if kind == "UDP":
        return "open", "udp-response", ttl
    target = _target(result)
    from_target = target is not None and _same_address(str(net.src), target)  # type: ignore[attr-defined]
    if kind != "ICMP" and not kind.startswith("ICMPv6"):
        return "filtered", "unknown-response", ttl
    reason = icmp_reason(4 if kind == "ICMP" else 6, transport.type, transport.code)
    if reason == PORT_UNREACH and from_target:
        return "closed", reason, ttl
    return "filtered", reason, ttl


def _same_address(a: str, b: str) -> bool:
    try:
        return ip_address(a) == ip_address(b)
    except ValueError:
        return a == b


def _target(result: Result) -> str | None:
    key = _probe_target(result.probe_bytes)
    return key[0] if key else None


def _probe_target(data: bytes) -> tuple[str, int] | None:
    """(destination address, destination port) of a raw IPv4/IPv6 UDP probe."""
    found = probe_target(data, LINKTYPE_RAW)
    return (str(ip_address(found[0])), found[2]) if found and found[1] == "udp" else None


def _outcome(result: Result, host: str) -> str:
    """The estimator's view of a result: did it cost the host an ICMP token?"""
    answer = result.answer
    if answer is None:
        return "none"
    net = ip_layer(answer)
    if net is None:
        return "reply"
    kind = type(net._payload).__name__  # type: ignore[attr-defined]
    if kind == "ICMP" or kind.startswith("ICMPv6"):
        return "error" if _same_address(str(net.src), host) else "reply"  # type: ignore[attr-defined]
    return "reply"


@dataclass
class _Port:
    """One (host, port) target across rounds."""

    host: str
    port: int
    attempts: list[Attempt] = field(default_factory=list)
    result: Result | None = None
    answered: bool = False


def needed_silences(loss: float, retries: int) -> int:
    """How many counted silences make ``open|filtered`` sure enough (at most retries + 1)."""
    cap = retries + 1
    if loss <= 0:
        return min(cap, 2)
    k = math.ceil(math.log(MISS_CHANCE) / math.log(min(loss, 0.99)))
    return max(1, min(cap, max(2, k)))


def loss_estimate(ports: Sequence[_Port], credit: dict[int, list[bool]]) -> float:
    """The chance that a probe which could be answered is not (loss either way).

    Every answered port contributes its answer and the silences before it that
    count (for open ports every silence: they cost the host no token). A prior
    of a quarter of a loss in one probe keeps a scan with few answers from
    claiming a clean path: two answers and no loss give 1/12, twenty give 1/84.
    With no answer at all there is nothing measured: no loss (two counted
    silences make a port ``open|filtered``, as nmap's one retry does).
    """
    lost = answered = 0
    for idx, p in enumerate(ports):
        if not p.answered:
            continue
        answered += 1
        flags = credit.get(idx, [])
        for a, counts in zip(p.attempts, flags, strict=False):
            if a.outcome == "none" and (counts or _replied(p)):
                lost += 1
    if not answered:
        return 0.0
    return min(0.99, (lost + 0.25) / (lost + answered + 1))


def _sent_errors(attempts: Iterable[Attempt]) -> bool:
    """Whether any of ``attempts`` drew an ICMP error from the host itself."""
    return any(a.outcome == "error" for a in attempts)


def _replied(p: _Port) -> bool:
    return any(a.outcome == "reply" for a in p.attempts)


def _probe(host: str, port: int, sport: int) -> object:
    from netprobe.packet.layers.ip import IP
    from netprobe.packet.layers.ipv6 import IPv6
    from netprobe.packet.layers.raw import Raw
    from netprobe.packet.layers.udp import UDP

    net = IPv6(dst=host) if ip_address(host).version == 6 else IP(dst=host)
    packet = net / UDP(sport=sport, dport=port)
    payload = payload_for(port)
    return packet / Raw(load=payload) if payload else packet


class _Scan:
    """The state of one UDP scan across its rounds."""

    def __init__(self, targets: list[tuple[str, int]], timeout: float, retries: int,
                 rate: float | None, max_time: float | None, iface: str | None,
                 counters: Counters, on_progress: Callable[[Counters], None] | None) -> None:
        unique = dict.fromkeys((str(ip_address(h)), int(p)) for h, p in targets)
        self.ports = [_Port(h, p) for h, p in unique]
        self.index = {(p.host, p.port): i for i, p in enumerate(self.ports)}
        self.by_host: dict[str, list[int]] = {}
        for i, p in enumerate(self.ports):
            self.by_host.setdefault(p.host, []).append(i)
        self.timeout = timeout
        self.retries = retries
        self.rate = rate
        self.iface = iface
        self.counters = counters
        self.on_progress = on_progress
        self.start = time.monotonic()
        self.deadline = self.start + max_time if max_time else None
        self.base_elapsed = counters.elapsed
        self.sport = random.randint(40000, 59999)
        #: the longest round trip seen per host
        self.rtt: dict[str, float] = {}
        self.last_answer: float | None = None
        self.limits: dict[str, ratelimit.Limit] = {}
        self.spacing: dict[str, float] = {}
        #: per host, whether its last round left a probe unanswered
        self.round_silent: dict[str, bool] = {}
        #: per port still waiting, how many more counted silences it needs
        self.missing: dict[int, int] = {}

    # -- running one round ----------------------------------------------------------------------
    def remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()

    def _progress(self, c: Counters) -> None:
        c.elapsed = self.base_elapsed + (time.monotonic() - self.start)
        if self.on_progress is not None:
            self.on_progress(c)

    def run_round(self, indices: list[int], rate: float | None, wait: float,
                  resend: bool, early: bool = False) -> None:
        """Send one probe to each of ``indices`` and take the answers.

        With ``early`` the round ends as soon as every host in it has answered
        something and nothing came for a few of its round trips, instead of
        waiting ``wait`` for silent ports (round one, whose ``wait`` is the
        caller's timeout, before any round trip is known).
        """
        from netprobe.engine.api import run
        from netprobe.wire import route

        if not indices:
            return
        left = self.remaining()
        if left is not None and left <= 0:
            return
        route.install_source_hook()
        data = [bytes(_probe(self.ports[i].host, self.ports[i].port, self.sport).build())
                for i in indices]
        # where each probe stands in the round: the engine sends in this order, and
        # probes of one batch share a stamp
        position = {raw: k for k, raw in enumerate(data)}
        hosts = {self.ports[i].host for i in indices}
        c = self.counters
        before = c.sent
        seen: set[int] = set()
        self.last_answer = None

        def progress(counters: Counters) -> None:
            self._progress(counters)
            if not early or counters.sent - before < len(indices):
                return
            if any(h not in self.rtt for h in hosts):
                return
            quiet = self.wait_time(hosts)
            now = time.monotonic()
            if now - counters.last_send >= quiet and (
                    self.last_answer is None or now - self.last_answer >= quiet):
                raise _RoundOver

        try:
            for r in run(data, timeout=wait, retry=0, rate=rate, iface=self.iface,
                         max_time=left, counters=c, on_progress=progress):
                k = position.get(r.probe_bytes, 0)
                seen.add(k)
                self._take(r, k)
        except _RoundOver:
            # The engine yields unanswered probes only at its end: make their results.
            # Round one goes out in a few batches within milliseconds of the last send.
            sent = time.time() - (time.monotonic() - c.last_send)
            for k, raw in enumerate(data):
                if k not in seen:
                    self._take(Result(raw, LINKTYPE_RAW, sent), k)
        finally:
            if resend:
                c.retries += c.sent - before
            c.elapsed = self.base_elapsed + (time.monotonic() - self.start)
            for h in hosts:
                self.round_silent[h] = False
            for i in indices:
                p = self.ports[i]
                if p.attempts and p.attempts[-1].outcome == "none":
                    self.round_silent[p.host] = True

    def _take(self, r: Result, seq: int) -> None:
        key = _probe_target(r.probe_bytes)
        idx = self.index.get(key) if key else None
        if idx is None:
            return
        p = self.ports[idx]
        outcome = _outcome(r, p.host)
        p.attempts.append(Attempt(p.port, r.sent, outcome, r.received, seq))
        r.tag = TAG
        if outcome != "none" and r.rtt is not None:
            self.rtt[p.host] = max(r.rtt, self.rtt.get(p.host, 0.0))
            self.last_answer = time.monotonic()
        if p.answered:
            return  # a late answer or a duplicate: the first answer stands
        p.answered = outcome != "none"
        p.result = r
        r.sends = len(p.attempts)

    # -- deciding the next round ---------------------------------------------------------------
    def wait_time(self, hosts: Iterable[str]) -> float:
        """How long a later round waits for answers: a few round trips of its slowest host.

        A host that has not answered anything, although round one waited the
        caller's whole timeout for it, is given the longest round trip seen on
        any host (nmap keeps group-wide timing for the same purpose); with no
        round trip known at all, the timeout.
        """
        longest = max(self.rtt.values(), default=None)
        waits = []
        for h in hosts:
            rtt = self.rtt.get(h, longest)
            waits.append(self.timeout if rtt is None else
                         min(self.timeout, max(MIN_WAIT, 3 * rtt + DELIVERY_SLACK)))
        return max(waits, default=self.timeout)

    def pending(self) -> tuple[dict[str, list[int]], dict[str, ratelimit.Limit]]:
        """Per host, the ports that need another probe (fewest counted silences first)."""
        by_host = self.by_host
        credit: dict[int, list[bool]] = {}
        limits: dict[str, ratelimit.Limit] = {}
        for host, idxs in by_host.items():
            attempts: list[Attempt] = []
            owners: list[int] = []
            for i in idxs:
                attempts += self.ports[i].attempts
                owners += [i] * len(self.ports[i].attempts)
            limit = ratelimit.estimate(attempts)
            limits[host] = limit
            flags = ratelimit.credited(attempts, limit)
            for i, flag in zip(owners, flags, strict=True):
                credit.setdefault(i, []).append(flag)
        self.limits = limits
        need = needed_silences(loss_estimate(self.ports, credit), self.retries)
        todo: dict[str, list[int]] = {}
        for host, idxs in by_host.items():
            waiting = []
            for i in idxs:
                p = self.ports[i]
                counted = sum(credit.get(i, []))
                if p.answered or counted >= need or len(p.attempts) >= MAX_SENDS:
                    continue
                waiting.append((counted, len(p.attempts), i))
                self.missing[i] = need - counted
            if waiting:
                todo[host] = [i for _, _, i in sorted(waiting)]
        return todo, limits

    def plan(self, todo: dict[str, list[int]], limits: dict[str, ratelimit.Limit],
             ) -> tuple[list[int], list[int], float | None, float]:
        """The next round: (probes to send at once, probes to pace, the paced rate, and
        when nothing is to be sent now, how long until something is).

        A host whose limiter is not measured is probed again only once it surely
        holds a token (before that its silences would not count); a host measured
        to be limited is paced, so that each token it grows meets a probe.
        """
        at_once: list[int] = []
        canaries: list[int] = []
        paced: list[tuple[float, int]] = []
        paced_rate = 0.0
        now = time.time()
        sleep = math.inf
        for host, idxs in todo.items():
            limit = limits[host]
            # A few ports are probed when a token is sure (each such round spends at most
            # the one token on a closed port, and every silence before it counts); many
            # are paced so that each token the host grows back meets a probe. Probing
            # densely to measure the interval costs more probes than a few ports need.
            if not limit.effective or len(idxs) <= FEW_PORTS:
                attempts = [a for i in self.by_host[host] for a in self.ports[i].attempts]
                wait = ratelimit.token_wait(attempts, limit, now)
                canary = self._canary(host) if wait > 0 else None
                if wait <= 0 and (len(idxs) == 1 or not _sent_errors(attempts)):
                    # a token is sure, and the round is one port (closed, its first probe
                    # is answered) or a host that never sent an error (its ports are
                    # likely all silent): the silences each port still needs go out
                    # together, each counted while the token stays unspent
                    at_once += [i for i in idxs for _ in range(max(1, self.missing.get(i, 1)))]
                elif wait <= 0 or canary is not None:
                    at_once += idxs
                    if canary is not None:
                        canaries.append(canary)
                else:
                    sleep = min(sleep, wait)
                continue
            spacing = self._spacing(host, limit)
            window = max(PACED_WINDOW, 2 * limit.pace_interval)
            count = min(len(idxs), max(1, math.ceil(window / spacing)))
            paced += [(k * spacing, i) for k, i in enumerate(idxs[:count])]
            paced_rate += 1 / spacing
        paced.sort()
        rate = paced_rate if paced else None
        if rate is not None and self.rate is not None:
            rate = min(rate, self.rate)
        if at_once or paced:
            sleep = 0.0
        # canaries go last: each follows its host's silent probes in the same batch
        return at_once + canaries, [i for _, i in paced], rate, sleep

    def _canary(self, host: str) -> int | None:
        """A closed port of ``host`` to probe right after its silent ones, or None.

        If the host answers it, it held a token when the silent probes (just
        before, in the same batch) arrived: their silence counts without waiting
        for the host's tokens to grow back. Not after a canary went unanswered
        (the host is out of tokens: then only time helps).
        """
        closed = None
        for i in self.by_host[host]:
            attempts = self.ports[i].attempts
            if any(a.outcome == "error" for a in attempts):
                last = attempts[-1]
                if last.outcome == "none":
                    return None  # the last canary found no token
                closed = i if closed is None else closed
        return closed

    def _spacing(self, host: str, limit: ratelimit.Limit) -> float:
        """Seconds between probes to a limited host: a fraction of its measured interval.

        Before an interval is measured, probe at the prior's pace (every
        ``EXPLORE_SPACING`` seconds), twice as fast after each round the host
        answered in full (its tokens come faster than that): once probes come
        faster than tokens, refusals appear and measure the interval. A round
        with silences keeps the pace (faster would only spend probes).
        """
        if limit.interval is not None:
            spacing = limit.interval / PROBES_PER_TOKEN
        else:
            previous = self.spacing.get(host)
            if previous is None:
                spacing = EXPLORE_SPACING
            else:
                spacing = previous if self.round_silent.get(host, True) else previous / 2
        spacing = max(MIN_SPACING, spacing)
        self.spacing[host] = spacing
        return spacing

    def results(self) -> list[Result]:
        return [p.result for p in self.ports if p.result is not None]


def scan_udp(targets: list[tuple[str, int]], *, timeout: float, retries: int,
             rate: float | None, max_time: float | None, iface: str | None,
             counters: Counters, on_progress: Callable[[Counters], None] | None = None,
             ) -> list[Result]:
    """UDP-scan (host, port) ``targets``; one Result per distinct target, in their order,
    tagged ``udp`` (``Result.tag``).

    ``timeout`` is the first round's wait for answers (later rounds wait a few
    measured round trips, never longer); ``retries`` caps the extra probes that
    count per silent port (how many are sent follows the measured loss);
    ``rate`` caps packets per second; ``max_time`` bounds the whole scan. Each
    result's ``sends`` says how many probes its port took. Ctrl-C raises
    ``PhaseInterrupted`` (a KeyboardInterrupt) carrying the results so far.
    """
    scan = _Scan(targets, timeout, retries, rate, max_time, iface, counters, on_progress)
    try:
        scan.run_round(list(range(len(scan.ports))), rate, timeout, resend=False, early=True)
        while True:
            left = scan.remaining()
            if left is not None and left <= 0:
                break
            todo, limits = scan.pending()
            if not todo:
                break
            at_once, paced, paced_rate, sleep = scan.plan(todo, limits)
            if sleep > 0:
                # no host holds a sure token yet: wait for the first one (or the deadline)
                time.sleep(min(sleep + 0.01, left) if left is not None else sleep + 0.01)
                continue
            hosts = [scan.ports[i].host for i in at_once]
            scan.run_round(at_once, rate, scan.wait_time(set(hosts)), resend=True)
            hosts = [scan.ports[i].host for i in paced]
            scan.run_round(paced, paced_rate, scan.wait_time(set(hosts)), resend=True)
    except KeyboardInterrupt:
        raise PhaseInterrupted(scan.results()) from None
    return scan.results()
