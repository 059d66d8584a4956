"""IPv4 options (RFC 791 and later) as layers, with Scapy 2.8's names, fields and text.

``IP(options=[IPOption_RR(routers=[...]), IPOption_NOP(), IPOption_Router_Alert()])``
builds as Scapy does (the list padded with zeros to whole words), and options
read from bytes are these classes again; a zero byte of padding reads as one
``IPOption_EOL`` each, as in Scapy. ``IPOption(raw)`` gives the class of the
option number in ``raw[0]``, or the generic ``IPOption`` (``value`` after the
type and length bytes) for one without its own class.

IP's options list also takes the older forms (raw bytes, ``(type, data)``);
an option read back answers ``opt[0]`` (its type byte) and ``opt[1]`` (the
bytes after its length) as those pairs did.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.packet_class import Packet, fills_length, item_padding
from netprobe.packet.scapy_fields import (
    BitEnumField,
    BitField,
    ByteField,
    ConditionalField,
    FieldLenField,
    FieldListField,
    IntField,
    IPField,
    ShortEnumField,
    ShortField,
    StrFixedLenField,
    StrLenField,
    read_packet,
)

__all__ = ["IPOption", "IPOption_Address_Extension", "IPOption_EOL", "IPOption_LSRR",
           "IPOption_MTU_Probe", "IPOption_MTU_Reply", "IPOption_NOP", "IPOption_RR",
           "IPOption_Router_Alert", "IPOption_SDBM", "IPOption_SSRR", "IPOption_Security",
           "IPOption_Stream_Id", "IPOption_Timestamp", "IPOption_Traceroute"]

OPTION_CLASSES = {0: "control", 2: "debug"}
OPTION_NUMBERS = {0: "end_of_list", 1: "nop", 2: "security", 3: "loose_source_route",
                  4: "timestamp", 5: "extended_security", 6: "commercial_security",
                  7: "record_route", 8: "stream_id", 9: "strict_source_route",
                  10: "experimental_measurement", 11: "mtu_probe", 12: "mtu_reply",
                  13: "flow_control", 14: "access_control", 15: "encode",
                  16: "imi_traffic_descriptor", 17: "extended_IP", 18: "traceroute",
                  19: "address_extension", 20: "router_alert",
                  21: "selective_directed_broadcast_mode", 23: "dynamic_packet_state",
                  24: "upstream_multicast_packet", 25: "quick_start",
                  30: "rfc4727_experiment"}


def _head(copy_flag: int, option: int, optclass: int = 0) -> list[Any]:
    """The type byte: copied flag, class, number."""
    return [BitField("copy_flag", copy_flag, 1),
            BitEnumField("optclass", optclass, 2, OPTION_CLASSES),
            BitEnumField("option", option, 5, OPTION_NUMBERS)]


def _route_fields() -> list[Any]:
    return [FieldLenField("length", None, fmt="B", length_of="routers",
                          adjust=lambda pkt, x: x + 3),
            ByteField("pointer", 4),
            FieldListField("routers", [], IPField("", "0.0.0.0"),
                           length_from=lambda pkt: pkt.length - 3)]


class IPOption(Packet):
    """An IPv4 option; this generic one holds the bytes after type and length in ``value``."""

    name = "IP Option"
    is_ip_option = True
    fields_desc = [
        *_head(0, 0),
        FieldLenField("length", None, fmt="B", length_of="value", adjust=lambda pkt, x: x + 2),
        StrLenField("value", "", length_from=lambda pkt: pkt.length - 2),
    ]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is IPOption and args and isinstance(args[0], (bytes, bytearray)) and args[0]:
            cls = BY_NUMBER.get(args[0][0] & 0x1F, IPOption)
        return object.__new__(cls)

    extract_padding = item_padding

    def __getitem__(self, key: Any) -> Any:
        # the (type, data) pair an option was before it was a layer
        if type(key) is int and key in (0, 1):
            raw = bytes(self)
            return raw[0] if key == 0 else raw[2:]
        return super().__getitem__(key)


class IPOption_EOL(IPOption):  # noqa: N801 - Scapy's names
    """End of the options list (one zero byte)."""

    name = "IP Option End of Options List"
    fields_desc = _head(0, 0)


class IPOption_NOP(IPOption):  # noqa: N801
    """No operation (one byte)."""

    name = "IP Option No Operation"
    fields_desc = _head(0, 1)


class IPOption_Security(IPOption):  # noqa: N801
    """Security (RFC 1108)."""

    name = "IP Option Security"
    fields_desc = [*_head(1, 2), ByteField("length", 11), ShortField("security", 0),
                   ShortField("compartment", 0), ShortField("handling_restrictions", 0),
                   StrFixedLenField("transmission_control_code", "xxx", 3)]


class IPOption_LSRR(IPOption):  # noqa: N801
    """Loose source and record route."""

    name = "IP Option Loose Source and Record Route"
    fields_desc = [*_head(1, 3), *_route_fields()]


class IPOption_RR(IPOption):  # noqa: N801
    """Record route."""

    name = "IP Option Record Route"
    fields_desc = [*_head(0, 7), *_route_fields()]


class IPOption_SSRR(IPOption):  # noqa: N801
    """Strict source and record route."""

    name = "IP Option Strict Source and Record Route"
    fields_desc = [*_head(1, 9), *_route_fields()]


class IPOption_Timestamp(IPOption):  # noqa: N801
    """Internet timestamp; ``length`` left unset is the option's length."""

    name = "IP Option Timestamp"
    fields_desc = [*_head(0, 4, 2), ByteField("length", None), ByteField("pointer", 9),
                   BitField("oflw", 0, 4),
                   BitEnumField("flg", 1, 4, {0: "timestamp_only", 1: "timestamp_and_ip_addr",
                                              3: "prespecified_ip_addr"}),
                   ConditionalField(IPField("internet_address", "0.0.0.0"),
                                    lambda pkt: pkt.flg != 0),
                   IntField("timestamp", 0)]

    post_build = fills_length("length", 1, 1)


class IPOption_Stream_Id(IPOption):  # noqa: N801
    """Stream identifier."""

    name = "IP Option Stream ID"
    fields_desc = [*_head(1, 8), ByteField("length", 4), ShortField("security", 0)]


class IPOption_MTU_Probe(IPOption):  # noqa: N801
    """MTU probe (RFC 1063)."""

    name = "IP Option MTU Probe"
    fields_desc = [*_head(0, 11), ByteField("length", 4), ShortField("mtu", 0)]


class IPOption_MTU_Reply(IPOption):  # noqa: N801
    """MTU reply (RFC 1063)."""

    name = "IP Option MTU Reply"
    fields_desc = [*_head(0, 12), ByteField("length", 4), ShortField("mtu", 0)]


class IPOption_Traceroute(IPOption):  # noqa: N801
    """Traceroute (RFC 1393)."""

    name = "IP Option Traceroute"
    fields_desc = [*_head(0, 18), ByteField("length", 12), ShortField("id", 0),
                   ShortField("outbound_hops", 0), ShortField("return_hops", 0),
                   IPField("originator_ip", "0.0.0.0")]


class IPOption_Address_Extension(IPOption):  # noqa: N801
    """Address extension."""

    name = "IP Option Address Extension"
    fields_desc = [*_head(1, 19), ByteField("length", 10), IPField("src_ext", "0.0.0.0"),
                   IPField("dst_ext", "0.0.0.0")]


class IPOption_Router_Alert(IPOption):  # noqa: N801
    """Router alert (RFC 2113)."""

    name = "IP Option Router Alert"
    fields_desc = [*_head(1, 20), ByteField("length", 4),
                   ShortEnumField("alert", 0, {0: "router_shall_examine_packet"})]


class IPOption_SDBM(IPOption):  # noqa: N801
    """Selective directed broadcast mode (RFC 1770)."""

    name = "IP Option Selective Directed Broadcast Mode"
    fields_desc = [*_head(1, 21),
                   FieldLenField("length", None, fmt="B", length_of="addresses",
                                 adjust=lambda pkt, x: x + 2),
                   FieldListField("addresses", [], IPField("", "0.0.0.0"),
                                  length_from=lambda pkt: pkt.length - 2)]


#: option number (the type byte's low five bits) -> its class
BY_NUMBER: dict[int, type[IPOption]] = {
    c.fields_desc[2].default: c for c in (
        IPOption_EOL, IPOption_NOP, IPOption_Security, IPOption_LSRR, IPOption_RR,
        IPOption_SSRR, IPOption_Timestamp, IPOption_Stream_Id, IPOption_MTU_Probe,
        IPOption_MTU_Reply, IPOption_Traceroute, IPOption_Address_Extension,
        IPOption_Router_Alert, IPOption_SDBM)}


def read_ip_options(raw: bytes) -> tuple[list[Any], str | None]:
    """The options in ``raw`` as option layers; bytes that do not read as one are kept as
    ``(-1, bytes)`` at the end, with what was wrong. Never raises."""
    out: list[Any] = []
    while raw:
        cls = BY_NUMBER.get(raw[0] & 0x1F, IPOption)
        opt, rest = read_packet(cls, raw)
        if type(opt) is not cls or len(rest) >= len(raw):
            return [*out, (-1, raw)], f"option {raw[0]} cannot be read"
        out.append(opt)
        raw = rest
    return out, None

