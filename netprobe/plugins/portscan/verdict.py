"""nmap's port states and reasons, decided from a probe's answer (pure functions).

=============  ===========================  ===========================  ==================
scan           TCP answer                   ICMP unreachable             no answer
=============  ===========================  ===========================  ==================
SYN  (-sS)     SYN/ACK open, RST closed     filtered                     filtered
FIN/NULL/Xmas  RST closed                   filtered                     open|filtered
ACK  (-sA)     RST unfiltered               filtered                     filtered
connect (-sT)  connected open, refused      filtered                     filtered
               closed
=============  ===========================  ===========================  ==================

The reason names what decided (``syn-ack``, ``reset``, ``no-response``,
``admin-prohibited``, ``port-unreach``, ``host-unreach``...) and the TTL is the
answer's IP TTL (IPv6 hop limit), None without an answer. Answers are read
from their bytes at fixed offsets; shapes the fast reader does not know (IP
options, IPv6 extension headers, unusual link types) go through dissection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict

from netprobe.packet.shape import (
    PORT_UNREACH,
    icmp_error_reason,
    icmp_reason,
    ip_header,
    network_start,
)

if TYPE_CHECKING:
    from netprobe.packet.layer import Layer

Verdict = tuple[str, str, int | None]


class ConnectTag(TypedDict, total=False):
    """The details of a connect attempt's tag (phase ``connect`` or ``connect-ping``), as
    ``connect_scan`` writes them from a ``wire.connect.ConnectOutcome`` and a saved run
    reads them back (JSON: ``icmp`` is then a list)."""

    #: open, refused, timeout, unreachable, denied or cancelled
    status: str
    errno: int
    #: (IP version, ICMP type, code, sender address) of the ICMP error, if the kernel told
    icmp: Sequence[int | str] | None
    #: connect-ping only: the host and port tried
    host: str
    port: int

#: scan type -> (state for a RST, state without any answer)
_RST_STATE = {"syn": "closed", "fin": "closed", "null": "closed", "xmas": "closed",
              "ack": "unfiltered"}
_SILENT_STATE = {"syn": "filtered", "fin": "open|filtered", "null": "open|filtered",
                 "xmas": "open|filtered", "ack": "filtered", "connect": "filtered"}


def network_offset(frame: bytes, linktype: int) -> int | None:
    """Where the IP (v4 or v6) header starts in a captured frame, or None
    (:func:`netprobe.packet.shape.network_start`: a rare shape is dissected)."""
    start = network_start(frame, linktype)
    return None if start is None else start[0]


def answer_fields(frame: bytes, linktype: int) -> tuple[str, int, int, int] | None:
    """(``"tcp"`` or ``"icmp"``, TTL, TCP flags or ICMP type, ICMP code) of an answer.

    None when the bytes are not a plain IPv4/IPv6 packet carrying TCP or ICMP
    right after the IP header (the caller then dissects).
    """
    off = network_offset(frame, linktype)
    ip = None if off is None else ip_header(frame, off)
    if ip is None:
        return None
    proto, ttl, t = ip.proto, ip.ttl, ip.transport_at
    icmp_proto = 1 if ip.version == 4 else 58
    if proto == 6 and len(frame) >= t + 14:
        return "tcp", ttl, frame[t + 13], 0
    if proto == icmp_proto and len(frame) >= t + 2:
        return "icmp", ttl, frame[t], frame[t + 1]
    return None


def _dissected_fields(answer: Layer) -> tuple[str, int, int, int] | None:
    """The same as :func:`answer_fields`, from a dissected packet."""
    from netprobe.packet.layers.ip import IP
    from netprobe.packet.layers.ipv6 import IPv6
    from netprobe.packet.layers.tcp import TCP

    net = answer.getlayer(IP) or answer.getlayer(IPv6)
    if net is None:
        return None
    ttl = int(net.ttl if isinstance(net, IP) else net.hlim)
    tcp = net.getlayer(TCP)
    top = net._payload
    while top is not None and type(top).__name__.startswith("IPv6Ext"):
        top = top._payload
    name = type(top).__name__ if top is not None else ""
    if name.startswith("ICMP") and hasattr(top, "type"):
        return "icmp", ttl, int(top.type), int(getattr(top, "code", 0) or 0)
    if tcp is not None:
        return "tcp", ttl, int(tcp.flags), 0
    return None


def tcp_verdict(scan: str, answer: bytes | None, linktype: int = 1,
                dissected: Layer | None = None) -> Verdict:
    """State, reason and TTL of a raw TCP scan probe (``scan``: syn fin null xmas ack)."""
    if answer is None:
        return _SILENT_STATE[scan], "no-response", None
    fields = answer_fields(answer, linktype)
    if fields is None:
        if dissected is None:
            from netprobe.packet.dissect import dissect

            dissected = dissect(answer, linktype)
        fields = _dissected_fields(dissected)
    if fields is None:
        return _SILENT_STATE[scan], "no-response", None
    kind, ttl, a, b = fields
    if kind == "icmp":
        version = 6 if _is_v6(answer, linktype) else 4
        reason = icmp_error_reason(version, a, b)
        if reason is None:
            return _SILENT_STATE[scan], "no-response", None
        return "filtered", reason, ttl
    flags = a
    if flags & 0x04:
        return _RST_STATE[scan], "reset", ttl
    if scan == "syn" and flags & 0x12 == 0x12:
        return "open", "syn-ack", ttl
    if scan == "syn" and flags & 0x02:
        return "open", "syn", ttl  # a simultaneous open (split handshake)
    # any other TCP answer decides nothing nmap names: as if silent
    return _SILENT_STATE[scan], "no-response", None


def _is_v6(frame: bytes, linktype: int) -> bool:
    off = network_offset(frame, linktype)
    return off is not None and len(frame) > off and frame[off] >> 4 == 6


#: a connect attempt the local rules refused (EACCES, EPERM) without an ICMP message:
#: reported as an administratively prohibited destination unreachable
_DENIED = icmp_error_reason(4, 3, 13)


def connect_verdict(outcome: ConnectTag) -> Verdict:
    """State, reason and TTL of a connect scan attempt (the tag ``wire.connect`` gives)."""
    status = outcome.get("status")
    if status == "open":
        return "open", "syn-ack", None
    icmp = outcome.get("icmp")
    if icmp:
        version, icmp_type, code = int(icmp[0]), int(icmp[1]), int(icmp[2])
        reason = icmp_reason(version, icmp_type, code)
        if reason == PORT_UNREACH:
            return "closed", reason, None
        return "filtered", reason, None
    if status == "refused":
        return "closed", "reset", None
    if status == "timeout":
        return "filtered", "no-response", None
    return "filtered", _DENIED if status == "denied" else "no-response", None
