"""PPP over Ethernet (RFC 2516): the discovery and the session headers.

``PPPoED`` (EtherType 0x8863) carries the discovery stage (PADI, PADO, PADR,
PADS, PADT), its tags left as ``Raw``; ``PPPoE`` (EtherType 0x8864) carries a
session's PPP frames, so ``Ether / PPPoE / PPP / IP`` dissects as Scapy and
tshark show it. Both have Scapy's names and defaults: ``version`` and ``type``
1, ``code`` (PADI 0x09 for discovery, Session 0 for sessions), ``sessionid``,
``len`` (the payload's length, filled when left unset). Bytes after ``len``
are the Ethernet frame's padding.
"""

from __future__ import annotations

from netprobe.packet.dissect import LINKTYPES
from netprobe.packet.field import BitField, ByteField, ShortField
from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.ether import Ether
from netprobe.packet.layers.link import PPP, Dot1Q

__all__ = ["PPPoE", "PPPoED"]

#: PPPoE codes (RFC 2516), as Scapy names them
PPPOE_CODES = {0x00: "Session", 0x07: "PPPoE Active Discovery Offer (PADO)",
               0x09: "PPPoE Active Discovery Initiation (PADI)",
               0x19: "PPPoE Active Discovery Request (PADR)",
               0x65: "PPPoE Active Discovery Session-confirmation (PADS)",
               0xA7: "PPPoE Active Discovery Terminate (PADT)"}
#: the discovery header names code 0 otherwise (Scapy's two tables)
_DISCOVERY_CODES = {**PPPOE_CODES, 0x00: "PPP Session Stage"}
_SHORT_CODES = {0x00: "Session", 0x07: "PADO", 0x09: "PADI", 0x19: "PADR", 0x65: "PADS",
                0xA7: "PADT"}


class PPPoED(Layer):
    """The PPPoE discovery header; its tags follow as ``Raw``."""

    name = "PPP over Ethernet Discovery"
    fields = (
        BitField("version", 1, 4),
        BitField("type", 1, 4),
        ByteField("code", 0x09, names=_DISCOVERY_CODES),
        ShortField("sessionid", 0),
        ShortField("len", None),
    )
    hex_fields = frozenset(("sessionid",))

    def mysummary(self) -> str:
        """The code's name (``PPPoE Active Discovery Initiation (PADI)``), as Scapy's."""
        return _DISCOVERY_CODES.get(self.code, str(self.code))

    def build_layer(self, payload: bytes) -> bytes:
        length = len(payload) if self.len is None else self.len
        head = bytes((((self.version & 0xF) << 4) | (self.type & 0xF), self.code & 0xFF))
        return (head + (self.sessionid & 0xFFFF).to_bytes(2, "big")
                + (length & 0xFFFF).to_bytes(2, "big") + payload)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        start, end = super().parse(buf, off, end)
        if self.len is not None and start + self.len <= end:
            return start, start + self.len  # the rest is the frame's padding
        if self.len is not None:
            self.note(f"len {self.len} is beyond the frame ({end - start} bytes left)")
        return start, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return None

    def summary_part(self) -> str:
        return f"{type(self).__name__} {_SHORT_CODES.get(self.code, hex(self.code))}"


class PPPoE(PPPoED):
    """The PPPoE session header: a PPP frame follows."""

    name = "PPP over Ethernet"
    fields = (
        BitField("version", 1, 4),
        BitField("type", 1, 4),
        ByteField("code", 0x00, names=PPPOE_CODES),
        ShortField("sessionid", 0),
        ShortField("len", None),
    )
    mysummary = Layer.mysummary  # nothing: the class name is shown, as Scapy's

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return PPP if self.code == 0 else None

    def summary_part(self) -> str:
        return f"PPPoE session {self.sessionid:#x}"


for _lower in (Ether, Dot1Q):
    bind_layers(_lower, PPPoED, type=0x8863)
    bind_layers(_lower, PPPoE, type=0x8864)
bind_layers(PPPoE, PPP)
LINKTYPES[51] = PPPoE  # DLT_PPP_ETHER: the PPPoE session header first, as Scapy reads it
