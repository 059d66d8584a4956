"""The part of the library face one of Scapy's layer modules covers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["face_subset"]


def face_subset(names: Iterable[str] = (), prefixes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The public names of ``netprobe`` among ``names`` or starting with ``prefixes``."""
    import netprobe

    public = netprobe.__all__
    wanted = set(names)
    return {n: getattr(netprobe, n) for n in public
            if n in wanted or (prefixes and n.startswith(prefixes))}
