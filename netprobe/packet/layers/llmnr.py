"""LLMNR (RFC 4795) on UDP port 5355: DNS-shaped queries and responses, as Scapy names them.

``LLMNRQuery`` and ``LLMNRResponse`` are DNS messages (``dns.py`` builds and reads
them: the same counts and ``qd``/``an``/``ns``/``ar`` sections of ``DNSQR`` and
``DNSRR``) whose header flags are LLMNR's: ``c`` (conflict), ``tc``, ``t``
(tentative) and a 4-bit ``z``. A datagram to or from port 5355 reads as a query or
a response by its QR bit; building over UDP fills both ports with 5355, as Scapy does.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.field import BitField, ShortField
from netprobe.packet.layer import bind_layers
from netprobe.packet.layers.dns import DNS, check_question, check_record
from netprobe.packet.layers.dns_records import LayerListField
from netprobe.packet.layers.dns_types import DNS_OPCODES, DNS_RCODES
from netprobe.packet.layers.udp import UDP

__all__ = ["LLMNRQuery", "LLMNRResponse"]

LLMNR_PORT = 5355


class LLMNRQuery(DNS):
    """An LLMNR query: who has this name?"""

    name = "Link Local Multicast Node Resolution - Query"
    #: stacked on UDP left at its default ports, it sets them as Scapy does
    overloads_lower = True
    ls_leading = ()
    fields = (
        ShortField("id", 0),
        BitField("qr", 0, 1),
        BitField("opcode", 0, 4, names=DNS_OPCODES),
        BitField("c", 0, 1),
        BitField("tc", 0, 1),
        BitField("t", 0, 1),
        BitField("z", 0, 4),
        BitField("rcode", 0, 4, names=DNS_RCODES),
        ShortField("qdcount", None),
        ShortField("ancount", None),
        ShortField("nscount", None),
        ShortField("arcount", None),
        LayerListField("qd", [], item_check=check_question),
        LayerListField("an", [], item_check=check_record),
        LayerListField("ns", [], item_check=check_record),
        LayerListField("ar", [], item_check=check_record),
    )

    def mysummary(self) -> Any:
        q = self.qd[0] if self.qd else None
        if q is None:
            return "LLMNRQuery [malformed]", [UDP]
        return f"LLMNRQuery who has {_text(q.qname)!r}", [UDP]

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        # the QR bit says which of the two it is (they share one layout)
        if end - off > 2:
            self.__class__ = LLMNRResponse if buf[off + 2] & 0x80 else LLMNRQuery
        return DNS.parse(self, buf, off, end)

    def answers(self, other: Any) -> bool:
        """A response answers the query with its ``id``."""
        return (isinstance(other, LLMNRQuery) and not isinstance(other, LLMNRResponse)
                and isinstance(self, LLMNRResponse) and self.id == other.id)


class LLMNRResponse(LLMNRQuery):
    """An LLMNR response: the name and its address."""

    name = "Link Local Multicast Node Resolution - Response"
    fields = (LLMNRQuery.fields[0], BitField("qr", 1, 1), *LLMNRQuery.fields[2:])

    def mysummary(self) -> Any:
        first = self.an[0] if self.an else None
        if first is None or "rdata" not in type(first).fields_by_name:
            return "LLMNRResponse [malformed]", [UDP]
        return f"LLMNRResponse {_text(first.rrname)!r} is at {_text(first.rdata)!r}", [UDP]


def _text(value: Any) -> Any:
    """A name as Scapy prints it in a summary: text, not bytes."""
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value


for _cls in (LLMNRQuery, LLMNRResponse):
    bind_layers(UDP, _cls, dissect=False, sport=LLMNR_PORT, dport=LLMNR_PORT)
# LLMNR, not plain DNS, on its port (dns.py bound DNS there first); QR picks the class
UDP._dissect_table[("dport", LLMNR_PORT)] = LLMNRQuery
UDP._dissect_table[("sport", LLMNR_PORT)] = LLMNRQuery
