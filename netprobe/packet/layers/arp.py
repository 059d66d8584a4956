"""ARP and RARP (RFC 826, RFC 903), for any hardware and protocol address sizes.

Addresses are shown the way they read: a 6-byte hardware address as MAC text,
a 4-byte address of protocol 0x0800 as IPv4, a 16-byte one of 0x86dd as IPv6;
any other size stays bytes. Unset lengths follow the source addresses; the
target addresses are fitted (zero-padded or cut) to those lengths.
"""

from __future__ import annotations

import ipaddress
from socket import AF_INET, AF_INET6, inet_ntoa, inet_pton
from struct import Struct
from types import ModuleType
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field
from netprobe.packet.field import ByteField, ShortField, TailField
from netprobe.packet.layer import Layer, Truncated, bind_layers, when_imported
from netprobe.packet.layers.ether import ETHER_TYPES, Ether
from netprobe.packet.route import resolve_source
from netprobe.packet.sysnames import ether_type_names

__all__ = ["ARP"]

#: IANA hardware types
HARDWARE_TYPES = {1: "ethernet", 2: "experimental-ethernet", 3: "ax25", 6: "ieee802",
                  7: "arcnet", 15: "frame-relay", 16: "atm", 17: "hdlc", 18: "fibre-channel",
                  20: "serial", 24: "ieee1394", 32: "infiniband"}

#: operation codes; the names are Scapy's (RFC 826, RFC 903, RFC 1931, RFC 2390)
ARP_OPS = {1: "who-has", 2: "is-at", 3: "RARP-req", 4: "RARP-rep", 5: "Dyn-RARP-req",
           6: "Dyn-RARP-rep", 7: "Dyn-RARP-err", 8: "InARP-req", 9: "InARP-rep"}

#: hardware type names as Scapy shows them
HARDWARE_TYPE_NAMES = {1: "Ethernet (10Mb)", 2: "Ethernet (3Mb)", 3: "AX.25",
                       4: "Proteon ProNET Token Ring", 5: "Chaos", 6: "IEEE 802 Networks",
                       7: "ARCNET", 8: "Hyperchannel", 9: "Lanstar",
                       10: "Autonet Short Address", 11: "LocalTalk", 12: "LocalNet",
                       13: "Ultra link", 14: "SMDS", 15: "Frame relay", 16: "ATM", 17: "HDLC",
                       18: "Fibre Channel", 19: "ATM", 20: "Serial Line", 21: "ATM"}
#: operation names as Scapy shows them (its sixth is spelled so)
_SHOWN_OPS = {**ARP_OPS, 6: "Dyn-RAR-rep"}


#: reply operation -> the request it answers
_REQUEST_OF = {2: 1, 4: 3, 6: 5, 7: 5, 9: 8}

_HDR = Struct("!HHBBH")
_KEY = Struct("!HHH")
_ZERO_MAC = bytes(6)
_AF6_OR_4 = {True: AF_INET6, False: AF_INET}
#: addresses compared in hash keys: the protocol's own size, so that a reply whose
#: length byte is wrong (an "ARP leak" of extra memory) still meets its request
_KEY_PLEN = {0x0800: 4, 0x86DD: 16}
#: the most addresses one network may expand to in a field
_MAX_NET = 1 << 16


class HwAddrField(TailField):
    """A hardware address: MAC text when it has 6 bytes, bytes otherwise."""

    __slots__ = ()
    settable = True

    def check_one(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
        elif isinstance(value, str):
            try:
                raw = bytes.fromhex(value.replace(":", "").replace("-", "").replace(".", ""))
            except ValueError:
                raise UsageError(f"{self.name}: {value!r} is not a hardware address "
                                 "(aa:bb:cc:dd:ee:ff, or bytes)") from None
        else:
            raise UsageError(f"{self.name}: expected a MAC address or bytes, got {value!r}")
        if len(raw) > 255:
            raise UsageError(f"{self.name}: {len(raw)} bytes is more than 255")
        return raw.hex(":") if len(raw) == 6 else raw

    def to_json(self, value: Any) -> Any:
        return bytes(value).hex() if isinstance(value, (bytes, bytearray)) else value


class ProtoAddrField(TailField):
    """A protocol address: IPv4 or IPv6 text, bytes for other protocols.

    A network (``198.18.0.0/24``) or a list makes the packet a set, as for IP.
    """

    __slots__ = ()
    settable = True

    def check(self, value: Any) -> Any:
        if type(value) is str and "/" not in value:
            try:
                inet_pton(AF_INET, value)
                return value
            except OSError:
                pass
        v = super().check(value)
        if isinstance(v, field.SetValue):  # networks inside a list flatten into one set
            flat = v.flattened()
            flat.given = None  # ARP shows the addresses, not the list as given
            return flat
        return v

    def check_one(self, value: Any) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            if len(raw) > 255:
                raise UsageError(f"{self.name}: {len(raw)} bytes is more than 255")
            return raw
        if isinstance(value, str) and "/" in value:
            try:
                net = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise UsageError(f"{self.name}: {value!r} is not a network") from None
            if net.num_addresses > _MAX_NET:
                raise UsageError(f"{self.name}: {value} has {net.num_addresses} addresses; "
                                 f"at most {_MAX_NET} per field")
            return field.SetValue(str(a) for a in net)
        try:
            return ipaddress.ip_address(value).compressed
        except (ValueError, TypeError):
            raise UsageError(f"{self.name}: {value!r} is not an IPv4 or IPv6 address "
                             "(or bytes)") from None

    to_json = HwAddrField.to_json


def _hw_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return field._mac_to_bytes(value) if type(value) is str else value


def _proto_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return inet_pton(_AF6_OR_4[":" in value], value) if type(value) is str else value


def _fit(raw: bytes, n: int) -> bytes:
    """``raw`` made exactly ``n`` bytes long: cut, or padded with zeros."""
    if len(raw) == n:
        return raw
    return raw[:n] if len(raw) > n else raw + bytes(n - len(raw))


class ARP(Layer):
    """An ARP or RARP message. ``hwlen``/``plen`` follow the source addresses when unset;
    an unset ``psrc`` is the source address of the route to ``pdst``.

    Requests and their replies share a hash key (kind of message and the address
    asked about); ``answers`` pairs who-has/is-at, RARP, dynamic RARP and InARP.
    """

    hex_fields = frozenset(("hwtype", "ptype"))
    shown_tables = {"hwtype": lambda: HARDWARE_TYPE_NAMES, "ptype": ether_type_names,
                    "op": lambda: _SHOWN_OPS}
    ls_kinds = {"hwlen": "FieldLenField", "plen": "FieldLenField",
                "hwsrc": "MultipleTypeField (SourceMACField, StrFixedLenField)",
                "psrc": "MultipleTypeField (SourceIPField, SourceIP6Field, StrFixedLenField)",
                "hwdst": "MultipleTypeField (MACField, StrFixedLenField)",
                "pdst": "MultipleTypeField (IPField, IP6Field, StrFixedLenField)"}
    ls_defaults = {"hwdst": None, "pdst": None}
    fields = (
        ShortField("hwtype", 1, names=HARDWARE_TYPES),
        ShortField("ptype", 0x0800, names=ETHER_TYPES),
        ByteField("hwlen", None),
        ByteField("plen", None),
        ShortField("op", 1, names=ARP_OPS),
        HwAddrField("hwsrc", None),
        ProtoAddrField("psrc", None),
        HwAddrField("hwdst", "00:00:00:00:00:00"),
        ProtoAddrField("pdst", "0.0.0.0"),
    )
    computed_fields = ("psrc", "hwsrc")
    #: ``a.op = "is-at"`` is stored as 2, and ``del a.op`` gives 1 back, as in Scapy
    deletable_fields = ("op",)

    def auto_src(self) -> str:
        """The source address the route hook gives for ``pdst``."""
        if not isinstance(self.pdst, str):
            raise UsageError("ARP.psrc: set it explicitly (pdst is not an IP address)")
        return resolve_source(self.pdst)

    # -- building -------------------------------------------------------------------------------
    def build_layer(self, payload: bytes) -> bytes:
        hs = _hw_bytes(self.hwsrc)
        ps = _proto_bytes(self._f_psrc if self._f_psrc is not None else self.auto_src())
        hl = len(hs) if self.hwlen is None else self.hwlen
        pl = len(ps) if self.plen is None else self.plen
        return b"".join((_HDR.pack(self.hwtype, self.ptype, hl, pl, self.op),
                         _fit(hs, hl), _fit(ps, pl), _fit(_hw_bytes(self.hwdst), hl),
                         _fit(_proto_bytes(self.pdst), pl), payload))

    def build_tail(self) -> bytes:
        return self.build_layer(b"")[_HDR.size:]

    # -- dissection -----------------------------------------------------------------------------
    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        pos, _ = Layer.parse(self, buf, off, end)  # the fixed header
        stop = pos + 2 * (self.hwlen + self.plen)
        if stop > end:
            raise Truncated(f"addresses cut short ({end - off} of {stop - off} bytes; "
                            f"hwlen {self.hwlen}, plen {self.plen})")
        self.decode_tail(buf, off)
        # ARP carries nothing: whatever follows is padding.
        return stop, stop

    def decode_tail(self, buf: bytes, off: int) -> None:
        hl, pl, pt = self.hwlen, self.plen, self.ptype
        i = off + 8
        hs, ps = buf[i:i + hl], buf[i + hl:i + hl + pl]
        i += hl + pl
        hd, pd = buf[i:i + hl], buf[i + hl:i + hl + pl]
        if hl == 6:
            self.hwsrc, self.hwdst = hs.hex(":"), hd.hex(":")
        else:
            self.hwsrc, self.hwdst = hs, hd
        if pl == 4 and pt == 0x0800:
            self.psrc, self.pdst = inet_ntoa(ps), inet_ntoa(pd)
        elif pl == 16 and pt == 0x86DD:
            self.psrc, self.pdst = field._ip6_text(ps), field._ip6_text(pd)
        else:
            self.psrc, self.pdst = ps, pd

    # -- matching -------------------------------------------------------------------------------
    def _key_proto(self, value: Any) -> bytes:
        raw = _proto_bytes(value)
        n = _KEY_PLEN.get(self.ptype)
        return raw[:n] if n else raw

    def hashkey(self) -> bytes:
        """Hardware and protocol types, the request's operation and the address asked about.

        who-has/is-at: the protocol address asked for (request ``pdst`` = reply
        ``psrc``); RARP and dynamic RARP: the target hardware address (``hwdst``);
        InARP: the responder's hardware address (request ``hwdst`` = reply ``hwsrc``).
        """
        op = self.op
        req = _REQUEST_OF.get(op, op)
        if req == 1:
            addr = self._key_proto(self.pdst if op == 1 else self.psrc)
        elif req in (3, 5):
            addr = _hw_bytes(self.hwdst)
        elif req == 8:
            addr = _hw_bytes(self.hwdst if op == 8 else self.hwsrc)
        else:
            addr = b""
        return _KEY.pack(self.hwtype, self.ptype, req) + addr

    def answers(self, other: Layer) -> bool:
        """True for a reply to ``other``: is-at for who-has (its ``psrc`` is what was asked),
        RARP and dynamic-RARP replies (same target ``hwdst``), InARP replies."""
        if not isinstance(other, ARP) or _REQUEST_OF.get(self.op) != other.op:
            return False
        if other.op == 1:
            # Compared over the protocol's own address size (and the shorter of the
            # two), so that a leaking reply (plen too large, memory after the
            # address) still meets its request, as in the hash key.
            mine, asked = self._key_proto(self.psrc), other._key_proto(other.pdst)
            n = min(len(mine), len(asked))
            return n > 0 and mine[:n] == asked[:n]
        if other.op == 8:
            return _hw_bytes(self.hwsrc) == _hw_bytes(other.hwdst)
        return _hw_bytes(self.hwdst) == _hw_bytes(other.hwdst)

    @property
    def gratuitous(self) -> bool:
        """True for a gratuitous ARP: an announcement whose sender and target address agree."""
        return self.op in (1, 2) and self._f_psrc is not None and self._f_psrc == self.pdst

    def shown_default(self, name: str) -> Any:
        if name == "psrc" and isinstance(self.pdst, str):
            from netprobe.packet.route import source_or_none

            return source_or_none(self.pdst) or "0.0.0.0"
        if name == "hwsrc":
            from netprobe.packet.route import source_mac

            return source_mac(self.pdst)
        return None

    def mysummary(self) -> str:
        psrc = self.psrc if self.psrc is not None else self.shown_default("psrc")
        hwsrc = self.hwsrc if self.hwsrc is not None else self.shown_default("hwsrc")
        if self.op == 1:
            return f"ARP who has {self.pdst} says {psrc}"
        if self.op == 2:
            return f"ARP is at {hwsrc} says {psrc}"
        return f"ARP {_SHOWN_OPS.get(self.op, self.op)} {psrc} > {self.pdst}"

    def summary_part(self) -> str:
        if self.op == 1:
            return f"ARP who has {self.pdst} says {self.psrc}"
        if self.op == 2:
            return f"ARP is at {self.hwsrc} says {self.psrc}"
        return f"ARP {ARP_OPS.get(self.op, self.op)} {self.psrc} > {self.pdst}"


def _bind_under(lower: type[Layer], key: str) -> None:
    # RARP (0x8035) is the same message and is dissected alike, but building picks 0x0806
    # unless told otherwise
    bind_layers(lower, ARP, **{key: 0x0806})
    lower._dissect_table.setdefault((key, 0x8035), ARP)


def bind_under_link(link: ModuleType) -> None:
    """Bind ARP under the link family's headers that carry ethertypes (802.1Q/ad tags,
    SNAP, Linux cooked), once that family is imported: an ARP on Ethernet (a LAN
    scan's discovery) does not import it."""
    for lower, key in ((link.Dot1Q, "type"), (link.Dot1AD, "type"), (link.SNAP, "code"),
                       (link.CookedLinux, "proto"), (link.SLL2, "proto")):
        _bind_under(lower, key)


_bind_under(Ether, "type")
when_imported("netprobe.packet.layers.link", bind_under_link)
