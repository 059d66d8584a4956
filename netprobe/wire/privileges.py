"""Can this process send raw packets and capture? Say so clearly if not.

Raw IP sockets, AF_PACKET sockets and live capture all need root or the
CAP_NET_RAW capability. The decisive test is to try opening a raw socket
(that sends nothing).
"""

from __future__ import annotations

import os
import socket

from netprobe.errors import EnvironmentProblem

_DEFAULT_HINT = "try a connect scan (-sT), or run as root or with CAP_NET_RAW"


def can_open_raw_sockets() -> bool:
    """True when a raw IPv4 socket can be opened (nothing is sent)."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW).close()
    except PermissionError:
        return False
    except OSError:
        # Not a privilege question (e.g. no IPv4 in this kernel); let the
        # real open report it.
        return True
    return True


def require_raw_sockets(purpose: str = "sending raw packets", hint: str = _DEFAULT_HINT) -> None:
    """Raise EnvironmentProblem (exit 3) unless raw sockets can be opened.

    ``purpose`` names what needs them ("a SYN scan", "live capture"), and
    ``hint`` tells the user the way around, shown after a semicolon.
    """
    if can_open_raw_sockets():
        return
    raise EnvironmentProblem(raw_denied_message(purpose, hint))


def raw_denied_message(purpose: str = "sending raw packets", hint: str = _DEFAULT_HINT) -> str:
    """The one-line refusal used wherever a raw socket or capture was denied."""
    # Root without the capability happens in containers; say so, since
    # "needs root" would puzzle a user who is root.
    detail = " (running as root, but without CAP_NET_RAW)" if os.geteuid() == 0 else ""
    return f"{purpose} needs root or CAP_NET_RAW{detail}; {hint}"


def capture_denied(purpose: str) -> EnvironmentProblem:
    """The refusal of a capture without the privileges (``purpose``: "capturing on eth0")."""
    return EnvironmentProblem(raw_denied_message(purpose, "run as root or with CAP_NET_RAW"))
