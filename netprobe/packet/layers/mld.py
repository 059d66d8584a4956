"""Multicast Listener Discovery, versions 1 (RFC 2710) and 2 (RFC 3810), as Scapy 2.8 has
them: ``ICMPv6MLQuery``, ``ICMPv6MLReport`` and ``ICMPv6MLDone`` (version 1, types 130,
131, 132), ``ICMPv6MLQuery2`` (a query of 28 bytes or more, with sources) and
``ICMPv6MLReport2`` (type 143) made of ``ICMPv6MLDMultAddrRec`` records.

As in Scapy, stacking one on ``IPv6`` gives the header hop limit 1 and, where it was
not given, the destination the message goes to: ff02::1 (queries), ff02::2 (done),
ff02::16 (version 2 reports). A report answers a query of its version.

Scapy reads the records of a version 2 report in a way of its own: the first record
takes the others as its payload (``records=[<rec1 |<rec2 |>>]``); netprobe reads them
the same way, so that scripts print the same thing, and they build the same bytes.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer
from netprobe.packet.layers.icmpv6_message import ICMPV6_TYPES, ICMPv6Message
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    FieldLenField,
    FieldListField,
    IP6Field,
    PacketListField,
    ShortField,
    StrLenField,
    XShortField,
)

__all__ = ["ICMPv6MLDMultAddrRec", "ICMPv6MLDone", "ICMPv6MLQuery", "ICMPv6MLQuery2",
           "ICMPv6MLReport", "ICMPv6MLReport2"]

#: where each message goes when IPv6's dst is not given (Scapy's overloads)
MLD_DESTINATIONS = {"ICMPv6MLQuery": "ff02::1", "ICMPv6MLQuery2": "ff02::1",
                    "ICMPv6MLDone": "ff02::2", "ICMPv6MLReport2": "ff02::16"}


class IP6ListField(FieldListField):
    """IPv6 addresses one after another, shown ``[ a, b ]`` as Scapy shows them."""

    ls_kind = "IP6ListField"

    def i2repr(self, pkt: Any, value: Any) -> str:
        if not isinstance(value, list):
            return super().i2repr(pkt, value)
        return "[ " + ", ".join(value) + " ]"


class _MLDMessage(ICMPv6Message, Packet):
    """An MLD message: Scapy-declared fields, ICMPv6's checksum over the pseudo-header."""

    def build_layer(self, payload: bytes) -> bytes:
        return self.checksummed(bytearray(Packet.build_layer(self, payload)))

    def answers(self, other: Layer) -> Any:
        return 0  # Scapy's answer for a message that answers nothing (scripts print it)


def _v1_fields(kind: int, mrd: int) -> list[Any]:
    return [ByteEnumField("type", kind, ICMPV6_TYPES), ByteField("code", 0),
            XShortField("cksum", None), ShortField("mrd", mrd), ShortField("reserved", 0),
            IP6Field("mladdr", "::")]


class ICMPv6MLQuery(_MLDMessage):
    """A version 1 query (130): ``mrd`` is the maximum response delay in milliseconds."""

    name = "MLD - Multicast Listener Query"
    fields_desc = _v1_fields(130, 10000)


class ICMPv6MLReport(_MLDMessage):
    """A version 1 report (131): a listener of ``mladdr``; answers a query."""

    name = "MLD - Multicast Listener Report"
    fields_desc = _v1_fields(131, 0)

    def answers(self, other: Layer) -> bool:
        return isinstance(other, ICMPv6MLQuery)


class ICMPv6MLDone(_MLDMessage):
    """A version 1 done message (132): the last listener of ``mladdr`` leaves."""

    name = "MLD - Multicast Listener Done"
    fields_desc = _v1_fields(132, 0)


class ICMPv6MLQuery2(_MLDMessage):
    """A version 2 query (130, 28 bytes or more): suppress flag, robustness, interval, sources."""

    name = "MLDv2 - Multicast Listener Query"
    fields_desc = [
        *_v1_fields(130, 10000),
        BitField("Resv", 0, 4),
        BitField("S", 0, 1),
        BitField("QRV", 0, 3),
        ByteField("QQIC", 0),
        FieldLenField("sources_number", None, count_of="sources"),
        IP6ListField("sources", [], IP6Field("", "::"),
                     count_from=lambda p: p.sources_number),
    ]
    ls_kinds = {"sources_number": "ShortField"}


class ICMPv6MLDMultAddrRec(Packet):
    """One multicast address record of a version 2 report."""

    name = "ICMPv6 MLDv2 - Multicast Address Record"
    fields_desc = [
        ByteField("rtype", 4),
        FieldLenField("auxdata_len", None, length_of="auxdata", fmt="B"),
        FieldLenField("sources_number", None, count_of="sources"),
        IP6Field("dst", "::"),
        IP6ListField("sources", [], IP6Field("", "::"),
                     count_from=lambda p: p.sources_number),
        StrLenField("auxdata", b"", length_from=lambda p: p.auxdata_len),
    ]

    def default_payload_class(self, payload: bytes) -> type[Layer]:
        # what follows a record is read as the next record, as Scapy reads it
        return ICMPv6MLDMultAddrRec


class ICMPv6MLReport2(_MLDMessage):
    """A version 2 report (143): the listener's records."""

    name = "MLDv2 - Multicast Listener Report"
    fields_desc = [
        ByteEnumField("type", 143, ICMPV6_TYPES),
        ByteField("res", 0),
        XShortField("cksum", None),
        ShortField("reserved", 0),
        FieldLenField("records_number", None, count_of="records"),
        PacketListField("records", [], ICMPv6MLDMultAddrRec,
                        count_from=lambda p: p.records_number),
    ]
    ls_kinds = {"records_number": "ShortField"}

    def answers(self, other: Layer) -> bool:
        return isinstance(other, ICMPv6MLQuery2)


#: type -> class, for dissection (130 is chosen by length: see ``choose_query``)
MLD_MESSAGES: dict[int, type[ICMPv6Message]] = {
    130: ICMPv6MLQuery, 131: ICMPv6MLReport, 132: ICMPv6MLDone, 143: ICMPv6MLReport2}


def choose_query(buf: bytes, off: int, end: int) -> type[ICMPv6Message]:
    """A query of 28 bytes or more is version 2 (RFC 3810 8.1)."""
    return ICMPv6MLQuery2 if end - off >= 28 else ICMPv6MLQuery
