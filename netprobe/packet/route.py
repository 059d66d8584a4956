"""The hook through which building asks floor 2 for a source address.

Floor 1 never opens a socket: ``netprobe.wire.route`` installs a resolver here,
and an IP/IPv6 layer with no ``src`` asks it while building.
"""

from __future__ import annotations

from collections.abc import Callable

from netprobe.errors import UsageError

SourceResolver = Callable[[str], "str | None"]

_resolver: SourceResolver | None = None
#: answers of the resolver, so that building a million probes asks once per destination
_cache: dict[str, str] = {}


def set_source_resolver(fn: SourceResolver | None) -> None:
    """Install (or remove, with None) the function mapping a destination to a source."""
    global _resolver
    _resolver = fn
    _cache.clear()


def resolve_source(dst: str) -> str:
    """The source address for ``dst``; a clear UsageError when none can be found."""
    src = _cache.get(dst)
    if src is not None:
        return src
    if _resolver is None:
        raise UsageError(f"no source address for {dst}: set src= explicitly "
                         "(no route lookup is installed)")
    src = _resolver(dst)
    if not src:
        raise UsageError(f"no route to {dst}: cannot choose a source address (set src=)")
    if len(_cache) > 100_000:
        _cache.clear()
    _cache[dst] = src
    return src
