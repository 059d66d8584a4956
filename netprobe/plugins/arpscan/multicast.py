"""IPv6 discovery by the all-nodes group: one probe, answers from every host on the link.

Why this does not go through the engine's loop: the loop pairs an answer with
its probe through a hash key made of both ends' addresses (source XOR
destination), and takes the first answer per probe unless ``multi`` is set.
A probe to ff02::1 is answered from each host's unicast address, so the
answer's key never equals the probe's: ``multi=True`` would keep several
answers but none would be found in the first place. Here the few probes (two)
are sent on the wire floor's sender, the capture is read until the wait is
over, and each frame is compared with each probe by
:func:`interpret.answers_all_nodes` (the layers' ``answers()``, plus the
cookie a Parameter Problem quotes). Every matching frame becomes a
:class:`Result` of its own, as the engine's ``multi`` mode would give, so the
run is saved and interpreted like any other.

A host that has no neighbour entry for us must first resolve our address
(a neighbour solicitation for it) before its answer can leave; when that
solicitation or our advertisement is lost, IPv6 tries again only after its
retransmission timer, one second (RFC 4861 ``RETRANS_TIMER``). Two things
keep such hosts from being missed: every round of probes is followed by an
advertisement of our address (``helpers``), which completes a pending
resolution at once; and while a host seen resolving us has not answered,
probing and listening go on, up to two retransmissions.
"""

from __future__ import annotations

import select
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from netprobe.engine.results import Counters, Result
from netprobe.plugins.arpscan.interpret import TAG_MULTICAST, answers_all_nodes, resolver_of

if TYPE_CHECKING:
    from netprobe.wire.capture import Capture
    from netprobe.wire.scope import Scope

#: only ICMPv6 can answer (echo replies and parameter problems) or resolve us
CAPTURE_FILTER = "icmp6"
#: RFC 4861's RetransTimer: a lost address resolution is tried again after this long
ND_RETRANS = 1.0


class _Listening:
    """What the capture showed so far: answers, and who is resolving our address."""

    def __init__(self, probes: Sequence[bytes], ours: set[str]) -> None:
        self.probes = probes
        self.ours = ours
        self.results: list[Result] = []
        self.resolvers: set[str] = set()
        self.answered: set[str] = set()

    @property
    def waiting_for(self) -> set[str]:
        """MACs that resolved our address and have not answered since."""
        return self.resolvers - self.answered

    def drain(self, cap: Capture, last_sent: list[float], sends: int, counters: Counters) -> None:
        for _ in range(64):  # bounded, like the engine's drain
            batch = cap.read_batch(256)
            if not batch:
                return
            for ts, frame in batch:
                counters.received += 1
                self._take(frame, ts, cap.linktype, last_sent, sends, counters)

    def _take(self, frame: bytes, ts: float, linktype: int, last_sent: list[float],
              sends: int, counters: Counters) -> None:
        for i, probe in enumerate(self.probes):
            if answers_all_nodes(probe, frame):
                counters.matched += 1
                self.results.append(Result(probe, 1, last_sent[i], sends, answer_bytes=frame,
                                           answer_linktype=linktype, received=ts))
                self.answered.add(frame[6:12].hex(":"))
                return
        mac = resolver_of(frame, self.ours)
        if mac is not None:
            self.resolvers.add(mac)


def discover(iface: str, probes: Sequence[bytes], *, tries: int, interval: float,
             wait: float, scope: Scope, counters: Counters, ours: set[str] | None = None,
             helpers: Sequence[bytes] = ()) -> list[Result]:
    """Send ``probes`` ``tries`` times, ``interval`` seconds apart, and keep listening
    ``wait`` seconds after the last; return one Result per answer.

    ``helpers`` go out after the probes each time (they are not probes: nothing
    answers them). ``ours`` are the addresses hosts may be resolving (the
    probes' source); while a host that resolves one has not answered, probing
    and listening go on, up to two retransmissions.
    """
    from netprobe.wire.capture import Capture
    from netprobe.wire.sockets import L2Sender

    tries = max(1, tries)
    seen = _Listening(probes, ours or set())
    last_sent = [0.0] * len(probes)
    sends = 0
    start = time.monotonic()
    with Capture(iface, CAPTURE_FILTER, nonblocking=True, direction="in") as cap:
        sender = L2Sender(iface, scope=scope)
        try:
            next_send = start
            last_mono = start
            while True:
                now = time.monotonic()
                since = now - start
                # a host resolving us answers once it has our address: wait for it, up
                # to its second retransmission
                extend = since < 2 * ND_RETRANS + wait and bool(seen.waiting_for)
                if now >= next_send and (sends < tries or extend):
                    wall = time.time()
                    if not counters.sent:
                        counters.first_send = now
                    frames = [*probes, *helpers]
                    accepted = sender.send_many(frames)
                    counters.last_send = last_mono = now
                    counters.sent += len(probes)
                    counters.refused += len(frames) - accepted
                    if sends:
                        counters.retries += len(probes)
                    sends += 1
                    last_sent = [wall] * len(probes)
                    next_send = now + (interval if sends < tries else max(interval, wait))
                elif sends >= tries and not extend and now >= last_mono + wait:
                    break
                wake = next_send if (sends < tries or extend) else last_mono + wait
                delay = max(0.0, wake - time.monotonic())
                select.select([cap.fileno()], [], [], min(delay, 0.02))
                seen.drain(cap, last_sent, sends, counters)
            seen.drain(cap, last_sent, sends, counters)
        finally:
            sender.close()
            counters.elapsed += time.monotonic() - start
    for r in seen.results:
        r.tag = TAG_MULTICAST
    return seen.results
