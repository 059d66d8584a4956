"""IPv4 (RFC 791): options, fragments, the header checksum and the pseudo-header."""

from __future__ import annotations

from socket import AF_INET, inet_pton
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.checksum import checksum, pseudo_header_v4
from netprobe.packet.field import (
    BitField,
    ByteField,
    FlagsField,
    IPv4Field,
    ListField,
    ShortField,
)
from netprobe.packet.layer import BUILD_BINDINGS, Layer, LengthNote, ParseError, Truncated
from netprobe.packet.route import resolve_source, source_or_none
from netprobe.packet.sysnames import ip_proto_names

IP_PROTOS = {0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 41: "ipv6",
             43: "ipv6-route", 44: "ipv6-frag", 47: "gre", 50: "esp", 51: "ah", 58: "icmpv6",
             59: "ipv6-nonxt", 60: "ipv6-opts", 89: "ospf", 103: "pim", 112: "vrrp",
             115: "l2tp", 132: "sctp", 136: "udplite"}

_H = Struct("!H")
_from_bytes = int.from_bytes


def check_ip_option(name: str, value: Any) -> tuple[int, bytes]:
    """An IPv4 option: an option layer (``IPOption_RR()``, kept as it is), or (type, data)
    from raw bytes, an int (EOL 0, NOP 1) or a pair."""
    if isinstance(value, Layer) and getattr(value, "is_ip_option", False):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return (value, b"")
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
        if not raw:
            raise UsageError(f"{name}: empty option")
        if raw[0] in (0, 1):
            return (raw[0], raw[1:])
        return (raw[0], raw[2:])
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], int):
        data = value[1]
        if isinstance(data, str):
            try:
                data = bytes.fromhex(data)
            except ValueError:
                raise UsageError(f"{name}: option {value[0]}: {data!r} is not hex") from None
        if not 0 <= value[0] <= 255 or not isinstance(data, (bytes, bytearray)) or len(data) > 38:
            raise UsageError(f"{name}: bad option {value!r}")
        return (value[0], bytes(data))
    raise UsageError(f"{name}: an option is bytes, 0/1 or (type, data); got {value!r}")


def encode_ip_options(options: list[tuple[int, bytes]] | None) -> bytes:
    """Options as bytes, zero-padded to a multiple of four."""
    if not options:
        return b""
    out = bytearray()
    for item in options:
        if not isinstance(item, tuple):  # an option layer
            out += item.build()
            continue
        kind, data = item
        if kind < 0:  # bytes that did not read as options: kept as they were
            out += data
        elif kind in (0, 1) and not data:
            out.append(kind)
        else:
            out += bytes((kind, len(data) + 2)) + data
    if len(out) % 4:
        out += b"\x00" * (4 - len(out) % 4)
    return bytes(out)


def option_pair(option: Any) -> tuple[int, bytes]:
    """An option as (type, data), whether a layer or already a pair."""
    if isinstance(option, tuple):
        return option
    raw = option.build()
    return (raw[0], raw[2:]) if raw and raw[0] not in (0, 1) else (raw[0] if raw else 0, b"")


class IP(Layer):
    """An IPv4 header. ``ihl``, ``len``, ``proto``, ``chksum`` and ``src`` fill themselves."""

    ls_kinds = {"src": "SourceIPField", "dst": "DestIPField"}
    ls_defaults = {"proto": 0, "dst": None}
    fields = (
        BitField("version", 4, 4),
        BitField("ihl", None, 4),
        ByteField("tos", 0),
        ShortField("len", None),
        ShortField("id", 1),
        FlagsField("flags", 0, 3, ("MF", "DF", "evil")),
        BitField("frag", 0, 13),
        ByteField("ttl", 64),
        ByteField("proto", None, names=IP_PROTOS),
        ShortField("chksum", None),
        IPv4Field("src", None),
        IPv4Field("dst", "127.0.0.1"),
        ListField("options", [], item_check=check_ip_option),
    )
    payload_fields = ("proto",)
    computed_fields = ("src",)
    deletable_fields = ("ttl", "ihl", "len", "chksum")
    dissect_keys = ("proto",)
    checksum = ("chksum", "header")
    __slots__ = ("_key",)
    hex_fields = frozenset(("tos", "chksum"))
    shown_tables = {"proto": ip_proto_names}
    packet_lists = frozenset(("options",))

    def auto_src(self) -> str:
        """The source address the route hook gives for ``dst``."""
        return resolve_source(self.dst)

    def shown_default(self, name: str) -> Any:
        dst = self.dst
        if isinstance(dst, list) and dst:  # a set of destinations: the route to the first
            dst = dst[0]
        if name == "src" and isinstance(dst, str):
            return source_or_none(dst) or "0.0.0.0"
        return None

    def overloaded_by(self, upper: Layer) -> dict[str, Any]:
        # a protocol bound on IP fills ``frag`` too (Scapy's overloaded fields), unless
        # Scapy binds it by ``proto`` alone (VRRP, IGMP: ``ip_frag_bound = False``)
        if not getattr(upper, "ip_frag_bound", True):
            return {}
        return {"frag": 0} if BUILD_BINDINGS.get((type(self), type(upper))) else {}

    def mysummary(self) -> str:
        from netprobe.packet.present import value_text

        src = self.src if self.src is not None else self.shown_default("src")
        frag = f" frag:{self.frag}" if self.frag else ""
        return f"{src} > {self.dst} {value_text(self, 'proto')}{frag}"

    def build_tail(self) -> bytes:
        return encode_ip_options(self.options)

    def build_layer(self, payload: bytes) -> bytes:
        hdr = bytearray(self._pack_fixed())
        if self.options:
            hdr += encode_ip_options(self.options)
        if self._f_ihl is None:
            hdr[0] = (hdr[0] & 0xF0) | ((len(hdr) >> 2) & 0x0F)
        if self._f_len is None:
            # trailing padding (the frame's, not ours) is outside the total length
            _H.pack_into(hdr, 2, (len(hdr) + len(payload) - self.outside_bytes()) & 0xFFFF)
        if self._f_chksum is None:
            _H.pack_into(hdr, 10, checksum(hdr))
        return bytes(hdr) + payload

    def pseudo_header(self, proto: int, length: int) -> bytes:
        """The pseudo-header for an upper-layer checksum over ``length`` bytes.

        As Scapy computes it: a total length set by hand gives the length the
        receiver will assume (total length less the header), and with one source
        route option the destination is the route's final address (RFC 791).
        """
        src = self._f_src
        if src is None:
            src = self.auto_src()
        options = self.options
        if self._f_len is not None:
            ihl = self._f_ihl
            if ihl is None:
                ihl = 5 + len(encode_ip_options(options)) // 4
            length = max(self._f_len - 4 * ihl, 0)
        dst = inet_pton(AF_INET, self.dst)
        if options:
            routes = [data for kind, data in map(option_pair, options) if kind in (131, 137)]
            if len(routes) == 1 and len(routes[0]) >= 5:
                last = (len(routes[0]) - 1) // 4 * 4 + 1
                dst = routes[0][last - 4:last]
        return pseudo_header_v4(inet_pton(AF_INET, src), dst, proto, length)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 20:
            raise Truncated(f"truncated header ({end - off} of 20 bytes)")
        b0 = buf[off]
        if b0 >> 4 != 4:
            self.note(f"version is {b0 >> 4}, not 4")
        hl = (b0 & 0x0F) * 4
        if hl < 20:
            raise ParseError(f"header length {hl} is less than 20")
        if off + hl > end:
            raise Truncated(f"options cut short ({end - off} of {hl} header bytes)")
        self._key = None if (buf[off + 6] & 0x1F or buf[off + 7]) else buf[off + 9]
        self._unpack_fixed(buf, off)
        if hl > 20:
            self.decode_tail(buf, off)
        else:
            self.options = []
        tl = buf[off + 2] << 8 | buf[off + 3]
        if tl == 0:
            # TSO / BIG TCP captures carry 0 here; the payload runs to the end.
            pend = end
        elif tl < hl:
            self.note(f"total length {tl} is less than the header length {hl}")
            pend = end
        elif off + tl > end:
            under = self._under
            if under is None or not getattr(under, "quotes_packet", False):
                self.note(LengthNote(f"total length {tl} exceeds the {end - off} bytes "
                                     "captured"))
            pend = end
        else:
            pend = off + tl
        return off + hl, pend

    def decode_tail(self, buf: bytes, off: int) -> None:
        hl = (buf[off] & 0x0F) * 4
        if hl > 20:
            # options read as option layers (IPOption_RR...), as Scapy reads them; their
            # module is imported only when a header has options
            from netprobe.packet.layers.ip_options import read_ip_options

            opts, problem = read_ip_options(bytes(buf[off + 20:off + hl]))
            self.options = opts
            if problem:
                self.note(problem)
        else:
            self.options = []

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self._key is None:
            return None  # a later fragment: the bytes do not start a header
        return self._dissect_table.get(("proto", self._key))

    # -- matching -------------------------------------------------------------------------------
    #: the exact-match key (``netprobe.packet.matchkey``), what ``answers`` compares: the
    #: answer comes from the probe's destination (its own destination is not checked)
    match_fields = (("src", "dst"),)

    def hashkey(self) -> bytes:
        p = self._payload
        if p is not None and getattr(p, "quotes_packet", False):
            return p.hashkey()
        key = (_from_bytes(inet_pton(AF_INET, self._f_src or self.auto_src()), "big")
               ^ _from_bytes(inet_pton(AF_INET, self.dst), "big"))
        proto = self._f_proto if self._f_proto is not None else (
            0 if p is None else self._auto_proto())
        return key.to_bytes(4, "big") + bytes((proto,)) + (p.hashkey() if p is not None else b"")

    def _auto_proto(self) -> int:
        from netprobe.packet.layer import _upper_value

        return _upper_value(self, "proto")

    def answers(self, other: Layer) -> bool | int:
        # 0 where the IP header itself rules an answer out, as Scapy's IP says it
        if not isinstance(other, IP):
            return 0
        p = self._payload
        if p is not None and getattr(p, "quotes_packet", False):
            quoted = p._payload
            return isinstance(quoted, IP) and quoted.same_probe(other)
        if other.dst != self.src:
            return 0
        if p is None or other._payload is None:
            return True
        return p.answers(other._payload)

    def same_probe(self, probe: Layer) -> bool:
        """True when this (quoted) header is the header of ``probe``."""
        if not isinstance(probe, IP) or self.dst != probe.dst:
            return False
        if self._payload is None or probe._payload is None:
            return True
        quoted = self._payload
        same = getattr(quoted, "same_probe", None)
        return same(probe._payload) if same is not None else True

    def summary_part(self) -> str:
        proto = IP_PROTOS.get(self.proto, str(self.proto)) if self.proto is not None else ""
        return f"IP {self.src} > {self.dst} {proto}".rstrip()
