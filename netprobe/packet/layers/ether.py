"""Ethernet II / IEEE 802.3 framing."""

from __future__ import annotations

from typing import Any

from netprobe.packet.field import MACField, ShortField
from netprobe.packet.layer import Layer, LengthNote, Truncated
from netprobe.packet.route import destination_mac, source_mac
from netprobe.packet.shape import MAX_8023_LENGTH
from netprobe.packet.sysnames import ether_type_names

#: payloads whose destination chooses the interface (and so the unset source MAC)
_ROUTED = frozenset(("IP", "IPv6", "ARP"))

ETHER_TYPES = {0x0800: "IPv4", 0x0806: "ARP", 0x86DD: "IPv6", 0x8100: "802.1Q",
               0x88A8: "802.1ad", 0x9100: "QinQ", 0x8035: "RARP", 0x9000: "LOOP",
               0x8847: "MPLS", 0x8863: "PPPoE-D", 0x8864: "PPPoE-S"}


def link_answers(layer: Layer, other: Layer, same_kind: bool) -> bool:
    """Answers for link headers: compare what they carry (the same header above both when
    ``same_kind``).

    ``other`` (the probe) may have the same header, or be what went inside it.
    """
    p = layer._payload
    if same_kind:
        return p is None or other._payload is None or p.answers(other._payload)
    return p is not None and p.answers(other)


class Ether(Layer):
    """An Ethernet II frame header; a type of 1500 or less is an 802.3 length."""

    name = 'Ethernet'
    ls_kinds = {"dst": "DestMACField", "src": "SourceMACField"}
    ls_defaults = {"type": 0x9000}
    fields = (
        MACField("dst", None, fallback="ff:ff:ff:ff:ff:ff"),
        MACField("src", None),
        ShortField("type", None, names=ETHER_TYPES),
    )
    hex_fields = frozenset(("type",))
    shown_tables = {"type": ether_type_names}
    payload_fields = ("type",)
    payload_defaults = {"type": 0x9000}
    computed_fields = ("src",)
    dissect_keys = ("type",)
    __slots__ = ("_type",)

    def shown_default(self, name: str) -> Any:
        if name == "src":  # the interface the network destination above is routed by
            p = self._payload
            while p is not None and type(p).__name__ not in _ROUTED:
                p = p._payload  # past VLAN tags and the like
            if p is None:
                return source_mac(None)
            dst = p.pdst if type(p).__name__ == "ARP" else p.dst
            if isinstance(dst, list) and dst:  # a set of destinations: the first one's
                dst = dst[0]
            return source_mac(dst)
        return None

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        if self._f_src is None and self._payload is not None:
            mac = self.src
            if mac != "00:00:00:00:00:00":
                hdr = hdr[:6] + bytes.fromhex(mac.replace(":", "")) + hdr[12:]
        if self.dst is None and self._payload is not None:
            mac = self._destination_mac()
            if mac is not None:
                hdr = bytes.fromhex(mac.replace(":", "")) + hdr[6:]
        return hdr + payload

    def _destination_mac(self) -> str | None:
        """What an unset destination is built with, as Scapy fills it: the MAC of the IP
        destination's multicast group or next hop (None: broadcast; ARP stays broadcast)."""
        p = self._payload
        while p is not None and type(p).__name__ not in _ROUTED:
            p = p._payload  # past VLAN tags and the like
        if p is None or type(p).__name__ == "ARP":
            return None
        dst = p.dst
        if isinstance(dst, list) and dst:
            dst = dst[0]
        return destination_mac(dst)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 14:
            raise Truncated(f"truncated header ({end - off} of 14 bytes)")
        self._type = t = buf[off + 12] << 8 | buf[off + 13]
        self._unpack_fixed(buf, off)
        poff, pend = off + 14, end
        if t <= MAX_8023_LENGTH:
            # 802.3: the field is the length of the LLC payload; the rest is padding.
            if poff + t > end:
                self.note(LengthNote(f"802.3 length {t} exceeds the {end - poff} bytes "
                                     "captured"))
            else:
                pend = poff + t
        return poff, pend

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self._type <= MAX_8023_LENGTH:
            return self._dissect_table.get(("type", "llc"))
        return self._dissect_table.get(("type", self._type))

    def summary_part(self) -> str:
        return f"Ether {self.src} > {self.dst}"

    def mysummary(self) -> str:
        from netprobe.packet.present import value_text

        t = self.type
        if isinstance(t, int) and t <= MAX_8023_LENGTH and self.is_dissected():
            # an 802.3 length: Scapy reads such a frame as Dot3 and says so
            return f"802.3 {self.src} > {self.dst}"
        return f"{self.src} > {self.dst} ({value_text(self, 'type')})"

    def answers(self, other: Layer) -> bool:
        return isinstance(other, Ether) and link_answers(self, other, True)
