"""The written forms of a block of addresses, read once for every scanning command.

``portscan`` (nmap's forms) and ``arpscan`` (arp-scan's) take the same ones:

* one address, IPv4 or IPv6 (``198.18.1.5``, ``2001:db8::5``; an IPv6 zone,
  ``fe80::1%eth0``, is dropped);
* a CIDR block (``198.18.1.0/24``, ``2001:db8:1::/120``; host bits are ignored);
* a range between two addresses of one family (``198.18.1.250-198.18.2.5``);
* a range in the last octet of an IPv4 address (``198.18.1.1-20``).

What a command makes of a block stays its own: arpscan leaves out a CIDR
block's network and broadcast addresses, as arp-scan does, portscan keeps
them, as nmap does; portscan also reads host names. Each command words the
errors in its own way: :class:`SpanError` says which rule was broken.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple

#: an IPv4 address followed by the last octet of a range: 198.18.1.1-20
_LAST_OCTET_RANGE = re.compile(r"^(\d{1,3}\.\d{1,3}\.\d{1,3}\.)(\d{1,3})-(\d{1,3})$")


class Span(NamedTuple):
    """Addresses ``first`` to ``last`` (integers, inclusive) of IP ``version`` (4 or 6)."""

    version: int
    first: int
    last: int
    #: written as a CIDR block (whose network and broadcast addresses are not hosts)
    network: bool = False


class SpanError(ValueError):
    """A malformed address form; ``kind`` is the rule it breaks.

    ``prefix``: not an address/prefix; ``octets``: a last-octet range past 255;
    ``octet-order``: one from high to low; ``head``: a last-octet range whose
    address is no IPv4 address; ``range``: an ``A-B`` whose ends are no addresses; ``families``:
    the ends of ``A-B`` are of two IP versions; ``order``: ``B`` comes before ``A``.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def parse_span(text: str) -> Span | None:
    """The addresses ``text`` writes; None when it is none of the address forms (a host
    name, or nonsense); SpanError when it is one of them, badly written."""
    text = text.strip()
    if "/" in text:
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise SpanError("prefix") from None
        return Span(net.version, int(net.network_address), int(net.broadcast_address), True)
    compact = re.sub(r"\s*-\s*", "-", text)
    m = _LAST_OCTET_RANGE.match(compact)
    if m:
        lo, hi = int(m.group(2)), int(m.group(3))
        if max(lo, hi) > 255:
            raise SpanError("octets")
        if lo > hi:
            raise SpanError("octet-order")
        try:
            first = int(ipaddress.IPv4Address(f"{m.group(1)}{lo}"))
        except ValueError:
            raise SpanError("head") from None
        return Span(4, first, first + hi - lo)
    if "-" in compact and (compact.count(".") >= 3 or ":" in compact):
        left, _, right = compact.partition("-")
        try:
            a, b = ipaddress.ip_address(left), ipaddress.ip_address(right)
        except ValueError:
            raise SpanError("range") from None
        if a.version != b.version:
            raise SpanError("families")
        if int(a) > int(b):
            raise SpanError("order")
        return Span(a.version, int(a), int(b))
    try:
        addr = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    return Span(addr.version, int(addr), int(addr))


def address_text(value: int, version: int) -> str:
    """An integer address as text (IPv4 dotted, IPv6 compressed)."""
    return str(ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value))


__all__ = ["Span", "SpanError", "address_text", "parse_span"]
