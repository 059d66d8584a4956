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

__all__ = ["AKM_SUITES", "network_stats"]

#: AKM suite types (IEEE 802.11 table 9-151) under Scapy's names
AKM_SUITES = {0: "Reserved", 1: "802.1X", 2: "PSK", 3: "FT-802.1X", 4: "FT-PSK",
              5: "WPA-SHA256", 6: "PSK-SHA256", 7: "TDLS", 8: "SAE", 9: "FT-SAE",
              10: "AP-PEER-KEY", 11: "WPA-SHA256-SUITE-B", 12: "WPA-SHA384-SUITE-B",
              13: "FT-802.1X-SHA384", 14: "FILS-SHA256", 15: "FILS-SHA384",
              16: "FT-FILS-SHA256", 17: "FT-FILS-SHA384", 18: "OWE"}
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
    while isinstance(cur, Dot11Elt):
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
