"""``lsc()``: the library face's commands, one line each (Scapy's ``lsc``).

netprobe has fewer commands than Scapy (no attacks, no GUI helpers); the list is
of what netprobe has, each with the first line of its own docstring, in Scapy's
layout (``name : what it does``).
"""

from __future__ import annotations

import importlib

__all__ = ["lsc"]

#: the commands ``lsc()`` lists, in its (alphabetical) order
COMMANDS = ("arping", "chexdump", "defrag", "defragment", "defragment6", "fragment",
            "fragment6", "fuzz", "hexdiff", "hexdump", "hexstr", "import_hexcap",
            "linehexdump", "ls", "lsc", "rdpcap", "send", "sendp", "sniff", "sr", "sr1",
            "srp", "srp1", "traceroute", "wrpcap", "wrpcapng")


def lsc() -> None:
    """List the user commands of the library, one line each."""
    face = importlib.import_module("netprobe")
    for name in COMMANDS:
        doc = (getattr(face, name).__doc__ or "").strip().splitlines()
        print(f"{name:<22}: {doc[0] if doc else ''}")
