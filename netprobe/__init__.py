"""netprobe: craft, send, sniff and dissect packets; scan, trace and analyse networks.

``from netprobe import IP, TCP, dissect`` gives the packet engine; names are
loaded on first use so that the command line starts fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it (loaded on first access)
_EXPORTS = {
    "dissect": "netprobe.packet",
    "Layer": "netprobe.packet",
    "Raw": "netprobe.packet",
    "Padding": "netprobe.packet",
    "Ether": "netprobe.packet",
    "IP": "netprobe.packet",
    "TCP": "netprobe.packet",
    "UDP": "netprobe.packet",
    "bind_layers": "netprobe.packet",
    "send": "netprobe.engine.api",
    "sendp": "netprobe.engine.api",
    "sr": "netprobe.engine.api",
    "sr1": "netprobe.engine.api",
    "srp": "netprobe.engine.api",
    "srp1": "netprobe.engine.api",
    "sniff": "netprobe.engine.api",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        import netprobe.packet as packet

        if name in getattr(packet, "__all__", ()):
            return getattr(packet, name)
        raise AttributeError(f"module 'netprobe' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    import netprobe.packet as packet

    return sorted(set(_EXPORTS) | set(packet.__all__) | {"__version__"})
