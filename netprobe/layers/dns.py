"""``scapy.layers.dns``'s names: DNS and its records."""

from netprobe.layers.face_subset import face_subset

_NAMES = face_subset(("Packet", "Raw"), prefixes=("DNS", "EDNS0"))
globals().update(_NAMES)
__all__ = sorted(_NAMES)
