"""Scapy's module paths for layers (``from netprobe.layers.inet import IP, TCP``).

Scripts import layers from ``scapy.layers.inet``, ``scapy.layers.l2``,
``scapy.layers.inet6`` and ``scapy.layers.dns`` as often as from ``scapy.all``
(the seed document does); these modules give the same names from netprobe, so
porting such a script changes ``scapy`` to ``netprobe`` in its import lines and
nothing else. Each holds no code of its own: its names are netprobe's.
"""
