"""Answers → neighbours: pure functions of the engine's results, no network.

Every answer gives a *sighting*: an IP address seen at a MAC address, with the
round-trip time of its probe. Sightings of one (IP, MAC) pair merge into one
host (the fastest RTT is kept). Then duplicates are flagged:

* ``conflict``: one IP answered from two or more MACs (an address conflict, or
  someone spoofing the address);
* ``proxy``: one MAC answered for two or more IPv4 addresses (proxy ARP, or
  one host holding several addresses). Not flagged for IPv6, where one
  interface holding several addresses is the rule;
* ``router``: an IPv6 neighbour advertisement with the Router flag.

:func:`report` rebuilds a run's JSON Lines records from a saved run (or the
live run's in-memory one), so ``netprobe interpret RUN.pcapng`` prints what
the live command printed.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netprobe.engine.results import Result, Tag
from netprobe.engine.runfile import SavedRun
from netprobe.plugins.arpscan.plan import PROBE_OPTION

if TYPE_CHECKING:
    from netprobe.packet.layer import Layer
    from netprobe.services.json_value import JSONRecord, JSONValue
    from netprobe.services.output import Output

#: ``Result.tag``: which phase a result belongs to
TAG_ARP = Tag("arp")
TAG_NS = Tag("ns")
TAG_MULTICAST = Tag("multicast")

CONFLICT = "conflict"
PROXY = "proxy"
ROUTER = "router"


@dataclass(frozen=True)
class Sighting:
    """One answer: ``ip`` is at ``mac``, ``rtt`` seconds after the probe (or None)."""

    ip: str
    mac: str
    version: int
    rtt: float | None = None
    router: bool = False


@dataclass
class Neighbour:
    """A host as reported: one (IP, MAC) pair, its best RTT and its flags."""

    ip: str
    mac: str
    version: int
    rtt: float | None = None
    flags: list[str] = field(default_factory=list)


def _layer(pkt: Layer | None, name: str) -> Layer | None:
    return pkt.getlayer(name) if pkt is not None else None


def sighting(result: Result) -> Sighting | None:
    """What one result says: an ARP reply, a neighbour advertisement, or an answer
    to the all-nodes probes (echo reply, parameter problem); None without one."""
    if result.answer_bytes is None:
        return None
    answer = result.answer
    rtt = result.rtt
    arp = _layer(answer, "ARP")
    if arp is not None:
        if arp.op != 2 or not isinstance(arp.psrc, str) or not isinstance(arp.hwsrc, str):
            return None
        return Sighting(arp.psrc, arp.hwsrc.lower(), 4, rtt)
    ether = _layer(answer, "Ether")
    na = _layer(answer, "ICMPv6ND_NA")
    if na is not None:
        tlla = _layer(answer, "ICMPv6NDOptDstLLAddr")
        mac = tlla.lladdr if tlla is not None and tlla.lladdr else getattr(ether, "src", None)
        if not mac:
            return None
        return Sighting(_compressed(na.tgt), mac.lower(), 6, rtt, router=bool(na.R))
    ip6 = _layer(answer, "IPv6")
    if ip6 is not None and ether is not None and ether.src:
        return Sighting(_compressed(ip6.src), ether.src.lower(), 6, rtt)
    return None


def _compressed(address: str) -> str:
    return ipaddress.IPv6Address(address).compressed


def answers_all_nodes(probe_bytes: bytes, answer_bytes: bytes) -> bool:
    """True when a captured frame answers one of the all-nodes probes.

    Such answers cannot be found by the engine's hash keys (the probe goes to
    ff02::1, the answer comes from a unicast address), so they are matched
    here: an echo reply with the probe's identifier, sequence and data, sent
    to the probe's source; or a Parameter Problem sent to the probe's source
    and quoting the probe (its addresses and its cookie option).
    """
    from netprobe.packet.dissect import dissect

    probe = dissect(probe_bytes, 1)
    answer = dissect(answer_bytes, 1)
    p6, a6 = _layer(probe, "IPv6"), _layer(answer, "IPv6")
    if p6 is None or a6 is None or a6.dst != p6.src:
        return False
    request = _layer(probe, "ICMPv6EchoRequest")
    if request is not None:
        reply = _layer(answer, "ICMPv6EchoReply")
        return reply is not None and reply.answers(request)
    problem = _layer(answer, "ICMPv6ParamProblem")
    if problem is None:
        return False
    quoted = problem._payload
    if quoted is None or type(quoted).__name__ not in ("IPerror6", "IPv6"):  # the quote
        return False
    if quoted.src != p6.src or quoted.dst != p6.dst:
        return False
    header = _layer(probe, "IPv6ExtHdrDestOpt")
    cookies = [bytes(o.optdata) for o in getattr(header, "options", None) or ()
               if getattr(o, "otype", None) == PROBE_OPTION and getattr(o, "optdata", None)]
    return any(c in answer_bytes[62:] for c in cookies)


def resolver_of(frame: bytes, ours: set[str]) -> str | None:
    """The MAC of a host resolving one of ``ours`` (a solicitation to our solicited-node
    group: it has no entry for us and holds its answer until it has one), or None.

    Unicast solicitations are reachability checks of an entry the host already
    has and can answer with: they do not count.
    """
    if len(frame) < 78 or frame[12:14] != b"\x86\xdd" or frame[38] != 0xFF:
        return None
    from netprobe.packet.dissect import dissect

    pkt = dissect(frame, 1)
    ns = _layer(pkt, "ICMPv6ND_NS")
    if ns is None or _compressed(ns.tgt) not in ours:
        return None
    return frame[6:12].hex(":")


def neighbours(sightings: Iterable[Sighting]) -> list[Neighbour]:
    """Merge sightings per (IP, MAC) and flag conflicts, proxies and routers.

    Sorted by IP version, address, then MAC.
    """
    merged: dict[tuple[str, str], Neighbour] = {}
    routers: set[tuple[str, str]] = set()
    for s in sightings:
        key = (s.ip, s.mac)
        n = merged.get(key)
        if n is None:
            merged[key] = n = Neighbour(s.ip, s.mac, s.version, s.rtt)
        elif s.rtt is not None and (n.rtt is None or s.rtt < n.rtt):
            n.rtt = s.rtt
        if s.router:
            routers.add(key)
    hosts = sorted(merged.values(),
                   key=lambda n: (n.version, int(ipaddress.ip_address(n.ip)), n.mac))
    flag_duplicates(hosts)
    for n in hosts:
        if (n.ip, n.mac) in routers:
            n.flags.append(ROUTER)
    return hosts


def flag_duplicates(hosts: Sequence[Neighbour]) -> None:
    """Add ``conflict`` to every host whose IP has several MACs and ``proxy`` to every
    IPv4 host whose MAC answers for several IPs (in place)."""
    macs_of: dict[str, set[str]] = defaultdict(set)
    ips_of: dict[str, set[str]] = defaultdict(set)
    for n in hosts:
        macs_of[n.ip].add(n.mac)
        if n.version == 4:
            ips_of[n.mac].add(n.ip)
    for n in hosts:
        if len(macs_of[n.ip]) > 1 and CONFLICT not in n.flags:
            n.flags.append(CONFLICT)
        if n.version == 4 and len(ips_of[n.mac]) > 1 and PROXY not in n.flags:
            n.flags.append(PROXY)


def host_record(n: Neighbour, vendor: str) -> JSONRecord:
    """The JSON Lines record of one host."""
    return {"type": "host", "host": n.ip, "state": "up", "reason": "arp-response",
            "mac": n.mac, "vendor": vendor,
            "rtt_ms": None if n.rtt is None else round(n.rtt * 1000, 3),
            "flags": list(n.flags)}


def summary_record(hosts: Sequence[Neighbour], options: Mapping[str, JSONValue],
                   counters: Mapping[str, JSONValue]) -> JSONRecord:
    """The closing record: what was swept, what answered, what the engine did."""
    conflicts = sorted({n.ip for n in hosts if CONFLICT in n.flags})
    proxies = sorted({n.mac for n in hosts if PROXY in n.flags})
    elapsed = counters.get("elapsed") or 0.0
    return {"type": "summary", "interface": options.get("iface"),
            "scanned": options.get("scanned", 0),
            "multicast": bool(options.get("multicast", False)),
            "responded": len({n.ip for n in hosts}), "hosts": len(hosts),
            "conflicts": conflicts, "proxies": proxies,
            "sent": counters.get("sent", 0), "retries": counters.get("retries", 0),
            "elapsed_s": round(float(elapsed), 3)}


def report(saved: SavedRun, overrides: Mapping[str, JSONValue] | None = None
           ) -> Iterator[JSONRecord]:
    """The run's JSON Lines records: one per host, then the summary.

    Vendors come from the names saved with the run (the registry at the time
    of the run), else from this system's IEEE registry. ``overrides`` replace
    saved interpretation options (``iface``, ``scanned``, ``multicast`` are
    only reported).
    """
    from netprobe.plugins.arpscan.vendors import VendorRegistry

    options = {**saved.options, **(overrides or {})}
    hosts = neighbours(s for r in saved.results if (s := sighting(r)) is not None)
    vendors = dict(saved.extra.get("vendors") or {})
    missing = [n.mac for n in hosts if n.mac not in vendors]
    if missing:
        vendors.update(VendorRegistry().names(missing))
    for n in hosts:
        yield host_record(n, vendors[n.mac])
    yield summary_record(hosts, options, saved.counters)


def render(records: Sequence[Mapping[str, JSONValue]], output: Output) -> None:
    """The terminal table of saved records (``netprobe interpret`` calls this)."""
    from netprobe.plugins.arpscan.render import show

    show(output, records, None)


def has_conflict(records: Iterable[Mapping[str, JSONValue]]) -> bool:
    """True when a host record is flagged ``conflict`` (for --fail-on-conflict)."""
    return any(r.get("type") == "host" and CONFLICT in r.get("flags", ()) for r in records)
