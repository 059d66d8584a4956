"""The hash key of a packet quoted inside an ICMP or ICMPv6 error.

An error's hash key must equal its probe's, and the probe's key comes from its
transport header. Routers often quote only 8 bytes after the IP header (RFC
792's minimum): enough for the ports and TCP's sequence number, too short for
a TCP header to dissect, so the transport part of the quote is ``Raw``. Here
such a quote gets a stand-in TCP/UDP header made from the bytes present, and
the key is computed by the layers themselves, so this module knows nothing
of how keys are formed.
"""

from __future__ import annotations

from struct import Struct

from netprobe.packet.layer import Layer
from netprobe.packet.layers.raw import Raw
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

_HH = Struct("!HH")
_HHI = Struct("!HHI")


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
