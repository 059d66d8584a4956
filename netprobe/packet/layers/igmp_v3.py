"""IGMP version 3 (RFC 3376) and multicast router discovery (RFC 4286), as Scapy 2.8
has them: ``IGMPv3_MQ`` (query with sources), ``IGMPv3_MR`` (report of
``IGMPv3_MR_Group`` records), ``IGMPv3_MRA``/``MRS``/``MRT``; ``IGMPv3(...)``
chooses the class by ``type`` as ``IGMP(...)`` does.

A query's ``mrcode`` given as 128 or more is stored as RFC 3376's floating
point code (200 becomes 137, rounded down), as Scapy stores it.

These classes keep their values in slots ``IGMP`` declares (see there), so that
a message read as ``IGMP`` becomes the class its type and length name.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import _FlagSlot
from netprobe.packet.layers.igmp import IGMP, MRCodeField
from netprobe.packet.packet_class import Packet, item_padding
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    FieldLenField,
    FieldListField,
    FlagsField,
    IPField,
    PacketListField,
    ShortField,
    XShortField,
)

__all__ = ["IGMPv3", "IGMPv3_MQ", "IGMPv3_MR", "IGMPv3_MRA", "IGMPv3_MRS", "IGMPv3_MRT",
           "IGMPv3_MR_Group"]

IGMPV3_TYPES = {0x11: "Membership Query", 0x22: "Version 3 - Membership Report",
                0x30: "Multicast Router Advertisement", 0x31: "Multicast Router Solicitation",
                0x32: "Multicast Router Termination"}
RECORD_TYPES = {1: "Mode Is Include", 2: "Mode Is Exclude", 3: "Change To Include Mode",
                4: "Change To Exclude Mode", 5: "Allow New Sources", 6: "Block Old Sources"}


def float_code(value: int) -> int:
    """A time in tenths of a second as RFC 3376's code: below 128 as it is, else
    1, a 3-bit exponent and a 4-bit mantissa (rounded down, as Scapy codes it)."""
    if value < 128:
        return value
    shift = value.bit_length() - 5
    return (0x80 | ((shift - 3) << 4) | ((value >> shift) & 0x0F)) & 0xFF


class FloatMRCodeField(MRCodeField):
    """A query's maximum response code, coded as RFC 3376 says when 128 or more."""

    def check_expr(self, v: str) -> str:
        return f"_chk_{self.name}({v})"  # every value goes through check (the coding)

    def check_one(self, value: Any) -> Any:
        value = super().check_one(value) if not isinstance(value, int) else value
        return float_code(value) if isinstance(value, int) and value >= 0 else value

    def check(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 128:
            return float_code(value)
        return super().check(value)


class IGMPv3(IGMP):
    """What Scapy users type: ``IGMPv3(type=...)`` makes the class of that type."""

    name = "IGMPv1/v2 Membership Query"
    found_as = (IGMP,)
    dispatches = True

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        obj = IGMP.__new__(cls, *args, **kwargs)
        if not isinstance(obj, cls):
            # a version 1/2 class (IGMPv3() is a query, as in Scapy): Python makes only
            # instances of the class asked for, so this one is made here
            obj.__init__(*args, **kwargs)
        return obj


class _Version3(IGMPv3):
    """What the version 3 messages share: found as ``IGMP`` and ``IGMPv3``, their summary."""

    found_as = (IGMP, IGMPv3)

    def mysummary(self) -> str:
        return self.summary_of("IGMPv3", IGMPV3_TYPES)


class IGMPv3_MQ(_Version3):  # noqa: N801 - Scapy's names
    """A version 3 membership query, with its sources."""

    name = "IGMPv3 Membership Query"
    fields_desc = [
        ByteEnumField("type", 0x11, IGMPV3_TYPES),
        FloatMRCodeField("mrcode", 20),
        XShortField("chksum", None),
        IPField("gaddr", "0.0.0.0"),
        FlagsField("flags", 0, 4, ["bit_0", "bit_1", "bit_2", "extended"]),
        BitField("s", 0, 1),
        BitField("qrv", 0, 3),
        ByteField("qqic", 0),
        FieldLenField("numsrc", None, count_of="srcaddrs"),
        FieldListField("srcaddrs", [], IPField("", "0.0.0.0"),
                       count_from=lambda pkt: pkt.numsrc),
    ]


class IGMPv3_MR_Group(Packet):  # noqa: N801
    """One group record of a version 3 report."""

    name = "IGMPv3 Group Record"
    fields_desc = [
        ByteEnumField("rtype", 4, RECORD_TYPES),
        ByteField("auxdlen", 0),
        FieldLenField("numsrc", None, count_of="srcaddrs"),
        IPField("maddr", "0.0.0.0"),
        FieldListField("srcaddrs", [], IPField("", "0.0.0.0"),
                       count_from=lambda pkt: pkt.numsrc),
    ]

    extract_padding = item_padding

    def mysummary(self) -> str:
        # Scapy 2.8 prints this, its format naming fields the record does not have
        return "IGMPv3 Group Record ?? ??"


class IGMPv3_MR(_Version3):  # noqa: N801
    """A version 3 membership report."""

    name = "IGMPv3 Membership Report"
    fields_desc = [
        ByteEnumField("type", 0x22, IGMPV3_TYPES),
        ByteField("reserved", 0),
        XShortField("chksum", None),
        FlagsField("flags", 0, 16, [f"bit_{i}" for i in range(15)] + ["extended"]),
        FieldLenField("numgrp", None, count_of="records"),
        PacketListField("records", [], IGMPv3_MR_Group, count_from=lambda pkt: pkt.numgrp),
    ]


class IGMPv3_MRA(_Version3):  # noqa: N801
    """A multicast router advertisement."""

    name = "IGMPv3_MRA"
    fields_desc = [
        ByteEnumField("type", 0x30, IGMPV3_TYPES),
        ByteField("advIntvl", 0),
        XShortField("chksum", None),
        ShortField("qryIntvl", 0),
        ShortField("robust", 0),
    ]


class IGMPv3_MRS(_Version3):  # noqa: N801
    """A multicast router solicitation."""

    name = "IGMPv3_MRS"
    fields_desc = [
        ByteEnumField("type", 0x31, IGMPV3_TYPES),
        ByteField("reserved", 0),
        XShortField("chksum", None),
    ]


class IGMPv3_MRT(_Version3):  # noqa: N801
    """A multicast router termination (its default type is 0x31, as in Scapy 2.8)."""

    name = "IGMPv3_MRT"
    fields_desc = IGMPv3_MRS.fields_desc


# the flags live in IGMP's slot: give the classes the attribute that converts what is set
for _cls in (IGMPv3_MQ, IGMPv3_MR):
    _cls.flags = _FlagSlot(_cls.fields_by_name["flags"], IGMP.__dict__["_f_flags"])

#: type -> class, for what IGMP(...) and dissection choose
V3_BY_TYPE: dict[int, type[IGMP]] = {0x22: IGMPv3_MR, 0x30: IGMPv3_MRA, 0x31: IGMPv3_MRS,
                                     0x32: IGMPv3_MRT}
