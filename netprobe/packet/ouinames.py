"""Organisation names of IEEE OUIs, read from the system's manufacturer file, as Scapy
shows them (``SNAP(OUI=0x0c)``: ``Cisco Systems, Inc (00:00:0c)``).

Wireshark's ``manuf`` file is read once, on first use (never at import); without
it an OUI shows as its three bytes alone.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from netprobe.packet.field import BitField

__all__ = ["OUIField", "oui_names", "oui_text"]

#: where Wireshark's manufacturer table lives on the systems netprobe runs on
MANUF_PATHS = ("/usr/share/wireshark/manuf", "/usr/local/share/wireshark/manuf", "/etc/manuf")


@functools.cache
def oui_names() -> dict[int, str]:
    """24-bit OUI -> organisation name (the long name, else the short one)."""
    for path in MANUF_PATHS:
        try:
            text = Path(path).read_text(errors="replace")
        except OSError:
            continue
        out: dict[int, str] = {}
        for line in text.splitlines():
            if not line or line[0] == "#":
                continue
            parts = line.split("\t")
            prefix = parts[0].strip()
            if len(parts) < 2 or "/" in prefix or len(prefix) != 8:
                continue  # longer (/28, /36) blocks belong to no whole OUI
            try:
                oui = int(prefix.replace(":", "").replace("-", ""), 16)
            except ValueError:
                continue
            name = (parts[2] if len(parts) > 2 and parts[2].strip() else parts[1]).strip()
            out.setdefault(oui, name)
        return out
    return {}


def oui_text(oui: int) -> str:
    """``name (xx:xx:xx)``, or ``xx:xx:xx`` for an OUI without a known name."""
    raw = (oui & 0xFFFFFF).to_bytes(3, "big").hex(":")
    name = oui_names().get(oui)
    return f"{name} ({raw})" if name else raw


class OUIField(BitField):
    """A 24-bit organisation identifier, shown with its organisation's name."""

    __slots__ = ()

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, 24)

    def i2repr(self, layer: Any, value: Any) -> str:
        """As Scapy: ``Officially Xerox, but 0:0:0:0:0:0 is more common (00:00:00)``."""
        return "None" if value is None else oui_text(int(value))
