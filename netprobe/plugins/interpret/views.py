"""Views any run can be seen through, whichever plugin made it (``--as``).

Each view is a pure function of results to JSON-ready records:

- ``sr``: every probe with its answer or none, like Scapy's ``sr()`` summary;
- ``hosts``: the addresses that answered anything, with the kind of answer
  (a SYN scan's answers read as host discovery);
- ``routers``: the addresses that sent ICMP time-exceeded, with the TTL of
  the probe that expired (a traceroute's answers read as a list of routers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from netprobe.engine.results import Result
from netprobe.packet.layer import Layer
from netprobe.packet.shape import TIME_EXCEEDED, icmp_reason

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord


def _network(pkt: Layer) -> Layer | None:
    for layer in pkt.chain():
        if type(layer).__name__ in ("IP", "IPv6", "ARP"):
            return layer
    return None


def _source(pkt: Layer) -> str | None:
    net = _network(pkt)
    if net is None:
        return None
    return str(net.psrc if type(net).__name__ == "ARP" else net.src)


def answer_kind(answer: Layer) -> str:
    """A short name for what an answer is: syn-ack, reset, echo-reply, port-unreach...
    (an ICMP message's is :func:`netprobe.packet.shape.icmp_reason`)."""
    names = [type(layer).__name__ for layer in answer.chain()]
    # the first ICMP or ICMPv6 message (ICMPv6's classes are ICMPv6EchoReply,
    # ICMPv6TimeExceeded...); a packet an error quotes comes after it (IPerror...)
    icmp = next((layer for layer in answer.chain()
                 if type(layer).__name__ == "ICMP" or type(layer).__name__.startswith("ICMPv6")),
                None)
    if icmp is not None:
        return icmp_reason(4 if type(icmp).__name__ == "ICMP" else 6, int(icmp.type),
                           int(icmp.code))
    if "TCP" in names:
        flags = int(answer.getlayer("TCP").flags)
        if flags & 0x04:
            return "reset"
        if flags & 0x12 == 0x12:
            return "syn-ack"
        return "tcp-response"
    if "UDP" in names:
        return "udp-response"
    if "ARP" in names:
        return "arp-response"
    return "response"


def sr_view(results: Iterable[Result]) -> Iterator[JSONRecord]:
    """One record per probe: what was sent, what answered (or null), the RTT; the same
    ``probe`` record as ``craft --sr`` prints (packetview.probe_record)."""
    from netprobe.services.packetview import probe_record

    answered = unanswered = 0
    for n, r in enumerate(results, 1):
        if r.answered:
            answered += 1
        else:
            unanswered += 1
        yield probe_record(n, r)
    yield {"type": "summary", "probes": answered + unanswered, "answered": answered,
           "unanswered": unanswered}


def hosts_view(results: Iterable[Result]) -> Iterator[JSONRecord]:
    """The addresses that answered, first answer's kind and TTL, in order of first answer."""
    seen: dict[str, JSONRecord] = {}
    for r in results:
        if r.answer is None:
            continue
        src = _source(r.answer)
        if src is None:
            continue
        entry = seen.get(src)
        if entry is None:
            net = _network(r.answer)
            ttl = getattr(net, "ttl", None) if type(net).__name__ == "IP" else getattr(
                net, "hlim", None)
            seen[src] = {"type": "host", "host": src, "state": "up",
                         "reason": answer_kind(r.answer), "ttl": ttl, "answers": 1}
        else:
            entry["answers"] += 1
    yield from seen.values()
    yield {"type": "summary", "hosts_up": len(seen)}


def routers_view(results: Iterable[Result]) -> Iterator[JSONRecord]:
    """Addresses that sent time-exceeded, with the TTLs of the probes that expired there."""
    routers: dict[str, set[int]] = {}
    for r in results:
        if r.answer is None or answer_kind(r.answer) != TIME_EXCEEDED:
            continue
        src = _source(r.answer)
        net = _network(r.probe)
        if src is None or net is None:
            continue
        ttl = getattr(net, "ttl", None) if type(net).__name__ == "IP" else getattr(
            net, "hlim", None)
        routers.setdefault(src, set()).add(int(ttl) if ttl is not None else -1)
    for addr, ttls in sorted(routers.items(), key=lambda kv: (min(kv[1]), kv[0])):
        yield {"type": "router", "addr": addr, "ttls": sorted(ttls)}
    yield {"type": "summary", "routers": len(routers)}


VIEWS: dict[str, Callable[[Iterable[Result]], Iterator[JSONRecord]]] = {
    "sr": sr_view,
    "hosts": hosts_view,
    "routers": routers_view,
}
