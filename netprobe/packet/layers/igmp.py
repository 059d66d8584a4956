"""IGMP versions 1 and 2 (RFC 1112, RFC 2236), IP protocol 2, as Scapy 2.8 has them.

``IGMP(...)`` gives the class for its ``type``, as Scapy's does: ``IGMP_MQ``
(membership query, the default), ``IGMP_MR`` (v1 report), ``IGMPv2_MR`` (v2
report), ``IGMPv2_LG`` (leave group); read from bytes, the type chooses too.
``mrcode`` left unset is 20 (two seconds) in a query, 0 otherwise, and is shown
in tenths of a second. The checksum fills itself.

As in Scapy, stacking an IGMP message on an IP header gives that header what
RFC 2236 asks for, where it was not given: ``tos`` 0xc0, ``ttl`` 1 and the
Router Alert option. Scapy also sends to the group (or to 224.0.0.1 / 224.0.0.2)
when IP's ``dst`` is unset; netprobe's IP always has a destination (127.0.0.1
unset), so give ``dst``.
"""

from __future__ import annotations

from typing import Any

import netprobe.packet.packet_class  # noqa: F401 - installs stacking's hook, which ours wraps
from netprobe.packet import layer as _layer
from netprobe.packet.checksum import checksum
from netprobe.packet.layer import Layer, bind_layers, is_default_value
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ip_options import IPOption_Router_Alert
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import ByteEnumField, ByteField, IPField, XShortField

__all__ = ["IGMP", "IGMP_MQ", "IGMP_MR", "IGMPv2_LG", "IGMPv2_MR", "IGMPv3", "IGMPv3_MQ",
           "IGMPv3_MR", "IGMPv3_MRA", "IGMPv3_MRS", "IGMPv3_MRT", "IGMPv3_MR_Group"]

IGMP_PROTO = 2
IGMP_TYPES = {0x11: "Group Membership Query", 0x12: "Version 1 - Membership Report",
              0x16: "Version 2 - Membership Report", 0x17: "Leave Group"}
#: a query's maximum response time when unset, in tenths of a second
DEFAULT_QUERY_MRCODE = 20


class MRCodeField(ByteField):
    """The maximum response code: tenths of a second; unset, 20 in a query, else 0."""

    ls_kind = "_MRCodeField"

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is None:
            value = pkt.unset_mrcode() if pkt is not None else None
        return f"{value} 1/10sec"


class IGMP(Packet):
    """An IGMP v1/v2 message; ``IGMP(type=...)`` makes the class that type has."""

    name = "IGMPv1/v2 Membership Query"
    ip_frag_bound = False  # Scapy binds it on IP by proto alone: ``frag`` is not shown
    #: ``IGMP(...)`` makes the class its type names, as in Scapy
    dispatches = True
    # the version 3 classes' values (igmp_v3) live in these slots too: every IGMP class
    # has one layout, so that a message read as IGMP can become the class its bytes name
    __slots__ = (
        "_f_flags",
        "advIntvl",
        "numgrp",
        "numsrc",
        "qqic",
        "qrv",
        "qryIntvl",
        "records",
        "reserved",
        "robust",
        "s",
        "srcaddrs",
    )
    fields_desc = [
        ByteEnumField("type", 0x11, IGMP_TYPES),
        MRCodeField("mrcode", None),
        XShortField("chksum", None),
        IPField("gaddr", "0.0.0.0"),
    ]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls.__name__ in ("IGMP", "IGMPv3"):
            if args and isinstance(args[0], (bytes, bytearray)) and args[0]:
                cls = class_for(args[0][0], len(args[0]))
            else:  # a type given by name: a query, as in Scapy
                cls = class_for(kwargs.get("type"), 8)
        return object.__new__(cls)

    def unset_mrcode(self) -> int:
        """What an unset ``mrcode`` builds as."""
        return DEFAULT_QUERY_MRCODE if _type_number(self.type) == 0x11 else 0

    def build_layer(self, payload: bytes) -> bytes:
        if "mrcode" in type(self).fields_by_name and self.mrcode is None:
            self.mrcode = self.unset_mrcode()
            try:
                return self.build_layer(payload)
            finally:
                self.mrcode = None
        return super().build_layer(payload)

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.chksum is None:
            pkt = pkt[:2] + checksum(pkt + pay).to_bytes(2, "big") + pkt[4:]
        return pkt + pay

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        # read as IGMP (IP's binding): become the class the type byte (and length) names
        if type(self).__name__ in ("IGMP", "IGMPv3") and end > off:
            self.__class__ = class_for(buf[off], end - off)
            return self.parse(buf, off, end)
        return super().parse(buf, off, end)

    def mysummary(self) -> str:
        return self.summary_of("IGMP", IGMP_TYPES, f" {self.gaddr}")

    def summary_of(self, label: str, kinds: dict[int, str], tail: str = "") -> str:
        """Scapy's summary of an IGMP message: ``label``, the addresses of the IP header
        under it, the type's name in ``kinds``, ``tail``."""
        kind = kinds.get(_type_number(self.type), str(self.type))
        under = self._under
        if isinstance(under, IP):
            src = under.src if under.src is not None else under.shown_default("src")
            return f"{label}: {src} > {under.dst} {kind}{tail}"
        return f"{label} {kind}{tail}"

    def answers(self, other: Layer) -> bool:
        """A membership report (v1, v2 or v3) answers a query (v1/v2 or v3)."""
        return (isinstance(other, IGMP) and _type_number(other.type) == 0x11
                and _type_number(self.type) in (0x12, 0x16, 0x22))

    def prepare_ip(self, ip: IP) -> None:
        """What an IP header carrying IGMP gets, where it was not given (RFC 2236 2)."""
        fields = type(ip).fields_by_name
        if is_default_value(ip.tos, fields["tos"].default):
            ip.tos = 0xC0
        if is_default_value(ip.ttl, fields["ttl"].default):
            ip.ttl = 1
        if not ip.options:
            ip.options = [IPOption_Router_Alert()]


def class_for(kind: Any, length: int) -> type[IGMP]:
    """The class for a message of this type (a query of 12 bytes or more is version 3)."""
    if kind == 0x11 and length >= 12:
        return IGMPv3_MQ
    return _BY_TYPE.get(kind) or V3_BY_TYPE.get(kind) or IGMP_MQ


def _type_number(kind: Any) -> Any:
    if isinstance(kind, str):
        for k, v in IGMP_TYPES.items():
            if v == kind:
                return k
    return kind


class IGMP_MQ(IGMP):  # noqa: N801 - Scapy's names
    """A membership query (v1 or v2)."""

    name = "IGMPv1/v2 Membership Query"
    found_as = (IGMP,)


def _of_type(kind: int, cls_name: str, title: str, doc: str) -> Any:
    """An IGMP message class that differs from ``IGMP`` by its type's default alone."""
    return type(cls_name, (IGMP,), {
        "name": title, "found_as": (IGMP,), "__doc__": doc, "__module__": __name__,
        "__qualname__": cls_name,
        "fields_desc": [ByteEnumField("type", kind, IGMP_TYPES), *IGMP.fields_desc[1:]]})


IGMP_MR = _of_type(0x12, "IGMP_MR", "IGMPv1 Membership Report", "A version 1 membership report.")
IGMPv2_MR = _of_type(0x16, "IGMPv2_MR", "IGMPv2 Membership Report",
                     "A version 2 membership report.")
IGMPv2_LG = _of_type(0x17, "IGMPv2_LG", "IGMPv2 Leave Group", "A version 2 leave group message.")


_BY_TYPE: dict[Any, type[IGMP]] = {0x11: IGMP_MQ, 0x12: IGMP_MR, 0x16: IGMPv2_MR,
                                   0x17: IGMPv2_LG}

_previous_on_stack = _layer.ON_STACK


def _on_stack(lower: Layer, upper: Layer) -> None:
    """Stacking's hook, and IGMP's defaults for the IP header it is stacked on."""
    if _previous_on_stack is not None:
        _previous_on_stack(lower, upper)
    if isinstance(upper, IGMP) and type(lower) is IP:
        upper.prepare_ip(lower)


_layer.ON_STACK = _on_stack

from netprobe.packet.layers.igmp_v3 import (  # noqa: E402 - they build on the classes above
    V3_BY_TYPE,
    IGMPv3,
    IGMPv3_MQ,
    IGMPv3_MR,
    IGMPv3_MR_Group,
    IGMPv3_MRA,
    IGMPv3_MRS,
    IGMPv3_MRT,
)

bind_layers(IP, IGMP, proto=IGMP_PROTO)
for _cls in (IGMP_MQ, IGMP_MR, IGMPv2_MR, IGMPv2_LG, IGMPv3, IGMPv3_MQ, IGMPv3_MR, IGMPv3_MRA,
             IGMPv3_MRS, IGMPv3_MRT):
    bind_layers(IP, _cls, proto=IGMP_PROTO)
