"""What a correct probe must find in the lab, derived from the topology.

Port states follow nmap's vocabulary (state and reason), which is what
``lab status --json`` promises and what tests compare scanners against:

=====================  ==========================================
open / syn-ack         TCP listener, nothing in the way
closed / reset         no TCP listener (kernel RST) or a firewall RST
filtered / no-response TCP dropped by the firewall
filtered / admin-prohibited  rejected with ICMP administratively prohibited
open / udp-response    UDP listener that answers
closed / port-unreach  no UDP listener, or a firewall sending port unreachable
open|filtered / no-response  UDP dropped (silence could be either)
=====================  ==========================================

The firewall acts before any socket, so a rule on a port wins over its service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netprobe.packet.shape import PORT_UNREACH, icmp_error_reason
from netprobe.plugins.lab.build import namespace
from netprobe.plugins.lab.routing import path, routes
from netprobe.plugins.lab.topology import DUPLICATE, LAB_IPV4, LAB_IPV6, Node, Topology

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

#: the reason of what nft's ``reject with icmpx type admin-prohibited`` sends (ICMP code 13,
#: ICMPv6 code 1: the same name)
_ADMIN = icmp_error_reason(4, 3, 13)
_BY_ACTION = {
    ("tcp", "drop"): ("filtered", "no-response"),
    ("udp", "drop"): ("open|filtered", "no-response"),
    ("tcp", "reject-admin"): ("filtered", _ADMIN),
    ("udp", "reject-admin"): ("filtered", _ADMIN),
    ("tcp", "reject-reset"): ("closed", "reset"),
    ("udp", "reject-port-unreach"): ("closed", PORT_UNREACH),
}


def default_state(node: Node, proto: str) -> tuple[str, str]:
    """State and reason of a port ``node`` neither serves nor filters by rule."""
    if node.inbound == "ping-only":
        return ("filtered", "no-response") if proto == "tcp" else ("open|filtered", "no-response")
    return ("closed", "reset") if proto == "tcp" else ("closed", PORT_UNREACH)


def port_state(node: Node, proto: str, port: int) -> tuple[str, str]:
    """The nmap-style (state, reason) of ``proto``/``port`` on ``node``."""
    for rule in node.rules:
        if (rule.proto, rule.port) == (proto, port):
            if (proto, rule.action) not in _BY_ACTION:
                raise ValueError(f"{rule.action} does not apply to {proto}")
            return _BY_ACTION[(proto, rule.action)]
    if node.inbound == "ping-only":
        return default_state(node, proto)
    for service in node.services:
        if (service.proto, service.port) == (proto, port):
            return ("open", "syn-ack") if proto == "tcp" else ("open", "udp-response")
    return default_state(node, proto)


def interesting_ports(node: Node) -> list[tuple[str, int]]:
    """Every port a host declares something about: services, rules, closed."""
    ports = {(s.proto, s.port) for s in node.services}
    ports |= {(r.proto, r.port) for r in node.rules}
    ports |= set(node.closed)
    return sorted(ports)


def _iface(lab: str, node: Node) -> JSONRecord:
    iface = node.interfaces[0]
    return {"name": node.name, "namespace": namespace(lab, node.name),
            "interface": iface.name, "network": iface.network,
            "ipv4": str(iface.ipv4), "ipv6": str(iface.ipv6), "mac": iface.mac}


def host_truth(lab: str, node: Node) -> JSONRecord:
    """One host as ``status`` describes it: addresses, ping, every listed port."""
    listening = {(s.proto, s.port): s.kind for s in node.services}
    ports = []
    for proto, port in interesting_ports(node):
        state, reason = port_state(node, proto, port)
        ports.append({"proto": proto, "port": port, "state": state, "reason": reason,
                      "service": listening.get((proto, port)),
                      "listening": (proto, port) in listening})
    defaults = {}
    for proto in ("tcp", "udp"):
        state, reason = default_state(node, proto)
        defaults[proto] = {"state": state, "reason": reason}
    return {**_iface(lab, node), "answers_ping": node.answers_ping, "note": node.note,
            "gateway": node.gateway, "ports": ports, "default": defaults}


def router_truth(lab: str, topology: Topology, node: Node) -> JSONRecord:
    """One router: interfaces, routes (ECMP shown as several next hops), silence."""
    return {
        "name": node.name, "namespace": namespace(lab, node.name), "note": node.note,
        "sends_icmp": node.sends_icmp, "answers_ping": node.answers_ping,
        "interfaces": [{"name": i.name, "network": i.network, "ipv4": str(i.ipv4),
                        "ipv6": str(i.ipv6), "mac": i.mac} for i in node.interfaces],
        "routes": [{"prefix": str(r.prefix), "ecmp": r.multipath,
                    "nexthops": [{"via": str(gw), "dev": dev} for gw, dev in r.nexthops]}
                   for r in routes(topology, node.name)],
    }


def document(lab: str, topology: Topology) -> JSONRecord:
    """The static part of ``status --json``: everything the topology implies."""
    scanner = topology.node(topology.scanner)
    far = topology.node(topology.far)
    lan = next(net for net in topology.networks if net.bridged)
    gateway = topology.node(scanner.gateway).interface_on(lan.name) if scanner.gateway else None
    hops = path(topology, scanner.name, far.name)
    return {
        "lab": lab,
        "ranges": {"ipv4": str(LAB_IPV4), "ipv6": str(LAB_IPV6)},
        "networks": [{"name": n.name, "ipv4": str(n.ipv4), "ipv6": str(n.ipv6),
                      "bridged": n.bridged} for n in topology.networks],
        "lan": {"ipv4": str(lan.ipv4), "ipv6": str(lan.ipv6),
                "switch": namespace(lab, topology.switch)},
        "scanner": {**_iface(lab, scanner),
                    "gateway": {"ipv4": str(gateway.ipv4), "ipv6": str(gateway.ipv6)}
                    if gateway else None},
        "hosts": [host_truth(lab, node) for node in topology.by_role("host")
                  if node.interface_on(lan.name) is not None and node.name != DUPLICATE],
        "far": host_truth(lab, far),
        "routers": [router_truth(lab, topology, node) for node in topology.by_role("router")],
        "path": {
            "from": scanner.name, "to": far.name,
            "ipv4": str(far.interfaces[0].ipv4), "ipv6": str(far.interfaces[0].ipv6),
            "hops": [{"ttl": hop.ttl, "nodes": list(hop.nodes), "ipv4": list(hop.ipv4),
                      "ipv6": list(hop.ipv6), "answers": hop.answers,
                      "ecmp": len(hop.nodes) > 1} for hop in hops],
        },
    }
