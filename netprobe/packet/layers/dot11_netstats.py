"""What a beacon or probe response says of its network, as Scapy's ``network_stats()``:
the SSID, the rates in Mb/s, the channel, and the security (``OPN``, ``WEP``,
``WPA/PSK``, ``WPA2/SAE``...) read from the RSN and WPA elements' first AKM suite.
"""

from __future__ import annotations

import struct
from struct import unpack_from
from typing import Any

from netprobe.packet.layer import Layer
from netprobe.packet.layers.dot11 import CAPABILITIES, Dot11Elt
from netprobe.packet.layers.dot11_rsn import AKM_SUITES

__all__ = ["network_stats"]

#: Microsoft's OUI and the vendor type of its WPA element
_WPA_ELEMENT = b"\x00\x50\xf2\x01"
_RSN, _VENDOR = 48, 221


def first_akm(body: bytes) -> int | None:
    """The type of the first AKM suite of an RSN (or WPA) element body (after the
    version), or None when the element is too short to hold one."""
    try:
        pos = 2 + 4  # version, group cipher suite
        (count,) = unpack_from("<H", body, pos)
        pos += 2 + 4 * count
        (akms,) = unpack_from("<H", body, pos)
        if not akms:
            return None
        return body[pos + 2 + 3]
    except (IndexError, struct.error):  # too short
        return None


def network_stats(body: Layer) -> dict[str, Any]:
    """ssid, rates, channel and crypto of a beacon's or probe response's elements."""
    out: dict[str, Any] = {}
    crypto: set[str] = set()
    cur = body._payload
    while isinstance(cur, Dot11Elt) or Dot11Elt in getattr(type(cur), "found_as", ()):
        info = cur.element_body()
        if cur.ID == 0:
            out["ssid"] = info.decode("utf-8", "replace")
        elif cur.ID in (1, 50):
            out.setdefault("rates", []).extend((b & 0x7F) / 2 for b in cur.rates)
        elif cur.ID == 3 and info:
            out["channel"] = info[0]
        elif cur.ID == _RSN:
            akm = first_akm(info)
            if akm is not None:
                crypto.add(f"WPA2/{AKM_SUITES.get(akm, akm)}")
        elif cur.ID == _VENDOR and info[:4] == _WPA_ELEMENT:
            akm = first_akm(info[4:])
            if akm is not None:
                crypto.add(f"WPA/{AKM_SUITES.get(akm, akm)}")
        cur = cur._payload
    privacy = CAPABILITIES.index("privacy")
    if not crypto and int(getattr(body, "cap", 0) or 0) >> privacy & 1:
        crypto.add("WEP")
    if not crypto:
        crypto.add("OPN")
    out["crypto"] = crypto
    return out
