"""Session keys: which conversation a packet belongs to, in Scapy's words.

``PacketList.sessions()`` groups packets by these keys. The texts are Scapy's
(``"TCP 1.2.3.4:80 > 5.6.7.8:1234"``, ``"ICMP a > b type=8 code=0 id=0x5"``,
``"ARP a > b"``, ``"Ethernet type=9000"``, ``"Other"``), so a script that picks a
session by its key finds it. As in Scapy, only Ethernet frames get a key other
than ``"Other"``, and each direction of a conversation is its own session.
"""

from __future__ import annotations

from typing import Any

__all__ = ["session_key"]


def layer_named(pkt: Any, name: str) -> Any:
    """The layer called exactly ``name`` (a quoted ``UDPerror`` is not ``UDP``)."""
    cur = pkt
    while cur:  # the last layer's payload is an empty, falsy one
        if type(cur).__name__ == name:
            return cur
        cur = getattr(cur, "_payload", None)  # a list may hold what is no layer
    return None


def _named(layer: Any, field: str) -> str:
    """A field's value as its name when the field names its values (``gre``)."""
    value = getattr(layer, field)
    names = layer.fields_by_name[field].names
    if names and value in names:
        return names[value]
    return str(value)


def session_key(pkt: Any) -> str:
    """The session a packet belongs to (Scapy's default session extractor's keys)."""
    ether = layer_named(pkt, "Ether")
    if ether is None or (ether.type is not None and ether.type < 0x600):
        # an 802.3 frame (a length where the EtherType goes) is not Ethernet II to Scapy
        return "Other"
    ip, ip6 = layer_named(pkt, "IP"), layer_named(pkt, "IPv6")
    if ip is not None or ip6 is not None:
        # both when tunnelled, one after the other, as Scapy writes them
        src = (str(ip.src) if ip is not None else "") + (str(ip6.src) if ip6 is not None else "")
        dst = (str(ip.dst) if ip is not None else "") + (str(ip6.dst) if ip6 is not None else "")
        for proto in ("TCP", "UDP"):
            l4 = layer_named(pkt, proto)
            if l4 is not None:
                return f"{proto} {src}:{int(l4.sport)} > {dst}:{int(l4.dport)}"
        icmp = layer_named(pkt, "ICMP")
        if icmp is not None:
            ident = getattr(icmp, "id", None) or 0
            return (f"ICMP {src} > {dst} type={int(icmp.type)} code={int(icmp.code)} "
                    f"id={ident:#x}")
        if ip6 is not None:
            return f"IPv6 {src} > {dst} nh={_named(ip6, 'nh')}"
        return f"IP {src} > {dst} proto={_named(ip, 'proto')}"
    arp = layer_named(pkt, "ARP")
    # RARP (EtherType 0x8035) has ARP's layout, but Scapy keys it by its EtherType
    if arp is not None and getattr(arp.underlayer, "type", None) in (None, 0x0806):
        return f"ARP {arp.psrc} > {arp.pdst}"
    kind = ether.type if ether.type is not None else int.from_bytes(bytes(ether)[12:14], "big")
    return f"Ethernet type={kind:04x}"
