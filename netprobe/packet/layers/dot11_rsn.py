"""802.11 security and vendor elements, declared as Scapy declares them (``Packet`` with
``fields_desc``): ``Dot11EltRSN`` (ID 48), ``Dot11EltMicrosoftWPA`` (ID 221, Microsoft's
WPA element) and ``Dot11EltVendorSpecific`` (ID 221, any other organisation), with the
suites inside them (``RSNCipherSuite``, ``AKMSuite``, ``PMKIDListPacket``).

They build Scapy's bytes (``Dot11EltRSN()`` is a WPA2 element: CCMP, 802.1X, MFP, BIP)
and dissection gives them to the elements they describe, so that ``show()`` and
``summary()`` read as Scapy's; ``pkt[Dot11Elt]`` finds them too.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layers.dot11 import ELEMENT_IDS, Dot11Elt
from netprobe.packet.packet_class import Packet, fills_length, item_padding
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    FieldListField,
    LEShortField,
    OUIField,
    PacketField,
    PacketListField,
    StrLenField,
    XByteField,
    XStrFixedLenField,
)

__all__ = ["AKM_SUITES", "AKMSuite", "Dot11EltMicrosoftWPA", "Dot11EltRSN",
           "Dot11EltVendorSpecific", "PMKIDListPacket", "RSNCipherSuite"]

#: cipher suite types (IEEE 802.11 table 9-149) under Scapy's names
CIPHER_SUITES = {0: "Use group cipher suite", 1: "WEP-40", 2: "TKIP", 3: "OCB", 4: "CCMP-128",
                 5: "WEP-104", 6: "BIP-CMAC-128", 7: "Group addressed traffic not allowed",
                 8: "GCMP-128", 9: "GCMP-256", 10: "CCMP-256", 11: "BIP-GMAC-128",
                 12: "BIP-GMAC-256", 13: "BIP-CMAC-256"}
#: AKM suite types (IEEE 802.11 table 9-151) under Scapy's names
AKM_SUITES = {0: "Reserved", 1: "802.1X", 2: "PSK", 3: "FT-802.1X", 4: "FT-PSK",
              5: "WPA-SHA256", 6: "PSK-SHA256", 7: "TDLS", 8: "SAE", 9: "FT-SAE",
              10: "AP-PEER-KEY", 11: "WPA-SHA256-SUITE-B", 12: "WPA-SHA384-SUITE-B",
              13: "FT-802.1X-SHA384", 14: "FILS-SHA256", 15: "FILS-SHA384",
              16: "FT-FILS-SHA256", 17: "FT-FILS-SHA384", 18: "OWE"}
#: the IEEE 802.11 OUI that the RSN suites use
OUI_IEEE80211 = 0x000FAC
OUI_MICROSOFT = 0x0050F2


class _Suite(Packet):
    """A 4-byte suite: what follows it is not part of it."""

    extract_padding = item_padding


class RSNCipherSuite(_Suite):
    """A cipher suite: organisation and cipher type."""

    name = "Cipher suite"
    fields_desc = [OUIField("oui", OUI_IEEE80211), ByteEnumField("cipher", 4, CIPHER_SUITES)]


class AKMSuite(_Suite):
    """An authentication and key management suite."""

    name = "AKM suite"
    fields_desc = [OUIField("oui", OUI_IEEE80211), ByteEnumField("suite", 1, AKM_SUITES)]


def _pmkid_count(pkt: Any) -> int:
    return pkt.nb_pmkids or 0


class PMKIDListPacket(_Suite):
    """PMK identifiers: a count and 16-byte IDs."""

    name = "PMKIDs"
    fields_desc = [
        FieldLenField("nb_pmkids", None, count_of="pmkid_list", fmt="<H"),
        FieldListField("pmkid_list", None, XStrFixedLenField("", b"", 16),
                       count_from=_pmkid_count),
    ]


def _suites_size(pkt: Any) -> int:
    """Bytes of an RSN element before its optional parts: version, group suite, the
    pairwise and AKM suite lists with their counts, capabilities."""
    pairwise = pkt.nb_pairwise_cipher_suites
    if pairwise is None:
        pairwise = len(pkt.pairwise_cipher_suites or ())
    akms = pkt.nb_akm_suites
    if akms is None:
        akms = len(pkt.akm_suites or ())
    return 12 + 4 * pairwise + 4 * akms


def _has_pmkids(pkt: Any) -> bool:
    return pkt.len is None or pkt.len - _suites_size(pkt) >= 2


def _has_group_management(pkt: Any) -> bool:
    if pkt.len is None:
        return True
    pmkids = pkt.pmkids
    used = 0 if pmkids is None else len(bytes(pmkids))
    return pkt.len - _suites_size(pkt) - used >= 4


def _pairwise_count(pkt: Any) -> int:
    return pkt.nb_pairwise_cipher_suites or 0


def _akm_count(pkt: Any) -> int:
    return pkt.nb_akm_suites or 0


class _Element(Packet):
    """An element declared field by field: ``len`` counts what follows it when unset."""

    found_as = (Dot11Elt,)
    show_indent = 0

    post_build = fills_length("len", 1, 1, uncounted=2)

    def guess_payload_class(self, payload: bytes) -> Any:
        from netprobe.packet.layers.dot11 import element_class

        return element_class(payload, 0, len(payload))

    def element_body(self) -> bytes:
        """The element's bytes after ID and length (``info``, as ``Dot11Elt.info``)."""
        return _body(self)

    info = property(element_body)


def _body(elt: Any) -> bytes:
    alone = elt.copy()
    alone.remove_payload()
    return bytes(alone)[2:]


_WPA_FIELDS = [
    LEShortField("version", 1),
    PacketField("group_cipher_suite", RSNCipherSuite(), RSNCipherSuite),
    FieldLenField("nb_pairwise_cipher_suites", None, count_of="pairwise_cipher_suites",
                  fmt="<H"),
    PacketListField("pairwise_cipher_suites", [RSNCipherSuite()], RSNCipherSuite,
                    count_from=_pairwise_count),
    FieldLenField("nb_akm_suites", None, count_of="akm_suites", fmt="<H"),
    PacketListField("akm_suites", [AKMSuite()], AKMSuite, count_from=_akm_count),
]


class Dot11EltRSN(_Element):
    """The RSN element: WPA2/WPA3 ciphers, key management and capabilities."""

    name = "802.11 RSN information"
    fields_desc = [
        ByteEnumField("ID", 48, ELEMENT_IDS),
        ByteField("len", None),
        *_WPA_FIELDS,
        BitField("mfp_capable", 1, 1),
        BitField("mfp_required", 1, 1),
        BitField("gtksa_replay_counter", 0, 2),
        BitField("ptksa_replay_counter", 0, 2),
        BitField("no_pairwise", 0, 1),
        BitField("pre_auth", 0, 1),
        BitField("reserved", 0, 1),
        BitField("ocvc", 0, 1),
        BitField("extended_key_id", 0, 1),
        BitField("pbac", 0, 1),
        BitField("spp_a_msdu_required", 0, 1),
        BitField("spp_a_msdu_capable", 0, 1),
        BitField("peer_key_enabled", 0, 1),
        BitField("joint_multiband_rsna", 0, 1),
        ConditionalField(PacketField("pmkids", PMKIDListPacket(), PMKIDListPacket),
                         _has_pmkids),
        ConditionalField(PacketField("group_management_cipher_suite",
                                     RSNCipherSuite(cipher=6), RSNCipherSuite),
                         _has_group_management),
    ]


class Dot11EltMicrosoftWPA(_Element):
    """Microsoft's WPA element (vendor-specific, type 1): WPA's ciphers and key management."""

    name = "802.11 Microsoft WPA"
    fields_desc = [
        ByteEnumField("ID", 221, ELEMENT_IDS),
        ByteField("len", None),
        OUIField("oui", OUI_MICROSOFT),
        XByteField("type", 1),
        *_WPA_FIELDS,
    ]


def _vendor_info_length(pkt: Any) -> int:
    return (pkt.len or 0) - 3


class Dot11EltVendorSpecific(_Element):
    """A vendor-specific element: the organisation, then its own bytes."""

    name = "802.11 Vendor Specific"
    fields_desc = [
        ByteEnumField("ID", 221, ELEMENT_IDS),
        ByteField("len", None),
        OUIField("oui", 0),
        StrLenField("info", b"", length_from=_vendor_info_length),
    ]


_WPA_OUI_TYPE = b"\x00\x50\xf2\x01"


def _suites_fit(body: bytes, pos: int, tail: int) -> bool:
    """True when the suite lists from ``pos`` (and ``tail`` more bytes) fit in ``body``."""
    try:
        pos += 4  # group cipher suite
        pos += 2 + 4 * int.from_bytes(body[pos:pos + 2], "little")
        if pos + 2 > len(body):
            return False
        pos += 2 + 4 * int.from_bytes(body[pos:pos + 2], "little")
    except (IndexError, ValueError):
        return False
    return pos + tail <= len(body)


def element_class_for(buf: bytes, off: int, end: int) -> type | None:
    """The class for an RSN or vendor-specific element at ``buf[off:end]``, or None
    (a plain ``Dot11Elt``) when its bytes do not hold what the class reads."""
    if off + 2 > end:
        return None
    ident, n = buf[off], buf[off + 1]
    body = buf[off + 2:min(off + 2 + n, end)]
    if len(body) < n:
        return None
    if ident == 48:
        # version, suites and the 2-byte capabilities
        return Dot11EltRSN if len(body) >= 2 + 2 and _suites_fit(body, 2, 2) else None
    if ident == 221 and len(body) >= 3:
        if body[:4] == _WPA_OUI_TYPE and len(body) >= 6 and _suites_fit(body, 6, 0):
            return Dot11EltMicrosoftWPA
        return Dot11EltVendorSpecific
    return None
