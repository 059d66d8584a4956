"""Scapy, imported quietly, as the peer the library face is compared with."""

from __future__ import annotations

import logging
from typing import Any


def scapy() -> Any:
    """``scapy.all``, with its warnings silenced."""
    logging.getLogger("scapy").setLevel(logging.ERROR)
    import scapy.all as scapy_all

    return scapy_all
