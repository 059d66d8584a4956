"""Link-layer framing besides Ethernet II.

* 802.1Q VLAN tags (``Dot1Q``) and 802.1ad service tags (``Dot1AD``), stacked as
  deep as the frame goes (ethertypes 0x8100, 0x88a8 and the pre-standard 0x9100);
* IEEE 802.3 length framing (``Dot3``) with 802.2 ``LLC`` and ``SNAP``;
* Linux cooked capture, v1 (``CookedLinux``, link type 113) and v2 (``SLL2``, 276);
* BSD loopback (``Loopback``, link types 0 and 108), whose address family is in the
  byte order of the machine that captured it;
* PPP (link type 9), with or without its HDLC-like address/control bytes;
* Linux NFLOG (link type 239): netfilter's log messages with the packet inside;
* the raw-IP link types (101, 12, 229) that carry IPv4 or IPv6 with no header.

IPv6 lives in its own family module (``layers/ipv6.py``); this module reaches it
through :func:`ipv6_class`, which imports it on first need and binds it under the
headers here, so this family works (IPv6 payloads stay ``Raw``) while it is absent.
"""

from __future__ import annotations

import importlib
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.dissect import LINKTYPES
from netprobe.packet.field import (
    BitField,
    ByteField,
    BytesField,
    IntField,
    ListField,
    MACField,
    ShortField,
)
from netprobe.packet.layer import (
    Layer,
    LengthNote,
    ParseError,
    Truncated,
    bind_layers,
    imported,
    when_imported,
)
from netprobe.packet.layers.ether import ETHER_TYPES, Ether, link_answers
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.raw import Padding, Raw
from netprobe.packet.ouinames import OUIField
from netprobe.packet.shape import ETHERTYPE_IPV6, MAX_8023_LENGTH, SLL_HATYPE_NETLINK
from netprobe.packet.sysnames import ether_type_names

__all__ = ["HDLC", "LLC", "NFLOG", "PPP", "SLL", "SLL2", "SNAP", "CookedLinux", "CookedLinuxV2",
           "Dot1AD", "Dot1Q", "Dot3", "Loopback"]

_H = Struct("!H")

#: 802.2 service access points seen often enough to deserve a name
SAP_NAMES = {0x00: "null", 0x06: "ip", 0x42: "stp", 0xAA: "snap", 0xE0: "ipx", 0xF0: "netbios",
             0xFE: "osi", 0xFF: "global"}

#: where a Linux cooked-capture packet went (``PACKET_*``); Scapy's names
COOKED_PACKET_TYPES = {0: "unicast", 1: "broadcast", 2: "multicast",
                       3: "unicast-to-another-host", 4: "sent-by-us"}

#: Linux ARPHRD_* device types that show up in cooked captures
ARPHRD_TYPES = {1: "ethernet", 24: "ieee1394", 32: "infiniband", 512: "ppp", 768: "ipip",
                769: "ip6ip6", 772: "loopback", 776: "sit", 778: "ipgre", 803: "radiotap",
                823: "ip6gre", 824: "netlink", 65534: "none"}

#: BSD address families in a loopback header (IPv6 differs between the BSDs)
LOOPBACK_TYPES = {2: "IPv4", 7: "OSI", 16: "AppleTalk", 23: "IPX", 24: "IPv6", 28: "IPv6",
                  30: "IPv6"}

#: PPP protocol numbers (RFC 1661 and the IANA registry)
PPP_PROTOCOLS = {0x0021: "IPv4", 0x0057: "IPv6", 0x002B: "IPX", 0x0031: "bridging",
                 0x00FD: "compressed", 0x8021: "IPCP", 0x8057: "IPv6CP", 0xC021: "LCP",
                 0xC023: "PAP", 0xC223: "CHAP"}

#: a cooked-capture ``proto`` of 4 means an 802.2 LLC header follows (not an ethertype)
_COOKED_LLC = 0x0004
#: 802.1H bridge-tunnel OUI; like OUI 0 (RFC 1042) its SNAP code is an ethertype
_OUI_BRIDGE_TUNNEL = 0x0000F8

_IPV6_MODULE = "netprobe.packet.layers.ipv6"
#: the IPv6 class once known ([cls]), or [None] when its module does not exist
_ipv6_found: list[type[Layer] | None] = []


def ipv6_class() -> type[Layer] | None:
    """The IPv6 layer class from ``layers/ipv6.py`` (imported on first need), or None
    while it does not exist; its import binds IPv6 under this module's headers. A
    module still being imported (an import cycle through this one) is asked again later.
    """
    if _ipv6_found:
        return _ipv6_found[0]
    try:
        mod = importlib.import_module(_IPV6_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != _IPV6_MODULE:
            return None  # a dependency of it is missing: leave IPv6 as Raw, ask again later
        _ipv6_found.append(None)
        return None
    except ImportError:
        return None  # partly initialised: its names are not there yet
    cls = getattr(mod, "IPv6", None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        return None
    _ipv6_found.append(cls)
    return cls


def _ethertype_next(layer: Layer, key: str, value: int) -> type[Layer] | None:
    """The class bound to an ethertype in ``layer``'s table, IPv6 found lazily."""
    cls = layer._dissect_table.get((key, value))
    if cls is None and value == ETHERTYPE_IPV6:
        return ipv6_class()
    return cls


def _within_length(layer: Layer, poff: int, end: int, length: int,
                   what: str) -> tuple[int, int]:
    """Where the payload starts and ends when an 802.3 ``length`` bounds it (noted when
    the capture holds fewer bytes)."""
    if poff + length <= end:
        return poff, poff + length
    layer.note(LengthNote(f"{what} {length} exceeds the {end - poff} bytes captured"))
    return poff, end


class LinkAddrField(BytesField):
    """A fixed-size link-layer address: bytes, or ``aa:bb:..`` text (zero-padded)."""

    __slots__ = ()

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = bytes.fromhex(value.replace(":", "").replace("-", ""))
            except ValueError:
                raise UsageError(f"{self.name}: {value!r} is not a link-layer address "
                                 "(aa:bb:cc:.. or bytes)") from None
        value = super().check_one(value)
        size = int(self.fmt[:-1])
        if len(value) > size:
            raise UsageError(f"{self.name}: {len(value)} bytes do not fit in {size}")
        return value

    def i2repr(self, layer: Any, value: Any) -> str:
        # Scapy's fixed-size string: shown without the zero bytes that pad it
        return repr(bytes(value).rstrip(b"\x00")) if isinstance(value, bytes) else repr(value)


# -- VLAN tags ------------------------------------------------------------------------------------
class Dot1Q(Layer):
    """An 802.1Q VLAN tag: priority, drop-eligible bit, VLAN id, then the inner type.

    Stacks to any depth (QinQ). An inner type of 1500 or less is an 802.3 length
    with LLC after it; left unset over ``LLC`` it is filled with that length.
    """

    name = '802.1Q'
    ls_defaults = {"type": 0}
    fields = (
        BitField("prio", 0, 3),
        BitField("dei", 0, 1),
        BitField("vlan", 1, 12),
        ShortField("type", None, names=ETHER_TYPES),
    )
    hex_fields = frozenset(("type",))
    shown_tables = {"type": ether_type_names}
    payload_fields = ("type",)
    payload_defaults = {"type": 0}

    @property
    def id(self) -> int:
        """Scapy's former name of ``dei`` (the bit was once the CFI)."""
        return self.dei

    @id.setter
    def id(self, value: int) -> None:
        self.dei = type(self).fields_by_name["dei"].check(value)

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        if self._f_type is None and isinstance(self._payload, LLC):
            hdr = hdr[:2] + _H.pack(len(payload) & 0xFFFF)
        return hdr + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated tag ({end - off} of 4 bytes)")
        self._unpack_fixed(buf, off)
        if self.type <= MAX_8023_LENGTH:
            return _within_length(self, off + 4, end, self.type, "802.3 length")
        return off + 4, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        t = self.type
        if t <= MAX_8023_LENGTH:
            return LLC
        return _ethertype_next(self, "type", t)

    def mysummary(self) -> str:
        from netprobe.packet.present import value_text

        text = f"({value_text(self, 'type')}) vlan {self.vlan}"
        under = self._under
        if type(self) is Dot1Q and isinstance(under, Ether):
            return f"802.1q {under.src or '00:00:00:00:00:00'} > {under.dst} {text}"
        return f"802.1q {text}"

    def answers(self, other: Layer) -> bool:
        if isinstance(other, Dot1Q):
            return other.vlan == self.vlan and link_answers(self, other, True)
        # A tagged answer to an untagged probe (the tag added on the way) still counts.
        return link_answers(self, other, False)

    def summary_part(self) -> str:
        return f"802.1Q vlan {self.vlan}"


def _taking_old_id(cls: type[Layer]) -> Any:
    """Wrap a class's generated ``__init__`` so that it takes ``id``, Scapy's former name
    of ``dei`` (the bit was once the CFI), as a keyword. The generated ``__init__`` is
    written on the first call, not when this module is imported."""
    stand_in = cls.__dict__["__init__"]  # layer.py's code-on-first-use, or a function
    made: list[Any] = []

    def __init__(self: Layer, _raw: Any = None, /, **kwargs: Any) -> None:  # noqa: N807
        if not made:
            made.append(stand_in.generate() if hasattr(stand_in, "generate") else stand_in)
        if "id" in kwargs:
            if "dei" in kwargs:
                raise UsageError(f"{type(self).__name__}: give dei or its old name id, "
                                 "not both")
            kwargs["dei"] = kwargs.pop("id")
        made[0](self, _raw, **kwargs)

    __init__.__doc__ = f"A {cls.__name__} layer: keyword arguments set its fields."
    return __init__


Dot1Q.__init__ = _taking_old_id(Dot1Q)  # type: ignore[method-assign]


class Dot1AD(Dot1Q):
    """An 802.1ad service tag (S-tag, ethertype 0x88a8): a Dot1Q that providers add outside."""

    name = '802_1AD'
    fields = Dot1Q.fields

    def summary_part(self) -> str:
        return f"802.1ad vlan {self.vlan}"


Dot1AD.__init__ = _taking_old_id(Dot1AD)  # type: ignore[method-assign]
# One table for both tags: what may follow a tag does not depend on its kind.
Dot1AD._dissect_table = Dot1Q._dissect_table


# -- IEEE 802.3 / 802.2 ---------------------------------------------------------------------------
class Dot3(Layer):
    """An IEEE 802.3 header: addresses and the length of the LLC payload (filled when unset).

    Dissecting link type 1 gives ``Dot3`` for a frame whose type field is a length
    (1500 or less), as Scapy does.
    """

    name = '802.3'
    fields = (
        MACField("dst", None, fallback="ff:ff:ff:ff:ff:ff"),
        MACField("src", None),
        ShortField("len", None),
    )

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        if self.len is None:
            hdr = hdr[:12] + _H.pack(len(payload) & 0xFFFF)
        return hdr + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        poff, _ = Layer.parse(self, buf, off, end)  # the fixed header
        return _within_length(self, poff, end, self.len, "length")

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return LLC

    def summary_part(self) -> str:
        return f"802.3 {self.src} > {self.dst}"

    def mysummary(self) -> str:
        """Scapy's: ``802.3 src > dst``."""
        return self.summary_part()


class LLC(Layer):
    """An IEEE 802.2 LLC header: destination and source SAP, one control byte.

    The fields fill from the layer above (``LLC()/SNAP()`` gives AA AA 03) and are
    0 otherwise. What follows is chosen by the (dsap, ssap) pair.
    """

    fields = (
        ByteField("dsap", None, names=SAP_NAMES),
        ByteField("ssap", None, names=SAP_NAMES),
        ByteField("ctrl", None),
    )
    payload_fields = ("dsap", "ssap", "ctrl")
    payload_defaults = {"dsap": 0, "ssap": 0, "ctrl": 0}
    #: Scapy shows the SAPs as hex numbers, without names
    hex_fields = frozenset({"dsap", "ssap"})

    def shown_names(self, name: str) -> Any:
        return None if name in ("dsap", "ssap") else super().shown_names(name)

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return self._dissect_table.get(("saps", (self.dsap, self.ssap)))

    def summary_part(self) -> str:
        return f"LLC {self.dsap:#04x} > {self.ssap:#04x}" if self._f_dsap is not None else "LLC"


class SNAP(Layer):
    """An 802.2 SNAP header: an organisation (OUI) and a protocol code.

    With OUI 0 (RFC 1042) or 00-00-F8 (802.1H) the code is an ethertype and the
    payload is dissected by it; other organisations' codes are their own.
    """

    fields = (
        OUIField("OUI", 0),
        ShortField("code", None, names=ETHER_TYPES),
    )
    #: the system's EtherType names, as Scapy shows them (``code=EAPOL``)
    shown_tables = {"code": ether_type_names}
    payload_fields = ("code",)
    payload_defaults = {"code": 0}
    hex_fields = frozenset(("code",))
    ls_defaults = {"code": 0}

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.OUI and self.OUI != _OUI_BRIDGE_TUNNEL:
            return None
        return _ethertype_next(self, "code", self.code)

    def summary_part(self) -> str:
        return f"SNAP {self.OUI:06x} {self.code:#06x}" if self._f_code is not None else "SNAP"


# -- Linux cooked capture -------------------------------------------------------------------------
class _Cooked(Layer):
    """What SLL and SLL2 share: the protocol dispatch and the sender's address."""

    # as Scapy shows them: the hardware type as a number in hex, the protocol in hex
    # when it has no name
    hex_fields = frozenset(("lladdrtype", "proto"))
    ls_kinds = {"lladdrtype": "XShortField", "proto": "XShortEnumField",
                "src": "StrFixedLenField"}
    ls_defaults = {"proto": 0x0800}

    def shown_names(self, name: str) -> Any:
        return None if name == "lladdrtype" else super().shown_names(name)

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.lladdrtype == SLL_HATYPE_NETLINK:
            return None  # proto is a netlink family, not an ethertype
        p = self.proto
        if p == _COOKED_LLC:
            return LLC
        return _ethertype_next(self, "proto", p)

    @property
    def lladdr(self) -> str:
        """The sender's link-layer address (``lladdrlen`` bytes of ``src``) as text."""
        n = min(self.lladdrlen or 0, 8)
        return (self.src or b"")[:n].hex(":")

    def answers(self, other: Layer) -> bool:
        # A cooked header describes how the answer was captured, not what was sent.
        return link_answers(self, other, type(other) is type(self))

    def summary_part(self) -> str:
        pkt = COOKED_PACKET_TYPES.get(self.pkttype, str(self.pkttype))
        return f"{type(self).__name__} {pkt} from {self.lladdr or '-'}"


class CookedLinux(_Cooked):
    """Linux cooked capture v1 (SLL, link type 113): what ``tcpdump -i any`` records."""

    name = 'cooked linux'
    fields = (
        ShortField("pkttype", 0, names=COOKED_PACKET_TYPES),
        ShortField("lladdrtype", 512, names=ARPHRD_TYPES),
        ShortField("lladdrlen", 0),
        LinkAddrField("src", b"", 8),
        ShortField("proto", None, names=ETHER_TYPES),
    )
    payload_fields = ("proto",)
    payload_defaults = {"proto": 0x0800}


class CookedLinuxV2(_Cooked):
    """Linux cooked capture v2 (link type 276, libpcap's SLL2): SLL with the interface
    index."""

    name = "cooked linux v2"
    fields = (
        ShortField("proto", None, names=ETHER_TYPES),
        ShortField("reserved", 0),
        IntField("ifindex", 0),
        ShortField("lladdrtype", 512, names=ARPHRD_TYPES),
        ByteField("pkttype", 0, names=COOKED_PACKET_TYPES),
        ByteField("lladdrlen", 0),
        LinkAddrField("src", b"", 8),
    )
    payload_fields = ("proto",)
    payload_defaults = {"proto": 0x0800}


# Both versions carry the same protocol numbers.
CookedLinuxV2._dissect_table = CookedLinux._dissect_table
#: the names libpcap uses
SLL = CookedLinux
SLL2 = CookedLinuxV2


# -- BSD loopback ---------------------------------------------------------------------------------
class Loopback(Layer):
    """The BSD loopback (NULL) header: a 4-byte address family (2 = IPv4; 24, 28, 30 = IPv6).

    The family is written in the byte order of the machine that captured, so the
    order is read from the value (families are small numbers) and kept for
    rebuilding. New headers are little-endian, as almost every capturing machine
    is (and as Scapy writes them); set ``byteorder = "big"`` for the others.
    """

    fields = (IntField("type", None, names=LOOPBACK_TYPES),)
    payload_fields = ("type",)
    payload_defaults = {"type": 2}
    __slots__ = ("_big",)
    keep_slots = ("_big",)

    @property
    def byteorder(self) -> str:
        """``"little"`` or ``"big"``: how ``type`` is written."""
        return "big" if getattr(self, "_big", False) else "little"

    @byteorder.setter
    def byteorder(self, value: str) -> None:
        if value not in ("little", "big"):
            raise UsageError(f"Loopback.byteorder: {value!r} is not 'little' or 'big'")
        self._big = value == "big"

    def _init_from_bytes(self, raw: bytes) -> None:
        super()._init_from_bytes(raw)
        self._big = len(raw) >= 4 and not (raw[0] or raw[1])

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        if not getattr(self, "_big", False):
            hdr = hdr[::-1]
        return hdr + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated header ({end - off} of 4 bytes)")
        # A family never needs the top 16 bits: zeros first mean big-endian.
        big = not (buf[off] or buf[off + 1])
        self._big = big
        self.type = int.from_bytes(buf[off:off + 4], "big" if big else "little")
        return off + 4, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        cls = self._dissect_table.get(("type", self.type))
        if cls is None and self.type in (24, 28, 30):
            return ipv6_class()
        return cls

    def answers(self, other: Layer) -> bool:
        return link_answers(self, other, isinstance(other, Loopback))

    def summary_part(self) -> str:
        return f"Loopback {LOOPBACK_TYPES.get(self.type, self.type)}"



# -- PPP ------------------------------------------------------------------------------------------
def _ppp_protocol_names() -> dict[int, str]:
    from netprobe.packet.layers.ppp_control import PPP_PROTOCOL_NAMES

    return PPP_PROTOCOL_NAMES


class CHDLC(Layer):
    """Cisco HDLC (link type 104): address (0x0F unicast, 0x8F broadcast), control, and an
    ethertype, as Scapy's contrib layer declares it; what follows is what Ethernet carries
    under that type."""

    fields = (ByteField("address", 0x0F), ByteField("control", 0),
              ShortField("proto", 0x0800, names=ETHER_TYPES))

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return Ether._dissect_table.get(("type", self.proto))


class HDLC(Layer):
    """The HDLC-like address and control bytes in front of PPP (RFC 1662): FF 03."""

    fields = (ByteField("address", 0xFF), ByteField("control", 0x03))
    hex_fields = frozenset(("address", "control"))

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return PPP


class PPP(Layer):
    """A PPP protocol field (RFC 1661). A dissected one-byte (compressed) field stays one
    byte when rebuilt; new headers use two bytes."""

    name = 'PPP Link Layer'
    fields = (ShortField("proto", None, names=PPP_PROTOCOLS),)
    #: Scapy shows IANA's names for the protocol numbers (``ppp_control.py`` holds them)
    shown_tables = {"proto": lambda: _ppp_protocol_names()}
    payload_fields = ("proto",)
    payload_defaults = {"proto": 0x0021}
    __slots__ = ("_short",)
    keep_slots = ("_short",)

    def _init_from_bytes(self, raw: bytes) -> None:
        super()._init_from_bytes(raw)
        self._short = bool(raw) and raw[0] & 1 == 1

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        if getattr(self, "_short", False) and hdr[0] == 0:
            hdr = hdr[1:]
        return hdr + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 1:
            raise Truncated("no protocol field")
        if buf[off] & 1:
            # Protocol-field compression: an odd first byte is the whole number.
            self._short = True
            self.proto = buf[off]
            return off + 1, end
        if end - off < 2:
            raise Truncated("protocol field cut short (1 of 2 bytes)")
        self._short = False
        self.proto = buf[off] << 8 | buf[off + 1]
        return off + 2, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        cls = self._dissect_table.get(("proto", self.proto))
        if cls is None and self.proto == 0x0057:
            return ipv6_class()
        return cls

    def summary_part(self) -> str:
        return f"PPP {PPP_PROTOCOLS.get(self.proto, self.proto)}"




# -- NFLOG ----------------------------------------------------------------------------------------
#: NFULA_* attribute types of an NFLOG message
NFLOG_TLV_TYPES = {1: "packet_hdr", 2: "mark", 3: "timestamp", 4: "ifindex_indev",
                   5: "ifindex_outdev", 6: "ifindex_physindev", 7: "ifindex_physoutdev",
                   8: "hwaddr", 9: "payload", 10: "prefix", 11: "uid", 12: "seq",
                   13: "seq_global", 14: "gid", 15: "hwtype", 16: "hwheader", 17: "hwlen",
                   18: "ct", 19: "ct_info"}
_NFULA_PAYLOAD = 9
_NFLOG_FAMILIES = {0: "unspec", 2: "IPv4", 7: "bridge", 10: "IPv6"}


def check_nflog_tlv(name: str, value: Any) -> tuple[int, bytes]:
    """An NFLOG attribute as (type, value bytes); the type may be given by its NFULA name."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        kind, data = value
        if isinstance(kind, str):
            kind = next((k for k, n in NFLOG_TLV_TYPES.items() if n == kind), kind)
        if isinstance(data, str):
            data = data.encode()
        if (isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= 0xFFFF
                and isinstance(data, (bytes, bytearray)) and len(data) <= 0xFFFF - 4):
            return (kind, bytes(data))
    raise UsageError(f"{name}: an attribute is (type, bytes), type 0..65535 or an NFULA name "
                     f"({', '.join(NFLOG_TLV_TYPES.values())}); got {value!r}")


def _tlv_big_endian(buf: bytes, i: int, end: int) -> bool:
    """Whether the attribute at ``i`` has a big-endian length (a plausible one decides)."""
    if end - i < 4:
        return False
    le, be = buf[i] | buf[i + 1] << 8, buf[i] << 8 | buf[i + 1]
    return not 4 <= le <= end - i and 4 <= be <= end - i


class NFLOG(Layer):
    """A Linux NFLOG message (link type 239): a header, attributes, then the logged packet.

    ``tlvs`` holds the attributes before the packet as (type, value) pairs; the
    packet itself is the payload, wrapped in its attribute (NFULA_PAYLOAD) whose
    length, ``payload_len`` (4 + the packet's bytes), fills itself when unset.
    Attribute lengths and types are in the capturing machine's byte order, read
    from the first attribute and kept; new messages are little-endian.
    """

    fields = (
        ByteField("family", 2, names=_NFLOG_FAMILIES),
        ByteField("version", 0),
        ShortField("resource_id", 0),
        ListField("tlvs", [], item_check=check_nflog_tlv),
        # After the attributes on the wire, so outside the fixed struct: built here.
        ShortField("payload_len", None),
    )
    __slots__ = ("_big",)
    keep_slots = ("_big",)

    def _init_from_bytes(self, raw: bytes) -> None:
        super()._init_from_bytes(raw)
        self._big = _tlv_big_endian(raw, 4, len(raw))

    def _tlv_head(self, length: int, kind: int) -> bytes:
        order = "big" if getattr(self, "_big", False) else "little"
        return length.to_bytes(2, order) + kind.to_bytes(2, order)

    def build_tail(self) -> bytes:
        out = bytearray()
        for kind, data in self.tlvs or ():
            out += self._tlv_head(4 + len(data), kind) + data
            out += bytes(-len(data) % 4)  # attributes start on 4-byte boundaries
        return bytes(out)

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed() + self.build_tail()
        if self._payload is None:
            if self.payload_len is not None:  # a payload attribute read with nothing in it
                return hdr + self._tlv_head(self.payload_len, _NFULA_PAYLOAD) + payload
            return hdr + payload
        # Padding at the top of the packet is what followed the logged packet in the
        # capture (its alignment, later attributes): outside the attribute.
        trailer = 0
        cur = self._payload
        while cur is not None:
            if isinstance(cur, Padding):
                trailer += len(cur.load or b"")
            cur = cur._payload
        inner = len(payload) - trailer
        if self.payload_len is None:
            return (hdr + self._tlv_head((4 + inner) & 0xFFFF, _NFULA_PAYLOAD) + payload
                    + bytes(-inner % 4))
        # A length read from a capture (or set by hand): the bytes stay as they were.
        return hdr + self._tlv_head(self.payload_len, _NFULA_PAYLOAD) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        i, _ = Layer.parse(self, buf, off, end)  # the fixed header
        self._big = big = _tlv_big_endian(buf, i, end)
        order = "big" if big else "little"
        tlvs: list[tuple[int, bytes]] = []
        self.tlvs = tlvs
        self.payload_len = None
        while end - i >= 4:  # every pass moves i forward by at least 4
            length = int.from_bytes(buf[i:i + 2], order)
            kind = int.from_bytes(buf[i + 2:i + 4], order)
            if length < 4:
                raise ParseError(f"attribute {kind} has length {length} (less than 4)")
            if i + length > end:
                if kind == _NFULA_PAYLOAD:
                    self.payload_len = length
                    self.note(LengthNote(f"payload attribute of {length} bytes exceeds the "
                                         f"{end - i} bytes captured"))
                    return i + 4, end
                raise Truncated(f"attribute {kind} cut short ({end - i} of {length} bytes)")
            if kind == _NFULA_PAYLOAD:
                self.payload_len = length
                return i + 4, i + length
            tlvs.append((kind, buf[i + 4:i + length]))
            pad = buf[i + length:i + length + (-length % 4)]
            if pad.count(0) != len(pad):  # the kernel pads with zeros; building does too
                raise ParseError(f"attribute {kind} is followed by non-zero padding")
            i += length + (-length % 4)
        if i != end:
            raise ParseError(f"{end - i} bytes after the last attribute")
        return end, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.family == 2:
            return IP
        if self.family == 10:
            return ipv6_class()
        return None

    def answers(self, other: Layer) -> bool:
        return link_answers(self, other, isinstance(other, NFLOG))

    def summary_part(self) -> str:
        return f"NFLOG group {self.resource_id}"




# -- link-type choosers ---------------------------------------------------------------------------
def ipv6_linktype_class(data: bytes) -> type[Layer]:
    """Link type 229 (IPv6 only): the IPv6 class, or Raw while it does not exist."""
    return ipv6_class() or Raw


def ppp_class(data: bytes) -> type[Layer]:
    """Link type 9: PPP, preceded by FF 03 when the capture kept the HDLC-like framing."""
    return HDLC if data[:1] == b"\xff" else PPP


# -- bindings -------------------------------------------------------------------------------------
_TAGS = (Dot1Q, Dot1AD)
_COOKED = (CookedLinux, SLL2)


def _bind_ipv6(ipv6: type[Layer]) -> None:
    """Put IPv6 under every header here that can carry it."""
    for tag in _TAGS:
        bind_layers(tag, ipv6, type=ETHERTYPE_IPV6)
    bind_layers(SNAP, ipv6, code=ETHERTYPE_IPV6)
    for cooked in _COOKED:
        bind_layers(cooked, ipv6, proto=ETHERTYPE_IPV6)
    # New loopback headers say 24 (NetBSD/OpenBSD); FreeBSD writes 28, macOS 30.
    bind_layers(Loopback, ipv6, type=24)
    Loopback._dissect_table.setdefault(("type", 28), ipv6)
    Loopback._dissect_table.setdefault(("type", 30), ipv6)
    bind_layers(PPP, ipv6, proto=0x0057)


bind_layers(Ether, Dot1Q, type=0x8100)
bind_layers(Ether, Dot1AD, type=0x88A8)
# 0x9100 is the pre-standard QinQ tag: dissected, never chosen when building.
Ether._dissect_table.setdefault(("type", 0x9100), Dot1Q)
# Ether.next_layer looks 802.3 frames (type <= 1500 is a length, not a protocol) up
# under the key ("type", "llc"): no single type value could name "any length".
Ether._dissect_table[("type", "llc")] = LLC
for _tag in _TAGS:
    bind_layers(_tag, Dot1Q, type=0x8100)
    bind_layers(_tag, Dot1AD, type=0x88A8)
    bind_layers(_tag, IP, type=0x0800)
Dot1Q._dissect_table.setdefault(("type", 0x9100), Dot1Q)

# LLC in an Ethernet II frame (EtherType 0x8870, jumbo LLC), as Scapy builds Ether()/LLC()
bind_layers(Ether, LLC, type=0x8870)
# SNAP is chosen by the SAP pair alone: the control byte varies, and keying on it
# (as bind_layers would) would send every unnumbered frame to SNAP.
bind_layers(LLC, SNAP, dissect=False, dsap=0xAA, ssap=0xAA, ctrl=0x03)
LLC._dissect_table[("saps", (0xAA, 0xAA))] = SNAP
bind_layers(SNAP, IP, code=0x0800)
bind_layers(SNAP, Dot1Q, code=0x8100)
bind_layers(SNAP, Dot1AD, code=0x88A8)

for _cooked in _COOKED:
    bind_layers(_cooked, IP, proto=0x0800)
    bind_layers(_cooked, Dot1Q, proto=0x8100)
    bind_layers(_cooked, Dot1AD, proto=0x88A8)
    bind_layers(_cooked, LLC, proto=_COOKED_LLC)

bind_layers(Loopback, IP, type=2)
bind_layers(PPP, IP, proto=0x0021)

LINKTYPES[0] = Loopback      # DLT_NULL
LINKTYPES[9] = ppp_class     # DLT_PPP
LINKTYPES[50] = HDLC         # DLT_PPP_SERIAL: always HDLC-framed
LINKTYPES[104] = CHDLC       # DLT_C_HDLC
LINKTYPES[108] = Loopback    # DLT_LOOP (OpenBSD): network byte order, detected all the same
LINKTYPES[113] = CookedLinux  # DLT_LINUX_SLL
LINKTYPES[239] = NFLOG       # DLT_NFLOG
LINKTYPES[276] = SLL2        # DLT_LINUX_SLL2
LINKTYPES.setdefault(229, ipv6_linktype_class)  # LINKTYPE_IPV6 (the IPv6 module may own it)

# IPv6 under these headers (building finds its type there), once the IPv6 family is
# imported: an IPv4 job never imports it (4 ms of a small scan); dissection finds it
# through ipv6_class()
when_imported(_IPV6_MODULE, lambda ipv6: _bind_ipv6(ipv6.IPv6))
imported(__name__)
