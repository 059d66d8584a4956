"""What a plugin reads of the root options: the shape of ``ctx.obj``.

The command line (floor 5) builds a ``netprobe.cli.Settings``; plugins and
services below it name the attributes they read through this protocol, so
they never import the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from netprobe.wire.scope import Scope


class RootSettings(Protocol):
    """The root options as every subcommand receives them (``--json``, ``--debug``...)."""

    json: bool
    debug: bool
    color: bool

    @property
    def scope(self) -> Scope:
        """The allowed destinations (``--scope FILE``, ``NETPROBE_SCOPE``, loopback)."""
        ...
