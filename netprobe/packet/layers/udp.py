"""UDP (RFC 768)."""

from __future__ import annotations

from functools import partial
from struct import Struct

from netprobe.packet.checksum import checksum
from netprobe.packet.field import NamedByTableField, ShortField
from netprobe.packet.fragment import in_first_fragment
from netprobe.packet.layer import Layer, LengthNote
from netprobe.packet.sysnames import service_names

_HH = Struct("!HH")


#: port -> the system's service name (``/etc/services``, read on first use)
_udp_services = partial(service_names, "udp")


class UDP(Layer):
    """A UDP header. ``len`` and ``chksum`` (0 is sent as 0xffff) fill themselves."""

    hex_fields = frozenset(("chksum",))
    shown_tables = {"sport": _udp_services, "dport": _udp_services}
    fields = (
        NamedByTableField("sport", 53, _udp_services),
        NamedByTableField("dport", 53, _udp_services),
        ShortField("len", None),
        ShortField("chksum", None),
    )
    dissect_keys = ("dport", "sport")
    checksum = ("chksum", "pseudo")
    deletable_fields = ("len", "chksum")

    def build_layer(self, payload: bytes) -> bytes:
        hdr = self._pack_fixed()
        if self._f_len is None or self._f_chksum is None:
            outside = self.outside_bytes()  # trailing padding is not in the datagram
            inside = payload[:len(payload) - outside] if outside else payload
            length = self._f_len if self._f_len is not None else (8 + len(inside)) & 0xFFFF
            cs = self._f_chksum
            if cs is None:
                ph = getattr(self._under, "pseudo_header", None)
                if ph is None:
                    cs = 0
                else:
                    seg = hdr[:4] + _HH.pack(length, 0) + inside
                    cs = checksum(ph(17, 8 + len(inside)) + seg) or 0xFFFF
            hdr = hdr[:4] + _HH.pack(length, cs)
        return hdr + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        Layer.parse(self, buf, off, end)  # the fixed header
        ln = self._f_len
        quoted = self._under is not None and self._under._under is not None and getattr(
            self._under._under, "quotes_packet", False)
        if ln < 8:
            if ln != 0:  # 0 appears with jumbograms
                self.note(f"length {ln} is less than 8")
            return off + 8, end
        if off + ln > end:
            if not quoted:
                self.note(LengthNote(f"length {ln} exceeds the {end - off} bytes captured"))
            return off + 8, end
        return off + 8, off + ln

    def hashkey(self) -> bytes:
        # Ports only: an ICMP error may quote just 8 bytes of UDP, and its key must still
        # equal the probe's. What rides above (a DNS id) is checked by answers().
        return (self.sport ^ self.dport).to_bytes(2, "big")

    def answers(self, other: Layer) -> bool:
        if not isinstance(other, UDP):
            return False
        if self.sport != other.dport or self.dport != other.sport:
            return False
        if self._payload is None or other._payload is None:
            return True
        if other._payload.name == "Raw" and in_first_fragment(other):
            return True  # the probe's payload is cut short: its ports are all there is
        return self._payload.answers(other._payload)

    def same_probe(self, probe: Layer) -> bool:
        """True when this quoted header is ``probe``'s: same ports, and the same checksum
        when both carry one (Paris traceroute keeps the ports of every probe and tells
        them apart by the checksum, which routers quote back)."""
        if not isinstance(probe, UDP) or self.sport != probe.sport or self.dport != probe.dport:
            return False
        mine, theirs = self.chksum, probe.chksum
        return not mine or not theirs or mine == theirs

    def summary_part(self) -> str:
        return f"UDP {self.sport} > {self.dport}"

    def mysummary(self) -> str:
        from netprobe.packet.present import value_text

        under = self._under
        if under is not None and type(under).__name__ in ("IP", "IPv6"):
            src = under.src if under.src is not None else under.shown_default("src")
            return (f"UDP {src}:{value_text(self, 'sport')} > {under.dst}:"
                    f"{value_text(self, 'dport')}")
        return f"UDP {value_text(self, 'sport')} > {value_text(self, 'dport')}"
