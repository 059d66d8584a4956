"""The layers of a packet quoted inside an ICMP/ICMPv6 error, as Scapy names them.

``IPerror``, ``TCPerror``, ``UDPerror`` and ``IPerror6`` live in
``icmp_quote`` (ICMP and ICMPv6 choose them); ``ICMPerror``, an ICMP message
quoted by another, lives here, above ``ICMP``.
"""

from __future__ import annotations

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.icmp import ICMP
from netprobe.packet.layers.icmp_quote import IPerror, IPerror6, TCPerror, UDPerror

__all__ = ["ICMPerror", "IPerror", "IPerror6", "TCPerror", "UDPerror"]


class ICMPerror(ICMP):
    """An ICMP message quoted by an ICMP error (Scapy's ``ICMPerror``)."""

    fields = ICMP.fields
    name = "ICMP in ICMP"
    mysummary = Layer.mysummary  # summary() shows the class name alone, as Scapy's


bind_layers(IPerror, ICMPerror, proto=1)
