"""Which layer rides on which: one table for building and dissecting.

Importing this module registers every binding and link type. Layer families
add their lines here, next to their neighbours.
"""

from __future__ import annotations

from netprobe.packet.dissect import ETHERNET, LINKTYPES
from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP
from netprobe.packet.shape import MAX_8023_LENGTH

bind_layers(Ether, IP, type=0x0800)
bind_layers(IP, TCP, proto=6)
bind_layers(IP, UDP, proto=17)
bind_layers(IP, IP, proto=4)



def ethernet_class(data: bytes) -> type[Layer]:
    """Link type 1: an 802.3 frame (the type field a length, 1500 or less) is ``Dot3``,
    as Scapy reads it; anything else ``Ether``."""
    if len(data) >= 14 and (data[12] << 8 | data[13]) <= MAX_8023_LENGTH:
        from netprobe.packet.layers.link import Dot3

        return Dot3
    return Ether


#: the classes a capture of this link type starts with (for writers: link type of a class)
ethernet_class.layer_names = ("Ether", "Dot3")  # type: ignore[attr-defined]
LINKTYPES[1] = ethernet_class
ETHERNET[:] = [ethernet_class, Ether]
LINKTYPES[228] = IP


def raw_ip_class(data: bytes) -> type[Layer]:
    """Raw-IP link types (101, 12): IPv6 when the version nibble says 6, IPv4 otherwise.

    Anything that is not 6 goes to IPv4, whose dissector notes a wrong version. Here
    with the core, so that reading raw-IP frames imports no other layer family.
    """
    if data and data[0] >> 4 == 6:
        from netprobe.packet.layers.ipv6 import IPv6

        return IPv6
    return IP


LINKTYPES[12] = raw_ip_class  # DLT_RAW on most systems
LINKTYPES[101] = raw_ip_class  # LINKTYPE_RAW
