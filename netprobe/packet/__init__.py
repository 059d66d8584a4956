"""Floor 1: the packet-crafting engine (pure: no sockets, no files).

Importing this package registers every layer family; each family's module
binds itself to its neighbours at its end (``bind_layers``). The import is
kept cheap for the command line's sake: the layer classes' generated code is
written on first use (see ``layer.py``), not here.
"""

from __future__ import annotations

import sys

from netprobe.packet import bindings as _bindings  # noqa: F401 - registers the core tables
from netprobe.packet.dissect import LINKTYPES, dissect, dissect_as
from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.raw import Padding, Raw
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

__all__ = ["IP", "LINKTYPES", "TCP", "UDP", "Ether", "Layer", "Padding", "Raw", "bind_layers",
           "dissect", "dissect_as", "layer_classes"]

#: layer family modules; each defines ``__all__`` with its public layer classes
FAMILIES = ("link", "arp", "icmp", "ipv6", "icmpv6", "dns", "dot11", "icmp_error",
            "mpls", "gre", "vxlan", "dhcp", "http", "pppoe")

for _family in FAMILIES:
    _modname = f"netprobe.packet.layers.{_family}"
    try:
        # __import__, not importlib.import_module: ``python -X importtime`` then charges
        # each family its own time instead of counting it as this package's
        __import__(_modname)
    except ModuleNotFoundError as _exc:  # a family not written yet
        if _exc.name != _modname:
            raise
        continue
    _mod = sys.modules[_modname]
    for _name in getattr(_mod, "__all__", ()):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)


def layer_classes() -> dict[str, type[Layer]]:
    """Every public layer class by name (what ``craft`` expressions may use)."""
    return {n: v for n, v in globals().items()
            if isinstance(v, type) and issubclass(v, Layer) and v is not Layer and n in __all__}
