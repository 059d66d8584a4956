"""The packet an ICMP or ICMPv6 error quotes: its layers, and its hash key.

As in Scapy, the quoted packet dissects as ``IPerror``/``TCPerror``/
``UDPerror``/``ICMPerror`` (``IPerror6`` for IPv6): subclasses of ``IP``,
``TCP``, ``UDP`` and ``ICMP`` with the same fields and bytes, told apart by
class. Layer lookup matches the class exactly, so ``haslayer(TCP)`` is false
on an ICMP error about a TCP probe and ``pkt[IPerror]`` reaches the quote.

An error's hash key must equal its probe's, and the probe's key comes from its
transport header. Routers often quote only 8 bytes after the IP header (RFC
792's minimum): enough for the ports and TCP's sequence number, too short for
a whole TCP header. Such a quote is a ``TCPerror`` cut short (it builds back
the bytes it was read from); for the key, a stand-in TCP/UDP header is made
from the bytes present, and the key is computed by the layers themselves, so
this module knows nothing of how keys are formed.
"""

from __future__ import annotations

from struct import Struct

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6, next_header_class
from netprobe.packet.layers.raw import Raw
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

__all__ = ["IPerror", "IPerror6", "TCPerror", "UDPerror"]

_HH = Struct("!HH")
_HHI = Struct("!HHI")


class IPerror(IP):
    """The IPv4 header of a packet quoted by an ICMP error (Scapy's ``IPerror``)."""

    fields = IP.fields
    name = "IP in ICMP"
    mysummary = Layer.mysummary  # summary() shows the class name alone, as Scapy's

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self._key is None:
            return None  # a later fragment: the bytes do not start a header
        key = ("proto", self._key)
        return self._dissect_table.get(key) or IP._dissect_table.get(key)


class TCPerror(TCP):
    """The TCP header of a packet quoted by an ICMP error (often only its first 8 bytes)."""

    fields = TCP.fields
    name = "TCP in ICMP"
    mysummary = Layer.mysummary  # summary() shows the class name alone, as Scapy's

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return _by_ports(TCP, self)


class UDPerror(UDP):
    """The UDP header of a packet quoted by an ICMP error."""

    fields = UDP.fields
    name = "UDP in ICMP"
    mysummary = Layer.mysummary  # summary() shows the class name alone, as Scapy's

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return _by_ports(UDP, self)


def _by_ports(base: type[Layer], layer: Layer) -> type[Layer] | None:
    """What rides on a quoted transport header: the same as on ``base`` (DNS on UDP)."""
    table = base._dissect_table
    for key in base.dissect_keys:
        cls = table.get((key, getattr(layer, key)))
        if cls is not None:
            return cls
    return None


class IPerror6(IPv6):
    """The IPv6 header of a packet quoted by an ICMPv6 error (Scapy's ``IPerror6``)."""

    fields = IPv6.fields
    name = "IPv6 in ICMPv6"
    mysummary = Layer.mysummary  # summary() shows the class name alone, as Scapy's

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        cls = next_header_class(self.nh, buf, off, end)
        return _V6_TWINS.get(cls, cls)


#: IPv6 next-header classes -> their twin inside a quote (ICMPv6 messages stay themselves)
_V6_TWINS: dict[type[Layer] | None, type[Layer]] = {TCP: TCPerror, UDP: UDPerror}


def quote_twin(header: Layer, cls: type[Layer] | None) -> type[Layer] | None:
    """``cls`` as it dissects above IPv6 extension header ``header``: its twin
    (``TCPerror``...) when the headers belong to a packet an ICMPv6 error quotes."""
    twin = _V6_TWINS.get(cls)
    if twin is None:
        return cls
    under = header._under
    while under is not None and not isinstance(under, IPv6):
        under = under._under
    return twin if type(under) is IPerror6 else cls


bind_layers(IPerror, TCPerror, proto=6)
bind_layers(IPerror, UDPerror, proto=17)
bind_layers(IPerror, IP, proto=4)
for _cls, _nh in ((TCPerror, 6), (UDPerror, 17)):
    bind_layers(IPerror6, _cls, dissect=False, nh=_nh)


def _transport_number(layer: Layer) -> int | None:
    """The protocol number ``layer`` announces for the bytes above it, if any."""
    for name in ("proto", "nh"):
        v = getattr(layer, name, None)
        if isinstance(v, int):
            return v
    return None


def stand_in_transport(layer: Layer, raw: bytes) -> Layer | None:
    """A TCP/UDP header built from the first bytes of a cut-short quote, or None."""
    proto = _transport_number(layer)
    if proto == 6 and len(raw) >= 8:
        sport, dport, seq = _HHI.unpack_from(raw)
        return TCP(sport=sport, dport=dport, seq=seq)
    if proto == 6 and len(raw) >= 4:
        sport, dport = _HH.unpack_from(raw)
        return TCP(sport=sport, dport=dport)
    if proto == 17 and len(raw) >= 4:
        sport, dport = _HH.unpack_from(raw)
        return UDP(sport=sport, dport=dport)
    return None


def quoted_hashkey(quoted: Layer | None) -> bytes:
    """The hash key of the quoted packet ``quoted`` (an IP or IPv6 layer), or b""."""
    if quoted is None:
        return b""
    last = quoted
    while last._payload is not None and type(last._payload) is not Raw:
        last = last._payload
    top = last._payload
    # a later fragment's bytes do not start a header: nothing to stand in for
    if top is None or getattr(last, "frag", 0) or getattr(last, "offset", 0):
        return quoted.hashkey()
    stub = stand_in_transport(last, top.load or b"")
    if stub is None:
        return quoted.hashkey()
    copy = quoted.copy()
    tail = copy
    while tail._payload is not None and type(tail._payload) is not Raw:
        tail = tail._payload
    tail._payload = stub
    stub._under = tail
    return copy.hashkey()
