"""The IPv6 family: the IPv6 header, its extension headers and options, AH.

The classes live in ``ipv6_header``, ``ipv6_ext`` and ``ipv6_options``; this
module binds them to their neighbours and names the public ones.
"""

from __future__ import annotations

from netprobe.packet.layer import bind_layers, imported
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_ext import (
    AH,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
)
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.ipv6_options import HAO, HBHOptUnknown, Jumbo, Pad1, PadN, RouterAlert
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

__all__ = ["AH", "HAO", "HBHOptUnknown", "IPv6", "IPv6ExtHdrDestOpt", "IPv6ExtHdrFragment",
           "IPv6ExtHdrHopByHop", "IPv6ExtHdrRouting", "Jumbo", "Pad1", "PadN", "RouterAlert"]

bind_layers(Ether, IPv6, type=0x86DD)
bind_layers(IP, IPv6, proto=41)  # 6in4 (RFC 4213)
bind_layers(IP, AH, proto=51)

# Bound under IPv6 only: extension headers and AH share IPv6's table, and
# building one fills its unset nh from these same bindings.
for _upper, _nh in ((IPv6ExtHdrHopByHop, 0), (IP, 4), (TCP, 6), (UDP, 17), (IPv6, 41),
                    (IPv6ExtHdrRouting, 43), (IPv6ExtHdrFragment, 44), (AH, 51),
                    (IPv6ExtHdrDestOpt, 60)):
    bind_layers(IPv6, _upper, nh=_nh)

# Under the link layers' headers (802.1Q, SNAP, cooked, loopback, PPP) IPv6 is bound by
# the link module, now or when it is imported (``when_imported``).
imported(__name__)
