"""Field kinds: how one header field is checked, stored, put on the wire and shown.

A layer lists its fields once; the layer base class (``layer.py``) turns that list
into a ``struct`` layout and generated pack/unpack code. Each field kind therefore
describes itself as *code templates* (``pack_expr`` / ``unpack_expr``) that the
base class pastes into those generated functions, so the hot path makes no
per-field method calls.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any

from netprobe.errors import UsageError

_inet_aton_strict = socket.inet_pton
_AF4 = socket.AF_INET
_AF6 = socket.AF_INET6


class SetValue(list):
    """A field value that stands for several values: the packet becomes a set."""

    #: how an address block given as the value shows (Scapy's ``Net("198.18.0.0/30")``,
    #: which prints as its first address); None for a plain list
    shown_as: str | None = None
    #: the value as given (``[1, 2, (5, 9)]``, ``(20, 23)``, ``range(1, 4)``), which
    #: ``repr()``, ``show()`` and the summaries print, as Scapy keeps and prints it
    given: Any = None

    def __repr__(self) -> str:
        return self.shown_as or list.__repr__(self)

    def __str__(self) -> str:
        return str(self[0]) if self.shown_as and self else self.__repr__()

    def flattened(self) -> SetValue:
        """The set with the blocks in it opened (``["198.18.0.0/31", "198.18.1.1"]``
        gives three addresses), as given."""
        flat = SetValue()
        for x in self:
            flat.extend(x) if isinstance(x, SetValue) else flat.append(x)
        flat.given = self.given
        return flat


def _block(value: Any, name: str, family: int) -> SetValue | None:
    """The addresses of a block given as ``"net/len"`` text or a ``Net``/``Net6`` (at most
    65536), shown as Scapy's ``Net``; None when ``value`` is no block."""
    if not isinstance(value, str):
        from netprobe.packet.addresses import Net

        if not isinstance(value, Net):
            return None
        if value.family != family:
            raise UsageError(f"{name}: {value!r} is not a block of this address family")
        value = f"{value.net}/{value.mask}"
    if "/" not in value:
        return None
    kind = ipaddress.IPv4Network if family == _AF4 else ipaddress.IPv6Network
    try:
        net = kind(value, strict=False)
    except ValueError:
        raise UsageError(f"{name}: {value!r} is not an IPv{4 if family == _AF4 else 6} "
                         "network") from None
    if net.num_addresses > 1 << 16:
        raise UsageError(f"{name}: {value} has {net.num_addresses} addresses; "
                         "at most 65536 per field")
    out = SetValue(str(a) if family == _AF4 else _ip6_text(a.packed) for a in net)
    out.shown_as = f'{"Net" if family == _AF4 else "Net6"}("{value}")'
    return out


class Volatile:
    """Base of values drawn afresh each time a packet is built (``packet/randval.py``).

    Any field accepts one as it is; building draws a value and checks that instead.
    """

    __slots__ = ()


class FlagValue(int):
    """An int that prints and compares as flag names (``TCP.flags == "SA"``, ``"DF"``)."""

    __slots__ = ()
    letters: str | tuple[str, ...] = ""

    def __str__(self) -> str:
        v = int(self)
        names = [ch for i, ch in enumerate(self.letters) if v >> i & 1]
        return "".join(names) if isinstance(self.letters, str) else "+".join(names)

    def __repr__(self) -> str:
        return f"<Flag {int(self)} ({self})>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                return int(self) == letters_to_int(other, self.letters, "flags")
            except UsageError:
                return False
        return int.__eq__(self, other)

    def __hash__(self) -> int:
        return int.__hash__(self)

    def __contains__(self, flag: str) -> bool:
        want = letters_to_int(flag, self.letters, "flags")
        return int(self) & want == want

    def __getattr__(self, name: str) -> bool:
        # one attribute per flag, as Scapy's: pkt[TCP].flags.S, pkt[IP].flags.DF
        letters = type(self).letters
        if name in letters and (isinstance(letters, tuple) or len(name) == 1):
            return bool(int(self) >> letters.index(name) & 1)
        raise AttributeError(name)

    def _bits(self, other: Any) -> int:
        if isinstance(other, str):
            return letters_to_int(other, type(self).letters, "flags")
        return int(other)

    # Set operations keep the flag type and take letters too, as Scapy's
    # (``flags |= "A"``, ``flags & "S"``); ``+`` adds flags and ``-`` removes them.
    def __or__(self, other: Any) -> FlagValue:
        return type(self)(int(self) | self._bits(other))

    def __and__(self, other: Any) -> FlagValue:
        return type(self)(int(self) & self._bits(other))

    def __xor__(self, other: Any) -> FlagValue:
        return type(self)(int(self) ^ self._bits(other))

    __add__ = __or__

    def __sub__(self, other: Any) -> FlagValue:
        return type(self)(int(self) & ~self._bits(other))

    __ror__, __rand__, __rxor__, __radd__ = __or__, __and__, __xor__, __add__

    @property
    def names(self) -> str | list[str]:
        """Every flag name, bit 0 first (Scapy's ``flags.names``)."""
        letters = type(self).letters
        return letters if isinstance(letters, str) else list(letters)

    @property
    def value(self) -> int:
        """The flags as a number (Scapy's ``flags.value``)."""
        return int(self)

    flagrepr = __str__  # the flags as letters (Scapy's ``flagrepr()``)

    def __reduce__(self) -> Any:
        # the class is made per field: pickles name it by its letters
        return (flag_value, (type(self).__name__, type(self).letters, int(self)))


#: (class name, letters) -> the flag value class, so that pickles find the same class
_FLAG_TYPES: dict[tuple[str, Any], type[FlagValue]] = {}


def flag_type(name: str, letters: str | tuple[str, ...]) -> type[FlagValue]:
    """The flag value class for these letters (made once)."""
    key = (name, letters)
    t = _FLAG_TYPES.get(key)
    if t is None:
        t = _FLAG_TYPES[key] = type(name, (FlagValue,), {"letters": letters, "__slots__": ()})
    return t


def flag_value(name: str, letters: str | tuple[str, ...], value: int) -> FlagValue:
    """A flag value from its class name, letters and number (what pickles store)."""
    return flag_type(name, letters)(value)


def letters_to_int(text: str, letters: str | tuple[str, ...], name: str) -> int:
    """Turn ``"SA"`` (or ``"MF+DF"`` for named flags) into bits, bit 0 first."""
    value = 0
    parts = list(text) if isinstance(letters, str) else [p for p in text.split("+") if p]
    for part in parts:
        try:
            i = letters.index(part)
        except ValueError:
            known = letters if isinstance(letters, str) else ", ".join(letters)
            raise UsageError(f"{name}: unknown flag {part!r} (known: {known})") from None
        value |= 1 << i
    return value


_MAC_CACHE: dict[str, bytes] = {}
#: MAC text already checked -> its normalised form
_MAC_OK: dict[str, str] = {}


def _mac_to_bytes(text: str) -> bytes:
    # A run sends to few MACs: remember them. The check path gives clear errors.
    raw = _MAC_CACHE.get(text)
    if raw is None:
        raw = bytes.fromhex(text.replace(":", "").replace("-", ""))
        if len(_MAC_CACHE) < 65536:
            _MAC_CACHE[text] = raw
    return raw


def _ip4_to_bytes(text: str) -> bytes:
    return _inet_aton_strict(_AF4, text)


def _ip6_to_bytes(text: str) -> bytes:
    return _inet_aton_strict(_AF6, text)


def _ip6_text(raw: bytes) -> str:
    # RFC 5952 form: glibc's inet_ntop writes lowercase, compresses the longest run of
    # two or more zero groups (never a single one) and writes IPv4-mapped addresses
    # with a dotted quad, as RFC 5952 section 5 recommends; 15x faster than ipaddress.
    return socket.inet_ntop(_AF6, raw)


#: entries an :class:`AddressTexts` holds at most before it starts again
ADDRESS_TEXTS_MAX = 8192


class AddressTexts(dict):
    """Address bytes -> their text, made on first sight: a dissected address then costs
    a lookup, not ``inet_ntoa``'s formatting (each took a twentieth of an Ether/IP/TCP
    dissection). Emptied when full, so that a capture of many hosts stays bounded."""

    __slots__ = ("convert",)

    def __init__(self, convert: Any) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, raw: bytes) -> str:
        if len(self) >= ADDRESS_TEXTS_MAX:
            self.clear()
        text = self[raw] = self.convert(raw)
        return text


#: the text of the IPv4 and IPv6 addresses dissected (read by the generated unpack code)
IP4_TEXTS = AddressTexts(socket.inet_ntoa)
IP6_TEXTS = AddressTexts(_ip6_text)


class Field:
    """One header field. Subclasses say how the value is checked and encoded.

    ``auto`` fields default to ``None`` and are computed while building
    (lengths, checksums, protocol numbers); a value set by hand is kept.
    """

    __slots__ = ("auto", "default", "name", "names")
    #: struct format of the field, or "" for a variable-length (tail) field
    fmt = ""
    #: bits, for bit fields packed into a shared struct unit
    bits = 0
    #: the field may take a list or range, making the packet a set
    settable = True

    def __init__(self, name: str, default: Any = None, names: Mapping[int, str] | None = None,
                 auto: bool = False) -> None:
        self.name = name
        self.default = default
        self.names = dict(names) if names else None
        self.auto = auto or default is None

    def __repr__(self) -> str:
        # Scapy's: <ShortEnumField (TCP,TCPerror).sport>, the layers that declare it
        from netprobe.packet.present import field_repr

        return field_repr(self)

    # -- templates for generated code -------------------------------------------------------
    def pack_expr(self, v: str) -> str:
        """Python expression turning stored value ``v`` into the struct value."""
        return v

    def unpack_expr(self, w: str) -> str:
        """Python expression turning struct value ``w`` into the stored value."""
        return w

    def check_expr(self, v: str) -> str:
        """Python expression validating user value ``v`` (fast path inline, slow path call)."""
        return f"_chk_{self.name}({v})"

    # -- slow path: checking user input -----------------------------------------------------
    def check(self, value: Any) -> Any:
        """Validate a user-given value; return it normalised. Raises UsageError."""
        if value is None:
            return None
        if self.settable and isinstance(value, (list, tuple, range)) and not isinstance(
                value, (str, bytes)):
            items: list[Any] = []
            ints = isinstance(self, UIntField) and not isinstance(self, FlagsField)
            for item in [value] if isinstance(value, range) else value:
                if isinstance(item, range):
                    if ints and item:
                        # a range lies between its ends: checking them checks it all
                        self.check_one(item[0])
                        self.check_one(item[-1])
                        items.extend(item)
                    else:
                        items.extend(self.check_one(x) for x in item)
                else:
                    items.append(self.check_one(item))
            if not items:
                raise UsageError(f"{self.name}: empty list of values")
            out = SetValue(items)
            out.given = value
            return out
        if isinstance(value, Volatile):  # drawn when built
            return value
        return self.check_one(value)

    def check_one(self, value: Any) -> Any:
        """Validate one scalar value."""
        return value

    # -- presentation ------------------------------------------------------------------------
    def to_json(self, value: Any) -> Any:
        """JSON form of a stored value."""
        return value

    def text(self, value: Any) -> str:
        """Human form, for ``show()``."""
        if value is None:
            return "None"
        if self.names and isinstance(value, int) and value in self.names:
            return f"{value} ({self.names[value]})"
        return repr(value) if isinstance(value, (str, bytes)) else str(value)


class UIntField(Field):
    """An unsigned integer of 8, 16, 32 or 64 bits; names accepted for enumerations."""

    __slots__ = ("fmt", "maxval")
    #: the smallest value (a signed kind of Scapy's sets its own)
    minval = 0
    #: whether a value that is no int is taken as ``int()`` reads it (Scapy's kinds take an
    #: enum member or a float); netprobe's refuse it
    coerce = False

    def __init__(self, name: str, default: Any, fmt: str = "H", names: Mapping[int, str] | None
                 = None, auto: bool = False) -> None:
        super().__init__(name, default, names, auto)
        self.fmt = fmt
        self.maxval = (1 << (8 * {"B": 1, "H": 2, "I": 4, "Q": 8}[fmt])) - 1

    def pack_expr(self, v: str) -> str:
        return f"(0 if {v} is None else {v})" if self.auto else v

    def check_expr(self, v: str) -> str:
        # ``__class__``, not ``type()``: a field may itself be named ``type``
        return (f"({v} if {v}.__class__ is int and {self.minval} <= {v} <= {self.maxval} "
                f"else _chk_{self.name}({v}))")

    def _pair_range(self, value: Any) -> Any:
        """A pair of numbers as the inclusive range it stands for; anything else as it is."""
        if (type(value) is tuple and len(value) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in value)):
            lo, hi = value
            if hi < lo:
                raise UsageError(f"{self.name}: empty range {value!r} (low, high)")
            if lo < 0 or hi > self.maxval:
                raise UsageError(f"{self.name}: range {value!r} goes beyond 0..{self.maxval}")
            return range(lo, hi + 1)
        return value

    def check(self, value: Any) -> Any:
        # Scapy's convention: a pair of numbers is an inclusive range, TCP(dport=(1, 1024)),
        # alone or in a list, IP(ttl=[1, 2, (5, 9)]).
        given = value
        value = self._pair_range(value)
        if type(value) is list:
            value = [self._pair_range(v) for v in value]
        out = super().check(value)
        if type(out) is SetValue:
            out.given = given
        return out

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str) and self.names:
            for k, n in self.names.items():
                if n == value:
                    return k
            raise UsageError(f"{self.name}: unknown name {value!r} "
                             f"(known: {', '.join(sorted(self.names.values()))})")
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                if not self.coerce:
                    raise TypeError
                value = int(value)
            except (TypeError, ValueError):
                raise UsageError(f"{self.name}: expected an integer, got "
                                 f"{type(value).__name__} {value!r}") from None
        if not self.minval <= value <= self.maxval:
            raise UsageError(f"{self.name}: {value} is out of range {self.minval}..{self.maxval}")
        return value


def ByteField(name: str, default: Any, names: Mapping[int, str] | None = None,  # noqa: N802
              auto: bool = False) -> UIntField:
    """An 8-bit unsigned field."""
    return UIntField(name, default, "B", names, auto)


def ShortField(name: str, default: Any, names: Mapping[int, str] | None = None,  # noqa: N802
               auto: bool = False) -> UIntField:
    """A 16-bit unsigned field."""
    return UIntField(name, default, "H", names, auto)


def IntField(name: str, default: Any, names: Mapping[int, str] | None = None,  # noqa: N802
             auto: bool = False) -> UIntField:
    """A 32-bit unsigned field."""
    return UIntField(name, default, "I", names, auto)


class NamedByTableField(UIntField):
    """A 16-bit field whose values a system table names (ports by ``/etc/services``):
    a name given as the value is looked up there (``TCP(dport="http")``)."""

    __slots__ = ("table",)

    def __init__(self, name: str, default: Any, table: Any,
                 names: Mapping[int, str] | None = None) -> None:
        super().__init__(name, default, "H", names)
        self.table = table

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            for k, n in self.table().items():
                if n == value:
                    return k
            if self.names and value in self.names.values():
                return super().check_one(value)
            raise UsageError(f"{self.name}: unknown name {value!r}")
        return super().check_one(value)


class BitField(UIntField):
    """An unsigned field of ``bits`` bits sharing a struct unit with its neighbours."""

    __slots__ = ("bits",)

    def __init__(self, name: str, default: Any, bits: int, names: Mapping[int, str] | None
                 = None, auto: bool = False) -> None:
        super().__init__(name, default, "B", names, auto)
        self.fmt = ""
        self.bits = bits
        self.maxval = (1 << bits) - 1


class FlagsField(BitField):
    """Bit flags named by letters, bit 0 first (TCP's ``"FSRPAUECN"``)."""

    __slots__ = ("letters", "valuetype")

    def __init__(self, name: str, default: Any, bits: int,
                 letters: str | tuple[str, ...]) -> None:
        super().__init__(name, default, bits)
        self.letters = letters
        self.valuetype = flag_type(f"{name.title()}Flags", letters)
        if isinstance(default, (int, str)):
            self.default = self.check_one(default)

    def unpack_expr(self, w: str) -> str:
        # every possible value is made once; dissection indexes the table
        return f"_flagtab_{self.name}[{w}]"

    def check_expr(self, v: str) -> str:
        return f"(_flagcache_{self.name}.get({v}) or _chk_{self.name}({v}))"

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.valuetype(letters_to_int(value, self.letters, self.name))
        return self.valuetype(super().check_one(value))

    def to_json(self, value: Any) -> Any:
        return None if value is None else str(self.valuetype(value))

    def text(self, value: Any) -> str:
        return "None" if value is None else f"{self.valuetype(value)}"


class MACField(Field):
    """A 48-bit MAC address, stored as ``"aa:bb:cc:dd:ee:ff"`` (lowercase).

    Unset (None), it builds as ``fallback``: broadcast for destinations, zeros for
    sources; floor 2 fills real addresses before sending.
    """

    __slots__ = ("fallback",)
    fmt = "6s"

    def __init__(self, name: str, default: Any = None,
                 fallback: str = "00:00:00:00:00:00") -> None:
        super().__init__(name, default)
        self.fallback = fallback

    def pack_expr(self, v: str) -> str:
        if self.auto:
            return f"_mac2b({v} or {self.fallback!r})"
        return f"_mac2b({v})"

    def unpack_expr(self, w: str) -> str:
        return f"{w}.hex(':')"

    def check_expr(self, v: str) -> str:
        return f"((_MAC_OK.get({v}) if {v}.__class__ is str else None) or _chk_{self.name}({v}))"

    def check(self, value: Any) -> Any:
        if type(value) is str and len(value) == 17 and value[2] == ":":
            try:
                norm = bytes.fromhex(value.replace(":", "")).hex(":")
            except ValueError:
                pass
            else:
                if len(_MAC_OK) < 65536:
                    _MAC_OK[value] = norm
                return norm
        return super().check(value)

    def check_one(self, value: Any) -> Any:
        if isinstance(value, bytes) and len(value) == 6:
            return value.hex(":")
        if isinstance(value, str):
            raw = value.replace(":", "").replace("-", "")
            if len(raw) == 12:
                try:
                    return bytes.fromhex(raw).hex(":")
                except ValueError:
                    pass
        raise UsageError(f"{self.name}: {value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)")


class _AddressField(Field):
    """An IP address in text (IPv4 dotted quad, IPv6 in RFC 5952 form): ``version`` says
    which, and the names the generated code packs (``_ip4``) and shows (``_ip4_texts``) by."""

    __slots__ = ()
    version = 4

    def pack_expr(self, v: str) -> str:
        # an unset source is asked of the route hook (see packet/route.py)
        value = f"{v} if {v} is not None else self.auto_src()" if self.auto else v
        return f"_ip{self.version}({value})"

    def unpack_expr(self, w: str) -> str:
        return f"_ip{self.version}_texts[{w}]"

    def check_one(self, value: Any) -> Any:
        v4 = self.version == 4
        block = _block(value, self.name, _AF4 if v4 else _AF6)
        if block is not None:
            return block
        try:
            packed = (ipaddress.IPv4Address if v4 else ipaddress.IPv6Address)(value).packed
        except (ValueError, TypeError):
            raise UsageError(f"{self.name}: {value!r} is not an IPv{self.version} address"
                             ) from None
        return socket.inet_ntoa(packed) if v4 else _ip6_text(packed)


class IPv4Field(_AddressField):
    """An IPv4 address in dotted-quad text."""

    __slots__ = ()
    fmt = "4s"

    def check(self, value: Any) -> Any:
        if type(value) is str:
            try:
                _inet_aton_strict(_AF4, value)
                return value
            except OSError:
                pass
        v = super().check(value)
        if type(v) is SetValue and v.shown_as is None:  # a list of CIDRs flattens into one set
            return v.flattened()
        return v


class IPv6Field(_AddressField):
    """An IPv6 address, shown in RFC 5952 form."""

    __slots__ = ()
    fmt = "16s"
    version = 6


class BytesField(Field):
    """A fixed-size byte string (shorter values are zero-padded)."""

    __slots__ = ("fmt",)

    def __init__(self, name: str, default: bytes, size: int) -> None:
        super().__init__(name, default)
        self.fmt = f"{size}s"

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, (bytes, bytearray)):
            raise UsageError(f"{self.name}: expected bytes, got {value!r}")
        return bytes(value)

    def to_json(self, value: Any) -> Any:
        return None if value is None else bytes(value).hex()


class TailField(Field):
    """A variable-length part after the fixed header; the layer builds and parses it."""

    __slots__ = ()
    settable = False


class OneValue:
    """A field kind whose value is never a packet set: ``check`` is ``check_one``."""

    __slots__ = ()

    def check(self, value: Any) -> Any:
        return self.check_one(value)  # type: ignore[attr-defined]


class OptionalUInt(UIntField, TailField):
    """An unsigned field its layer puts on the wire only when a flag or its type says so
    (the layer builds and reads it); ``bits`` narrower than ``fmt`` bounds its values."""

    __slots__ = ()
    settable = True

    def __init__(self, name: str, default: Any, fmt: str = "H", names: Any = None,
                 bits: int = 0) -> None:
        UIntField.__init__(self, name, default, fmt, names)
        if bits:
            self.maxval = (1 << bits) - 1


class RawBytesField(TailField):
    """Variable-length bytes (payload data, unparsed options)."""

    __slots__ = ()

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise UsageError(f"{self.name}: expected bytes or text, got {type(value).__name__}")

    to_json = BytesField.to_json


class ListField(TailField):
    """A variable-length list (options, DNS records); items are checked by the layer."""

    __slots__ = ("item_check",)

    def __init__(self, name: str, default: Any = None, item_check: Any = None) -> None:
        super().__init__(name, default)
        self.auto = False
        self.item_check = item_check

    def check_one(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            value = [value]
        items = list(value)
        if self.item_check is not None:
            items = [self.item_check(self.name, x) for x in items]
        return items

    def check(self, value: Any) -> Any:
        return self.check_one(value)

    def to_json(self, value: Any) -> Any:
        if value is None:
            return None
        out = []
        for x in value:
            if hasattr(x, "to_dict"):
                out.append(x.to_dict())
            elif isinstance(x, tuple):
                out.append([v.hex() if isinstance(v, bytes) else v for v in x])
            else:
                out.append(x.hex() if isinstance(x, bytes) else x)
        return out
