"""TFTP (RFC 1350, options RFC 2347) to UDP port 69, as Scapy 2.8 names and shows it.

``TFTP`` is the opcode; the message follows as its own layer (``TFTP_RRQ``,
``TFTP_WRQ``, ``TFTP_DATA``, ``TFTP_ACK``, ``TFTP_ERROR``, ``TFTP_OACK``), and
options after a request or an option acknowledgement as ``TFTP_Options``
holding ``TFTP_Option`` items. As in Scapy, building ``UDP()/TFTP()`` sets the
destination port to 69, and only datagrams to port 69 are read as TFTP (the
rest of a transfer runs between two other ports).
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, bind_layers
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet, item_padding
from netprobe.packet.scapy_fields import PacketListField, ShortEnumField, ShortField, StrNullField

__all__ = ["TFTP", "TFTP_ACK", "TFTP_DATA", "TFTP_ERROR", "TFTP_OACK", "TFTP_RRQ", "TFTP_WRQ",
           "TFTP_Option", "TFTP_Options"]

TFTP_PORT = 69
TFTP_OPCODES = {1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}
TFTP_ERRORS = {0: "Not defined", 1: "File not found", 2: "Access violation",
               3: "Disk full or allocation exceeded", 4: "Illegal TFTP operation",
               5: "Unknown transfer ID", 6: "File already exists", 7: "No such user",
               8: "Terminate transfer due to option negotiation"}


def _with_udp(text: str) -> tuple[str, list[type[Layer]]]:
    """A summary that makes the UDP header below speak too (as Scapy's TFTP does)."""
    return text, [UDP]


def _says_udp_too(func: Any) -> Any:
    # a summary giving (text, [classes]) is kept as it is (see packet_class._summary_text)
    func._text_only = True
    return func


class TFTP(Packet):
    """The TFTP opcode; the message is the layer above."""

    name = "TFTP opcode"
    overloads_lower = True
    fields_desc = [ShortEnumField("op", 1, TFTP_OPCODES)]


class TFTP_Option(Packet):  # noqa: N801 - Scapy's name
    """One option: its name and value, each ended by a zero byte."""

    fields_desc = [StrNullField("oname", ""), StrNullField("value", "")]

    extract_padding = item_padding


class TFTP_Options(Packet):  # noqa: N801
    """The options after a request or an option acknowledgement."""

    fields_desc = [PacketListField("options", [], TFTP_Option)]


class _WithOptions(Packet):
    """A message that options may follow."""

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return TFTP_Options if end > off else None


class _Request(_WithOptions):
    """A read or write request: the file and the transfer mode."""

    #: what the summary calls it
    word = ""
    fields_desc = [StrNullField("filename", ""), StrNullField("mode", "octet")]

    def answers(self, other: Layer) -> Any:
        return 0  # a request answers nothing (0, as Scapy says it)

    @_says_udp_too
    def mysummary(self) -> Any:
        return _with_udp(f"{self.word} {self.filename!r}")


class TFTP_RRQ(_Request):  # noqa: N801
    """A read request."""

    name = "TFTP Read Request"
    word = "RRQ"
    fields_desc = _Request.fields_desc


class TFTP_WRQ(_Request):  # noqa: N801
    """A write request."""

    name = "TFTP Write Request"
    word = "WRQ"
    fields_desc = _Request.fields_desc


class TFTP_DATA(Packet):  # noqa: N801
    """A block of data; the data is the layer above (``Raw``)."""

    name = "TFTP Data"
    fields_desc = [ShortField("block", 0)]

    def answers(self, other: Layer) -> bool:
        """The first block answers a read request (the rest answer nothing, as in Scapy)."""
        return isinstance(other, TFTP_RRQ) and self.block == 1

    @_says_udp_too
    def mysummary(self) -> Any:
        return _with_udp(f"DATA {self.block}")


class TFTP_ACK(Packet):  # noqa: N801
    """The acknowledgement of a block."""

    name = "TFTP Ack"
    fields_desc = [ShortField("block", 0)]

    def answers(self, other: Layer) -> Any:
        """An ack answers the block it names; block 0 answers a request or its options
        (anything else: 0, as Scapy says it)."""
        if isinstance(other, TFTP_DATA):
            return self.block == other.block
        if isinstance(other, (TFTP_RRQ, TFTP_WRQ, TFTP_OACK)):
            return self.block == 0
        return 0

    @_says_udp_too
    def mysummary(self) -> Any:
        return _with_udp(f"ACK {self.block}")


class TFTP_ERROR(Packet):  # noqa: N801
    """An error: its code and message."""

    name = "TFTP Error"
    fields_desc = [ShortEnumField("errorcode", 0, TFTP_ERRORS), StrNullField("errormsg", "")]

    def answers(self, other: Layer) -> bool:
        """An error answers a request, a block or an ack."""
        return isinstance(other, (TFTP_RRQ, TFTP_WRQ, TFTP_DATA, TFTP_ACK))

    @_says_udp_too
    def mysummary(self) -> Any:
        code = TFTP_ERRORS.get(self.errorcode, self.errorcode)
        return _with_udp(f"ERROR {code}: {self.errormsg!r}")


class TFTP_OACK(_WithOptions):  # noqa: N801
    """The acknowledgement of a request's options (the options follow)."""

    name = "TFTP Option Ack"
    fields_desc: list[Any] = []

    def answers(self, other: Layer) -> bool:
        """Acknowledged options answer a request."""
        return isinstance(other, (TFTP_RRQ, TFTP_WRQ))


bind_layers(UDP, TFTP, dport=TFTP_PORT)
for _op, _cls in enumerate((TFTP_RRQ, TFTP_WRQ, TFTP_DATA, TFTP_ACK, TFTP_ERROR, TFTP_OACK), 1):
    bind_layers(TFTP, _cls, op=_op)
