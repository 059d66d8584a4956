"""Service binding records (RFC 9460): SVCB (type 64) and HTTPS (type 65) with their
``SvcParam`` key/value pairs, with Scapy 2.8's names, fields and defaults.

A ``SvcParam``'s ``value`` is read and written by its key, as Scapy does:
``mandatory`` a list of keys, ``alpn``/``no-default-alpn`` a list of protocol ids,
``port`` a number, ``ipv4hint``/``ipv6hint`` lists of addresses, any other key bytes.
``len`` left unset is computed. Bytes after a parameter's announced length are
``Padding``, as in Scapy.
"""

from __future__ import annotations

import socket
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.field import ShortField
from netprobe.packet.layer import DISSECTED, ParseError, Truncated
from netprobe.packet.layers.dns_name import DNSNameField, NameCache, encode_name
from netprobe.packet.layers.dns_records import (
    RECORD_CLASSES,
    LayerListField,
    ResourceRecord,
    _header,
)
from netprobe.packet.layers.dns_types import DNS_TYPES
from netprobe.packet.packet_class import Packet, ReadEmpty, fields_then_trailer, fills_length
from netprobe.packet.scapy_fields import FieldLenField, ScapyField, ShortEnumField

__all__ = ["DNSRRHTTPS", "DNSRRSVCB", "SvcParam"]

#: SvcParamKeys (RFC 9460 14.3.2), named as Scapy names them
SVC_PARAM_KEYS: dict[int, str] = {0: "mandatory", 1: "alpn", 2: "no-default-alpn", 3: "port",
                                  4: "ipv4hint", 5: "ech", 6: "ipv6hint", 7: "dohpath",
                                  8: "ohttp"}
_KEY_NUMBERS = {v: k for k, v in SVC_PARAM_KEYS.items()}
_H = Struct("!H")
_HH = Struct("!HH")
_LISTS = (0, 1, 2, 4, 6)


def _key_number(key: Any) -> int:
    return _KEY_NUMBERS.get(key, -1) if isinstance(key, str) else int(key)


def _as_list(value: Any) -> list[Any]:
    if value is None or value == b"":
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def encode_value(key: int, value: Any) -> bytes:
    """A parameter's value as bytes, by its key."""
    if key == 0:
        return b"".join(_H.pack(_key_number(k)) for k in _as_list(value))
    if key in (1, 2):
        out = bytearray()
        for item in _as_list(value):
            data = item.encode() if isinstance(item, str) else bytes(item)
            out += bytes((len(data),)) + data
        return bytes(out)
    if key == 3:
        return _H.pack(value or 0)
    if key in (4, 6):
        fam = socket.AF_INET if key == 4 else socket.AF_INET6
        try:
            return b"".join(socket.inet_pton(fam, a) for a in _as_list(value))
        except (OSError, TypeError):
            raise UsageError(f"SvcParam.value: {value!r} is not a list of "
                             f"{'IPv4' if key == 4 else 'IPv6'} addresses") from None
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else bytes(value)


def decode_value(key: int, data: bytes) -> Any:
    """A parameter's value read from its bytes, by its key (ParseError if they do not fit)."""
    if key == 0:
        return [_H.unpack_from(data, i)[0] for i in range(0, len(data) - 1, 2)]
    if key in (1, 2):
        out, pos = [], 0
        while pos < len(data):
            nxt = pos + 1 + data[pos]
            if nxt > len(data):
                raise ParseError(f"alpn id of {data[pos]} bytes runs past the value")
            out.append(data[pos + 1:nxt])
            pos = nxt
        return out or ReadEmpty()
    if key == 3:
        if len(data) < 2:
            raise Truncated("port: 2 bytes needed")
        return _H.unpack_from(data)[0]
    if key in (4, 6):
        size = 4 if key == 4 else 16
        return [socket.inet_ntop(socket.AF_INET if key == 4 else socket.AF_INET6,
                                 data[i:i + size]) for i in range(0, len(data) - size + 1, size)]
    return data


class SvcValueField(ScapyField, F.TailField):
    """``SvcParam.value``: its layout follows ``key`` (Scapy's MultipleTypeField)."""

    ls_kind = ("MultipleTypeField (FieldListField, DNSTextField, ShortField, FieldListField, "
               "FieldListField, StrLenField)")

    def __init__(self, name: str, default: Any) -> None:
        F.TailField.__init__(self, name, default)
        self.auto = False

    def check(self, value: Any) -> Any:
        return value

    def put(self, pkt: Any, value: Any) -> bytes:
        return encode_value(_key_number(pkt.key), value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = end if pkt.len is None else min(end, off + pkt.len)
        data = buf[off:stop]
        key = pkt.key
        if key == 3 and len(data) > 2:
            stop = off + 2  # a port reads its two bytes; the rest is padding
        return decode_value(key, data), stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        key = _key_number(pkt.key) if pkt is not None else -1
        if value is None:
            value = [] if key in _LISTS else 0 if key == 3 else b""
        if key == 0 and isinstance(value, list):
            return "[" + ", ".join(SVC_PARAM_KEYS.get(k, str(k)) if isinstance(k, int)
                                   else str(k) for k in value) + "]"
        if key in (4, 6) and isinstance(value, list):
            return "[" + ", ".join(value) + "]"
        return repr(value) if isinstance(value, (bytes, list, str)) else str(value)

    def to_json(self, value: Any) -> Any:
        if isinstance(value, bytes):
            return value.hex()
        if isinstance(value, list):
            return [v.hex() if isinstance(v, bytes) else v for v in value]
        return value


class SvcParam(Packet):
    """One service parameter: key, length (computed when unset) and value."""

    name = "SvcParam"
    held_in_fields = True
    ls_defaults = {"value": b""}
    fields_desc = [
        ShortEnumField("key", 0, SVC_PARAM_KEYS),
        FieldLenField("len", None),
        SvcValueField("value", None),
    ]

    post_build = fills_length("len", 2, uncounted=4)

    parse = fields_then_trailer("parameter")


def check_param(name: str, value: Any) -> SvcParam:
    """A ``svc_params`` item: a ``SvcParam``."""
    if isinstance(value, SvcParam):
        return value
    raise UsageError(f"{name}: a service parameter is SvcParam(...); got {value!r}")


_new = object.__new__


class DNSRRSVCB(ResourceRecord):
    """An SVCB record: priority, target name and service parameters."""

    name = 'DNS SVCB Resource Record'
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "ShortField"}
    packet_lists = frozenset(("svc_params",))
    fields = (
        *_header(64),
        ShortField("svc_priority", 0),
        DNSNameField("target_name", ""),
        LayerListField("svc_params", [], item_check=check_param),
    )

    def build_rdata(self) -> bytes:
        return (_H.pack(self.svc_priority) + encode_name(self.target_name)
                + b"".join(p.build_layer(b"") for p in self.svc_params or ()))

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        if rdend - rd < 3:
            return f"{DNS_TYPES.get(self.type, self.type)} RDATA of {rdend - rd} bytes is too short"
        got = self._name_rdata(buf, rd + 2, rdend, base, end, cache, "target_name")
        if isinstance(got, str):
            return got
        params, pos = [], got[1]
        while pos < rdend:
            if rdend - pos < 4:
                return "service parameter header cut short"
            stop = pos + 4 + _HH.unpack_from(buf, pos)[1]
            if stop > rdend:
                return "service parameter runs past the RDATA"
            param = _new(SvcParam)
            param._payload = param._under = param._errors = None
            try:
                nxt, _ = param.parse(buf, pos, stop)
            except (ParseError, ValueError, IndexError, OSError) as exc:
                return f"service parameter: {exc}"
            if nxt != stop or param._errors:
                return "service parameter value does not fill its length"
            param._meta = DISSECTED
            params.append(param)
            pos = stop
        self.svc_priority = _H.unpack_from(buf, rd)[0]
        self.target_name = got[0]
        self.svc_params = params
        return None


class DNSRRHTTPS(DNSRRSVCB):
    """An HTTPS record: an SVCB record for HTTPS origins (type 65)."""

    name = 'DNS HTTPS Resource Record'
    fields = (*_header(65), *DNSRRSVCB.fields[6:])


RECORD_CLASSES.update({64: DNSRRSVCB, 65: DNSRRHTTPS})
