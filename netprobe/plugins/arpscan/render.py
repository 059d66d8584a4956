"""The terminal form of a sweep, after arp-scan's: a header, one line per host, a summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from netprobe.services.output import Output

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue


def header(options: Mapping[str, JSONValue]) -> str:
    """``Interface: eth0, MAC: …, IPv4: …, IPv6: …`` and what is swept."""
    parts = [f"Interface: {options.get('iface')}", f"MAC: {options.get('mac')}"]
    ipv4 = [a.split("/")[0] for a in options.get("ipv4", [])]
    ipv6 = [a.split("/")[0] for a in options.get("ipv6", [])]
    if ipv4:
        parts.append("IPv4: " + " ".join(ipv4))
    if ipv6:
        parts.append("IPv6: " + " ".join(ipv6))
    what = []
    targets = options.get("targets") or []
    if targets:
        what.append(f"{options.get('scanned', 0)} addresses ({', '.join(targets)})")
    if options.get("multicast"):
        what.append("all IPv6 nodes on the link (ff02::1)")
    return ", ".join(parts) + "\nSweeping " + " and ".join(what)


def summary_line(summary: Mapping[str, JSONValue]) -> str:
    """``253 addresses swept in 0.36 s (745 probes, 492 retries): 7 responded, …``."""
    swept = f"{summary['scanned']} addresses"
    if summary.get("multicast"):
        swept += " and the all-nodes group"
    text = (f"{swept} swept in {summary['elapsed_s']:.3f} s ({summary['sent']} probes, "
            f"{summary['retries']} retries): {summary['responded']} responded, "
            f"{summary['hosts']} hosts")
    if summary["conflicts"]:
        text += "; CONFLICT (several MACs) for " + ", ".join(summary["conflicts"])
    if summary["proxies"]:
        text += "; proxy (several IPs) at " + ", ".join(summary["proxies"])
    return text


def show(output: Output, records: Sequence[Mapping[str, JSONValue]],
         options: Mapping[str, JSONValue] | None) -> None:
    """Write the records: JSON Lines, or the header, the host table and the summary.

    Without ``options`` (a saved run shown again) the header names the interface only.
    """
    if output.emit_json(records):
        return
    hosts = [r for r in records if r.get("type") == "host"]
    summary = next(r for r in records if r.get("type") == "summary")
    output.line(header(options) if options is not None
                else f"Interface: {summary.get('interface')} (saved run)")
    output.lines(host_lines(hosts))
    output.line(summary_line(summary))


def host_lines(hosts: Sequence[Mapping[str, JSONValue]]) -> list[str]:
    """Aligned lines as arp-scan prints them: IP, MAC, RTT, vendor, then any flags.

    Plain text rather than a rich table: vendor names are long, and a table
    would fold them onto second lines.
    """
    if not hosts:
        return []
    rows = [(h["host"], h["mac"], "-" if h["rtt_ms"] is None else f"{h['rtt_ms']:.3f}",
             h["vendor"], " ".join(f.upper() if f == "conflict" else f for f in h["flags"]))
            for h in hosts]
    heads = ("IP", "MAC", "RTT MS", "VENDOR", "FLAGS")
    w_ip = max(len(heads[0]), *(len(r[0]) for r in rows))
    w_mac = max(len(heads[1]), *(len(r[1]) for r in rows))
    w_rtt = max(len(heads[2]), *(len(r[2]) for r in rows))
    w_vendor = max(len(heads[3]), *(len(r[3]) for r in rows))

    def line(ip: str, mac: str, rtt: str, vendor: str, flags: str) -> str:
        return (f"{ip:<{w_ip}}  {mac:<{w_mac}}  {rtt:>{w_rtt}}  {vendor:<{w_vendor}}  "
                f"{flags}").rstrip()

    return [line(*heads), *(line(*r) for r in rows)]
