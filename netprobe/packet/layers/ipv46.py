"""``IPv46``: Scapy's IP-or-IPv6 reader. ``IPv46(data)`` is an ``IPv6`` packet when the
bytes start with version 6, else an ``IP`` one (never an ``IPv46``).

It is IP's subclass, sharing IP's fields, as in Scapy, so a field of IP shows
this class among its owners (``<ByteField (IP,IPerror,IPv46).ttl>``). It is a
family of its own, loaded after ``icmp_error``, to come last in that list.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6

__all__ = ["IPv46"]


class IPv46(IP):
    """Reads IPv4 or IPv6 by the version in the first byte (makes ``IP`` or ``IPv6``)."""

    name = "Dummy class that implements guess_payload_class() for IPv6"
    #: making one makes an ``IP`` or an ``IPv6`` packet instead
    dispatches = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        data = args[0] if args else kwargs.get("_pkt")
        if isinstance(data, (bytes, bytearray, memoryview)) and len(data) and (
                bytes(data[:1])[0] >> 4 == 6):
            return IPv6(*args, **kwargs)
        return IP(*args, **kwargs)
