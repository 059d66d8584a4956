"""The exceptions of the capture-file face, under Scapy's documented name.

Scripts written for Scapy catch ``Scapy_Exception`` around ``rdpcap``; here a
file that is not a capture raises it with Scapy's words, and a damaged file
raises :class:`CaptureDamaged` (a ``Scapy_Exception`` too) after the packets
before the damage, which it carries.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CaptureDamaged", "Scapy_Exception"]


class Scapy_Exception(Exception):  # noqa: N801 - Scapy's name, which scripts catch
    """An error of the library face, as Scapy names it (``except Scapy_Exception``)."""


class CaptureDamaged(Scapy_Exception):
    """A capture file is not readable as one, or is damaged at a known offset.

    Attributes: ``path``, ``offset`` (None when unknown), ``reason``, and
    ``packets``: what was read before the damage (a ``PacketList`` from
    ``rdpcap``, else empty).
    """

    def __init__(self, path: str, offset: int | None, reason: str, packets: Any = None) -> None:
        self.path = path
        self.offset = offset
        self.reason = reason
        self.packets = packets if packets is not None else []
        where = f" at offset {offset}" if offset is not None else ""
        super().__init__(f"{path}{where}: {reason}")


class NotACaptureFile(CaptureDamaged):
    """The file is neither pcap nor pcapng; the message is Scapy's own."""

    def __str__(self) -> str:
        return "Not a supported capture file"
