"""RFC 4884 ICMP extension structures as layers, with Scapy 2.8's names:
``ICMPExtension_Header`` carrying ``ICMPExtension_Object``,
``ICMPExtension_InterfaceInformation`` (RFC 5837) or ``ICMPExtension_MPLS`` (RFC 4950)
as its payload. As in Scapy, an MPLS object is read as ``ICMPExtension_MPLS`` (its
``stack`` of ``MPLS`` entries) once ``load_contrib("mpls")`` is done, and as an
``ICMPExtension_Object`` with the label stack as ``Raw`` before; the command line
reads it as ``ICMPExtension_MPLS``.

They are what ``ICMP(ext=...)`` (and the ICMPv6 errors' ``ext``) take and hold when
written as Scapy users write them, ``ICMPExtension_Header()/ICMPExtension_Object(...)``,
and what a message read from bytes holds: ``show()`` and ``repr()`` then print the
extension as Scapy prints it. The header answers what netprobe's own immutable
``ICMPExtension`` value answers (``objects``, ``labels``, ``to_dict()``), read from
its bytes, so traceroute's MPLS labels and the JSON output are the same whichever
form a packet holds. An ICMP message given these layers with ``length`` unset is
built as Scapy builds it: length 0, the quote padded to 128 bytes (netprobe's own
``ICMPExtension`` value gets the RFC 4884 length filled).

As in Scapy, an object's payload is the rest of the structure (``Raw``): a second
object is not read as a layer of its own, and building writes the bytes as they are.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet import optional_layers
from netprobe.packet.checksum import checksum
from netprobe.packet.layer import Layer
from netprobe.packet.layers.icmp_extension import (
    EXTENSION_CLASSES,
    ICMPExtension,
    ICMPExtensionObject,
    MPLSLabel,
)
from netprobe.packet.layers.mpls import MPLS
from netprobe.packet.packet_class import Packet, fills_length
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    IntField,
    IP6Field,
    IPField,
    PacketListField,
    ShortField,
    StrLenField,
    XShortField,
)

__all__ = ["ICMPExtension_Header", "ICMPExtension_InterfaceInformation", "ICMPExtension_MPLS",
           "ICMPExtension_Object"]


class ICMPExtension_Header(Packet):  # noqa: N801 - Scapy's name
    """The extension header: version 2 and the checksum of the whole structure."""

    name = "ICMP Extension Header (RFC4884)"
    show_indent = 0  # show() prints the objects under it at its own level, as Scapy's
    held_in_fields = True  # pkt[ICMPExtension_Header] finds it in ICMP's ext, as in Scapy
    fields_desc = [
        BitField("version", 2, 4),
        BitField("reserved", 0, 12),
        XShortField("chksum", None),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.chksum is None:
            pkt = pkt[:2] + checksum(pkt + pay).to_bytes(2, "big") + pkt[4:]
        return pkt + pay

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if end - off < 4:
            return None
        num = buf[off + 2]
        loaded = self._dissect_table.get(("classnum", num))  # MPLS, once its module is loaded
        return loaded or OBJECT_CLASSES.get(num, ICMPExtension_Object)

    # -- what netprobe's ICMPExtension answers ------------------------------------------------
    def encode(self) -> bytes:
        """The structure's bytes (what the ICMP message appends after its quote)."""
        return bytes(self)

    def as_value(self) -> ICMPExtension | None:
        """The structure as netprobe's ``ICMPExtension`` value (None if its objects do not
        exactly fill it)."""
        return ICMPExtension.decode(self.encode())[0]

    @property
    def objects(self) -> tuple[ICMPExtensionObject, ...]:
        """The extension objects, read from the structure's bytes."""
        value = self.as_value()
        return value.objects if value is not None else ()

    @property
    def labels(self) -> list[MPLSLabel]:
        """Every MPLS label stack entry of every MPLS object, outermost first."""
        value = self.as_value()
        return value.labels if value is not None else []

    def to_dict(self) -> dict[str, Any]:
        value = self.as_value()
        if value is None:
            return {"version": self.version, "reserved": self.reserved,
                    "chksum": self.chksum, "objects": [], "raw": self.encode()[4:].hex()}
        return value.to_dict()


class ICMPExtension_Object(Packet):  # noqa: N801
    """An extension object's header: length (computed when unset), class and C-type;
    its data is the payload."""

    name = "ICMP Extension Object"
    show_indent = 0
    held_in_fields = True
    fields_desc = [
        ShortField("len", None),
        ByteEnumField("classnum", 0, EXTENSION_CLASSES),
        ByteField("classtype", 0),
    ]

    post_build = fills_length("len", 0, payload=True)


def _afi(pkt: Any) -> int:
    return pkt.afi or 0


class ICMPExtension_InterfaceInformation(ICMPExtension_Object):  # noqa: N801
    """An Interface Information object (RFC 5837, class 2): the flags say which of the
    interface's index, address, name and MTU follow."""

    name = "ICMP Extension Object - Interface Information Object (RFC5837)"
    fields_desc = [
        ShortField("len", None),
        ByteEnumField("classnum", 2, EXTENSION_CLASSES),
        BitField("classtype", 0, 2),
        BitField("reserved", 0, 2),
        BitField("has_ifindex", 0, 1),
        BitField("has_ipaddr", 0, 1),
        BitField("has_ifname", 0, 1),
        BitField("has_mtu", 0, 1),
        ConditionalField(IntField("ifindex", None), lambda p: p.has_ifindex == 1),
        ConditionalField(ShortField("afi", None), lambda p: p.has_ipaddr == 1),
        ConditionalField(ShortField("reserved2", 0), lambda p: p.has_ipaddr == 1),
        ConditionalField(IPField("ip4", None), lambda p: _afi(p) == 1),
        ConditionalField(IP6Field("ip6", None), lambda p: _afi(p) == 2),
        ConditionalField(FieldLenField("ifname_len", None, length_of="ifname", fmt="B"),
                         lambda p: p.has_ifname == 1),
        ConditionalField(StrLenField("ifname", None, length_from=lambda p: p.ifname_len),
                         lambda p: p.has_ifname == 1),
        ConditionalField(IntField("mtu", None), lambda p: p.has_mtu == 1),
    ]


class ICMPExtension_MPLS(ICMPExtension_Object):  # noqa: N801
    """An MPLS label stack object (RFC 4950, class 1, C-type 1): the ``MPLS`` entries
    the probe carried when its TTL ran out (read as Scapy reads them: an entry with
    ``s`` 0 carries the next one as its payload)."""

    name = "ICMP Extension Object - MPLS (RFC4950)"
    fields_desc = [
        ShortField("len", None),
        ByteEnumField("classnum", 1, EXTENSION_CLASSES),
        ByteField("classtype", 1),
        PacketListField("stack", [], MPLS, length_from=lambda p: (p.len or 4) - 4),
    ]


#: class number -> object class, for what follows an extension header
OBJECT_CLASSES: dict[int, type[Packet]] = {2: ICMPExtension_InterfaceInformation}

optional_layers.register("mpls", [(ICMPExtension_Header, ("classnum", 1), ICMPExtension_MPLS)])


def extension_layers(raw: bytes) -> ICMPExtension_Header:
    """An extension structure's bytes read as layers (as Scapy reads them)."""
    from netprobe.packet.dissect import dissect_as

    return dissect_as(ICMPExtension_Header, raw)


def quote_end(msg: Layer, buf: bytes, body: int, pend: int) -> int:
    """Where the datagram quoted in ``buf[body:pend]`` ends, when zero bytes pad it to
    ``pend`` (its extension's start); else ``pend``. The padding's length is kept on the
    message for ``extpad``'s text, as Scapy shows it, and the quote's bytes for building
    (which pads the quote again, the frame's trailer after the extension)."""
    n = pend - body
    if n >= 20 and buf[body] >> 4 == 4:
        size = int.from_bytes(buf[body + 2:body + 4], "big")
    elif n >= 40 and buf[body] >> 4 == 6:
        size = 40 + int.from_bytes(buf[body + 4:body + 6], "big")
    else:
        return pend
    if not 0 < size < n or buf[body + size:pend].count(0) != n - size:
        return pend
    msg.__dict__["_extpad"] = n - size
    msg.__dict__["_quoted"] = buf[body:body + size]
    return body + size


def summary_text(ext: Any) -> str:
    """Scapy's words for an ICMP message's extension in its summary: `` ext:MPLS``."""
    if isinstance(ext, ICMPExtension_Header):
        first = ext._payload
        if isinstance(first, ICMPExtension_Object):
            num = first.classnum
            return f" ext:{EXTENSION_CLASSES.get(num, num)}"
    return ""
