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
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "ETHERTYPE_IPV4",
    "ETHERTYPE_IPV6",
    "LINKS",
    "LOOPBACK_IPV4",
    "LOOPBACK_IPV6",
    "MAX_8023_LENGTH",
    "MAX_VLAN_TAGS",
    "NON_IP_LINKS",
    "PPP_HDLC_PREFIX",
    "RARE_ETHERTYPES",
    "RARE_LINKS",
    "SLL_HATYPES_NOT_ETHERTYPE",
    "SLL_HATYPE_GRE",
    "SLL_HATYPE_NETLINK",
    "VLAN_TAG_LEN",
    "VLAN_TPIDS",
    "LinkShape",
    "network_start",
    "null_header_value",
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


@dataclass(frozen=True)
class LinkShape:
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
