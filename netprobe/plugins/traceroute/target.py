"""The destination of a trace: an address or a name, in the family asked for."""

from __future__ import annotations

import ipaddress
import socket

from netprobe.errors import UsageError


def resolve(target: str, family: int | None = None) -> tuple[str, int]:
    """(address, 4 or 6) of ``target``; ``family`` forces one (``-4``/``-6``).

    A literal address gives its own family (asking for the other one is a
    usage error); a name is looked up with the system resolver.
    """
    try:
        address = ipaddress.ip_address(target.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        if family is not None and address.version != family:
            raise UsageError(f"{target} is an IPv{address.version} address, but -{family} "
                             f"asks for IPv{family}")
        return str(address), address.version
    if not target or target.startswith("-"):
        raise UsageError(f"{target!r} is not a host name or address")
    af = {4: socket.AF_INET, 6: socket.AF_INET6}.get(family or 0, socket.AF_UNSPEC)
    try:
        infos = socket.getaddrinfo(target, None, af, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot resolve {target}: {reason}") from None
    for fam, _, _, _, sockaddr in infos:
        if fam in (socket.AF_INET, socket.AF_INET6):
            text = str(sockaddr[0]).split("%", 1)[0]
            return text, 4 if fam == socket.AF_INET else 6
    raise UsageError(f"cannot resolve {target}: no IPv{family or '4/6'} address")
