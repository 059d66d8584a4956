"""``-oX FILE``: a scan's JSON Lines records as nmap's XML (pure).

The document follows nmap's DTD (``nmap.dtd``, xmloutputversion 1.05), so
that tools reading nmap's XML (``ndiff``, report generators) read netprobe's:
one ``scaninfo`` per protocol scanned, one ``host`` per host record with its
``extraports`` (the ports the records do not list one by one, grouped by
reason, as nmap does) and a ``port`` per port record, then ``runstats``.
Services come from the port table (``method="table"``), as nmap without -sV.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from netprobe.plugins.portscan.records import split_records

if TYPE_CHECKING:
    from netprobe.plugins.portscan.records import Record
    from netprobe.services.json_value import JSONValue

#: netprobe's scan names -> nmap's scaninfo types
SCAN_TYPES = {"syn": "syn", "connect": "connect", "fin": "fin", "null": "null", "xmas": "xmas",
              "ack": "ack", "udp": "udp"}
XML_OUTPUT_VERSION = "1.05"


def _attrs(**values: JSONValue) -> str:
    return "".join(f" {k}={quoteattr(str(v))}" for k, v in values.items() if v is not None)


def _timestr(ts: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(ts))


def _addrtype(host: str) -> str:
    try:
        return "ipv6" if ipaddress.ip_address(host).version == 6 else "ipv4"
    except ValueError:
        return "ipv4"


def _count(services: str) -> int:
    """How many ports ``22,80,1000-2000`` names."""
    total = 0
    for part in filter(None, services.split(",")):
        first, _, last = part.partition("-")
        total += int(last or first) - int(first) + 1
    return total


def _scaninfo(summary: Record) -> list[str]:
    lines = []
    kinds = [k for k in str(summary.get("scan") or "").split("+") if k in SCAN_TYPES]
    scanned = summary.get("scanned") or {}
    for kind in kinds:
        proto = "udp" if kind == "udp" else "tcp"
        services = str(scanned.get(proto) or "")
        lines.append("<scaninfo" + _attrs(type=SCAN_TYPES[kind], protocol=proto,
                                          numservices=_count(services), services=services)
                     + "/>")
    return lines


def _host(host: Record, ports: list[Record], start: int, end: int) -> list[str]:
    state = host.get("state") if host.get("state") in ("up", "down") else "unknown"
    status = _attrs(state=state, reason=host.get("reason") or "unknown", reason_ttl=0)
    out = [f"<host{_attrs(starttime=start, endtime=end)}><status{status}/>",
           f"<address{_attrs(addr=host['host'], addrtype=_addrtype(host['host']))}/>",
           "<hostnames>", "</hostnames>"]
    if state == "up":
        out.append("<ports>")
        by_state: dict[str, list[Record]] = {}
        for group in host.get("not_shown") or []:
            by_state.setdefault(group["state"], []).append(group)
        for hidden, groups in by_state.items():
            total = sum(g["count"] for g in groups)
            out.append(f"<extraports{_attrs(state=hidden, count=total)}>")
            out += ["<extrareasons" + _attrs(reason=g["reason"], count=g["count"],
                                             proto=g["proto"]) + "/>" for g in groups]
            out.append("</extraports>")
        for p in ports:
            ttl = p.get("ttl")
            state_attrs = _attrs(state=p["state"], reason=p.get("reason") or "unknown",
                                 reason_ttl=0 if ttl is None else ttl)
            # nmap names a port missing from its table "unknown", still from the table
            name = p.get("service") or "unknown"
            service = f"<service{_attrs(name=name, method='table', conf=3)}/>"
            out.append(f"<port{_attrs(protocol=p['proto'], portid=p['port'])}>"
                       f"<state{state_attrs}/>{service}</port>")
        out.append("</ports>")
    out.append("</host>")
    return out


def to_xml(records: Iterable[Record], args: str, *, verbose: int = 0,
           version: str = "") -> str:
    """The nmap XML document of a scan's records (host, port and summary records).

    ``args``: the command line, as nmap's ``args`` attribute; ``verbose``: -v's level.
    """
    hosts, summary = split_records(records)
    ts = float(summary.get("ts") or time.time())
    elapsed = float(summary.get("elapsed_s") or 0.0)
    start, end = int(ts), int(ts + elapsed)
    counts = summary.get("hosts") or {}
    up, down = int(counts.get("up", 0)), int(counts.get("down", 0))
    total = up + down
    done = (f"netprobe done at {_timestr(end)}; {total} IP address{'es' if total != 1 else ''}"
            f" ({up} host{'s' if up != 1 else ''} up) scanned in {elapsed:.2f} seconds")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<!DOCTYPE nmaprun>",
             f"<!-- netprobe {version} scan initiated {_timestr(ts)} as: "
             f"{args.replace('--', '- -')} -->",
             "<nmaprun" + _attrs(scanner="nmap", args=args, start=start, startstr=_timestr(ts),
                                 version=version or "0",
                                 xmloutputversion=XML_OUTPUT_VERSION) + ">",
             *_scaninfo(summary),
             f"<verbose{_attrs(level=verbose)}/>", f'<debugging{_attrs(level=0)}/>']
    for host, ports in hosts:
        lines += _host(host, ports, start, end)
    finished = _attrs(time=end, timestr=_timestr(end), summary=done,
                      elapsed=f"{elapsed:.2f}", exit="success")
    lines += [f"<runstats><finished{finished}/><hosts{_attrs(up=up, down=down, total=total)}/>",
              "</runstats>", "</nmaprun>"]
    return "\n".join(lines) + "\n"


__all__ = ["SCAN_TYPES", "to_xml"]
