"""The radiotap header (link type 127): what the radio saw, in front of an 802.11 frame.

A 32-bit ``present`` bitmap says which fields follow, in bit order, each aligned
to its natural size from the start of the header (radiotap.org). The fields of
bits 0-20 are decoded under Scapy's names; a header with later or extended
fields keeps the rest of its bytes in ``notdecoded``. ``len`` says where the
802.11 frame starts, so what is not decoded never shifts it.

Building writes the fields whose bit is set in ``present`` (a field given a
value without its bit is left out, as in Scapy).
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.field import ByteField, RawBytesField
from netprobe.packet.layer import Layer, ParseError, Truncated
from netprobe.packet.layers.dot11_fields import (
    LEUIntField,
    OptBitField,
    OptField,
    OptFlagsField,
    OptScaledField,
    OptUnitField,
)
from netprobe.packet.layers.ether import link_answers

__all__ = ["RadioTap"]

#: the ``present`` bits under Scapy's names (radiotap.org's, bit 0 first)
PRESENT_NAMES = ("TSFT", "Flags", "Rate", "Channel", "FHSS", "dBm_AntSignal", "dBm_AntNoise",
                 "Lock_Quality", "TX_Attenuation", "dB_TX_Attenuation", "dBm_TX_Power",
                 "Antenna", "dB_AntSignal", "dB_AntNoise", "RXFlags", "TXFlags", "b17", "b18",
                 "ChannelPlus", "MCS", "A_MPDU", "VHT", "timestamp", "HE", "HE_MU",
                 "HE_MU_other_user", "zero_length_psdu", "L_SIG", "TLV", "RadiotapNS",
                 "VendorNS", "Ext")
FLAGS_NAMES = ("CFP", "ShortPreamble", "wep", "fragment", "FCS", "pad", "badFCS", "ShortGI")
CHANNEL_FLAGS = ("res1", "res2", "res3", "res4", "Turbo", "CCK", "OFDM", "2GHz", "5GHz",
                 "Passive", "Dynamic_CCK_OFDM", "GFSK", "GSM", "StaticTurbo", "10MHz", "5MHz")
CHANNEL_PLUS_FLAGS = (*CHANNEL_FLAGS, "20MHz", "40MHz_ext_channel_above",
                      "40MHz_ext_channel_below", "res5", "res6", "res7", "res8", "res9")
RX_FLAGS = ("res1", "BAD_PLCP", "res2")
TX_FLAGS = ("TX_FAIL", "CTS", "RTS", "NOACK", "NOSEQ", "ORDER")
KNOWN_MCS = ("MCS_bandwidth", "MCS_index", "guard_interval", "HT_format", "FEC_type",
             "STBC_streams", "Ness", "Ness_MSB")
A_MPDU_FLAGS = ("Report0Subframe", "Is0Subframe", "KnownLastSubframe", "LastSubframe",
                "CRCerror", "EOFsubframe", "KnownEOF", "res1", "res2", "res3", "res4", "res5",
                "res6", "res7", "res8")
FEC_TYPES = {0: "BCC", 1: "LDPC"}
HT_FORMATS = {0: "mixed", 1: "greenfield"}
GI_NAMES = {0: "Long_GI", 1: "Short_GI"}
MCS_BANDWIDTHS = {0: "20MHz", 1: "40MHz", 2: "ht40Mhz-", 3: "ht40MHz+"}
#: the Flags bit saying the 802.11 frame ends with its FCS
FLAG_FCS = 0x10

#: bit -> (alignment, the fields it carries in wire order). Bits 16-17 (RTS and data
#: retries) have no field in Scapy; they are kept so that what follows lines up.
PARTS: dict[int, tuple[int, tuple[OptField, ...]]] = {
    0: (8, (OptField("mac_timestamp", "Q"),)),
    1: (1, (OptFlagsField("Flags", "B", FLAGS_NAMES),)),
    2: (1, (OptScaledField("Rate", "B", 0.5, "Mbps"),)),
    3: (2, (OptField("ChannelFrequency", "H"), OptFlagsField("ChannelFlags", "H",
                                                               CHANNEL_FLAGS))),
    4: (1, (OptField("FHSS_hopset", "B"), OptField("FHSS_pattern", "B"))),
    5: (1, (OptUnitField("dBm_AntSignal", "b", "dBm"),)),
    6: (1, (OptUnitField("dBm_AntNoise", "b", "dBm"),)),
    7: (2, (OptField("Lock_Quality", "H"),)),
    8: (2, (OptField("TX_Attenuation", "H"),)),
    9: (2, (OptField("dB_TX_Attenuation", "H"),)),
    10: (1, (OptField("dBm_TX_Power", "b"),)),
    11: (1, (OptField("Antenna", "B"),)),
    12: (1, (OptField("dB_AntSignal", "B"),)),
    13: (1, (OptField("dB_AntNoise", "B"),)),
    14: (2, (OptFlagsField("RXFlags", "H", RX_FLAGS),)),
    15: (2, (OptFlagsField("TXFlags", "H", TX_FLAGS),)),
    16: (1, (OptField("RTS_retries", "B"),)),
    17: (1, (OptField("data_retries", "B"),)),
    18: (4, (OptFlagsField("ChannelPlusFlags", "I", CHANNEL_PLUS_FLAGS),
             OptField("ChannelPlusFrequency", "H"), OptField("ChannelPlusNumber", "B"),
             OptField("ChannelPlusMaxPower", "B"))),
    19: (1, (OptFlagsField("knownMCS", "B", KNOWN_MCS), OptBitField("Ness_LSB", 1),
             OptBitField("STBC_streams", 2), OptBitField("FEC_type", 1, FEC_TYPES),
             OptBitField("HT_format", 1, HT_FORMATS), OptBitField("guard_interval", 1, GI_NAMES),
             OptBitField("MCS_bandwidth", 2, MCS_BANDWIDTHS), OptField("MCS_index", "B"))),
    20: (4, (OptField("A_MPDU_ref", "I"), OptFlagsField("A_MPDU_flags", "I", A_MPDU_FLAGS))),
}
_DECODED = (1 << 21) - 1
#: read and written (radiotap.org's layout) but not among Scapy's fields, so not shown
_NOT_SHOWN = frozenset({"ChannelPlusMaxPower"})
_EXT = 1 << 31

def _part_size(fs: tuple[OptField, ...]) -> int:
    """Bytes a present bit's fields take (bit fields share bytes)."""
    return sum(f.size for f in fs) + sum(getattr(f, "bits", 0) for f in fs) // 8


def _align(pos: int, align: int) -> int:
    return (pos + align - 1) // align * align


class RadioTap(Layer):
    """A radiotap header: version, length, the present bitmap and the fields it names."""

    name = "RadioTap"
    fields = (
        ByteField("version", 0),
        ByteField("pad", 0),
        LEUIntField("len", None, 2),
        OptFlagsField("present", "I", PRESENT_NAMES),
        *(f for _a, fs in PARTS.values() for f in fs),
        RawBytesField("notdecoded", b""),
    )
    #: (field values, header bytes) as dissected: rebuilt as read while unchanged (the
    #: alignment gaps between fields may hold anything)
    keep_slots = ("_wire",)
    __slots__ = ("_wire",)

    def shown_fields(self) -> Any:
        """As Scapy: the header, the fields its ``present`` bits announce, ``notdecoded``."""
        present = self.present
        if present is None and self._payload is not None:
            present = self.overloaded_by(self._payload).get("present")
        present = int(present or 0)
        out = list(self.fields_desc[:4])
        for bit, (_align, fs) in PARTS.items():
            if present >> bit & 1:
                out.extend(f for f in fs if f.name not in _NOT_SHOWN)
        out.append(self.fields_desc[-1])
        return out

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON; those whose present bit is clear are null."""
        d = super().to_dict()
        present = int(self.present or 0)
        for bit, (_align, fs) in PARTS.items():
            if not present >> bit & 1:
                for f in fs:
                    d[f.name] = None
        return d

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for n in self.field_names)

    def overloaded_by(self, upper: Layer) -> dict[str, Any]:
        """As Scapy: an 802.11 frame with its FCS makes an unset bitmap announce it."""
        if self.present is None and type(upper).__name__ == "Dot11FCS":
            by_name = self.fields_by_name
            return {"present": by_name["present"].valuetype(1 << 1),
                    "Flags": by_name["Flags"].valuetype(int(self.Flags or 0) | FLAG_FCS)}
        return {}

    def build_layer(self, payload: bytes) -> bytes:
        wire = getattr(self, "_wire", None)
        if wire is not None and wire[0] == self._values():
            return wire[1] + payload
        over = self.overloaded_by(self._payload) if self._payload is not None else {}
        present = int(over.get("present", self.present) or 0)
        flags = over.get("Flags", self.Flags)
        if present & ~_DECODED:
            # later or extended fields: the bytes after the bitmap are kept as read
            body = bytes(self.notdecoded or b"")
        else:
            body = self._build_fields(present, flags) + (self.notdecoded or b"")
        length = self.len if self.len is not None else 8 + len(body)
        head = bytes((self.version & 0xFF, self.pad & 0xFF)) + (length & 0xFFFF).to_bytes(
            2, "little")
        return head + present.to_bytes(4, "little") + body + payload

    def _build_fields(self, present: int, flags: int | None) -> bytes:
        body = bytearray()
        for bit, (align, fs) in PARTS.items():
            if not present >> bit & 1:
                continue
            body += bytes(_align(8 + len(body), align) - 8 - len(body))
            acc = nbits = 0
            for f in fs:
                if isinstance(f, OptBitField):
                    acc = acc << f.bits | (int(getattr(self, f.name) or 0) & f.maxval)
                    nbits += f.bits
                    if nbits == 8:
                        body.append(acc)
                        acc = nbits = 0
                    continue
                body += f.encode(flags if f.name == "Flags" else getattr(self, f.name))
        return bytes(body)

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 8:
            raise Truncated(f"truncated header ({end - off} of 8 bytes)")
        self.version, self.pad = buf[off], buf[off + 1]
        length = int.from_bytes(buf[off + 2:off + 4], "little")
        self.len = length
        if length < 8:
            raise ParseError(f"header length {length} is less than 8")
        if off + length > end:
            raise Truncated(f"header length {length} exceeds the {end - off} bytes captured")
        hdr = buf[off:off + length]
        present = int.from_bytes(hdr[4:8], "little")
        self.present = self.fields_by_name["present"].valuetype(present)
        for f in _OPTIONAL:
            setattr(self, f.name, None)
        pos = 8
        word = present
        while word & _EXT and pos + 4 <= length:  # further present words
            word = int.from_bytes(hdr[pos:pos + 4], "little")
            pos += 4
        for bit, (align, fs) in PARTS.items():
            if not present >> bit & 1:
                continue
            start = _align(pos, align)
            size = _part_size(fs)
            if start + size > length:
                self.note(f"field {PRESENT_NAMES[bit]} runs past the header length {length}")
                break
            pos = start
            shift = 8
            for f in fs:
                if isinstance(f, OptBitField):
                    shift -= f.bits
                    setattr(self, f.name, hdr[pos] >> shift & f.maxval)
                    if shift == 0:
                        pos += 1
                        shift = 8
                    continue
                setattr(self, f.name, f.decode(hdr, pos))
                pos += f.size
        self.notdecoded = hdr[8:] if present & ~_DECODED else hdr[pos:]
        self._wire = (self._values(), hdr)
        return off + length, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        from netprobe.packet.layers import dot11

        flags = self.Flags
        return dot11.Dot11FCS if flags is not None and flags & FLAG_FCS else dot11.Dot11

    def answers(self, other: Layer) -> bool:
        """As Scapy: a radiotap frame answers a radiotap frame whose 802.11 frame its own
        answers (the radio metadata itself says nothing of it)."""
        return isinstance(other, RadioTap) and link_answers(self, other, True)


#: the fields a present bit governs (None when absent)
_OPTIONAL = tuple(f for _a, fs in PARTS.values() for f in fs)
