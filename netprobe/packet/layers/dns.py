"""DNS (RFC 1035) over UDP and TCP, with mDNS (RFC 6762) and LLMNR (RFC 4795) ports.

``DNS`` follows Scapy 2.8's field names and defaults: the header, the four
counts (filled from the lists when unset) and the lists ``qd``, ``an``, ``ns``
and ``ar`` whose items are ``DNSQR`` and resource-record layers (see
``dns_records`` and ``dns_edns``). Names are written without compression, as
Scapy writes them; reading follows compression pointers with bounds.

DNS over TCP carries a two-byte length before each message. Scapy adds a
``length`` field to ``DNS`` when it sits on TCP; netprobe's fields are fixed
per class, so the length lives in ``DNSTCP``, the class TCP port 53 dissects
to. ``TCP() / DNS()`` still builds the length prefix, as in Scapy; use
``DNSTCP(length=...)`` to send a wrong one on purpose.

Dissecting never raises on bad bytes: a record that cannot be read stops the
message, the rest becomes ``Raw`` and the packet's errors say where and why
(``an[2]: ...``, offsets counted from the message's first byte); bytes after
the last announced record become ``Padding``; counts that announce more
records than the message holds are noted. Over TCP, a second message in the
same segment is left as ``Padding`` (there is no stream reassembly here).

LLMNR shares the layout; its C and T flags read as ``aa`` and ``rd``.
"""

from __future__ import annotations

from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import BitField, ShortField
from netprobe.packet.layer import Layer, LengthNote, bind_layers
from netprobe.packet.layers.dns_edns import DNSRROPT, EDNS0TLV
from netprobe.packet.layers.dns_edns_options import (
    EDNS0COOKIE,
    EDNS0DAU,
    EDNS0DHU,
    EDNS0N3U,
    EDNS0OWN,
    EDNS0PADDING,
    EDNS0ClientSubnet,
    EDNS0ExtendedDNSError,
)
from netprobe.packet.layers.dns_name import NameCache, name_text
from netprobe.packet.layers.dns_records import (
    DNSQR,
    DNSRR,
    DNSRRMX,
    DNSRRSOA,
    DNSRRSRV,
    LayerListField,
    ResourceRecord,
    read_question,
    read_record,
)
from netprobe.packet.layers.dns_sec import (
    DNSRRDLV,
    DNSRRDNSKEY,
    DNSRRDS,
    DNSRRNSEC,
    DNSRRNSEC3,
    DNSRRNSEC3PARAM,
    DNSRRRSIG,
    DNSRRTSIG,
)
from netprobe.packet.layers.dns_string_records import DNSRRHINFO, DNSRRNAPTR
from netprobe.packet.layers.dns_svcb import DNSRRHTTPS, DNSRRSVCB, SvcParam
from netprobe.packet.layers.dns_types import DNS_OPCODES, DNS_QTYPES, DNS_RCODES
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

__all__ = ["DNS", "DNSQR", "DNSRR", "DNSRRDLV", "DNSRRDNSKEY", "DNSRRDS", "DNSRRHINFO",
           "DNSRRHTTPS", "DNSRRMX", "DNSRRNAPTR", "DNSRRNSEC", "DNSRRNSEC3", "DNSRRNSEC3PARAM",
           "DNSRROPT", "DNSRRRSIG", "DNSRRSOA", "DNSRRSRV", "DNSRRSVCB", "DNSRRTSIG", "DNSTCP",
           "EDNS0COOKIE", "EDNS0DAU", "EDNS0DHU", "EDNS0N3U", "EDNS0OWN", "EDNS0PADDING",
           "EDNS0TLV", "EDNS0ClientSubnet", "EDNS0ExtendedDNSError", "SvcParam"]

_H = Struct("!H")
_SECTIONS = ("qd", "an", "ns", "ar")
_SECTION_WORDS = ("questions", "answer records", "authority records", "additional records")


def check_question(name: str, value: Any) -> DNSQR:
    """A ``qd`` item: a ``DNSQR``, or a name that becomes ``DNSQR(qname=name)``."""
    if isinstance(value, DNSQR):
        return value
    if isinstance(value, (str, bytes)):
        return DNSQR(qname=value)
    raise UsageError(f"{name}: a question is DNSQR(...) or a name; got {value!r}")


def check_record(name: str, value: Any) -> ResourceRecord | bytes:
    """An ``an``/``ns``/``ar`` item: a record layer, or bytes written as they are."""
    if isinstance(value, ResourceRecord):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise UsageError(f"{name}: a record is DNSRR(...), DNSRRMX(...), DNSRRSOA(...), "
                     f"DNSRRSRV(...), DNSRROPT(...) or raw bytes; got {value!r}")


class _FreshDefault(list):
    """A default list that hands out copies of its items.

    The generated ``__init__`` copies a list default with ``list(default)``,
    which iterates it; copying the items there means two ``DNS()`` never share
    (and so never edit) the same default question.
    """

    def __iter__(self) -> Any:
        return (x.copy() for x in list.__iter__(self))


def _item_bytes(item: Any) -> bytes:
    return item.build_layer(b"") if isinstance(item, Layer) else bytes(item)


class DNS(Layer):
    """A DNS message; counts left unset are the lengths of ``qd``, ``an``, ``ns``, ``ar``."""

    packet_lists = frozenset(("qd", "an", "ns", "ar"))
    ls_leading = (("length", "ShortField (Cond)", None),)
    ls_kinds = {"qdcount": "FieldLenField", "ancount": "FieldLenField",
                "nscount": "FieldLenField", "arcount": "FieldLenField",
                "qd": "_DNSPacketListField", "an": "_DNSPacketListField",
                "ns": "_DNSPacketListField", "ar": "_DNSPacketListField"}
    fields = (
        ShortField("id", 0),
        BitField("qr", 0, 1),
        BitField("opcode", 0, 4, names=DNS_OPCODES),
        BitField("aa", 0, 1),
        BitField("tc", 0, 1),
        BitField("rd", 1, 1),
        BitField("ra", 0, 1),
        BitField("z", 0, 1),
        BitField("ad", 0, 1),
        BitField("cd", 0, 1),
        BitField("rcode", 0, 4, names=DNS_RCODES),
        ShortField("qdcount", None),
        ShortField("ancount", None),
        ShortField("nscount", None),
        ShortField("arcount", None),
        LayerListField("qd", _FreshDefault([DNSQR()]), item_check=check_question),
        LayerListField("an", [], item_check=check_record),
        LayerListField("ns", [], item_check=check_record),
        LayerListField("ar", [], item_check=check_record),
    )

    # -- building -------------------------------------------------------------------------------
    def _message(self) -> bytearray:
        """Header and records; the counts (the last 8 fixed bytes) filled where unset."""
        msg = bytearray(self._pack_fixed())
        counts_at = len(msg) - 8
        body = []
        for i, (count, items) in enumerate(((self.qdcount, self.qd), (self.ancount, self.an),
                                            (self.nscount, self.ns), (self.arcount, self.ar))):
            items = items or ()
            if count is None:
                _H.pack_into(msg, counts_at + 2 * i, len(items) & 0xFFFF)
            body.extend(_item_bytes(x) for x in items)
        msg += b"".join(body)
        return msg

    def _as_read(self, msg: bytes | bytearray) -> bytes | bytearray:
        """The bytes this message was read from, when it still says what they say.

        Names are written without compression: a message read with compressed names
        builds longer. As Scapy keeps a dissected packet's bytes until it is changed,
        an unchanged message builds as read (``len(pkt)`` and ``raw(pkt)`` as captured).
        """
        wire = self.__dict__.get("_wire")
        if wire is None or msg == wire:
            return msg
        from netprobe.packet.dissect import dissect_as

        again = dissect_as(type(self), wire)
        return wire if isinstance(again, DNS) and again._message() == msg else msg

    def build_layer(self, payload: bytes) -> bytes:
        msg = self._as_read(self._message())
        if isinstance(self._under, TCP):
            # DNS over TCP: the message goes behind its length (RFC 1035 4.2.2), as in Scapy.
            return _H.pack(len(msg) & 0xFFFF) + msg + payload
        return bytes(msg) + payload

    # -- dissection -----------------------------------------------------------------------------
    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        Layer.parse(self, buf, off, end)  # the fixed header
        span = self._read_sections(buf, off, end, end)
        self.__dict__["_wire"] = buf[off:span[0]]
        return span

    def _read_sections(self, buf: bytes, base: int, mend: int, end: int) -> tuple[int, int]:
        """Read the four lists from the message ``buf[base:mend]``; return the payload span.

        A record that cannot be read stops everything: the bytes from there to
        ``end`` become the payload (``Raw``). Otherwise the bytes after the
        last record are trailing (``Padding``).
        """
        pos = base + 12
        stopped = False
        counts = (self.qdcount, self.ancount, self.nscount, self.arcount)
        cache: NameCache = {}
        for idx, sec in enumerate(_SECTIONS):
            items: list[Any] = []
            count = counts[idx]
            if not stopped and count:
                reader = read_question if idx == 0 else read_record
                for i in range(count):
                    if pos >= mend:
                        self._problem(LengthNote(f"{sec}count is {count} but the message "
                                                 f"holds {i} {_SECTION_WORDS[idx]}"))
                        break
                    item, pos2, problems = reader(buf, pos, base, mend, cache)
                    for p in problems:
                        self._problem(type(p)(f"{sec}[{i}]: {p}"))
                    if item is None:
                        stopped = True
                        break
                    items.append(item)
                    pos = pos2
            setattr(self, sec, items)
        return (pos, end) if stopped else (pos, pos)

    def _problem(self, text: str) -> None:
        """Note a problem, except a length one in a packet quoted by an ICMP error.

        Such quotes are cut short on purpose (often 8 bytes past the IP header).
        """
        if isinstance(text, LengthNote):
            cur = self._under
            for _ in range(8):
                if cur is None:
                    break
                if getattr(cur, "quotes_packet", False):
                    return
                cur = cur._under
        self.note(text)

    # -- matching -------------------------------------------------------------------------------
    def hashkey(self) -> bytes:
        # The ID ties a response to its query; UDP puts its ports in front of it.
        return _H.pack(self.id)

    def answers(self, other: Layer) -> bool:
        """A response (qr=1) answers a query (qr=0) with the same ID and first question."""
        if not isinstance(other, DNS) or not self.qr or other.qr or self.id != other.id:
            return False
        mine, theirs = self.qd, other.qd
        if mine and theirs:
            q, o = mine[0], theirs[0]
            if isinstance(q, DNSQR) and isinstance(o, DNSQR):
                # Names compare without case: resolvers may randomise it (DNS 0x20).
                return (q.qname.lower() == o.qname.lower() and q.qtype == o.qtype
                        and q.qclass == o.qclass)
        # Some error responses carry no question; the ID is then all there is.
        return True

    # -- presentation ---------------------------------------------------------------------------
    def mysummary(self) -> str:
        from netprobe.packet.present import field_text

        # as Scapy: "mDNS" for a message sent to port 5353 over UDP; the first answer's
        # data, else the response code when not ok (names for codes 1-5 only)
        under = self._under
        kind = "mDNS" if isinstance(under, UDP) and under.dport == 5353 else "DNS"
        if self.qr:
            first = self.an[0] if self.an else None
            if first is not None and "rdata" in type(first).fields_by_name:
                f = type(first).fields_by_name["rdata"]
                return f"{kind} Ans {field_text(first, f, first.rdata)}"
            if self.rcode:
                code = DNS_RCODES[self.rcode] if self.rcode <= 5 else str(self.rcode)
                return f"{kind} Ans {code}"
            return f"{kind} Ans"
        q = self.qd[0] if self.qd else None
        return f"{kind} Qry {q.qname!r}" if q is not None else f"{kind} Qry"

    def summary_part(self) -> str:
        if self.qr:
            first = self.an[0] if self.an else None
            if isinstance(first, DNSRR):
                return f"DNS Ans {first.rdata_json()}"
            if self.rcode:
                return f"DNS Ans {DNS_RCODES.get(self.rcode, f'rcode {self.rcode}')}"
            return "DNS Ans"
        q = self.qd[0] if self.qd else None
        if isinstance(q, DNSQR):
            return f"DNS Qry {name_text(q.qname)} {DNS_QTYPES.get(q.qtype, q.qtype)}"
        return "DNS Qry"


class DNSTCP(DNS):
    """A DNS message over TCP: ``length`` (computed when unset) then the message."""

    name = 'DNS'
    ls_leading = ()
    ls_kinds = {**DNS.ls_kinds, "length": "ShortField (Cond)"}
    fields = (ShortField("length", None), *DNS.fields)
    found_as = (DNS,)  # Scapy has one DNS class for both: pkt[DNS] finds this one
    repr_class_name = "DNS"  # ... and repr() names it so

    def build_layer(self, payload: bytes) -> bytes:
        msg = self._message()
        if self.length is None:
            _H.pack_into(msg, 0, (len(msg) - 2) & 0xFFFF)
        return bytes(self._as_read(msg)) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        Layer.parse(self, buf, off, end)  # the fixed header
        base = off + 2
        mend = base + self.length
        if mend > end:
            # The rest of the message is in later segments (or past the snap length).
            self._problem(LengthNote(f"length {self.length} exceeds the {end - base} bytes "
                                     "captured"))
            mend = end
        elif self.length < 12:
            self.note(f"length {self.length} is less than the 12-byte header")
            mend = end
        span = self._read_sections(buf, base, mend, end)
        self.__dict__["_wire"] = buf[off:span[0]]
        return span


# The last binding of a pair is what building fills: sport 53, as Scapy's (UDP's own
# default dport is 53 already), so a plain UDP()/DNS() stays on 53.
# LLMNR's port 5355 is read by llmnr.py (LLMNRQuery/LLMNRResponse, as Scapy reads it).
for _port in (5355, 5353, 53):
    bind_layers(UDP, DNS, dissect=_port != 5355, dport=_port)
    bind_layers(UDP, DNS, dissect=_port != 5355, sport=_port)
bind_layers(TCP, DNSTCP, sport=53)
bind_layers(TCP, DNSTCP, dport=53)


class Section(list):
    """A DNS section (``qd``, ``an``, ``ns``, ``ar``): a list of records that also reads
    as its first record, as in Scapy 2.8 (``pkt.qd.qname``, ``pkt.an.rdata``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or not self:
            raise AttributeError(name)
        return getattr(self[0], name)


class _SectionAttr:
    """A section field's attribute: the stored list, made a ``Section`` when read."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        v = self.slot.__get__(obj, objtype)
        if type(v) is list:
            v = Section(v)
            self.slot.__set__(obj, v)
        return v

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.slot.__delete__(obj)


for _sec in ("qd", "an", "ns", "ar"):
    setattr(DNS, _sec, _SectionAttr(DNS.__dict__[_sec]))
