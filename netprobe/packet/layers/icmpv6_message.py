"""What every ICMPv6 message (RFC 4443) shares: the checksum over the IPv6 pseudo-header.

As in Scapy, each ICMPv6 type is its own class (``ICMPv6EchoRequest``,
``ICMPv6ND_NS`` ...); the IPv6 next-header chooser picks the class from the
type byte. Types without a class of their own are ``ICMPv6Unknown``.
"""

from __future__ import annotations

from struct import Struct

from netprobe.packet.checksum import checksum
from netprobe.packet.field import ByteField, RawBytesField, ShortField, UIntField
from netprobe.packet.layer import Layer

ICMPV6_TYPES = {1: "Destination unreachable", 2: "Packet too big", 3: "Time exceeded",
                4: "Parameter problem", 100: "Private Experimentation",
                101: "Private Experimentation", 128: "Echo Request", 129: "Echo Reply",
                130: "MLD Query", 131: "MLD Report", 132: "MLD Done",
                133: "Router Solicitation", 134: "Router Advertisement",
                135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
                137: "Redirect Message", 138: "Router Renumbering",
                139: "ICMP Node Information Query", 140: "ICMP Node Information Response",
                141: "Inverse Neighbor Discovery Solicitation Message",
                142: "Inverse Neighbor Discovery Advertisement Message",
                143: "MLD Report Version 2",
                144: "Home Agent Address Discovery Request Message",
                145: "Home Agent Address Discovery Reply Message",
                146: "Mobile Prefix Solicitation", 147: "Mobile Prefix Advertisement",
                148: "Certification Path Solicitation",
                149: "Certification Path Advertisement",
                151: "Multicast Router Advertisement", 152: "Multicast Router Solicitation",
                153: "Multicast Router Termination", 155: "RPL Control Message",
                200: "Private Experimentation", 201: "Private Experimentation"}

_H = Struct("!H")


def icmpv6_head(kind: int, codes: dict[int, str] | None = None) -> tuple[UIntField, ...]:
    """The fields every ICMPv6 message starts with: its type, code and checksum."""
    return (ByteField("type", kind, names=ICMPV6_TYPES), ByteField("code", 0, names=codes),
            ShortField("cksum", None))


class ICMPv6Message(Layer):
    """Base of the ICMPv6 classes. ``cksum`` fills itself from the pseudo-header below."""

    hex_fields = frozenset(("cksum", "id", "seq", "unused", "res"))
    bound_in = "netprobe.packet.layers.icmpv6"

    #: the payload is a quoted packet (error messages)
    quotes_packet = False
    #: matching ignores IPv6 addresses (Neighbor Discovery: groups asked, members answer)
    ignores_addresses = False

    def build_layer(self, payload: bytes) -> bytes:
        msg = bytearray(self._pack_fixed())
        msg += self.build_tail()
        msg += payload
        return self.checksummed(msg)

    def checksummed(self, msg: bytearray) -> bytes:
        """``msg`` (this whole message) with its checksum filled, unless set by hand.

        Without an IPv6 header below there is no pseudo-header: the checksum
        stays 0, as Scapy leaves it.
        """
        if self.cksum is None:
            ph = getattr(self._under, "pseudo_header", None)
            if ph is not None:
                _H.pack_into(msg, 2, checksum(ph(58, len(msg)) + msg))
        return bytes(msg)

    def answers(self, other: Layer) -> bool:
        return False


class ICMPv6Unknown(ICMPv6Message):
    """A message of a type without a class of its own; its body kept as bytes."""

    name = 'Scapy6 ICMPv6 fallback class'
    fields = (
        *icmpv6_head(1),
        RawBytesField("msgbody", b""),
    )

    def build_tail(self) -> bytes:
        return self.msgbody or b""

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        off2, _ = super().parse(buf, off, end)
        self.msgbody = buf[off2:end]
        return end, end

    def summary_part(self) -> str:
        return f"ICMPv6 {ICMPV6_TYPES.get(self.type, self.type)} code={self.code}"
