"""``scapy.layers.inet6``'s names: IPv6, its extension headers, ICMPv6 and neighbour discovery."""

from netprobe.layers.face_subset import face_subset

_NAMES = face_subset(("fragment6", "defragment6", "in6_chksum", "Packet", "Raw", "Padding"),
                     prefixes=("IPv6", "ICMPv6", "IPerror6", "TCPerror6", "UDPerror6"))
globals().update(_NAMES)
__all__ = sorted(_NAMES)
