"""``from netprobe.all import *``: the whole library face, loaded at once.

For scripts ported from ``from scapy.all import *`` by changing one word: the same
names as ``from netprobe import *`` (every layer, ``sr``/``sniff``, ``rdpcap``,
``PacketList``, the helpers, ``conf``, and the standard modules Scapy's ``*`` is
relied on to bring: ``socket``, ``struct``, ``os``, ``time`` and ``random``),
imported eagerly. ``netprobe`` itself stays lazy, for the command line's start-up.
"""

from __future__ import annotations

import netprobe as _netprobe

for _name in _netprobe.__all__:
    globals()[_name] = getattr(_netprobe, _name)

__all__ = sorted(_netprobe.__all__)
