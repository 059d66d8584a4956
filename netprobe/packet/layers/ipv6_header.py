"""The IPv6 header (RFC 8200) and the next-header chain shared with extension headers.

IPv6, its extension headers and AH all end in a ``nh`` byte naming what comes
next. They share one dissection table (``IPv6._dissect_table``) and the
helpers here: choosing the next class, filling an unset ``nh`` when building,
walking down to the pseudo-header an upper-layer checksum needs, and skipping
extension headers to reach the upper layer when matching.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from socket import AF_INET6, inet_pton
from struct import Struct
from typing import Any

from netprobe.packet.checksum import pseudo_header_v6
from netprobe.packet.field import BitField, ByteField, IPv6Field, ShortField
from netprobe.packet.layer import BUILD_BINDINGS, Layer, LengthNote, bindings_of
from netprobe.packet.layers.ip import IP
from netprobe.packet.route import source_or_none

IPV6_NH = {0: "Hop-by-Hop Option Header", 4: "IP", 6: "TCP", 17: "UDP", 41: "IPv6",
           43: "Routing Header", 44: "Fragment Header", 47: "GRE", 50: "ESP Header",
           51: "AH Header", 58: "ICMPv6", 59: "No Next Header",
           60: "Destination Option Header", 112: "VRRP", 132: "SCTP", 135: "Mobility Header"}

#: nh value -> function choosing the class from the first bytes (ICMPv6 picks by type)
NH_CHOOSERS: dict[int, Callable[[bytes, int, int], type[Layer] | None]] = {}

_H = Struct("!H")
_I = Struct("!I")
_from_bytes = int.from_bytes
#: nh of "no next header": nothing follows, whatever the length says
NO_NEXT_HEADER = 59
_JUMBO = 0xC2


def next_header_class(nh: int, buf: bytes, off: int, end: int) -> type[Layer] | None:
    """The class of the header that ``nh`` announces at ``buf[off:end]`` (None: Raw)."""
    chooser = NH_CHOOSERS.get(nh)
    if chooser is not None:
        return chooser(buf, off, end)
    return IPv6._dissect_table.get(("nh", nh))


def upper_nh(layer: Layer) -> int:
    """The ``nh`` value for the layer above ``layer`` (59, "no next header", if none).

    A binding made for IPv6 serves every extension header too, and one made for
    IPv4's ``proto`` (ICMP above AH) is used when no IPv6 binding exists.
    """
    p = layer._payload
    if p is None:
        return NO_NEXT_HEADER
    up = type(p)
    for key in ((type(layer), up), (IPv6, up)):
        d = bindings_of(*key)
        if d is not None and "nh" in d:
            return d["nh"]
    d = BUILD_BINDINGS.get((IP, up))
    if d is not None and "proto" in d:
        return d["proto"]
    return NO_NEXT_HEADER


def is_extension(layer: Any) -> bool:
    """True for IPv6 extension headers (and AH), which sit between IPv6 and its upper layer."""
    return getattr(layer, "is_extension_header", False)


def pseudo_header_below(layer: Layer) -> Callable[[int, int], bytes] | None:
    """The pseudo-header function for a checksum computed above ``layer``, or None.

    Walks down through extension headers. As Scapy does (RFC 8200 section 8.1),
    the destination is the last address of the first Routing header met with
    addresses and segments left, and the source is the home address of a
    Destination Options header holding only a Home Address option.
    """
    final_dst = None
    home = None
    cur: Layer | None = layer
    while cur is not None and is_extension(cur):
        if final_dst is None:
            final_dst = getattr(cur, "routing_final_destination", lambda: None)()
        hoa = getattr(cur, "home_address", lambda: None)()
        if hoa is not None:
            home = hoa
        cur = cur._under
    if isinstance(cur, IPv6):
        return partial(cur.pseudo_header, dst=final_dst, src=home)
    if cur is not None:
        return getattr(cur, "pseudo_header", None)
    return None


def _jumbo_length(buf: bytes, hbh: int, end: int) -> int | None:
    """The Jumbo Payload option's length in the Hop-by-Hop header at ``hbh``, or None."""
    if hbh + 2 > end:
        return None
    stop = min(end, hbh + 8 * (buf[hbh + 1] + 1))
    i = hbh + 2
    while i < stop:  # each pass advances at least one byte
        kind = buf[i]
        if kind == 0:
            i += 1
            continue
        if i + 1 >= stop:
            return None
        olen = buf[i + 1]
        if kind == _JUMBO and olen == 4 and i + 6 <= stop:
            return _I.unpack_from(buf, i + 2)[0]
        i += 2 + olen
    return None


def _quoted(layer: Layer) -> bool:
    """True when ``layer`` is (inside) a packet quoted by an ICMP/ICMPv6 error."""
    under = layer._under
    while under is not None and is_extension(under):
        under = under._under
    return under is not None and getattr(under, "quotes_packet", False)


class IPv6(Layer):
    """An IPv6 header. ``plen``, ``nh``, ``hlim`` and ``src`` fill themselves.

    ``hlim`` left unset is 64, or what the layer above asks for (255 for
    Neighbor Discovery, as Scapy does). A payload longer than 65535 bytes gets
    ``plen`` 0 (a jumbogram, RFC 2675).
    """

    ls_kinds = {"src": "SourceIP6Field", "dst": "DestIP6Field"}
    ls_defaults = {"nh": 59, "dst": None}
    fields = (
        BitField("version", 6, 4),
        BitField("tc", 0, 8),
        BitField("fl", 0, 20),
        ShortField("plen", None),
        ByteField("nh", None, names=IPV6_NH),
        ByteField("hlim", 64),
        IPv6Field("src", None),
        IPv6Field("dst", "::1"),
    )
    bound_in = "netprobe.packet.layers.ipv6"
    payload_fields = ("nh", "hlim")
    computed_fields = ("src",)
    payload_defaults = {"nh": NO_NEXT_HEADER, "hlim": 64}
    dissect_keys = ("nh",)

    auto_src = IP.auto_src

    def shown_default(self, name: str) -> Any:
        if name == "src" and isinstance(self.dst, str):
            return source_or_none(self.dst) or "::"
        return None

    def overloaded_by(self, upper: Layer) -> dict[str, Any]:
        return {"nh": upper_nh(self)}

    def mysummary(self) -> str:
        src = self.src if self.src is not None else self.shown_default("src")
        nh = self.nh if self.nh is not None else upper_nh(self)
        return f"{src} > {self.dst} ({nh})"

    # -- building -------------------------------------------------------------------------------
    def build_layer(self, payload: bytes) -> bytes:
        hdr = bytearray(self._pack_fixed())
        if self.plen is None:
            n = len(payload)
            _H.pack_into(hdr, 4, n if n <= 0xFFFF else 0)
        if self._f_nh is None:
            hdr[6] = upper_nh(self)
        return bytes(hdr) + payload

    def pseudo_header(self, proto: int, length: int, dst: str | None = None,
                      src: str | None = None) -> bytes:
        """The pseudo-header for an upper-layer checksum over ``length`` bytes.

        ``dst``/``src`` replace the header's addresses (a Routing header's final
        destination, a Home Address option); extension headers pass them.
        """
        if src is None:
            src = self._f_src if self._f_src is not None else self.auto_src()
        return pseudo_header_v6(inet_pton(AF_INET6, src),
                                inet_pton(AF_INET6, dst or self.dst), proto, length)

    # -- dissection -----------------------------------------------------------------------------
    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        poff, _ = Layer.parse(self, buf, off, end)  # the fixed 40 bytes
        if buf[off] >> 4 != 6:
            self.note(f"version is {buf[off] >> 4}, not 6")
        plen = self.plen
        if plen == 0:
            nh = self.nh
            if nh == NO_NEXT_HEADER:
                return poff, poff
            if nh != 0:
                return poff, end  # segmentation offload captures carry 0: runs to the end
            jumbo = _jumbo_length(buf, poff, end)
            if jumbo is None:
                self.note("payload length 0 without a Jumbo Payload option")
                return poff, end
            plen = jumbo
        if poff + plen > end:
            if not _quoted(self):
                self.note(LengthNote(f"payload length {plen} exceeds the {end - poff} bytes "
                                     "captured"))
            return poff, end
        return poff, poff + plen

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return next_header_class(self.nh, buf, off, end)

    # -- matching -------------------------------------------------------------------------------
    def _upper(self) -> tuple[Layer | None, Layer]:
        """(upper layer above any extension headers, the layer right under it)."""
        below: Layer = self
        up = self._payload
        while up is not None and is_extension(up):
            below = up
            up = up._payload
        return up, below

    def final_destination(self) -> str:
        """Where the packet ends up: the last address of a Routing header, else ``dst``."""
        p = self._payload
        while p is not None and is_extension(p):
            d = getattr(p, "routing_final_destination", lambda: None)()
            if d is not None:
                return d
            p = p._payload
        return self.dst

    #: the exact-match key (``netprobe.packet.matchkey``), what ``answers`` compares for a
    #: unicast probe without a Routing header: the addresses, swapped
    match_fields = (("src", "dst"), ("dst", "src"))

    def hashkey(self) -> bytes:
        up, below = self._upper()
        if up is not None and getattr(up, "quotes_packet", False):
            return up.hashkey()
        nh = below.nh if below.nh is not None else upper_nh(below)
        if up is not None and getattr(up, "ignores_addresses", False):
            # Neighbor Discovery goes to multicast groups and is answered from
            # unicast addresses: only the message itself can pair them
            return bytes((nh,)) + up.hashkey()
        src = self._f_src if self._f_src is not None else self.auto_src()
        key = (_from_bytes(inet_pton(AF_INET6, src), "big")
               ^ _from_bytes(inet_pton(AF_INET6, self.final_destination()), "big"))
        return key.to_bytes(16, "big") + bytes((nh,)) + (up.hashkey() if up is not None
                                                          else b"")

    def answers(self, other: Layer) -> bool:
        if not isinstance(other, IPv6):
            return False
        up, _ = self._upper()
        if up is not None and getattr(up, "quotes_packet", False):
            quoted = up._payload
            return isinstance(quoted, IPv6) and quoted.same_probe(other)
        if _multicast(other.dst):
            # a reply to a group comes from a member; it goes back to the sender
            # unless it is itself sent to a group (the sender of a duplicate address
            # check has no address yet: it is answered on all-nodes, RFC 4861 7.2.4)
            if _multicast(self.dst):
                if self.dst != other.dst and not (other.src == "::" and self.dst == "ff02::1"):
                    return False
            elif self.dst != other.src:
                return False
        elif self.dst != other.src or self.src != other.final_destination():
            return False
        oup, _ = other._upper()
        if up is None or oup is None:
            return True
        return up.answers(oup)

    def same_probe(self, probe: Layer) -> bool:
        """True when this (quoted) header is the header of ``probe``."""
        if not isinstance(probe, IPv6):
            return False
        # a Routing header changes dst on the way: the quote shows the hop it was at
        if probe.final_destination() == probe.dst and self.dst != probe.dst:
            return False
        up, _ = self._upper()
        pup, _ = probe._upper()
        if up is None or pup is None:
            return True
        same = getattr(up, "same_probe", None)
        return same(pup) if same is not None else True

    def summary_part(self) -> str:
        nh = IPV6_NH.get(self.nh, str(self.nh)) if self.nh is not None else ""
        return f"IPv6 {self.src} > {self.dst} {nh}".rstrip()


def _multicast(addr: str | None) -> bool:
    return bool(addr) and addr[:2].lower() == "ff"
