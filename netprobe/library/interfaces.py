"""Scapy's interface helpers: ``get_if_list``, ``get_if_addr``, ``get_if_addr6``,
``get_if_hwaddr``, ``get_working_if``, answered from the wire floor's view of the
interfaces (netifaces; nothing is sent)."""

from __future__ import annotations

from typing import Any

__all__ = ["get_if_addr", "get_if_addr6", "get_if_hwaddr", "get_if_list", "get_working_if"]


def _iface(name: Any) -> Any:
    from netprobe.wire import iface

    return iface.interface(str(name))


def get_if_list() -> list[str]:
    """The names of the interfaces, in the kernel's order."""
    from netprobe.wire import iface

    return iface.interface_names()


def get_if_addr(name: Any) -> str:
    """The interface's first IPv4 address (``0.0.0.0`` when it has none)."""
    addrs = _iface(name).ipv4
    return addrs[0].address if addrs else "0.0.0.0"


def get_if_addr6(name: Any) -> str | None:
    """The interface's first global IPv6 address (not link-local), or None."""
    for a in _iface(name).ipv6:
        if not a.address.lower().startswith("fe80"):
            return a.address
    return None


def get_if_hwaddr(name: Any) -> str:
    """The interface's MAC address."""
    return _iface(name).mac or "00:00:00:00:00:00"


def default_iface() -> str | None:
    """The interface of the default route (IPv4's, else IPv6's), or None when there is none."""
    from netprobe.wire import iface

    try:
        gw = iface.default_gateway(4) or iface.default_gateway(6)
    except Exception:  # no netifaces answer: no default interface
        return None
    return gw.iface if gw is not None else None


def get_working_if() -> str:
    """The interface of the default route (``lo`` when there is none)."""
    from netprobe.library.config import conf

    return conf.iface
