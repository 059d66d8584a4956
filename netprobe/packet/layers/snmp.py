"""SNMP v1 and v2c (RFC 1157, RFC 3416) on UDP ports 161 and 162, as Scapy 2.8 has it.

``SNMP`` is the message (``version``, ``community``, ``PDU``); the PDU is one of
``SNMPget``, ``SNMPnext``, ``SNMPresponse``, ``SNMPset``, ``SNMPtrapv1``,
``SNMPbulk``, ``SNMPinform`` or ``SNMPtrapv2``, chosen by its tag; each carries
``varbindlist``, a list of ``SNMPvarbind`` (``oid``, ``value``, and the v2
exceptions ``noSuchObject``, ``noSuchInstance``, ``endOfMibView``).

Fields hold what was given (a number, text, an ``ASN1_...`` value) and print as
Scapy prints them: a value given plainly as its Python ``repr``, an ASN.1 value
as ``0x1 <ASN1_INTEGER[1]>``, with the name of an enumerated one in front
(``'v2c' 0x1 <ASN1_INTEGER[1]>``). Read from bytes, every field holds an ASN.1
value, as in Scapy. The BER code is in ``asn1_ber``.

The trap v1 ``time_stamp`` defaults to the current time in hundredths of a
second (Scapy's default is a time too); give it to build the same bytes twice.
"""

from __future__ import annotations

import time
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.layer import Layer, OneValue, ParseError, bind_layers
from netprobe.packet.layers.asn1_ber import (
    ASN1_BOOLEAN,
    ASN1_COUNTER32,
    ASN1_COUNTER64,
    ASN1_GAUGE32,
    ASN1_INTEGER,
    ASN1_IPADDRESS,
    ASN1_NULL,
    ASN1_OID,
    ASN1_STRING,
    ASN1_TIME_TICKS,
    ASN1_Object,
    BERError,
    encode_tlv,
    read_tlv,
    read_value,
)
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import PacketField, PacketListField, ScapyField, read_packet

__all__ = ["ASN1_BOOLEAN", "ASN1_COUNTER32", "ASN1_COUNTER64", "ASN1_GAUGE32", "ASN1_INTEGER",
           "ASN1_IPADDRESS", "ASN1_NULL", "ASN1_OID", "ASN1_STRING", "ASN1_TIME_TICKS", "SNMP",
           "SNMPbulk", "SNMPget", "SNMPinform", "SNMPnext", "SNMPresponse", "SNMPset",
           "SNMPtrapv1", "SNMPtrapv2", "SNMPvarbind"]

SNMP_VERSIONS = {0: "v1", 1: "v2c", 2: "v2", 3: "v3"}
SNMP_ERRORS = {0: "no_error", 1: "too_big", 2: "no_such_name", 3: "bad_value", 4: "read_only",
               5: "generic_error", 6: "no_access", 7: "wrong_type", 8: "wrong_length",
               9: "wrong_encoding", 10: "wrong_value", 11: "no_creation",
               12: "inconsistent_value", 13: "resource_unavailable", 14: "commit_failed",
               15: "undo_failed", 16: "authorization_error", 17: "not_writable",
               18: "inconsistent_name"}
SNMP_TRAP_TYPES = {0: "cold_start", 1: "warm_start", 2: "link_down", 3: "link_up",
                   4: "auth_failure", 5: "egp_neigh_loss", 6: "enterprise_specific"}
SNMP_PORTS = (161, 162)


def _asn1_text(value: Any, names: dict[int, str] | None) -> str:
    """A field's value as Scapy shows it: an ASN.1 value by its repr (named when its
    field is enumerated), anything else by Python's repr."""
    if isinstance(value, ASN1_Object):
        name = names.get(value.val) if names and isinstance(value.val, int) else None
        return f"{name!r} {value!r}" if name is not None else repr(value)
    if isinstance(value, Layer):
        return repr(value)
    return repr(value)


class ASN1Field(OneValue, ScapyField, F.TailField):
    """One ASN.1 value of type ``kind``; a plain value given is encoded as that type."""

    def __init__(self, name: str, default: Any, kind: type[ASN1_Object],
                 names: dict[int, str] | None = None) -> None:
        F.TailField.__init__(self, name, default, names)
        self.auto = False
        self.kind = kind

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind."""
        return f"ASN1F_{'enum_' if self.names else ''}{self.kind.__name__[5:]}"

    def check_one(self, value: Any) -> Any:
        if value is None or isinstance(value, (ASN1_Object, F.Volatile)):
            return value
        self.as_value(value).enc()  # refuse what cannot be encoded now, not when building
        return value  # kept as given (a name too): Scapy prints it so

    def as_value(self, value: Any) -> ASN1_Object:
        """The ASN.1 value to encode for ``value``."""
        if isinstance(value, ASN1_Object):
            return value
        if isinstance(value, str) and self.names and issubclass(self.kind, ASN1_INTEGER):
            for k, n in self.names.items():
                if n == value:
                    return self.kind(k)
            raise UsageError(f"{self.name}: unknown name {value!r} "
                             f"(known: {', '.join(self.names.values())})")
        if issubclass(self.kind, ASN1_INTEGER) and (isinstance(value, bool)
                                                    or not isinstance(value, int)):
            raise UsageError(f"{self.name}: expected an integer, got {value!r}")
        if self.kind is ASN1_STRING and not isinstance(value, (str, bytes, bytearray)):
            raise UsageError(f"{self.name}: expected bytes or text, got {value!r}")
        return self.kind(bytes(value) if isinstance(value, bytearray) else value)

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"" if value is None else self.as_value(value).enc()

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        tag, start, stop = read_tlv(buf, off, end)
        cls = self.kind if tag == self.kind.tag else ASN1_Object.by_tag.get(tag)
        if cls is None:
            raise BERError(f"{self.name}: tag {tag:#x} is not read")
        return cls.from_content(bytes(buf[start:stop])), stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        return _asn1_text(value, self.names)

    def to_json(self, value: Any) -> Any:
        v = value.val if isinstance(value, ASN1_Object) else value
        return v.hex() if isinstance(v, bytes) else v


class AnyValueField(ASN1Field):
    """A varbind's value: any ASN.1 value, absent when a v2 exception stands instead."""

    ls_kind = "ASN1F_field"

    def as_value(self, value: Any) -> ASN1_Object:
        if isinstance(value, ASN1_Object):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return ASN1_INTEGER(value)
        if isinstance(value, (str, bytes, bytearray)):
            return ASN1_STRING(bytes(value) if isinstance(value, bytearray) else value)
        raise UsageError(f"{self.name}: expected an ASN1_... value, a number or bytes, "
                         f"got {value!r}")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        if off >= end or buf[off] in _EXCEPTION_TAGS:
            return None, off
        return read_value(buf, off, end)


class ExceptionField(ASN1Field):
    """A v2 varbind exception (``noSuchObject`` and its kin): a NULL with its own tag."""

    def __init__(self, name: str, tag: int) -> None:
        super().__init__(name, None, ASN1_NULL)
        self.tag = tag

    ls_kind = "ASN1F_NULL"

    def put(self, pkt: Any, value: Any) -> bytes:
        return b"" if value is None else encode_tlv(self.tag, b"")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        if off >= end or buf[off] != self.tag:
            return None, off
        return ASN1_NULL(0), read_tlv(buf, off, end)[2]


_EXCEPTION_TAGS = (0x80, 0x81, 0x82)


class _Shown:
    """A default as ``ls()`` prints it (an ASN.1 value's repr, as Scapy's ``ls`` does)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return repr(self.value)


class ASN1Packet(Packet):
    """A layer that is one BER encoding: its fields' encodings inside tag ``asn1_tag``."""

    asn1_tag = 0x30

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        desc = cls.__dict__.get("fields_desc")
        if desc is not None:
            cls.ls_defaults = {f.name: _Shown(f.default) for f in desc
                               if isinstance(f.default, ASN1_Object)}

    def build_layer(self, payload: bytes) -> bytes:
        return encode_tlv(self.asn1_tag, super().build_layer(b"")) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        tag, start, stop = read_tlv(buf, off, end)
        if tag != self.asn1_tag:
            raise ParseError(f"tag {tag:#x} where {self.asn1_tag:#x} was expected")
        super().parse(buf, start, stop)
        return stop, stop

    def fields_given(self) -> dict[str, Any]:
        # read from bytes, every field counts, absent ones (None) too, as in Scapy
        if self.is_dissected():
            return {f.name: getattr(self, f.name) for f in type(self).fields_desc}
        return super().fields_given()


class SNMPvarbind(ASN1Packet):
    """One variable binding: an OID and its value (or a v2 exception)."""

    fields_desc = [
        ASN1Field("oid", ASN1_OID("1.3"), ASN1_OID),
        AnyValueField("value", ASN1_NULL(0), ASN1_Object),
        ExceptionField("noSuchObject", 0x80),
        ExceptionField("noSuchInstance", 0x81),
        ExceptionField("endOfMibView", 0x82),
    ]


class VarbindListField(PacketListField):
    """``varbindlist``: a SEQUENCE OF ``SNMPvarbind``."""

    def __init__(self, name: str) -> None:
        super().__init__(name, [], SNMPvarbind)

    ls_kind = "ASN1F_SEQUENCE_OF"

    def put(self, pkt: Any, value: Any) -> bytes:
        return encode_tlv(0x30, b"".join(bytes(p) for p in value or ()))

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        tag, start, stop = read_tlv(buf, off, end)
        if tag != 0x30:
            raise BERError(f"{self.name}: tag {tag:#x} where a SEQUENCE was expected")
        items = []
        while start < stop:
            _, _, item_end = read_tlv(buf, start, stop)
            items.append(read_packet(SNMPvarbind, bytes(buf[start:item_end]))[0])
            start = item_end
        return items, stop


def _pdu_fields() -> list[Any]:
    return [
        ASN1Field("id", ASN1_INTEGER(0), ASN1_INTEGER),
        ASN1Field("error", ASN1_INTEGER(0), ASN1_INTEGER, SNMP_ERRORS),
        ASN1Field("error_index", ASN1_INTEGER(0), ASN1_INTEGER),
        VarbindListField("varbindlist"),
    ]


def _pdu(name: str, tag: int, title: str) -> Any:
    """A PDU class of the common layout: request id, error status and index, varbinds."""
    return type(name, (ASN1Packet,), {"__doc__": f"{title}-PDU.", "asn1_tag": tag,
                                      "fields_desc": _pdu_fields(), "__module__": __name__,
                                      "__qualname__": name})


SNMPget = _pdu("SNMPget", 0xA0, "GetRequest")
SNMPnext = _pdu("SNMPnext", 0xA1, "GetNextRequest")
SNMPresponse = _pdu("SNMPresponse", 0xA2, "Response")
SNMPset = _pdu("SNMPset", 0xA3, "SetRequest")


def _uptime_ticks() -> ASN1_TIME_TICKS:
    return ASN1_TIME_TICKS(int(time.time() * 100) & 0xFFFFFFFF)


class TimeTicksNowField(ASN1Field):
    """A TimeTicks that, unset, is the time of building (hundredths of a second)."""

    def put(self, pkt: Any, value: Any) -> bytes:
        return super().put(pkt, _uptime_ticks() if value is None else value)

    def i2repr(self, pkt: Any, value: Any) -> str:
        return super().i2repr(pkt, _uptime_ticks() if value is None else value)


class SNMPtrapv1(ASN1Packet):
    """Trap-PDU of SNMPv1."""

    asn1_tag = 0xA4
    #: fields whose default is the time of building
    clock_fields = ("time_stamp",)
    fields_desc = [
        ASN1Field("enterprise", ASN1_OID("1.3"), ASN1_OID),
        ASN1Field("agent_addr", ASN1_IPADDRESS("0.0.0.0"), ASN1_IPADDRESS),
        ASN1Field("generic_trap", ASN1_INTEGER(0), ASN1_INTEGER, SNMP_TRAP_TYPES),
        ASN1Field("specific_trap", ASN1_INTEGER(0), ASN1_INTEGER),
        TimeTicksNowField("time_stamp", None, ASN1_TIME_TICKS),
        VarbindListField("varbindlist"),
    ]


class SNMPbulk(ASN1Packet):
    """GetBulkRequest-PDU."""

    asn1_tag = 0xA5
    fields_desc = [
        ASN1Field("id", ASN1_INTEGER(0), ASN1_INTEGER),
        ASN1Field("non_repeaters", ASN1_INTEGER(0), ASN1_INTEGER),
        ASN1Field("max_repetitions", ASN1_INTEGER(0), ASN1_INTEGER),
        VarbindListField("varbindlist"),
    ]


SNMPinform = _pdu("SNMPinform", 0xA6, "InformRequest")
SNMPtrapv2 = _pdu("SNMPtrapv2", 0xA7, "SNMPv2-Trap")


_PDUS: dict[int, type[ASN1Packet]] = {c.asn1_tag: c for c in (
    SNMPget, SNMPnext, SNMPresponse, SNMPset, SNMPtrapv1, SNMPbulk, SNMPinform, SNMPtrapv2)}


class PDUField(PacketField):
    """The PDU: one of the PDU layers, chosen by its tag."""

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, SNMPget)

    ls_kind = "ASN1F_CHOICE"

    def check_one(self, value: Any) -> Any:
        if not isinstance(value, ASN1Packet) or type(value) not in _PDUS.values():
            raise UsageError(f"{self.name}: expected a PDU (SNMPget(), SNMPresponse(), ...), "
                             f"got {value!r}")
        return value

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        tag, _, stop = read_tlv(buf, off, end)
        cls = _PDUS.get(tag)
        if cls is None:
            raise BERError(f"{self.name}: tag {tag:#x} is no PDU")
        return read_packet(cls, bytes(buf[off:stop]))[0], stop


class SNMP(ASN1Packet):
    """An SNMP message: version, community and one PDU."""

    overloads_lower = True
    fields_desc = [
        ASN1Field("version", ASN1_INTEGER(1), ASN1_INTEGER, SNMP_VERSIONS),
        ASN1Field("community", ASN1_STRING("public"), ASN1_STRING),
        PDUField("PDU", SNMPget()),
    ]

    def answers(self, other: Layer) -> bool:
        """A response answers a get, get-next or set request with the same request ID."""
        if not isinstance(other, SNMP):
            return False
        mine, theirs = self.PDU, other.PDU
        # as Scapy matches them: get, get-next and set requests only
        if not isinstance(mine, SNMPresponse) or not isinstance(theirs, (SNMPget, SNMPnext,
                                                                         SNMPset)):
            return False
        return _number(mine.id) == _number(theirs.id)

    def summary_part(self) -> str:
        return f"SNMP {type(self.PDU).__name__ if self.PDU is not None else ''}".rstrip()


def _number(v: Any) -> Any:
    return v.val if isinstance(v, ASN1_Object) else v


for _port in SNMP_PORTS[::-1]:  # 161 last: building fills 161, as Scapy does
    bind_layers(UDP, SNMP, sport=_port, dport=_port)
