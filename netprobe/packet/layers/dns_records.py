"""DNS questions and resource records: the items of the DNS layer's four lists.

Each record is a small ``Layer`` (so it has fields, ``to_dict()`` and ``show``)
that is put in a list of the DNS layer, not stacked with ``/``. Field names and
defaults follow Scapy's ``DNSQR``, ``DNSRR``, ``DNSRRMX``, ``DNSRRSOA`` and
``DNSRRSRV``. Reading a record dispatches on its type like Scapy does; RDATA
that does not decode cleanly is kept as ``RawRData`` (its exact bytes) and a
note says why, so a rebuilt message carries the same RDATA.
"""

from __future__ import annotations

import socket
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import (
    BitField,
    IntField,
    ListField,
    ShortField,
    TailField,
    _ip6_text,
)
from netprobe.packet.layer import DISSECTED, Layer, LengthNote, OneValue, ParseError, Truncated
from netprobe.packet.layers.dns_name import (
    DNSNameField,
    NameCache,
    decode_name,
    encode_name,
    name_text,
    normalise_name,
)
from netprobe.packet.layers.dns_types import (
    DNS_CLASSES,
    DNS_QTYPES,
    DNS_TYPES,
    NAME_RDATA_TYPES,
)

_HH = Struct("!HH")
_HHIH = Struct("!HHIH")
_H = Struct("!H")
_HHH = Struct("!HHH")
_SOA_TAIL = Struct("!IIIII")
_ntoa = socket.inet_ntoa
_pton = socket.inet_pton
_new = object.__new__
_NO_PROBLEMS: tuple[str, ...] = ()


class RawRData(bytes):
    """RDATA bytes put on the wire exactly as they are, whatever the record type.

    Dissection uses it for RDATA that does not decode as its type says (an A
    record of 5 bytes, a TXT string running past the end); crafting can use it
    to send any RDATA under any type.
    """

    __slots__ = ()


class LayerListField(ListField):
    """A list of layers (a DNS section, SVCB's parameters): a single one is made a list."""

    __slots__ = ()

    def check_one(self, value: Any) -> Any:
        # A layer is iterable (packet sets), so wrap it before ListField iterates it.
        if isinstance(value, Layer):
            value = [value]
        return super().check_one(value)


class RDataField(OneValue, TailField):
    """``DNSRR.rdata``: an address, a name, TXT strings or bytes, depending on ``type``.

    The value is checked loosely here (the type may be set after it) and
    encoded for the record's type when building.
    """

    __slots__ = ()
    ls_kind = "MultipleTypeField (IPField, IP6Field, DNSStrField, DNSTextField, StrLenField)"

    def check_one(self, value: Any) -> Any:
        if value is None or isinstance(value, (str, bytes)):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, (list, tuple)):
            out = []
            for item in value:
                if not isinstance(item, (str, bytes, bytearray)):
                    raise UsageError(f"{self.name}: TXT strings are text or bytes, got "
                                     f"{item!r}")
                # text stays text, as in Scapy; it is encoded when built
                out.append(item if isinstance(item, str) else bytes(item))
            return out
        raise UsageError(f"{self.name}: expected an address, a name, TXT strings or bytes, "
                         f"got {type(value).__name__} {value!r}")

    def i2repr(self, layer: Any, value: Any) -> str:
        """As Scapy shows it: a name given as text in its stored form (``b'ns.example.'``),
        an address as text, anything else as its Python value."""
        if isinstance(value, (str, bytes)) and getattr(layer, "type", None) == 16:
            return repr([value])  # one TXT string given alone is a list of one, as Scapy's
        if isinstance(value, str):
            if getattr(layer, "type", None) in NAME_RDATA_TYPES:
                return repr(normalise_name(value, "rdata"))
            return value
        if value is None:
            return "None"
        return repr(bytes(value)) if isinstance(value, (bytes, bytearray)) else repr(value)


def encode_txt(strings: list[Any]) -> bytes:
    """TXT RDATA: each string with its length byte; strings over 255 bytes are split.

    An empty string is one zero byte, as in Scapy.
    """
    out = bytearray()
    for text in strings:
        if not text:
            out.append(0)
            continue
        if isinstance(text, str):
            text = text.encode()
        while len(text) >= 255:
            out += b"\xff" + text[:255]
            text = text[255:]
        if text:
            out.append(len(text))
            out += text
    return bytes(out)


class _Stop(Exception):
    """A record cannot be read past this point; carries the problem text."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _name_then(buf: bytes, off: int, base: int, end: int, cache: NameCache | None, size: int,
               what: str) -> tuple[bytes, int, str | None]:
    """A name, then ``size`` bytes of ``what``: (the name, where those bytes start, the
    name's problem); ``_Stop`` when the name is unreadable or the bytes are cut short."""
    name, pos, _, problem = decode_name(buf, off, base, end, cache)
    if pos < 0:
        raise _Stop(problem or "bad name")
    if end - pos < size:
        raise _Stop(LengthNote(f"{what} cut short ({end - pos} of {size} bytes after the name)"))
    return name, pos, problem


def _blank(cls: type[Layer]) -> Any:
    obj = _new(cls)
    obj._payload = None
    obj._under = None
    obj._errors = None
    obj._meta = DISSECTED
    return obj


def _as_parse_error(stop: _Stop) -> ParseError:
    if isinstance(stop.problem, LengthNote):
        return Truncated(stop.problem)
    return ParseError(stop.problem)


# -- questions ----------------------------------------------------------------------------------

class DNSQR(Layer):
    """A question: name, type and class (with mDNS's unicast-response bit, RFC 6762)."""

    name = 'DNS Question Record'
    ls_kinds = {"qname": "DNSStrField"}
    ls_defaults = {"qname": b"www.example.com."}
    held_in_fields = True
    fields = (
        DNSNameField("qname", "www.example.com"),
        ShortField("qtype", 1, names=DNS_QTYPES),
        BitField("unicastresponse", 0, 1),
        BitField("qclass", 1, 15, names=DNS_CLASSES),
    )

    def build_layer(self, payload: bytes) -> bytes:
        return (encode_name(self.qname)
                + _HH.pack(self.qtype, (self.unicastresponse & 1) << 15 | self.qclass & 0x7FFF)
                + payload)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        try:
            nxt, problem = self._read(buf, off, off, end, None)
        except _Stop as stop:
            raise _as_parse_error(stop) from None
        if problem:
            self.note(problem)
        return nxt, nxt

    def _read(self, buf: bytes, off: int, base: int, end: int, cache: NameCache | None
              ) -> tuple[int, str | None]:
        name, pos, problem = _name_then(buf, off, base, end, cache, 4, "question")
        self.qname = name
        self.qtype, word = _HH.unpack_from(buf, pos)
        self.unicastresponse = word >> 15
        self.qclass = word & 0x7FFF
        return pos + 4, problem

    def summary_part(self) -> str:
        return f"DNSQR {name_text(self.qname)} {DNS_QTYPES.get(self.qtype, self.qtype)}"


def read_question(buf: bytes, off: int, base: int, end: int, cache: NameCache | None = None
                  ) -> tuple[DNSQR | None, int, tuple[str, ...]]:
    """Read the question at ``off`` of the message ``buf[base:end]``.

    Returns ``(question or None, next offset, problems)``; None means the
    question could not be read and the section stops there. ``cache`` is the
    message's name cache (see ``decode_name``).
    """
    q = _blank(DNSQR)
    try:
        nxt, problem = q._read(buf, off, base, end, cache)
    except _Stop as stop:
        return None, off, (stop.problem,)
    return q, nxt, ((problem,) if problem else _NO_PROBLEMS)


# -- resource records ---------------------------------------------------------------------------

def _read_header(buf: bytes, off: int, base: int, end: int, cache: NameCache | None
                 ) -> tuple[bytes, str | None, int, int, int, int, int, int]:
    """The common record header: (name, name problem, type, class word, ttl, rdlen, rd, rdend)."""
    name, pos, problem = _name_then(buf, off, base, end, cache, 10, "record header")
    rtype, cword, ttl, rdlen = _HHIH.unpack_from(buf, pos)
    rd = pos + 10
    if rd + rdlen > end:
        raise _Stop(LengthNote(f"RDATA of {rdlen} bytes runs past the end of the message "
                               f"({end - rd} left)"))
    return name, problem, rtype, cword, ttl, rdlen, rd, rd + rdlen


class ResourceRecord(Layer):
    """What every resource record shares: owner name, type, class, TTL and RDATA length.

    ``rdlen`` left unset is computed. After dissection it holds the length
    read, except when the RDATA held compressed names: a rebuilt record writes
    them in full, so ``rdlen`` is then None and is recomputed.
    """

    held_in_fields = True

    def _class_word(self) -> int:
        return (self.cacheflush & 1) << 15 | self.rclass & 0x7FFF

    def _set_class_word(self, word: int) -> None:
        self.cacheflush = word >> 15
        self.rclass = word & 0x7FFF

    def _ttl_word(self) -> int:
        return self.ttl

    def _set_ttl_word(self, word: int) -> None:
        self.ttl = word

    def build_rdata(self) -> bytes:
        """The RDATA bytes for this record's fields."""
        return b""

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        """Fill the RDATA fields from ``buf[rd:rdend]`` (names may point into the message).

        Returns None, or why the RDATA does not decode as this type (the
        caller then keeps the record as a ``DNSRR`` with ``RawRData``).
        """
        return None

    def build_layer(self, payload: bytes) -> bytes:
        rd = self.build_rdata()
        rdlen = len(rd) if self.rdlen is None else self.rdlen
        return (encode_name(self.rrname)
                + _HHIH.pack(self.type, self._class_word(), self._ttl_word(), rdlen)
                + rd + payload)

    def _fill_header(self, name: bytes, rtype: int, cword: int, ttl: int, rdlen: int) -> None:
        self.rrname = name
        self.type = rtype
        self._set_class_word(cword)
        self._set_ttl_word(ttl)
        self.rdlen = rdlen

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        # A record dissected on its own: compression pointers count from its first byte.
        try:
            name, problem, rtype, cword, ttl, rdlen, rd, rdend = _read_header(buf, off, off, end,
                                                                              None)
        except _Stop as stop:
            raise _as_parse_error(stop) from None
        self._fill_header(name, rtype, cword, ttl, rdlen)
        if problem:
            self.note(problem)
        bad = self.decode_rdata(buf, rd, rdend, off, end)
        if bad:
            raise ParseError(bad)
        return rdend, rdend

    def _name_rdata(self, buf: bytes, pos: int, rdend: int, base: int, end: int,
                    cache: NameCache | None, what: str) -> tuple[bytes, int] | str:
        """A name inside RDATA: (name, next offset) or a problem text."""
        name, nxt, compressed, problem = decode_name(buf, pos, base, end, cache)
        if problem:
            return f"{what}: {problem}"
        if nxt > rdend:
            return f"{what} runs past the RDATA length"
        if compressed:
            self.rdlen = None
        return name, nxt

    def summary_part(self) -> str:
        return (f"{type(self).__name__} {name_text(self.rrname)} "
                f"{DNS_TYPES.get(self.type, self.type)}")


#: the common header fields, with mDNS's cache-flush bit (RFC 6762) above a 15-bit class
def _header(rtype: int) -> tuple[Any, ...]:
    return (DNSNameField("rrname", ""), ShortField("type", rtype, names=DNS_TYPES),
            BitField("cacheflush", 0, 1), BitField("rclass", 1, 15, names=DNS_CLASSES),
            IntField("ttl", 0), ShortField("rdlen", None))


class DNSRR(ResourceRecord):
    """A resource record; ``rdata`` is decoded for A, AAAA, name types and TXT.

    ``rdata`` is an address text (A, AAAA), a name (NS, MD, MF, CNAME, PTR,
    DNAME), a list of byte strings (TXT) or bytes (any other type). Unset, it
    builds as the type's empty value (0.0.0.0, ::, the root name, one empty
    string, nothing). ``RawRData`` bytes are written as they are.
    """

    name = 'DNS Resource Record'
    fields = (*_header(1), RDataField("rdata", None))
    #: unset, ``rdata`` reads as the type's empty value, as Scapy's
    computed_fields = ("rdata",)
    ls_kinds = {"rrname": "DNSStrField", "rdlen": "FieldLenField"}
    ls_defaults = {"rdata": b""}

    def shown_default(self, name: str) -> Any:
        if name != "rdata":
            return None
        t = self.type
        if t == 1:
            return "0.0.0.0"
        if t == 28:
            return "::"
        if t in NAME_RDATA_TYPES:
            return b"."
        return [""] if t == 16 else b""

    def build_rdata(self) -> bytes:
        v, t = self.rdata, self.type
        if isinstance(v, RawRData):
            return bytes(v)
        if t == 1 or t == 28:
            if isinstance(v, bytes):
                return v
            fam, text = (socket.AF_INET, "IPv4") if t == 1 else (socket.AF_INET6, "IPv6")
            if v is None:
                return bytes(4 if t == 1 else 16)
            try:
                return _pton(fam, v)
            except (OSError, TypeError):
                raise UsageError(f"DNSRR.rdata: {v!r} is not an {text} address (type "
                                 f"{DNS_TYPES[t]}); give bytes or RawRData for raw RDATA"
                                 ) from None
        if t in NAME_RDATA_TYPES:
            if isinstance(v, list):
                raise UsageError(f"DNSRR.rdata: type {DNS_TYPES[t]} takes one name")
            return encode_name(normalise_name(v, "DNSRR.rdata") if v is not None else b".")
        if t == 16:
            if v is None:
                return b"\x00"
            return encode_txt(v if isinstance(v, list) else [v])
        if v is None:
            return b""
        if isinstance(v, str):
            return v.encode()
        if isinstance(v, list):
            raise UsageError(f"DNSRR.rdata: type {DNS_TYPES.get(t, t)} takes bytes, not a "
                             "list")
        return v

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        t, n = self.type, rdend - rd
        if t == 1:
            if n != 4:
                return f"A RDATA has {n} bytes, not 4"
            self.rdata = _ntoa(buf[rd:rdend])
        elif t == 28:
            if n != 16:
                return f"AAAA RDATA has {n} bytes, not 16"
            self.rdata = _ip6_text(buf[rd:rdend])
        elif t in NAME_RDATA_TYPES:
            got = self._name_rdata(buf, rd, rdend, base, end, cache, "name")
            if isinstance(got, str):
                return got
            name, nxt = got
            if nxt != rdend:
                return f"name ends {rdend - nxt} bytes before the end of the RDATA"
            self.rdata = name
        elif t == 16:
            strings = []
            pos = rd
            while pos < rdend:
                nxt = pos + 1 + buf[pos]
                if nxt > rdend:
                    return f"TXT string of {buf[pos]} bytes runs past the RDATA"
                strings.append(buf[pos + 1:nxt])
                pos = nxt
            self.rdata = strings
        else:
            self.rdata = buf[rd:rdend]
        return None

    def rdata_json(self) -> Any:
        """``rdata`` in JSON form: text for addresses and names, a list for TXT, else hex."""
        v, t = self.rdata, self.type
        if v is None or isinstance(v, str):
            return v
        if isinstance(v, RawRData):
            return v.hex()
        if isinstance(v, list):
            return [name_text(x) for x in v]
        if t in NAME_RDATA_TYPES:
            return name_text(v)
        return v.hex()

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["rdata"] = self.rdata_json()
        return d

    def summary_part(self) -> str:
        v = self.rdata_json()
        return f"{super().summary_part()} {v}" if v is not None else super().summary_part()


def raw_bytes(value: Any) -> bytes:
    """A string field's value as bytes (text is encoded; None is empty)."""
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else bytes(value)


class FixedThenTail(ResourceRecord):
    """A record whose RDATA is fixed-size numbers, then one name or bytes that end it
    (MX, SRV, DS, DNSKEY)."""

    #: (the type as notes name it, the numbers' struct, their fields, the last field)
    rdata_layout: tuple[str, Struct, tuple[str, ...], str]

    def _ends_with_name(self) -> bool:
        return isinstance(type(self).fields_by_name[self.rdata_layout[3]], DNSNameField)

    def build_rdata(self) -> bytes:
        _, fmt, numbers, last = self.rdata_layout
        value = getattr(self, last)
        return (fmt.pack(*(getattr(self, n) for n in numbers))
                + (encode_name(value) if self._ends_with_name() else raw_bytes(value)))

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        kind, fmt, numbers, last = self.rdata_layout
        name = self._ends_with_name()
        if rdend - rd < fmt.size + name:
            return f"{kind} RDATA of {rdend - rd} bytes is too short"
        value: Any = buf[rd + fmt.size:rdend]
        if name:
            got = self._name_rdata(buf, rd + fmt.size, rdend, base, end, cache, last)
            if isinstance(got, str):
                return got
            if got[1] != rdend:
                return f"{kind} {last} ends before the RDATA does"
            value = got[0]
        for n, v in zip(numbers, fmt.unpack_from(buf, rd)):
            setattr(self, n, v)
        setattr(self, last, value)
        return None


class DNSRRMX(FixedThenTail):
    """An MX record (RFC 1035): preference and mail exchange."""

    name = 'DNS MX Resource Record'
    fields = (*_header(15), ShortField("preference", 0), DNSNameField("exchange", ""))
    rdata_layout = ("MX", _H, ("preference",), "exchange")


class PlainClass:
    """A record whose class is all 16 bits, no mDNS cache-flush bit (SOA, OPT, TSIG, as
    Scapy declares them)."""

    __slots__ = ()

    def _class_word(self) -> int:
        return self.rclass  # type: ignore[attr-defined, no-any-return]

    def _set_class_word(self, word: int) -> None:
        self.rclass = word


class DNSRRSOA(PlainClass, ResourceRecord):
    """An SOA record (RFC 1035). As in Scapy, its class is 16 bits (no cache-flush bit)."""

    name = 'DNS SOA Resource Record'
    fields = (
        DNSNameField("rrname", ""),
        ShortField("type", 6, names=DNS_TYPES),
        ShortField("rclass", 1, names=DNS_CLASSES),
        IntField("ttl", 0),
        ShortField("rdlen", None),
        DNSNameField("mname", ""),
        DNSNameField("rname", ""),
        IntField("serial", 0),
        IntField("refresh", 0),
        IntField("retry", 0),
        IntField("expire", 0),
        IntField("minimum", 0),
    )

    def build_rdata(self) -> bytes:
        return (encode_name(self.mname) + encode_name(self.rname)
                + _SOA_TAIL.pack(self.serial, self.refresh, self.retry, self.expire,
                                 self.minimum))

    def decode_rdata(self, buf: bytes, rd: int, rdend: int, base: int, end: int,
                     cache: NameCache | None = None) -> str | None:
        got = self._name_rdata(buf, rd, rdend, base, end, cache, "mname")
        if isinstance(got, str):
            return got
        mname, pos = got
        got = self._name_rdata(buf, pos, rdend, base, end, cache, "rname")
        if isinstance(got, str):
            return got
        rname, pos = got
        if rdend - pos != 20:
            return f"SOA has {rdend - pos} bytes after its names, not 20"
        self.mname, self.rname = mname, rname
        (self.serial, self.refresh, self.retry, self.expire,
         self.minimum) = _SOA_TAIL.unpack_from(buf, pos)
        return None


class DNSRRSRV(FixedThenTail):
    """An SRV record (RFC 2782): priority, weight, port and target."""

    name = 'DNS SRV Resource Record'
    fields = (*_header(33), ShortField("priority", 0), ShortField("weight", 0),
              ShortField("port", 0), DNSNameField("target", ""))
    rdata_layout = ("SRV", _HHH, ("priority", "weight", "port"), "target")


#: record type -> class used when reading it (others read as DNSRR); dns_edns adds OPT
RECORD_CLASSES: dict[int, type[ResourceRecord]] = {6: DNSRRSOA, 15: DNSRRMX, 33: DNSRRSRV}


def read_record(buf: bytes, off: int, base: int, end: int, cache: NameCache | None = None
                ) -> tuple[ResourceRecord | None, int, tuple[str, ...]]:
    """Read the resource record at ``off`` of the message ``buf[base:end]``.

    Returns ``(record or None, next offset, problems)``; None means the record
    could not be read and the section stops there.
    """
    try:
        name, problem, rtype, cword, ttl, rdlen, rd, rdend = _read_header(buf, off, base, end,
                                                                          cache)
    except _Stop as stop:
        return None, off, (stop.problem,)
    rec = _blank(RECORD_CLASSES.get(rtype, DNSRR))
    rec._fill_header(name, rtype, cword, ttl, rdlen)
    bad = rec.decode_rdata(buf, rd, rdend, base, end, cache)
    notes = rec._errors
    if bad is not None:
        rec = _blank(DNSRR)
        rec._fill_header(name, rtype, cword, ttl, rdlen)
        rec.rdata = RawRData(buf[rd:rdend])
        notes = [*(notes or ()), f"{DNS_TYPES.get(rtype, rtype)} RDATA kept raw: {bad}"]
    else:
        rec._errors = None
    # As Scapy's, a record read inside a message forgets its RDATA length (rebuilt, it is
    # computed); the message's bytes stay as read while nothing changes (DNS._as_read).
    rec.rdlen = None
    if problem is None and not notes:
        return rec, rdend, _NO_PROBLEMS
    return rec, rdend, tuple(p for p in (problem, *(notes or ())) if p)
