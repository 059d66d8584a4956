"""The scope guard: every destination is checked before anything is sent.

Where the allowed scope comes from, first match wins:

1. ``--scope FILE`` on the command line;
2. the ``NETPROBE_SCOPE`` environment variable: a file path, or CIDRs
   separated by commas (``198.18.0.0/15,2001:db8::/32``);
3. nothing given: **loopback only** (127.0.0.0/8 and ::1). A tool that
   refuses by default cannot be pointed at someone else's network by a typo;
   probing a real network takes an explicit ``--scope``, and the refusal
   says how.

Loopback is always allowed, whatever the source. A scope file holds one
CIDR (or plain address) per line; ``#`` starts a comment.

Membership is decided on integers: each family's networks become sorted,
merged [first, last] intervals, and a lookup is one ``bisect``, so checking
a million destinations costs about a million bisects.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from bisect import bisect_right
from collections.abc import Iterable

from netprobe.errors import ScopeError, UsageError

ENV_VAR = "NETPROBE_SCOPE"
LOOPBACK = ("127.0.0.0/8", "::1/128")

_MAPPED_V4 = 0xFFFF << 32  # ::ffff:a.b.c.d carries an IPv4 destination
_MAPPED_MASK = ~0xFFFFFFFF & ((1 << 128) - 1)
_SHOWN = 4  # networks named in a refusal before "and N more"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Scope:
    """A set of allowed destination networks with fast membership tests."""

    def __init__(self, networks: Iterable[Network | str], origin: str = "given") -> None:
        """Allow loopback plus ``networks``; ``origin`` says where they came from."""
        given = [n if not isinstance(n, str)
                 else _network(n, f"scope {origin}: {n!r} is not a network") for n in networks]
        self.user_networks: tuple[Network, ...] = tuple(given)
        self.origin = origin
        all_networks = [ipaddress.ip_network(n) for n in LOOPBACK] + given
        self._starts: dict[int, list[int]] = {}
        self._ends: dict[int, list[int]] = {}
        for version in (4, 6):
            spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in all_networks
                           if n.version == version)
            merged: list[list[int]] = []
            for first, last in spans:
                if merged and first <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], last)
                else:
                    merged.append([first, last])
            self._starts[version] = [m[0] for m in merged]
            self._ends[version] = [m[1] for m in merged]

    # -- building -----------------------------------------------------------

    @classmethod
    def from_sources(cls, cli_file: str | None, env: str | None) -> Scope:
        """The scope from ``--scope FILE``, else ``NETPROBE_SCOPE``'s value, else loopback.

        ``env`` is the variable's value (``os.environ.get(ENV_VAR)``), passed
        in so that callers and tests decide where it comes from. Raises
        UsageError for an unreadable file or an entry that is not a network.
        """
        if cli_file:
            return cls(_read_file(cli_file), origin=f"from {cli_file}")
        if env and env.strip():
            value = env.strip()
            if os.path.isfile(value):
                return cls(_read_file(value), origin=f"from {ENV_VAR}={value}")
            networks = [_network(item, f"{ENV_VAR}={value!r} is neither a file nor a "
                                 f"comma-separated list of CIDRs ({item.strip()!r} is not a "
                                 "network)") for item in value.split(",") if item.strip()]
            return cls(networks, origin=f"from {ENV_VAR}")
        return cls([], origin="default")

    @classmethod
    def from_environment(cls, cli_file: str | None = None) -> Scope:
        """:meth:`from_sources` with the value of ``NETPROBE_SCOPE`` from os.environ."""
        return cls.from_sources(cli_file, os.environ.get(ENV_VAR))

    @property
    def is_default(self) -> bool:
        """True when nobody configured a scope: only loopback is allowed."""
        return not self.user_networks

    # -- checking -----------------------------------------------------------

    def contains(self, dst: str) -> bool:
        """True when the address ``dst`` (IPv4/IPv6 text) is inside the scope."""
        version, value = _address_key(dst)
        return self._inside(version, value)

    __contains__ = contains

    def contains_packed(self, raw: bytes) -> bool:
        """Membership for an address as packed bytes (4 for IPv4, 16 for IPv6).

        This is the form the senders have at hand: the destination field cut
        straight out of a packet header.
        """
        return self._inside(4 if len(raw) == 4 else 6, int.from_bytes(raw, "big"))

    def check(self, dst: str) -> None:
        """Raise ScopeError unless ``dst`` is inside the scope."""
        if not self.contains(dst):
            raise ScopeError(self.refusal(dst))

    def check_many(self, dsts: Iterable[str]) -> None:
        """Raise ScopeError naming the first destination outside the scope.

        All destinations are checked before anything is sent, so the error
        also counts how many others are outside.
        """
        inside = self.contains
        first = None
        outside = 0
        for dst in dsts:
            if not inside(dst):
                outside += 1
                if first is None:
                    first = dst
        if first is not None:
            more = f" (and {outside - 1} more outside)" if outside > 1 else ""
            raise ScopeError(self.refusal(first) + more)

    def refusal(self, dst: str) -> str:
        """The one-line message for refusing ``dst``."""
        return (
            f"{dst} is outside the allowed scope ({self.describe()}); refusing to send. "
            f"To allow it, pass --scope FILE or set {ENV_VAR} (e.g. {ENV_VAR}={_example(dst)})"
        )

    def describe(self) -> str:
        """A short human description: which networks, from where."""
        if self.is_default:
            return "loopback only: no --scope or NETPROBE_SCOPE given"
        names = [str(n) for n in self.user_networks[:_SHOWN]]
        if len(self.user_networks) > _SHOWN:
            names.append(f"and {len(self.user_networks) - _SHOWN} more")
        return f"loopback and {', '.join(names)} {self.origin}"

    def _inside(self, version: int, value: int) -> bool:
        if version == 6 and value & _MAPPED_MASK == _MAPPED_V4:
            # An IPv4-mapped IPv6 address reaches an IPv4 host: judge it as one.
            version, value = 4, value & 0xFFFFFFFF
        starts = self._starts[version]
        i = bisect_right(starts, value) - 1
        return i >= 0 and value <= self._ends[version][i]


def _address_key(dst: str) -> tuple[int, int]:
    """(IP version, address as int) of an address literal; UsageError if not one."""
    text = dst if isinstance(dst, str) else str(dst)
    try:
        if ":" in text:
            return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text.split("%", 1)[0]),
                                     "big")
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except OSError:
        raise UsageError(f"not an IP address: {dst!r}") from None


def _network(text: str, complaint: str) -> Network:
    """``text`` as a network (host bits allowed); UsageError ``complaint`` if it is none."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise UsageError(complaint) from None


def _read_file(path: str) -> list[Network]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read scope file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"scope file {path} is not text") from None
    # Several entries on one line (spaces or commas) are accepted too.
    return [_network(item, f"{path}:{lineno}: {item!r} is not a network (one CIDR per line)")
            for lineno, line in enumerate(lines, 1)
            for item in line.split("#", 1)[0].replace(",", " ").split()]


def _example(dst: str) -> str:
    return f"{dst}/128" if ":" in str(dst) else f"{dst}/32"
