"""What a beacon or probe response says of its network, as Scapy's ``network_stats()``:
the SSID, the rates in Mb/s, the channel, and the security (``OPN``, ``WEP``,
``WPA/PSK``, ``WPA2/SAE``...) read from the RSN and WPA elements' first AKM suite.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer
from netprobe.packet.layers.dot11 import CAPABILITIES, Dot11Elt
from netprobe.packet.layers.dot11_rsn import AKM_SUITES, Dot11EltMicrosoftWPA, Dot11EltRSN

__all__ = ["network_stats"]


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
        elif isinstance(cur, (Dot11EltRSN, Dot11EltMicrosoftWPA)):
            family = "WPA2" if isinstance(cur, Dot11EltRSN) else "WPA"
            if cur.akm_suites:  # as Scapy, an element without AKM suites says its family only
                akm = cur.akm_suites[0].suite
                family += f"/{AKM_SUITES.get(akm, akm)}"
            crypto.add(family)
        cur = cur._payload
    privacy = CAPABILITIES.index("privacy")
    if not crypto and int(getattr(body, "cap", 0) or 0) >> privacy & 1:
        crypto.add("WEP")
    if not crypto:
        crypto.add("OPN")
    out["crypto"] = crypto
    return out
