"""DHCPv6 (RFC 8415) on UDP ports 546/547: messages, options and DUIDs, as Scapy names them.

A message (``DHCP6_Solicit``, ``DHCP6_Advertise``...) is ``msgtype`` and ``trid``;
its options follow it one on top of the other, each chosen by its code
(``DHCP6_Solicit() / DHCP6OptClientId(duid=DUID_LLT(...)) / DHCP6OptElapsedTime()``).
Options inside options (an IA_NA's addresses) are lists of option packets. Lengths
fill themselves; building over UDP sets Scapy's ports (546 to 547 from a client,
547 to 546 from a server). An option of a code not declared here reads as
``DHCP6OptUnknown``; a DUID that does not fit its type reads as ``Raw``, as in Scapy.

``DUID_EN``'s enterprise numbers are named from Wireshark's copy of the IANA registry
(``enterprises.tsv``), read on first display; without it they show as numbers.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from netprobe.packet.layer import Layer, ParseError, Truncated, bind_layers
from netprobe.packet.layers.mld import IP6ListField
from netprobe.packet.layers.raw import Raw
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet, ReadEmpty, fills_length, item_padding
from netprobe.packet.scapy_fields import (
    ByteEnumField,
    ByteField,
    FieldListField,
    IntEnumField,
    IntField,
    IP6Field,
    PacketField,
    ShortEnumField,
    ShortField,
    StrField,
    StrFixedLenField,
    StrLenField,
    X3BytesField,
    XIntField,
    XShortEnumField,
)
from netprobe.packet.tlv_list import TLVListField

__all__ = [
    "DHCP6",
    "DUID_EN",
    "DUID_LL",
    "DUID_LLT",
    "DUID_UUID",
    "DHCP6OptBootFileUrl",
    "DHCP6OptClientId",
    "DHCP6OptDNSServers",
    "DHCP6OptElapsedTime",
    "DHCP6OptIAAddress",
    "DHCP6OptIAPrefix",
    "DHCP6OptIA_NA",
    "DHCP6OptIA_PD",
    "DHCP6OptIA_TA",
    "DHCP6OptIfaceId",
    "DHCP6OptInfoRefreshTime",
    "DHCP6OptOptReq",
    "DHCP6OptPref",
    "DHCP6OptRapidCommit",
    "DHCP6OptReconfAccept",
    "DHCP6OptReconfMsg",
    "DHCP6OptRelayMsg",
    "DHCP6OptServerId",
    "DHCP6OptStatusCode",
    "DHCP6OptSubscriberID",
    "DHCP6OptUnknown",
    "DHCP6_Advertise",
    "DHCP6_Confirm",
    "DHCP6_Decline",
    "DHCP6_InfoRequest",
    "DHCP6_Rebind",
    "DHCP6_Reconf",
    "DHCP6_RelayForward",
    "DHCP6_RelayReply",
    "DHCP6_Release",
    "DHCP6_Renew",
    "DHCP6_Reply",
    "DHCP6_Request",
    "DHCP6_Solicit",
]

CLIENT_PORT, SERVER_PORT = 546, 547

MESSAGE_TYPES = {1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW",
                 6: "REBIND", 7: "REPLY", 8: "RELEASE", 9: "DECLINE", 10: "RECONFIGURE",
                 11: "INFORMATION-REQUEST", 12: "RELAY-FORW", 13: "RELAY-REPL",
                 36: "ADDR-REG-INFORM", 37: "ADDR-REG-REPLY"}
#: option codes (IANA), under Scapy's names
OPTION_CODES = {
    1: "CLIENTID", 2: "SERVERID", 3: "IA_NA", 4: "IA_TA", 5: "IAADDR", 6: "ORO",
    7: "PREFERENCE", 8: "ELAPSED_TIME", 9: "RELAY_MSG", 11: "AUTH", 12: "UNICAST",
    13: "STATUS_CODE", 14: "RAPID_COMMIT", 15: "USER_CLASS", 16: "VENDOR_CLASS",
    17: "VENDOR_OPTS", 18: "INTERFACE_ID", 19: "RECONF_MSG", 20: "RECONF_ACCEPT",
    21: "SIP Servers Domain Name List", 22: "SIP Servers IPv6 Address List",
    23: "DNS Recursive Name Server Option", 24: "Domain Search List option",
    25: "OPTION_IA_PD", 26: "OPTION_IAPREFIX", 27: "OPTION_NIS_SERVERS",
    28: "OPTION_NISP_SERVERS", 29: "OPTION_NIS_DOMAIN_NAME", 30: "OPTION_NISP_DOMAIN_NAME",
    31: "OPTION_SNTP_SERVERS", 32: "OPTION_INFORMATION_REFRESH_TIME",
    33: "OPTION_BCMCS_SERVER_D", 34: "OPTION_BCMCS_SERVER_A", 36: "OPTION_GEOCONF_CIVIC",
    37: "OPTION_REMOTE_ID", 38: "OPTION_SUBSCRIBER_ID", 39: "OPTION_CLIENT_FQDN",
    40: "OPTION_PANA_AGENT", 41: "OPTION_NEW_POSIX_TIMEZONE", 42: "OPTION_NEW_TZDB_TIMEZONE",
    48: "OPTION_LQ_CLIENT_LINK", 56: "OPTION_NTP_SERVER", 59: "OPT_BOOTFILE_URL",
    60: "OPT_BOOTFILE_PARAM", 61: "OPTION_CLIENT_ARCH_TYPE", 62: "OPTION_NII",
    65: "OPTION_ERP_LOCAL_DOMAIN_NAME", 66: "OPTION_RELAY_SUPPLIED_OPTIONS", 68: "OPTION_VSS",
    79: "OPTION_CLIENT_LINKLAYER_ADDR", 103: "OPTION_CAPTIVE_PORTAL", 112: "OPTION_MUD_URL",
    148: "OPTION_ADDR_REG_ENABLE"}
STATUS_CODES = {0: "Success", 1: "UnspecFail", 2: "NoAddrsAvail", 3: "NoBinding",
                4: "NotOnLink", 5: "UseMulticast", 6: "NoPrefixAvail"}
DUID_TYPES = {1: "Link-layer address plus time",
              2: "Vendor-assigned unique ID based on Enterprise Number",
              3: "Link-layer Address", 4: "UUID"}
#: ARP hardware types (RFC 826 / IANA), under Scapy's names
HW_TYPES = dict(enumerate((
    "NET/ROM pseudo", "Ethernet (10Mb)", "Experimental Ethernet (3Mb)", "Amateur Radio AX.25",
    "Proteon ProNET Token Ring", "Chaos", "IEEE 802 Networks", "ARCNET", "Hyperchannel",
    "Lanstar", "Autonet Short Address", "LocalTalk", "LocalNet (IBM PCNet or SYTEK LocalNET)",
    "Ultra link", "SMDS", "Frame Relay", "Asynchronous Transmission Mode (ATM)", "HDLC",
    "Fibre Channel", "Asynchronous Transmission Mode (ATM)", "Serial Line",
    "Asynchronous Transmission Mode (ATM)", "MIL-STD-188-220", "Metricom", "IEEE 1394.1995",
    "MAPOS", "Twinaxial", "EUI-64", "HIPARP", "IP and ARP over ISO 7816-3", "ARPSec",
    "IPsec tunnel", "InfiniBand (TM)", "TIA-102 Project 25 Common Air Interface (CAI)")))
#: where the IANA private enterprise numbers are read from (Wireshark's copy), on first use
ENTERPRISES_PATHS = ("/usr/share/wireshark/enterprises.tsv",
                     "/usr/local/share/wireshark/enterprises.tsv")
LIFETIMES = {0xFFFFFFFF: "infinity"}
#: seconds from the Unix epoch to the DUID epoch (2000-01-01 00:00 UTC)
DUID_EPOCH = 946684800


# -- field kinds --------------------------------------------------------------------------------
class _DUIDTimeField(IntField):
    """Seconds since 2000-01-01 UTC, shown as a date and the Unix time, as Scapy shows it."""

    ls_kind = "_UTCTimeField"

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, int):
            return super().i2repr(pkt, value)
        unix = value + DUID_EPOCH
        return time.strftime("%a, %d %b %Y %H:%M:%S", time.gmtime(unix)) + f"  ({unix})"


class _LLAddrField(StrField):
    """A link-layer address to the end of the DUID, given and shown as ``aa:bb:..``."""

    def __init__(self, name: str, default: str) -> None:
        super().__init__(name, default)
        self.default = default

    def check_one(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).hex(":")
        if isinstance(value, str):
            try:
                return bytes.fromhex(value.replace(":", "").replace("-", "")).hex(":")
            except ValueError:
                pass
        from netprobe.errors import UsageError

        raise UsageError(f"{self.name}: {value!r} is not a link-layer address (aa:bb:..)")

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"" if value is None else bytes.fromhex(value.replace(":", ""))

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        return bytes(buf[off:end]).hex(":"), end

    def i2repr(self, pkt: Any, value: Any) -> str:
        return str(value)

    def to_json(self, value: Any) -> Any:
        return value


@functools.cache
def enterprise_names() -> dict[int, str]:
    """IANA private enterprise number -> organisation (empty without the registry file)."""
    for path in ENTERPRISES_PATHS:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                out = {}
                for line in f:
                    number, _, name = line.rstrip("\n").partition("\t")
                    if number.isdigit() and name:
                        out[int(number)] = name
                return out
        except OSError:
            continue
    return {}


class _EnterpriseField(IntField):
    """An IANA private enterprise number, shown by its organisation's name."""

    ls_kind = "IntEnumField"

    def i2repr(self, pkt: Any, value: Any) -> str:
        if isinstance(value, int):
            return enterprise_names().get(value, str(value))
        return super().i2repr(pkt, value)


class _ElapsedTimeField(ShortField):
    """Hundredths of a second, shown as seconds (``12.34 sec``); 0xffff is ``infinity``."""

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value == 0xFFFF:
            return "infinity (0xffff)"
        if isinstance(value, int):
            return f"{value / 100:.2f} sec"
        return super().i2repr(pkt, value)


class _OptCodeListField(FieldListField):
    """A list of option codes, shown by their names."""

    ls_kind = "_OptReqListField"

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, list):
            return super().i2repr(pkt, value)
        return "[" + ", ".join(OPTION_CODES.get(v, str(v)) for v in value) + "]"

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        values, stop = super().take(pkt, buf, off, end)
        return values or ReadEmpty(), stop


def _optlen(pkt: Any) -> int:
    return pkt.optlen or 0


def _option_list(name: str, head: int) -> TLVListField:
    """Options inside an option (after its ``head`` bytes), each read from its own bytes."""
    return TLVListField(name, lambda data: option_class(data),
                        length_from=lambda pkt: _optlen(pkt) - head, head=4,
                        to_end_unless_len=False)


class _DUIDField(PacketField):
    """The DUID of a client or server identifier: a packet chosen by its type."""

    ls_kind = "PacketLenField"

    def __init__(self, name: str) -> None:
        super().__init__(name, None, None)

    def check_one(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray)):
            from netprobe.packet.dissect import dissect_as

            return dissect_as(duid_class(bytes(value)), bytes(value))
        return super().check_one(value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        from netprobe.packet.dissect import dissect_as

        stop = min(end, off + _optlen(pkt))
        if stop <= off:
            return None, off
        data = bytes(buf[off:stop])
        return dissect_as(duid_class(data), data), stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is None:  # Scapy's default is b'', which reads back as None
            return "None" if pkt is None or pkt.is_dissected() else "b''"
        return super().i2repr(pkt, value)


# -- DUIDs ------------------------------------------------------------------------------
class _DUID(Packet):
    extract_padding = item_padding


class DUID_LLT(_DUID):  # noqa: N801 - Scapy's name
    """A DUID made of a link-layer address and a time."""

    name = "DUID - Link-layer address plus time"
    fields_desc = [
        ShortEnumField("type", 1, DUID_TYPES),
        XShortEnumField("hwtype", 1, HW_TYPES),
        _DUIDTimeField("timeval", 0),
        _LLAddrField("lladdr", "00:00:00:00:00:00"),
    ]


class DUID_EN(_DUID):  # noqa: N801 - Scapy's name
    """A DUID assigned by a vendor: enterprise number and identifier."""

    name = "DUID - Assigned by Vendor Based on Enterprise Number"
    fields_desc = [
        ShortEnumField("type", 2, DUID_TYPES),
        _EnterpriseField("enterprisenum", 311),
        StrField("id", b""),
    ]


class DUID_LL(_DUID):  # noqa: N801 - Scapy's name
    """A DUID made of a link-layer address."""

    name = "DUID - Based on Link-layer Address"
    fields_desc = [
        ShortEnumField("type", 3, DUID_TYPES),
        XShortEnumField("hwtype", 1, HW_TYPES),
        _LLAddrField("lladdr", "00:00:00:00:00:00"),
    ]


class _UUIDField(StrFixedLenField):
    """A 16-byte UUID, given as a ``uuid.UUID`` or text, shown as ``UUID('...')``."""

    ls_kind = "UUIDField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, 16)
        self.default = default

    def check_one(self, value: Any) -> Any:
        import uuid

        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, (bytes, bytearray)) and len(value) == 16:
            return uuid.UUID(bytes=bytes(value))
        try:
            return uuid.UUID(str(value))
        except ValueError:
            from netprobe.errors import UsageError

            raise UsageError(f"{self.name}: {value!r} is not a UUID") from None

    def pack_expr(self, v: str) -> str:
        return f"(bytes(16) if {v} is None else {v}.bytes)"

    def unpack_expr(self, w: str) -> str:
        return f"_uuid(bytes={w})"

    def code_globals(self) -> dict[str, Any]:
        """What the generated code calls."""
        import uuid

        return {"_uuid": uuid.UUID}

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value) if value is not None else "None"

    def to_json(self, value: Any) -> Any:
        return None if value is None else str(value)


class DUID_UUID(_DUID):  # noqa: N801 - Scapy's name
    """A DUID made of a UUID (RFC 6355)."""

    name = "DUID - Based on UUID"
    fields_desc = [ShortEnumField("type", 4, DUID_TYPES), _UUIDField("uuid", None)]


def duid_class(data: bytes) -> type[Layer]:
    """The class a DUID's bytes read as (``Raw`` when they do not fit its type)."""
    kind = int.from_bytes(data[:2], "big") if len(data) >= 2 else 0
    size = len(data)
    if kind == 1 and size == 14:
        return DUID_LLT
    if kind == 2 and size >= 6:
        return DUID_EN
    if kind == 3 and size == 10:
        return DUID_LL
    if kind == 4 and size == 18:
        return DUID_UUID
    return Raw


# -- options ------------------------------------------------------------------------------
class _Option(Packet):
    """An option: code, length (filled), value; the next option is its payload."""

    ls_kinds = {"optlen": "FieldLenField"}
    ls_defaults = {"duid": b""}

    post_build = fills_length("optlen", 2, uncounted=4)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated option ({end - off} of 4 bytes)")
        stop = off + 4 + int.from_bytes(buf[off + 2:off + 4], "big")
        if stop > end:
            raise Truncated(f"option length {stop - off - 4} beyond the {end - off - 4} "
                            "bytes left")
        Packet.parse(self, buf, off, stop)
        return stop, end

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        return option_class(payload)


def _head(code: int, length: int | None = None) -> list[Any]:
    return [ShortEnumField("optcode", code, OPTION_CODES), ShortField("optlen", length)]


class DHCP6OptUnknown(_Option):
    """An option of a code netprobe does not declare: its value as bytes."""

    name = "Unknown DHCPv6 Option"
    fields_desc = [*_head(0), StrLenField("data", b"", length_from=_optlen)]


class DHCP6OptClientId(_Option):
    """The client's DUID."""

    name = "DHCP6 Client Identifier Option"
    repr_none_fields = ("duid",)
    fields_desc = [*_head(1), _DUIDField("duid")]


class DHCP6OptServerId(_Option):
    """The server's DUID."""

    name = "DHCP6 Server Identifier Option"
    repr_none_fields = ("duid",)
    fields_desc = [*_head(2), _DUIDField("duid")]


class DHCP6OptIA_NA(_Option):  # noqa: N801 - Scapy's name
    """An identity association for non-temporary addresses: IAID, T1, T2, its options."""

    name = "DHCP6 Identity Association for Non-temporary Addresses Option"
    fields_desc = [*_head(3), XIntField("iaid", None), IntField("T1", None),
                   IntField("T2", None), _option_list("ianaopts", 12)]


class DHCP6OptIA_TA(_Option):  # noqa: N801 - Scapy's name
    """An identity association for temporary addresses: IAID and its options."""

    name = "DHCP6 Identity Association for Temporary Addresses Option"
    fields_desc = [*_head(4), XIntField("iaid", None), _option_list("iataopts", 4)]


class DHCP6OptIAAddress(_Option):
    """An address of an identity association, with its lifetimes and options."""

    name = "DHCP6 IA Address Option (IA_TA or IA_NA suboption)"
    fields_desc = [*_head(5), IP6Field("addr", "::"), IntEnumField("preflft", 0, LIFETIMES),
                   IntEnumField("validlft", 0, LIFETIMES), _option_list("iaaddropts", 24)]


class DHCP6OptOptReq(_Option):
    """The options the client asks for."""

    name = "DHCP6 Option Request Option"
    fields_desc = [*_head(6), _OptCodeListField("reqopts", [23, 24], ShortField("", 0),
                                                length_from=_optlen)]


class DHCP6OptPref(_Option):
    """The server's preference."""

    ls_kinds: dict[str, str] = {}

    name = "DHCP6 Preference Option"
    fields_desc = [*_head(7, 1), ByteField("prefval", 255)]


class DHCP6OptElapsedTime(_Option):
    """How long the client has been trying (hundredths of a second)."""

    ls_kinds: dict[str, str] = {}

    name = "DHCP6 Elapsed Time Option"
    fields_desc = [*_head(8, 2), _ElapsedTimeField("elapsedtime", 0)]


class DHCP6OptStatusCode(_Option):
    """A status code and message."""

    name = "DHCP6 Status Code Option"
    fields_desc = [*_head(13), ShortEnumField("statuscode", None, STATUS_CODES),
                   StrLenField("statusmsg", b"", length_from=lambda pkt: _optlen(pkt) - 2)]


class DHCP6OptRapidCommit(_Option):
    """Rapid commit (no value)."""

    ls_kinds: dict[str, str] = {}

    name = "DHCP6 Rapid Commit Option"
    fields_desc = _head(14, 0)


class DHCP6OptDNSServers(_Option):
    """Recursive DNS servers (RFC 3646)."""

    name = "DHCP6 Option - DNS Recursive Name Server"
    fields_desc = [*_head(23), IP6ListField("dnsservers", [], IP6Field("", "::"),
                                             length_from=_optlen)]


class DHCP6OptIfaceId(_Option):
    """The relay agent's interface id."""

    name = "DHCP6 Interface-Id Option"
    fields_desc = [*_head(18), StrLenField("ifaceid", b"", length_from=_optlen)]


class DHCP6OptReconfAccept(_Option):
    """The client accepts Reconfigure messages (no value)."""

    name = "DHCP6 Reconfigure Accept Option"
    ls_kinds: dict[str, str] = {}
    fields_desc = _head(20, 0)


class DHCP6OptIA_PD(_Option):  # noqa: N801 - Scapy's name
    """An identity association for prefix delegation: IAID, T1, T2, its prefixes."""

    name = "DHCP6 Option - Identity Association for Prefix Delegation"
    fields_desc = [*_head(25), XIntField("iaid", None), IntField("T1", None),
                   IntField("T2", None), _option_list("iapdopt", 12)]


class DHCP6OptIAPrefix(_Option):
    """A delegated prefix, with its lifetimes and options."""

    name = "DHCP6 Option - IA Prefix option"
    fields_desc = [*_head(26), IntEnumField("preflft", 0, LIFETIMES),
                   IntEnumField("validlft", 0, LIFETIMES), ByteField("plen", 48),
                   IP6Field("prefix", "2001:db8::"), _option_list("iaprefopts", 25)]


class DHCP6OptInfoRefreshTime(_Option):
    """How long the client may keep the information it got."""

    name = "DHCP6 Option - Information Refresh Time"
    ls_kinds: dict[str, str] = {}
    fields_desc = [*_head(32, 4), IntField("reftime", 86400)]


OPTION_CLASSES: dict[int, type[Layer]] = {
    1: DHCP6OptClientId, 2: DHCP6OptServerId, 3: DHCP6OptIA_NA, 4: DHCP6OptIA_TA,
    5: DHCP6OptIAAddress, 6: DHCP6OptOptReq, 7: DHCP6OptPref, 8: DHCP6OptElapsedTime,
    13: DHCP6OptStatusCode, 14: DHCP6OptRapidCommit,
    18: DHCP6OptIfaceId, 20: DHCP6OptReconfAccept, 23: DHCP6OptDNSServers,
    25: DHCP6OptIA_PD, 26: DHCP6OptIAPrefix, 32: DHCP6OptInfoRefreshTime,
}


def option_class(data: bytes) -> type[Layer]:
    """The class an option's bytes read as (``DHCP6OptUnknown`` for other codes)."""
    if len(data) < 4:
        return Raw
    return OPTION_CLASSES.get(int.from_bytes(data[:2], "big"), DHCP6OptUnknown)


# -- messages ------------------------------------------------------------------------------
class DHCP6(Packet):
    """A client/server message: type and transaction id; the options follow.

    Dissection reads a message as the class of its type (``DHCP6_Solicit``...): the
    classes share this one's fields, so the packet takes its class from its first byte.
    """

    name = "DHCPv6 Generic Message"
    #: the relay messages' fields: every message class shares one layout (see parse)
    __slots__ = ("hopcount", "linkaddr", "peeraddr")
    fields_desc = [ByteEnumField("msgtype", None, MESSAGE_TYPES), X3BytesField("trid", 0)]

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if type(self) is DHCP6 and off < end:
            cls = MESSAGE_CLASSES.get(buf[off])
            if cls is None:  # read as Raw, as Scapy reads it
                raise ParseError(f"message type {buf[off]} is not one netprobe declares")
            self.__class__ = cls
        return Packet.parse(self, buf, off, end)

    guess_payload_class = _Option.guess_payload_class

    def hashret(self) -> bytes:
        return (self.trid or 0).to_bytes(3, "big")


def _message(cls_name: str, kind: int, title: str, doc: str) -> type[DHCP6]:
    fields = [ByteEnumField("msgtype", kind, MESSAGE_TYPES), X3BytesField("trid", 0)]
    return type(cls_name, (DHCP6,), {"name": f"DHCPv6 {title} Message", "fields_desc": fields,
                                     "__doc__": doc, "__module__": __name__, "__slots__": ()})


DHCP6_Solicit = _message("DHCP6_Solicit", 1, "Solicit", "A client looking for servers.")
DHCP6_Advertise = _message("DHCP6_Advertise", 2, "Advertise", "A server's offer.")
DHCP6_Request = _message("DHCP6_Request", 3, "Request", "A client asking for addresses.")
DHCP6_Confirm = _message("DHCP6_Confirm", 4, "Confirm", "A client checking its addresses.")
DHCP6_Renew = _message("DHCP6_Renew", 5, "Renew", "A client extending its lifetimes.")
DHCP6_Rebind = _message("DHCP6_Rebind", 6, "Rebind", "A client extending them with any "
                        "server.")
DHCP6_Reply = _message("DHCP6_Reply", 7, "Reply", "A server's answer.")
DHCP6_Release = _message("DHCP6_Release", 8, "Release", "A client giving addresses back.")
DHCP6_Decline = _message("DHCP6_Decline", 9, "Decline", "A client refusing addresses in use.")
DHCP6_Reconf = _message("DHCP6_Reconf", 10, "Reconfigure", "A server asking the client to "
                        "renew.")
DHCP6_InfoRequest = _message("DHCP6_InfoRequest", 11, "Information Request",
                             "A client asking for configuration only.")

def _relay(cls_name: str, kind: int, title: str, doc: str) -> type[DHCP6]:
    fields = [ByteEnumField("msgtype", kind, MESSAGE_TYPES), ByteField("hopcount", None),
              IP6Field("linkaddr", "::"), IP6Field("peeraddr", "::")]
    return type(cls_name, (DHCP6,), {
        "name": f"DHCPv6 Relay {title} Message (Relay Agent/Server Message)",
        "fields_desc": fields, "__doc__": doc, "__module__": __name__, "__slots__": ()})


DHCP6_RelayForward = _relay("DHCP6_RelayForward", 12, "Forward",
                            "A relay agent forwarding a client's message.")
DHCP6_RelayReply = _relay("DHCP6_RelayReply", 13, "Reply",
                          "A server's reply for a relay agent to pass on.")

MESSAGE_CLASSES: dict[int, type[Layer]] = {
    1: DHCP6_Solicit, 2: DHCP6_Advertise, 3: DHCP6_Request, 4: DHCP6_Confirm, 5: DHCP6_Renew,
    6: DHCP6_Rebind, 7: DHCP6_Reply, 8: DHCP6_Release, 9: DHCP6_Decline, 10: DHCP6_Reconf,
    11: DHCP6_InfoRequest, 12: DHCP6_RelayForward, 13: DHCP6_RelayReply,
}
_FROM_SERVER = (DHCP6_Advertise, DHCP6_Reply, DHCP6_Reconf)
_RELAYS = (DHCP6_RelayForward, DHCP6_RelayReply)


class _DomainListField(FieldListField):
    """Domain names one after another in DNS label form (RFC 1035 3.1, no compression)."""

    ls_kind = "DomainNameListField"

    def __init__(self, name: str) -> None:
        super().__init__(name, [], None, length_from=_optlen)

    def check_one(self, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, (str, bytes)):
            value = [value]
        return [v.decode() if isinstance(v, bytes) else str(v) for v in value]

    def put(self, pkt: Any, value: Any) -> bytes:
        out = b""
        for name in value or ():
            for label in name.encode().rstrip(b".").split(b"."):
                if label:
                    out += bytes((len(label) & 0x3F,)) + label[:63]
            out += b"\x00"
        return out

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = min(end, off + _optlen(pkt))
        names, labels, at = [], [], off
        while at < stop:
            size = buf[at]
            at += 1
            if size == 0:
                names.append(".".join(labels) + ".")
                labels = []
                continue
            labels.append(bytes(buf[at:at + size]).decode("latin-1"))
            at += size
        if labels:  # a name the option cuts short
            names.append(".".join(labels) + ".")
        return names or ReadEmpty(), stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value)


def _list_option(cls_name: str, code: int, title: str, field: str, kind: str) -> type:
    value: Any = (_DomainListField(field) if kind == "names" else
                  IP6ListField(field, [], IP6Field("", "::"), length_from=_optlen))
    return type(cls_name, (_Option,), {"name": title, "fields_desc": [*_head(code), value],
                                        "__doc__": f"{title[15:]}.", "__module__": __name__})


#: the options that are a list of addresses or of domain names, as Scapy names them
_LISTS = (("DHCP6OptSIPDomains", 21, "DHCP6 Option - SIP Servers Domain Name List",
           "sipdomains", "names"),
          ("DHCP6OptSIPServers", 22, "DHCP6 Option - SIP Servers IPv6 Address List",
           "sipservers", "addresses"),
          ("DHCP6OptDNSDomains", 24, "DHCP6 Option - Domain Search List option",
           "dnsdomains", "names"),
          ("DHCP6OptNISServers", 27, "DHCP6 Option - NIS Servers", "nisservers", "addresses"),
          ("DHCP6OptNISPServers", 28, "DHCP6 Option - NIS+ Servers", "nispservers",
           "addresses"),
          ("DHCP6OptSNTPServers", 31, "DHCP6 option - SNTP Servers", "sntpservers",
           "addresses"),
          ("DHCP6OptBCMCSDomains", 33, "DHCP6 Option - BCMCS Domain Name List",
           "bcmcsdomains", "names"),
          ("DHCP6OptBCMCSServers", 34, "DHCP6 Option - BCMCS Addresses List", "bcmcsservers",
           "addresses"),
          ("DHCP6OptPanaAuthAgent", 40, "DHCP6 PANA Authentication Agent Option", "paaaddr",
           "addresses"))
_LIST_OPTIONS = [_list_option(*row) for row in _LISTS]
globals().update({c.__name__: c for c in _LIST_OPTIONS})


class DHCP6OptReconfMsg(_Option):
    """The message type a Reconfigure asks for."""

    name = "DHCP6 Reconfigure Message Option"
    ls_kinds: dict[str, str] = {}
    fields_desc = [*_head(19, 1), ByteEnumField("msgtype", 11, {5: "Renew Message",
                                                               11: "Information Request"})]


class DHCP6OptBootFileUrl(_Option):
    """The URL of a boot file (RFC 5970)."""

    name = "DHCP6 Boot File URL Option"
    fields_desc = [*_head(59), StrLenField("optdata", b"", length_from=_optlen)]


class DHCP6OptSubscriberID(_Option):
    """The relay agent's subscriber id (RFC 4580)."""

    name = "DHCP6 Option - Subscriber ID"
    fields_desc = [*_head(38), StrLenField("subscriberid", b"", length_from=_optlen)]


OPTION_CLASSES.update({19: DHCP6OptReconfMsg, 38: DHCP6OptSubscriberID,
                       59: DHCP6OptBootFileUrl,
                       **{c.fields_by_name["optcode"].default: c for c in _LIST_OPTIONS}})


class _MessageField(PacketField):
    """A whole DHCPv6 message inside a Relay Message option (read as the class of its type)."""

    ls_kind = "PacketLenField"

    def __init__(self, name: str) -> None:
        super().__init__(name, DHCP6(), DHCP6)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        from netprobe.packet.dissect import dissect_as

        stop = min(end, off + _optlen(pkt))
        if stop <= off:
            return None, off
        return dissect_as(DHCP6, bytes(buf[off:stop])), stop


class DHCP6OptRelayMsg(_Option):
    """The message a relay agent forwards (or the server's reply to forward back)."""

    name = "DHCP6 Relay Message Option"
    fields_desc = [*_head(9), _MessageField("message")]


OPTION_CLASSES[9] = DHCP6OptRelayMsg

for _cls in MESSAGE_CLASSES.values():
    if _cls in _RELAYS:  # between relay agents and servers
        bind_layers(UDP, _cls, dissect=False, sport=SERVER_PORT, dport=SERVER_PORT)
    elif _cls in _FROM_SERVER:
        bind_layers(UDP, _cls, dissect=False, sport=SERVER_PORT, dport=CLIENT_PORT)
    else:
        bind_layers(UDP, _cls, dissect=False, sport=CLIENT_PORT, dport=SERVER_PORT)
for _port in (CLIENT_PORT, SERVER_PORT):
    UDP._dissect_table.setdefault(("dport", _port), DHCP6)
    UDP._dissect_table.setdefault(("sport", _port), DHCP6)

__all__ += [c.__name__ for c in _LIST_OPTIONS]  # the options made from the table above
