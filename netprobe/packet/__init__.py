"""Floor 1: the packet-crafting engine (pure: no sockets, no files).

Importing this package registers the core layers (Ethernet, IPv4, TCP, UDP, Raw)
and their bindings. The other layer families are imported on first need: when
one of their names is asked of this package, when
``layer_classes()`` is asked, or when dissection meets a binding or a link type
not known yet (``load_families``). Each family's module binds itself to its
neighbours at its end (``bind_layers``). This keeps the command line's start-up
cheap: a port scan pays for the layers it uses, not for 802.11 or HTTP; and the
layer classes' generated code is written on first use (see ``layer.py``).
"""

from __future__ import annotations

import sys
from typing import Any

from netprobe.packet import bindings as _bindings  # noqa: F401 - registers the core tables
from netprobe.packet.dissect import LINKTYPES, dissect, dissect_as
from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.raw import Padding, Raw
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

#: the public names: the core's now, each family's added when the families are imported
#: (``from netprobe.packet import *`` gives every layer after ``load_families()``)
__all__ = ["IP", "LINKTYPES", "TCP", "UDP", "Ether", "Layer", "Padding", "Raw", "bind_layers",
           "dissect", "dissect_as", "layer_classes", "load_families"]

#: layer family modules; each defines ``__all__`` with its public layer classes
FAMILIES = ("link", "arp", "icmp", "ipv6", "icmpv6", "dns", "dot11", "icmp_error",
            "mpls", "gre", "vxlan", "dhcp", "http", "pppoe", "teredo", "l2tp",
            "ntp", "snmp", "tftp", "rip", "vrrp", "hsrp", "igmp", "ip_options",
            "sctp", "stp", "eap", "dhcp6", "ipsec", "ppp_control", "radius", "nbns", "llmnr",
            "rtp", "gtp", "icmp_ext_layers", "ipv46")

#: what each family's import binds above IP (by protocol), TCP and UDP (by port): the
#: ICMP quotes (IPerror, TCPerror, UDPerror) are read as what they quote
_ABOVE_IP: dict[int, tuple[str, ...]] = {
    1: ("icmp",), 2: ("igmp",), 41: ("ipv6",), 47: ("gre",), 50: ("ipsec",), 51: ("ipv6",),
    112: ("vrrp",), 132: ("sctp",)}
_ABOVE_TCP: dict[int, tuple[str, ...]] = {53: ("dns",), 139: ("nbns",)}
_ABOVE_UDP: dict[int, tuple[str, ...]] = {
    53: ("dns",), 5353: ("dns",), 5355: ("llmnr",), 67: ("dhcp",), 68: ("dhcp",),
    1701: ("l2tp",), 4789: ("vxlan",), 4790: ("vxlan",), 8472: ("vxlan",), 123: ("ntp",),
    161: ("snmp",), 162: ("snmp",), 69: ("tftp",), 520: ("rip",), 1985: ("hsrp",),
    137: ("nbns",), 138: ("nbns",), 546: ("dhcp6",), 547: ("dhcp6",), 4500: ("ipsec",),
    1812: ("radius",), 1813: ("radius",), 3799: ("radius",)}

#: the families whose import binds a layer above each of these classes (module.name), or
#: for a class keyed by ports, above each port: a dissection that finds nothing above one
#: of them imports only these, not every family (a traceroute's UDP probe to port 33434,
#: or the payload an ICMP error quotes, would otherwise cost a small command 45 ms of
#: imports); a class not listed imports them all. Only classes that choose the next layer
#: from their binding table (or from nothing a family can extend) are listed: IPv6 asks
#: the next-header registry the families fill. Checked against the families' own
#: bindings in tests/packet/test_import_cost.py.
FAMILIES_BINDING_UNDER: dict[str, tuple[str, ...] | dict[int, tuple[str, ...]]] = {
    "netprobe.packet.layers.ether.Ether": ("link", "arp", "pppoe", "eap", "ipv6"),
    "netprobe.packet.layers.ip.IP": _ABOVE_IP,
    "netprobe.packet.layers.tcp.TCP": _ABOVE_TCP,
    "netprobe.packet.layers.udp.UDP": _ABOVE_UDP,
    "netprobe.packet.layers.icmp.ICMP": (),
    "netprobe.packet.layers.icmp_quote.IPerror": {**_ABOVE_IP, 1: ("icmp", "icmp_error")},
    "netprobe.packet.layers.icmp_quote.TCPerror": _ABOVE_TCP,
    "netprobe.packet.layers.icmp_quote.UDPerror": _ABOVE_UDP,
    "netprobe.packet.layers.icmp_error.ICMPerror": (),
}

_families_loaded = False


def load_families() -> bool:
    """Import every layer family, adding its public names to this package.

    Returns True when the families were imported by this call, False when they
    already were (so a lookup that missed knows whether trying again can help).
    """
    global _families_loaded
    if _families_loaded:
        return False
    # set first: a family that asks this package for a name must not import them again
    _families_loaded = True
    names = __all__
    for family in FAMILIES:
        modname = f"netprobe.packet.layers.{family}"
        try:
            # __import__, not importlib.import_module: ``python -X importtime`` then charges
            # each family its own time instead of counting it as this package's
            __import__(modname)
        except ModuleNotFoundError as exc:  # a family not written yet
            if exc.name != modname:
                raise
            continue
        mod = sys.modules[modname]
        for name in getattr(mod, "__all__", ()):
            globals()[name] = getattr(mod, name)
            if name not in names:
                names.append(name)
    return True


def _is_submodule(name: str) -> bool:
    """True when ``name`` is a module or package of this package (not imported yet)."""
    import os

    here = os.path.dirname(__file__)
    return os.path.exists(os.path.join(here, name + ".py")) or os.path.isdir(
        os.path.join(here, name))


def __getattr__(name: str) -> Any:
    """A layer family's public name, importing the families on first need."""
    # ``from netprobe.packet import fastpath`` asks here before importing the submodule
    if name.startswith("__") or _is_submodule(name) or not load_families():
        raise AttributeError(f"module 'netprobe.packet' has no attribute {name!r}")
    try:
        return globals()[name]
    except KeyError:
        raise AttributeError(f"module 'netprobe.packet' has no attribute {name!r}") from None


def layer_classes() -> dict[str, type[Layer]]:
    """Every public layer class by name (what ``craft`` expressions may use)."""
    load_families()
    return {n: v for n, v in globals().items()
            if isinstance(v, type) and issubclass(v, Layer) and v is not Layer and n in __all__}
