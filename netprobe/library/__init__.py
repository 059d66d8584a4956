"""The library face's own parts: capture files as packets, packet lists, offline sniffing,
``conf`` and the probing tools (``traceroute``, ``arping``).

The modules sit on the floors of what they touch: ``packet_list``, ``sessions``,
``table`` and ``timestamps`` are pure (packets only, floor 1: the engine's result
lists build on them); ``pcap_read``, ``pcap_write`` and ``sniff_offline`` read and write files
(floor 2); ``config`` and ``tools`` ask the wire and the engine. Nothing here is
imported by ``import netprobe``: ``netprobe/__init__.py`` loads each name on first use.
"""
