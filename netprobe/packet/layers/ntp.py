"""NTP (RFC 5905) on UDP port 123: the time packet, as Scapy 2.8 names and shows it.

``NTPHeader`` has Scapy's fields and defaults (version 4, mode client, stratum
2, poll 10, ``id`` 127.0.0.1). ``NTP`` is what Scapy users type: ``NTP()``
makes an ``NTPHeader``, and ``pkt[NTP]`` finds one. The reference is ``id``
(an IPv4 address) above stratum 1 and ``ref_id`` (four bytes of text, ``GPS``)
at stratum 0 and 1, as in Scapy.

Times are NTP seconds (since 1900) as 32.32 fixed point; ``orig`` and
``sent`` left unset take the time the packet is built. Read back, times and the
16.16 ``delay`` and ``dispersion`` are ``decimal.Decimal`` values, shown as
Scapy shows them: a time from 1970 on as its UTC date, earlier ones as numbers.

NTP control (mode 6) and private (mode 7) messages are not dissected: their
bytes stay ``Raw`` under UDP.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.layer import Layer, OneValue, ParseError, bind_layers
from netprobe.packet.layers.udp import UDP
from netprobe.packet.packet_class import Packet
from netprobe.packet.scapy_fields import (
    BitEnumField,
    BitField,
    ConditionalField,
    IPField,
    ScapyField,
    SignedByteField,
    StrFixedLenField,
)

__all__ = ["NTP", "NTPHeader"]

NTP_PORT = 123
#: seconds from the NTP epoch (1900) to the Unix epoch (1970)
NTP_UNIX_OFFSET = 2208988800

LEAP_INDICATORS = {0: "no warning", 1: "last minute of the day has 61 seconds",
                   2: "last minute of the day has 59 seconds",
                   3: "unknown (clock unsynchronized)"}
NTP_MODES = {0: "reserved", 1: "symmetric active", 2: "symmetric passive", 3: "client",
             4: "server", 5: "broadcast", 6: "NTP control message",
             7: "reserved for private use"}
#: significant digits a fraction of so many bits is shown with (as Scapy shows it)
_FRACTION_DIGITS = {16: 4, 32: 9}


class FixedPointNumber(Decimal):
    """A fixed-point value as a ``Decimal`` (as Scapy reads one), remembering the exact
    bits it stands for: building it again gives those bits back."""

    raw: int

    def __reduce__(self) -> Any:
        return (_fixed_point_again, (self.raw, self.frac_bits))


def _fixed_point_again(raw: int, frac_bits: int) -> FixedPointNumber:
    return fixed_point_value(raw, frac_bits)


def fixed_point_value(raw: int, frac_bits: int) -> FixedPointNumber:
    """A fixed-point number read from the wire: the whole part plus the fraction,
    rounded to the digits its bits hold."""
    whole = raw >> frac_bits
    frac = (raw & ((1 << frac_bits) - 1)) / (1 << frac_bits)
    out = FixedPointNumber(Decimal(whole) + Decimal(f"%.{_FRACTION_DIGITS[frac_bits]}g" % frac))
    out.raw = raw
    out.frac_bits = frac_bits
    return out


def fixed_point_raw(value: Any, frac_bits: int) -> int:
    """A number as fixed point, not yet cut to its bits: the whole part shifted, or'ed
    with the fraction (a negative number comes out as Scapy makes it)."""
    whole = int(value)
    return (whole << frac_bits) | int((value - whole) * (1 << frac_bits))


def ntp_time_text(value: Any) -> str:
    """A timestamp as Scapy shows it: ``--`` unset, a date from 1970 on, else the number."""
    if value is None:
        return "--"
    if isinstance(value, F.Volatile):
        return repr(value)
    if value >= NTP_UNIX_OFFSET:
        return time.strftime("%a, %d %b %Y %H:%M:%S +0000",
                             time.gmtime(int(value) - NTP_UNIX_OFFSET))
    return str(value)


class FixedPointField(OneValue, ScapyField, F.TailField):
    """An unsigned fixed-point number of ``size`` bits, ``frac_bits`` of them after the point."""

    def __init__(self, name: str, default: Any, size: int, frac_bits: int) -> None:
        F.TailField.__init__(self, name, default)
        self.auto = False
        self.size = size
        self.frac_bits = frac_bits

    @property
    def ls_kind(self) -> str:
        """How ``ls()`` names the field's kind."""
        return f"{type(self).__name__}  ({self.size} bits)"

    def check_one(self, value: Any) -> Any:
        if value is None or isinstance(value, F.Volatile):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise UsageError(f"{self.name}: expected a number, got {value!r}")
        # kept as it reads back from the wire, as Scapy keeps it
        return fixed_point_value(fixed_point_raw(value, self.frac_bits), self.frac_bits)

    def put(self, pkt: Any, value: Any) -> bytes:
        v = self.now() if value is None else value
        raw = v.raw if type(v) is FixedPointNumber else fixed_point_raw(v, self.frac_bits)
        raw &= (1 << self.size) - 1
        return raw.to_bytes(self.size // 8, "big")

    def now(self) -> Any:
        """What an unset value builds as."""
        return 0

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        n = self.size // 8
        if off + n > end:
            raise ParseError(f"{self.name}: {n} bytes needed, {max(end - off, 0)} left")
        return fixed_point_value(int.from_bytes(buf[off:off + n], "big"), self.frac_bits), off + n

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value) if isinstance(value, F.Volatile) else str(value)

    def to_json(self, value: Any) -> Any:
        return None if value is None else float(value)


class TimeStampField(FixedPointField):
    """An NTP time: seconds since 1900 as 32.32 fixed point; unset, the time of building."""

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, 64, 32)

    def now(self) -> Any:
        return time.time() + NTP_UNIX_OFFSET

    def i2repr(self, pkt: Any, value: Any) -> str:
        return ntp_time_text(value)


class NTP(Packet):
    """What Scapy users type: ``NTP()`` is an ``NTPHeader``; ``pkt[NTP]`` finds one."""

    name = "NTP"
    #: ``NTP(...)`` makes another class (the one its mode names), as in Scapy
    dispatches = True
    #: fields whose default is the time of building
    clock_fields: tuple[str, ...] = ("orig", "sent")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is NTP:
            cls = NTPHeader
        return object.__new__(cls)


def _is_reference_text(pkt: Any) -> bool:
    return (pkt.stratum or 0) <= 1


class NTPHeader(NTP):
    """An NTP time packet (modes 0 to 5)."""

    name = "NTPHeader"
    found_as = (NTP,)
    ls_kinds = {"ref_id": "StrFixedLenEnumField (Cond)"}
    overloads_lower = True
    fields_desc = [
        BitEnumField("leap", 0, 2, LEAP_INDICATORS),
        BitField("version", 4, 3),
        BitEnumField("mode", 3, 3, NTP_MODES),
        BitField("stratum", 2, 8),
        SignedByteField("poll", 10),
        SignedByteField("precision", 0),
        FixedPointField("delay", 0, 32, 16),
        FixedPointField("dispersion", 0, 32, 16),
        ConditionalField(IPField("id", "127.0.0.1"), lambda pkt: not _is_reference_text(pkt)),
        ConditionalField(StrFixedLenField("ref_id", b"", length=4), _is_reference_text),
        TimeStampField("ref", 0),
        TimeStampField("orig", None),
        TimeStampField("recv", 0),
        TimeStampField("sent", None),
    ]

    def mysummary(self) -> str:
        mode = NTP_MODES.get(self.mode, str(self.mode))
        return f"NTP v{self.version}, {mode}"

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end > off and buf[off] & 7 in (6, 7):
            raise ParseError(f"mode {buf[off] & 7} ({NTP_MODES[buf[off] & 7]}) is not dissected")
        return super().parse(buf, off, end)

    def answers(self, other: Layer) -> bool:
        """A server's reply answers a client's request (mode 4 to 3, or symmetric)."""
        return isinstance(other, NTPHeader)

    def summary_part(self) -> str:
        return self.mysummary()


bind_layers(UDP, NTPHeader, sport=NTP_PORT, dport=NTP_PORT)
