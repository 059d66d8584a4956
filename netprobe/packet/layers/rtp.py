"""RTP (RFC 3550) headers and the header extension, as Scapy declares them.

``RTP`` has Scapy's fields: ``version`` (2), ``padding``, ``extension``, ``numsync``
(the CSRC count, filled from ``sync``), ``marker``, ``payload_type`` (named as in
RFC 3551), ``sequence``, ``timestamp``, ``sourcesync`` and the ``sync`` list of
CSRC identifiers. With ``extension`` set, an ``RTPExtension`` (profile id, length
in 32-bit words, the words) follows. As in Scapy, no UDP port is bound to RTP (its
ports are negotiated): read a datagram's payload with ``RTP(bytes)`` or
``pkt[UDP].decode_payload_as(RTP)``.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import (
    BitEnumField,
    BitField,
    BitFieldLenField,
    FieldLenField,
    FieldListField,
    IntField,
    ShortField,
)

__all__ = ["RTP", "RTPExtension"]

#: static payload types (RFC 3551), under Scapy's names
PAYLOAD_TYPES = {0: "G.711 PCMU", 3: "GSM", 4: "G723", 5: "DVI4", 6: "DVI4", 7: "LPC",
                 8: "PCMA", 9: "G722", 10: "L16", 11: "L16", 12: "QCELP", 13: "CN",
                 14: "MPA", 15: "G728", 16: "DVI4", 17: "DVI4", 18: "G729", 25: "CelB",
                 26: "JPEG", 28: "nv", 31: "H261", 32: "MPV", 33: "MP2T", 34: "H263"}


class RTPExtension(Packet):
    """An RTP header extension: profile-defined id, then ``header_len`` 32-bit words."""

    name = "RTP extension"
    fields_desc = [
        ShortField("header_id", 0),
        FieldLenField("header_len", None, count_of="header", fmt="H"),
        FieldListField("header", [], IntField("hdr", 0),
                       count_from=lambda pkt: pkt.header_len or 0),
    ]


class RTP(Packet):
    """An RTP fixed header and its CSRC list."""

    fields_desc = [
        BitField("version", 2, 2),
        BitField("padding", 0, 1),
        BitField("extension", 0, 1),
        BitFieldLenField("numsync", None, 4, count_of="sync"),
        BitField("marker", 0, 1),
        BitEnumField("payload_type", 0, 7, PAYLOAD_TYPES),
        ShortField("sequence", 0),
        IntField("timestamp", 0),
        IntField("sourcesync", 0),
        FieldListField("sync", [], IntField("id", 0),
                       count_from=lambda pkt: pkt.numsync or 0),
    ]

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        if self.extension:
            return RTPExtension
        from netprobe.packet.layers.raw import Raw

        return Raw

    def hashret(self) -> Any:
        return (self.sourcesync or 0).to_bytes(4, "big")


bind_layers(RTP, RTPExtension, dissect=False, extension=1)
