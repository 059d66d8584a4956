"""Scapy's names for link types and EtherTypes (``DLT_EN10MB``, ``ETH_P_IP``, ``MTU``).

Scripts pass them to ``wrpcap(..., linktype=DLT_RAW)`` or compare against them. The
link-type numbers a capture file records are the wire floor's (``LINKTYPE_*``); the
few ``DLT_*`` whose number differs from the file's (``DLT_RAW`` is 12 on Linux, the
file's raw IP is 101) keep Scapy's values, which the dissector reads as well.
"""

from __future__ import annotations

from netprobe.packet import linktypes as _lt
from netprobe.packet.shape import ETHERTYPE_IPV4, ETHERTYPE_IPV6, VLAN_TPIDS

__all__ = ["DLT_EN10MB", "DLT_IEEE802_11", "DLT_IEEE802_11_RADIO", "DLT_IPV4", "DLT_IPV6",
           "DLT_LINUX_SLL", "DLT_LINUX_SLL2", "DLT_LOOP", "DLT_NULL", "DLT_PPP", "DLT_RAW",
           "DLT_RAW_ALT", "ETH_P_8021Q", "ETH_P_ALL", "ETH_P_ARP", "ETH_P_IP", "ETH_P_IPV6",
           "MTU"]

DLT_NULL = _lt.LINKTYPE_NULL
DLT_EN10MB = _lt.LINKTYPE_ETHERNET
DLT_PPP = _lt.LINKTYPE_PPP
#: raw IP as Linux's libpcap numbers it live; files say 101 (``DLT_RAW_ALT``)
DLT_RAW = 12
DLT_RAW_ALT = _lt.LINKTYPE_RAW
DLT_LOOP = 108
DLT_IEEE802_11 = 105
DLT_IEEE802_11_RADIO = _lt.LINKTYPE_IEEE802_11_RADIOTAP
DLT_LINUX_SLL = _lt.LINKTYPE_LINUX_SLL
DLT_LINUX_SLL2 = _lt.LINKTYPE_LINUX_SLL2
DLT_IPV4 = _lt.LINKTYPE_IPV4
DLT_IPV6 = _lt.LINKTYPE_IPV6

#: EtherTypes (and ``ETH_P_ALL``, every protocol, for packet sockets)
ETH_P_ALL = 0x0003
ETH_P_IP = ETHERTYPE_IPV4
ETH_P_ARP = 0x0806
ETH_P_8021Q = VLAN_TPIDS[0]
ETH_P_IPV6 = ETHERTYPE_IPV6

#: Scapy's largest packet a socket reads (its snap length)
MTU = 0xFFFF
