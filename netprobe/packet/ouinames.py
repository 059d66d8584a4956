"""Organisation names of IEEE OUIs, read from the system's manufacturer file, as Scapy
shows them (``SNAP(OUI=0x0c)``: ``Cisco Systems, Inc (00:00:0c)``).

Wireshark's ``manuf`` file is read once, on first use (never at import); without
it an OUI shows as its three bytes alone.
"""

from __future__ import annotations

import functools
from typing import Any

from netprobe.packet.field import BitField

__all__ = ["OUIField", "oui_name", "oui_text"]

#: where Wireshark's manufacturer table lives on the systems netprobe runs on
MANUF_PATHS = ("/usr/share/wireshark/manuf", "/usr/local/share/wireshark/manuf", "/etc/manuf")


@functools.cache
def _manuf_text() -> str:
    """The manufacturer file's text (with a newline in front), or "" without one."""
    for path in MANUF_PATHS:
        try:
            with open(path, errors="replace") as handle:
                return "\n" + handle.read()
        except OSError:
            continue
    return ""


@functools.cache
def oui_name(oui: int) -> str | None:
    """The organisation of a 24-bit OUI (the long name, else the short one), or None.

    One lookup finds the OUI's line in the file's text, rather than reading every
    one of its tens of thousands of lines into a table.
    """
    text = _manuf_text()
    key = "\n" + (oui & 0xFFFFFF).to_bytes(3, "big").hex(":").upper() + "\t"
    at = text.find(key)
    if at < 0:
        return None
    end = text.find("\n", at + 1)
    parts = text[at + 1:end if end >= 0 else len(text)].split("\t")
    name = (parts[2] if len(parts) > 2 and parts[2].strip() else parts[1]).strip()
    return name or None


def oui_text(oui: int) -> str:
    """``name (xx:xx:xx)``, or ``xx:xx:xx`` for an OUI without a known name."""
    raw = (oui & 0xFFFFFF).to_bytes(3, "big").hex(":")
    name = oui_name(oui)
    return f"{name} ({raw})" if name else raw


class OUIField(BitField):
    """A 24-bit organisation identifier, shown with its organisation's name."""

    __slots__ = ()

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, 24)

    def i2repr(self, layer: Any, value: Any) -> str:
        """As Scapy: ``Officially Xerox, but 0:0:0:0:0:0 is more common (00:00:00)``."""
        return "None" if value is None else oui_text(int(value))
