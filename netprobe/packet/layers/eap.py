"""802.1X: EAPOL (EtherType 0x888E) and the EAP packets it carries, as Scapy declares them.

``EAPOL`` has ``version`` (802.1X-2001 by default), ``type`` (EAP-Packet, EAPOL-Start...)
and ``len`` (its payload's length, filled). ``EAP`` has ``code``, ``id``, ``len``
(filled) and, by code and type, ``type``, ``identity`` (a response's), ``message``
(a request's identity prompt) or ``desired_auth_types`` (a legacy NAK's).
``EAP_MD5`` is an MD5-Challenge (type 4): ``value_size``, ``value``,
``optional_name``; ``EAP_TLS``, ``EAP_TTLS``, ``EAP_PEAP`` and ``EAP_FAST`` carry TLS
records (the L, M, S flags, the total length when L is set, the data). Dissection
gives a request or response of those types as those classes; other methods (LEAP...)
stay in ``EAP`` with their data as ``Raw``. ``EAPOL_KEY`` is an EAPOL-Key frame (type
3: the 802.11 four-way handshake's key descriptor, nonce, MIC and key data).

``Ether() / EAPOL()`` sends to the PAE group address 01:80:c2:00:00:03, as in Scapy.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.link import SNAP, CookedLinux
from netprobe.packet.layers.raw import Raw
from netprobe.packet.packet_class import Packet, fills_length, item_padding
from netprobe.packet.scapy_fields import (
    BitEnumField,
    BitField,
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    FieldListField,
    IntField,
    LenField,
    LongField,
    ShortField,
    StrLenField,
    XStrFixedLenField,
    XStrLenField,
)

__all__ = ["EAP", "EAPOL", "EAPOL_KEY", "EAP_FAST", "EAP_MD5", "EAP_PEAP", "EAP_TLS",
           "EAP_TTLS"]

ETH_P_PAE = 0x888E
PAE_GROUP = "01:80:c2:00:00:03"

EAPOL_VERSIONS = {1: "802.1X-2001", 2: "802.1X-2004", 3: "802.1X-2010"}
EAPOL_TYPES = {0: "EAP-Packet", 1: "EAPOL-Start", 2: "EAPOL-Logoff", 3: "EAPOL-Key",
               4: "EAPOL-Encapsulated-ASF-Alert", 5: "EAPOL-MKA",
               6: "EAPOL-Announcement (Generic)", 7: "EAPOL-Announcement (Specific)",
               8: "EAPOL-Announcement-Req"}
EAP_CODES = {1: "Request", 2: "Response", 3: "Success", 4: "Failure", 5: "Initiate",
             6: "Finish"}
#: EAP method types (IANA), under Scapy's names
EAP_TYPES = {
    0: "Reserved", 1: "Identity", 2: "Notification", 3: "Legacy Nak", 4: "MD5-Challenge",
    5: "One-Time Password (OTP)", 6: "Generic Token Card (GTC)", 7: "Allocated - RFC3748",
    8: "Allocated - RFC3748", 9: "RSA Public Key Authentication", 10: "DSS Unilateral",
    11: "KEA", 12: "KEA-VALIDATE", 13: "EAP-TLS", 14: "Defender Token (AXENT)",
    15: "RSA Security SecurID EAP", 16: "Arcot Systems EAP", 17: "EAP-Cisco Wireless",
    18: "GSM Subscriber Identity Modules (EAP-SIM)", 19: "SRP-SHA1", 20: "Unassigned",
    21: "EAP-TTLS", 22: "Remote Access Service", 23: "EAP-AKA Authentication",
    24: "EAP-3Com Wireless", 25: "PEAP", 26: "MS-EAP-Authentication",
    27: "Mutual Authentication w/Key Exchange (MAKE)", 28: "CRYPTOCard",
    29: "EAP-MSCHAP-V2", 30: "DynamID", 31: "Rob EAP", 32: "Protected One-Time Password",
    33: "MS-Authentication-TLV", 34: "SentriNET", 35: "EAP-Actiontec Wireless",
    36: "Cogent Systems Biometrics Authentication EAP", 37: "AirFortress EAP",
    38: "EAP-HTTP Digest", 39: "SecureSuite EAP", 40: "DeviceConnect EAP", 41: "EAP-SPEKE",
    42: "EAP-MOBAC", 43: "EAP-FAST", 44: "ZoneLabs EAP (ZLXEAP)", 45: "EAP-Link",
    46: "EAP-PAX", 47: "EAP-PSK", 48: "EAP-SAKE", 49: "EAP-IKEv2", 50: "EAP-AKA",
    51: "EAP-GPSK", 52: "EAP-pwd", 53: "EAP-EKE Version 1",
    54: "EAP Method Type for PT-EAP", 55: "TEAP", 254: "Reserved for the Expanded Type",
    255: "Experimental"}
_REQUEST, _RESPONSE, _SUCCESS, _FAILURE = 1, 2, 3, 4
_IDENTITY, _LEGACY_NAK, _MD5 = 1, 3, 4
_EAPOL_KEY = 3


class EAPOL(Packet):
    """An EAPOL frame header; an EAP packet follows when ``type`` is EAP-Packet."""

    fields_desc = [
        ByteEnumField("version", 1, EAPOL_VERSIONS),
        ByteEnumField("type", 0, EAPOL_TYPES),
        LenField("len", None, "H"),
    ]

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes | None]:
        n = self.len if self.len is not None else len(s)
        return s[:n], s[n:]

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        if self.type == 0 and len(payload) >= 4:
            return eap_class(payload)
        if self.type == _EAPOL_KEY:
            return EAPOL_KEY
        return Raw

    def mysummary(self) -> str:
        return f"EAPOL {EAPOL_TYPES.get(self.type, self.type)}"

    def hashret(self) -> bytes:
        return bytes((self.type,)) + self.payload.hashret()

    def answers(self, other: Any) -> bool:
        """An EAPOL frame answers another of the same type whose payload it answers."""
        if isinstance(other, EAPOL) and other.type == self.type:
            return self.payload.answers(other.payload)
        return False


class EAPOL_KEY(Packet):  # noqa: N801 - Scapy's name
    """An EAPOL-Key frame (802.11i's four-way and group handshakes): descriptor type, key
    information bits, lengths, replay counter, nonce, IV, RSC, id, MIC and key data."""

    fields_desc = [
        ByteEnumField("key_descriptor_type", 1, {1: "RC4", 2: "RSN"}),
        BitField("res2", 0, 2),
        BitField("smk_message", 0, 1),
        BitField("encrypted_key_data", 0, 1),
        BitField("request", 0, 1),
        BitField("error", 0, 1),
        BitField("secure", 0, 1),
        BitField("has_key_mic", 1, 1),
        BitField("key_ack", 0, 1),
        BitField("install", 0, 1),
        BitField("res", 0, 2),
        BitEnumField("key_type", 0, 1, {0: "Group/SMK", 1: "Pairwise"}),
        BitEnumField("key_descriptor_type_version", 0, 3,
                     {1: "HMAC-MD5+ARC4", 2: "HMAC-SHA1-128+AES-128",
                      3: "AES-128-CMAC+AES-128"}),
        LenField("key_length", None, "H"),
        LongField("key_replay_counter", 0),
        XStrFixedLenField("key_nonce", b"", 32),
        XStrFixedLenField("key_iv", b"", 16),
        XStrFixedLenField("key_rsc", b"", 8),
        XStrFixedLenField("key_id", b"", 8),
        XStrFixedLenField("key_mic", b"", 16),
        FieldLenField("key_data_length", None, length_of="key_data", fmt="H"),
        XStrLenField("key_data", b"", length_from=lambda pkt: pkt.key_data_length or 0),
    ]

    extract_padding = item_padding

    def hashret(self) -> bytes:
        return (self.key_replay_counter or 0).to_bytes(8, "big")


def eap_class(data: bytes) -> type[Layer]:
    """The class an EAP packet's bytes read as: ``EAP_MD5`` for an MD5-Challenge."""
    if len(data) >= 5 and data[0] in (_REQUEST, _RESPONSE):
        return _BY_TYPE.get(data[4], EAP)
    return EAP


def _has_type(pkt: Any) -> bool:
    return pkt.code not in (_SUCCESS, _FAILURE)


def _rest(pkt: Any) -> int:
    return (pkt.len or 0) - 5


class EAP(Packet):
    """An EAP packet (RFC 3748)."""

    fields_desc = [
        ByteEnumField("code", 4, EAP_CODES),
        ByteField("id", 0),
        ShortField("len", None),
        ConditionalField(ByteEnumField("type", 0, EAP_TYPES), _has_type),
        ConditionalField(FieldListField("desired_auth_types", [],
                                        ByteEnumField("auth_type", 0, EAP_TYPES),
                                        length_from=_rest),
                         lambda pkt: pkt.code == _RESPONSE and pkt.type == _LEGACY_NAK),
        ConditionalField(StrLenField("identity", b"", length_from=_rest),
                         lambda pkt: pkt.code == _RESPONSE and pkt.type == _IDENTITY),
        ConditionalField(StrLenField("message", b"", length_from=_rest),
                         lambda pkt: pkt.code == _REQUEST and pkt.type == _IDENTITY),
    ]

    post_build = fills_length("len", 2, payload=True)

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes | None]:
        if self.len is None:
            return s, None
        used = 4 + (1 if _has_type(self) else 0)
        for name in ("desired_auth_types", "identity", "message"):
            f = type(self).fields_by_name[name]
            if f.cond(self):
                used += f.i2len(self, getattr(self, name))
        n = max(self.len - used, 0)
        return s[:n], s[n:]

    def mysummary(self) -> str:
        code = EAP_CODES.get(self.code, self.code)
        kind = EAP_TYPES.get(self.type if self.type is not None else 0, self.type)
        text = f"EAP {code} {kind}"
        if self.code == _RESPONSE and self.type == _IDENTITY:
            text += f" {self.identity!r}"
        return text

    def hashret(self) -> bytes:
        return bytes((self.id & 0xFF,))

    def answers(self, other: Any) -> bool:
        """A response answers the request with its ``id``; success and failure answer a
        response."""
        if not isinstance(other, EAP):
            return False
        if self.code == _REQUEST:
            return False
        if self.code == _RESPONSE:
            return other.code == _REQUEST and other.type == self.type
        return other.code == _RESPONSE


def _value_size(pkt: Any) -> int:
    return pkt.value_size or 0


def _name_size(pkt: Any) -> int:
    return (pkt.len or 0) - 6 - (pkt.value_size or 0)


def _as_built(self: Any, pkt: bytes, pay: bytes) -> bytes:
    # the length is the method's own FieldLenField (EAP's hook would count the payload)
    return pkt + pay


class EAP_MD5(EAP):  # noqa: N801 - Scapy's name
    """An EAP MD5-Challenge request or response."""

    name = "EAP-MD5"
    fields_desc = [
        ByteEnumField("code", 1, EAP_CODES),
        ByteField("id", 0),
        FieldLenField("len", None, fmt="H", length_of="optional_name",
                      adjust=lambda pkt, x: x + 6 + len(pkt.value or b"")),
        ByteEnumField("type", 4, EAP_TYPES),
        FieldLenField("value_size", None, fmt="B", length_of="value"),
        XStrLenField("value", b"", length_from=_value_size),
        XStrLenField("optional_name", b"", length_from=_name_size),
    ]

    post_build = _as_built
    extract_padding = item_padding


def _tls_rest(pkt: Any) -> int:
    return (pkt.len or 0) - 6 - (4 if pkt.L else 0)


def _tls_method(cls_name: str, kind: int, title: str, low: tuple[tuple[str, int, int], ...],
                length: str, data: str, doc: str) -> type[EAP]:
    """An EAP method carrying TLS records: the L, M, S flags, ``low`` bits, the total
    length when L is set, the data."""
    fields = [ByteEnumField("code", 1, EAP_CODES), ByteField("id", 0),
              FieldLenField("len", None, fmt="H", length_of=data,
                            adjust=lambda pkt, x: x + 6 + (4 if pkt.L else 0)),
              ByteEnumField("type", kind, EAP_TYPES),
              BitField("L", 0, 1), BitField("M", 0, 1), BitField("S", 0, 1),
              *(BitField(n, d, b) for n, b, d in low),
              ConditionalField(IntField(length, 0), lambda pkt: pkt.L == 1),
              XStrLenField(data, b"", length_from=_tls_rest)]
    return type(cls_name, (EAP,), {
        "name": title, "fields_desc": fields, "__doc__": doc, "__module__": __name__,
        "post_build": _as_built, "extract_padding": item_padding})


EAP_TLS = _tls_method("EAP_TLS", 13, "EAP-TLS", (("reserved", 5, 0),), "tls_message_len",
                      "tls_data", "EAP-TLS (RFC 5216): TLS records in EAP.")
EAP_TTLS = _tls_method("EAP_TTLS", 21, "EAP-TTLS", (("reserved", 2, 0), ("version", 3, 0)),
                       "message_len", "data", "EAP-TTLS (RFC 5281).")
EAP_PEAP = _tls_method("EAP_PEAP", 25, "PEAP", (("reserved", 3, 0), ("version", 2, 1)),
                       "tls_message_len", "tls_data", "PEAP (Microsoft's protected EAP).")
EAP_FAST = _tls_method("EAP_FAST", 43, "EAP-FAST", (("reserved", 2, 0), ("version", 3, 0)),
                       "message_len", "data", "EAP-FAST (RFC 4851).")
_BY_TYPE: dict[int, type[Layer]] = {_MD5: EAP_MD5, 13: EAP_TLS, 21: EAP_TTLS, 25: EAP_PEAP,
                                    43: EAP_FAST}


# stacked on an Ethernet header whose destination is unset, EAPOL sends to the PAE group
# address (IEEE 802.1X), as Scapy does; dissection goes by the type alone
bind_layers(Ether, EAPOL, dissect=False, type=ETH_P_PAE, dst=PAE_GROUP)
Ether._dissect_table.setdefault(("type", ETH_P_PAE), EAPOL)
bind_layers(CookedLinux, EAPOL, proto=ETH_P_PAE)
bind_layers(SNAP, EAPOL, code=ETH_P_PAE)
bind_layers(EAPOL, EAP, type=0)
bind_layers(EAPOL, EAPOL_KEY, dissect=False, type=_EAPOL_KEY)
for _method in _BY_TYPE.values():
    bind_layers(EAPOL, _method, dissect=False, type=0)
