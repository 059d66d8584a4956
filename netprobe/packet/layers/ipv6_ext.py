"""IPv6 extension headers (RFC 8200 section 4) and the Authentication Header (RFC 4302).

Scapy's classes and field names: ``IPv6ExtHdrHopByHop``, ``IPv6ExtHdrDestOpt``
(options as a list of option layers), ``IPv6ExtHdrRouting`` (type 0 with its
``addresses``), ``IPv6ExtHdrFragment``; ``AH`` is read as far as its length so
that the packet after it dissects.
"""

from __future__ import annotations

from ipaddress import IPv6Address
from socket import AF_INET6, inet_pton
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import (
    BitField,
    ByteField,
    IntField,
    IPv6Field,
    ListField,
    RawBytesField,
    ShortField,
    TailField,
)
from netprobe.packet.layer import Layer, ParseError, Truncated
from netprobe.packet.layers.icmp_quote import quote_twin
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import (
    IPV6_NH,
    IPv6,
    next_header_class,
    pseudo_header_below,
    upper_nh,
)
from netprobe.packet.layers.ipv6_options import (
    HAO,
    Jumbo,
    check_option,
    decode_options,
    encode_options,
)

_ADDR = IPv6Field("addresses")


class ExtensionHeader(Layer):
    """Base of the headers that sit between IPv6 and its upper layer."""

    is_extension_header = True
    bound_in = "netprobe.packet.layers.ipv6"
    #: ``ls()`` shows Scapy's default next header: 59, nothing follows
    ls_defaults = {"nh": 59}
    #: unset, ``nh`` reads what the header above fills in (59 with none), as Scapy's
    payload_fields = ("nh",)
    payload_defaults = {"nh": 59}

    @property
    def pseudo_header(self) -> Any:
        """The pseudo-header function of the IP header below (None when there is none)."""
        return pseudo_header_below(self)

    def routing_final_destination(self) -> str | None:
        """The final destination a Routing header names (None for other headers)."""
        return None

    def home_address(self) -> str | None:
        """The home address a Destination Options header carries (None otherwise)."""
        return None

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        # inside a packet an ICMPv6 error quotes, TCP is TCPerror... (as in Scapy)
        return quote_twin(self, next_header_class(self.nh, buf, off, end))

    def _nh(self) -> int:
        return self.nh if self.nh is not None else upper_nh(self)

    def overloaded_by(self, upper: Layer) -> dict[str, Any]:
        return {"nh": upper_nh(self)}


class _AutoPadField(TailField):
    """Scapy's phantom ``autopad``: 1 aligns options and pads the header; not on the wire."""

    __slots__ = ()
    ls_kind = "_PhantomAutoPadField"

    def i2repr(self, layer: Any, value: Any) -> str:
        return "On" if value else "Off"

    def check_one(self, value: Any) -> Any:
        if value not in (0, 1, True, False):
            raise UsageError(f"{self.name}: expected 0 or 1, got {value!r}")
        return int(value)


class _OptionsHeader(ExtensionHeader):
    """Hop-by-Hop and Destination Options: a list of options padded to 8-byte units."""

    packet_lists = frozenset(("options",))
    ls_kinds = {"len": "FieldLenField", "options": "_OptionsField"}

    def build_layer(self, payload: bytes) -> bytes:
        opts = self.options
        raw = encode_options(opts, self.autopad)
        if opts and any(type(o) is Jumbo and o.jumboplen is None for o in opts):
            # the jumbo length counts everything after the IPv6 header (RFC 2675)
            raw = encode_options(opts, self.autopad, jumbo=2 + len(raw) + len(payload))
        n = self.len if self.len is not None else (len(raw) + 2 + 7) // 8 - 1
        return bytes((self._nh(), n & 0xFF)) + raw + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 2:
            raise Truncated(f"truncated header ({end - off} of 2 bytes)")
        hl = 8 * (buf[off + 1] + 1)
        if off + hl > end:
            raise Truncated(f"truncated header ({end - off} of {hl} bytes)")
        self._unpack_fixed(buf, off)
        opts, aligned, problem = decode_options(buf[off + 2:off + hl])
        self.options = opts
        # options the wire does not align are kept as they are when building again
        self.autopad = 1 if aligned else 0
        if problem:
            self.note(problem)
        return off + hl, end

    def summary_part(self) -> str:
        names = ",".join(type(o).__name__ for o in self.options or ())
        return f"{type(self).__name__} [{names}]"


class IPv6ExtHdrHopByHop(_OptionsHeader):
    """Hop-by-Hop Options (nh 0): options every router on the path reads."""

    name = 'IPv6 Extension Header - Hop-by-Hop Options Header'
    fields = (
        ByteField("nh", None, names=IPV6_NH),
        ByteField("len", None),
        _AutoPadField("autopad", 1),
        ListField("options", [], item_check=check_option),
    )


class IPv6ExtHdrDestOpt(_OptionsHeader):
    """Destination Options (nh 60): options for the destination."""

    name = 'IPv6 Extension Header - Destination Options Header'
    fields = (
        ByteField("nh", None, names=IPV6_NH),
        ByteField("len", None),
        _AutoPadField("autopad", 1),
        ListField("options", [], item_check=check_option),
    )

    def home_address(self) -> str | None:
        opts = self.options
        if opts and len(opts) == 1 and isinstance(opts[0], HAO):
            return opts[0].hoa
        return None


class _AddressListField(ListField):
    """The Routing header's addresses, shown as Scapy shows them: ``[ a, b ]``."""

    __slots__ = ()
    ls_kind = "IP6ListField"

    def i2repr(self, layer: Any, value: Any) -> str:
        return f"[ {', '.join(value or ())} ]"


def _check_address(name: str, value: Any) -> str:
    try:
        return _ADDR.check_one(value)
    except UsageError:
        raise UsageError(f"{name}: {value!r} is not an IPv6 address") from None


class IPv6ExtHdrRouting(ExtensionHeader):
    """A Routing header (nh 43); type 0 lists the addresses to visit.

    ``len`` and ``segleft`` left unset follow the number of addresses.
    """

    name = 'IPv6 Option Header Routing'
    ls_kinds = {"len": "FieldLenField", "reserved": "BitField  (32 bits)"}
    fields = (
        ByteField("nh", None, names=IPV6_NH),
        ByteField("len", None),
        ByteField("type", 0),
        ByteField("segleft", None),
        IntField("reserved", 0),
        _AddressListField("addresses", [], item_check=_check_address),
    )

    def build_layer(self, payload: bytes) -> bytes:
        addrs = self.addresses or []
        hdr = bytearray(self._pack_fixed())
        hdr[0] = self._nh()
        if self.len is None:
            hdr[1] = (2 * len(addrs)) & 0xFF
        if self.segleft is None:
            hdr[3] = len(addrs) & 0xFF
        return bytes(hdr) + b"".join(inet_pton(AF_INET6, a) for a in addrs) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise Truncated(f"truncated header ({end - off} of 8 bytes)")
        hl = 8 * (buf[off + 1] + 1)
        if off + hl > end:
            raise Truncated(f"truncated header ({end - off} of {hl} bytes)")
        if (hl - 8) % 16:
            raise ParseError(f"routing type {buf[off + 2]} data of {hl - 8} bytes "
                             "is not a list of addresses")
        self._unpack_fixed(buf, off)
        self.addresses = [IPv6Address(buf[i:i + 16]).compressed
                          for i in range(off + 8, off + hl, 16)]
        return off + hl, end

    def routing_final_destination(self) -> str | None:
        # Scapy's rule: an unset segleft counts as segments left
        if self.segleft != 0 and self.addresses:
            return self.addresses[-1]
        return None

    def summary_part(self) -> str:
        return f"IPv6ExtHdrRouting type={self.type} segleft={self.segleft}"


class IPv6ExtHdrFragment(ExtensionHeader):
    """A Fragment header (nh 44). Bytes of a later fragment (offset > 0) stay Raw."""

    name = 'IPv6 Extension Header - Fragmentation header'
    fields = (
        ByteField("nh", None, names=IPV6_NH),
        BitField("res1", 0, 8),
        BitField("offset", 0, 13),
        BitField("res2", 0, 2),
        BitField("m", 0, 1),
        IntField("id", None),
    )

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        return bytes((self._nh(),)) + hdr[1:] + payload

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self.offset:
            return None
        return quote_twin(self, next_header_class(self.nh, buf, off, end))

    def summary_part(self) -> str:
        return f"IPv6ExtHdrFragment off={self.offset} m={self.m} id={self.id}"


class AH(ExtensionHeader):
    """The IPsec Authentication Header (proto 51). ``nh`` and ``payloadlen`` fill themselves."""

    #: unset, ``nh`` reads None (it is filled when built), as Scapy's AH shows it
    payload_fields = ()
    payload_defaults: dict[str, int] = {}

    fields = (
        ByteField("nh", None, names=IPV6_NH),
        ByteField("payloadlen", None),
        ShortField("reserved", 0),
        IntField("spi", 1),
        IntField("seq", 0),
        RawBytesField("icv", None),
        RawBytesField("padding", None),
    )

    def build_layer(self, payload: bytes) -> bytes:
        hdr = bytearray(self._pack_fixed())
        tail = (self.icv or b"") + (self.padding or b"")
        hdr[0] = self._nh()
        if self.payloadlen is None:
            hdr[1] = ((12 + len(tail)) // 4 - 2) & 0xFF
        return bytes(hdr) + tail + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 12:
            raise Truncated(f"truncated header ({end - off} of 12 bytes)")
        hl = (buf[off + 1] + 2) * 4
        if hl < 12:
            raise ParseError(f"payload length {buf[off + 1]} is too small")
        if off + hl > end:
            raise Truncated(f"truncated header ({end - off} of {hl} bytes)")
        self._unpack_fixed(buf, off)
        self.icv = buf[off + 12:off + hl]
        self.padding = b""
        return off + hl, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        # AH serves IPv4 too: its next header may be one only IPv4 binds (ICMP)
        return (next_header_class(self.nh, buf, off, end)
                or IP._dissect_table.get(("proto", self.nh)))

    def summary_part(self) -> str:
        return f"AH spi={self.spi:#x} seq={self.seq}"


EXTENSION_HEADERS = (IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
                     IPv6ExtHdrFragment, AH)

# one table for every header that ends in "nh": a binding made for any of them
# (or for IPv6) serves them all
for _cls in EXTENSION_HEADERS:
    _cls._dissect_table = IPv6._dissect_table
