"""Raw bytes and trailing padding: what is left when no protocol claims the bytes."""

from __future__ import annotations

from netprobe.packet.field import RawBytesField
from netprobe.packet.layer import Layer


class Raw(Layer):
    """Uninterpreted payload bytes."""

    fields = (RawBytesField("load", b""),)

    def build_tail(self) -> bytes:
        return self.load or b""

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        self.load = buf[off:end]
        return end, end

    def summary_part(self) -> str:
        return f"Raw {len(self.load or b'')}B"

    def hashkey(self) -> bytes:
        # Payload bytes differ between probe and answer; they never take part in matching.
        return b""

    def answers(self, other: Layer) -> bool:
        # Uninterpreted bytes (or padding) neither confirm nor refute an answer.
        return True


class Padding(Raw):
    """Bytes after the end a header announces (Ethernet minimum-size padding, trailers)."""

    fields = (RawBytesField("load", b""),)
    is_padding = True
    #: how many layers back the layer sits whose trailer this is (None: crafted, which
    #: goes after everything, as in Scapy)
    __slots__ = ("_back",)
    keep_slots = ("_back",)

    def summary_part(self) -> str:
        return f"Padding {len(self.load or b'')}B"
