"""The bodies of protected 802.11 frames (the frame-control ``protected`` flag set), kept
as they are on the air: netprobe does not decrypt.

* ``Dot11WEP``: WEP's 3-byte IV, key ID byte, the encrypted data and the 4-byte ICV;
* ``Dot11Encrypted``: a body whose IV has the extended-IV bit (TKIP, CCMP, GCMP),
  kept whole in ``data``.

Which one a frame gets follows Scapy: the extended-IV bit (bit 5 of the fourth
byte) picks ``Dot11Encrypted``; a body too short for either stays ``Raw``.
"""

from __future__ import annotations

from netprobe.packet.field import ByteField, BytesField, RawBytesField
from netprobe.packet.layer import Layer, Truncated
from netprobe.packet.layers.dot11_fields import OptField

__all__ = ["Dot11Encrypted", "Dot11WEP"]

#: the extended-IV bit in the key-ID byte (the fourth byte of the body)
EXT_IV = 0x20


class Dot11WEP(Layer):
    """A WEP-protected body: IV, key ID, encrypted data, ICV (big-endian, as Scapy)."""

    name = "802.11 WEP packet"
    fields = (
        BytesField("iv", b"\x00\x00\x00", 3),
        ByteField("keyid", 0),
        RawBytesField("wepdata", None),
        OptField("icv", ">I", None),
    )

    def build_layer(self, payload: bytes) -> bytes:
        icv = self.fields_by_name["icv"].encode(self.icv)
        return self._pack_fixed() + (self.wepdata or b"") + payload + icv

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise Truncated(f"truncated WEP body ({end - off} of at least 8 bytes)")
        self._unpack_fixed(buf, off)
        self.wepdata = buf[off + 4:end - 4]
        self.icv = int.from_bytes(buf[end - 4:end], "big")
        return end, end


class Dot11Encrypted(Layer):
    """A body encrypted with an extended IV (TKIP, CCMP, GCMP), kept whole."""

    name = "802.11 Encrypted (unknown algorithm)"
    fields = (RawBytesField("data", None),)

    def build_layer(self, payload: bytes) -> bytes:
        return (self.data or b"") + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        self.data = buf[off:end]
        return end, end


def protected_body(buf: bytes, off: int, end: int) -> type[Layer] | None:
    """The class of a protected body at ``buf[off:end]`` (None: too short, ``Raw``)."""
    if end - off < 4:
        return None
    if buf[off + 3] & EXT_IV:
        return Dot11Encrypted
    return Dot11WEP if end - off >= 8 else None
