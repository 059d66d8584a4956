"""The system's names for numbers, read as Scapy reads them: ports, IP protocols, EtherTypes.

Scapy shows a TCP port as ``http``, an IP protocol as ``tcp`` and an EtherType as
``IPv4`` from the system files ``/etc/services``, ``/etc/protocols`` and
``/etc/ethertypes``. ``show()``, ``summary()`` and ``repr()`` print the same
names, so the tables are read from the same files, once, on first use (never at
import). A missing file gives an empty table: numbers are then shown as numbers.
"""

from __future__ import annotations

import functools

__all__ = ["ether_type_names", "ip_proto_names", "service_names"]

#: EtherTypes Scapy names itself, whatever the system file says
_ETHER_OVERRIDES = {0x88A8: "802_1AD", 0x88E5: "802_1AE", 0x88E7: "802_1AH"}


def _lines(path: str) -> list[list[str]]:
    try:
        with open(path, errors="replace") as handle:
            text = handle.read()
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            out.append(words)
    return out


def _word(name: str) -> str:
    """A name as an identifier: ``ftp-data`` -> ``ftp_data``, ``ax.25`` -> ``ax_25``."""
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _ident(name: str) -> str:
    name = _word(name)
    return "n_" + name if name[:1].isdigit() else name


@functools.cache
def service_names(proto: str) -> dict[int, str]:
    """Port -> service name for ``"tcp"`` or ``"udp"`` (``ftp-data`` written ``ftp_data``)."""
    out: dict[int, str] = {}
    for words in _lines("/etc/services"):
        port, _, p = words[1].partition("/")
        if p == proto and port.isdigit():
            out[int(port)] = _word(words[0])
    return out


@functools.cache
def ip_proto_names() -> dict[int, str]:
    """IP protocol number -> name (``6`` -> ``tcp``)."""
    out: dict[int, str] = {}
    for words in _lines("/etc/protocols"):
        if words[1].isdigit():
            out[int(words[1])] = _word(words[0])
    return out


@functools.cache
def ether_type_names() -> dict[int, str]:
    """EtherType -> name (``0x0800`` -> ``IPv4``)."""
    out: dict[int, str] = {}
    for words in _lines("/etc/ethertypes"):
        try:
            out[int(words[1], 16)] = _ident(words[0])
        except ValueError:
            continue
    out.update(_ETHER_OVERRIDES)
    return out
