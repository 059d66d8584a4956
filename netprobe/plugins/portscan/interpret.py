"""Scan results → hosts, port verdicts and JSON Lines records (pure: no network, no clock).

The live command and ``netprobe interpret RUN.pcapng`` both call
:func:`report` on a :class:`SavedRun` (in memory, or read back from the
file), so both print the same records byte for byte: durations and rates
come from the saved counters, never from the wall clock.

Results are told apart by the phase of their tag (``Result.tag``): ``tcp`` raw TCP
probes (the scan type is in the options), ``connect`` connect attempts (their
outcome in the details), ``connect-ping`` unprivileged host
discovery, ``discovery`` and ``udp`` the results of the discovery and UDP
modules, which also interpret them (``hosts_up``, ``udp_verdict``).

Records, in order: per host (address order), one ``host`` record, then one
``port`` record per port not in the host's dominant state (all of them with
``all_states``); then one ``summary``. Hosts found down appear only with
``all_states``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from operator import itemgetter
from typing import TYPE_CHECKING

from netprobe.engine.results import Result, Tag
from netprobe.packet.shape import ETHERTYPE_IPV4, IP_ADDRESS_LEN, MATCH_LINKS, ip_header
from netprobe.plugins.portscan.verdict import Verdict, connect_verdict, network_offset, tcp_verdict
from netprobe.services.history.records import PORT_STATES, dominant_state

if TYPE_CHECKING:
    from netprobe.engine.runfile import SavedRun
    from netprobe.plugins.portscan.verdict import ConnectTag
    from netprobe.services.json_value import JSONRecord, JSONValue
    from netprobe.services.output import Output

_PROTO_NAMES = {6: "tcp", 17: "udp"}

#: interpretation options a saved run carries, and their defaults
DEFAULT_OPTIONS: JSONRecord = {"scan": "syn", "udp": False, "all_states": False,
                                   "discovery": "none", "seed": None, "shard": "1/1"}


class HostReport:
    """One host: up or down (and why), and the verdict of every port scanned."""

    __slots__ = ("_counts", "host", "ports", "reason", "state", "ttl")

    def __init__(self, host: str, state: str = "up", reason: str = "user-set",
                 ttl: int | None = None,
                 ports: dict[tuple[str, int], Verdict] | None = None) -> None:
        self.host = host
        self.state = state
        self.reason = reason
        self.ttl = ttl
        self.ports: dict[tuple[str, int], Verdict] = {} if ports is None else ports
        self._counts: dict[str, int] | None = None

    def __repr__(self) -> str:
        return (f"HostReport(host={self.host!r}, state={self.state!r}, "
                f"reason={self.reason!r}, ttl={self.ttl!r}, ports={self.ports!r})")

    def counts(self) -> dict[str, int]:
        """Ports per state, in ``PORT_STATES`` (states with none left out).

        Computed once: call it when ``ports`` is complete. The same dictionary each
        time (a sweep has a host record per address: no copy each): do not change it.
        """
        if self._counts is None:
            c = Counter(map(itemgetter(0), self.ports.values()))
            known = [s for s in PORT_STATES if c.get(s)]
            self._counts = {s: c[s] for s in known + sorted(s for s in c if s not in
                                                             PORT_STATES)}
        return self._counts

    def dominant(self) -> str | None:
        """The state most ports share (never ``open``): the one tables and records hide."""
        return dominant_state(self.counts())


def host_key(host: str) -> tuple[int, int]:
    """Sort key: IPv4 before IPv6, then numerically."""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return (9, 0)
    return (addr.version, int(addr))


def probe_target(data: bytes, linktype: int) -> tuple[str, str, int] | None:
    """(destination address, "tcp"/"udp", destination port) of a probe, from its bytes."""
    off = network_offset(data, linktype)
    ip = None if off is None else ip_header(data, off)
    if ip is None:
        return None
    proto, t = ip.proto, ip.transport_at
    dst = _ntop(ip.version, data[ip.dst_at:ip.dst_at + IP_ADDRESS_LEN[ip.version]])
    name = _PROTO_NAMES.get(proto)
    if name is None or len(data) < t + 4:
        return None
    return dst, name, data[t + 2] << 8 | data[t + 3]


def _address_text(version: int, packed: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if version == 4 else socket.AF_INET6, packed)


#: the same, remembered: a host's many ports ask for its name again and again
_ntop = cache(_address_text)


@cache
def service_name(proto: str, port: int) -> str | None:
    """The service usually on ``proto``/``port`` (remembered: the services module's)."""
    from netprobe.plugins.portscan.services import service_name as lookup

    return lookup(proto, port)


def _phase(tag: Tag | None) -> str:
    # an untagged result is a raw TCP probe's (the first scans saved no tag)
    return "tcp" if tag is None else tag.phase


#: Ethernet's IP header and ethertype offsets (packet/shape.py), and what the hot path
#: reads of a plain Ethernet/IPv4/TCP answer: the TTL, the protocol, the TCP flags
_ETH_IP, _ETH_TYPE, _ = MATCH_LINKS[1]
_TTL_AT, _PROTO_AT, _FLAGS_AT, _TCP_END = _ETH_IP + 8, _ETH_IP + 9, _ETH_IP + 33, _ETH_IP + 40
#: an IPv4 answer in an Ethernet frame, from the EtherType to the IHL byte (no IP options)
_ETH_IPV4 = ETHERTYPE_IPV4.to_bytes(2, "big") + b"\x45"
#: where the IP header of a probe starts, per link type probes are sent with (Ethernet,
#: raw IP)
_PROBE_IP = {linktype: MATCH_LINKS[linktype][0] for linktype in (1, 101)}
PerHost = dict[tuple[int, bytes], dict[tuple[str, int], Verdict]]


def _tally_raw_tcp(results: Iterable[Result], scan: str) -> tuple[PerHost, list[Result]]:
    """Verdicts of this plugin's raw TCP probes by (IP version, packed host), and the rest.

    The hot part of interpretation (a scan of every port of a host is 65,535 of
    these): the probes are the stamped ones (IP without options at a known
    offset), and a plain Ethernet/IPv4/TCP answer is classified by its TTL and
    flags once per distinct pair; anything else goes through ``tcp_verdict``.
    A port probed more than once keeps its first answered verdict. Per result:
    no tuple for its host (the table of the last host is at hand), one
    dictionary operation for its port in the common case.
    """
    by_packed: PerHost = {}
    rest: list[Result] = []
    silent = tcp_verdict(scan, None)
    shapes: dict[int, Verdict] = {}
    keys: dict[int, tuple[str, int]] = {}
    last: bytes | None = None  # the packed host of ``ports``
    ports: dict[tuple[str, int], Verdict] = {}
    for r in results:
        if r.tag is None or r.tag.phase != "tcp":
            rest.append(r)
            continue
        data = r.probe_bytes
        o = _PROBE_IP.get(r.probe_linktype, -1)
        if o < 0 or len(data) < o + 40:
            rest.append(r)
            continue
        first = data[o]
        if first == 0x45 and data[o + 9] == 6:
            packed = data[o + 16:o + 20]
            port = data[o + 22] << 8 | data[o + 23]
        elif first >> 4 == 6 and len(data) >= o + 60 and data[o + 6] == 6:
            packed = data[o + 24:o + 40]
            port = data[o + 42] << 8 | data[o + 43]
        else:
            rest.append(r)
            continue
        if packed != last:
            last = packed
            # 4 and 16 bytes: the length of a packed address tells its version
            host = (4 if len(packed) == 4 else 6, packed)
            ports = by_packed.get(host)  # type: ignore[assignment]
            if ports is None:
                ports = by_packed[host] = {}
        answer = r.answer_bytes
        if answer is None:
            verdict = silent
        elif (r.answer_linktype == 1 and len(answer) >= _TCP_END
              and answer.startswith(_ETH_IPV4, _ETH_TYPE) and answer[_PROTO_AT] == 6):
            shape = answer[_TTL_AT] << 8 | answer[_FLAGS_AT]  # TTL, TCP flags
            verdict = shapes.get(shape)  # type: ignore[assignment]
            if verdict is None:
                verdict = shapes[shape] = tcp_verdict(scan, answer, 1)
        else:
            verdict = tcp_verdict(scan, answer, r.answer_linktype)
        key = keys.get(port)
        if key is None:  # one key per port, shared by every host (a sweep has many)
            key = keys[port] = ("tcp", port)
        old = ports.setdefault(key, verdict)
        if old is not verdict and old[1] == "no-response":
            ports[key] = verdict
    return by_packed, rest


def build(results: Iterable[Result], options: Mapping[str, JSONValue]) -> dict[str, HostReport]:
    """Every host's report from a scan's results and its interpretation options."""
    scan = options.get("scan", "syn")
    hosts: dict[str, HostReport] = {}
    discovery: list[Result] = []
    pings: dict[str, list[ConnectTag]] = {}
    udp_verdict = None
    if scan in ("syn", "fin", "null", "xmas", "ack"):
        per_host, results = _tally_raw_tcp(results, scan)
        for (version, packed), ports in per_host.items():
            name = _address_text(version, packed)  # once per host: nothing to remember
            hosts[name] = HostReport(name, ports=ports)
        del per_host
    for r in results:
        tag = r.tag
        phase = _phase(tag)
        if phase == "discovery":
            discovery.append(r)
            continue
        if phase == "connect-ping":
            pings.setdefault(str(tag.get("host")), []).append(tag.details)  # type: ignore[union-attr]
            continue
        target = probe_target(r.probe_bytes, r.probe_linktype)
        if target is None:
            continue
        host, proto, port = target
        if phase == "udp":
            if udp_verdict is None:
                from netprobe.plugins.portscan.udp import udp_verdict
            verdict = udp_verdict(r)
        elif phase == "connect":
            verdict = connect_verdict(dict(tag.details))  # type: ignore[union-attr]
        else:
            verdict = tcp_verdict(scan, r.answer_bytes, r.answer_linktype)
        rep = hosts.get(host)
        if rep is None:
            rep = hosts[host] = HostReport(host)
        key = (proto, port)
        if key not in rep.ports or rep.ports[key][1] == "no-response":
            rep.ports[key] = verdict
    mode = options.get("discovery", "none")
    if discovery:
        from netprobe.plugins.portscan.discovery import hosts_up

        for host, hv in hosts_up(discovery).items():
            rep = hosts.get(host)
            if rep is None:
                rep = hosts[host] = HostReport(host)
            rep.state, rep.reason, rep.ttl = hv.state, hv.reason, hv.ttl
    for host, tags in pings.items():
        rep = hosts.get(host)
        if rep is None:
            rep = hosts[host] = HostReport(host)
        rep.state, rep.reason = ping_verdict(tags)
    if mode == "none":
        for rep in hosts.values():
            rep.state, rep.reason, rep.ttl = "up", "user-set", None
    for host in options.get("local_hosts", ()):
        # an address of the scanning machine: up without discovery, as nmap says it
        rep = hosts.get(host)
        if rep is None:
            rep = hosts[host] = HostReport(host)
        rep.state, rep.reason, rep.ttl = "up", "localhost-response", None
    return dict(sorted(hosts.items(), key=lambda kv: host_key(kv[0])))


def ping_verdict(tags: Iterable[ConnectTag]) -> tuple[str, str]:
    """Host state from unprivileged connect pings (to 80 and 443).

    Up when a connection was accepted or refused, or when the host itself sent
    an ICMP error about it; down when nothing came back.
    """
    reason = None
    for tag in tags:
        status = tag.get("status")
        if status == "open":
            return "up", "syn-ack"
        if status == "refused":
            reason = "conn-refused"
        icmp = tag.get("icmp")
        if reason is None and icmp and str(icmp[3]) == str(tag.get("host")):
            reason = connect_verdict(tag)[1]
    return ("up", reason) if reason else ("down", "no-response")


def port_record(host: str, proto: str, port: int, verdict: Verdict) -> JSONRecord:
    """The JSON Lines record of one port."""
    state, reason, ttl = verdict
    return {"type": "port", "host": host, "proto": proto, "port": port, "state": state,
            "reason": reason, "ttl": ttl, "service": service_name(proto, port)}


def host_record(rep: HostReport, hide: str | None = None) -> JSONRecord:
    """The JSON Lines record of one host.

    ``not_shown``: the ports in the hidden state ``hide`` that get no record of
    their own, by protocol and reason, as nmap's "Not shown" line groups them
    (``[{"state": "closed", "proto": "tcp", "reason": "reset", "count": 995}]``).
    """
    groups: Counter[tuple[str, str]] = Counter()
    if hide is not None:
        for (proto, _port), verdict in rep.ports.items():
            if verdict[0] == hide:
                groups[(proto, verdict[1])] += 1
    return {"type": "host", "host": rep.host, "state": rep.state, "reason": rep.reason,
            "ports": rep.counts(),
            "not_shown": [{"state": hide, "proto": proto, "reason": reason, "count": n}
                          for (proto, reason), n in sorted(groups.items(),
                                                           key=lambda kv: (kv[0][0],
                                                                           -kv[1]))]}


def summary_record(hosts: dict[str, HostReport], options: Mapping[str, JSONValue],
                   counters: Mapping[str, JSONValue], extra: Mapping[str, JSONValue]
                   ) -> JSONRecord:
    """The closing record: what was scanned, what was found, what it cost."""
    up = sum(1 for h in hosts.values() if h.state == "up")
    totals: Counter[str] = Counter()
    for h in hosts.values():
        totals.update(h.counts())
    ports = {s: totals[s] for s in PORT_STATES if totals.get(s)}
    ports.update({s: totals[s] for s in sorted(totals) if s not in PORT_STATES})
    scan = str(options.get("scan") or "")
    if options.get("udp"):
        scan = f"{scan}+udp" if scan else "udp"
    record: JSONRecord = {
        "type": "summary", "scan": scan or "discovery",
        "hosts": {"up": up, "down": len(hosts) - up}, "ports": ports,
        "ts": extra.get("started"), "elapsed_s": counters.get("elapsed"),
        "scanned": dict(options.get("scanned") or {}), "sent": counters.get("sent", 0),
        "received": counters.get("received", 0), "retries": counters.get("retries", 0),
        "rate": counters.get("rate"), "seed": options.get("seed"),
        "shard": options.get("shard", "1/1"),
    }
    if extra.get("interrupted"):
        record["interrupted"] = True
    if extra.get("max_time_reached"):
        record["max_time_reached"] = True
    return record


def records(hosts: dict[str, HostReport], options: Mapping[str, JSONValue],
            counters: Mapping[str, JSONValue], extra: Mapping[str, JSONValue]
            ) -> Iterator[JSONRecord]:
    """The JSON Lines records of a scan, in order (see the module docstring)."""
    all_states = bool(options.get("all_states"))
    for rep in hosts.values():
        if rep.state != "up" and not all_states:
            continue
        hide = None if all_states else rep.dominant()
        yield host_record(rep, hide)
        # ("tcp", port) sorts before ("udp", port): TCP first, then by port
        ports = rep.ports
        shown = [k for k, v in ports.items() if v[0] != hide] if hide else list(ports)
        shown.sort()
        for proto, port in shown:
            yield port_record(rep.host, proto, port, ports[(proto, port)])
    yield summary_record(hosts, options, counters, extra)


#: the states ``--open`` shows (nmap: "open or possibly open")
OPEN_STATES = ("open", "open|filtered", "unfiltered")


def only_open(records: Iterable[JSONRecord]) -> Iterator[JSONRecord]:
    """``--open``: the port records in an open state, the host records of the hosts with
    one, and every other record (the summary)."""
    host: JSONRecord | None = None
    for rec in records:
        kind = rec.get("type")
        if kind == "host":
            host = rec
        elif kind == "port":
            if rec.get("state") in OPEN_STATES:
                if host is not None:
                    yield host
                    host = None
                yield rec
        else:
            yield rec


def interpret(saved: SavedRun, overrides: Mapping[str, JSONValue] | None = None,
              ) -> tuple[dict[str, HostReport], list[JSONRecord]]:
    """The host reports and the records of a saved run (what both faces need)."""
    options = {**DEFAULT_OPTIONS, **(saved.options or {}), **(overrides or {})}
    hosts = build(saved.results, options)
    return hosts, list(records(hosts, options, dict(saved.counters or {}),
                               dict(saved.extra or {})))


def report(saved: SavedRun, overrides: Mapping[str, JSONValue] | None = None
           ) -> Iterator[JSONRecord]:
    """The records of a saved run (``netprobe interpret``), options overridden as asked."""
    yield from interpret(saved, overrides)[1]


def render(records: Sequence[Mapping[str, JSONValue]], output: Output) -> None:
    """Draw the records as tables on a terminal (``netprobe interpret`` calls this)."""
    from netprobe.plugins.portscan.render import render_records

    render_records(records, output)
