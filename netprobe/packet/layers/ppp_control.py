"""PPP's control protocols on top of ``PPP``: LCP, IPCP, PAP and CHAP, as Scapy declares them.

``PPP_LCP`` packets (PPP protocol 0xC021) read as the class of their code:
``PPP_LCP_Configure`` (Configure-Request/Ack/Nak/Reject, with its ``options``),
``PPP_LCP_Terminate``, ``PPP_LCP_Code_Reject``, ``PPP_LCP_Protocol_Reject``,
``PPP_LCP_Echo`` and ``PPP_LCP_Discard_Request``. ``PPP_IPCP`` (0x8021) carries IPCP
options (``PPP_IPCP_Option_IPAddress``, ``..._DNS1``...). ``PPP_PAP`` (0xC023) reads as
``PPP_PAP_Request`` or ``PPP_PAP_Response``; ``PPP_CHAP`` (0xC223) as
``PPP_CHAP_ChallengeResponse`` for challenges and responses. Lengths fill themselves;
bytes after a packet's length are padding. Field names, defaults and printing are
Scapy's; so are the names ``PPP`` shows for its protocol numbers (``PPP_PROTOCOL_NAMES``,
IANA's registry as Scapy words it).

Where netprobe differs: the protocol a Protocol-Reject returns
(``rejected_information``) reads as ``Raw``, not as Scapy's empty ``Packet`` around it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netprobe.packet.layer import Layer, Truncated, bind_layers
from netprobe.packet.layers.link import PPP
from netprobe.packet.layers.raw import Raw
from netprobe.packet.packet_class import Packet, fills_length, item_padding
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    IntField,
    IPField,
    PacketField,
    ShortEnumField,
    ShortField,
    StrLenField,
    XByteField,
    XStrLenField,
)
from netprobe.packet.tlv_list import TLVListField

__all__ = [
    "PPP_CHAP",
    "PPP_IPCP",
    "PPP_LCP",
    "PPP_PAP",
    "PPP_CHAP_ChallengeResponse",
    "PPP_IPCP_Option",
    "PPP_IPCP_Option_DNS1",
    "PPP_IPCP_Option_DNS2",
    "PPP_IPCP_Option_IPAddress",
    "PPP_IPCP_Option_NBNS1",
    "PPP_IPCP_Option_NBNS2",
    "PPP_LCP_ACCM_Option",
    "PPP_LCP_Auth_Protocol_Option",
    "PPP_LCP_Code_Reject",
    "PPP_LCP_Configure",
    "PPP_LCP_Discard_Request",
    "PPP_LCP_Echo",
    "PPP_LCP_MRU_Option",
    "PPP_LCP_Magic_Number_Option",
    "PPP_LCP_Option",
    "PPP_LCP_Protocol_Reject",
    "PPP_LCP_Terminate",
    "PPP_PAP_Request",
    "PPP_PAP_Response",
]

#: PPP protocol numbers (IANA "PPP DLL Protocol Numbers"), as Scapy names them
PPP_PROTOCOL_NAMES = {
    0x0001: "Padding Protocol", 0x0003: "ROHC small-CID [RFC3095]",
    0x0005: "ROHC large-CID [RFC3095]", 0x0021: "Internet Protocol version 4",
    0x0023: "OSI Network Layer", 0x0025: "Xerox NS IDP", 0x0027: "DECnet Phase IV",
    0x0029: "Appletalk", 0x002B: "Novell IPX", 0x002D: "Van Jacobson Compressed TCP/IP",
    0x002F: "Van Jacobson Uncompressed TCP/IP", 0x0031: "Bridging PDU",
    0x0033: "Stream Protocol (ST-II)", 0x0035: "Banyan Vines",
    0x0037: "reserved (until 1993) [Typo in RFC1172]", 0x0039: "AppleTalk EDDP",
    0x003B: "AppleTalk SmartBuffered", 0x003D: "Multi-Link [RFC1717]", 0x003F: "NETBIOS Framing",
    0x0041: "Cisco Systems", 0x0043: "Ascom Timeplex",
    0x0045: "Fujitsu Link Backup and Load Balancing (LBLB)", 0x0047: "DCA Remote Lan",
    0x0049: "Serial Data Transport Protocol (PPP-SDTP)", 0x004B: "SNA over 802.2", 0x004D: "SNA",
    0x004F: "IPv6 Header Compression", 0x0051: "KNX Bridging Data [ianp]",
    0x0053: "Encryption [Meyer]", 0x0055: "Individual Link Encryption [Meyer]",
    0x0057: "Internet Protocol version 6 [Hinden]", 0x0059: "PPP Muxing [RFC3153]",
    0x005B: "Vendor-Specific Network Protocol (VSNP) [RFC3772]",
    0x0061: "RTP IPHC Full Header [RFC3544]", 0x0063: "RTP IPHC Compressed TCP [RFC3544]",
    0x0065: "RTP IPHC Compressed Non TCP [RFC3544]",
    0x0067: "RTP IPHC Compressed UDP 8 [RFC3544]", 0x0069: "RTP IPHC Compressed RTP 8 [RFC3544]",
    0x006F: "Stampede Bridging", 0x0071: "Reserved [Fox]", 0x0073: "MP+ Protocol [Smith]",
    0x007D: "reserved (Control Escape) [RFC1661]",
    0x007F: "reserved (compression inefficient [RFC1662]",
    0x0081: "Reserved Until 20-Oct-2000 [IANA]", 0x0083: "Reserved Until 20-Oct-2000 [IANA]",
    0x00C1: "NTCITS IPI [Ungar]", 0x00CF: "reserved (PPP NLID)",
    0x00FB: "single link compression in multilink [RFC1962]",
    0x00FD: "compressed datagram [RFC1962]", 0x00FF: "reserved (compression inefficient)",
    0x0201: "802.1d Hello Packets", 0x0203: "IBM Source Routing BPDU",
    0x0205: "DEC LANBridge100 Spanning Tree", 0x0207: "Cisco Discovery Protocol [Sastry]",
    0x0209: "Netcs Twin Routing [Korfmacher]",
    0x020B: "STP - Scheduled Transfer Protocol [Segal]",
    0x020D: "EDP - Extreme Discovery Protocol [Grosser]",
    0x0211: "Optical Supervisory Channel Protocol (OSCP)[Prasad]",
    0x0213: "Optical Supervisory Channel Protocol (OSCP)[Prasad]", 0x0231: "Luxcom",
    0x0233: "Sigma Network Systems", 0x0235: "Apple Client Server Protocol [Ridenour]",
    0x0281: "MPLS Unicast [RFC3032]  ", 0x0283: "MPLS Multicast [RFC3032]",
    0x0285: "IEEE p1284.4 standard - data packets [Batchelder]",
    0x0287: "ETSI TETRA Network Protocol Type 1 [Nieminen]",
    0x0289: "Multichannel Flow Treatment Protocol [McCann]",
    0x2063: "RTP IPHC Compressed TCP No Delta [RFC3544]",
    0x2065: "RTP IPHC Context State [RFC3544]", 0x2067: "RTP IPHC Compressed UDP 16 [RFC3544]",
    0x2069: "RTP IPHC Compressed RTP 16 [RFC3544]",
    0x4001: "Cray Communications Control Protocol [Stage]",
    0x4003: "CDPD Mobile Network Registration Protocol [Quick]",
    0x4005: "Expand accelerator protocol [Rachmani]", 0x4007: "ODSICP NCP [Arvind]",
    0x4009: "DOCSIS DLL [Gaedtke]", 0x400B: "Cetacean Network Detection Protocol [Siller]",
    0x4021: "Stacker LZS [Simpson]", 0x4023: "RefTek Protocol [Banfill]",
    0x4025: "Fibre Channel [Rajagopal]", 0x4027: "EMIT Protocols [Eastham]",
    0x405B: "Vendor-Specific Protocol (VSP) [RFC3772]",
    0x8021: "Internet Protocol Control Protocol", 0x8023: "OSI Network Layer Control Protocol",
    0x8025: "Xerox NS IDP Control Protocol", 0x8027: "DECnet Phase IV Control Protocol",
    0x8029: "Appletalk Control Protocol", 0x802B: "Novell IPX Control Protocol",
    0x802D: "reserved", 0x802F: "reserved", 0x8031: "Bridging NCP",
    0x8033: "Stream Protocol Control Protocol", 0x8035: "Banyan Vines Control Protocol",
    0x8037: "reserved (until 1993)", 0x8039: "reserved", 0x803B: "reserved",
    0x803D: "Multi-Link Control Protocol", 0x803F: "NETBIOS Framing Control Protocol",
    0x8041: "Cisco Systems Control Protocol", 0x8043: "Ascom Timeplex",
    0x8045: "Fujitsu LBLB Control Protocol",
    0x8047: "DCA Remote Lan Network Control Protocol (RLNCP)",
    0x8049: "Serial Data Control Protocol (PPP-SDCP)", 0x804B: "SNA over 802.2 Control Protocol",
    0x804D: "SNA Control Protocol", 0x804F: "IP6 Header Compression Control Protocol",
    0x8051: "KNX Bridging Control Protocol [ianp]", 0x8053: "Encryption Control Protocol [Meyer]",
    0x8055: "Individual Link Encryption Control Protocol [Meyer]",
    0x8057: "IPv6 Control Protovol [Hinden]", 0x8059: "PPP Muxing Control Protocol [RFC3153]",
    0x805B: "Vendor-Specific Network Control Protocol (VSNCP) [RFC3772]",
    0x806F: "Stampede Bridging Control Protocol", 0x8071: "Reserved [Fox]",
    0x8073: "MP+ Control Protocol [Smith]", 0x807D: "Not Used - reserved [RFC1661]",
    0x8081: "Reserved Until 20-Oct-2000 [IANA]", 0x8083: "Reserved Until 20-Oct-2000 [IANA]",
    0x80C1: "NTCITS IPI Control Protocol [Ungar]", 0x80CF: "Not Used - reserved [RFC1661]",
    0x80FB: "single link compression in multilink control [RFC1962]",
    0x80FD: "Compression Control Protocol [RFC1962]", 0x80FF: "Not Used - reserved [RFC1661]",
    0x8207: "Cisco Discovery Protocol Control [Sastry]",
    0x8209: "Netcs Twin Routing [Korfmacher]", 0x820B: "STP - Control Protocol [Segal]",
    0x820D: "EDPCP - Extreme Discovery Protocol Ctrl Prtcl [Grosser]",
    0x8235: "Apple Client Server Protocol Control [Ridenour]", 0x8281: "MPLSCP [RFC3032]",
    0x8285: "IEEE p1284.4 standard - Protocol Control [Batchelder]",
    0x8287: "ETSI TETRA TNP1 Control Protocol [Nieminen]",
    0x8289: "Multichannel Flow Treatment Protocol [McCann]", 0xC021: "Link Control Protocol",
    0xC023: "Password Authentication Protocol", 0xC025: "Link Quality Report",
    0xC027: "Shiva Password Authentication Protocol", 0xC029: "CallBack Control Protocol (CBCP)",
    0xC02B: "BACP Bandwidth Allocation Control Protocol [RFC2125]", 0xC02D: "BAP [RFC2125]",
    0xC05B: "Vendor-Specific Authentication Protocol (VSAP) [RFC3772]",
    0xC081: "Container Control Protocol [KEN]",
    0xC223: "Challenge Handshake Authentication Protocol",
    0xC225: "RSA Authentication Protocol [Narayana]",
    0xC227: "Extensible Authentication Protocol [RFC2284]",
    0xC229: "Mitsubishi Security Info Exch Ptcl (SIEP) [Seno]",
    0xC26F: "Stampede Bridging Authorization Protocol",
    0xC281: "Proprietary Authentication Protocol [KEN]",
    0xC283: "Proprietary Authentication Protocol [Tackabury]",
    0xC481: "Proprietary Node ID Authentication Protocol [KEN]",
}

LCP_CODES = {1: "Configure-Request", 2: "Configure-Ack", 3: "Configure-Nak",
             4: "Configure-Reject", 5: "Terminate-Request", 6: "Terminate-Ack",
             7: "Code-Reject", 8: "Protocol-Reject", 9: "Echo-Request", 10: "Echo-Reply",
             11: "Discard-Request"}
LCP_OPTION_TYPES = {1: "Maximum-Receive-Unit", 2: "Async-Control-Character-Map",
                    3: "Authentication-protocol", 4: "Quality-protocol", 5: "Magic-number",
                    7: "Protocol-Field-Compression",
                    8: "Address-and-Control-Field-Compression", 13: "Callback"}
AUTH_PROTOCOLS = {0xC023: "Password authentication protocol",
                  0xC223: "Challenge-response authentication protocol",
                  0xC227: "PPP Extensible authentication protocol"}
CHAP_ALGORITHMS = {5: "MD5", 6: "SHA1", 128: "MS-CHAP", 129: "MS-CHAP-v2"}
IPCP_OPTION_TYPES = {1: "IP-Addresses (Deprecated)", 2: "IP-Compression-Protocol",
                     3: "IP-Address", 4: "Mobile-IPv4", 129: "Primary-DNS-Address",
                     130: "Primary-NBNS-Address", 131: "Secondary-DNS-Address",
                     132: "Secondary-NBNS-Address"}
PAP_CODES = {1: "Authenticate-Request", 2: "Authenticate-Ack", 3: "Authenticate-Nak"}
CHAP_CODES = {1: "Challenge", 2: "Response", 3: "Success", 4: "Failure"}
_PAP_ANSWERS = {2: "Ack", 3: "Nak"}
PROTO_LCP, PROTO_IPCP, PROTO_PAP, PROTO_CHAP = 0xC021, 0x8021, 0xC023, 0xC223


# -- the common shape ---------------------------------------------------------------------
class _Control(Packet):
    """Code, identifier, length (filled with the packet's own size); what follows the
    length is padding. A class that stands for several reads as the one its code names
    (the classes of one protocol share one layout, so a read packet takes its class)."""

    #: code -> the class a packet of that code reads as (on the protocol's first class)
    by_code: dict[int, type[Layer]] = {}
    trailer_is_payload = False

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated header ({end - off} of 4 bytes)")
        cls = type(self).by_code.get(buf[off])
        if cls is not None and cls is not type(self):
            self.__class__ = cls
        size = int.from_bytes(buf[off + 2:off + 4], "big")
        stop = off + size if 4 <= size <= end - off else end
        pos, _ = Packet.parse(self, buf, off, stop)
        # bytes inside the length after the fields are the payload (Raw); IPCP's trailing
        # bytes are its payload too in Scapy, the others' are padding
        return pos, (end if type(self).trailer_is_payload else stop)

    post_build = fills_length("len", 2)


def _after(head: int) -> Any:
    return lambda pkt: (pkt.len or 0) - head


def _head(code: int, codes: dict[int, str], length_of: str = "data", before: int = 4,
          after: Callable[[Any], int] | None = None) -> list[Any]:
    """Code, identifier and the length of a control packet (RFC 1661 5): the length
    counts the ``before`` bytes up to ``length_of``, that field, and ``after(pkt)``."""
    return [ByteEnumField("code", code, codes), XByteField("id", 0),
            FieldLenField("len", None, fmt="H", length_of=length_of,
                          adjust=lambda pkt, x: x + before + (after(pkt) if after else 0))]


def _unknown_option(types: dict[int, str], data_default: bytes | None) -> list[Any]:
    """Type, length and value: an option without a class of its own."""
    return [ByteEnumField("type", None, types),
            FieldLenField("len", None, fmt="B", length_of="data", adjust=lambda pkt, x: x + 2),
            StrLenField("data", data_default, length_from=lambda pkt: (pkt.len or 2) - 2)]


class _Option(Packet):
    """An option: type, length (filled), value; read from exactly its own bytes."""

    post_build = fills_length("len", 1, 1)

    extract_padding = item_padding


# -- LCP --------------------------------------------------------------------------------------
class PPP_LCP_Option(_Option):  # noqa: N801 - Scapy's name
    """An LCP option netprobe has no class for: type, length, value."""

    name = "PPP LCP Option"
    fields_desc = _unknown_option(LCP_OPTION_TYPES, None)


class PPP_LCP_MRU_Option(_Option):  # noqa: N801 - Scapy's name
    """The maximum receive unit."""

    name = "PPP LCP Option"
    fields_desc = [ByteEnumField("type", 1, LCP_OPTION_TYPES), ByteField("len", 4),
                   ShortField("max_recv_unit", 1500)]


class PPP_LCP_ACCM_Option(_Option):  # noqa: N801 - Scapy's name
    """The async control character map."""

    name = "PPP LCP Option"
    fields_desc = [ByteEnumField("type", 2, LCP_OPTION_TYPES), ByteField("len", 6),
                   BitField("accm", 0, 32)]


def _is_chap(pkt: Any) -> bool:
    return pkt.auth_protocol == PROTO_CHAP


class PPP_LCP_Auth_Protocol_Option(_Option):  # noqa: N801 - Scapy's name
    """The authentication protocol (CHAP with its algorithm; others with their data)."""

    name = "PPP LCP Option"
    fields_desc = [
        ByteEnumField("type", 3, LCP_OPTION_TYPES),
        FieldLenField("len", None, fmt="B", length_of="data", adjust=lambda pkt, x: x + 4),
        ShortEnumField("auth_protocol", PROTO_PAP, AUTH_PROTOCOLS),
        ConditionalField(StrLenField("data", b"", length_from=lambda pkt: (pkt.len or 4) - 4),
                         lambda pkt: not _is_chap(pkt)),
        ConditionalField(ByteEnumField("algorithm", 5, CHAP_ALGORITHMS), _is_chap),
    ]


class PPP_LCP_Magic_Number_Option(_Option):  # noqa: N801 - Scapy's name
    """The magic number."""

    name = "PPP LCP Option"
    fields_desc = [ByteEnumField("type", 5, LCP_OPTION_TYPES), ByteField("len", 6),
                   IntField("magic_number", None)]


_LCP_OPTIONS = {1: PPP_LCP_MRU_Option, 2: PPP_LCP_ACCM_Option,
                3: PPP_LCP_Auth_Protocol_Option, 5: PPP_LCP_Magic_Number_Option}


def _options(choose: Callable[[bytes], type[Layer]]) -> TLVListField:
    """A control packet's options, each read as the class ``choose`` names for it."""
    return TLVListField("options", choose, length_from=_after(4))


def _lcp_option(data: bytes) -> type[Layer]:
    return _LCP_OPTIONS.get(data[0], PPP_LCP_Option) if data else Raw


class PPP_LCP(_Control):  # noqa: N801 - Scapy's name
    """An LCP packet: code, id, length, data; read as the class its code names."""

    __slots__ = ("magic_number", "options", "rejected_information", "rejected_packet",
                 "rejected_protocol")
    name = "PPP Link Control Protocol"
    fields_desc = [*_head(5, LCP_CODES), StrLenField("data", b"", length_from=_after(4))]

    def mysummary(self) -> str:
        return f"LCP {LCP_CODES.get(self.code, self.code)}"


class PPP_LCP_Configure(PPP_LCP):  # noqa: N801 - Scapy's name
    """Configure-Request, -Ack, -Nak or -Reject, with its options."""

    name = PPP_LCP.name
    fields_desc = [*_head(1, LCP_CODES, "options"), _options(_lcp_option)]


class PPP_LCP_Terminate(PPP_LCP):  # noqa: N801 - Scapy's name
    """Terminate-Request or -Ack."""

    name = PPP_LCP.name
    fields_desc = PPP_LCP.fields_desc


class PPP_LCP_Code_Reject(PPP_LCP):  # noqa: N801 - Scapy's name
    """Code-Reject: the rejected packet."""

    name = PPP_LCP.name
    fields_desc = [*_head(7, LCP_CODES, "rejected_packet"),
                   PacketField("rejected_packet", None, PPP_LCP)]


class PPP_LCP_Protocol_Reject(PPP_LCP):  # noqa: N801 - Scapy's name
    """Protocol-Reject: the rejected protocol and the start of its packet."""

    name = PPP_LCP.name
    fields_desc = [*_head(8, LCP_CODES, "rejected_information", 6),
                   ShortEnumField("rejected_protocol", None, PPP_PROTOCOL_NAMES),
                   PacketField("rejected_information", None, Raw)]


class PPP_LCP_Echo(PPP_LCP):  # noqa: N801 - Scapy's name
    """Echo-Request or -Reply: magic number and data."""

    name = PPP_LCP.name
    fields_desc = [*_head(9, LCP_CODES, "data", 8),
                   IntField("magic_number", None),
                   StrLenField("data", b"", length_from=_after(8))]


class PPP_LCP_Discard_Request(PPP_LCP):  # noqa: N801 - Scapy's name
    """Discard-Request: magic number and data."""

    name = PPP_LCP.name
    fields_desc = [ByteEnumField("code", 11, LCP_CODES), *PPP_LCP_Echo.fields_desc[1:]]


PPP_LCP.by_code = {1: PPP_LCP_Configure, 2: PPP_LCP_Configure, 3: PPP_LCP_Configure,
                   4: PPP_LCP_Configure, 5: PPP_LCP_Terminate, 6: PPP_LCP_Terminate,
                   7: PPP_LCP_Code_Reject, 8: PPP_LCP_Protocol_Reject, 9: PPP_LCP_Echo,
                   10: PPP_LCP_Echo, 11: PPP_LCP_Discard_Request}


# -- IPCP -------------------------------------------------------------------------------------
class PPP_IPCP_Option(_Option):  # noqa: N801 - Scapy's name
    """An IPCP option netprobe has no class for: type, length, value."""

    name = "PPP IPCP Option"
    fields_desc = _unknown_option(IPCP_OPTION_TYPES, b"")


def _address_option(cls_name: str, kind: int, title: str) -> type[_Option]:
    fields = [ByteEnumField("type", kind, IPCP_OPTION_TYPES),
              FieldLenField("len", None, fmt="B", length_of="garbage",
                            adjust=lambda pkt, x: x + 6),
              IPField("data", "0.0.0.0"),
              StrLenField("garbage", b"", length_from=lambda pkt: (pkt.len or 6) - 6)]
    return type(cls_name, (_Option,), {
        "name": f"PPP IPCP Option: {title} Address", "fields_desc": fields,
        "__doc__": f"The {title} address option.", "__module__": __name__})


PPP_IPCP_Option_IPAddress = _address_option("PPP_IPCP_Option_IPAddress", 3, "IP")
PPP_IPCP_Option_DNS1 = _address_option("PPP_IPCP_Option_DNS1", 129, "DNS1")
PPP_IPCP_Option_DNS2 = _address_option("PPP_IPCP_Option_DNS2", 131, "DNS2")
PPP_IPCP_Option_NBNS1 = _address_option("PPP_IPCP_Option_NBNS1", 130, "NBNS1")
PPP_IPCP_Option_NBNS2 = _address_option("PPP_IPCP_Option_NBNS2", 132, "NBNS2")
_IPCP_OPTIONS = {3: PPP_IPCP_Option_IPAddress, 129: PPP_IPCP_Option_DNS1,
                 130: PPP_IPCP_Option_NBNS1, 131: PPP_IPCP_Option_DNS2,
                 132: PPP_IPCP_Option_NBNS2}


def _ipcp_option(data: bytes) -> type[Layer]:
    return _IPCP_OPTIONS.get(data[0], PPP_IPCP_Option) if data else Raw


class PPP_IPCP(_Control):  # noqa: N801 - Scapy's name
    """An IPCP packet: code, id, length, options."""

    trailer_is_payload = True

    fields_desc = [*_head(1, LCP_CODES, "options"), _options(_ipcp_option)]


# -- PAP --------------------------------------------------------------------------------------
class PPP_PAP(_Control):  # noqa: N801 - Scapy's name
    """A PAP packet: code, id, length, data; read as a request or a response."""

    __slots__ = ("message", "msg_len", "passwd_len", "password", "username", "username_len")
    name = "PPP Password Authentication Protocol"
    fields_desc = [*_head(1, PAP_CODES), StrLenField("data", b"", length_from=_after(4))]


class PPP_PAP_Request(PPP_PAP):  # noqa: N801 - Scapy's name
    """Authenticate-Request: the peer id and password."""

    name = PPP_PAP.name
    fields_desc = [
        *_head(1, PAP_CODES, "username", 6, lambda pkt: len(pkt.password or b"")),
        FieldLenField("username_len", None, fmt="B", length_of="username"),
        StrLenField("username", None, length_from=lambda pkt: pkt.username_len or 0),
        FieldLenField("passwd_len", None, fmt="B", length_of="password"),
        StrLenField("password", None, length_from=lambda pkt: pkt.passwd_len or 0),
    ]

    def mysummary(self) -> str:
        return f"PAP-Request username={self.username!r} password={self.password!r}"


class PPP_PAP_Response(PPP_PAP):  # noqa: N801 - Scapy's name
    """Authenticate-Ack or -Nak, with a message."""

    name = PPP_PAP.name
    fields_desc = [
        *_head(2, PAP_CODES, "message", 5),
        FieldLenField("msg_len", None, fmt="B", length_of="message"),
        StrLenField("message", b"", length_from=lambda pkt: pkt.msg_len or 0),
    ]

    def mysummary(self) -> str:
        text = f"PAP-{_PAP_ANSWERS.get(self.code, self.code)}"
        size = self.msg_len if self.msg_len is not None else len(self.message or b"")
        return text + (f" msg={self.message!r}" if size > 0 else "")


PPP_PAP.by_code = {1: PPP_PAP_Request, 2: PPP_PAP_Response, 3: PPP_PAP_Response}


# -- CHAP -------------------------------------------------------------------------------------
class PPP_CHAP(_Control):  # noqa: N801 - Scapy's name
    """A CHAP packet: code, id, length, data (Success and Failure carry a message)."""

    __slots__ = ("optional_name", "value", "value_size")
    name = "PPP Challenge Handshake Authentication Protocol"
    fields_desc = [*_head(1, CHAP_CODES), StrLenField("data", b"", length_from=_after(4))]

    def mysummary(self) -> str:
        if self.code in (3, 4):
            return f"CHAP {CHAP_CODES[self.code]} message={self.data!r}"
        return ""


class PPP_CHAP_ChallengeResponse(PPP_CHAP):  # noqa: N801 - Scapy's name
    """A Challenge or a Response: the value and the sender's name."""

    name = PPP_CHAP.name
    fields_desc = [
        *_head(1, CHAP_CODES, "value", 5, lambda pkt: len(pkt.optional_name or b"")),
        FieldLenField("value_size", None, fmt="B", length_of="value"),
        XStrLenField("value", b"\x00" * 8, length_from=lambda pkt: pkt.value_size or 0),
        StrLenField("optional_name", b"",
                    length_from=lambda pkt: (pkt.len or 0) - 5 - (pkt.value_size or 0)),
    ]

    def mysummary(self) -> str:
        kind = {1: "challenge", 2: "response"}.get(self.code, str(self.code))
        return f"CHAP {kind}=0x{(self.value or b'').hex()} optional_name={self.optional_name!r}"


PPP_CHAP.by_code = {1: PPP_CHAP_ChallengeResponse, 2: PPP_CHAP_ChallengeResponse,
                    3: PPP_CHAP, 4: PPP_CHAP}

for _proto, _classes in ((PROTO_LCP, (PPP_LCP, *set(PPP_LCP.by_code.values()))),
                         (PROTO_IPCP, (PPP_IPCP,)),
                         (PROTO_PAP, (PPP_PAP, PPP_PAP_Request, PPP_PAP_Response)),
                         (PROTO_CHAP, (PPP_CHAP, PPP_CHAP_ChallengeResponse))):
    for _cls in _classes:
        bind_layers(PPP, _cls, dissect=False, proto=_proto)
    PPP._dissect_table.setdefault(("proto", _proto), _classes[0])
