"""Human rendering of ``lab status``: rich tables (imported only when used)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from netprobe.services.json_value import JSONValue


def show_status(doc: Mapping[str, JSONValue]) -> None:
    """Print the status document as tables: hosts, ports, path, processes."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not doc.get("up"):
        state = "half built" if doc.get("phase") == "building" else "not up"
        console.print(f"lab {doc['lab']} is {state}")
        return
    scanner = doc["scanner"]
    console.print(f"lab [bold]{doc['lab']}[/bold]: scanner {scanner['namespace']} "
                  f"{scanner['ipv4']} {scanner['ipv6']}; healthy: {doc['healthy']}; "
                  f"built in {doc['built_seconds']} s")

    hosts = Table(title="hosts")
    for column in ("host", "IPv4", "IPv6", "MAC", "ping"):
        hosts.add_column(column, no_wrap=True)
    everyone = [*doc["hosts"], doc["far"], *([doc["duplicate"]] if doc["duplicate"] else [])]
    for host in everyone:
        hosts.add_row(host["name"], host["ipv4"], host["ipv6"], host["mac"],
                      "yes" if host["answers_ping"] else "no")
    console.print(hosts)
    for host in everyone:
        console.print(f"  {host['name']} ({host['namespace']}): {host['note']}")

    ports = Table("host", "port", "state", "reason", "service",
                  title="ports (nmap-style truth; other ports: the host's default)")
    for host in [*doc["hosts"], doc["far"]]:
        for port in host["ports"]:
            ports.add_row(host["name"], f"{port['port']}/{port['proto']}", port["state"],
                          port["reason"], port["service"] or "")
        for proto, default in host["default"].items():
            ports.add_row(host["name"], f"other/{proto}", default["state"], default["reason"], "")
    console.print(ports)

    route = doc["path"]
    hops = Table("ttl", "router", "IPv4", "IPv6", "answers",
                 title=f"path {route['from']} → {route['to']} ({route['ipv4']}, {route['ipv6']})")
    for hop in route["hops"]:
        hops.add_row(str(hop["ttl"]), " | ".join(hop["nodes"]), " | ".join(hop["ipv4"]),
                     " | ".join(hop["ipv6"]), "yes" if hop["answers"] else "no (*)")
    console.print(hops)

    found = doc["impairments"]
    links = [f"{target}: {link['loss_percent']}% loss, {link['delay_ms']:g} ms "
             f"+/- {link['jitter_ms']:g} ms each way" for target, link in found["links"].items()]
    console.print("impairments: " + ("; ".join(links) or "none"))
    limits = ", ".join(f"{node} {ms} ms" for node, ms in found["icmp_ratelimit_ms"].items())
    console.print(f"ICMP rate limits: {found['icmp_ratelimit']}"
                  + (f"; set by impair: {limits}" if limits else ""))
    line = found["delay_line"]
    if line["backend"]:
        console.print(f"delays by: {line['backend']}"
                      + "".join(f"; {p['port']} pid {p['pid']}"
                                + ("" if p["running"] else " [red]not running[/red]")
                                for p in line["processes"]))
    for service in doc["services"]:
        if not service["running"]:
            console.print(f"[red]service process on {service['node']} (pid {service['pid']}) "
                          f"is not running[/red] (netprobe lab restart-service)")
