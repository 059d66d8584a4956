"""``from netprobe.all import *``: the whole library face, loaded at once.

For scripts ported from ``from scapy.all import *`` by changing one word: the same
names as ``from netprobe import *`` (every layer, ``sr``/``sniff``, ``rdpcap``,
``PacketList``, the helpers, ``conf``), imported eagerly, plus the standard modules
Scapy's ``*`` is relied on to bring: ``socket``, ``struct``, ``os``, ``time`` and
``random``. ``netprobe`` itself stays lazy, for the command line's start-up.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import time

import netprobe as _netprobe

#: the standard modules scripts expect from Scapy's ``*``
_STANDARD = {"os": os, "random": random, "socket": socket, "struct": struct, "time": time}

for _name in _netprobe.__all__:
    globals()[_name] = getattr(_netprobe, _name)

__all__ = sorted(set(_netprobe.__all__) | set(_STANDARD))
