"""``conf``: the library's settings, as Scapy's ``conf`` names them.

``conf.verb`` (0 quiet, 2 Scapy's default) sets how much ``sr``/``send`` tell;
``conf.iface`` is the interface used when a call names none (the default route's
until set); ``conf.route`` and ``conf.route6`` are the kernel's routing tables,
read-only. Other attributes may be set freely (scripts set Scapy's switches such
as ``conf.checkIPaddr``); those netprobe has no use for change nothing.
"""

from __future__ import annotations

from typing import Any

from netprobe.library.route_table import RouteTable, RouteTable6

__all__ = ["Conf", "conf"]


class Conf:
    """The settings object (one instance: ``conf``)."""

    def __init__(self) -> None:
        self.verb = 2
        self.checkIPaddr = True  # Scapy's names and defaults, which scripts set
        self.checkIPsrc = True
        self.checkIPinIP = True
        self.checkIPID = False
        self.padding = 1
        self.except_filter = ""
        self.debug_match = False
        self.promisc = True
        self.sniff_promisc = True
        self.use_pcap = True
        self.debug_dissector = False
        self._iface: str | None = None

    @property
    def iface(self) -> str:
        """The default interface: set by the script, else the default route's."""
        if self._iface is not None:
            return self._iface
        from netprobe.library.interfaces import default_iface

        return default_iface() or "lo"

    @iface.setter
    def iface(self, name: Any) -> None:
        self._iface = None if name is None else str(name)

    def chosen_iface(self) -> str | None:
        """The interface the script set, or None (then each call picks by route)."""
        return self._iface

    @property
    def raw_layer(self) -> Any:
        """The class of bytes no layer claims (``Raw``): what a user layer's
        ``guess_payload_class`` answers for "nothing I know"."""
        from netprobe.packet.layers.raw import Raw

        return Raw

    @property
    def padding_layer(self) -> Any:
        """The class of trailing bytes outside a layer (``Padding``)."""
        from netprobe.packet.layers.raw import Padding

        return Padding

    @property
    def route(self) -> RouteTable:
        """The kernel's IPv4 routing table (read-only)."""
        return RouteTable()

    @property
    def route6(self) -> RouteTable6:
        """The kernel's IPv6 routing table (read-only)."""
        return RouteTable6()

    def __repr__(self) -> str:
        names = ["checkIPaddr", "debug_dissector", "iface", "promisc", "sniff_promisc",
                 "use_pcap", "verb"]
        return "\n".join(f"{n:<15} = {getattr(self, n)!r}" for n in names)


conf = Conf()
