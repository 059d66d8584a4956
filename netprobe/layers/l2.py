"""``scapy.layers.l2``'s names: Ethernet, 802.1Q, ARP, 802.3/LLC/SNAP, cooked captures."""

from netprobe.layers.face_subset import face_subset

_NAMES = face_subset(("Ether", "ARP", "Dot1Q", "Dot1AD", "Dot3", "LLC", "SNAP", "CookedLinux",
                      "CookedLinuxV2", "Loopback", "arping", "Packet", "Raw", "Padding"))
globals().update(_NAMES)
__all__ = sorted(_NAMES)
