"""TCP (RFC 9293) with every option kind, known ones by name, unknown ones kept."""

from __future__ import annotations

import struct
from functools import partial
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.checksum import checksum
from netprobe.packet.field import (
    BitField,
    FlagsField,
    IntField,
    ListField,
    NamedByTableField,
    ShortField,
)
from netprobe.packet.layer import Layer, LengthNote, ParseError, Truncated
from netprobe.packet.sysnames import service_names

_H = Struct("!H")
_I = Struct("!I")
_II = Struct("!II")
_BH = Struct("!BH")
_HHI = Struct("!HHI")

#: option name -> kind; value codecs below
TCP_OPTIONS = {"EOL": 0, "NOP": 1, "MSS": 2, "WScale": 3, "SAckOK": 4, "SAck": 5,
               "Timestamp": 8, "AltChkSum": 14, "AltChkSumOpt": 15, "MD5": 19,
               "Mood": 25, "UTO": 28, "AO": 29, "TFO": 34}
TCP_OPTION_NAMES = {v: k for k, v in TCP_OPTIONS.items()}

SERVICES = {20: "ftp_data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain",
            80: "http", 110: "pop3", 143: "imap", 443: "https", 8080: "http_alt"}


def check_tcp_option(name: str, value: Any) -> tuple[Any, Any]:
    """Normalise a TCP option: ``("MSS", 1460)``, ``("NOP", None)``, ``(kind, b"data")``."""
    if isinstance(value, str):
        value = (value, None)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise UsageError(f"{name}: an option is (name or kind, value); got {value!r}")
    kind, val = value
    if isinstance(kind, str):
        if kind not in TCP_OPTIONS:
            raise UsageError(f"{name}: unknown option {kind!r} "
                             f"(known: {', '.join(TCP_OPTIONS)}, or a kind number)")
        try:
            encode_tcp_option(kind, val)
        except (TypeError, ValueError, OverflowError, struct.error) as exc:
            # struct.error: a value of the wrong type or arity ("MSS", "x")
            raise UsageError(f"{name}: bad value for {kind}: {val!r} ({exc})") from None
        return (kind, val)
    if isinstance(kind, int) and not isinstance(kind, bool) and 0 <= kind <= 255:
        if isinstance(val, str):
            try:
                val = bytes.fromhex(val)
            except ValueError:
                raise UsageError(f"{name}: option {kind}: {val!r} is not hex") from None
        if val is not None and not isinstance(val, (bytes, bytearray)):
            raise UsageError(f"{name}: option {kind} takes bytes, got {val!r}")
        if val is not None and len(val) > 38:
            # 40 bytes of options at most, two of them kind and length
            raise UsageError(f"{name}: option {kind} has {len(val)} bytes of data "
                             "(at most 38)")
        known = TCP_OPTION_NAMES.get(kind)
        if known and known in ("EOL", "NOP"):
            return (known, None)
        return (kind, bytes(val or b""))
    raise UsageError(f"{name}: bad option kind {kind!r}")


def encode_tcp_option(kind: Any, val: Any) -> bytes:
    """One option's bytes.

    As in Scapy, a known option given bytes is written as those bytes (an MSS of
    three bytes, for a test); otherwise its value is encoded by kind: MSS and UTO
    16 bits, WScale 8, SAck 32-bit edges, Timestamp and TFO two 32-bit numbers
    (a TFO cookie may also be bytes), AltChkSum (8 bits, 16 bits).
    """
    if isinstance(kind, int):
        return bytes((kind, len(val) + 2)) + val
    code = TCP_OPTIONS[kind]
    if code in (0, 1):
        return bytes((code,))
    if isinstance(val, (bytes, bytearray)):
        data = bytes(val)
    elif kind == "MSS":
        data = _H.pack(val)
    elif kind == "WScale":
        data = bytes((val,))
    elif kind == "SAck":
        data = b"".join(_I.pack(x) for x in val)
    elif kind in ("Timestamp", "TFO"):
        data = _II.pack(*val)
    elif kind == "UTO":
        data = _H.pack(val)
    elif kind == "AltChkSum":
        data = _BH.pack(*val)
    elif val is None:
        data = b""
    else:
        raise TypeError(f"{kind} takes bytes here")
    return bytes((code, len(data) + 2)) + data


def encode_tcp_options(options: list[Any] | None) -> bytes:
    """All options, padded with zero bytes (EOL) to a multiple of four."""
    if not options:
        return b""
    raw = b"".join(encode_tcp_option(k, v) for k, v in options)
    if len(raw) % 4:
        raw += b"\x00" * (4 - len(raw) % 4)
    return raw


def _decode_value(kind: int, data: bytes) -> Any:
    # Scapy's forms: a known option whose length fits its format gets numbers, one
    # that does not keeps its name and its bytes; an unknown kind is (kind, bytes).
    n = len(data)
    if kind == 2 and n == 2:
        return ("MSS", _H.unpack(data)[0])
    if kind == 3 and n == 1:
        return ("WScale", data[0])
    if kind == 5 and n % 4 == 0:
        return ("SAck", tuple(_I.unpack_from(data, i)[0] for i in range(0, n, 4)))
    if kind in (8, 34) and n == 8:
        return (TCP_OPTION_NAMES[kind], _II.unpack(data))
    if kind == 28 and n == 2:
        return ("UTO", _H.unpack(data)[0])
    if kind == 14 and n == 3:
        return ("AltChkSum", _BH.unpack(data))
    name = TCP_OPTION_NAMES.get(kind)
    if name is not None and kind > 1:
        return (name, data)
    return (kind, data)


def decode_tcp_options(raw: bytes) -> tuple[list[Any], str | None]:
    """Parse option bytes; unknown kinds are kept as (kind, bytes). Never raises."""
    out: list[Any] = []
    i, n = 0, len(raw)
    while i < n:
        kind = raw[i]
        if kind == 0:
            out.append(("EOL", None))
            # the rest is padding, zeros by RFC 9293
            if raw[i + 1:].strip(b"\x00"):
                return out, "non-zero bytes after the end of the option list"
            break
        if kind == 1:
            out.append(("NOP", None))
            i += 1
            continue
        if i + 1 >= n:
            return out, f"option {kind} cut short"
        olen = raw[i + 1]
        if olen < 2 or i + olen > n:
            return out, f"option {kind} has bad length {olen}"
        out.append(_decode_value(kind, raw[i + 2:i + olen]))
        i += olen
    return out, None


def _src_text(net: Layer) -> str:
    """The source address a network layer shows (filled from the route when unset)."""
    return net.src if net.src is not None else str(net.shown_default("src"))


#: port -> the system's service name (``/etc/services``, read on first use)
_tcp_services = partial(service_names, "tcp")


class TCP(Layer):
    """A TCP header. ``dataofs`` and ``chksum`` (with the IP pseudo-header) fill themselves."""

    hex_fields = frozenset(("chksum",))
    shown_tables = {"sport": _tcp_services, "dport": _tcp_services}
    ls_kinds = {"options": "TCPOptionsField"}
    ls_defaults = {"options": b""}
    fields = (
        NamedByTableField("sport", 20, _tcp_services, names=SERVICES),
        NamedByTableField("dport", 80, _tcp_services, names=SERVICES),
        IntField("seq", 0),
        IntField("ack", 0),
        BitField("dataofs", None, 4),
        BitField("reserved", 0, 3),
        FlagsField("flags", "S", 9, "FSRPAUECN"),
        ShortField("window", 8192),
        ShortField("chksum", None),
        ShortField("urgptr", 0),
        ListField("options", [], item_check=check_tcp_option),
    )
    dissect_keys = ("dport", "sport")
    checksum = ("chksum", "pseudo")
    deletable_fields = ("dataofs", "chksum")
    #: the bytes of a header read cut short: quoted in an ICMP error, or ending inside
    #: its options (None otherwise)
    __slots__ = ("_cut",)
    keep_slots = ("_cut",)

    def build_tail(self) -> bytes:
        return encode_tcp_options(self.options)

    def build_layer(self, payload: bytes) -> bytes:
        cut = getattr(self, "_cut", None)
        if cut is not None:  # a header read cut short builds back as it was read
            if len(cut) >= 20:  # cut inside the options: those bytes as they were
                return self._pack_fixed() + cut[20:] + payload
            return _HHI.pack(self.sport, self.dport, self.seq) + cut[8:] + payload
        hdr = bytearray(self._pack_fixed())
        if self.options:
            hdr += encode_tcp_options(self.options)
        if self._f_dataofs is None:
            hdr[12] |= (len(hdr) >> 2) << 4
        if self._f_chksum is None:
            ph = getattr(self._under, "pseudo_header", None)
            if ph is not None:
                outside = self.outside_bytes()  # trailing padding is not in the segment
                seg = hdr + (payload[:len(payload) - outside] if outside else payload)
                _H.pack_into(hdr, 16, checksum(ph(6, len(seg)) + seg))
        return bytes(hdr) + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 20:
            under = self._under
            if (end - off >= 8 and under is not None and under._under is not None
                    and getattr(under._under, "quotes_packet", False)):
                # An ICMP error often quotes only 8 bytes of TCP: ports and sequence
                # number, all that matching needs. The rest stays unknown (None).
                self.sport, self.dport, self.seq = _HHI.unpack_from(buf, off)
                self.ack = self.dataofs = self.reserved = self.flags = None
                self.window = self.chksum = self.urgptr = None
                self.options = []
                self._cut = buf[off:end]
                return end, end
            raise Truncated(f"truncated header ({end - off} of 20 bytes)")
        hl = (buf[off + 12] >> 4) * 4
        if hl < 20:
            raise ParseError(f"data offset {hl // 4} is less than 5")
        self._unpack_fixed(buf, off)
        if off + hl > end:
            # The fixed header is whole: keep it (ports, flags) with the options that are
            # there, as Scapy and tshark do, rather than losing it all to Raw.
            self.options, _ = decode_tcp_options(buf[off + 20:end])
            self._cut = buf[off:end]
            self.note(LengthNote(f"options cut short ({end - off} of {hl} header bytes)"))
            return end, end
        if hl > 20:
            self.decode_tail(buf, off)
        else:
            self.options = []
        return off + hl, end

    def decode_tail(self, buf: bytes, off: int) -> None:
        hl = (buf[off + 12] >> 4) * 4
        if hl > 20:
            opts, problem = decode_tcp_options(buf[off + 20:off + hl])
            self.options = opts
            if problem:
                self.note(problem)
                # the options do not say it all: the header builds back as it was read
                self._cut = buf[off:off + hl]
        else:
            self.options = []

    # -- matching -----------------------------------------------------------------------------
    #: the exact-match key (``netprobe.packet.matchkey``), what ``answers`` compares: pairs
    #: (the answer's field, the probe's field) that are equal: the ports, swapped
    match_fields = (("sport", "dport"), ("dport", "sport"))
    #: (probe flag, answer flag, answer field, probe field): a SYN answered with ACK
    #: is answered with ack = seq + 1
    match_next = ("S", "A", "ack", "seq")
    #: (flag, unless flag): a bare SYN answers nothing
    match_never = ("S", "A")

    def hashkey(self) -> bytes:
        return _H.pack(self.sport ^ self.dport)

    def answers(self, other: Layer) -> int:
        # 1 or 0, not True or False: Scapy's TCP answers with numbers, and scripts print them
        if not isinstance(other, TCP):
            return 0
        if self.sport != other.dport or self.dport != other.sport:
            return 0
        mine, theirs = int(self.flags or 0), int(other.flags or 0)
        if mine & 0x02 and not mine & 0x10:
            return 0  # a bare SYN opens; it answers nothing
        if theirs & 0x02 and mine & 0x10:  # a SYN is answered with ack = seq + 1
            return int(self.ack == (other.seq + 1) & 0xFFFFFFFF)
        return 1

    def mysummary(self) -> str:
        from netprobe.packet.present import value_text

        ports = f"{value_text(self, 'sport')} > {value_text(self, 'dport')}"
        under = self._under
        flags = "" if self.flags is None else str(self.flags)
        if under is not None and type(under).__name__ in ("IP", "IPv6"):
            return (f"TCP {_src_text(under)}:{value_text(self, 'sport')} > {under.dst}:"
                    f"{value_text(self, 'dport')} {flags}")
        return f"TCP {ports} {flags}"

    def same_probe(self, probe: Layer) -> bool:
        """True when this quoted header is ``probe``'s (ports and sequence number)."""
        return (isinstance(probe, TCP) and self.sport == probe.sport
                and self.dport == probe.dport and self.seq == probe.seq)

    def summary_part(self) -> str:
        return f"TCP {self.sport} > {self.dport} {self.flags}"
