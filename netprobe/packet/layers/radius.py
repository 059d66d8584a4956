"""RADIUS (RFC 2865/2866) on UDP ports 1812/1813, as Scapy declares and prints it.

``Radius`` is ``code``, ``id``, ``len`` (filled), a 16-byte ``authenticator`` and
``attributes``, a list of attribute packets. ``RadiusAttribute`` is any attribute
(``type``, ``len``, ``value`` bytes); dissection reads the common ones as their own
classes, as Scapy does: ``RadiusAttr_User_Name``, ``..._User_Password``,
``..._NAS_IP_Address``, ``..._NAS_Port``, ``..._Service_Type``,
``..._Framed_IP_Address``, ``..._Framed_MTU``, ``..._State``, ``..._Session_Timeout``,
``..._Idle_Timeout``, ``..._Acct_Status_Type``, ``..._Acct_Session_Time``,
``..._NAS_Port_Type``, ``..._Vendor_Specific``, ``..._EAP_Message`` (its value an
``EAP`` packet), ``..._Message_Authenticator`` and the rest of Scapy's
``RadiusAttr_...`` classes (numbers and addresses). Building over UDP fills Scapy's
ports (1812 both ways). Nothing is hashed: the authenticator, User-Password and the
Message-Authenticator are the bytes given.

Where netprobe differs: vendor ids and vendor types show as numbers (Scapy names a few
vendors' attributes, Microsoft's among them).
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, Truncated, bind_layers
from netprobe.packet.layers.eap import EAP, eap_class
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet, item_padding
from netprobe.packet.scapy_fields import (
    ByteEnumField,
    ByteField,
    FieldLenField,
    IntEnumField,
    IntField,
    IPField,
    PacketField,
    StrLenField,
    XStrFixedLenField,
    XStrLenField,
)
from netprobe.packet.tlv_list import TLVListField

__all__ = [
    "Radius", "RadiusAttr_Acct_Session_Time", "RadiusAttr_Acct_Status_Type",
    "RadiusAttr_EAP_Message", "RadiusAttr_Framed_IP_Address", "RadiusAttr_Framed_MTU",
    "RadiusAttr_Idle_Timeout", "RadiusAttr_Message_Authenticator", "RadiusAttr_NAS_IP_Address",
    "RadiusAttr_NAS_Port", "RadiusAttr_NAS_Port_Type", "RadiusAttr_Service_Type",
    "RadiusAttr_Session_Timeout", "RadiusAttr_State", "RadiusAttr_User_Name",
    "RadiusAttr_User_Password", "RadiusAttr_Vendor_Specific", "RadiusAttribute",
]

AUTH_PORT, ACCT_PORT = 1812, 1813
#: ports RADIUS is read on, as Scapy reads it: IANA's, and dynamic authorization (RFC 5176)
RADIUS_PORTS = (1812, 1813, 3799)

#: packet codes (IANA), under Scapy's names
PACKET_CODES = {
    1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
    5: "Accounting-Response", 6: "Accounting-Status (now Interim Accounting)",
    7: "Password-Request", 8: "Password-Ack", 9: "Password-Reject", 10: "Accounting-Message",
    11: "Access-Challenge", 12: "Status-Server (experimental)",
    13: "Status-Client (experimental)", 21: "Resource-Free-Request", 22: "Resource-Free-Response",
    23: "Resource-Query-Request", 24: "Resource-Query-Response",
    25: "Alternate-Resource-Reclaim-Request", 26: "NAS-Reboot-Request", 27: "NAS-Reboot-Response",
    28: "Reserved", 29: "Next-Passcode", 30: "New-Pin", 31: "Terminate-Session",
    32: "Password-Expired", 33: "Event-Request", 34: "Event-Response", 40: "Disconnect-Request",
    41: "Disconnect-ACK", 42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK", 45: "CoA-NAK",
    50: "IP-Address-Allocate", 51: "IP-Address-Release", 52: "Protocol-Error",
    250: "Experimental Use", 251: "Experimental Use", 252: "Experimental Use",
    253: "Experimental Use", 254: "Reserved", 255: "Reserved",
}

#: attribute types (IANA), under Scapy's names
ATTRIBUTE_TYPES = {
    1: "User-Name", 2: "User-Password", 3: "CHAP-Password", 4: "NAS-IP-Address", 5: "NAS-Port",
    6: "Service-Type", 7: "Framed-Protocol", 8: "Framed-IP-Address", 9: "Framed-IP-Netmask",
    10: "Framed-Routing", 11: "Filter-Id", 12: "Framed-MTU", 13: "Framed-Compression",
    14: "Login-IP-Host", 15: "Login-Service", 16: "Login-TCP-Port", 17: "Unassigned",
    18: "Reply-Message", 19: "Callback-Number", 20: "Callback-Id", 21: "Unassigned",
    22: "Framed-Route", 23: "Framed-IPX-Network", 24: "State", 25: "Class", 26: "Vendor-Specific",
    27: "Session-Timeout", 28: "Idle-Timeout", 29: "Termination-Action", 30: "Called-Station-Id",
    31: "Calling-Station-Id", 32: "NAS-Identifier", 33: "Proxy-State", 34: "Login-LAT-Service",
    35: "Login-LAT-Node", 36: "Login-LAT-Group", 37: "Framed-AppleTalk-Link",
    38: "Framed-AppleTalk-Network", 39: "Framed-AppleTalk-Zone", 40: "Acct-Status-Type",
    41: "Acct-Delay-Time", 42: "Acct-Input-Octets", 43: "Acct-Output-Octets",
    44: "Acct-Session-Id", 45: "Acct-Authentic", 46: "Acct-Session-Time",
    47: "Acct-Input-Packets", 48: "Acct-Output-Packets", 49: "Acct-Terminate-Cause",
    50: "Acct-Multi-Session-Id", 51: "Acct-Link-Count", 52: "Acct-Input-Gigawords",
    53: "Acct-Output-Gigawords", 54: "Unassigned", 55: "Event-Timestamp", 56: "Egress-VLANID",
    57: "Ingress-Filters", 58: "Egress-VLAN-Name", 59: "User-Priority-Table",
    60: "CHAP-Challenge", 61: "NAS-Port-Type", 62: "Port-Limit", 63: "Login-LAT-Port",
    64: "Tunnel-Type", 65: "Tunnel-Medium-Type", 66: "Tunnel-Client-Endpoint",
    67: "Tunnel-Server-Endpoint", 68: "Acct-Tunnel-Connection", 69: "Tunnel-Password",
    70: "ARAP-Password", 71: "ARAP-Features", 72: "ARAP-Zone-Access", 73: "ARAP-Security",
    74: "ARAP-Security-Data", 75: "Password-Retry", 76: "Prompt", 77: "Connect-Info",
    78: "Configuration-Token", 79: "EAP-Message", 80: "Message-Authenticator",
    81: "Tunnel-Private-Group-ID", 82: "Tunnel-Assignment-ID", 83: "Tunnel-Preference",
    84: "ARAP-Challenge-Response", 85: "Acct-Interim-Interval", 86: "Acct-Tunnel-Packets-Lost",
    87: "NAS-Port-Id", 88: "Framed-Pool", 89: "CUI", 90: "Tunnel-Client-Auth-ID",
    91: "Tunnel-Server-Auth-ID", 92: "NAS-Filter-Rule", 93: "Unassigned",
    94: "Originating-Line-Info", 95: "NAS-IPv6-Address", 96: "Framed-Interface-Id",
    97: "Framed-IPv6-Prefix", 98: "Login-IPv6-Host", 99: "Framed-IPv6-Route",
    100: "Framed-IPv6-Pool", 101: "Error-Cause", 102: "EAP-Key-Name", 103: "Digest-Response",
    104: "Digest-Realm", 105: "Digest-Nonce", 106: "Digest-Response-Auth",
    107: "Digest-Nextnonce", 108: "Digest-Method", 109: "Digest-URI", 110: "Digest-Qop",
    111: "Digest-Algorithm", 112: "Digest-Entity-Body-Hash", 113: "Digest-CNonce",
    114: "Digest-Nonce-Count", 115: "Digest-Username", 116: "Digest-Opaque",
    117: "Digest-Auth-Param", 118: "Digest-AKA-Auts", 119: "Digest-Domain", 120: "Digest-Stale",
    121: "Digest-HA1", 122: "SIP-AOR", 123: "Delegated-IPv6-Prefix", 124: "MIP6-Feature-Vector",
    125: "MIP6-Home-Link-Prefix", 126: "Operator-Name", 127: "Location-Information",
    128: "Location-Data", 129: "Basic-Location-Policy-Rules",
    130: "Extended-Location-Policy-Rules", 131: "Location-Capable",
    132: "Requested-Location-Info", 133: "Framed-Management-Protocol",
    134: "Management-Transport-Protection", 135: "Management-Policy-Id",
    136: "Management-Privilege-Level", 137: "PKM-SS-Cert", 138: "PKM-CA-Cert",
    139: "PKM-Config-Settings", 140: "PKM-Cryptosuite-List", 141: "PKM-SAID",
    142: "PKM-SA-Descriptor", 143: "PKM-Auth-Key", 144: "DS-Lite-Tunnel-Name",
    145: "Mobile-Node-Identifier", 146: "Service-Selection", 147: "PMIP6-Home-LMA-IPv6-Address",
    148: "PMIP6-Visited-LMA-IPv6-Address", 149: "PMIP6-Home-LMA-IPv4-Address",
    150: "PMIP6-Visited-LMA-IPv4-Address", 151: "PMIP6-Home-HN-Prefix",
    152: "PMIP6-Visited-HN-Prefix", 153: "PMIP6-Home-Interface-ID",
    154: "PMIP6-Visited-Interface-ID", 155: "PMIP6-Home-IPv4-HoA", 156: "PMIP6-Visited-IPv4-HoA",
    157: "PMIP6-Home-DHCP4-Server-Address", 158: "PMIP6-Visited-DHCP4-Server-Address",
    159: "PMIP6-Home-DHCP6-Server-Address", 160: "PMIP6-Visited-DHCP6-Server-Address",
    161: "PMIP6-Home-IPv4-Gateway", 162: "PMIP6-Visited-IPv4-Gateway", 163: "EAP-Lower-Layer",
    164: "GSS-Acceptor-Service-Name", 165: "GSS-Acceptor-Host-Name",
    166: "GSS-Acceptor-Service-Specifics", 167: "GSS-Acceptor-Realm-Name",
    168: "Framed-IPv6-Address", 169: "DNS-Server-IPv6-Address", 170: "Route-IPv6-Information",
    171: "Delegated-IPv6-Prefix-Pool", 172: "Stateful-IPv6-Address-Pool",
    173: "IPv6-6rd-Configuration", 174: "Allowed-Called-Station-Id", 175: "EAP-Peer-Id",
    176: "EAP-Server-Id", 177: "Mobility-Domain-Id", 178: "Preauth-Timeout",
    179: "Network-Id-Name", 180: "EAPoL-Announcement", 181: "WLAN-HESSID", 182: "WLAN-Venue-Info",
    183: "WLAN-Venue-Language", 184: "WLAN-Venue-Name", 185: "WLAN-Reason-Code",
    186: "WLAN-Pairwise-Cipher", 187: "WLAN-Group-Cipher", 188: "WLAN-AKM-Suite",
    189: "WLAN-Group-Mgmt-Cipher", 190: "WLAN-RF-Band", 191: "Unassigned",
}

#: named values of Service-Type, NAS-Port-Type and Acct-Status-Type
SERVICE_TYPES = {
    1: "Login", 2: "Framed", 3: "Callback Login", 4: "Callback Framed", 5: "Outbound",
    6: "Administrative", 7: "NAS Prompt", 8: "Authenticate Only", 9: "Callback NAS Prompt",
    10: "Call Check", 11: "Callback Administrative", 12: "Voice", 13: "Fax", 14: "Modem Relay",
    15: "IAPP-Register", 16: "IAPP-AP-Check", 17: "Authorize Only", 18: "Framed-Management",
    19: "Additional-Authorization",
}
NAS_PORT_TYPES = {
    0: "Async", 1: "Sync", 2: "ISDN Sync", 3: "ISDN Async V.120", 4: "ISDN Async V.110",
    5: "Virtual", 6: "PIAFS", 7: "HDLC Clear Channel", 8: "X.25", 9: "X.75", 10: "G.3 Fax",
    11: "SDSL - Symmetric DSL",
    12: "ADSL-CAP - Asymmetric DSL, Carrierless Amplitude Phase Modulation",
    13: "ADSL-DMT - Asymmetric DSL, Discrete Multi-Tone",
    14: "IDSL - ISDN Digital Subscriber Line", 15: "Ethernet",
    16: "xDSL - Digital Subscriber Line of unknown type", 17: "Cable", 18: "Wireles - Other",
    19: "Wireless - IEEE 802.11", 20: "Token-Ring", 21: "FDDI", 22: "Wireless - CDMA2000",
    23: "Wireless - UMTS", 24: "Wireless - 1X-EV", 25: "IAPP", 26: "FTTP - Fiber to the Premises",
    27: "Wireless - IEEE 802.16", 28: "Wireless - IEEE 802.20", 29: "Wireless - IEEE 802.22",
    30: "PPPoA - PPP over ATM", 31: "PPPoEoA - PPP over Ethernet over ATM",
    32: "PPPoEoE - PPP over Ethernet over Ethernet",
    33: "PPPoEoVLAN - PPP over Ethernet over VLAN",
    34: "PPPoEoQinQ - PPP over Ethernet over IEEE 802.1QinQ",
    35: "xPON - Passive Optical Network", 36: "Wireless - XGP",
    37: "WiMAX Pre-Release 8 IWK Function", 38: "WIMAX-WIFI-IWK: WiMAX WIFI Interworking",
    39: "WIMAX-SFF: Signaling Forwarding Function for LTE/3GPP2",
    40: "WIMAX-HA-LMA: WiMAX HA and or LMA function", 41: "WIMAX-DHCP: WIMAX DHCP service",
    42: "WIMAX-LBS: WiMAX location based service", 43: "WIMAX-WVS: WiMAX voice service",
}
ACCT_STATUS_TYPES = {
    1: "Start", 2: "Stop", 3: "Interim-Update", 4: "Unassigned", 5: "Unassigned", 6: "Unassigned",
    7: "Accounting-On", 8: "Accounting-Off", 9: "Tunnel-Start", 10: "Tunnel-Stop",
    11: "Tunnel-Reject", 12: "Tunnel-Link-Start", 13: "Tunnel-Link-Stop",
    14: "Tunnel-Link-Reject", 15: "Failed",
}
_USER_NAME, _USER_PASSWORD, _CHAP_PASSWORD, _EAP_MESSAGE = 1, 2, 3, 79
_ACCESS_REQUEST = 1


class RadiusAttribute(Packet):
    """Any attribute: type, length (filled), value bytes."""

    name = "Radius Attribute"
    fields_desc = [
        ByteEnumField("type", 1, ATTRIBUTE_TYPES),
        FieldLenField("len", None, fmt="B", length_of="value", adjust=lambda pkt, x: x + 2),
        StrLenField("value", b"", length_from=lambda pkt: (pkt.len or 2) - 2),
    ]

    extract_padding = item_padding


class _Specific(RadiusAttribute):
    """An attribute of one type: made with that type given, as Scapy makes it."""

    attr_type = 0

    def __init__(self, _raw: Any = None, /, **kwargs: Any) -> None:
        # Packet's: it makes the packet with this class's own fields and defaults
        if _raw is None:
            kwargs.setdefault("type", type(self).attr_type)
            Packet.__init__(self, **kwargs)
        else:
            Packet.__init__(self, _raw, **kwargs)


#: ``ls()``: the type Scapy's classes declare, by the kind of their value (a made attribute
#: takes its own type; Scapy's declarations share a handful of templates)
_LS_TYPE = {"StrLenField": 1, "XStrLenField": 24, "IPField": 4, "IntField": 5,
            "IntEnumField": 6, "XStrFixedLenField": 24}


def _specific(cls_name: str, kind: int, value: Any, fixed: int | None = None) -> type:
    ls_kinds = {}
    if type(value).__name__ == "IntEnumField":
        ls_kinds["value"] = f"MultiEnumField (Depends on {kind})"
    if kind == 80:
        ls_kinds["len"] = "FieldLenField"
    if fixed is None:
        size = FieldLenField("len", None, fmt="B", length_of="value",
                             adjust=lambda pkt, x: x + 2)
    else:
        size = ByteField("len", fixed)
    fields = [ByteEnumField("type", kind, ATTRIBUTE_TYPES), size, value]
    return type(cls_name, (_Specific,), {
        "name": ATTRIBUTE_TYPES[kind], "fields_desc": fields, "attr_type": kind,
        "ls_kinds": ls_kinds, "ls_defaults": {"type": _LS_TYPE[type(value).__name__]},
        "__doc__": f"The {ATTRIBUTE_TYPES[kind]} attribute.", "__module__": __name__})


def _rest(kind: type = StrLenField) -> Any:
    """A ``value`` of bytes to the end of the attribute (its length counts 2 more)."""
    return kind("value", b"", length_from=lambda pkt: (pkt.len or 2) - 2)


RadiusAttr_User_Name = _specific("RadiusAttr_User_Name", 1, _rest())
RadiusAttr_User_Password = _specific("RadiusAttr_User_Password", 2, _rest(XStrLenField))
RadiusAttr_NAS_IP_Address = _specific("RadiusAttr_NAS_IP_Address", 4,
                                      IPField("value", "0.0.0.0"), 6)
RadiusAttr_NAS_Port = _specific("RadiusAttr_NAS_Port", 5, IntField("value", 0), 6)
RadiusAttr_Service_Type = _specific("RadiusAttr_Service_Type", 6,
                                    IntEnumField("value", 0, SERVICE_TYPES), 6)
RadiusAttr_Framed_IP_Address = _specific("RadiusAttr_Framed_IP_Address", 8,
                                         IPField("value", "0.0.0.0"), 6)
RadiusAttr_Framed_MTU = _specific("RadiusAttr_Framed_MTU", 12, IntField("value", 0), 6)
RadiusAttr_State = _specific("RadiusAttr_State", 24, _rest(XStrLenField))
RadiusAttr_Session_Timeout = _specific("RadiusAttr_Session_Timeout", 27,
                                       IntField("value", 0), 6)
RadiusAttr_Idle_Timeout = _specific("RadiusAttr_Idle_Timeout", 28, IntField("value", 0), 6)
RadiusAttr_Acct_Status_Type = _specific("RadiusAttr_Acct_Status_Type", 40,
                                        IntEnumField("value", 0, ACCT_STATUS_TYPES), 6)
RadiusAttr_Acct_Session_Time = _specific("RadiusAttr_Acct_Session_Time", 46,
                                         IntField("value", 0), 6)
RadiusAttr_NAS_Port_Type = _specific("RadiusAttr_NAS_Port_Type", 61,
                                     IntEnumField("value", 0, NAS_PORT_TYPES), 6)
RadiusAttr_Message_Authenticator = _specific(
    "RadiusAttr_Message_Authenticator", 80, XStrFixedLenField("value", b"\x00" * 16, 16), 18)


FRAMED_PROTOCOLS = {1: "PPP", 2: "SLIP", 3: "AppleTalk Remote Access Protocol (ARAP)",
                    4: "Gandalf proprietary SingleLink/MultiLink protocol",
                    5: "Xylogics proprietary IPX/SLIP", 6: "X.75 Synchronous",
                    7: "GPRS PDP Context"}
ACCT_AUTHENTIC = {1: "RADIUS", 2: "Local", 3: "Remote", 4: "Diameter"}
ACCT_TERMINATE_CAUSES = {
    1: "User Request", 2: "Lost Carrier", 3: "Lost Service", 4: "Idle Timeout",
    5: "Session Timeout", 6: "Admin Reset", 7: "Admin Reboot", 8: "Port Error",
    9: "NAS Error", 10: "NAS Request", 11: "NAS Reboot", 12: "Port Unneeded",
    13: "Port Preempted", 14: "Port Suspended", 15: "Service Unavailable", 16: "Callback",
    17: "User Error", 18: "Host Request", 19: "Supplicant Restart",
    20: "Reauthentication Failure", 21: "Port Reinitialized",
    22: "Port Administratively Disabled", 23: "Lost Power"}
RadiusAttr_Framed_Protocol = _specific("RadiusAttr_Framed_Protocol", 7,
                                       IntEnumField("value", 0, FRAMED_PROTOCOLS), 6)
RadiusAttr_Acct_Authentic = _specific("RadiusAttr_Acct_Authentic", 45,
                                      IntEnumField("value", 0, ACCT_AUTHENTIC), 6)
RadiusAttr_Acct_Terminate_Cause = _specific("RadiusAttr_Acct_Terminate_Cause", 49,
                                            IntEnumField("value", 0, ACCT_TERMINATE_CAUSES), 6)
#: the other attributes Scapy has a class for: a 32-bit number or an IPv4 address
_NUMBERS = {37: "Framed_AppleTalk_Link", 38: "Framed_AppleTalk_Network",
            16: "Login_TCP_Port", 41: "Acct_Delay_Time", 42: "Acct_Input_Octets",
            43: "Acct_Output_Octets", 47: "Acct_Input_Packets", 48: "Acct_Output_Packets",
            51: "Acct_Link_Count", 52: "Acct_Input_Gigawords", 53: "Acct_Output_Gigawords",
            55: "Event_Timestamp", 56: "Egress_VLANID", 62: "Port_Limit",
            73: "ARAP_Security", 75: "Password_Retry", 83: "Tunnel_Preference",
            85: "Acct_Interim_Interval", 86: "Acct_Tunnel_Packets_Lost",
            136: "Management_Privilege_Level", 177: "Mobility_Domain_Id",
            178: "Preauth_Timeout", 182: "WLAN_Venue_Info", 185: "WLAN_Reason_Code",
            186: "WLAN_Pairwise_Cipher", 187: "WLAN_Group_Cipher", 188: "WLAN_AKM_Suite",
            189: "WLAN_Group_Mgmt_Cipher", 190: "WLAN_RF_Band"}
_ADDRESSES = {9: "Framed_IP_Netmask", 14: "Login_IP_Host", 23: "Framed_IPX_Network",
              149: "PMIP6_Home_LMA_IPv4_Address", 150: "PMIP6_Visited_LMA_IPv4_Address",
              157: "PMIP6_Home_DHCP4_Server_Address",
              158: "PMIP6_Visited_DHCP4_Server_Address", 161: "PMIP6_Home_IPv4_Gateway",
              162: "PMIP6_Visited_IPv4_Gateway"}
_MORE: list[type] = [RadiusAttr_Framed_Protocol, RadiusAttr_Acct_Authentic,
                     RadiusAttr_Acct_Terminate_Cause]
for _kind, _name in _NUMBERS.items():
    _MORE.append(_specific(f"RadiusAttr_{_name}", _kind, IntField("value", 0), 6))
for _kind, _name in _ADDRESSES.items():
    _MORE.append(_specific(f"RadiusAttr_{_name}", _kind, IPField("value", "0.0.0.0"), 6))
globals().update({c.__name__: c for c in _MORE})


class RadiusAttr_Vendor_Specific(RadiusAttribute):  # noqa: N801 - Scapy's name
    """A vendor's attribute: vendor id (an IANA enterprise number), type, length, value."""

    name = "Vendor-Specific"
    ls_kinds = {"vendor_id": "IntEnumField", "vendor_type": "MultiEnumField (Depends on 0)",
                "value": "MultipleTypeField (_RadiusVendorValueField, StrLenField)"}
    fields_desc = [
        ByteEnumField("type", 26, ATTRIBUTE_TYPES),
        FieldLenField("len", None, fmt="B", length_of="value", adjust=lambda pkt, x: x + 8),
        IntField("vendor_id", 0),
        ByteField("vendor_type", 0),
        FieldLenField("vendor_len", None, fmt="B", length_of="value",
                      adjust=lambda pkt, x: x + 2),
        StrLenField("value", b"", length_from=lambda pkt: (pkt.vendor_len or 2) - 2),
    ]


class _EAPField(PacketField):
    """An EAP packet as an attribute's value (``EAP_MD5`` for an MD5-Challenge)."""

    ls_kind = "_EAPPacketField"

    def __init__(self, name: str) -> None:
        super().__init__(name, None, EAP)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        from netprobe.packet.dissect import dissect_as

        stop = min(end, off + max((pkt.len or 2) - 2, 0))
        if stop <= off:
            return None, off
        data = bytes(buf[off:stop])
        return dissect_as(eap_class(data), data), stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is None:  # Scapy's default is b''
            return "None" if pkt is None or pkt.is_dissected() else "b''"
        return repr(value)


class RadiusAttr_EAP_Message(RadiusAttribute):  # noqa: N801 - Scapy's name
    """An EAP packet carried in RADIUS (RFC 3579)."""

    name = "EAP-Message"
    ls_defaults = {"value": b""}
    #: an empty value reads as None, which Scapy's ``repr`` shows
    repr_none_fields = ("value",)
    fields_desc = [
        ByteEnumField("type", 79, ATTRIBUTE_TYPES),
        FieldLenField("len", None, fmt="B", length_of="value", adjust=lambda pkt, x: x + 2),
        _EAPField("value"),
    ]


ATTRIBUTE_CLASSES: dict[int, type[Layer]] = {
    c.attr_type if hasattr(c, "attr_type") else c.fields_by_name["type"].default: c
    for c in (RadiusAttr_User_Name, RadiusAttr_User_Password, RadiusAttr_NAS_IP_Address,
              RadiusAttr_NAS_Port, RadiusAttr_Service_Type, RadiusAttr_Framed_IP_Address,
              RadiusAttr_Framed_MTU, RadiusAttr_State, RadiusAttr_Session_Timeout,
              RadiusAttr_Idle_Timeout, RadiusAttr_Acct_Status_Type,
              RadiusAttr_Acct_Session_Time, RadiusAttr_NAS_Port_Type,
              RadiusAttr_Message_Authenticator, RadiusAttr_Vendor_Specific,
              RadiusAttr_EAP_Message, *_MORE)
}


def _attribute_class(data: bytes) -> type[Layer]:
    return ATTRIBUTE_CLASSES.get(data[0], RadiusAttribute)


class Radius(Packet):
    """A RADIUS packet."""

    name = "RADIUS"
    fields_desc = [
        ByteEnumField("code", 1, PACKET_CODES),
        ByteField("id", 0),
        FieldLenField("len", None, fmt="H", length_of="attributes",
                      adjust=lambda pkt, x: x + 20),
        XStrFixedLenField("authenticator", b"", 16),
        # an attribute that does not fit its type is read in the generic form
        TLVListField("attributes", _attribute_class,
                     length_from=lambda pkt: (pkt.len or 20) - 20,
                     item_cls=RadiusAttribute, fallback=RadiusAttribute),
    ]

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 20:
            raise Truncated(f"truncated header ({end - off} of 20 bytes)")
        size = int.from_bytes(buf[off + 2:off + 4], "big")
        stop = off + size if 20 <= size <= end - off else end
        Packet.parse(self, buf, off, stop)
        return stop, stop

    def mysummary(self) -> str:
        text = f"RADIUS {PACKET_CODES.get(self.code, self.code)}"
        if self.code != _ACCESS_REQUEST:
            return text
        attrs = {a.type: a for a in self.attributes or () if isinstance(a, RadiusAttribute)}
        notes = []
        if _USER_NAME in attrs:
            user = attrs[_USER_NAME].value
            if isinstance(user, bytes):
                user = user.decode("utf-8", "backslashreplace")
            notes.append(f"User:{user!r}")
        for kind, method in ((_USER_PASSWORD, "PAP"), (_CHAP_PASSWORD, "CHAP"),
                             (_EAP_MESSAGE, "EAP")):
            if kind in attrs:
                notes.append(method)
                break
        return f"{text} ({' '.join(notes)})" if notes else text

    hashret = EAP.hashret  # the id

    def answers(self, other: Any) -> bool:
        """An answer has the request's id and a code that answers its code."""
        answers_to = {2: 1, 3: 1, 11: 1, 5: 4, 41: 40, 42: 40, 44: 43, 45: 43}
        return (isinstance(other, Radius) and self.id == other.id
                and answers_to.get(self.code) == other.code)


bind_layers(UDP, Radius, dissect=False, sport=AUTH_PORT, dport=AUTH_PORT)
for _port in RADIUS_PORTS:
    UDP._dissect_table.setdefault(("dport", _port), Radius)
    UDP._dissect_table.setdefault(("sport", _port), Radius)

__all__ += [c.__name__ for c in _MORE]  # the classes made from the tables above
