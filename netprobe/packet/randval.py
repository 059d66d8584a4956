"""Random field values (Scapy's volatiles): ``IP(id=RandShort())`` draws a fresh id each build.

A random value is an object standing in a field. The packet keeps the object
(``repr`` shows ``<RandShort>``); each time the packet is built, every such
field gets a newly drawn value. Values come from the ``random`` module, so
``random.seed`` makes a run repeat; they are drawn as Scapy draws them (same
calls, same order: the top layer first, each layer's fields last to first), so
a seeded script builds the same bytes under both.
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from netprobe.packet import layer as _layer
from netprobe.packet.field import Volatile

__all__ = ["RandBin", "RandByte", "RandChoice", "RandIP", "RandIP6", "RandInt", "RandLong",
           "RandMAC", "RandNum", "RandNumExpo", "RandNumGamma", "RandNumGauss", "RandSByte",
           "RandSInt", "RandSLong", "RandSShort", "RandShort", "RandString", "RandTermString",
           "VolatileValue", "draw_volatiles"]


class VolatileValue(Volatile):
    """A value drawn anew each time it is used: as a field value, printed, or computed with.

    ``fuzzed`` is true for the values ``fuzz()`` put in a packet (which ``repr`` leaves
    out, as Scapy does; values a user gave are shown).
    """

    __slots__ = ("fuzzed",)

    def __init__(self) -> None:
        self.fuzzed = False
        if _layer.DRAW_VOLATILES is None:  # building looks for random values from now on
            _layer.DRAW_VOLATILES = draw_volatiles

    def _fix(self) -> Any:
        """Draw one value."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __str__(self) -> str:
        return str(self._fix())

    def __bytes__(self) -> bytes:
        v = self._fix()
        return v if isinstance(v, bytes) else str(v).encode()

    def __eq__(self, other: object) -> bool:
        return self._fix() == other

    def __ne__(self, other: object) -> bool:
        return self._fix() != other

    __hash__ = object.__hash__

    def __len__(self) -> int:
        return len(self._fix())

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self._fix(), attr)


def _binary(op: str, reverse: bool = False) -> Any:
    def method(self: Any, other: Any) -> Any:
        v = self._fix()
        return getattr(other, op)(v) if reverse else getattr(v, op)(other)

    method.__name__ = op
    return method


class RandNum(VolatileValue):
    """A random integer between ``min`` and ``max`` inclusive."""

    __slots__ = ("max", "min")

    def __init__(self, min: int, max: int) -> None:  # Scapy's names
        super().__init__()
        self.min = min
        self.max = max

    def _fix(self) -> int:
        return random.randrange(self.min, self.max + 1)

    def __int__(self) -> int:
        return self._fix()

    __index__ = __int__

    def __float__(self) -> float:
        return float(self._fix())

    for _op in ("add", "sub", "mul", "floordiv", "truediv", "mod", "pow", "and", "or", "xor",
                "lshift", "rshift", "lt", "le", "gt", "ge"):
        locals()[f"__{_op}__"] = _binary(f"__{_op}__")
    for _op in ("add", "sub", "mul", "floordiv", "truediv", "mod", "and", "or", "xor"):
        locals()[f"__r{_op}__"] = _binary(f"__{_op}__", reverse=True)
    del _op


def _numeral(name: str, lo: int, hi: int, doc: str) -> type[RandNum]:
    def __init__(self: RandNum) -> None:  # noqa: N807 - the class's initialiser
        RandNum.__init__(self, lo, hi)

    return type(name, (RandNum,), {"__init__": __init__, "__slots__": (), "__doc__": doc,
                                   "__module__": __name__})


RandByte = _numeral("RandByte", 0, 2**8 - 1, "A random unsigned 8-bit integer.")
RandSByte = _numeral("RandSByte", -2**7, 2**7 - 1, "A random signed 8-bit integer.")
RandShort = _numeral("RandShort", 0, 2**16 - 1, "A random unsigned 16-bit integer.")
RandSShort = _numeral("RandSShort", -2**15, 2**15 - 1, "A random signed 16-bit integer.")
RandInt = _numeral("RandInt", 0, 2**32 - 1, "A random unsigned 32-bit integer.")
RandSInt = _numeral("RandSInt", -2**31, 2**31 - 1, "A random signed 32-bit integer.")
RandLong = _numeral("RandLong", 0, 2**64 - 1, "A random unsigned 64-bit integer.")
RandSLong = _numeral("RandSLong", -2**63, 2**63 - 1, "A random signed 64-bit integer.")

class RandChoice(VolatileValue):
    """One of the values given, at random."""

    __slots__ = ("choices",)

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if not args:
            raise TypeError("RandChoice needs at least one value")
        self.choices = args

    def _fix(self) -> Any:
        return random.choice(self.choices)


class _RandDistribution(RandNum):
    """An integer drawn by ``random``'s function ``draw`` from the parameters, rounded; the
    parameters are kept under Scapy's names for them (the subclass's slots, in order)."""

    __slots__ = ()
    draw = ""

    def __init__(self, *params: float) -> None:
        VolatileValue.__init__(self)
        for name, value in zip(self.__slots__, params, strict=True):
            setattr(self, name, value)

    def _fix(self) -> int:
        return round(getattr(random, self.draw)(*(getattr(self, n) for n in self.__slots__)))


class RandNumExpo(_RandDistribution):
    """``base`` plus an exponentially distributed integer of rate ``lambd``."""

    __slots__ = ("base", "lambd")

    def __init__(self, lambd: float, base: int = 0) -> None:
        super().__init__(base, lambd)

    def _fix(self) -> int:
        return self.base + round(random.expovariate(self.lambd))


class RandNumGauss(_RandDistribution):
    """A normally distributed integer (mean ``mu``, deviation ``sigma``)."""

    __slots__ = ("mu", "sigma")
    draw = "gauss"

    def __init__(self, mu: float, sigma: float) -> None:
        super().__init__(mu, sigma)


class RandNumGamma(_RandDistribution):
    """A gamma-distributed integer (shape ``alpha``, scale ``beta``)."""

    __slots__ = ("alpha", "beta")
    draw = "gammavariate"

    def __init__(self, alpha: float, beta: float) -> None:
        super().__init__(alpha, beta)


#: the characters ``RandString`` draws from by default
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class RandString(VolatileValue):
    """Random bytes from ``chars``; ``size`` of them, or an exponentially random number
    (mean 100) when no size is given."""

    __slots__ = ("chars", "size")

    def __init__(self, size: Any = None, chars: bytes = _LETTERS) -> None:
        super().__init__()
        self.size = size
        self.chars = chars.encode() if isinstance(chars, str) else bytes(chars)

    def _fix(self) -> bytes:
        size = self.size
        n = round(random.expovariate(0.01)) if size is None else int(size)
        chars = self.chars
        return bytes(random.choice(chars) for _ in range(n))

    def __str__(self) -> str:
        return self._fix().decode("utf-8", "backslashreplace")


class RandBin(RandString):
    """Random bytes, any of the 256 values."""

    __slots__ = ()

    def __init__(self, size: Any = None) -> None:
        super().__init__(size, bytes(range(256)))


class RandTermString(RandString):
    """Random bytes (``size`` of them, none of them a byte of ``term``), then ``term``."""

    __slots__ = ("term",)

    def __init__(self, size: Any, term: bytes) -> None:
        term = term.encode() if isinstance(term, str) else bytes(term)
        super().__init__(size, bytes(b for b in range(256) if b not in term))
        self.term = term

    def _fix(self) -> bytes:
        return super()._fix() + self.term


class RandIP(VolatileValue):
    """A random IPv4 address inside ``iptemplate`` (a network, by default all of them)."""

    __slots__ = ("base", "count")

    def __init__(self, iptemplate: str = "0.0.0.0/0") -> None:
        super().__init__()
        net = ipaddress.IPv4Network(iptemplate, strict=False)
        self.base = int(net.network_address)
        self.count = net.num_addresses

    def _fix(self) -> str:
        return str(ipaddress.IPv4Address(self.base + random.randrange(self.count)))


class RandIP6(VolatileValue):
    """A random IPv6 address: by default any (``"**"``, eight random groups, drawn as
    Scapy draws them), or inside a network (``"2001:db8::/64"``), or after a template
    of groups, each a number, a range ``"1-ff"`` or ``"*"`` (``"2001:db8::*"``).

    A template's text is written as Scapy writes it (``2001:0db8::0a1b``); its random
    groups are drawn differently from Scapy's, so the same seed gives other addresses.
    """

    __slots__ = ("base", "count", "groups")

    def __init__(self, ip6template: str = "**") -> None:
        super().__init__()
        self.base = self.count = 0
        self.groups: list[tuple[int, int, bool] | None] | None = None
        if ip6template == "**":
            self.groups = [(0, 0xFFFF, False)] * 8
        elif "/" in ip6template or not any(c in ip6template for c in "*-"):
            net = ipaddress.IPv6Network(ip6template, strict=False)
            self.base = int(net.network_address)
            self.count = net.num_addresses
        else:
            self.groups = _ip6_template_groups(ip6template)

    def _fix(self) -> str:
        if self.groups is None:
            return str(ipaddress.IPv6Address(self.base + random.randrange(self.count)))
        out = []
        for i, g in enumerate(self.groups):
            if g is None:  # the "::" of the template, kept; a last empty group reads 0
                out.append("0" if i == len(self.groups) - 1 else "")
                continue
            lo, hi, literal = g
            v = random.randint(lo, hi) if not literal else lo
            out.append("0" if literal and v == 0 else f"{v:04x}")
        return ":".join(out)


def _ip6_template_groups(template: str) -> list[tuple[int, int, bool] | None]:
    """(low, high, literal) for each group of a ``RandIP6`` template; None for ``::``'s."""
    groups: list[tuple[int, int, bool] | None] = []
    try:
        for piece in template.split(":"):
            if piece == "":
                groups.append(None)
            elif piece == "*":
                groups.append((0, 0xFFFF, False))
            elif "-" in piece:
                lo, hi = (int(x, 16) for x in piece.split("-", 1))
                groups.append((min(lo, hi), max(lo, hi), False))
            else:
                v = int(piece, 16)
                groups.append((v, v, True))
    except ValueError:
        raise ValueError(f"RandIP6: {template!r} is not an IPv6 template "
                         "(like 2001:db8::* or 2001:db8::1-ff)") from None
    return groups


class RandMAC(VolatileValue):
    """A random MAC address; a template such as ``"00:11:*:*:*:*"`` fixes some octets."""

    __slots__ = ("octets",)

    def __init__(self, template: str = "*") -> None:
        super().__init__()
        parts = template.replace("-", ":").split(":")
        parts += ["*"] * (6 - len(parts))
        octets: list[int | None] = []
        for p in parts[:6]:
            if p == "*":
                octets.append(None)
            else:
                try:
                    octets.append(int(p, 16) & 0xFF)
                except ValueError:
                    raise ValueError(f"RandMAC: {template!r} is not a MAC template "
                                     "(like 00:11:*:*:*:*)") from None
        self.octets = tuple(octets)

    def _fix(self) -> str:
        return ":".join(f"{random.randrange(256) if o is None else o:02x}" for o in self.octets)


def draw_volatiles(pkt: Any) -> Any:
    """``pkt`` itself when no field holds a random value, else a copy with values drawn.

    Drawn as Scapy draws them: the top layer first, each layer's fields last to first.
    """
    cur = pkt
    while cur is not None:
        for name in cur.field_names:
            if isinstance(getattr(cur, name, None), Volatile):  # (a field emptied by del: None)
                break
        else:
            cur = cur._payload
            continue
        break
    if cur is None:
        return pkt
    top = pkt.copy()  # (a field emptied by ``del`` takes its default again)
    chain = top.chain()
    for layer in reversed(chain):
        by_name = layer.fields_by_name
        for name in reversed(layer.field_names):
            v = getattr(layer, name)
            if isinstance(v, Volatile):
                setattr(layer, name, by_name[name].check(v._fix()))
    top._errors = pkt._errors
    return top
