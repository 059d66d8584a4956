"""Frame shapes: where the network header starts, for every link type netprobe reads.

This module is floor 1's one answer to "where does the IP header start?".
A link type's fixed header (:data:`LINKS`) says how long it is and how the
protocol after it is told: an ethertype at some offset, an address family
(BSD loopback), or the IP version nibble (raw IP). After an ethertype come
the 802.1Q / 802.1ad tags (:data:`VLAN_TPIDS`, 4 bytes each). Anything else
(MPLS, PPPoE, 802.1ah, LLC/SNAP, tunnels, the link types of
:data:`RARE_LINKS`) is a *rare shape*: it is read by
:func:`netprobe.packet.dissect.dissect`, never at fixed offsets.

Readers at fixed offsets (the numpy column decoder, :mod:`netprobe.packet.columns`)
take their offsets from here; :func:`network_start` is the same rule for one frame.
The answer matchers (:mod:`netprobe.packet.fastpath`, the engine's strict keys in
Python, numpy and C) read :data:`MATCH_LINKS`: the same offsets, without tags.

It is also the one table of ICMP and ICMPv6 names (:data:`ICMP`): for each type
and code, Scapy's name, nmap's reason and traceroute's mark
(:func:`icmp_reason`, :func:`icmp_error_reason`, :func:`trace_mark`,
:func:`scapy_code_names`).
"""

from __future__ import annotations

import struct
from typing import NamedTuple

__all__ = [
    "ETHERTYPE_IPV4",
    "ETHERTYPE_IPV6",
    "ICMP",
    "LINKS",
    "LOOPBACK_IPV4",
    "LOOPBACK_IPV6",
    "MATCH_LINKS",
    "MATCH_LINKTYPES",
    "MAX_8023_LENGTH",
    "MAX_VLAN_TAGS",
    "NON_IP_LINKS",
    "PORT_UNREACH",
    "PPP_HDLC_PREFIX",
    "RARE_ETHERTYPES",
    "RARE_LINKS",
    "SLL_HATYPES_NOT_ETHERTYPE",
    "SLL_HATYPE_GRE",
    "SLL_HATYPE_NETLINK",
    "TIME_EXCEEDED",
    "UNKNOWN_TYPE_MARK",
    "UNKNOWN_TYPE_REASON",
    "UNKNOWN_UNREACH_MARK",
    "UNKNOWN_UNREACH_REASON",
    "UNREACH_TYPE",
    "VLAN_TAG_LEN",
    "VLAN_TPIDS",
    "IcmpCode",
    "IcmpType",
    "LinkShape",
    "c_link_table",
    "icmp_error_reason",
    "icmp_reason",
    "network_start",
    "null_header_value",
    "scapy_code_names",
    "trace_mark",
]

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
#: ethertypes of 802.1Q (0x8100), 802.1ad (0x88A8) and the older QinQ 0x9100
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)
#: bytes of one VLAN tag (TCI and the next ethertype)
VLAN_TAG_LEN = 4
#: tags a fixed-offset reader follows (QinQ); deeper stacks are rare shapes
MAX_VLAN_TAGS = 2
#: ethertypes whose payload is not IP at a fixed offset: MPLS unicast and
#: multicast, PPPoE session, 802.1ah (provider backbone)
RARE_ETHERTYPES = (0x8847, 0x8848, 0x8864, 0x88E7)
#: an ethertype field at most this large is an 802.3 length: LLC follows (rare shape)
MAX_8023_LENGTH = 1500
#: BSD loopback address families of IPv4 and IPv6 (IPv6's differs between BSDs)
LOOPBACK_IPV4 = (2,)
LOOPBACK_IPV6 = (24, 28, 30)
#: Linux cooked hardware types whose protocol field is not an ethertype
#: (778: GRE tunnel device, a GRE protocol type; 824: netlink)
SLL_HATYPE_GRE = 778
SLL_HATYPE_NETLINK = 824
SLL_HATYPES_NOT_ETHERTYPE = (SLL_HATYPE_GRE, SLL_HATYPE_NETLINK)


class LinkShape(NamedTuple):
    """The fixed header of one link type.

    ``header_len`` bytes come before the network header (or before the
    first VLAN tag). ``told_by`` says how the network protocol is told:
    ``"ethertype"`` (a big-endian ethertype at ``proto_at``), ``"family"``
    (a 4-byte BSD address family at ``proto_at``, in ``family_order``:
    ``">"``, or ``"host"`` for the writer's order, read by
    :func:`null_header_value`), ``"version"``
    (the IP version nibble), ``"ipv4"`` or ``"ipv6"``. ``hatype_at`` is
    where a Linux cooked header keeps its hardware type.
    """

    name: str
    header_len: int
    told_by: str
    proto_at: int = 0
    family_order: str = ">"
    hatype_at: int | None = None


#: link types read at fixed offsets, by LINKTYPE_ value
LINKS: dict[int, LinkShape] = {
    0: LinkShape("BSD loopback", 4, "family", 0, family_order="host"),
    1: LinkShape("Ethernet", 14, "ethertype", 12),
    12: LinkShape("raw IP", 0, "version"),
    14: LinkShape("raw IP", 0, "version"),
    101: LinkShape("raw IP", 0, "version"),
    108: LinkShape("OpenBSD loopback", 4, "family", 0),
    113: LinkShape("Linux cooked", 16, "ethertype", 14, hatype_at=2),
    228: LinkShape("IPv4", 0, "ipv4"),
    229: LinkShape("IPv6", 0, "ipv6"),
    276: LinkShape("Linux cooked v2", 20, "ethertype", 0, hatype_at=8),
}
#: link types that carry IP in shapes only a dissector follows: PPP, PPP in
#: HDLC framing, PPPoE, Cisco HDLC, 802.11, 802.11 with radiotap, NFLOG
RARE_LINKS = (9, 50, 51, 104, 105, 127, 239)
#: link types that never carry IP (netlink)
NON_IP_LINKS = (253,)

#: the first bytes of a DLT_NULL frame that is PPP in HDLC framing instead
PPP_HDLC_PREFIX = b"\xff\x03"

_BE16 = struct.Struct("!H").unpack_from
_FAMILY = {">": struct.Struct(">I").unpack_from, "<": struct.Struct("<I").unpack_from}


def null_header_value(raw: int) -> int:
    """What the 4-byte header of a DLT_NULL frame says, ``raw`` being it read little-endian.

    The header is an address family in the byte order of the machine that
    wrote it (or, from some old Linux captures, an ethertype). As Wireshark
    reads it: a value whose high half is set is a 16-bit value in the high
    half, or the other byte order; one whose low byte is zero is a 16-bit
    value in the other byte order. At most ``MAX_8023_LENGTH`` it is an
    address family, above it an ethertype.
    """
    if raw & 0xFFFF0000:
        if not raw & 0xFF000000 and (raw & 0x00FF0000) < 0x00060000:
            return raw >> 16
        return int.from_bytes(raw.to_bytes(4, "little"), "big")
    if not raw & 0xFF and (raw & 0xFF00) < 0x0600:
        return ((raw & 0xFF) << 8) | (raw >> 8)
    return raw


def network_start(data: bytes, linktype: int) -> tuple[int, int] | None:
    """``(offset, version)`` of the IP header of one frame, when its shape is a plain one.

    None for a rare shape (see the module's docstring), a frame that is not
    IP, or one too short to tell.
    """
    shape = LINKS.get(linktype)
    if shape is None:
        return None
    off = shape.header_len
    if len(data) < max(off, 1):
        return None
    if shape.told_by == "version":
        version = data[0] >> 4
        return (0, version) if version in (4, 6) else None
    if shape.told_by in ("ipv4", "ipv6"):
        return 0, 4 if shape.told_by == "ipv4" else 6
    if shape.told_by == "family":
        if shape.family_order == "host":
            if data[:2] == PPP_HDLC_PREFIX:
                return None  # PPP in HDLC framing: a rare shape
            family = null_header_value(_FAMILY["<"](data, shape.proto_at)[0])
        else:
            family = _FAMILY[">"](data, shape.proto_at)[0]
        if family in LOOPBACK_IPV4 or family == ETHERTYPE_IPV4:
            return off, 4
        if family in LOOPBACK_IPV6 or family == ETHERTYPE_IPV6:
            return off, 6
        return None
    if shape.hatype_at is not None and \
            _BE16(data, shape.hatype_at)[0] in SLL_HATYPES_NOT_ETHERTYPE:
        return None
    ethertype = _BE16(data, shape.proto_at)[0]
    for _ in range(MAX_VLAN_TAGS):
        if ethertype not in VLAN_TPIDS:
            break
        if len(data) < off + VLAN_TAG_LEN:
            return None
        ethertype = _BE16(data, off + 2)[0]
        off += VLAN_TAG_LEN
    if ethertype == ETHERTYPE_IPV4:
        return off, 4
    if ethertype == ETHERTYPE_IPV6:
        return off, 6
    return None


class IpHeader(NamedTuple):
    """The fixed facts of an IP header: its version, the protocol of what follows it
    (IPv6: the next header; extension headers are not followed), the TTL or hop limit,
    where the addresses are, and where the following header starts."""

    version: int
    proto: int
    ttl: int
    src_at: int
    dst_at: int
    transport_at: int


#: IP version -> (protocol, TTL, source, destination) offsets in its header
_IP_FIELD_AT = {4: (9, 8, 12, 16), 6: (6, 7, 8, 24)}
#: IP version -> its address length
IP_ADDRESS_LEN = {4: 4, 6: 16}


def ip_header(data: bytes, off: int) -> IpHeader | None:
    """The IP header that starts at ``off`` of ``data`` (IPv4's length read from the
    header), or None when the bytes are too short for it or are neither version."""
    if len(data) < off + 20:
        return None
    version = data[off] >> 4
    if version == 4:
        end = off + (data[off] & 0x0F) * 4
    elif version == 6 and len(data) >= off + 40:
        end = off + 40
    else:
        return None
    proto_at, ttl_at, src_at, dst_at = _IP_FIELD_AT[version]
    return IpHeader(version, data[off + proto_at], data[off + ttl_at], off + src_at,
                    off + dst_at, end)


#: link types whose answers are matched at fixed offsets (:data:`MATCH_LINKS`): the
#: ones the engine captures on, which the layers dissect with the shape of :data:`LINKS`
MATCH_LINKTYPES = (1, 12, 101, 113, 228, 229, 276)
#: link type -> (where the IP header starts, where its ethertype is or -1, the one IP
#: version it carries or 0 for either) for the readers that follow no VLAN tag: the
#: answer matchers (fastpath, the engine's strict keys in Python, numpy and C). A
#: tagged frame goes to dissection there, because ``Dot1Q.answers`` compares the tags.
MATCH_LINKS: dict[int, tuple[int, int, int]] = {
    linktype: (LINKS[linktype].header_len,
               LINKS[linktype].proto_at if LINKS[linktype].told_by == "ethertype" else -1,
               {"ipv4": 4, "ipv6": 6}.get(LINKS[linktype].told_by, 0))
    for linktype in MATCH_LINKTYPES
}


def c_link_table() -> str:
    """:data:`MATCH_LINKS` as the C table ``netprobe/engine/_batch.c`` holds (generated text;
    a test checks the C file holds exactly this)."""
    rows = "".join(f"    {{{lt}, {at}, {et}, {v}}},\n"
                   for lt, (at, et, v) in sorted(MATCH_LINKS.items()))
    return ("/* generated from netprobe.packet.shape.MATCH_LINKS (c_link_table()): do not edit */\n"
            f"#define ETHERTYPE_IPV4 {ETHERTYPE_IPV4:#06x}\n"
            f"#define ETHERTYPE_IPV6 {ETHERTYPE_IPV6:#06x}\n"
            "static const struct { int linktype, ip_at, ethertype_at, version; } "
            "match_links[] = {\n"
            f"{rows}}};\n")


# -- ICMP and ICMPv6 messages -------------------------------------------------------------------
# One table says what each message is called: Scapy's name of its code (what ``show()`` prints;
# the layers' field names are made from it), the reason nmap gives for it, and what traceroute
# prints for it. Every other module asks here.


class IcmpCode(NamedTuple):
    """The names of one code of one ICMP or ICMPv6 type.

    ``scapy`` is Scapy's name of the code (None where Scapy names none),
    ``reason`` the nmap-style reason of a port or host state, ``mark``
    what traceroute prints for it (``!H``, ``!N``...; the reason itself
    when the message comes from the destination). ``reason`` and ``mark``
    are None where the type's own names apply.
    """

    scapy: str | None
    reason: str | None = None
    mark: str | None = None


class IcmpType(NamedTuple):
    """The names of one ICMP or ICMPv6 type.

    ``reason`` names the message as an answer (None: the codes name it, or
    nothing does); ``error`` says it reports a packet that failed (a probe's
    answer, for nmap's reasons); ``mark`` is what traceroute prints (None:
    ``icmp-T/C`` or ``icmpv6-T/C``); ``codes`` names its codes.
    """

    reason: str | None = None
    error: bool = False
    mark: str | None = None
    codes: dict[int, IcmpCode] | None = None


_C = IcmpCode
#: a destination unreachable code the table does not list: its reason and traceroute mark
UNKNOWN_UNREACH_REASON = "unreach-code-{code}"
UNKNOWN_UNREACH_MARK = "!{code}"
#: the reason of a message type the table does not name
UNKNOWN_TYPE_REASON = {4: "icmp-type-{type}", 6: "icmpv6-type-{type}"}
#: traceroute's kind of a message it has no mark for
UNKNOWN_TYPE_MARK = {4: "icmp-{type}/{code}", 6: "icmpv6-{type}/{code}"}

#: IP version -> ICMP type -> names (ICMPv4: RFC 792, 1812; ICMPv6: RFC 4443)
ICMP: dict[int, dict[int, IcmpType]] = {
    4: {
        0: IcmpType("echo-reply", mark="echo-reply"),
        3: IcmpType(error=True, codes={
            0: _C("network-unreachable", "net-unreach", "!N"),
            1: _C("host-unreachable", "host-unreach", "!H"),
            2: _C("protocol-unreachable", "proto-unreach", "!P"),
            3: _C("port-unreachable", "port-unreach", "port-unreach"),
            4: _C("fragmentation-needed", "frag-needed", "!F"),
            5: _C("source-route-failed", "source-route-failed", "!S"),
            6: _C("network-unknown", "net-unknown", "!N"),
            7: _C("host-unknown", "host-unknown", "!H"),
            8: _C(None, "host-isolated", "!N"),
            9: _C("network-prohibited", "net-prohibited", "!X"),
            10: _C("host-prohibited", "host-prohibited", "!X"),
            11: _C("TOS-network-unreachable", "net-tos-unreach", "!N"),
            12: _C("TOS-host-unreachable", "host-tos-unreach", "!H"),
            13: _C("communication-prohibited", "admin-prohibited", "!X"),
            14: _C("host-precedence-violation", "host-precedence-violation", "!V"),
            15: _C("precedence-cutoff", "precedence-cutoff", "!C"),
        }),
        4: IcmpType("source-quench", error=True),
        5: IcmpType(codes={0: _C("network-redirect"), 1: _C("host-redirect"),
                           2: _C("TOS-network-redirect"), 3: _C("TOS-host-redirect")}),
        11: IcmpType("time-exceeded", error=True, mark="time-exceeded",
                     codes={0: _C("ttl-zero-during-transit"),
                            1: _C("ttl-zero-during-reassembly")}),
        12: IcmpType("param-problem", error=True, mark="param-problem",
                     codes={0: _C("ip-header-bad"), 1: _C("required-option-missing")}),
        14: IcmpType("timestamp-reply"),
        40: IcmpType(codes={0: _C("bad-spi"), 1: _C("authentication-failed"),
                            2: _C("decompression-failed"), 3: _C("decryption-failed"),
                            4: _C("need-authentification"), 5: _C("need-authorization")}),
    },
    6: {
        1: IcmpType(error=True, codes={
            0: _C("No route to destination", "no-route", "!N"),
            1: _C("Communication with destination administratively prohibited",
                  "admin-prohibited", "!X"),
            2: _C("Beyond scope of source address", "beyond-scope", "!S"),
            3: _C("Address unreachable", "addr-unreach", "!H"),
            4: _C("Port unreachable", "port-unreach", "port-unreach"),
            5: _C(None, "source-policy", "!X"),
            6: _C(None, "reject-route", "!X"),
        }),
        2: IcmpType("packet-too-big", error=True, mark="!F"),
        3: IcmpType("time-exceeded", error=True, mark="time-exceeded",
                    codes={0: _C("hop limit exceeded in transit"),
                           1: _C("fragment reassembly time exceeded")}),
        4: IcmpType("param-problem", error=True, mark="param-problem",
                    codes={0: _C("erroneous header field encountered"),
                           1: _C("unrecognized Next Header type encountered"),
                           2: _C("unrecognized IPv6 option encountered"),
                           3: _C("first fragment has incomplete header chain")}),
        129: IcmpType("echo-reply", mark="echo-reply"),
        136: IcmpType("nd-response"),
    },
}
#: the destination unreachable type of each IP version
UNREACH_TYPE = {4: 3, 6: 1}
#: the reason of a port unreachable (the same for both versions): a closed port's
PORT_UNREACH = ICMP[4][3].codes[3].reason  # type: ignore[index]
#: the reason (and traceroute's kind) of a time exceeded message
TIME_EXCEEDED = ICMP[4][11].reason


def scapy_code_names(version: int, icmp_type: int) -> dict[int, str]:
    """Scapy's names of the codes of one type (what its ``code`` field shows)."""
    entry = ICMP[version].get(icmp_type)
    codes = entry.codes if entry is not None and entry.codes else {}
    return {code: c.scapy for code, c in codes.items() if c.scapy is not None}


def _code(version: int, icmp_type: int, code: int) -> tuple[IcmpType | None, IcmpCode | None]:
    entry = ICMP[4 if version == 4 else 6].get(icmp_type)
    if entry is None or not entry.codes:
        return entry, None
    return entry, entry.codes.get(code)


def icmp_error_reason(version: int, icmp_type: int, code: int) -> str | None:
    """nmap's reason for an ICMP error about a probe; None when the message is no such error.

    A destination unreachable code the table does not list is
    ``unreach-code-N`` (:data:`UNKNOWN_UNREACH_REASON`).
    """
    entry, names = _code(version, icmp_type, code)
    if entry is None or not entry.error:
        return None
    if names is not None and names.reason is not None:
        return names.reason
    if icmp_type == UNREACH_TYPE[4 if version == 4 else 6]:
        return UNKNOWN_UNREACH_REASON.format(code=code)
    return entry.reason


def icmp_reason(version: int, icmp_type: int, code: int) -> str:
    """What an ICMP message means as an answer: its error reason, its own name
    (``echo-reply``...), or ``icmp-type-N`` / ``icmpv6-type-N``."""
    v = 4 if version == 4 else 6
    reason = icmp_error_reason(v, icmp_type, code)
    if reason is None:
        entry = ICMP[v].get(icmp_type)
        reason = entry.reason if entry is not None else None
    return reason or UNKNOWN_TYPE_REASON[v].format(type=icmp_type)


def trace_mark(version: int, icmp_type: int, code: int) -> str:
    """What traceroute prints for an ICMP answer to a probe (``!H``, ``time-exceeded``...).

    A destination unreachable code the table does not list is ``!N``
    (:data:`UNKNOWN_UNREACH_MARK`); a type without a mark ``icmp-T/C``.
    """
    v = 4 if version == 4 else 6
    entry, names = _code(v, icmp_type, code)
    if names is not None and names.mark is not None:
        return names.mark
    if icmp_type == UNREACH_TYPE[v]:
        return UNKNOWN_UNREACH_MARK.format(code=code)
    if entry is not None and entry.mark is not None:
        return entry.mark
    return UNKNOWN_TYPE_MARK[v].format(type=icmp_type, code=code)
