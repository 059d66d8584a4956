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

from typing import Any

Verdict = tuple[str, str, int | None]

#: scan type -> (state for a RST, state without any answer)
_RST_STATE = {"syn": "closed", "fin": "closed", "null": "closed", "xmas": "closed",
              "ack": "unfiltered"}
_SILENT_STATE = {"syn": "filtered", "fin": "open|filtered", "null": "open|filtered",
                 "xmas": "open|filtered", "ack": "filtered", "connect": "filtered"}

#: ICMP destination unreachable codes (RFC 792, 1812) as nmap names them
ICMP4_UNREACH = {0: "net-unreach", 1: "host-unreach", 2: "proto-unreach", 3: "port-unreach",
                 4: "frag-needed", 5: "source-route-failed", 6: "net-unknown",
                 7: "host-unknown", 8: "host-isolated", 9: "net-prohibited",
                 10: "host-prohibited", 11: "net-tos-unreach", 12: "host-tos-unreach",
                 13: "admin-prohibited", 14: "host-precedence-violation",
                 15: "precedence-cutoff"}
#: ICMPv6 destination unreachable codes (RFC 4443)
ICMP6_UNREACH = {0: "no-route", 1: "admin-prohibited", 2: "beyond-scope", 3: "host-unreach",
                 4: "port-unreach", 5: "source-addr-failed", 6: "reject-route"}

#: the shorter tables of host discovery and UDP verdicts (a code not listed: "unreach")
SHORT_ICMP4_UNREACH = {0: "net-unreach", 1: "host-unreach", 2: "proto-unreach",
                       3: "port-unreach", 9: "net-prohibited", 10: "host-prohibited",
                       13: "admin-prohibited"}
SHORT_ICMP6_UNREACH = {0: "no-route", 1: "admin-prohibited", 2: "beyond-scope",
                       3: "addr-unreach", 4: "port-unreach", 5: "source-policy",
                       6: "reject-route"}

_ETH_V4, _ETH_V6 = 0x0800, 0x86DD


def network_offset(frame: bytes, linktype: int) -> int | None:
    """Where the IP (v4 or v6) header starts in a captured frame, or None."""
    if linktype == 1:
        off = 12
        while off + 2 <= len(frame):
            etype = frame[off] << 8 | frame[off + 1]
            if etype in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            return off + 2 if etype in (_ETH_V4, _ETH_V6) else None
        return None
    if linktype in (101, 12, 228, 229):
        return 0
    if linktype == 113:
        return 16
    if linktype == 276:
        return 20
    return None


#: per IP version: the unreachable message's type and its codes' reasons, and the reasons
#: of the other ICMP errors about a probe
_ICMP_ERRORS = {
    4: (3, ICMP4_UNREACH, {11: "time-exceeded", 12: "param-problem", 4: "source-quench"}),
    6: (1, ICMP6_UNREACH, {3: "time-exceeded", 4: "param-problem", 2: "packet-too-big"}),
}


def _icmp_reason(version: int, icmp_type: int, code: int) -> str | None:
    """The reason an ICMP error gives (None when the message is no error about a probe)."""
    unreach, codes, others = _ICMP_ERRORS[4 if version == 4 else 6]
    if icmp_type == unreach:
        return codes.get(code, f"unreach-code-{code}")
    return others.get(icmp_type)


def answer_fields(frame: bytes, linktype: int) -> tuple[str, int, int, int] | None:
    """(``"tcp"`` or ``"icmp"``, TTL, TCP flags or ICMP type, ICMP code) of an answer.

    None when the bytes are not a plain IPv4/IPv6 packet carrying TCP or ICMP
    right after the IP header (the caller then dissects).
    """
    off = network_offset(frame, linktype)
    if off is None or len(frame) < off + 20:
        return None
    version = frame[off] >> 4
    if version == 4:
        ihl = (frame[off] & 0x0F) * 4
        proto, ttl, t = frame[off + 9], frame[off + 8], off + ihl
        icmp_proto = 1
    elif version == 6 and len(frame) >= off + 40:
        proto, ttl, t = frame[off + 6], frame[off + 7], off + 40
        icmp_proto = 58
    else:
        return None
    if proto == 6 and len(frame) >= t + 14:
        return "tcp", ttl, frame[t + 13], 0
    if proto == icmp_proto and len(frame) >= t + 2:
        return "icmp", ttl, frame[t], frame[t + 1]
    return None


def _dissected_fields(answer: Any) -> tuple[str, int, int, int] | None:
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
                dissected: Any = None) -> Verdict:
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
        reason = _icmp_reason(version, a, b)
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


def connect_verdict(outcome: dict[str, Any]) -> Verdict:
    """State, reason and TTL of a connect scan attempt (the tag ``wire.connect`` gives)."""
    status = outcome.get("status")
    if status == "open":
        return "open", "syn-ack", None
    icmp = outcome.get("icmp")
    if icmp:
        version, icmp_type, code = int(icmp[0]), int(icmp[1]), int(icmp[2])
        reason = _icmp_reason(version, icmp_type, code) or "host-unreach"
        if reason == "port-unreach":
            return "closed", reason, None
        return "filtered", reason, None
    if status == "refused":
        return "closed", "reset", None
    if status == "timeout":
        return "filtered", "no-response", None
    return "filtered", {"host-unreach": "host-unreach", "net-unreach": "net-unreach",
                        "denied": "admin-prohibited"}.get(str(status), "no-response"), None
