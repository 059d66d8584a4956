"""Layers dissected only once loaded, as in Scapy: HTTP and MPLS.

Scapy's ``from scapy.all import *`` builds every layer but dissects TCP port
80 as ``Raw`` until ``load_layer("http")``, and EtherType 0x8847 as ``Raw``
until ``load_contrib("mpls")``. netprobe's library does the same, so that a
script prints what it prints under Scapy; the command line (``read``,
``sniff``) loads them all. Building never depends on loading: a layer stacked
by hand is built, and fills the fields below it, either way.

A family module registers what loading adds to the dissection tables; loading
adds it, unloading (for tests) takes it back out.
"""

from __future__ import annotations

from netprobe.packet.layer import Layer

__all__ = ["is_loaded", "known", "load", "load_all", "register", "unload"]

#: one entry a loaded module adds: (layer class whose table gets it, key, upper class)
Entry = tuple[type[Layer], tuple[str, object], type[Layer]]

_REGISTERED: dict[str, list[Entry]] = {}
_LOADED: dict[str, list[Entry]] = {}


def register(name: str, entries: list[Entry]) -> None:
    """Declare the dissection entries that loading module ``name`` adds."""
    _REGISTERED.setdefault(name, []).extend(entries)


def _families() -> None:
    """Import the layer families (they register here when imported, on first need)."""
    from netprobe.packet import load_families

    load_families()


def known() -> tuple[str, ...]:
    """The names that can be loaded."""
    _families()
    return tuple(sorted(_REGISTERED))


def is_loaded(name: str) -> bool:
    """True once ``name`` is loaded."""
    return name in _LOADED


def load(name: str) -> None:
    """Add module ``name``'s dissection entries (no effect when already loaded)."""
    if name in _LOADED:
        return
    _families()
    added = []
    for lower, key, upper in _REGISTERED.get(name, ()):
        if key not in lower._dissect_table:
            lower._dissect_table[key] = upper
            added.append((lower, key, upper))
    _LOADED[name] = added


def unload(name: str) -> None:
    """Take module ``name``'s dissection entries back out (tests restore Scapy's default)."""
    for lower, key, upper in _LOADED.pop(name, ()):
        if lower._dissect_table.get(key) is upper:
            del lower._dissect_table[key]


def load_all() -> None:
    """Load every registered module (the command line dissects everything it knows)."""
    for name in known():
        load(name)
