"""The hook through which building asks floor 2 for a source address.

Floor 1 never opens a socket: ``netprobe.wire.route`` installs a resolver here,
and an IP/IPv6 layer with no ``src`` asks it while building. When none is
installed yet, the first lookup installs the one the library face names
(``netprobe._SOURCE_HOOK``, "module:function"), so that ``bytes(IP(dst=...))``
fills its source anywhere, not only inside ``sr()``; floor 1 names no module
of the floors above it.
"""

from __future__ import annotations

from collections.abc import Callable

from netprobe.errors import UsageError

SourceResolver = Callable[[str], "str | None"]

_resolver: SourceResolver | None = None
#: destination -> the MAC address of the interface its route leaves by (or None)
_mac_resolver: SourceResolver | None = None
#: answers of the resolver, so that building a million probes asks once per destination
_cache: dict[str, str] = {}


def set_source_resolver(fn: SourceResolver | None) -> None:
    """Install (or remove, with None) the function mapping a destination to a source.

    Removed, the library face's default is installed again on the next need.
    """
    global _resolver, _tried
    _resolver = fn
    _tried = fn is not None
    _cache.clear()
    _mac_cache.clear()
    _dst_mac_cache.clear()


def set_mac_resolver(fn: SourceResolver | None) -> None:
    """Install (or remove) the function mapping a destination to the MAC address of the
    interface its route leaves by (what an unset Ethernet or ARP source reads as)."""
    global _mac_resolver
    _mac_resolver = fn
    _mac_cache.clear()


_mac_cache: dict[str, str] = {}
_ZERO_MAC = "00:00:00:00:00:00"

#: IP destination -> the MAC address of its next hop that the kernel already knows
_dst_mac_resolver: SourceResolver | None = None
#: its answers ("" for none), so that building many frames asks once per destination
_dst_mac_cache: dict[str, str] = {}


def set_dst_mac_resolver(fn: SourceResolver | None) -> None:
    """Install (or remove) the function mapping an IP destination to the MAC address of
    its next hop, as the kernel's neighbour table knows it (what an unset Ethernet
    destination is built with)."""
    global _dst_mac_resolver
    _dst_mac_resolver = fn
    _dst_mac_cache.clear()


def destination_mac(dst: object) -> str | None:
    """The MAC address an unset Ethernet destination takes for IP destination ``dst``,
    as Scapy fills it: a multicast group's own, else the next hop's (the gateway's, or
    ``dst``'s on a link) when the kernel already knows it; else None (broadcast).
    Nothing is sent to learn an address."""
    if not isinstance(dst, str):
        return None
    from netprobe.packet.addresses import multicast_mac  # only frames built with no dst

    mac = multicast_mac(dst)
    if mac is not None:
        return mac
    return _ask(_dst_mac_cache, "_dst_mac_resolver", dst) or None


def source_mac(dst: object) -> str:
    """The MAC address of the interface the route to ``dst`` leaves by, as Scapy fills an
    unset Ethernet source; all zeros when there is none (loopback, no route, no hook)."""
    if not isinstance(dst, str):
        return _ZERO_MAC
    return _ask(_mac_cache, "_mac_resolver", dst) or _ZERO_MAC


def _ask(cache: dict[str, str], resolver: str, dst: str) -> str:
    """What the MAC resolver named ``resolver`` (a global of this module, which the named
    hook may install) answers for ``dst``, "" for nothing; remembered in ``cache``."""
    known = cache.get(dst)
    if known is not None:
        return known
    if _resolver is None:
        _install_named_hook()
    fn = globals()[resolver]
    try:
        mac = (fn(dst) if fn is not None else None) or ""
    except (UsageError, OSError, ValueError):
        mac = ""
    if len(cache) > 10_000:
        cache.clear()
    cache[dst] = mac
    return mac


def _install_named_hook() -> None:
    """Run the installer the library face names, once; quietly nothing if it cannot."""
    global _tried
    if _tried:
        return
    _tried = True
    import importlib

    import netprobe

    spec = getattr(netprobe, "_SOURCE_HOOK", None)
    if not spec:
        return
    module, _, func = spec.partition(":")
    try:
        getattr(importlib.import_module(module), func)()
    except (ImportError, AttributeError, OSError):
        return


_tried = False


def source_or_none(dst: str) -> str | None:
    """The source address for ``dst``, or None when none can be found (for display)."""
    try:
        return resolve_source(dst)
    except UsageError:
        return None


def resolve_source(dst: str) -> str:
    """The source address for ``dst``; a clear UsageError when none can be found."""
    src = _cache.get(dst)
    if src is not None:
        return src
    if _resolver is None:
        _install_named_hook()
    if _resolver is None:
        raise UsageError(f"no source address for {dst}: set src= explicitly "
                         "(no route lookup is installed)")
    src = _resolver(dst)
    if not src:
        raise UsageError(f"no route to {dst}: cannot choose a source address (set src=)")
    if len(_cache) > 100_000:
        _cache.clear()
    _cache[dst] = src
    return src
