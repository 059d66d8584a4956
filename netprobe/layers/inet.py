"""``scapy.layers.inet``'s names: IPv4, TCP, UDP, ICMP and their quoted forms."""

from netprobe.layers.face_subset import face_subset

_NAMES = face_subset(("IP", "TCP", "UDP", "ICMP", "IPerror", "TCPerror", "UDPerror",
                      "ICMPerror", "IPOption", "fragment", "defragment", "defrag",
                      "traceroute", "in4_chksum", "Packet", "Raw", "Padding"),
                     prefixes=("IPOption",))
globals().update(_NAMES)
__all__ = sorted(_NAMES)
