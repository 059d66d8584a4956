"""The layer base class: everything a protocol needs, derived from its field list.

A protocol is a subclass that lists ``fields`` in wire order. ``LayerMeta`` turns
that list into ``__slots__``, one precompiled ``struct.Struct`` for the fixed
part, and generated ``__init__``/pack/unpack/copy functions (so building and
dissecting make no per-field Python calls). Each generated function is written
and compiled the first time it is used, so importing every layer family
compiles nothing: a class pays for its own code once, when first used.
Stacking (``/``), packet sets, layer lookup, JSON and ``show()`` live here once
for every protocol.
"""

from __future__ import annotations

import copy
import itertools
import socket
import struct
import sys
import time as _time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from netprobe.errors import UsageError
from netprobe.packet import code_cache
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.field import OneValue as OneValue  # (the layer families import them here)
from netprobe.packet.field import OptionalUInt as OptionalUInt

_UNSET = object()
_SET_TYPES = (F.SetValue, list, range, tuple)


class ParseError(Exception):
    """Raised inside a dissector when bytes do not fit the layer; becomes a note + Raw."""


class Truncated(ParseError):
    """The bytes end before the header does (a capture's snap length can explain it)."""


class _NoLength(UsageError, TypeError):
    """``len()`` of a packet that cannot be built (a packet set, a missing value)."""


class LengthNote(str):
    """A dissection note about lengths that a capture's snap length alone can explain."""

    __slots__ = ()


def bit_units(fields: Any, sizes: tuple[int, ...] | None = None) -> list[list[F.Field]]:
    """Split ``fields`` into units: one field, or a run of bit fields that fills whole
    bytes (``sizes`` bits when given: the fixed part's struct units, ``_group_fixed``)."""
    units: list[list[F.Field]] = []
    bits_run: list[F.Field] = []
    total = 0
    for f in fields:
        if f.bits:
            bits_run.append(f)
            total += f.bits
            if (total in sizes) if sizes else total % 8 == 0:
                units.append(bits_run)
                bits_run, total = [], 0
            continue
        if bits_run:
            raise TypeError(f"bit fields before {f.name} do not fill whole bytes")
        units.append([f])
    if bits_run:
        raise TypeError("trailing bit fields do not fill whole bytes")
    return units


def _group_fixed(fields: tuple[F.Field, ...]) -> list[list[F.Field]]:
    """Split the fixed fields (those before the first tail field) into struct units."""
    return bit_units(itertools.takewhile(lambda f: not isinstance(f, F.TailField), fields),
                     (8, 16, 24, 32, 64))


_UNIT_FMT = {8: "B", 16: "H", 32: "I", 64: "Q"}


class LayerMeta(type):
    """Derives slots, struct layout and generated code from ``fields``."""

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> LayerMeta:
        fields = ns.get("fields")
        if isinstance(fields, _FieldsAttr):  # ``fields = Other.fields`` read on a class
            fields = ns["fields"] = fields.desc
        inherited: set[str] = set()
        for b in bases:
            for k in getattr(b, "__mro__", ()):
                inherited.update(getattr(k, "__slots__", ()))
        if fields is not None:
            fields = _mark(fields, _computed_names(ns, bases), _COMPUTED)
            fields = ns["fields"] = _mark(fields, _deletable_names(ns, bases, fields),
                                          _DELETABLE)
            own = [slot_name(f) for f in fields if slot_name(f) not in inherited]
            ns["__slots__"] = tuple(own) + tuple(ns.get("__slots__", ()))
        else:
            ns.setdefault("__slots__", ())
        ns.setdefault("name", name)
        cls = super().__new__(mcs, name, bases, ns)
        if fields is not None:
            _derive(cls)
        _forwarders_for(cls)
        return cls


#: id -> field, for the fields whose unset value reads as what fills it when built
_COMPUTED: dict[int, F.Field] = {}
#: id -> field, for the fields ``del`` resets to their default (see ``_deletable_names``)
_DELETABLE: dict[int, F.Field] = {}


def _deletable_names(ns: dict[str, Any], bases: tuple[type, ...], fields: Any) -> set[str]:
    """The fields of a class being made that ``del`` resets to their default, readable
    at once (Scapy's ``del pkt.chksum`` then ``pkt.chksum`` is None): the class's
    ``deletable_fields``, declared or inherited."""
    names: set[str] = set()
    if "deletable_fields" in ns:
        names.update(ns["deletable_fields"])
    else:
        for b in bases:
            names.update(getattr(b, "deletable_fields", ()))
            break
    return names


def _computed_names(ns: dict[str, Any], bases: tuple[type, ...]) -> set[str]:
    """The fields of a class being made that read as their build-time value while unset:
    its ``payload_fields`` and ``computed_fields``, declared or inherited."""
    names: set[str] = set()
    for attr in ("payload_fields", "computed_fields"):
        if attr in ns:
            names.update(ns[attr])
        else:
            for b in bases:
                names.update(getattr(b, attr, ()))
                break
    return names


def _mark(fields: Any, names: set[str], table: dict[int, F.Field]) -> tuple[F.Field, ...]:
    """``fields`` with the ones named in ``names`` (and only those) in ``table``; a field
    shared with a class that marks it otherwise is copied first (its other marks kept)."""
    out = []
    for f in fields:
        want = f.name in names
        if (id(f) in table) != want:
            old = f
            f = copy.copy(f)
            for other in (_COMPUTED, _DELETABLE):
                if other is not table and id(old) in other:
                    other[id(f)] = f
            if want:
                table[id(f)] = f
        out.append(f)
    return tuple(out)


def slot_name(f: F.Field) -> str:
    """Where a field's value is stored: its name, or ``_f_NAME`` for a field whose
    attribute converts what is assigned (flags given as text: ``pkt.flags = "SA"``) or
    reads as what fills it while unset (``IP().proto`` is 0, ``IP().src`` the route's)."""
    if isinstance(f, F.FlagsField) or id(f) in _COMPUTED or id(f) in _DELETABLE:
        return f"_f_{f.name}"
    if f.name == "name":  # the class's own ``name`` (its title) keeps the attribute
        return "_f_name"
    return f.name


class _FieldsAttr:
    """``fields``: the field list on a class (netprobe's declarations); on a packet,
    Scapy's dict of the fields that were given a value (every field, once dissected)."""

    __slots__ = ("desc",)

    def __init__(self, desc: tuple[F.Field, ...]) -> None:
        self.desc = desc

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self.desc
        return obj.fields_given()


class _Slot:
    """A field's attribute over its slot; subclasses say what setting and ``del`` do."""

    __slots__ = ("field", "slot")

    def __init__(self, field: F.Field, slot: Any) -> None:
        self.field = field
        self.slot = slot

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else self.slot.__get__(obj, objtype)


class _NamedSlot(_Slot):
    """A field whose values have names: a name assigned is stored as its number."""

    __slots__ = ()

    def __set__(self, obj: Any, value: Any) -> None:
        if value.__class__ is str and self.field.names:  # p.proto = "udp": stored as 17
            value = self.field.check(value)
        self.slot.__set__(obj, value)


class _FlagSlot(_Slot):
    """A flags field's attribute: text or numbers assigned become flag values."""

    __slots__ = ()

    def __set__(self, obj: Any, value: Any) -> None:
        if value is not None and type(value) is not self.field.valuetype:
            value = self.field.check(value)
        self.slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.slot.__set__(obj, self.field.default)


class _ComputedSlot(_NamedSlot):
    """A field that fills itself when built reads, while unset, as Scapy's does: the value
    the layer above or the route gives (``(IP()/TCP()).proto`` is 6, ``IP().src`` the
    source address of the route to ``dst``); the stored value stays None."""

    __slots__ = ()

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        v = self.slot.__get__(obj, objtype)
        return obj.unset_value(self.field.name) if v is None else v

    def __delete__(self, obj: Any) -> None:
        self.slot.__set__(obj, as_default(self.field.default))


class _ResetSlot(_NamedSlot):
    """A field ``del`` resets to its default rather than empties (Scapy's ``del
    pkt.chksum`` leaves None, to be computed when built; ``del pkt.ttl`` leaves 64)."""

    __slots__ = ("default",)

    def __init__(self, field: F.Field, slot: Any) -> None:
        super().__init__(field, slot)
        self.default = field.default

    def __delete__(self, obj: Any) -> None:
        d = self.default
        self.slot.__set__(obj, list(d) if isinstance(d, list) else as_default(d))


class _NameSlot(_ResetSlot):
    """A field called ``name``: on the class, ``name`` is still the layer's title (what
    ``show()`` heads it with); on a packet, the field's value."""

    __slots__ = ("title",)

    def __init__(self, field: F.Field, slot: Any, title: Any) -> None:
        super().__init__(field, slot)
        self.title = title.title if isinstance(title, _NameSlot) else title

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self.title if obj is None else self.slot.__get__(obj, objtype)


class _ComputedFlagSlot(_FlagSlot):
    """A flags field that is also computed while unset (VXLAN's flags)."""

    __slots__ = ()
    __get__ = _ComputedSlot.__get__


class _Forward:
    """A field name another layer has: reads and writes reach the first layer above that
    has it (Scapy's attribute fall-through: ``(IP() / TCP()).dport``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.name)
        name = self.name
        own = obj.__dict__
        if name in own:  # an attribute of the packet's own (set when no layer had the field)
            return own[name]
        cur = obj._payload
        while cur is not None:
            if name in type(cur).fields_by_name:
                return getattr(cur, name)
            cur = cur._payload
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")

    def __set__(self, obj: Any, value: Any) -> None:
        cur = obj._payload
        name = self.name
        while cur is not None:
            if name in type(cur).fields_by_name:
                setattr(cur, name, value)
                return
            cur = cur._payload
        # no layer above has the field: a plain attribute of this packet, as in Scapy
        # (a user layer's __init__ may keep its own state under any name)
        obj.__dict__[name] = value


#: every layer class, and every field name some layer has (the names that fall through)
_ALL_CLASSES: list[type] = []
_FORWARDS: dict[str, _Forward] = {}


def _forwarders_for(cls: Any) -> None:
    """Give ``cls`` a forwarder for every field name of other layers it lacks, and every
    layer class a forwarder for the new field names ``cls`` brings."""
    _ALL_CLASSES.append(cls)
    new = [n for n in getattr(cls, "field_names", ()) if n not in _FORWARDS]
    for n in new:
        _FORWARDS[n] = _Forward(n)
    for n, fwd in _FORWARDS.items():
        if not hasattr(cls, n):
            setattr(cls, n, fwd)
    if new:
        for other in _ALL_CLASSES:
            if other is cls:
                continue
            for n in new:
                if not hasattr(other, n):
                    setattr(other, n, _FORWARDS[n])


def _derive(cls: Any) -> None:
    """Compute what a layer class needs from its field list; its code comes on first use.

    The struct layout and field table are made here (cheap); the generated
    ``__init__``/pack/unpack/copy functions are written by ``_CodeOnFirstUse`` the
    first time each is looked up, so importing many layer families compiles nothing.
    """
    fields: tuple[F.Field, ...] = tuple(cls.__dict__["fields"])
    cls.fields = _FieldsAttr(fields)
    if "fields_desc" not in cls.__dict__:
        cls.fields_desc = list(fields)
    for f in fields:
        member = cls.__dict__.get(slot_name(f))
        if member is None or slot_name(f) == f.name:
            continue
        if isinstance(f, F.FlagsField):
            kind = _ComputedFlagSlot if id(f) in _COMPUTED else _FlagSlot
            setattr(cls, f.name, kind(f, member))
        elif f.name == "name":
            cls.name = _NameSlot(f, member, cls.__dict__.get("name", cls.__name__))
        elif id(f) in _COMPUTED:
            setattr(cls, f.name, _ComputedSlot(f, member))
        else:
            setattr(cls, f.name, _ResetSlot(f, member))
    cls.field_names = tuple(f.name for f in fields)
    cls.fields_by_name = {f.name: f for f in fields}
    units = _group_fixed(fields)
    # the struct of the fixed part, and where each fixed field sits: name -> (byte offset,
    # unit size, shift, bits); a whole field has shift 0 and bits 8 * size. Templates
    # patch probes through this table.
    fmt = "!"
    offsets: dict[str, tuple[int, int, int, int]] = {}
    pos = 0
    for u in units:
        if len(u) == 1 and not u[0].bits:
            fmt += u[0].fmt
            size = struct.calcsize("!" + u[0].fmt)
            offsets[u[0].name] = (pos, size, 0, 8 * size)
            pos += size
            continue
        total = sum(f.bits for f in u)
        fmt += _UNIT_FMT.get(total, "") or "3s"
        shift = total
        for f in u:
            shift -= f.bits
            offsets[f.name] = (pos, total // 8, shift, f.bits)
        pos += total // 8
    cls._struct = struct.Struct(fmt)
    cls.fixed_len = cls._struct.size
    cls.tail_fields = tuple(f for f in fields if isinstance(f, F.TailField))
    cls.field_offsets = offsets
    # what the code is generated from, as the class stands now (later changes to these
    # class attributes do not reach the code, as when it was generated here)
    spec = _CodeSpec(fields, units, tuple(getattr(cls, "payload_fields", ())),
                     tuple(getattr(cls, "keep_slots", ())))
    for name in _WRITERS:
        setattr(cls, name, _CodeOnFirstUse(cls, name, spec))
    cls._dissect_table = {}


class _CodeSpec:
    """What a layer's generated code is written from, fixed when its class is made."""

    __slots__ = ("fields", "from_payload", "keep_slots", "namespace", "units")

    def __init__(self, fields: tuple[F.Field, ...], units: list[list[F.Field]],
                 from_payload: tuple[str, ...], keep_slots: tuple[str, ...]) -> None:
        self.fields = fields
        self.units = units
        self.from_payload = from_payload
        self.keep_slots = keep_slots
        #: globals shared by the class's generated functions, made with the first of them
        self.namespace: dict[str, Any] | None = None


class _CodeOnFirstUse:
    """Stands in a layer class for one generated method until that method is first used.

    The first lookup (``TCP(...)`` looks up ``__init__``, building looks up
    ``_pack_fixed``, dissecting ``_unpack_fixed``) writes and compiles the real
    function, puts it in the class in place of this object and returns it: later
    lookups find a plain function, so the hot paths pay nothing for the laziness.
    """

    __slots__ = ("name", "owner", "spec")

    def __init__(self, owner: type, name: str, spec: _CodeSpec) -> None:
        self.owner = owner
        self.name = name
        self.spec = spec

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        func = self.generate()
        return func if obj is None else func.__get__(obj, objtype)

    def source(self, g: dict[str, Any]) -> str:
        """The method's source; ``g``, the globals it runs in, may be added to."""
        return _WRITERS[self.name](self.owner, self.spec)

    def generate(self, write: bool | None = None) -> Any:
        """Write, compile and install the method in its class; return the function.

        The compiled code comes from ``code_cache`` when it holds this source
        (``write``: whether a fresh compilation is kept there, as ``code_cache.compiled``).
        """
        cls, name, spec = self.owner, self.name, self.spec
        g = spec.namespace
        if g is None:
            g = spec.namespace = _namespace(cls, spec.fields)
        src = self.source(g)
        exec(code_cache.compiled(src, f"<{cls.__module__}.{cls.__qualname__}.{name}>",
                                 write=write), g)
        func = g[name]
        func.__qualname__ = f"{cls.__qualname__}.{name}"
        func.__module__ = cls.__module__
        if cls.__dict__.get(name) is self:  # not replaced meanwhile
            setattr(cls, name, func)
        return func


def _namespace(cls: Any, fields: tuple[F.Field, ...]) -> dict[str, Any]:
    """The globals of a layer's generated functions: helpers and per-field tables."""
    g: dict[str, Any] = {
        "_U": _UNSET, "_S_pack": cls._struct.pack, "_S_unpack_from": cls._struct.unpack_from,
        "_mac2b": F._mac_to_bytes, "_ip4": F._ip4_to_bytes, "_ip6": F._ip6_to_bytes,
        "_ntoa": _ntoa, "_ntop6": F._ip6_text, "_ip4_texts": F.IP4_TEXTS,
        "_ip6_texts": F.IP6_TEXTS, "_upper": _upper_value, "_bad_kw": _bad_kw,
        "_i2b24": _i2b24, "_b2i24": _b2i24, "_MAC_OK": F._MAC_OK,
        "_names": tuple(f.name for f in fields), "_new": object.__new__, "cls": cls,
        "_UNSET_T": (type(None), _DefaultInt), "_meta_of": _meta_of, "_iand": int.__and__,
    }
    for f in fields:
        if isinstance(f, F.FlagsField):
            g[f"_flagtab_{f.name}"] = tuple(f.valuetype(i) for i in range(1 << f.bits))
            g[f"_flagcache_{f.name}"] = _FlagCache(f)
        g[f"_chk_{f.name}"] = f.check
        g[f"_def_{f.name}"] = as_default(f.default)
    return g


def _write_init(cls: Any, spec: _CodeSpec) -> str:
    """Source of ``__init__``: every field by keyword, checked; or bytes to read."""
    fields = spec.fields
    params = ", ".join(f"{f.name}=_U" for f in fields)
    body = []
    for f in fields:
        if isinstance(f.default, (list, dict)):
            dflt = f"list(_def_{f.name})" if isinstance(f.default, list) else f"dict(_def_{f.name})"
        else:
            dflt = f"_def_{f.name}"
        body.append(f"    self.{slot_name(f)} = {dflt} if {f.name} is _U else "
                    f"{f.check_expr(f.name)}")
    # ``Hdr(raw)`` alone (the commonest dissection): the bytes fill every field, and what
    # follows becomes the payload; nothing to set first
    alone = "".join(f" and {f.name} is _U" for f in fields)
    return (f"def __init__(self, _raw=None, /{', *, ' + params if params else ''}, **_extra):\n"
            f"    if _raw is not None{alone} and not _extra:\n"
            "        self._under = None\n        self._init_from_bytes(_raw)\n        return\n"
            + "\n".join(body) + "\n"
            "    self._payload = None\n    self._under = None\n    self._errors = None\n"
            "    self._meta = None\n"
            # private wire slots start empty: reading them never misses (a miss would
            # go through ``__getattr__``, in Python)
            + "".join(f"    self.{slot} = None\n" for slot in spec.keep_slots) +
            "    if _extra: _raw = _bad_kw(self, _extra, _raw)\n"
            # fields given by keyword win over the bytes, as in Scapy's IP(raw, ttl=1)
            "    if _raw is not None:\n"
            "        _given = [(n, getattr(self, n)) for n, v in zip(_names, ("
            + "".join(f"{f.name}, " for f in fields) + ")) if v is not _U]\n"
            "        self._init_from_bytes(_raw)\n"
            "        for n, v in _given: setattr(self, n, v)\n")


def _write_pack_fixed(cls: Any, spec: _CodeSpec) -> str:
    """Source of ``_pack_fixed``: the fixed header in one ``struct.pack`` call."""
    from_payload = spec.from_payload
    exprs = []
    for u in spec.units:
        if len(u) == 1 and not u[0].bits:
            f = u[0]
            v = f"self.{slot_name(f)}"
            if f.name in from_payload:
                # unset (None, or a default never given: IPv6's hlim 64) takes the binding
                unset = f"{v} is None" if f.default is None else f"{v}.__class__ in _UNSET_T"
                v = f"(_upper(self, {f.name!r}) if {unset} else {v})"
                exprs.append(f.pack_expr(v) if not isinstance(f, F.UIntField) else v)
            else:
                exprs.append(f.pack_expr(v))
            continue
        total = sum(f.bits for f in u)
        shift = total
        parts = []
        for f in u:
            shift -= f.bits
            v = f"self.{slot_name(f)}"
            if f.name in from_payload:
                v = f"(_upper(self, {f.name!r}) if {v} is None else {v})"
            elif f.auto:
                v = f"(0 if {v} is None else {v})"
            mask = (1 << f.bits) - 1
            # flag values are ints whose ``&`` also takes letters (in Python): int's own
            masked = f"_iand({v}, {mask})" if isinstance(f, F.FlagsField) else f"({v} & {mask})"
            parts.append(f"({masked} << {shift})" if shift else masked)
        e = " | ".join(parts)
        exprs.append(f"_i2b24({e})" if total == 24 else e)
    return f"def _pack_fixed(self):\n    return _S_pack({', '.join(exprs)})\n"


def _write_unpack_fixed(cls: Any, spec: _CodeSpec) -> str:
    """Source of ``_unpack_fixed``: one ``struct.unpack_from`` call, then each field."""
    units = spec.units
    names = [f"w{i}" for i in range(len(units))]
    lines = []
    if names:
        lines.append(f"    {', '.join(names)}{',' if len(names) == 1 else ''} = "
                     "_S_unpack_from(buf, off)")
    for w, u in zip(names, units, strict=True):
        if len(u) == 1 and not u[0].bits:
            lines.append(f"    self.{slot_name(u[0])} = {u[0].unpack_expr(w)}")
            continue
        total = sum(f.bits for f in u)
        if total == 24:
            lines.append(f"    {w} = _b2i24({w})")
        shift = total
        for f in u:
            shift -= f.bits
            mask = (1 << f.bits) - 1
            val = f"({w} >> {shift}) & {mask}" if shift else f"{w} & {mask}"
            lines.append(f"    self.{slot_name(f)} = {f.unpack_expr('(' + val + ')')}")
    return "def _unpack_fixed(self, buf, off):\n" + ("\n".join(lines) or "    pass") + "\n"


def _write_copy_one(cls: Any, spec: _CodeSpec) -> str:
    """Source of ``_copy_one``: this layer alone, its list fields copied item by item."""
    lines = ["    n = _new(cls)"]
    for f in spec.fields:
        if isinstance(f, F.ListField):
            lines.append(f"    v = self.{f.name}\n    n.{f.name} = None if v is None else "
                         "[x.copy() if hasattr(x, 'copy') and not isinstance(x, (bytes, tuple, "
                         "str)) else x for x in v]")
        else:
            lines.append(f"    n.{slot_name(f)} = self.{slot_name(f)}")
    for slot in spec.keep_slots:
        lines.append(f"    n.{slot} = getattr(self, {slot!r}, None)")
    lines.append("    n._payload = None\n    n._under = None\n    n._errors = self._errors")
    # a dissected packet's inner layers take their metadata from the outermost one
    lines.append("    try:\n        n._meta = self._meta\n    except AttributeError:\n"
                 "        n._meta = _meta_of(self)")
    lines.append("    return n")
    return "def _copy_one(self):\n" + "\n".join(lines) + "\n"


#: generated method name -> the function writing its source
_WRITERS = {
    "__init__": _write_init,
    "_pack_fixed": _write_pack_fixed,
    "_unpack_fixed": _write_unpack_fixed,
    "_copy_one": _write_copy_one,
}


#: id(layer) -> bytes at the end of its payload that lie outside it, while it is built
_OUTSIDE: dict[int, int] = {}


def _outside_marks(chain: list[Layer]) -> dict[int, int]:
    """For a chain ending in ``Padding``: which layers have trailers outside them.

    A dissected trailer knows the layer whose announced end it follows (``_back``
    layers back): it is outside that layer and every layer above, inside those
    below (Ethernet padding is outside IP; an ICMP extension that follows the
    quoted datagram is inside IP). Crafted padding is outside every layer.
    """
    end = len(chain)
    while end > 1 and chain[end - 1].is_padding:
        end -= 1
    owners = []
    for j in range(end, len(chain)):
        back = getattr(chain[j], "_back", None)
        owner = j - back if back is not None else 0
        owners.append((min(max(owner, 0), end - 1), len(getattr(chain[j], "load", b"") or b"")))
    marks: dict[int, int] = {}
    for i in range(end):
        n = 0
        for owner, size in reversed(owners):  # the outside bytes are a suffix
            if owner > i:
                break
            n += size
        if n:
            marks[id(chain[i])] = n
    return marks


class _FlagCache(dict):
    """Flag text already checked ("S", "SA"), so building SYNs does not re-parse letters."""

    def __init__(self, field: F.FlagsField) -> None:
        super().__init__()
        self.field = field

    def get(self, key: Any, default: Any = None) -> Any:
        if type(key) is not str:
            return default
        v = dict.get(self, key)
        if v is None and len(self) < 4096:
            try:
                v = self[key] = self.field.check(key)
            except Exception:
                return default
        return v


def _i2b24(v: int) -> bytes:
    return v.to_bytes(3, "big")


def _b2i24(b: bytes) -> int:
    return int.from_bytes(b, "big")


_ntoa = socket.inet_ntoa
_now = _time.time


#: Scapy's own keywords of a packet's constructor that are not fields (taken, unused)
_SCAPY_INIT_KEYWORDS = ("_internal", "_underlayer", "_parent", "post_transform",
                        "stop_dissection_after")


def _bad_kw(layer: Layer, extra: dict[str, Any], raw: Any = None) -> Any:
    """The keywords that are not fields: Scapy's ``_pkt`` (the bytes to read: returned)
    and its other private keywords are taken; any other is refused."""
    pkt = extra.pop("_pkt", None)
    for k in _SCAPY_INIT_KEYWORDS:
        extra.pop(k, None)
    if extra:
        name = next(iter(extra))
        known = ", ".join(type(layer).field_names)
        raise UsageError(f"{type(layer).__name__} has no field {name!r} (fields: {known})")
    return pkt if pkt else raw


class _DefaultInt(int):
    """A field's default number as a field holds it until given a value: equal to the
    number, but told apart from the same number given by hand (Scapy's ``repr`` lists
    the fields given, ``TCP(dport=80)`` shows ``dport=http`` though 80 is the default)."""

    __slots__ = ()


def as_default(value: Any) -> Any:
    """``value`` marked as a default when it is a number (text and bytes defaults are
    told apart by identity: a field holding the default object was not given one)."""
    return _DefaultInt(value) if type(value) is int else value


def is_default_value(value: Any, default: Any) -> bool:
    """True when a field holds its default, never given a value."""
    t = type(value)
    return t is _DefaultInt or (value is default and t is not int and value is not None)


#: ``_meta`` of a dissected layer: (time, wirelen, dissected); every field counts as given
DISSECTED = (None, None, True)


def _meta_of(layer: Any) -> Any:
    """A layer's metadata. Dissection sets it on the outermost layer only (one store per
    packet, not per layer): a layer without its own is dissected when that one is."""
    try:
        return layer._meta
    except AttributeError:
        m = getattr(layer.firstlayer(), "_meta", None)
        return DISSECTED if m is not None and m[2] else None


class NoPayload:
    """What the last layer's ``payload`` is: empty, falsy, no bytes (Scapy's NoPayload)."""

    __slots__ = ()
    name = "NoPayload"
    fields: ClassVar[dict[str, Any]] = {}
    fields_desc: ClassVar[tuple[Any, ...]] = ()

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoPayload)

    def __hash__(self) -> int:
        return 0

    def __reduce__(self) -> str:
        return "NO_PAYLOAD"

    @property
    def payload(self) -> NoPayload:
        """Itself."""
        return self

    @property
    def underlayer(self) -> None:
        return None

    def build(self) -> bytes:
        """No bytes."""
        return b""

    __bytes__ = build

    def summary(self) -> str:
        return ""

    mysummary = __repr__ = summary

    def show(self, *args: Any, **kwargs: Any) -> None:
        """Prints nothing."""

    def copy(self) -> NoPayload:
        return self

    def layers(self) -> list[Any]:
        return []

    chain = layers

    def getlayer(self, *args: Any, **kwargs: Any) -> None:
        return None

    def haslayer(self, *args: Any, **kwargs: Any) -> bool:
        return False

    __contains__ = haslayer

    def lastlayer(self, layer: Any = None) -> Any:
        return layer

    def __getitem__(self, cls: Any) -> Any:
        raise IndexError(f"Layer [{getattr(cls, '__name__', cls)}] not found")

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)

    def answers(self, other: Any) -> bool:
        return True

    def hashret(self) -> bytes:
        return b""


NO_PAYLOAD = NoPayload()

#: set by ``packet/randval.py`` once a random value exists: packet -> the packet with every
#: random field value drawn (a copy), or the packet itself when it holds none
DRAW_VOLATILES: Any = None
#: set by ``packet/packet_class.py``: called with (lower, upper) when ``/`` stacks two
#: layers, so that a user layer's bindings fill the lower layer's fields (Scapy's overloads)
ON_STACK: Any = None
#: set by ``packet/dissect.py`` (imported with ``netprobe.packet``): ``dissect_into``, which
#: ``Hdr(raw)`` reads the bytes with (an import statement per packet would cost a tenth)
DISSECT_INTO: Any = None

#: (lower class, upper class) -> {field: value} filled in the lower layer when building
BUILD_BINDINGS: dict[tuple[type, type], dict[str, int]] = {}


def overloads(layer: Layer) -> dict[str, Any]:
    """The fields the layer above fills in this one when it is built (Scapy's overloaded
    fields): shown by ``show()``, ``repr()`` and ``unset_value`` while they are unset."""
    upper = layer._payload
    if upper is None:
        return {}
    out = dict(layer.overloaded_by(upper))
    d = bindings_of(type(layer), type(upper))
    if d:
        for k, v in d.items():
            out.setdefault(k, v)
    return out


#: classes whose ``bound_in`` module has been imported (or that have none)
_BOUND_TRIED: set[type] = set()


def bindings_of(lower: type, upper: type) -> dict[str, int] | None:
    """The values ``upper`` fills in ``lower`` when built (None if unbound). A class
    bound in its family module (``bound_in``) has that module imported first, so that
    a program importing the class's own module builds what ``netprobe.all`` builds."""
    d = BUILD_BINDINGS.get((lower, upper))
    if d is None and (lower not in _BOUND_TRIED or upper not in _BOUND_TRIED):
        for cls in (lower, upper):
            if cls not in _BOUND_TRIED:
                _BOUND_TRIED.add(cls)
                module = getattr(cls, "bound_in", "")
                if module:
                    __import__(module)
        d = BUILD_BINDINGS.get((lower, upper))
    return d


def _upper_value(layer: Layer, name: str) -> int:
    p = layer._payload
    if p is not None:
        d = BUILD_BINDINGS.get((type(layer), type(p))) or bindings_of(type(layer), type(p))
        if d is not None and name in d:
            return d[name]
    return type(layer).payload_defaults.get(name, 0)


def bind_layers(lower: type[Layer], upper: type[Layer], dissect: bool = True,
                **values: int) -> None:
    """Declare that ``upper`` rides on ``lower`` when ``lower``'s fields have ``values``.

    Used both ways: building fills the unset fields of ``lower``; dissecting
    picks ``upper`` when one of the field values is seen.
    """
    # the last declaration for a pair is what building fills (Scapy's overload fields):
    # bind_layers(UDP, DNS, dport=53) then (..., sport=53) fills sport only
    BUILD_BINDINGS[(lower, upper)] = dict(values)
    if dissect:
        table = dissect_table_for(lower, upper)
        if not values:
            # bound with no field: ``upper`` follows ``lower`` whatever it holds, once no
            # other binding fits (looked at last, in the table for users' bindings)
            if lower.__module__.startswith("netprobe."):
                if "_late_dissect_table" not in lower.__dict__:
                    lower._late_dissect_table = {}
                table = lower._late_dissect_table
            table.setdefault(ANY_VALUE, upper)
        for k, v in values.items():
            table.setdefault((k, v), upper)


#: the key of a binding made with no field (``bind_layers(Lower, Upper)``): always fits
ANY_VALUE = ("", None)


def dissect_table_for(lower: type[Layer], upper: type[Layer]) -> dict[tuple[str, Any], Any]:
    """Where a dissection binding goes. A user's layer bound on one of netprobe's layers
    that chooses by several fields (UDP and TCP: dport, then sport) is looked at after
    netprobe's own bindings have all missed: as in Scapy, where bindings are tried in the
    order they were made, ``UDP(sport=53, dport=9999)`` still reads as DNS."""
    if (upper.__module__.startswith("netprobe.") or len(lower.dissect_keys) < 2
            or lower.next_layer is not Layer.next_layer
            or not lower.__module__.startswith("netprobe.")):
        return lower._dissect_table
    if "_late_dissect_table" not in lower.__dict__:
        lower._late_dissect_table = {}
    return lower._late_dissect_table


#: module name -> the bindings waiting for that layer family to be imported
_WAITING: dict[str, list[Callable[[Any], None]]] = {}
#: the layer families whose module has said it is imported (``imported``)
_IMPORTED: set[str] = set()


def when_imported(module: str, bind: Callable[[Any], None]) -> None:
    """Run ``bind(module)`` once the layer family ``module`` is imported: now if it is,
    else when it calls ``imported(__name__)`` at its end. Two families that must not
    import each other (IPv6 or ARP under the link family's headers: an IPv4 job or a
    LAN scan imports only what it needs) are bound by whichever is imported second."""
    if module in _IMPORTED:
        bind(sys.modules[module])
    else:
        _WAITING.setdefault(module, []).append(bind)


def imported(module: str) -> None:
    """Said at the end of a layer family's module: run the bindings waiting for it."""
    _IMPORTED.add(module)
    for bind in _WAITING.pop(module, ()):
        bind(sys.modules[module])


class Layer(metaclass=LayerMeta):
    """One protocol header; stacked with ``/`` into a packet.

    The outermost layer stands for the whole packet: ``bytes(pkt)`` builds it,
    ``pkt[TCP]`` finds a layer, iterating yields every packet of a packet set.
    """

    __slots__ = ("__dict__", "_errors", "_meta", "_payload", "_under")
    fields: ClassVar[tuple[F.Field, ...]] = ()
    field_names: ClassVar[tuple[str, ...]] = ()
    fields_by_name: ClassVar[dict[str, F.Field]] = {}
    #: fields filled from the layer above when unset (protocol numbers)
    payload_fields: ClassVar[tuple[str, ...]] = ()
    #: values of payload_fields when no binding applies
    payload_defaults: ClassVar[dict[str, int]] = {}
    #: other fields that read, while unset, as ``shown_default`` gives (source addresses)
    computed_fields: ClassVar[tuple[str, ...]] = ()
    #: fields ``del`` resets to their default, readable at once (checksums and lengths
    #: read None and are computed when built; IP's ttl 64, as the Scapy tutorial's
    #: ``del(a.ttl)``). Others are plain slots: ``del`` empties them until the packet is
    #: next built, copied or printed. Not for a class that changes ``__class__`` in place
    #: (the slots' layout must stay its family's).
    deletable_fields: ClassVar[tuple[str, ...]] = ()
    #: the module whose ``bind_layers`` calls bind this class, when not its own (imported
    #: before a binding lookup misses: see ``bindings_of``)
    bound_in: ClassVar[str] = ""
    #: private slots (wire details that are not fields) that copies keep
    keep_slots: ClassVar[tuple[str, ...]] = ()
    #: fields tried in order to choose the next layer while dissecting
    dissect_keys: ClassVar[tuple[str, ...]] = ()
    fixed_len: ClassVar[int] = 0
    field_offsets: ClassVar[dict[str, tuple[int, int, int, int]]] = {}
    #: (checksum field, what it covers): "header" (this header), "segment" (this layer
    #: to the end) or "pseudo" (segment plus the IP pseudo-header); None if none
    checksum: ClassVar[tuple[str, str] | None] = None
    _dissect_table: ClassVar[dict[tuple[str, Any], type[Layer]]] = {}
    #: user layers' bindings, looked at after ``_dissect_table`` missed (``bind_layers``)
    _late_dissect_table: ClassVar[dict[tuple[str, Any], type[Layer]]] = {}
    #: trailing bytes outside the headers' lengths and checksums (``Padding``)
    is_padding: ClassVar[bool] = False
    #: other classes a lookup by class finds this layer as (layer lookup is by exact
    #: class, as in Scapy; a variant Scapy has no class for names the class it is)
    found_as: ClassVar[tuple[type, ...]] = ()

    def decode_tail(self, buf: bytes, off: int) -> None:
        """Decode the variable-length fields (a layer's ``parse`` may call it after the
        fixed part); layers with options override."""

    # -- construction -------------------------------------------------------------------------
    def _init_from_bytes(self, raw: bytes) -> None:
        dissect_into = DISSECT_INTO
        if dissect_into is None:
            from netprobe.packet.dissect import dissect_into
        cls = type(self)
        # text is read as its UTF-8 bytes, as Scapy reads it (``Raw("abc")``)
        parsed = dissect_into(cls, raw if raw.__class__ is bytes else
                              raw.encode() if isinstance(raw, str) else bytes(raw), None, self)
        if parsed is not self or type(self) is not cls:
            why = "; ".join(parsed._errors or ()) or "not enough bytes"
            raise UsageError(f"cannot read {len(raw)} bytes as {cls.__name__}: {why}")

    def copy(self) -> Layer:
        """A deep copy of this layer and everything above it."""
        try:
            return self._copy_chain()
        except AttributeError:
            if not self._refill():
                raise
            return self._copy_chain()

    def _copy_chain(self) -> Layer:
        top = self._copy_one()
        cur = top
        src = self._payload
        while src is not None:
            n = src._copy_one()
            cur._payload = n
            n._under = cur
            cur = n
            src = src._payload
        return top

    def __truediv__(self, other: Any) -> Layer:
        """Stack ``other`` on top of a copy of this packet.

        The left side is copied, so a packet can serve as a template for many
        (``base / TCP()``, ``base / UDP()``). The right side is used as it is unless
        it already belongs to another packet, in which case it is copied too.
        """
        if not isinstance(other, Layer):
            if not isinstance(other, (bytes, bytearray, str)):
                return NotImplemented
            from netprobe.packet.layers.raw import Raw

            other = Raw(load=other)
        top = self.copy()
        last = top  # walked here, not through ``lastlayer()``: ``/`` is on the hot path
        while last._payload is not None:
            last = last._payload
        add = other if other._under is None else other.copy()
        last._payload = add
        add._under = last
        if ON_STACK is not None:
            ON_STACK(last, add)
        return top

    def __rtruediv__(self, other: Any) -> Layer:
        if isinstance(other, (bytes, bytearray, str)):
            from netprobe.packet.layers.raw import Raw

            return Raw(load=other) / self
        return NotImplemented

    def __mul__(self, count: Any) -> list[Layer]:
        """``pkt * 3``: a list of the packet three times, as Scapy's."""
        if not isinstance(count, int):
            return NotImplemented
        return [self] * count

    __rmul__ = __mul__

    def iterpayloads(self) -> Iterator[Layer]:
        """This layer, then each layer above it (Scapy's ``iterpayloads``)."""
        cur: Layer | None = self
        while cur is not None:
            yield cur
            cur = cur._payload

    # -- capture metadata ---------------------------------------------------------------------
    #: Scapy's other capture attributes: None until set (kept in the packet's ``__dict__``)
    sent_time: Any = None
    direction: Any = None
    sniffed_on: Any = None
    comment: Any = None

    @property
    def time(self) -> Any:
        """When the packet was captured (read or sniffed) or made: seconds since the epoch.

        Settable; capture writers write it back. A packet made in code and never given
        a time takes the moment its time is first asked for (Scapy: the moment it was
        made; asking the clock for every packet built would slow building down).
        """
        m = getattr(self, "_meta", None)
        if m is None or m[0] is None:
            t = _now()
            self._meta = (t, None, False) if m is None else (t, *m[1:])
            return t
        return m[0]

    @time.setter
    def time(self, value: Any) -> None:
        m = getattr(self, "_meta", None)
        self._meta = (value, None, False) if m is None else (value, *m[1:])

    @property
    def wirelen(self) -> int | None:
        """The packet's length on the wire when read or sniffed (None for a packet made in code)."""
        m = getattr(self, "_meta", None)
        return None if m is None else m[1]

    @wirelen.setter
    def wirelen(self, value: int | None) -> None:
        m = getattr(self, "_meta", None)
        self._meta = (None, value, False) if m is None else (m[0], value, *m[2:])

    # No ``__getattr__``/``__delattr__`` here: defining either makes every attribute read
    # or write of every layer go through Python (building 35% slower). ``del pkt.chksum``
    # empties the field's slot; building and copying find the empty slots and put the
    # defaults back (``_refill``), so the field is computed again, as in Scapy.
    def _refill(self) -> bool:
        """Give every emptied field (``del``) of this packet its default again, and a
        layer made without ``__init__`` its metadata slot; True if anything was empty."""
        refilled = False
        for layer in self.firstlayer().chain():
            for f in type(layer).fields_desc:
                slot = slot_name(f)
                try:
                    object.__getattribute__(layer, slot)
                except AttributeError:
                    d = f.default
                    object.__setattr__(layer, slot, list(d) if isinstance(d, list)
                                       else as_default(d))
                    refilled = True
            try:
                object.__getattribute__(layer, "_meta")
            except AttributeError:
                layer._meta = _meta_of(layer)
                refilled = True
        return refilled

    def __getstate__(self) -> Any:
        # every slot's value, and which fields hold their default (never given): a pickle
        # keeps that, so the unpickled packet prints as the original (``repr``)
        state: dict[str, Any] = {}
        for k in type(self).__mro__:
            for s in k.__dict__.get("__slots__", ()):
                if s == "__dict__" or s in state:
                    continue
                try:
                    state[s] = object.__getattribute__(self, s)
                except AttributeError:
                    continue
        extra = dict(object.__getattribute__(self, "__dict__"))
        defaults = [f.name for f in type(self).fields_desc
                    if is_default_value(getattr(self, f.name, None), f.default)]
        return state, extra, defaults

    def __setstate__(self, st: Any) -> None:
        state, extra, defaults = st
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self.__dict__.update(extra)
        by_name = type(self).fields_by_name
        for name in defaults:
            f = by_name[name]
            object.__setattr__(self, slot_name(f), as_default(f.default))

    # -- Scapy's field access -------------------------------------------------------------------
    def fields_given(self) -> dict[str, Any]:
        """Scapy's ``pkt.fields``: the fields given a value (every field once dissected)."""
        self._refill()  # fields emptied by ``del`` read their default again
        m = _meta_of(self)
        dissected = m is not None and m[2]
        packets = type(self).packet_lists
        out: dict[str, Any] = {}
        # a packet made in code holds its lists of packets first, in ``fields`` from the
        # start (Scapy's order, which ``command()`` follows)
        lists: dict[str, Any] = {}
        for f in type(self).fields_desc:
            v = getattr(self, slot_name(f), None)
            if v is None or (dissected and f.name in type(self).forgotten_when_read):
                continue
            if not dissected and (is_default_value(v, f.default)
                                  or (isinstance(v, F.Volatile) and getattr(v, "fuzzed", False))
                                  or (isinstance(v, list) and not v and f.default == [])):
                if f.name in packets and isinstance(v, list) and v is not f.default:
                    lists[f.name] = v
                continue
            if not dissected and f.name in packets and isinstance(v, list):
                lists[f.name] = v
                continue
            out[f.name] = v
        return {**lists, **out} if lists else out

    def is_dissected(self) -> bool:
        """True for a layer read from bytes (every field counts as given)."""
        m = _meta_of(self)
        return m is not None and bool(m[2])

    def getfieldval(self, name: str) -> Any:
        """The value of field ``name`` of this layer or, failing that, of a layer above."""
        return getattr(self, name)

    @property
    def default_fields(self) -> dict[str, Any]:
        """Every field's default value, by name (Scapy's ``default_fields``)."""
        shown = type(self).ls_defaults
        return {f.name: shown.get(f.name, f.default) for f in type(self).fields_desc}

    def setfieldval(self, name: str, value: Any) -> None:
        """Set field ``name`` (of this layer or of the first layer above that has it)."""
        setattr(self, name, value)

    # -- navigation ---------------------------------------------------------------------------
    @property
    def payload(self) -> Any:
        """The layer above this one; the last layer's payload is an empty, falsy
        ``NoPayload`` (as in Scapy)."""
        p = self._payload
        return NO_PAYLOAD if p is None else p

    @payload.setter
    def payload(self, value: Any) -> None:
        self.remove_payload()
        if value is not None and not isinstance(value, NoPayload):
            self.add_payload(value)

    def add_payload(self, payload: Any) -> None:
        """Put ``payload`` (a layer, or bytes as ``Raw``) on top of the last layer, in place."""
        if not isinstance(payload, Layer):
            if isinstance(payload, NoPayload):
                return
            if not isinstance(payload, (bytes, bytearray, str)):
                raise TypeError(f"payload must be a layer or bytes, not {type(payload).__name__}")
            from netprobe.packet.layers.raw import Raw

            payload = Raw(load=payload)
        last = self.lastlayer()
        if payload._under is not None:
            payload = payload.copy()
        last._payload = payload
        payload._under = last
        if ON_STACK is not None:
            ON_STACK(last, payload)

    def remove_payload(self) -> None:
        """Drop everything above this layer, in place."""
        p = self._payload
        if p is not None:
            p._under = None
        self._payload = None

    @property
    def underlayer(self) -> Layer | None:
        """The layer below this one, or None for the outermost layer."""
        return self._under

    def firstlayer(self) -> Layer:
        """The outermost layer of the packet this layer belongs to."""
        cur = self
        while cur._under is not None:
            cur = cur._under
        return cur

    def lastlayer(self, layer: Any = None) -> Layer:
        """The innermost layer."""
        cur = self
        while cur._payload is not None:
            cur = cur._payload
        return cur

    def chain(self) -> list[Layer]:
        """This layer and every layer above it, outermost first (the layer objects)."""
        out = []
        cur: Layer | None = self
        while cur is not None:
            out.append(cur)
            cur = cur._payload
        return out

    def layers(self) -> list[type[Layer]]:
        """The classes of this layer and of every layer above it, as Scapy's ``layers()``."""
        return [type(x) for x in self.chain()]

    def getlayer(self, cls: Any, nb: int = 1, _track: Any = None, _subclass: Any = None,
                 **flt: Any) -> Any:
        """The ``nb``-th layer of class ``cls`` (a class or its name) whose fields have the
        values ``flt`` gives (``getlayer(IP, src="198.18.0.1")``), or None."""
        if isinstance(cls, int) and not isinstance(cls, bool):
            # Scapy: a number is a position (pkt.getlayer(1) is the second layer)
            chain = self.chain()
            return chain[cls] if 0 <= cls < len(chain) else None
        first = nb == 1
        named = isinstance(cls, str)
        # one walk for every kind of lookup, with no generator and no call per layer: the
        # engine looks each answer's layer up this way
        cur: Layer | None = self
        while cur is not None:
            t = type(cur)
            if cls is None:  # field values alone
                hit = bool(flt)
            elif named:
                hit = t.__name__ == cls or t.name == cls
            else:  # the exact class, as in Scapy: TCPerror (a quote) is not TCP, Dot1AD not Dot1Q
                hit = t is cls or cls in t.found_as
            if hit and (not flt or all(k in t.fields_by_name and getattr(cur, k, _UNSET) == v
                                       for k, v in flt.items())):
                nb -= 1
                if nb == 0:
                    return cur
            cur = cur._payload
        # a record held in a field answers to its name too (``haslayer("DNSQR")``): DNS
        # records live in DNS's sections
        if first and not flt and (isinstance(cls, str) or getattr(cls, "held_in_fields", False)):
            return self._in_fields(cls)
        return None

    def _in_fields(self, cls: Any) -> Layer | None:
        """The first layer of class ``cls`` held in a field (DNS records), as Scapy's
        lookup finds it; None if none."""
        for layer in self.chain():
            for f in type(layer).fields_desc:
                v = getattr(layer, f.name, None)
                items = v if isinstance(v, list) else (v,) if isinstance(v, Layer) else ()
                for x in items:
                    if isinstance(x, Layer):
                        found = x.getlayer(cls)
                        if found is not None:
                            return found
        return None

    def haslayer(self, cls: type[Layer] | str) -> bool | int:
        """True when a layer of class ``cls`` is in the packet, else 0 (as Scapy prints it)."""
        return True if self.getlayer(cls) is not None else 0

    def __contains__(self, cls: type[Layer] | str) -> bool:
        return self.getlayer(cls) is not None

    def __getitem__(self, cls: Any) -> Any:
        if cls.__class__ is LayerMeta or isinstance(cls, LayerMeta):  # pkt[TCP]: the hot path
            cur: Layer | None = self
            while cur is not None:
                t = type(cur)
                if t is cls or cls in t.found_as:
                    return cur
                cur = cur._payload
            inner = self._in_fields(cls)  # a record inside a field: pkt[DNSQR]
            if inner is not None:
                return inner
            raise IndexError(f"Layer [{cls.__name__}] not found")
        nb = 1
        if isinstance(cls, slice):  # pkt[IP:2], the second IP layer
            cls, nb = cls.start, (1 if cls.stop is None else cls.stop)
        found = self.getlayer(cls, nb)
        if found is None:
            name = cls if isinstance(cls, (str, int)) else getattr(cls, "__name__", cls)
            raise IndexError(f"Layer [{name}] not found")
        return found

    def __setitem__(self, cls: Any, value: Any) -> None:
        # pkt[TCP] = new_tcp: replace that layer (and what is above it)
        old = self[cls]
        under = old._under
        if under is None:
            raise IndexError("cannot replace the outermost layer")
        under.remove_payload()
        under.add_payload(value)

    def __delitem__(self, cls: Any) -> None:
        old = self[cls]
        under = old._under
        if under is None:
            raise IndexError("cannot remove the outermost layer")
        under.remove_payload()

    @property
    def errors(self) -> list[str]:
        """What was wrong while dissecting (empty for a well-formed or crafted packet)."""
        return list(self.firstlayer()._errors or ())

    # -- packet sets --------------------------------------------------------------------------
    def _set_fields(self) -> list[tuple[int, str, list[Any]]]:
        out = []
        for i, layer in enumerate(self.chain()):
            for name in layer.field_names:
                v = getattr(layer, name)
                if type(v) in _SET_TYPES and layer.fields_by_name[name].settable:
                    out.append((i, name, v if type(v) is F.SetValue
                                else layer.fields_by_name[name].check(v)))
        return out

    def set_size(self) -> int:
        """How many packets this packet set stands for (1 for a plain packet)."""
        n = 1
        for _, _, values in self._set_fields():
            n *= len(values)
        return n

    def __len__(self) -> int:
        """The length in bytes, as Scapy's ``len(pkt)`` (a packet set: iterate it)."""
        try:
            return len(self.build())
        except UsageError as exc:
            # a TypeError too: list(pkt) asks len() for a size hint and, on a TypeError,
            # uses __length_hint__ instead of failing
            raise _NoLength(str(exc)) from None

    def __length_hint__(self) -> int:
        return self.set_size()

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[Layer]:
        sets = self._set_fields()
        if not sets:
            yield self
            return
        for combo in itertools.product(*(v for _, _, v in sets)):
            p = self.copy()
            layers = p.chain()
            for (i, name, _), value in zip(sets, combo, strict=True):
                setattr(layers[i], name, value)
            yield p

    # -- building -----------------------------------------------------------------------------
    def build(self) -> bytes:
        """Serialise the packet, filling unset lengths, checksums and protocol numbers."""
        if DRAW_VOLATILES is not None:
            self = DRAW_VOLATILES(self)  # build the copy with values drawn
        # the chain walked here, not through ``chain()``: building is the hot path
        chain = []
        cur: Layer | None = self
        while cur is not None:
            chain.append(cur)
            cur = cur._payload
        out = b""
        # Trailing padding: tell the layers how much of their payload lies outside them.
        marks = _outside_marks(chain) if chain[-1].is_padding else None
        try:
            if marks:
                _OUTSIDE.update(marks)
            for layer in reversed(chain):
                out = layer.build_layer(out)
        except (struct.error, TypeError, ValueError, AttributeError, OSError) as exc:
            if isinstance(exc, AttributeError) and self._refill():
                return self.build()  # a field emptied by ``del``: its default, then again
            raise self._explain_build_error(exc) from None
        finally:
            if marks:
                for key in marks:
                    _OUTSIDE.pop(key, None)
        return out

    def outside_bytes(self) -> int:
        """How many bytes at the end of the payload ``build_layer`` gets lie outside this
        layer: trailers (``Padding``) after the end it announces, or after the end of a
        layer under it. Lengths and checksums leave them out, as in Scapy."""
        return _OUTSIDE.get(id(self), 0) if _OUTSIDE else 0

    def __bytes__(self) -> bytes:
        return self.build()

    def _explain_build_error(self, exc: Exception) -> Exception:
        if isinstance(exc, UsageError):
            return exc
        sets = self._set_fields()
        if sets:
            return UsageError(f"this packet is a set of {self.set_size()} packets (field "
                              f"{sets[0][1]} has several values); iterate it to build each")
        for layer in self.chain():
            for f in layer.fields_desc:
                value = getattr(layer, f.name)
                if value is None and not f.auto and not isinstance(f, F.TailField):
                    return UsageError(f"{type(layer).__name__}.{f.name}: needs a value (None "
                                      "is only for fields that fill themselves)")
                try:
                    f.check(value)
                except UsageError as e:
                    return UsageError(f"{type(layer).__name__}.{e}")
        return UsageError(f"cannot build {self.summary()}: {exc}")

    def build_layer(self, payload: bytes) -> bytes:
        """Build this layer in front of already-built ``payload``; override to fill fields."""
        return self._pack_fixed() + self.build_tail() + payload

    def build_tail(self) -> bytes:
        """The variable-length part after the fixed header (options, records)."""
        return b""

    # -- dissection ---------------------------------------------------------------------------
    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        """Read this layer from ``buf[off:end]``; return (payload start, payload end).

        The default reads the fixed part; layers with options or lengths override.
        """
        if end - off < self.fixed_len:
            raise Truncated(f"truncated header ({end - off} of {self.fixed_len} bytes)")
        self._unpack_fixed(buf, off)
        return off + self.fixed_len, end

    def note(self, text: str) -> None:
        """Record something wrong found while dissecting this layer (not fatal)."""
        if self._errors is None:
            self._errors = []
        self._errors.append(text)

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        """Scapy's hook, asked here: the class ``payload`` would be read as above this
        layer (its bindings' choice, else ``Raw``)."""
        # the bindings first, by the fields that choose (a layer's own ``next_layer`` may
        # need what reading it noted)
        cls = Layer.next_layer(self, payload, 0, len(payload))
        if cls is None and type(self).next_layer is not Layer.next_layer:
            try:
                cls = self.next_layer(payload, 0, len(payload))
            except (AttributeError, TypeError, IndexError):
                cls = None
        return cls if cls is not None else self.default_payload_class(payload)

    def default_payload_class(self, payload: bytes) -> type[Layer]:
        """The class for a payload no binding claims: ``Raw``."""
        from netprobe.packet.layers.raw import Raw

        return Raw

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes | None]:
        """Scapy's hook: what follows the fields as (payload, padding); all payload here."""
        return s, None

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        """The class of the layer above, chosen from the binding table; None for Raw."""
        table = self._dissect_table
        for key in self.dissect_keys:
            cls = table.get((key, getattr(self, key)))
            if cls is not None:
                return cls
        late = self._late_dissect_table
        if late:
            for key in self.dissect_keys:
                cls = late.get((key, getattr(self, key)))
                if cls is not None:
                    return cls
            return late.get(ANY_VALUE)
        return None

    # -- matching probes and answers ------------------------------------------------------------
    def hashkey(self) -> bytes:
        """A key equal for a probe and its answers (the engine's O(1) matching)."""
        return b"" if self._payload is None else self._payload.hashkey()

    def answers(self, other: Layer) -> bool:
        """True when this packet is an answer to ``other``."""
        if type(self) is not type(other):
            return False
        if self._payload is None or other._payload is None:
            return True
        return self._payload.answers(other._payload)

    # Scapy's comparisons: ``a < b`` is true when ``a`` answers ``b`` (and ``b > a`` too).
    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return self.answers(other)

    def __gt__(self, other: Any) -> bool:
        if not isinstance(other, Layer):
            return NotImplemented
        return other.answers(self)

    # -- presentation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """This layer's fields as JSON-ready values, with ``layer`` first."""
        d: dict[str, Any] = {"layer": type(self).__name__}
        for f in self.fields_desc:
            d[f.name] = f.to_json(getattr(self, f.name))
        return d

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every layer's dict, outermost first."""
        return [layer.to_dict() for layer in self.chain()]

    def summary_part(self) -> str:
        """Short text for this layer in netprobe's own one-line summary (``brief``)."""
        return type(self).__name__

    def brief(self) -> str:
        """netprobe's one line, every layer saying something: ``Ether a > b / IP ...``."""
        return " / ".join(layer.summary_part() for layer in self.chain())

    def summary(self) -> str:
        """Scapy's one line: ``Ether / IP / TCP 198.18.0.2:ftp_data > 198.18.0.1:http S``."""
        from netprobe.packet.present import summary

        return summary(self)

    def mysummary(self) -> str:
        """What this layer says in ``summary()`` (empty: its class name is shown)."""
        return ""

    # -- how Scapy shows fields: layers override these ----------------------------------------
    #: fields shown in hex (Scapy's X...Field)
    hex_fields: ClassVar[frozenset[str]] = frozenset()
    #: field -> function giving the names its values are shown with, when they are not
    #: the field's own (the system's port, protocol and EtherType names, as Scapy's)
    shown_tables: ClassVar[dict[str, Any]] = {}
    #: list fields shown as lists of packets (a heading, then each packet)
    packet_lists: ClassVar[frozenset[str]] = frozenset()
    #: layers that live inside another layer's fields (DNS records): lookups search there
    held_in_fields: ClassVar[bool] = False
    #: ``ls()``: the Scapy field kind shown for a field, where netprobe's kind differs
    ls_kinds: ClassVar[dict[str, str]] = {}
    #: ``ls()``: the default Scapy shows for a field, where netprobe's differs
    ls_defaults: ClassVar[dict[str, Any]] = {}
    #: ``ls()``: (name, kind, default) of Scapy fields listed before the layer's own, that
    #: netprobe keeps elsewhere (DNS's ``length``, which only DNS over TCP has)
    ls_leading: ClassVar[tuple[tuple[str, str, Any], ...]] = ()
    #: stacking a user layer's binding fills this layer's fields (``packet_class.py``)
    overloads_lower: ClassVar[bool] = False
    #: fields a dissected layer shows as unset, as Scapy does (it recomputes them)
    forgotten_when_read: ClassVar[frozenset[str]] = frozenset()

    def shown_names(self, name: str) -> Any:
        """The names shown for field ``name``'s values ({value: name}), or None."""
        table = type(self).shown_tables.get(name)
        if table is not None:
            return table()
        f = type(self).fields_by_name.get(name)
        return None if f is None else f.names

    def shown_fields(self) -> Any:
        """The fields ``show()`` and ``repr()`` list (a layer whose fields depend on its
        type, as ICMP, leaves the others out)."""
        return type(self).fields_desc

    def shown_default(self, name: str) -> Any:
        """What ``show()`` prints for an unset field that fills itself when built (None)."""
        return None

    def getfield_and_val(self, name: str) -> tuple[F.Field, Any]:
        """(field, value) of field ``name`` of this layer (ValueError for another's)."""
        f = type(self).fields_by_name.get(name)
        if f is None:
            raise ValueError(f"{type(self).__name__} has no field {name!r}")
        return f, getattr(self, name)

    def get_field(self, name: str) -> F.Field:
        """The field declared under ``name`` (Scapy's ``get_field``)."""
        try:
            return type(self).fields_by_name[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def is_unset(self, name: str) -> bool:
        """True while field ``name`` holds no value of its own (an automatic field that
        fills itself when built: reading it gives what it will be filled with)."""
        return getattr(self, slot_name(type(self).fields_by_name[name]), None) is None

    def unset_value(self, name: str) -> Any:
        """What computed field ``name`` reads as while unset: what the layer above fills
        in when built, else its default for no payload, else ``shown_default``."""
        over = overloads(self)
        if name in over:
            return over[name]
        if name in type(self).payload_fields:
            return type(self).payload_defaults.get(name, 0)
        return self.shown_default(name)

    def overloaded_by(self, upper: Layer) -> dict[str, Any]:
        """Fields of this layer that ``upper`` fills when stacked on it, beyond the
        bindings (Scapy's overloaded fields); shown by ``show()`` and ``repr()``."""
        return {}

    def show(self, dump: bool = False, indent: int = 3, lvl: str = "",
             label_lvl: str = "") -> str | None:
        """Print every layer's fields in Scapy's layout; ``dump=True`` returns the text."""
        from netprobe.packet.present import show_text

        text = show_text(self, indent, lvl, label_lvl)
        if dump:
            return text
        print(text)
        return None

    def show2(self, dump: bool = False, indent: int = 3, lvl: str = "",
              label_lvl: str = "") -> str | None:
        """``show()`` of the packet as built (lengths and checksums filled)."""
        from netprobe.packet.dissect import dissect_as

        return dissect_as(type(self), self.build()).show(dump, indent, lvl, label_lvl)

    display = show

    def sprintf(self, fmt: str, relax: bool = True) -> str:
        """Scapy's format strings: ``pkt.sprintf("%IP.src%:%TCP.sport%")``."""
        from netprobe.packet.present import sprintf

        return sprintf(self, fmt, relax)

    def command(self) -> str:
        """Python text that makes this packet again."""
        from netprobe.packet.present import command

        return command(self)

    def hide_defaults(self) -> None:
        """Forget the fields that hold their default value (a dissected packet's ``repr``
        then lists only the others)."""
        for layer in self.chain():
            for f in type(layer).fields_desc:
                v = getattr(layer, f.name)
                try:
                    same = v is not None and v == f.default
                except Exception:  # a value that does not compare
                    same = False
                if same:
                    setattr(layer, f.name, as_default(v) if type(f.default) is int
                            else f.default)
            m = _meta_of(layer)
            if m is not None and m[2]:
                layer._meta = (m[0], m[1], False, *m[3:])

    def dissect(self, s: bytes) -> None:
        """Read this layer (and what follows) again from the bytes ``s``, in place."""
        self._init_from_bytes(s)

    @property
    def original(self) -> bytes | None:
        """The bytes this packet was dissected from (None when made in code)."""
        m = getattr(self, "_meta", None)
        return m[3] if m is not None and len(m) > 3 else None

    def hashret(self) -> bytes:
        """A key equal for a request and its answers (Scapy's name for ``hashkey``)."""
        return self.hashkey()

    def decode_payload_as(self, cls: type[Layer]) -> None:
        """Dissect what is above this layer again, as a ``cls`` layer, in place."""
        from netprobe.packet.dissect import dissect_as

        p = self._payload
        data = b"" if p is None else p.build()
        self.remove_payload()
        self.add_payload(dissect_as(cls, data))

    def show_text(self) -> str:
        """netprobe's own field tree (``craft`` prints it); ``show()`` prints Scapy's."""
        lines = []
        for depth, layer in enumerate(self.chain()):
            pad = "  " * depth
            lines.append(f"{pad}###[ {type(layer).__name__} ]###")
            width = max((len(n) for n in layer.field_names), default=0)
            for f in layer.fields_desc:
                lines.append(f"{pad}  {f.name:<{width}} = {f.text(getattr(layer, f.name))}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        from netprobe.packet.present import repr_packet

        return repr_packet(self)

    def __str__(self) -> str:
        # print(pkt) prints the summary line, as Scapy's
        return self.summary()

    def __eq__(self, other: object) -> bool:
        # Scapy's equality: same class, every field holding the same value (an unset
        # length or checksum is None, so a packet made in code differs from its own
        # dissection), then equal payloads
        if not isinstance(other, Layer):
            return NotImplemented
        a: Any = self
        b: Any = other
        while True:
            if not isinstance(b, type(a)):
                return False
            for f in type(a).fields_desc:
                if getattr(a, f.name) != getattr(b, f.name):
                    return False
            a, b = a.payload, b.payload
            if isinstance(a, NoPayload) or isinstance(b, NoPayload):
                return a == b

    __hash__ = None  # type: ignore[assignment]


class ConditionalLayer(Layer):
    """A layer whose fields on the wire depend on its flags or type (GRE, VXLAN, ICMP...):
    ``present_fields()`` names them, and ``show()``, ``repr()`` and ``to_dict()`` list
    only those, as Scapy shows them."""

    def present_fields(self) -> tuple[str, ...]:
        """The names of the fields on the wire, in order."""
        return self.field_names

    def shown_fields(self) -> Any:
        by_name = type(self).fields_by_name
        return [by_name[n] for n in self.present_fields()]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"layer": type(self).__name__}
        by_name = type(self).fields_by_name
        for n in self.present_fields():
            d[n] = by_name[n].to_json(getattr(self, n))
        return d

