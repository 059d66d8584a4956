"""What an answer to a traceroute probe says: who sent it, what kind it is, what it quotes.

Pure functions of dissected packets. A reply kind is named the way
traceroute(8) users read it: ``time-exceeded`` from a router on the way,
``port-unreach`` / ``echo-reply`` / ``syn-ack`` / ``reset`` / ``udp-reply``
from the destination, and traceroute's flags for the other unreachables
(``!N`` network, ``!H`` host, ``!P`` protocol, ``!F`` fragmentation needed,
``!S`` source route, ``!X`` administratively prohibited, ``!V`` precedence
violation, ``!C`` precedence cut-off, ``!<code>`` anything else), all read
from the one ICMP table, :data:`netprobe.packet.shape.ICMP`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from netprobe.packet.layer import Layer
from netprobe.packet.layers.ipv6_ext import ExtensionHeader
from netprobe.packet.shape import PORT_UNREACH, TIME_EXCEEDED, trace_mark
from netprobe.services.packetview import hop_limit, ip_layer

if TYPE_CHECKING:
    from netprobe.packet.layers.icmp_ext_layers import ICMPExtension_Header
    from netprobe.packet.layers.icmp_extension import ICMPExtension

#: kinds only the destination itself sends back to a probe
DESTINATION_KINDS = frozenset((PORT_UNREACH, trace_mark(4, 0, 0), "syn-ack", "reset",
                               "udp-reply"))

class Reply(NamedTuple):
    """One decoded answer.

    ``quoted_ttl`` is the TTL (hop limit) of the probe as quoted by an ICMP
    error: what was left of it where the error was made, which tells how far
    that node is. ``reply_ttl`` is the answer's own TTL. ``mpls`` is the RFC
    4950 label stack of an RFC 4884 extension, outermost label first.
    """

    addr: str
    kind: str
    reply_ttl: int
    quoted_ttl: int | None = None
    mpls: tuple[dict[str, int], ...] = ()

    @property
    def terminal(self) -> bool:
        """True when the probe went no further than this node (anything but time exceeded)."""
        return self.kind != TIME_EXCEEDED


def tcp_kind(flags: int) -> str:
    """The kind of a TCP segment answering a SYN probe."""
    if flags & 0x04:
        return "reset"
    if flags & 0x12 == 0x12:
        return "syn-ack"
    return f"tcp-{flags:#x}"


def mpls_stack(ext: ICMPExtension | ICMPExtension_Header | None) -> tuple[dict[str, int], ...]:
    """The MPLS label stack entries of an RFC 4884 extension structure (or none)."""
    if ext is None:
        return ()
    return tuple(label.to_dict() for label in ext.labels)


def _transport(net: Layer) -> Layer | None:
    """The first layer above ``net`` that is not an IPv6 extension header."""
    layer = net._payload
    while isinstance(layer, ExtensionHeader):
        layer = layer._payload
    return layer


def _quoted_ttl(error: Layer) -> int | None:
    from netprobe.packet import IP

    quoted = error._payload  # IPerror / IPerror6 (subclasses of IP / IPv6)
    if isinstance(quoted, IP):
        return int(quoted.ttl)
    # imported only here: an IPv4 trace has no use for the IPv6 layers
    from netprobe.packet.layers.ipv6 import IPv6

    if isinstance(quoted, IPv6):
        return int(quoted.hlim) if quoted.hlim is not None else None
    return None


def decode_reply(answer: Layer) -> Reply | None:
    """Decode an answer (a frame or an IP packet); None when it is nothing a probe gets."""
    net = ip_layer(answer)
    if net is None:
        return None
    v6 = type(net).__name__ == "IPv6"
    addr = str(net.src)
    ttl = hop_limit(net) or 0
    top = _transport(net)
    if top is None:
        return None
    name = type(top).__name__
    if name == "TCP":
        return Reply(addr, tcp_kind(int(top.flags)), ttl)
    if name == "UDP":
        return Reply(addr, "udp-reply", ttl)
    if name.startswith("ICMPv6") if v6 else name == "ICMP":
        # the kind from the one ICMP table (shape.trace_mark)
        quoted = _quoted_ttl(top) if getattr(top, "quotes_packet", False) else None
        return Reply(addr, trace_mark(6 if v6 else 4, top.type, top.code), ttl, quoted,
                     mpls_stack(getattr(top, "ext", None)))
    return None


def hops_back(reply_ttl: int) -> int:
    """How many hops an answer travelled, guessing the sender started at 32, 64, 128 or 255."""
    for initial in (32, 64, 128, 255):
        if reply_ttl <= initial:
            return initial - reply_ttl + 1
    return 1
