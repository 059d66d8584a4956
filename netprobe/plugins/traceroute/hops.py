"""Hop assembly: probe outcomes → hops, as traceroute prints them. Pure functions.

A hop is every probe sent with one TTL: the addresses that answered (several
behind a load balancer), the kind and round-trip time of each answer, the
MPLS label stacks quoted in ICMP extensions, and, over ``--rounds``, loss
and RTT statistics. The path ends at the first TTL whose answer was not
"time exceeded" (the destination, or an unreachable); without one, at the
first silent TTL after the last one that answered.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from netprobe.plugins.traceroute.replies import DESTINATION_KINDS, TIME_EXCEEDED

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord


class Outcome(NamedTuple):
    """One probe and what came back.

    ``role`` is ``hop`` for the probes that make the path, ``distance`` for
    the one probe sent first at the highest TTL to learn how far the
    destination is. ``n`` orders probes as they were planned; ``wave`` is the
    wave that sent it, ``paced`` True when that wave waited for ICMP rate
    limiters to refill first.

    A NamedTuple, not a dataclass, as every record on a small trace's path:
    making a dataclass costs about 1 ms of start-up (see README, "Start-up").
    """

    ttl: int
    flow: int = 0
    round: int = 0
    n: int = 0
    role: str = "hop"
    addr: str | None = None
    kind: str | None = None
    rtt_ms: float | None = None
    reply_ttl: int | None = None
    quoted_ttl: int | None = None
    mpls: tuple[dict[str, int], ...] = ()
    wave: int = 0
    paced: bool = False

    @property
    def answered(self) -> bool:
        """True when an answer came back."""
        return self.kind is not None

    @property
    def terminal(self) -> bool:
        """True when the probe went no further than the node that answered."""
        return self.kind is not None and self.kind != TIME_EXCEEDED


class Hop:
    """One TTL of the path: its ``ttl`` and the ``probes`` sent with it, in planned order."""

    __slots__ = ("probes", "ttl")

    def __init__(self, ttl: int, probes: list[Outcome] | None = None) -> None:
        self.ttl = ttl
        self.probes: list[Outcome] = [] if probes is None else probes

    @property
    def addrs(self) -> list[str]:
        """Answering addresses, in the order they first answered."""
        seen: dict[str, None] = {}
        for p in self.probes:
            if p.addr is not None:
                seen.setdefault(p.addr, None)
        return list(seen)

    @property
    def mpls(self) -> list[JSONRecord]:
        """Distinct (address, label stack) pairs quoted by this hop's answers."""
        out: list[JSONRecord] = []
        for p in self.probes:
            if p.mpls:
                entry = {"addr": p.addr, "labels": [dict(label) for label in p.mpls]}
                if entry not in out:
                    out.append(entry)
        return out

    @property
    def answered(self) -> int:
        """How many probes were answered."""
        return sum(1 for p in self.probes if p.answered)

    def stats(self) -> dict[str, int | float | None]:
        """Loss and RTT statistics over every probe of the hop (mtr's columns).

        ``rounds`` is how many rounds probed the hop (mtr's SNT: one per round,
        whatever ``--queries``); ``sent``, ``received`` and ``loss_pct`` count probes.
        """
        sent = len(self.probes)
        rtts = [p.rtt_ms for p in self.probes if p.rtt_ms is not None]
        received = len(rtts)
        out: dict[str, int | float | None] = {"rounds": len({p.round for p in self.probes}),
                               "sent": sent, "received": received,
                               "loss_pct": round(100.0 * (sent - received) / sent, 1)
                               if sent else None}
        if rtts:
            mean = sum(rtts) / received
            out.update(rtt_min_ms=round(min(rtts), 3), rtt_avg_ms=round(mean, 3),
                       rtt_max_ms=round(max(rtts), 3),
                       rtt_stddev_ms=round(math.sqrt(sum((r - mean) ** 2 for r in rtts)
                                                     / received), 3),
                       rtt_last_ms=round(_last_rtt(self.probes), 3))
        else:
            out.update(rtt_min_ms=None, rtt_avg_ms=None, rtt_max_ms=None,
                       rtt_stddev_ms=None, rtt_last_ms=None)
        return out


def _last_rtt(probes: list[Outcome]) -> float:
    return next(p.rtt_ms for p in reversed(probes) if p.rtt_ms is not None)  # type: ignore[misc]


class Path:
    """The assembled trace: ``hops`` from the first TTL to the end, whether it ``reached``
    ``dst``, and ``end``, the TTL of the answer that ended it (None: none did)."""

    __slots__ = ("dst", "end", "hops", "reached")

    def __init__(self, dst: str, hops: list[Hop], reached: bool, end: int | None) -> None:
        self.dst = dst
        self.hops = hops
        self.reached = reached
        self.end = end


def quoted_distance(o: Outcome) -> int | None:
    """The TTL at which ``o``'s answerer sits, from the TTL its ICMP error quotes, or None.

    A probe sent with TTL ``t`` that reached a node with ``q`` left went
    through ``t - q`` routers: the node is ``t - q + 1`` hops away.
    """
    if o.terminal and o.quoted_ttl is not None and 0 < o.quoted_ttl <= o.ttl:
        return o.ttl - o.quoted_ttl + 1
    return None


def terminal_ttl(outcomes: Iterable[Outcome]) -> int | None:
    """The lowest TTL of a hop probe whose answer was not "time exceeded", or None."""
    ttls = [o.ttl for o in outcomes if o.role == "hop" and o.terminal]
    return min(ttls) if ttls else None


def from_destination(o: Outcome, dst: str) -> bool:
    """True when ``o`` was answered by the destination itself."""
    return o.addr is not None and (o.addr == dst or o.kind in DESTINATION_KINDS)


def assemble(outcomes: Iterable[Outcome], dst: str, first: int = 1) -> Path:
    """Group hop probes by TTL from ``first`` to the end of the path.

    The end is :func:`terminal_ttl`. When no hop probe ended the path but
    the destination answered the distance probe with an ICMP error, its
    quote places the destination (whose answers to the hop probes were lost
    or rate-limited): the path ends there, and that answer is shown as the
    last hop's, after its unanswered probes. Otherwise it ends at the first
    silent TTL after the last one that answered (the TTLs after it are left
    out, and ``reached`` is False). Within a hop, probes keep their planned
    order (round, then ``n``).
    """
    outcomes = list(outcomes)
    probes = sorted((o for o in outcomes if o.role == "hop" and o.ttl >= first),
                    key=lambda o: (o.round, o.n))
    end = terminal_ttl(probes)
    distance_reached = False
    stand_in = None
    if end is None:
        for o in outcomes:
            where = quoted_distance(o) if o.role == "distance" else None
            if where is not None and where >= first and from_destination(o, dst):
                end, distance_reached, stand_in = where, True, o
                break
    if end is not None:
        last = end
    else:
        # up to the first silent TTL after the last answer: where the path goes dark
        answered = [o.ttl for o in probes if o.answered]
        probed = max((o.ttl for o in probes), default=first - 1)
        last = min(probed, (max(answered) if answered else first - 1) + 1)
    by_ttl: dict[int, Hop] = {ttl: Hop(ttl) for ttl in range(first, last + 1)}
    for o in probes:
        hop = by_ttl.get(o.ttl)
        if hop is not None:
            hop.probes.append(o)
    if stand_in is not None and end is not None and not by_ttl[end].answered:
        # the destination's answer to the distance probe is its line's answer: the
        # same node, the same round trip (the path's own probes found it out of tokens)
        by_ttl[end].probes.append(stand_in)
    reached = distance_reached or (
        end is not None and any(from_destination(o, dst) for o in by_ttl[end].probes))
    return Path(dst, list(by_ttl.values()), reached, end)


def probe_record(o: Outcome, with_flow: bool) -> JSONRecord:
    """One probe as the JSON hop record lists it."""
    rec: JSONRecord = {"addr": o.addr, "rtt_ms": o.rtt_ms, "reply": o.kind}
    if with_flow:
        rec["flow"] = o.flow
    return rec


def hop_record(hop: Hop, *, with_flow: bool = False, with_stats: bool = False,
               rate_limited: bool = False) -> JSONRecord:
    """The JSON Lines record of one hop (``rate_limited`` as the classifier read it)."""
    rec: JSONRecord = {"type": "hop", "ttl": hop.ttl,
                           "probes": [probe_record(p, with_flow) for p in hop.probes],
                           "addrs": hop.addrs, "mpls": hop.mpls, "rate_limited": rate_limited}
    if with_stats:
        rec.update(hop.stats())
    return rec
