"""GRE (RFC 2784, 2890): checksum, key and sequence number, each present when its bit is.

Scapy's names and layout: the flag bits ``chksum_present``, ``routing_present``,
``key_present``, ``seqnum_present``, ``strict_route_source``, then
``recursion_control``, ``flags``, ``version`` and ``proto`` (the ethertype of
what rides: IPv4, IPv6, Ethernet as 0x6558, MPLS). ``chksum`` and ``offset``
are on the wire when ``chksum_present`` (or ``routing_present``) is set,
``key`` when ``key_present``, ``sequence_number`` when ``seqnum_present``. An
unset checksum is computed over the GRE header and its payload; an unset
``proto`` comes from the layer above.

Version 1 (PPTP's enhanced GRE, RFC 2637) is Scapy's ``GRE_PPTP``: the key
bit set, ``acknum_present`` and 4 bits of ``flags``, ``version`` 1, ``proto``
0x880B (PPP), then ``payload_len`` (unset: the length of what follows) and
``call_id`` where the key is, ``sequence_number`` when ``seqnum_present`` and
``ack_number`` when ``acknum_present``; a PPP frame follows (``HDLC`` /
``PPP`` when it starts FF 03, as Scapy reads it). As in Scapy, a
GRE header with version 1 and protocol 0x880B is read as ``GRE_PPTP`` (the
header read as GRE becomes one in place); another version 1 header stays GRE
with the rest ``Raw``.
"""

from __future__ import annotations

from struct import Struct

from netprobe.packet.checksum import checksum
from netprobe.packet.field import BitField, ShortField
from netprobe.packet.layer import ConditionalLayer, Layer, OptionalUInt, Truncated, bind_layers
from netprobe.packet.layers.ether import ETHER_TYPES, Ether
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.link import HDLC, PPP
from netprobe.packet.layers.mpls import MPLS
from netprobe.packet.optional_layers import register
from netprobe.packet.present_bits import pack_present, unpack_present

__all__ = ["GRE", "GRE_PPTP"]

ETHER_TYPES.setdefault(0x6558, "TEB")
ETHER_TYPES.setdefault(0x880B, "PPP")
#: the protocol of PPTP's enhanced GRE (PPP)
PPTP_PROTO = 0x880B
_H = Struct("!H")


class GRE(ConditionalLayer):
    """A GRE header with its optional checksum, key and sequence number."""

    fields = (
        BitField("chksum_present", 0, 1),
        BitField("routing_present", 0, 1),
        BitField("key_present", 0, 1),
        BitField("seqnum_present", 0, 1),
        BitField("strict_route_source", 0, 1),
        BitField("recursion_control", 0, 3),
        BitField("flags", 0, 5),
        BitField("version", 0, 3),
        ShortField("proto", None, names=ETHER_TYPES),
        OptionalUInt("chksum", None, "H"),
        OptionalUInt("offset", None, "H"),
        OptionalUInt("key", None, "I"),
        OptionalUInt("sequence_number", None, "I"),
    )
    payload_fields = ("proto",)
    payload_defaults = {"proto": 0}
    dissect_keys = ("proto",)
    hex_fields = frozenset(("proto", "chksum", "offset", "key", "sequence_number"))
    ls_kinds = {"proto": "XShortEnumField", "chksum": "XShortField (Cond)",
                "offset": "XShortField (Cond)", "key": "XIntField (Cond)",
                "sequence_number": "XIntField (Cond)"}
    ls_defaults = {"proto": 0}
    # GRE_PPTP's own fields: a header read as GRE that says PPTP becomes one in place
    __slots__ = ("ack_number", "acknum_present", "call_id", "payload_len")

    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields on the wire for these flag bits (Scapy shows these)."""
        names = list(self.field_names[:9])
        if self.chksum_present or self.routing_present:
            names += ["chksum", "offset"]
        if self.key_present:
            names.append("key")
        if self.seqnum_present:
            names.append("sequence_number")
        return tuple(names)

    def build_layer(self, payload: bytes) -> bytes:
        hdr = bytearray(self._pack_fixed() + pack_present(self, self.present_fields()[9:]))
        if self.chksum_present and self.chksum is None:
            _H.pack_into(hdr, 4, checksum(bytes(hdr) + payload))
        return bytes(hdr) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated header ({end - off} of 4 bytes)")
        if type(self) is GRE and buf[off + 1] & 7 == 1 \
                and _H.unpack_from(buf, off + 2)[0] == PPTP_PROTO:
            self.__class__ = GRE_PPTP
            return GRE_PPTP.parse(self, buf, off, end)
        self._unpack_fixed(buf, off)
        self.chksum = self.offset = self.key = self.sequence_number = None
        return unpack_present(self, self.present_fields()[9:], buf, off + 4, end, off), end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.version != 0 or self.routing_present:
            return None  # PPTP's layout or source routes: the rest stays Raw
        return self._dissect_table.get(("proto", self.proto))


class GRE_PPTP(GRE):  # noqa: N801 - Scapy's name
    """PPTP's enhanced GRE header (version 1): payload length, call id, the optional
    sequence and acknowledgment numbers; PPP follows."""

    name = "GRE PPTP"
    fields = (
        BitField("chksum_present", 0, 1),
        BitField("routing_present", 0, 1),
        BitField("key_present", 1, 1),
        BitField("seqnum_present", 0, 1),
        BitField("strict_route_source", 0, 1),
        BitField("recursion_control", 0, 3),
        BitField("acknum_present", 0, 1),
        BitField("flags", 0, 4),
        BitField("version", 1, 3),
        ShortField("proto", PPTP_PROTO, names=ETHER_TYPES),
        ShortField("payload_len", None),
        ShortField("call_id", None),
        OptionalUInt("sequence_number", None, "I"),
        OptionalUInt("ack_number", None, "I"),
    )
    payload_defaults = {"proto": PPTP_PROTO}
    dissect_keys = ("proto",)
    hex_fields = frozenset(("proto", "sequence_number", "ack_number"))
    ls_kinds = {"proto": "XShortEnumField", "sequence_number": "XIntField (Cond)",
                "ack_number": "XIntField (Cond)"}
    ls_defaults = {"proto": PPTP_PROTO}

    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields on the wire for these flag bits (Scapy shows these)."""
        names = list(self.field_names[:12])
        if self.seqnum_present:
            names.append("sequence_number")
        if self.acknum_present:
            names.append("ack_number")
        return tuple(names)

    def build_layer(self, payload: bytes) -> bytes:
        length = len(payload) if self.payload_len is None else self.payload_len
        call_id = self.call_id or 0
        saved = self.payload_len, self.call_id
        self.payload_len, self.call_id = length & 0xFFFF, call_id
        try:
            hdr = bytearray(self._pack_fixed())
        finally:
            self.payload_len, self.call_id = saved
        return bytes(hdr) + pack_present(self, self.present_fields()[12:]) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        Layer.parse(self, buf, off, end)  # the fixed header
        self.sequence_number = self.ack_number = None
        return unpack_present(self, self.present_fields()[12:], buf, off + 8, end, off), end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.proto == PPTP_PROTO and off < end and buf[off] == 0xFF:
            return HDLC  # PPP in HDLC-like framing (FF 03 first), read as Scapy reads it
        return self._dissect_table.get(("proto", self.proto))


bind_layers(IP, GRE, proto=47)
bind_layers(IPv6, GRE, nh=47)
bind_layers(GRE, IP, proto=0x0800)
bind_layers(GRE, IPv6, proto=0x86DD)
bind_layers(GRE, Ether, proto=0x6558)
bind_layers(GRE, MPLS, dissect=False, proto=0x8847)
register("mpls", [(GRE, ("proto", 0x8847), MPLS)])  # dissected once MPLS is loaded
bind_layers(IP, GRE_PPTP, dissect=False, proto=47)
bind_layers(IPv6, GRE_PPTP, dissect=False, nh=47)
bind_layers(GRE_PPTP, PPP, proto=PPTP_PROTO)
