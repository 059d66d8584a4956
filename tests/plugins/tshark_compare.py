"""Compare one packet as ``netprobe read --json`` shows it with tshark's dissection.

Layers are matched by name: the k-th netprobe layer of a kind (``IP``) with
the k-th tshark protocol node of the same kind (``ip``), both counted in
document order (outer headers first, then the packet an ICMP error quotes).
Only fields both sides show are compared; a mismatch names the field as
``<tshark protocol>.<field>`` (``ip.ttl``), or ``<protocol>.layer`` when a
protocol tshark decoded completely is missing from netprobe's output although
netprobe understands every protocol on the way to it.
"""

from __future__ import annotations

import ipaddress
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tshark_oracle import Frame, Node, encap_for_linktype, frame_time

TCP_FLAG_LETTERS = "FSRPAUECN"
IP_FLAG_NAMES = ("MF", "DF", "evil")
TCP_OPTION_KINDS = {"EOL": 0, "NOP": 1, "MSS": 2, "WScale": 3, "SAckOK": 4, "SAck": 5,
                    "Timestamp": 8, "AltChkSum": 14, "AltChkSumOpt": 15, "MD5": 19,
                    "Mood": 25, "UTO": 28, "AO": 29, "TFO": 34}


@dataclass(frozen=True)
class Mismatch:
    """One difference: which packet, which field, and both values."""

    packet: int
    field: str
    netprobe: Any
    tshark: Any

    def __str__(self) -> str:
        return (f"packet {self.packet}: {self.field}: netprobe {self.netprobe!r}, "
                f"tshark {self.tshark!r}")


# -- reading tshark's text --------------------------------------------------------------------
def num(text: Any) -> int | None:
    """An integer in tshark's decimal or 0x-hex text."""
    if not isinstance(text, str) or not text:
        return None
    text = text.strip()
    if text in ("True", "False"):
        return int(text == "True")
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def mac(text: Any) -> str | None:
    """A MAC address in lowercase colon form."""
    return text.lower() if isinstance(text, str) else None


def addr6(text: Any) -> str | None:
    """An IPv6 address in RFC 5952 form."""
    try:
        return ipaddress.IPv6Address(text).compressed
    except (ValueError, TypeError):
        return None


def same(text: Any) -> Any:
    """The text as it is."""
    return text


def dns_name(text: Any) -> str | None:
    """A DNS name as tshark prints it (no final dot; the root is ``<Root>``)."""
    if not isinstance(text, str):
        return None
    return "" if text == "<Root>" else text


# -- reading netprobe's JSON ------------------------------------------------------------------
def key(name: str) -> Callable[[dict[str, Any]], Any]:
    """A field of netprobe's layer object, unchanged."""
    return lambda layer: layer.get(name)


def times4(name: str) -> Callable[[dict[str, Any]], Any]:
    """A length in 32-bit words, as bytes (tshark shows header lengths in bytes)."""
    return lambda layer: None if layer.get(name) is None else layer[name] * 4


def ip_flags(layer: dict[str, Any]) -> int | None:
    text = layer.get("flags")
    if text is None:
        return None
    return sum(1 << IP_FLAG_NAMES.index(p) for p in text.split("+") if p)


def tcp_flags(layer: dict[str, Any]) -> int | None:
    # tshark's tcp.flags holds the three reserved bits above the nine flags.
    text, reserved = layer.get("flags"), layer.get("reserved")
    if text is None or reserved is None:
        return None
    return (reserved << 9) | sum(1 << TCP_FLAG_LETTERS.index(ch) for ch in text)


def tcp_option_kinds(layer: dict[str, Any]) -> list[int] | None:
    opts = layer.get("options")
    if opts is None:
        return None
    return [TCP_OPTION_KINDS.get(k, k) for k, _ in opts]


def gre_flags_and_version(layer: dict[str, Any]) -> int | None:
    """GRE's first 16 bits, from the flag fields Scapy names one by one."""
    names: tuple[str, ...] = ("chksum_present", "routing_present", "key_present",
                              "seqnum_present", "strict_route_source", "recursion_control",
                              "flags", "version")
    widths: tuple[int, ...] = (1, 1, 1, 1, 1, 3, 5, 3)
    if "acknum_present" in layer:  # GRE_PPTP: the top flag bit is acknum_present
        names = (*names[:6], "acknum_present", "flags", "version")
        widths = (*widths[:6], 1, 4, 3)
    if any(layer.get(n) is None for n in names):
        return None
    value = 0
    for n, w in zip(names, widths):
        value = value << w | layer[n]
    return value


def gre_v0(name: str) -> Callable[[dict[str, Any]], Any]:
    """A field of a version-0 GRE header (PPTP's version 1 lays the same bits out otherwise)."""
    return lambda layer: layer.get(name) if layer.get("version") == 0 else None


def dot11_flags(layer: dict[str, Any]) -> int | None:
    """802.11's frame-control flags byte, from the flag names Scapy shows."""
    text = layer.get("FCfield")
    if text is None:
        return None
    names = ("to_DS", "from_DS", "MF", "retry", "pw_mgt", "MD", "protected", "order")
    return sum(1 << names.index(p) for p in text.split("+") if p)


def dot11_sc(shift: int, mask: int) -> Callable[[dict[str, Any]], Any]:
    """Sequence number or fragment number out of 802.11's sequence control."""
    return lambda layer: None if layer.get("SC") is None else layer["SC"] >> shift & mask


def bootp_flags(layer: dict[str, Any]) -> int | None:
    text = layer.get("flags")
    return None if text is None else (0x8000 if "B" in text else 0)


def bootp_mac(layer: dict[str, Any]) -> str | None:
    """The client's MAC address (the first 6 of chaddr's 16 bytes), for Ethernet."""
    raw = layer.get("chaddr")
    if layer.get("htype") != 1 or layer.get("hlen") != 6 or not isinstance(raw, str):
        return None
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2)) if len(raw) >= 12 else None


def dns_qnames(layer: dict[str, Any]) -> list[str] | None:
    qd = layer.get("qd")
    if qd is None:
        return None
    names = []
    for q in qd:
        name = q.get("qname") if isinstance(q, dict) else None
        if not isinstance(name, str):
            return None
        names.append(name[:-1] if name.endswith(".") else name)
    return names


#: (tshark field, netprobe getter, tshark converter); a list-valued comparison
#: takes every value of the tshark field in the node. A scalar's tshark field may
#: name alternatives, "a|b": the first one present is used.
FieldSpec = tuple[str, Callable[[dict[str, Any]], Any], Callable[[Any], Any]]


@dataclass(frozen=True)
class LayerSpec:
    """How one netprobe layer kind lines up with one tshark protocol."""

    #: tshark protocol names this layer kind appears as
    protocols: tuple[str, ...]
    #: tshark fields that a completely decoded header always shows
    required: tuple[str, ...]
    scalars: tuple[FieldSpec, ...]
    lists: tuple[FieldSpec, ...] = ()


SPECS: dict[str, LayerSpec] = {
    "eth": LayerSpec(("eth",), ("eth.dst", "eth.src"), (
        ("eth.dst", key("dst"), mac),
        ("eth.src", key("src"), mac),
        ("eth.type", key("type"), num),
        # 802.3 (Dot3, as Scapy reads it): the same two bytes are a length
        ("eth.len", lambda layer: layer.get("len", layer.get("type")), num),
    )),
    "vlan": LayerSpec(("vlan",), ("vlan.id", "vlan.etype"), (
        ("vlan.id", key("vlan"), num),
        ("vlan.priority", key("prio"), num),
        ("vlan.dei", key("dei"), num),
        ("vlan.etype", key("type"), num),
        ("vlan.len", key("type"), num),
    )),
    "ieee8021ad": LayerSpec(("ieee8021ad",), ("ieee8021ad.id",), (
        ("ieee8021ad.id", key("vlan"), num),
        ("ieee8021ad.priority", key("prio"), num),
        ("ieee8021ad.dei", key("dei"), num),
        ("ieee8021ah.etype", key("type"), num),
    )),
    "ip": LayerSpec(("ip",), ("ip.src", "ip.dst", "ip.checksum"), (
        ("ip.version", key("version"), num),
        ("ip.hdr_len", times4("ihl"), num),
        ("ip.dsfield", key("tos"), num),
        ("ip.len", key("len"), num),
        ("ip.id", key("id"), num),
        ("ip.flags", ip_flags, num),
        ("ip.frag_offset", key("frag"), num),
        ("ip.ttl", key("ttl"), num),
        ("ip.proto", key("proto"), num),
        ("ip.checksum", key("chksum"), num),
        ("ip.src", key("src"), same),
        # with a source route tshark calls the header's address ip.cur_rt and gives
        # ip.dst the route's final destination
        ("ip.cur_rt|ip.dst", key("dst"), same),
    )),
    "ipv6": LayerSpec(("ipv6",), ("ipv6.src", "ipv6.dst"), (
        ("ipv6.version", key("version"), num),
        ("ipv6.tclass", key("tc"), num),
        ("ipv6.flow", key("fl"), num),
        ("ipv6.plen", key("plen"), num),
        ("ipv6.nxt", key("nh"), num),
        ("ipv6.hlim", key("hlim"), num),
        ("ipv6.src", key("src"), addr6),
        ("ipv6.dst", key("dst"), addr6),
    )),
    "tcp": LayerSpec(("tcp",), ("tcp.srcport", "tcp.dstport", "tcp.checksum"), (
        ("tcp.srcport", key("sport"), num),
        ("tcp.dstport", key("dport"), num),
        ("tcp.seq", key("seq"), num),
        ("tcp.ack", key("ack"), num),
        ("tcp.hdr_len", times4("dataofs"), num),
        ("tcp.flags", tcp_flags, num),
        ("tcp.window_size_value", key("window"), num),
        ("tcp.checksum", key("chksum"), num),
        ("tcp.urgent_pointer", key("urgptr"), num),
    ), (
        ("tcp.option_kind", tcp_option_kinds, num),
    )),
    "udp": LayerSpec(("udp",), ("udp.srcport", "udp.dstport", "udp.checksum"), (
        ("udp.srcport", key("sport"), num),
        ("udp.dstport", key("dport"), num),
        ("udp.length", key("len"), num),
        ("udp.checksum", key("chksum"), num),
    )),
    "icmp": LayerSpec(("icmp",), ("icmp.type", "icmp.code", "icmp.checksum"), (
        ("icmp.type", key("type"), num),
        ("icmp.code", key("code"), num),
        ("icmp.checksum", key("chksum"), num),
    )),
    "icmpv6": LayerSpec(("icmpv6",), ("icmpv6.type", "icmpv6.code", "icmpv6.checksum"), (
        ("icmpv6.type", key("type"), num),
        ("icmpv6.code", key("code"), num),
        ("icmpv6.checksum", key("cksum"), num),
    )),
    "arp": LayerSpec(("arp",), ("arp.opcode",), (
        ("arp.hw.type", key("hwtype"), num),
        ("arp.proto.type", key("ptype"), num),
        ("arp.hw.size", key("hwlen"), num),
        ("arp.proto.size", key("plen"), num),
        ("arp.opcode", key("op"), num),
        ("arp.src.hw_mac", key("hwsrc"), mac),
        ("arp.src.proto_ipv4", key("psrc"), same),
        ("arp.dst.hw_mac", key("hwdst"), mac),
        ("arp.dst.proto_ipv4", key("pdst"), same),
    )),
    "mpls": LayerSpec(("mpls",), ("mpls.label", "mpls.ttl"), (
        ("mpls.label", key("label"), num),
        ("mpls.exp", key("cos"), num),
        ("mpls.bottom", key("s"), num),
        ("mpls.ttl", key("ttl"), num),
    )),
    "gre": LayerSpec(("gre",), ("gre.flags_and_version", "gre.proto"), (
        ("gre.flags_and_version", gre_flags_and_version, num),
        ("gre.proto", key("proto"), num),
        ("gre.checksum", gre_v0("chksum"), num),
        ("gre.key", gre_v0("key"), num),
        ("gre.sequence_number", gre_v0("sequence_number"), num),
    )),
    "radiotap": LayerSpec(("radiotap",), ("radiotap.length",), (
        ("radiotap.version", key("version"), num),
        ("radiotap.length", key("len"), num),
        ("radiotap.present.word", key("present"), num),
        ("radiotap.mactime", key("mac_timestamp"), num),
        ("radiotap.flags", key("Flags"), num),
        ("radiotap.datarate", key("Rate"), num),
        ("radiotap.channel.freq", key("ChannelFrequency"), num),
        ("radiotap.channel.flags", key("ChannelFlags"), num),
        ("radiotap.dbm_antsignal", key("dBm_AntSignal"), num),
        ("radiotap.dbm_antnoise", key("dBm_AntNoise"), num),
        ("radiotap.antenna", key("Antenna"), num),
        ("radiotap.mcs.index", key("MCS_index"), num),
        ("radiotap.mcs.bw", key("MCS_bandwidth"), num),
        ("radiotap.ampdu.reference", key("A_MPDU_ref"), num),
    )),
    "wlan": LayerSpec(("wlan",), ("wlan.duration", "wlan.ra"), (
        ("wlan.fc.type", key("type"), num),
        ("wlan.fc.subtype", key("subtype"), num),
        ("wlan.flags", dot11_flags, num),
        ("wlan.duration", key("ID"), num),
        ("wlan.ra", key("addr1"), mac),
        ("wlan.ta", key("addr2"), mac),
        ("wlan.seq", dot11_sc(4, 0xFFF), num),
        ("wlan.frag", dot11_sc(0, 0xF), num),
        ("wlan.fcs", key("fcs"), num),
    )),
    "dhcp": LayerSpec(("dhcp",), ("dhcp.type", "dhcp.id"), (
        ("dhcp.type", key("op"), num),
        ("dhcp.hw.type", key("htype"), num),
        ("dhcp.hw.len", key("hlen"), num),
        ("dhcp.hops", key("hops"), num),
        ("dhcp.id", key("xid"), num),
        ("dhcp.secs", key("secs"), num),
        ("dhcp.flags", bootp_flags, num),
        ("dhcp.ip.client", key("ciaddr"), same),
        ("dhcp.ip.your", key("yiaddr"), same),
        ("dhcp.ip.server", key("siaddr"), same),
        ("dhcp.ip.relay", key("giaddr"), same),
        ("dhcp.hw.mac_addr", bootp_mac, mac),
    )),
    "dns": LayerSpec(("dns", "mdns", "llmnr"), ("dns.id", "dns.count.queries"), (
        ("dns.id", key("id"), num),
        ("dns.flags.response", key("qr"), num),
        ("dns.flags.opcode", key("opcode"), num),
        ("dns.flags.rcode", key("rcode"), num),
        ("dns.count.queries", key("qdcount"), num),
        ("dns.count.answers", key("ancount"), num),
        ("dns.count.auth_rr", key("nscount"), num),
        ("dns.count.add_rr", key("arcount"), num),
        ("dns.length", key("length"), num),  # DNS over TCP: the length prefix
    ), (
        ("dns.qry.name", dns_qnames, dns_name),
    )),
}

#: tshark protocol names that carry no header of their own
PSEUDO_PROTOCOLS = frozenset({"ethertype", "wlan_radio"})

#: tshark protocol -> netprobe layer class names that decode it (link layers included,
#: so that the chain of understood protocols can be followed)
NETPROBE_CLASSES: dict[str, tuple[str, ...]] = {
    "eth": ("Ether", "Dot3"), "vlan": ("Dot1Q",), "ieee8021ad": ("Dot1AD",), "ip": ("IP",),
    "ipv6": ("IPv6",), "tcp": ("TCP",), "udp": ("UDP",), "icmp": ("ICMP",),
    "arp": ("ARP",), "dns": ("DNS", "DNSTCP"), "mdns": ("DNS",),
    "llmnr": ("DNS", "LLMNRQuery", "LLMNRResponse"),
    "sll": ("CookedLinux", "CookedLinuxV2"), "null": ("Loopback",), "ppp": ("PPP",),
    "llc": ("LLC",), "mpls": ("MPLS",), "gre": ("GRE", "GRE_PPTP"), "dhcp": ("BOOTP",),
    "radiotap": ("RadioTap",), "wlan": ("Dot11", "Dot11FCS"),
}

#: the class a packet quoted inside an ICMP error dissects as -> the layer kind it is
QUOTED_KINDS = {"IPerror": "ip", "IPerror6": "ipv6", "TCPerror": "tcp", "UDPerror": "udp",
                "ICMPerror": "icmp"}


def kind_of(layer: dict[str, Any]) -> str | None:
    """The SPECS key a netprobe layer object lines up with, or None."""
    name = layer.get("layer", "")
    if name in ("Ether", "Dot3"):
        return "eth"
    if name == "Dot1Q":
        return "vlan"
    if name == "Dot1AD":
        return "ieee8021ad"
    if name in ("IP", "IPv6", "TCP", "UDP", "ICMP", "ARP"):
        return name.lower()
    if name in ("DNS", "DNSTCP", "LLMNRQuery", "LLMNRResponse"):
        return "dns"
    if name in QUOTED_KINDS:
        return QUOTED_KINDS[name]
    if name in ("MPLS", "GRE"):
        return name.lower()
    if name == "GRE_PPTP":
        return "gre"
    if name == "BOOTP":
        return "dhcp"
    if name == "RadioTap":
        return "radiotap"
    if name in ("Dot11", "Dot11FCS"):
        return "wlan"
    # Scapy names ICMPv6 messages ICMPv6EchoRequest, ICMPv6ND_NS, ...; their options
    # (ICMPv6NDOpt...) have no code and are part of the same tshark node.
    if name.startswith("ICMPv6") and "code" in layer and "NDOpt" not in name:
        return "icmpv6"
    return None


def understood(tshark_protocol: str, classes: set[str]) -> bool:
    """True when netprobe has a layer class for this tshark protocol."""
    if tshark_protocol in PSEUDO_PROTOCOLS:
        return True
    if tshark_protocol == "icmpv6":
        return any(c.startswith("ICMPv6") for c in classes)
    return any(c in classes for c in NETPROBE_CLASSES.get(tshark_protocol, ()))


def spec_for(protocol: str) -> str | None:
    """The SPECS key of a tshark protocol name."""
    for kind, spec in SPECS.items():
        if protocol in spec.protocols:
            return kind
    return None


def compare_frame(number: int, record: dict[str, Any], frame: Frame, classes: set[str],
                  compared: Counter[str] | None = None) -> list[Mismatch]:
    """Every difference between netprobe's record and tshark's frame for one packet.

    ``classes`` are netprobe's layer class names; ``compared`` counts, per field,
    the comparisons actually made (both sides had a value).
    """
    out: list[Mismatch] = []
    fields = frame.fields
    if compared is None:
        compared = Counter()

    def check(name: str, mine: Any, theirs: Any) -> None:
        if mine is None or theirs is None:
            return
        compared[name] += 1
        if mine != theirs:
            out.append(Mismatch(number, name, mine, theirs))

    check("frame.len", record.get("len"), num(fields.get("frame.len")))
    check("frame.cap_len", record.get("caplen"), num(fields.get("frame.cap_len")))
    check("frame.encap_type", _encap(record.get("linktype")), num(fields.get("frame.encap_type")))
    if _check_time(number, record.get("ts"), fields.get("frame.time_epoch"), out):
        compared["frame.time_epoch"] += 1

    layers = [x for x in record.get("layers", ()) if isinstance(x, dict)]
    mine_by_kind: dict[str, list[dict[str, Any]]] = {}
    for layer in layers:
        kind = kind_of(layer)
        if kind is not None:
            mine_by_kind.setdefault(kind, []).append(layer)
    theirs_by_kind: dict[str, list[Node]] = {}
    for node in frame.nodes:
        kind = spec_for(node.name)
        if kind is not None:
            theirs_by_kind.setdefault(kind, []).append(node)

    for kind, nodes in theirs_by_kind.items():
        spec = SPECS[kind]
        mine = mine_by_kind.get(kind, [])
        for layer, node in zip(mine, nodes):
            for tfields, getter, conv in spec.scalars:
                if "|" in tfields:
                    names = tfields.split("|")
                    value = next((v for v in map(node.first, names) if v is not None), None)
                    tfields = names[-1]
                else:
                    value = node.first(tfields)
                check(tfields, getter(layer), conv(value))
            for tfield, getter, conv in spec.lists:
                values = node.fields.get(tfield)
                got = getter(layer)
                if values is not None and got is not None:
                    theirs = [conv(v) for v in values]
                    if tfield == "tcp.option_kind":
                        got, theirs = _to_eol(got), _to_eol(theirs)
                    check(tfield, got, theirs)
        expected = _expected_count(kind, frame, classes)
        if len(mine) < expected:
            out.append(Mismatch(number, f"{kind}.layer", len(mine), expected))
    for kind, mine in mine_by_kind.items():
        # A header netprobe decodes where tshark sees none is a difference too.
        if len(mine) > len(theirs_by_kind.get(kind, ())):
            out.append(Mismatch(number, f"{kind}.layer", len(mine),
                                len(theirs_by_kind.get(kind, ()))))
    return out


def _to_eol(kinds: list[Any]) -> list[Any]:
    """Option kinds up to the first End of Option List: what follows it is padding.

    tshark lists every zero byte of the padding as one more EOL option.
    """
    return kinds[:kinds.index(0) + 1] if 0 in kinds else kinds


def _expected_count(kind: str, frame: Frame, classes: set[str]) -> int:
    """How many complete ``kind`` headers netprobe should show for this frame.

    Those tshark decoded completely (every required field present) on a chain
    of protocols netprobe understands, from the link layer up.
    """
    spec = SPECS[kind]
    reachable = 0
    for proto in frame.chain:
        if not understood(proto, classes):
            break
        if proto in spec.protocols:
            reachable += 1
    complete = [n for n in frame.nodes if n.name in spec.protocols
                and all(n.first(f) is not None for f in spec.required)]
    return min(reachable, len(complete))


def _encap(linktype: Any) -> int | None:
    return None if linktype is None else encap_for_linktype(int(linktype))


def _check_time(number: int, mine: Any, theirs: Any, out: list[Mismatch]) -> bool:
    if not isinstance(theirs, str) or not theirs:
        return False
    ts = frame_time(theirs)
    if isinstance(mine, (int, float)) and not isinstance(mine, bool):
        # a JSON number is a double: it must be the double nearest the exact time (within
        # one unit in the last place: a quarter of a microsecond for today's epoch times)
        ok = abs(Fraction(mine) - ts) <= Fraction(math.ulp(mine))
    elif isinstance(mine, str):
        exact = Fraction(Decimal(mine))
        digits = len(mine.partition(".")[2])
        # tshark shows nanoseconds; finer units (2^-n resolutions) are rounded there.
        ok = abs(exact - ts) < Fraction(1, 10**9) if digits > 9 else exact == ts
    else:
        return False
    if not ok:
        out.append(Mismatch(number, "frame.time_epoch", mine, theirs))
    return True
