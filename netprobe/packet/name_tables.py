"""Scapy's tables of names for numbers (``IP_PROTOS``, ``TCP_SERVICES``, ``ETHER_TYPES``...).

A script reads them both ways: ``IP_PROTOS[6]`` is ``'tcp'`` and ``IP_PROTOS.tcp``
is ``6``; ``80 in TCP_SERVICES`` asks for a number. The names are the system's
(``/etc/protocols``, ``/etc/services``, ``/etc/ethertypes``), read by
:mod:`netprobe.packet.sysnames` on first use, never at import. Also Scapy's two
MAC address constants, as the bytes Scapy gives them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from netprobe.packet import sysnames

__all__ = ["ETHER_ANY", "ETHER_BROADCAST", "ETHER_TYPES", "IP_PROTOS", "TCP_SERVICES",
           "UDP_SERVICES", "NameTable"]

#: the all-zero and the broadcast MAC address, as bytes (Scapy's values)
ETHER_ANY = b"\x00" * 6
ETHER_BROADCAST = b"\xff" * 6


class NameTable:
    """Number -> name by index, name -> number by attribute (Scapy's ``DADict``)."""

    __slots__ = ("_load", "_name", "_table")

    def __init__(self, name: str, load: Callable[[], dict[int, str]]) -> None:
        self._name = name
        self._load = load
        self._table: dict[int, str] | None = None

    @property
    def d(self) -> dict[int, str]:
        """The table itself: number -> name."""
        if self._table is None:
            self._table = dict(self._load())
        return self._table

    def __getitem__(self, number: int) -> str:
        return self.d[number]

    def __getattr__(self, name: str) -> int:
        if name.startswith("_"):
            raise AttributeError(name)
        for number, known in self.d.items():
            if known == name:
                return number
        raise AttributeError(name)

    def __contains__(self, number: object) -> bool:
        return number in self.d

    def __iter__(self) -> Iterator[int]:
        return iter(self.d)

    def __len__(self) -> int:
        return len(self.d)

    def keys(self) -> list[int]:
        """The numbers named."""
        return list(self.d)

    def values(self) -> list[str]:
        """The names."""
        return list(self.d.values())

    def iterkeys(self) -> Iterator[int]:
        """The numbers named, one by one."""
        return iter(self.d)

    def itervalues(self) -> Iterator[str]:
        """The names, one by one."""
        return iter(self.d.values())

    def __dir__(self) -> list[str]:
        return sorted(set(self.d.values()))

    def __repr__(self) -> str:
        return f"<{self._name} - {len(self.d)} elements>"

    __str__ = __repr__


IP_PROTOS = NameTable("/etc/protocols", sysnames.ip_proto_names)
TCP_SERVICES = NameTable("/etc/services-tcp", lambda: sysnames.service_names("tcp"))
UDP_SERVICES = NameTable("/etc/services-udp", lambda: sysnames.service_names("udp"))
ETHER_TYPES = NameTable("/etc/ethertypes", sysnames.ether_type_names)
