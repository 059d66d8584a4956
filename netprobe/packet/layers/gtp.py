"""GTP (3GPP TS 29.060, 29.281): GTP-U on UDP port 2152 and GTP-C version 1 on 2123,
as Scapy's ``scapy.contrib.gtp`` names and shows them.

``GTP_U_Header`` and ``GTPHeader`` share one layout: ``version`` (3 bits, 1),
``PT``, ``reserved``, the flags ``E``, ``S`` and ``PN``, ``gtp_type`` (255 is
``g_pdu``: a user packet follows), ``length`` (of what follows the first 8
bytes; unset, computed) and ``teid``; then ``seq``, ``npdu`` and ``next_ex``
when any of the three flags is set. Building fills ``gtp_type`` with 255 over
IPv4/IPv6 and the UDP ports with 2152 (2123), as Scapy does.

Dissecting a G-PDU chooses IPv4 or IPv6 from the first nibble of the payload
(anything else is PPP, as in Scapy and tshark). Extension headers named by
``next_ex`` are read as Scapy's ``GTP_UDPPort_ExtensionHeader`` (64),
``GTPPDUSessionContainer`` (133) and ``GTP_PDCP_PDU_ExtensionHeader`` (192);
another type is left ``Raw``. After the last extension header the user packet
of a G-PDU is dissected too (Scapy does so only after the PDU session
container, leaving it ``Raw`` after the others; tshark dissects it).
Loaded by ``load_contrib("gtp")`` in a script, as in Scapy; the command line
always dissects it.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.field import RawBytesField
from netprobe.packet.layer import ConditionalLayer, Layer, OptionalUInt, Truncated, bind_layers
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.link import PPP
from netprobe.packet.layers.udp import UDP
from netprobe.packet.optional_layers import register
from netprobe.packet.packet_class import Packet
from netprobe.packet.present_bits import pack_present, unpack_present
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    ConditionalField,
    IntField,
    ShortField,
    XBitField,
)

__all__ = ["GTPHeader", "GTPPDUSessionContainer", "GTP_PDCP_PDU_ExtensionHeader",
           "GTP_UDPPort_ExtensionHeader", "GTP_U_Header"]

GTP_U_PORT = 2152
GTP_C_PORT = 2123
G_PDU = 255
#: GTP message types (Scapy's names)
GTP_MESSAGE_TYPES = {
    1: "echo_request", 2: "echo_response", 16: "create_pdp_context_req",
    17: "create_pdp_context_res", 18: "update_pdp_context_req",
    19: "update_pdp_context_resp", 20: "delete_pdp_context_req",
    21: "delete_pdp_context_res", 26: "error_indication", 27: "pdu_notification_req",
    31: "supported_extension_headers_notification", 254: "end_marker", 255: "g_pdu",
}
#: next extension header types (Scapy's names)
EXTENSION_HEADER_TYPES = {
    0: "No more extension headers", 1: "Reserved", 2: "Reserved", 64: "UDP Port",
    133: "PDU Session Container", 192: "PDCP PDU Number", 193: "Reserved", 194: "Reserved",
}
PDU_SESSION_TYPES = {0: "DL PDU SESSION INFORMATION", 1: "UL PDU SESSION INFORMATION"}


def _optional(pkt: Any) -> bool:
    """Whether seq, npdu and next_ex are on the wire (any of E, S, PN set)."""
    return bool(pkt.E or pkt.S or pkt.PN)


def _user_packet(buf: bytes, off: int, end: int) -> type[Layer] | None:
    """The class of a G-PDU's user packet, from its first nibble."""
    if end <= off:
        return None
    nibble = buf[off] >> 4
    return IP if nibble == 4 else IPv6 if nibble == 6 else PPP


def _g_pdu_below(layer: Layer) -> bool:
    """Whether the GTP header under ``layer``'s chain of extension headers is a G-PDU."""
    cur = layer._under
    while cur is not None and not isinstance(cur, GTPHeader):
        cur = cur._under
    return cur is not None and cur.gtp_type == G_PDU


def _header_fields() -> list[Any]:
    """The fields of a GTP version 1 header (each class gets its own field objects)."""
    return [
        BitField("version", 1, 3),
        BitField("PT", 1, 1),
        BitField("reserved", 0, 1),
        BitField("E", 0, 1),
        BitField("S", 0, 1),
        BitField("PN", 0, 1),
        ByteEnumField("gtp_type", None, GTP_MESSAGE_TYPES),
        ShortField("length", None),
        IntField("teid", 0),
        ConditionalField(XBitField("seq", 0, 16), _optional),
        ConditionalField(ByteField("npdu", 0), _optional),
        ConditionalField(ByteEnumField("next_ex", 0, EXTENSION_HEADER_TYPES), _optional),
    ]


class GTPHeader(Packet):
    """A GTP version 1 header (GTP-C on UDP 2123); ``GTP_U_Header`` has the same layout."""

    name = "GTP-C Header"
    overloads_lower = True
    fields_desc = _header_fields()
    ls_kinds = {"seq": "XBitField (Cond) (16 bits)"}

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.gtp_type is None and isinstance(self._payload, (IP, IPv6)) \
                and type(self) is GTP_U_Header:  # a G-PDU, as Scapy's binding fills it
            pkt = pkt[:1] + bytes((G_PDU,)) + pkt[2:]
        if self.length is None:  # what follows the first 8 bytes (Scapy adds 4 for version 2)
            size = (len(pkt) + len(pay) - 8 + (4 if self.version == 2 else 0)) & 0xFFFF
            pkt = pkt[:2] + size.to_bytes(2, "big") + pkt[4:]
        return pkt + pay

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.E and self.next_ex:
            return _EXTENSIONS.get(self.next_ex)
        return None


class GTP_U_Header(GTPHeader):  # noqa: N801 - Scapy's name
    """A GTP-U header (UDP 2152): a G-PDU carries a user packet."""

    name = "GTP-U Header"
    fields_desc = _header_fields()

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.E and self.next_ex:
            return _EXTENSIONS.get(self.next_ex)
        return _user_packet(buf, off, end) if self.gtp_type == G_PDU else None


class _Extension:
    """What GTP extension headers share: the next one, or the user packet, follows."""

    __slots__ = ()

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        nxt = self._next_type()
        if nxt:
            return _EXTENSIONS.get(nxt)
        return _user_packet(buf, off, end) if _g_pdu_below(self) else None

    def _next_type(self) -> int:
        return getattr(self, "next_ex", 0) or 0


def _one_word_extension(cls_name: str, field: str, doc: str) -> Any:
    """An extension header of one 4-byte unit: its length (1), a 16-bit ``field``, the
    next extension's type."""
    fields = [ByteField("length", 1), ShortField(field, None),
              ByteEnumField("next_ex", 0, EXTENSION_HEADER_TYPES)]
    return type(cls_name, (_Extension, Packet), {
        "name": cls_name, "overloads_lower": True, "fields_desc": fields, "__doc__": doc,
        "__module__": __name__, "__qualname__": cls_name})


GTP_UDPPort_ExtensionHeader = _one_word_extension(
    "GTP_UDPPort_ExtensionHeader", "udp_port", "The UDP port extension header (type 64).")
GTP_PDCP_PDU_ExtensionHeader = _one_word_extension(
    "GTP_PDCP_PDU_ExtensionHeader", "pdcp_pdu",
    "The PDCP PDU number extension header (type 192).")


def _always(p: Any) -> bool:
    return True


def _dl(p: Any) -> bool:
    return p.type == 0


def _ul(p: Any) -> bool:
    return p.type == 1


#: the container's fields after ``ExtHdrLen``: (name, bits, when on the wire, hex), in order
_CONTAINER: tuple[tuple[str, int, Any, bool], ...] = (
    ("type", 4, _always, False), ("QMP", 1, _always, False),
    ("dlDelayInd", 1, _ul, False), ("ulDelayInd", 1, _ul, False),
    ("SNP", 1, _always, False), ("N3N9DelayInd", 1, _ul, False),
    ("spareUl1", 1, _ul, True), ("spareDl1", 2, _dl, True),
    ("PPP", 1, _dl, False), ("RQI", 1, _dl, False), ("QFI", 6, _always, False),
    ("PPI", 3, lambda p: _dl(p) and p.PPP == 1, True),
    ("spareDl2", 5, lambda p: _dl(p) and p.PPP == 1, True),
    ("dlSendTime", 64, lambda p: _dl(p) and p.QMP == 1, True),
    ("dlQFISeqNum", 24, lambda p: _dl(p) and p.SNP == 1, True),
    ("dlSendTimeRpt", 64, lambda p: _ul(p) and p.QMP == 1, True),
    ("dlRecvTime", 64, lambda p: _ul(p) and p.QMP == 1, True),
    ("ulSendTime", 64, lambda p: _ul(p) and p.QMP == 1, True),
    ("dlDelayRslt", 32, lambda p: _ul(p) and p.dlDelayInd == 1, True),
    ("ulDelayRslt", 32, lambda p: _ul(p) and p.ulDelayInd == 1, True),
    ("UlQFISeqNum", 24, lambda p: _ul(p) and p.SNP == 1, True),
    ("N3N9DelayRslt", 32, lambda p: _ul(p) and p.N3N9DelayInd == 1, True),
    ("NextExtHdr", 8, _always, False),
)
_KINDS = {"type": "BitEnumField", "dlQFISeqNum": "X3BytesField (Cond)",
          "NextExtHdr": "ByteEnumField"}


class GTPPDUSessionContainer(_Extension, ConditionalLayer):
    """The PDU session container extension header (type 133, 5G): ``ExtHdrLen`` words;
    which fields are on the wire depends on ``type`` (downlink 0, uplink 1) and the flags."""

    name = "GTP PDU Session Container"
    overloads_lower = True
    fields = (
        OptionalUInt("ExtHdrLen", None, "Q", bits=8),
        *(OptionalUInt(n, 0, "Q", bits=bits, names=PDU_SESSION_TYPES if n == "type" else
                 EXTENSION_HEADER_TYPES if n == "NextExtHdr" else None)
          for n, bits, _, _ in _CONTAINER),
        RawBytesField("padding", b""),
    )
    hex_fields = frozenset(n for n, _, _, x in _CONTAINER if x)
    ls_kinds = {"ExtHdrLen": "ByteField", "padding": "StrLenField (Cond)",
                **{n: (_KINDS.get(n) or
                       f"{'X' if x else ''}BitField{' (Cond)' if cond is not _always else ' '}"
                       f" ({bits} bit{'s' if bits > 1 else ''})")
                   for n, bits, cond, x in _CONTAINER}}

    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields on the wire for this type and these flags."""
        return ("ExtHdrLen", *(n for n, _, cond, _ in _CONTAINER if cond(self)), "padding")

    def build_layer(self, payload: bytes) -> bytes:
        body = pack_present(self, self.present_fields()[1:-1]) + (self.padding or b"")
        words = self.ExtHdrLen
        if words is None:
            words = (len(body) + 1 + 3) // 4
            body += bytes(words * 4 - 1 - len(body))
        return bytes((words & 0xFF,)) + body + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated header ({end - off} of 4 bytes)")
        self.ExtHdrLen = buf[off]
        self.type = buf[off + 1] >> 4
        for n, _, _, _ in _CONTAINER[1:]:
            setattr(self, n, 0)
        # the flags the other fields' presence depends on, before reading them all
        self.QMP = (buf[off + 1] >> 3) & 1
        if _dl(self):
            self.PPP = buf[off + 2] >> 7
        elif _ul(self):
            self.dlDelayInd, self.ulDelayInd = (buf[off + 1] >> 2) & 1, (buf[off + 1] >> 1) & 1
            self.N3N9DelayInd = buf[off + 2] >> 7
        self.SNP = (buf[off + 1] >> (2 if _dl(self) else 0)) & 1
        at = unpack_present(self, self.present_fields()[:-1], buf, off, end)
        stop = max(at, min(end, off + self.ExtHdrLen * 4))
        self.padding = bytes(buf[at:stop])
        return stop, end

    def _next_type(self) -> int:
        return self.NextExtHdr or 0


_EXTENSIONS: dict[int, type[Layer]] = {
    64: GTP_UDPPort_ExtensionHeader, 133: GTPPDUSessionContainer,
    192: GTP_PDCP_PDU_ExtensionHeader,
}

# building: the ports and gtp_type Scapy fills; dissecting: once loaded (load_contrib("gtp"))
bind_layers(UDP, GTP_U_Header, dissect=False, sport=GTP_U_PORT, dport=GTP_U_PORT)
bind_layers(UDP, GTPHeader, dissect=False, sport=GTP_C_PORT, dport=GTP_C_PORT)
bind_layers(GTP_U_Header, IP, dissect=False, gtp_type=G_PDU)
bind_layers(GTP_U_Header, IPv6, dissect=False, gtp_type=G_PDU)
bind_layers(GTP_U_Header, GTPPDUSessionContainer, dissect=False, gtp_type=G_PDU, E=1,
            next_ex=133)
bind_layers(GTP_U_Header, GTP_UDPPort_ExtensionHeader, dissect=False, E=1, next_ex=64)
bind_layers(GTP_U_Header, GTP_PDCP_PDU_ExtensionHeader, dissect=False, E=1, next_ex=192)
register("gtp", [(UDP, (key, port), cls)
                 for port, cls in ((GTP_U_PORT, GTP_U_Header), (GTP_C_PORT, GTPHeader))
                 for key in ("dport", "sport")])
