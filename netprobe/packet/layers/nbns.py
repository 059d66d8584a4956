"""NetBIOS over TCP/IP (RFC 1002): the name service on UDP port 137, as Scapy declares it.

``NBNSHeader`` is the header (transaction id, ``RESPONSE``, ``OPCODE``, the
``NM_FLAGS`` ``B``, ``RA``, ``RD``, ``TC``, ``AA``, ``RCODE`` and the four counts);
what follows it is chosen from its opcode, flags and counts as Scapy chooses:
``NBNSQueryRequest``, ``NBNSQueryResponse`` (with ``NBNS_ADD_ENTRY`` addresses),
``NBNSNodeStatusRequest``, ``NBNSRegistrationRequest`` or ``NBNSWackResponse``.
Stacking a message on the header fills the header's opcode, flags and counts.
Names are up to 15 bytes, first-level encoded (RFC 1001 section 14.1) with the
service suffix as the 16th character (``SUFFIX``).

``NBTDatagram`` (UDP 138) and ``NBTSession`` (TCP 139) are the datagram and session
services' headers.

Where netprobe differs: node status responses (``NBNSNodeStatusResponse``) are not
declared (they read as ``Raw``), and what the datagram and session services carry
(SMB) reads as ``Raw``, where Scapy reads its SMB layers.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.raw import Raw
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet, fills_length, item_padding
from netprobe.packet.scapy_fields import (
    BitEnumField,
    BitField,
    ByteEnumField,
    ByteField,
    FieldLenField,
    FlagsField,
    IntField,
    IPField,
    PacketListField,
    ShortEnumField,
    ShortField,
    StrFixedLenField,
)

__all__ = [
    "NBNS_ADD_ENTRY",
    "NBNSHeader",
    "NBNSNodeStatusRequest",
    "NBNSQueryRequest",
    "NBNSQueryResponse",
    "NBNSRegistrationRequest",
    "NBNSWackResponse",
    "NBTDatagram",
    "NBTSession",
]

NBNS_PORT, NBDS_PORT, NBSS_PORT = 137, 138, 139
NM_FLAGS = ("B", "res1", "res0", "RA", "RD", "TC", "AA")
#: the 16th character of a name: the service (as Scapy names the common ones)
SUFFIXES = {
    0x4141: "Workstation Service", 0x4142: "Messenger Service", 0x4144: "Messenger service",
    0x4147: "RAS Server Service", 0x415C: "Exchange MTA", 0x4160: "NetDDE Service",
    0x4161: "File Server Service", 0x4162: "RAS Client Service",
    0x4163: "Exchange Interchange Service", 0x4164: "Exchange Store",
    0x4165: "Exchange Directory", 0x4171: "Modern Sharing Server Service",
    0x4172: "Modern Sharing Client Service", 0x4184: "SMS Client Remote Control",
    0x4185: "SMS Admin Remote Control Tool", 0x4186: "SMS Client Remote Chat",
    0x4187: "SMS Client Remote Transfer", 0x418D: "DEC Pathworks TCP/IP Service",
    0x4193: "DEC Pathworks TCP/IP Service", 0x41AB: "Exchange IMC", 0x41C8: "Exchange MTA",
    0x41FF: "Network Monitor Agent", 0x4200: "Network Monitor Apps",
    0x424C: "Domain Master Browser", 0x424D: "Domain Controller",
    0x424F: "Browser Election Service", 0x4341: "File Server Service"}
QUESTION_TYPES = {0x20: "NB", 0x21: "NBSTAT"}
CLASSES = {1: "INTERNET"}
NODE_TYPES = {0: "B node", 1: "P node", 2: "M node", 3: "H node"}


class NetBIOSNameField(StrFixedLenField):
    """A NetBIOS name of up to 15 bytes, first-level encoded (a length byte of 32, then
    two letters per byte), padded with spaces; read back without the spaces."""

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, 31)

    def pack_expr(self, v: str) -> str:
        return f"_nb_encode({v})"

    def unpack_expr(self, w: str) -> str:
        return f"_nb_decode({w})"

    def code_globals(self) -> dict[str, Any]:
        """What the generated code calls."""
        return {"_nb_encode": encode_name, "_nb_decode": decode_name}

    def check_one(self, value: Any) -> Any:
        return super().check_one(value)[:15]

    def put(self, pkt: Any, value: Any) -> bytes:
        return encode_name(value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        raw, stop = super().take(pkt, buf, off, end)
        return decode_name(raw), stop


def encode_name(value: Any) -> bytes:
    """The 31 bytes of a name: 32, then each of its 15 bytes (space-padded) as two letters."""
    raw = value.encode() if isinstance(value, str) else bytes(value or b"")
    raw = raw[:15].ljust(15, b" ")
    out = bytearray((32,))
    for b in raw:
        out += bytes((0x41 + (b >> 4), 0x41 + (b & 0xF)))
    return bytes(out)


def decode_name(data: bytes) -> bytes:
    """A name from its 31 encoded bytes (the length byte first), trailing spaces removed."""
    letters = data[1:31]
    out = bytearray()
    for i in range(0, len(letters) - 1, 2):
        out.append(((letters[i] - 0x41) & 0xF) << 4 | ((letters[i + 1] - 0x41) & 0xF))
    return bytes(out).rstrip(b" ")


def _shown(name: Any) -> str:
    return name.decode("latin-1") if isinstance(name, bytes) else str(name)


class NBNSHeader(Packet):
    """The name service header; the message follows it."""

    name = "NBNS Header"
    fields_desc = [
        ShortField("NAME_TRN_ID", 0),
        BitField("RESPONSE", 0, 1),
        BitField("OPCODE", 0, 4),
        FlagsField("NM_FLAGS", 0, 7, NM_FLAGS),
        BitField("RCODE", 0, 4),
        ShortField("QDCOUNT", 0),
        ShortField("ANCOUNT", 0),
        ShortField("NSCOUNT", 0),
        ShortField("ARCOUNT", 0),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        flags = int(self.NM_FLAGS or 0)
        for values, cls in _MESSAGES:
            if all((flags if k == "NM_FLAGS" else getattr(self, k)) == v
                   for k, v in values.items()):
                return cls
        return Raw

    def hashret(self) -> bytes:
        return (self.NAME_TRN_ID or 0).to_bytes(2, "big")


def _question(kind: int, default_name: Any) -> list[Any]:
    return [NetBIOSNameField("QUESTION_NAME", default_name),
            ShortEnumField("SUFFIX", 0x4141, SUFFIXES), ByteField("NULL", 0),
            ShortEnumField("QUESTION_TYPE", kind, QUESTION_TYPES),
            ShortEnumField("QUESTION_CLASS", 1, CLASSES)]


class NBNSQueryRequest(Packet):
    """A name query: who has this name?"""

    name = "NBNS query request"
    fields_desc = _question(0x20, b"windows")

    def mysummary(self) -> str:
        return f"NBNSQueryRequest who has '\\\\{_shown(self.QUESTION_NAME)}'"


class NBNS_ADD_ENTRY(Packet):  # noqa: N801 - Scapy's name
    """An address of a name: group bit, node type, IPv4 address."""

    fields_desc = [
        BitEnumField("G", 0, 1, {0: "Unique name", 1: "Group name"}),
        BitEnumField("OWNER_NODE_TYPE", 0, 2, NODE_TYPES),
        BitEnumField("UNUSED", 0, 13, {0: "Unused"}),
        IPField("NB_ADDRESS", "127.0.0.1"),
    ]

    extract_padding = item_padding


class NBNSQueryResponse(Packet):
    """A positive name query response: the name and its addresses."""

    name = "NBNS query response"
    fields_desc = [
        NetBIOSNameField("RR_NAME", b"windows"),
        ShortEnumField("SUFFIX", 0x4141, SUFFIXES), ByteField("NULL", 0),
        ShortEnumField("QUESTION_TYPE", 0x20, QUESTION_TYPES),
        ShortEnumField("QUESTION_CLASS", 1, CLASSES),
        IntField("TTL", 0x493E0),
        FieldLenField("RDLENGTH", None, length_of="ADDR_ENTRY"),
        PacketListField("ADDR_ENTRY", [NBNS_ADD_ENTRY()], NBNS_ADD_ENTRY,
                        length_from=lambda pkt: pkt.RDLENGTH or 0),
    ]

    def mysummary(self) -> str:
        entries = [e for e in self.ADDR_ENTRY or () if isinstance(e, NBNS_ADD_ENTRY)]
        if not entries:
            return "NBNSQueryResponse"
        return (f"NBNSQueryResponse '\\\\{_shown(self.RR_NAME)}' is at "
                f"{entries[0].NB_ADDRESS}")


class NBNSNodeStatusRequest(NBNSQueryRequest):
    """A node status request (NBSTAT) for the name ``*``."""

    name = "NBNS status request"
    fields_desc = _question(0x21, b"*" + b"\x00" * 14)

    def mysummary(self) -> str:
        return f"NBNSNodeStatusRequest who has '\\\\{_shown(self.QUESTION_NAME)}'"


class NBNSRegistrationRequest(Packet):
    """A name registration request: the name and the address to register."""

    name = "NBNS registration request"
    fields_desc = [
        *_question(0x20, b"Windows"),
        ShortEnumField("RR_NAME", 0xC00C, {0xC00C: "Label String Pointer to QUESTION_NAME"}),
        ShortEnumField("RR_TYPE", 0x20, QUESTION_TYPES),
        ShortEnumField("RR_CLASS", 1, CLASSES),
        IntField("TTL", 0),
        ShortField("RDLENGTH", 6),
        BitEnumField("G", 0, 1, {0: "Unique name", 1: "Group name"}),
        BitEnumField("OWNER_NODE_TYPE", 0, 2, NODE_TYPES),
        BitEnumField("UNUSED", 0, 13, {0: "Unused"}),
        IPField("NB_ADDRESS", "127.0.0.1"),
    ]

    def mysummary(self) -> str:
        group = {0: "Unique name", 1: "Group name"}.get(self.G, self.G)
        return f"Register {group} {self.QUESTION_NAME!r} at {self.NB_ADDRESS}"


class NBNSWackResponse(Packet):
    """A wait-for-acknowledgement response."""

    name = "NBNS Wait for Acknowledgement Response"
    fields_desc = [
        NetBIOSNameField("RR_NAME", b"windows"),
        ShortEnumField("SUFFIX", 0x4141, SUFFIXES), ByteField("NULL", 0),
        ShortEnumField("RR_TYPE", 0x20, QUESTION_TYPES),
        ShortEnumField("RR_CLASS", 1, CLASSES),
        IntField("TTL", 2),
        ShortField("RDLENGTH", 2),
        BitField("RDATA", 10512, 16),
    ]


class NBTDatagram(Packet):
    """A NetBIOS datagram service header (UDP 138): the SMB data follows, as ``Raw``."""

    name = "NBT Datagram Packet"
    fields_desc = [
        ByteField("Type", 0x10),
        ByteField("Flags", 0x02),
        ShortField("ID", 0),
        IPField("SourceIP", "127.0.0.1"),
        ShortField("SourcePort", NBDS_PORT),
        ShortField("Length", None),
        ShortField("Offset", 0),
        NetBIOSNameField("SourceName", b"windows"),
        ShortEnumField("SUFFIX1", 0x4141, SUFFIXES),
        ByteField("NULL1", 0),
        NetBIOSNameField("DestinationName", b"windows"),
        ShortEnumField("SUFFIX2", 0x4141, SUFFIXES),
        ByteField("NULL2", 0),
    ]

    #: what follows the 14-byte header: the names and the data
    post_build = fills_length("Length", 10, uncounted=14, payload=True)


#: NetBIOS session packet types (RFC 1002 section 4.3.1), under Scapy's names
SESSION_TYPES = {0: "Session Message", 0x81: "Session Request",
                 0x82: "Positive Session Response", 0x83: "Negative Session Response",
                 0x84: "Retarget Session Response", 0x85: "Session Keepalive"}


class NBTSession(Packet):
    """A NetBIOS session service header (TCP 139): type and the length of what follows
    (SMB, read as ``Raw``); bytes after that length are padding."""

    name = "NBT Session Packet"
    fields_desc = [
        ByteEnumField("TYPE", 0, SESSION_TYPES),
        BitField("RESERVED", 0, 7),
        BitField("LENGTH", None, 17),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.LENGTH is None:
            word = (int.from_bytes(pkt[1:4], "big") & ~0x1FFFF) | (len(pay) & 0x1FFFF)
            pkt = pkt[:1] + word.to_bytes(3, "big") + pkt[4:]
        return pkt + pay

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes | None]:
        n = self.LENGTH or 0
        return s[:n], s[n:]


#: header values -> the message they announce, in the order they are tried
_MESSAGES: list[tuple[dict[str, int], type[Layer]]] = [
    ({"OPCODE": 0, "NM_FLAGS": 0x11, "QDCOUNT": 1}, NBNSQueryRequest),
    ({"OPCODE": 0, "NM_FLAGS": 0x50, "RESPONSE": 1, "ANCOUNT": 1}, NBNSQueryResponse),
    ({"OPCODE": 0, "NM_FLAGS": 0x58, "RESPONSE": 1, "ANCOUNT": 1}, NBNSQueryResponse),
    ({"OPCODE": 0, "NM_FLAGS": 0x70, "RESPONSE": 1, "ANCOUNT": 1}, NBNSQueryResponse),
    ({"OPCODE": 0, "NM_FLAGS": 0x78, "RESPONSE": 1, "ANCOUNT": 1}, NBNSQueryResponse),
    ({"OPCODE": 0, "NM_FLAGS": 0x00, "QDCOUNT": 1}, NBNSNodeStatusRequest),
    ({"OPCODE": 0, "NM_FLAGS": 0x01, "QDCOUNT": 1}, NBNSNodeStatusRequest),
    ({"OPCODE": 5}, NBNSRegistrationRequest),
    ({"OPCODE": 7, "NM_FLAGS": 0x40, "RESPONSE": 1, "ANCOUNT": 1}, NBNSWackResponse),
]

bind_layers(UDP, NBNSHeader, sport=NBNS_PORT, dport=NBNS_PORT)
bind_layers(UDP, NBTDatagram, sport=NBDS_PORT, dport=NBDS_PORT)
bind_layers(TCP, NBTSession, sport=NBSS_PORT, dport=NBSS_PORT)
# what stacking a message on the header fills, as in Scapy
for _cls, _values in (
        (NBNSQueryRequest, {"OPCODE": 0, "NM_FLAGS": 0x11, "QDCOUNT": 1}),
        (NBNSQueryResponse, {"OPCODE": 0, "NM_FLAGS": 0x50, "RESPONSE": 1, "ANCOUNT": 1}),
        (NBNSNodeStatusRequest, {"OPCODE": 0, "NM_FLAGS": 0x01, "QDCOUNT": 1}),
        (NBNSRegistrationRequest, {"OPCODE": 5, "NM_FLAGS": 0x11, "QDCOUNT": 1, "ARCOUNT": 1}),
        (NBNSWackResponse, {"OPCODE": 7, "NM_FLAGS": 0x40, "RESPONSE": 1, "ANCOUNT": 1})):
    bind_layers(NBNSHeader, _cls, dissect=False, **_values)
