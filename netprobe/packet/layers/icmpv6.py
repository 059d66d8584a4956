"""The ICMPv6 family (RFC 4443, 4861): echo, errors, Neighbor Discovery.

Errors quote the offending IPv6 packet and carry its hash key, so an error
matches the probe that caused it. Destination Unreachable and Time Exceeded
may carry an RFC 4884 extension structure (MPLS label stacks) after the quote.
"""

from __future__ import annotations

from struct import Struct
from typing import Any

from netprobe.packet.field import BitField, ByteField, IntField, RawBytesField, ShortField
from netprobe.packet.fragment import in_first_fragment
from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.icmp import EXTPAD_SHOWN
from netprobe.packet.layers.icmp_extension import (
    ExtensionField,
    attach_extension,
    locate_extension,
)
from netprobe.packet.layers.icmp_quote import IPerror6, quoted_hashkey
from netprobe.packet.layers.icmpv6_message import (
    ICMPv6Message,
    ICMPv6Unknown,
    icmpv6_head,
)
from netprobe.packet.layers.icmpv6_nd import (
    ND_MESSAGES,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
)
from netprobe.packet.layers.ipv6 import IPv6
from netprobe.packet.layers.ipv6_header import NH_CHOOSERS
from netprobe.packet.layers.mld import (
    MLD_DESTINATIONS,
    MLD_MESSAGES,
    ICMPv6MLDMultAddrRec,
    ICMPv6MLDone,
    ICMPv6MLQuery,
    ICMPv6MLQuery2,
    ICMPv6MLReport,
    ICMPv6MLReport2,
    choose_query,
)
from netprobe.packet.shape import scapy_code_names

__all__ = ["ICMPv6DestUnreach", "ICMPv6EchoReply", "ICMPv6EchoRequest", "ICMPv6MLDMultAddrRec",
           "ICMPv6MLDone", "ICMPv6MLQuery", "ICMPv6MLQuery2", "ICMPv6MLReport", "ICMPv6MLReport2",
           "ICMPv6NDOptDstLLAddr",
           "ICMPv6NDOptMTU", "ICMPv6NDOptPrefixInfo", "ICMPv6NDOptSrcLLAddr",
           "ICMPv6NDOptUnknown", "ICMPv6ND_NA", "ICMPv6ND_NS", "ICMPv6ND_RA", "ICMPv6ND_RS",
           "ICMPv6ND_Redirect", "ICMPv6PacketTooBig", "ICMPv6ParamProblem",
           "ICMPv6TimeExceeded", "ICMPv6Unknown"]

_HH = Struct("!HH")

# Scapy's names of the codes, from the one ICMP table (packet/shape.py)
UNREACH_CODES = scapy_code_names(6, 1)
TIME_EXCEEDED_CODES = scapy_code_names(6, 3)
PARAM_PROBLEM_CODES = scapy_code_names(6, 4)


# -- errors -----------------------------------------------------------------------------------
class ICMPv6Error(ICMPv6Message):
    """Base of the error messages: the payload is the quoted IPv6 packet."""

    quotes_packet = True

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return IPerror6

    def hashkey(self) -> bytes:
        return quoted_hashkey(self._payload)

    def summary_part(self) -> str:
        return f"{type(self).__name__} code={self.code}"


class _ExtensibleError(ICMPv6Error):
    """An error whose quote may be followed by an RFC 4884 extension.

    ``length`` counts the quoted data in 8-byte units; left None it is 0, or
    filled when an extension ``ext`` is attached.
    """

    #: a dissected error's ``repr`` lists ``ext`` even when None, as Scapy's
    repr_none_fields = ("ext",)
    #: what follows a quote padded for its extension is the extension, not a trailer
    owns_trailer = True
    ls_defaults = {"length": 0}
    ls_kinds = {"unused": "X3BytesField", "ext": "_ICMPExtensionField"}

    def shown_default(self, name: str) -> Any:
        # unset, the length is 0 unless an extension is attached (Scapy shows 0)
        return 0 if name == "length" else super().shown_default(name)

    def shown_fields(self) -> Any:
        out = list(type(self).fields_desc)
        return [*out[:-1], EXTPAD_SHOWN, out[-1]] if out and out[-1].name == "ext" else out

    def build_layer(self, payload: bytes) -> bytes:
        length = self.length
        if self.ext is not None:
            payload, length = attach_extension(payload, self.ext, length, 8,
                                               self.__dict__.get("_quoted"))
        msg = bytearray(self._pack_fixed())
        if length is not None:
            msg[4] = length & 0xFF
        msg += payload
        return self.checksummed(msg)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        Layer.parse(self, buf, off, end)  # the fixed header
        self.ext = None
        pend = end
        if self.length and end - off > 12:
            self.ext, pend, problem = locate_extension(buf, off + 8, end, self.length, 8,
                                                       False)
            if problem:
                self.note(problem)
            if self.ext is not None:  # held as layers, as Scapy holds it (icmp_ext_layers)
                from netprobe.packet.layers.icmp_ext_layers import extension_layers, quote_end

                self.ext = extension_layers(buf[pend:end])
                pend = quote_end(self, buf, off + 8, pend)
        return off + 8, pend

    def summary_part(self) -> str:
        text = f"{type(self).__name__} code={self.code}"
        if self.ext is not None and self.ext.labels:
            text += " mpls=" + ",".join(str(lab.label) for lab in self.ext.labels)
        return text


def _extensible_fields(kind: int, codes: dict[int, str]) -> tuple[Any, ...]:
    """The layout of both extensible errors: RFC 4884's length, then the extension."""
    return (
        *icmpv6_head(kind, codes),
        ByteField("length", None),
        BitField("unused", 0, 24),
        ExtensionField("ext", None),
    )


class ICMPv6DestUnreach(_ExtensibleError):
    """Destination Unreachable (1)."""

    name = 'ICMPv6 Destination Unreachable'
    fields = _extensible_fields(1, UNREACH_CODES)


class ICMPv6PacketTooBig(ICMPv6Error):
    """Packet Too Big (2): the ``mtu`` of the next link."""

    name = 'ICMPv6 Packet Too Big'
    fields = (
        *icmpv6_head(2),
        IntField("mtu", 1280),
    )


class ICMPv6TimeExceeded(_ExtensibleError):
    """Time Exceeded (3): hop limit reached (traceroute's answer) or reassembly timed out."""

    name = 'ICMPv6 Time Exceeded'
    fields = _extensible_fields(3, TIME_EXCEEDED_CODES)


class ICMPv6ParamProblem(ICMPv6Error):
    """Parameter Problem (4): ``ptr`` is the offset of the faulty byte."""

    name = 'ICMPv6 Parameter Problem'
    fields = (
        *icmpv6_head(4, PARAM_PROBLEM_CODES),
        IntField("ptr", 6),
    )


# -- echo -------------------------------------------------------------------------------------
class _Echo(ICMPv6Message):
    """Echo request and reply: identifier, sequence number and data."""

    def build_tail(self) -> bytes:
        return self.data or b""

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        pos, _ = Layer.parse(self, buf, off, end)  # the fixed header
        self.data = buf[pos:end]
        return end, end

    def hashkey(self) -> bytes:
        return _HH.pack(self.id, self.seq)

    def same_probe(self, probe: Layer) -> bool:
        """True when this quoted echo is ``probe`` (same type, identifier and sequence)."""
        return (type(probe) is type(self) and self.id == probe.id
                and self.seq == probe.seq)

    def summary_part(self) -> str:
        return f"{type(self).__name__} id={self.id:#x} seq={self.seq}"

    def mysummary(self) -> str:
        return f"{self.name} (id: {self.id:#x} seq: {self.seq:#x})"


class ICMPv6EchoRequest(_Echo):
    """Echo Request (128)."""

    name = 'ICMPv6 Echo Request'
    fields = (
        *icmpv6_head(128),
        ShortField("id", 0),
        ShortField("seq", 0),
        RawBytesField("data", b""),
    )


class ICMPv6EchoReply(_Echo):
    """Echo Reply (129): answers the request with the same id, seq and data."""

    name = 'ICMPv6 Echo Reply'
    fields = (
        *icmpv6_head(129),
        ShortField("id", 0),
        ShortField("seq", 0),
        RawBytesField("data", b""),
    )

    def answers(self, other: Layer) -> bool:
        if not (isinstance(other, ICMPv6EchoRequest) and self.id == other.id
                and self.seq == other.seq):
            return False
        if self.data == other.data:
            return True
        # a request sent in fragments is matched by its first fragment, which
        # carries only the start of the data the reply echoes whole
        return in_first_fragment(other) and self.data.startswith(other.data)


#: type -> class, for dissection
ICMPV6_CLASSES: dict[int, type[ICMPv6Message]] = {
    1: ICMPv6DestUnreach, 2: ICMPv6PacketTooBig, 3: ICMPv6TimeExceeded, 4: ICMPv6ParamProblem,
    128: ICMPv6EchoRequest, 129: ICMPv6EchoReply, **ND_MESSAGES, **MLD_MESSAGES}


def choose_icmpv6(buf: bytes, off: int, end: int) -> type[Layer] | None:
    """The ICMPv6 class for the message at ``off``, chosen by its type byte."""
    t = buf[off]
    if t == 130:
        return choose_query(buf, off, end)
    return ICMPV6_CLASSES.get(t, ICMPv6Unknown)


NH_CHOOSERS[58] = choose_icmpv6
for _cls in (*ICMPV6_CLASSES.values(), ICMPv6Unknown, ICMPv6MLQuery2):
    if _cls in (*MLD_MESSAGES.values(), ICMPv6MLQuery2):
        # RFC 3810 5: hop limit 1; Scapy also sends to the message's group where dst is unset
        _dst = MLD_DESTINATIONS.get(_cls.__name__)
        bind_layers(IPv6, _cls, dissect=False, nh=58, hlim=1, **({"dst": _dst} if _dst else {}))
    elif _cls in ND_MESSAGES.values():
        # RFC 4861: Neighbor Discovery is sent, and only accepted, with hop limit 255
        bind_layers(IPv6, _cls, dissect=False, nh=58, hlim=255)
    else:
        bind_layers(IPv6, _cls, dissect=False, nh=58)
