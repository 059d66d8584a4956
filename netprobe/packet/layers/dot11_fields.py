"""Field kinds that 802.11 and radiotap headers need: little-endian integers and flags,
and optional (present-or-absent) addresses and numbers read by the layer itself.

802.11 and radiotap put multi-byte numbers on the air least significant byte first;
the fixed-part kind (``LEUIntField``) packs through a byte string so that it
shares the layer's one big-endian ``struct`` layout. The ``Opt*`` kinds are tail
fields: the layer decides whether each is on the wire (radiotap's present bits,
802.11's frame type) and encodes it with :meth:`OptField.encode`/``decode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from struct import Struct
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import FlagValue, MACField, TailField, UIntField, letters_to_int

_FMT = {1: "B", 2: "H", 4: "I", 8: "Q"}


class LEUIntField(UIntField):
    """A little-endian unsigned integer in a layer's fixed part (``size`` bytes)."""

    __slots__ = ("size",)

    def __init__(self, name: str, default: Any, size: int = 2,
                 names: Mapping[int, str] | None = None, auto: bool = False) -> None:
        super().__init__(name, default, _FMT[size], names, auto)
        self.size = size
        self.fmt = f"{size}s"

    def pack_expr(self, v: str) -> str:
        return f"({super().pack_expr(v)}).to_bytes({self.size}, 'little')"

    def unpack_expr(self, w: str) -> str:
        return f"int.from_bytes({w}, 'little')"


class OptField(TailField):
    """A number that is on the wire only when its layer says so; ``None`` when absent.

    ``code`` is its ``struct`` code, little-endian unless it says otherwise (``"H"``,
    ``"b"`` signed, ``">I"`` big-endian).
    """

    __slots__ = ("code", "maxval", "minval", "st")
    #: a value that is no int is refused (``UIntField.check_one`` reads this)
    coerce = False

    def __init__(self, name: str, code: str, default: Any = 0,
                 names: Mapping[int, str] | None = None) -> None:
        super().__init__(name, default, names)
        self.code = code
        self.st = Struct(code if code[0] in "<>!" else "<" + code)
        bits = 8 * self.st.size
        signed = code[-1].islower()
        self.minval = -(1 << (bits - 1)) if signed else 0
        self.maxval = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1

    @property
    def size(self) -> int:
        """Bytes on the wire."""
        return self.st.size

    # a name of ``names`` or an integer within its bounds, as an integer field takes it
    check_one = UIntField.check_one

    def encode(self, value: Any) -> bytes:
        """The wire bytes of ``value`` (None counts as 0)."""
        return self.st.pack(0 if value is None else int(value))

    def decode(self, buf: bytes, off: int) -> Any:
        """The value at ``buf[off:]``."""
        return self.st.unpack_from(buf, off)[0]


class OptScaledField(OptField):
    """A number kept in units of ``scale`` on the wire (radiotap's Rate: 500 kb/s units)."""

    __slots__ = ("scale", "unit")

    def __init__(self, name: str, code: str, scale: float, unit: str = "") -> None:
        super().__init__(name, code)
        self.scale = scale
        self.unit = unit

    def i2repr(self, layer: Any, value: Any) -> str:
        """The value and its unit, as Scapy shows it (``2 Mbps``)."""
        return "None" if value is None else f"{value} {self.unit}".rstrip()

    def check_one(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{self.name}: expected a number, got {value!r}")
        raw = round(value / self.scale)
        if not self.minval <= raw <= self.maxval:
            raise UsageError(f"{self.name}: {value} is out of range")
        return value

    def encode(self, value: Any) -> bytes:
        return self.st.pack(0 if value is None else round(value / self.scale))

    def decode(self, buf: bytes, off: int) -> Any:
        return self.st.unpack_from(buf, off)[0] * self.scale


class OptUnitField(OptField):
    """A number shown with its unit (radiotap's ``-40 dBm``)."""

    __slots__ = ("unit",)

    def __init__(self, name: str, code: str, unit: str) -> None:
        super().__init__(name, code)
        self.unit = unit

    def i2repr(self, layer: Any, value: Any) -> str:
        """The value and its unit."""
        return "None" if value is None else f"{value} {self.unit}"


class OptFlagsField(OptField):
    """Little-endian flags named by ``letters`` (bit 0 first), shown joined by ``+``."""

    __slots__ = ("letters", "valuetype")

    def __init__(self, name: str, code: str, letters: tuple[str, ...]) -> None:
        super().__init__(name, code, None)
        self.letters = letters
        self.valuetype = type(f"{name}Flags", (FlagValue,), {"letters": letters,
                                                            "__slots__": ()})

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.valuetype(letters_to_int(value, self.letters, self.name))
        return self.valuetype(super().check_one(value))

    def decode(self, buf: bytes, off: int) -> Any:
        return self.valuetype(self.st.unpack_from(buf, off)[0])

    def to_json(self, value: Any) -> Any:
        return None if value is None else int(value)

    def text(self, value: Any) -> str:
        return "None" if value is None else str(self.valuetype(value))


class OptMACField(TailField):
    """A MAC address that only some frame types carry; ``None`` when absent."""

    __slots__ = ("mac",)
    size = 6

    def __init__(self, name: str, default: Any = None) -> None:
        super().__init__(name, default)
        self.mac = MACField(name)

    def check_one(self, value: Any) -> Any:
        return self.mac.check_one(value)

    def encode(self, value: Any) -> bytes:
        """The 6 bytes of ``value`` (None: zeros)."""
        return bytes.fromhex(value.replace(":", "")) if value else bytes(6)

    def decode(self, buf: bytes, off: int) -> Any:
        """The address at ``buf[off:]`` as text."""
        return buf[off:off + 6].hex(":")

    def i2repr(self, layer: Any, value: Any) -> str:
        """The address and its role in this frame, as ``Dot11MACField``."""
        return _with_role(layer, self.name, value)


class OptBitField(OptField):
    """``bits`` bits of a byte shared with its neighbours, high bits first (radiotap MCS)."""

    __slots__ = ("bits",)

    def __init__(self, name: str, bits: int, names: Mapping[int, str] | None = None) -> None:
        super().__init__(name, "B", names=names)
        self.bits = bits
        self.maxval = (1 << bits) - 1

    @property
    def size(self) -> int:
        return 0


class Dot11MACField(MACField):
    """``addr1``: a MAC address that ``show()`` follows with its role, as Scapy does."""

    __slots__ = ()

    i2repr = OptMACField.i2repr  # the address and its role: ``ff:ff:ff:ff:ff:ff (RA=DA)``


def _with_role(layer: Any, name: str, value: Any) -> str:
    if value is None:
        return "None"
    role = layer.address_role(name) if hasattr(layer, "address_role") else ""
    return f"{value} ({role})" if role else str(value)
