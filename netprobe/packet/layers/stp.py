"""The Spanning Tree Protocol's BPDU (IEEE 802.1D) over LLC SAP 0x42, as Scapy declares it.

``STP`` has Scapy's fields and defaults: protocol id, version, BPDU type and
flags, the root and bridge identifiers (a priority and a MAC each), the path
cost, the port id, and four timers in 1/256 seconds that read as seconds
(``age``, ``maxage``, ``hellotime``, ``fwddelay``: 1, 20, 2 and 15 by default;
read from bytes they are floats, ``1.0``, as in Scapy). ``LLC() / STP()`` fills
the LLC SAPs with 0x42 and the control byte with 3; dissection finds STP under
an LLC header with both SAPs 0x42.
"""

from __future__ import annotations

from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.layer import bind_layers
from netprobe.packet.layers.link import LLC
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import ByteField, IntField, MACField, ShortField

__all__ = ["STP"]

STP_SAP = 0x42


class BCDFloatField(ShortField):
    """Seconds carried in 1/256 s units in 16 bits (Scapy's ``BCDFloatField``)."""

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default)
        self.maxval = 255  # whole seconds that fit; fractions below 256 are accepted too

    def pack_expr(self, v: str) -> str:
        return f"(int({v} * 256) & 0xFFFF)"

    def unpack_expr(self, w: str) -> str:
        return f"({w} / 256)"

    def check_expr(self, v: str) -> str:
        return f"_chk_{self.name}({v})"

    def check_one(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{self.name}: expected seconds (a number), got {value!r}")
        if not 0 <= value < 256:
            raise UsageError(f"{self.name}: {value} is out of range 0..255.996 seconds")
        return value

    def put(self, pkt: Any, value: Any) -> bytes:
        return (int((value or 0) * 256) & 0xFFFF).to_bytes(2, "big")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        value, stop = super().take(pkt, buf, off, end)
        return value / 256, stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        return str(value)


class STP(Packet):
    """A configuration or topology-change BPDU (802.1D)."""

    name = "Spanning Tree Protocol"
    fields_desc = [
        ShortField("proto", 0),
        ByteField("version", 0),
        ByteField("bpdutype", 0),
        ByteField("bpduflags", 0),
        ShortField("rootid", 0),
        MACField("rootmac", "00:00:00:00:00:00"),
        IntField("pathcost", 0),
        ShortField("bridgeid", 0),
        MACField("bridgemac", "00:00:00:00:00:00"),
        ShortField("portid", 0),
        BCDFloatField("age", 1),
        BCDFloatField("maxage", 20),
        BCDFloatField("hellotime", 2),
        BCDFloatField("fwddelay", 15),
    ]


bind_layers(LLC, STP, dissect=False, dsap=STP_SAP, ssap=STP_SAP, ctrl=3)
# LLC chooses what follows by its SAP pair alone (see link.py)
LLC._dissect_table[("saps", (STP_SAP, STP_SAP))] = STP
