"""EDNS(0) options with a layout of their own (RFC 6891 and the option RFCs), as Scapy
2.8 names them: client subnet (RFC 7871), cookie (RFC 7873), DAU/DHU/N3U (RFC 6975),
owner, padding (RFC 7830) and extended DNS error (RFC 8914).

Each is a layer put in ``DNSRROPT.rdata`` beside ``EDNS0TLV`` (the option of any
code, kept as bytes); reading an OPT record makes the class of each option's code
(``OPTION_CLASSES``), and an option whose bytes do not fit that class's layout stays
an ``EDNS0TLV``. ``optlen`` left unset is computed.

Scapy's client subnet keeps an address it was given as the text's bytes
(``address=b'198.18.0.0'`` in ``repr``) and one it read as text; with
``source_plen`` unset it sends the address without its trailing zero bytes and
counts the prefix from what is left. Both are kept, as scripts print them.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.layer import DISSECTED, ParseError, Truncated
from netprobe.packet.layers.dns_sec import DNSSEC_ALGORITHMS, DNSSEC_DIGESTS, NSEC3_HASHES
from netprobe.packet.layers.dns_types import EDNS0_TYPES
from netprobe.packet.packet_class import Packet, fields_then_trailer, fills_length
from netprobe.packet.scapy_fields import (
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    FieldListField,
    MACField,
    ScapyField,
    ShortEnumField,
    ShortField,
    StrLenField,
    XStrFixedLenField,
    XStrLenField,
)

__all__ = ["EDNS0COOKIE", "EDNS0DAU", "EDNS0DHU", "EDNS0N3U", "EDNS0OWN", "EDNS0PADDING",
           "EDNS0ClientSubnet", "EDNS0ExtendedDNSError"]

#: RFC 8914 extended error codes, as Scapy names them
EXTENDED_ERRORS: dict[int, str] = {
    0: "Other", 1: "Unsupported DNSKEY Algorithm", 2: "Unsupported DS Digest Type",
    3: "Stale Answer", 4: "Forged Answer", 5: "DNSSEC Indeterminate", 6: "DNSSEC Bogus",
    7: "Signature Expired", 8: "Signature Not Yet Valid", 9: "DNSKEY Missing",
    10: "RRSIGs Missing", 11: "No Zone Key Bit Set", 12: "NSEC Missing", 13: "Cached Error",
    14: "Not Ready", 15: "Blocked", 16: "Censored", 17: "Filtered", 18: "Prohibited",
    19: "Stale NXDOMAIN Answer", 20: "Not Authoritative", 21: "Not Supported",
    22: "No Reachable Authority", 23: "Network Error", 24: "Invalid Data",
    25: "Signature Expired before Valid", 26: "Too Early",
    27: "Unsupported NSEC3 Iterations Value", 28: "Unable to conform to policy",
    29: "Synthesized"}

_HH = struct.Struct("!HH")
_DEFAULT_V4 = b"192.168.0.0"
_DEFAULT_V6 = b"2001:db8::"


def _optlen(pkt: Any) -> int:
    return pkt.optlen or 0


class _EDNS0Option(Packet):
    """What every option shares: its code, then its length (computed when unset)."""

    held_in_fields = True  # pkt[EDNS0COOKIE] finds it in its OPT record, as Scapy's lookup

    post_build = fills_length("optlen", 2, uncounted=4)

    parse = fields_then_trailer("option")


def _head(code: int) -> list[Any]:
    return [ShortEnumField("optcode", code, EDNS0_TYPES), FieldLenField("optlen", None)]


# -- client subnet ------------------------------------------------------------------------------
def _family_of(pkt: Any) -> int:
    return socket.AF_INET6 if pkt.family == 2 else socket.AF_INET


def _address_text(pkt: Any, value: Any) -> str:
    if value is None or (value is _DEFAULT_V4 and pkt.family == 2):
        value = _DEFAULT_V6 if pkt.family == 2 else _DEFAULT_V4
    return value.decode() if isinstance(value, bytes) else str(value)


def _packed(pkt: Any, value: Any) -> bytes:
    text = _address_text(pkt, value)
    try:
        return socket.inet_pton(_family_of(pkt), text)
    except (OSError, ValueError):
        raise UsageError(f"EDNS0ClientSubnet.address: {text!r} is not an "
                         f"{'IPv6' if pkt.family == 2 else 'IPv4'} address") from None


class SourcePrefixField(FieldLenField):
    """``source_plen``: unset, the bits of the address without its trailing zero bytes."""

    ls_kind = "FieldLenField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, fmt="B")

    def compute(self, pkt: Any, payload: bytes) -> int:
        return len(_packed(pkt, pkt.address).rstrip(b"\x00")) * 8


class ClientSubnetField(ScapyField, F.TailField):
    """The address of a client subnet option: the first ``source_plen`` bits only."""

    def __init__(self, name: str, default: Any) -> None:
        F.TailField.__init__(self, name, default)
        self.auto = False

    ls_kind = "MultipleTypeField (ClientSubnetv4, ClientSubnetv6, ClientSubnetv4)"

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.encode()  # as Scapy keeps it: the text's bytes
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        raise UsageError(f"{self.name}: expected an address, got {value!r}")

    def check(self, value: Any) -> Any:
        return None if value is None else self.check_one(value)

    def put(self, pkt: Any, value: Any) -> bytes:
        raw = _packed(pkt, value)
        plen = pkt.source_plen or 0
        n = min(-(-plen // 8), len(raw))
        out = bytearray(raw[:n])
        if n and plen % 8:
            out[-1] &= (0xFF << (8 - plen % 8)) & 0xFF
        return bytes(out)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        size = 16 if pkt.family == 2 else 4
        n = -(-(pkt.source_plen or 0) // 8)
        if n > size or off + n > end:
            raise Truncated(f"{self.name}: {n} bytes needed, {max(end - off, 0)} left")
        raw = buf[off:off + n].ljust(size, b"\x00")
        return socket.inet_ntop(_family_of(pkt), raw), off + n

    def i2repr(self, pkt: Any, value: Any) -> str:
        if value is _DEFAULT_V4 and pkt is not None and pkt.family == 2:
            return repr(_DEFAULT_V6)
        return repr(value)

    def to_json(self, value: Any) -> Any:
        return value.decode() if isinstance(value, bytes) else value


class EDNS0ClientSubnet(_EDNS0Option):
    """Client subnet (code 8): the resolver's client network, for answers that depend on it."""

    name = "DNS EDNS0 Client Subnet"
    fields_desc = [
        *_head(8),
        ShortField("family", 1),
        SourcePrefixField("source_plen", None),
        ByteField("scope_plen", 0),
        ClientSubnetField("address", _DEFAULT_V4),
    ]


# -- the others ---------------------------------------------------------------------------------
class _ClientCookieField(XStrFixedLenField):
    """The 8 client bytes of a cookie; a short option reads what it has, as Scapy's."""

    ls_kind = "XStrFixedLenField"

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        stop = min(end, off + 8)
        return buf[off:stop], stop


class EDNS0COOKIE(_EDNS0Option):
    """DNS cookie (code 10): 8 client bytes, then the server's (8 to 32) when it has one."""

    name = "DNS EDNS0 COOKIE"
    fields_desc = [
        *_head(10),
        _ClientCookieField("client_cookie", b"\x00" * 8, length=8),
        XStrLenField("server_cookie", b"", length_from=lambda p: _optlen(p) - 8),
    ]

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        # the commonest option (resolvers send one with every query) read in one go:
        # what the fields' own reading gives, without its steps
        if end - off < 4:
            raise Truncated(f"truncated option ({end - off} of 4 bytes)")
        self.optcode, self.optlen = _HH.unpack_from(buf, off)
        mid = min(end, off + 12)
        stop = min(end, max(mid, off + 4 + self.optlen))
        self.client_cookie = buf[off + 4:mid]
        self.server_cookie = buf[mid:stop]
        return stop, stop


def _algorithm_list(name: str, code: int, table: dict[int, str], title: str) -> type:
    return type(name, (_EDNS0Option,), {
        "__doc__": f"{title} (code {code}): the algorithms the requester understands.",
        "__module__": __name__,
        "name": title,
        "fields_desc": [*_head(code), FieldListField("alg_code", None,
                                                     ByteEnumField("", 0, table),
                                                     length_from=_optlen)],
    })


EDNS0DAU = _algorithm_list("EDNS0DAU", 5, DNSSEC_ALGORITHMS,
                           "DNSSEC Algorithm Understood (DAU)")
EDNS0DHU = _algorithm_list("EDNS0DHU", 6, DNSSEC_DIGESTS, "DS Hash Understood (DHU)")
EDNS0N3U = _algorithm_list("EDNS0N3U", 7, NSEC3_HASHES, "NSEC3 Hash Understood (N3U)")


class EDNS0OWN(_EDNS0Option):
    """Owner option (code 4, EDNS0 Owner / sleep proxy): version, sequence, MAC addresses."""

    name = "EDNS0 Owner (OWN)"
    fields_desc = [
        *_head(4),
        ByteField("v", 0),
        ByteField("s", 0),
        MACField("primary_mac", "00:00:00:00:00:00"),
        ConditionalField(MACField("wakeup_mac", "00:00:00:00:00:00"),
                         lambda p: _optlen(p) >= 14),
        ConditionalField(StrLenField("password", b"", length_from=lambda p: _optlen(p) - 14),
                         lambda p: _optlen(p) >= 18),
    ]


class EDNS0PADDING(_EDNS0Option):
    """Padding (code 12): bytes that hide the message's length."""

    name = "DNS EDNS0 Padding"
    fields_desc = [*_head(12), StrLenField("padding", b"", length_from=_optlen)]


class EDNS0ExtendedDNSError(_EDNS0Option):
    """Extended DNS error (code 15): why an answer failed, with optional text."""

    name = "DNS EDNS0 Extended DNS Error"
    fields_desc = [
        *_head(15),
        ShortEnumField("info_code", 0, EXTENDED_ERRORS),
        StrLenField("extra_text", b"", length_from=lambda p: _optlen(p) - 2),
    ]


#: option code -> class, for reading an OPT record's options
OPTION_CLASSES: dict[int, type[Packet]] = {
    4: EDNS0OWN, 5: EDNS0DAU, 6: EDNS0DHU, 7: EDNS0N3U, 8: EDNS0ClientSubnet,
    10: EDNS0COOKIE, 12: EDNS0PADDING, 15: EDNS0ExtendedDNSError}


#: what reading an option may raise on bad bytes (the option then stays an EDNS0TLV)
_BAD_BYTES = (ParseError, struct.error, ValueError, IndexError, KeyError, TypeError,
              UnicodeError, OverflowError)


def read_option(data: bytes) -> Packet | None:
    """``data`` (one whole option) as the class its code names, or None when that class
    does not read it exactly and cleanly (the caller keeps an ``EDNS0TLV``).

    The option is read by its class's ``parse`` alone (no dissection chain: an option
    has no payload), so that messages with options read about as fast as without.
    """
    cls = OPTION_CLASSES.get(int.from_bytes(data[:2], "big"))
    if cls is None:
        return None
    opt = _new(cls)
    opt._payload = opt._under = opt._errors = None
    try:
        start, _ = opt.parse(data, 0, len(data))
    except _BAD_BYTES:
        return None
    if start != len(data) or opt._errors:
        return None
    opt._meta = DISSECTED
    return opt


_new = object.__new__
