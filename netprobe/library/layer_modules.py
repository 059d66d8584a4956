"""``load_layer`` and ``load_contrib``: Scapy's way of loading a layer module, accepted.

netprobe's layer classes all come with the package (``from netprobe import *``
gives every one), so loading one of Scapy's modules here checks that netprobe
has its layers, makes the ports or ethertypes that Scapy dissects only once
loaded (HTTP, MPLS) dissected from then on (``packet/optional_layers.py``) and,
as Scapy does, puts the names in ``globals_dict`` (the builtins when none is
given). A module netprobe has no layers for raises one
clear ``ImportError`` (Scapy logs the failure and carries on; the script would
then fail later, further from the cause).
"""

from __future__ import annotations

import builtins
import importlib
from typing import Any

from netprobe.packet import optional_layers

__all__ = ["load_contrib", "load_layer"]

#: Scapy layer module -> netprobe's family modules holding its layers
LAYER_MODULES: dict[str, tuple[str, ...]] = {
    "l2": ("ether", "link", "arp", "gre"), "inet": ("ip", "tcp", "udp", "icmp", "icmp_error"),
    "inet6": ("ipv6", "icmpv6", "icmp_error"), "dns": ("dns",), "dhcp": ("dhcp",),
    "http": ("http",), "vxlan": ("vxlan",), "ppp": ("link",), "llc": ("link",),
    "dot11": ("dot11",), "dot11_radiotap": ("dot11",),
}
#: Scapy contrib module -> netprobe's family modules holding its layers
CONTRIB_MODULES: dict[str, tuple[str, ...]] = {"mpls": ("mpls",), "gtp": ("gtp",)}


def _names(families: tuple[str, ...]) -> dict[str, Any] | None:
    """The public layer classes of ``families``, or None when one of them is missing."""
    import netprobe.packet  # noqa: F401 - registers every family and binding

    out: dict[str, Any] = {}
    for fam in families:
        try:
            mod = importlib.import_module(f"netprobe.packet.layers.{fam}")
        except ModuleNotFoundError:
            return None
        names = getattr(mod, "__all__", None)
        if names is None:  # a core module (ip, tcp...): its classes by name
            names = [n for n, v in vars(mod).items()
                     if isinstance(v, type) and v.__module__ == mod.__name__
                     and not n.startswith("_")]
        out.update((n, getattr(mod, n)) for n in names)
    return out


def _load(kind: str, table: dict[str, tuple[str, ...]], name: str,
          globals_dict: dict[str, Any] | None, symb_list: list[str] | None) -> None:
    families = table.get(name)
    names = None if families is None else _names(families)
    if names is None:
        known = ", ".join(sorted(n for n, f in table.items() if _names(f) is not None))
        raise ImportError(f"netprobe has no {kind} module {name!r} (it has: {known})")
    optional_layers.load(name)  # HTTP, MPLS: dissected from now on, as in Scapy
    target = builtins.__dict__ if globals_dict is None else globals_dict
    target.update(names)
    if symb_list is not None:
        symb_list.extend(names)


def load_layer(name: str, globals_dict: dict[str, Any] | None = None,
               symb_list: list[str] | None = None) -> None:
    """Scapy's ``load_layer(name)``: accepted for the layer modules netprobe has."""
    _load("layer", LAYER_MODULES, name, globals_dict, symb_list)


def load_contrib(name: str, globals_dict: dict[str, Any] | None = None,
                 symb_list: list[str] | None = None) -> None:
    """Scapy's ``load_contrib(name)``: accepted for the contrib layers netprobe has."""
    _load("contrib", CONTRIB_MODULES, name, globals_dict, symb_list)
