"""L2TP version 2 (RFC 2661) on UDP port 1701, as Scapy declares it.

Scapy's names and layout: ``hdr`` (12 flag bits, Scapy's names: ``priority``,
``offset``, ``sequence``, ``length``, ``control`` among reserved ones),
``version`` (4 bits, 2), then ``len`` when the length flag is set,
``tunnel_id`` and ``session_id``, ``ns`` and ``nr`` when the sequence flag is
set, ``offset`` and its ``pad`` when the offset flag is set. As in Scapy a PPP
frame follows (HDLC / PPP when it starts FF 03; a data message's; a control
message's AVPs read as PPP too), and building over UDP fills both ports with 1701.
"""

from __future__ import annotations

import netprobe.packet.packet_class  # noqa: F401 - stacking fills default ports (overloads)
from netprobe.packet.field import BitField, FlagsField, ShortField
from netprobe.packet.layer import ConditionalLayer, Layer, OptionalUInt, Truncated, bind_layers
from netprobe.packet.layers.link import HDLC, PPP
from netprobe.packet.layers.udp import UDP
from netprobe.packet.present_bits import pack_present, unpack_present

__all__ = ["L2TP"]

L2TP_FLAGS = ("res00", "res01", "res02", "res03", "priority", "offset", "res06", "sequence",
              "res08", "res09", "length", "control")
_OFFSET, _SEQUENCE, _LENGTH = 0x020, 0x080, 0x400
L2TP_PORT = 1701


class L2TP(ConditionalLayer):
    """An L2TPv2 header: flags, version, the optional length, tunnel and session ids,
    the optional sequence numbers and offset."""

    overloads_lower = True

    fields = (
        FlagsField("hdr", 0, 12, L2TP_FLAGS),
        BitField("version", 2, 4),
        OptionalUInt("len", None),
        ShortField("tunnel_id", 0),
        ShortField("session_id", 0),
        OptionalUInt("ns", 0),
        OptionalUInt("nr", 0),
        OptionalUInt("offset", 0),
    )
    __slots__ = ("pad",)
    keep_slots = ("pad",)
    shown_tables = {"version": lambda: {2: "L2TPv2"}}

    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields on the wire for these flags (Scapy shows these)."""
        flags = int(self.hdr or 0)
        names = ["hdr", "version"]
        if flags & _LENGTH:
            names.append("len")
        names += ["tunnel_id", "session_id"]
        if flags & _SEQUENCE:
            names += ["ns", "nr"]
        if flags & _OFFSET:
            names.append("offset")
        return tuple(names)

    def build_layer(self, payload: bytes) -> bytes:
        fields = self.present_fields()
        pad = getattr(self, "pad", None) or b""
        size = 2 * (len(fields) - 1) + len(pad)
        out = pack_present(self, fields, {"len": lambda: size + len(payload)})
        return out + pad + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 2:
            raise Truncated(f"truncated header ({end - off} of 2 bytes)")
        self.hdr = buf[off] << 4 | buf[off + 1] >> 4
        self.len, self.ns, self.nr, self.offset, self.pad = None, 0, 0, 0, b""
        at = unpack_present(self, self.present_fields(), buf, off, end)
        if int(self.hdr) & _OFFSET:
            pad_end = min(end, at + self.offset)
            self.pad = bytes(buf[at:pad_end])
            at = pad_end
        return at, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if end <= off:
            return None
        # PPP in HDLC-like framing (FF 03 first) as Scapy reads it: HDLC / PPP
        return HDLC if buf[off] == 0xFF else PPP


bind_layers(UDP, L2TP, dport=L2TP_PORT, sport=L2TP_PORT)
UDP._dissect_table.setdefault(("dport", L2TP_PORT), L2TP)
UDP._dissect_table.setdefault(("sport", L2TP_PORT), L2TP)
