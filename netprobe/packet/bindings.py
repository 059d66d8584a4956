"""Which layer rides on which: one table for building and dissecting.

Importing this module registers every binding and link type. Layer families
add their lines here, next to their neighbours.
"""

from __future__ import annotations

from netprobe.packet.dissect import LINKTYPES
from netprobe.packet.layer import bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

bind_layers(Ether, IP, type=0x0800)
bind_layers(IP, TCP, proto=6)
bind_layers(IP, UDP, proto=17)
bind_layers(IP, IP, proto=4)

LINKTYPES[1] = Ether
LINKTYPES[228] = IP
