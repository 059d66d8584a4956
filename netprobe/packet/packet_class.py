"""``Packet``: your own protocol, declared as in Scapy (``name``, ``fields_desc``, hooks).

A ``Packet`` subclass is an ordinary netprobe layer. ``fields_desc`` is its field
list (Scapy's field classes, ``scapy_fields.py``), handed to ``LayerMeta``, which
generates its ``__init__`` and one-``struct`` pack and unpack of the fixed part,
as for netprobe's own layers. Fields from the first variable-length one on are
written and read in order by the field objects themselves. Scapy's hooks are
honoured when a class defines them: ``post_build(pkt, pay)``,
``extract_padding(s)``, ``guess_payload_class(payload)``, ``answers(other)``,
``hashret()``, ``mysummary()``, ``overload_fields``, and an ``__init__`` of the
class's own. A class that defines none of them and has only fixed-size fields
builds and dissects through the generated code alone.

``bind_layers`` (``layer.py``) ties a user layer to the layer under it both ways;
as in Scapy, stacking with ``/`` then fills the lower layer's bound fields that
still hold their defaults (``UDP()/Disney()`` has the bound ``dport``).
``split_layers`` undoes a binding.
"""

from __future__ import annotations

from types import MemberDescriptorType
from typing import Any

from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet import layer as _layer
from netprobe.packet.layer import BUILD_BINDINGS, Layer, LayerMeta, Truncated, is_default_value
from netprobe.packet.scapy_fields import (
    BitRun,
    CustomField,
    MultipleTypeField,
    PacketField,
    PacketListField,
    is_custom,
)

__all__ = ["Packet", "split_layers"]


class PacketMeta(LayerMeta):
    """``LayerMeta`` reading Scapy's ``fields_desc`` (and giving ``name`` a default).

    ``Packet`` itself stands for every layer in ``isinstance``/``issubclass``, as Scapy's
    base class does (``isinstance(IP(), Packet)``).
    """

    def __instancecheck__(cls, obj: Any) -> bool:  # noqa: N805 - a metaclass
        if cls.__dict__.get("_is_base"):
            return isinstance(obj, (Layer, _layer.NoPayload))
        return type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub: Any) -> bool:  # noqa: N805 - a metaclass
        if cls.__dict__.get("_is_base"):
            return isinstance(sub, type) and issubclass(sub, Layer)
        return type.__subclasscheck__(cls, sub)

    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> PacketMeta:
        if "dispatch_hook" in ns and not issubclass(mcs, DispatchingMeta):
            mcs = DispatchingMeta  # the class picks, from the bytes, the class it makes
        desc = ns.get("fields_desc")
        if desc is not None:
            desc = list(desc)
            ns["fields_desc"] = desc
            # a user's field class with its own conversions goes through them
            ns["fields"] = tuple(CustomField(f) if is_custom(f) else f for f in desc)
            # a field of several kinds reads, while unset, as the chosen kind's default
            chosen = tuple(f.name for f in desc if isinstance(f, MultipleTypeField))
            if chosen:
                ns["computed_fields"] = (*ns.get("computed_fields", ()), *chosen)
        ns.setdefault("name", name)
        # LayerMeta writes __init__: a user's own goes on top (Packet's own is the base's)
        own_init = ns.pop("__init__", None) if "Packet" in globals() else None
        cls = super().__new__(mcs, name, bases, ns)
        if desc is not None:
            # fields the class marked (copied) stand in fields_desc too, so that reads
            # through either list find the same slots
            for i, (f, made) in enumerate(zip(desc, cls.fields)):
                if made is not f and type(made) is type(f):
                    desc[i] = made
            for f in cls.fields:
                member = cls.__dict__.get(f.name)
                if (getattr(f, "names", None) and isinstance(member, MemberDescriptorType)
                        and not isinstance(f, F.FlagsField)):
                    setattr(cls, f.name, _NamedValueSlot(f, member))
            ls_defaults = {f.name: f.dflt.default for f in desc
                           if isinstance(f, MultipleTypeField)}
            if ls_defaults:
                cls.ls_defaults = {**cls.ls_defaults, **ls_defaults}
        user_init = own_init is not None or getattr(cls, "_user_init", False)
        if user_init:
            cls._user_init = True
        _prepare(cls, desc is not None)
        if user_init:
            # the generated __init__ is kept for Packet.__init__ (the user's super() call);
            # the class uses the user's own, or the one it inherits
            made = cls.__dict__.get("__init__")
            if made is not None:
                cls._made_init = made
                delattr(cls, "__init__")
            if own_init is not None:
                cls.__init__ = own_init
        return cls


class _NamedValueSlot(_layer._NamedSlot):
    """An enumerated field of an own layer: a name assigned (``pkt.code = "WRITE"``) is
    stored as its number, as Scapy stores it; ``del`` empties the slot."""

    __slots__ = ()

    def __delete__(self, obj: Any) -> None:
        self.slot.__delete__(obj)


class DispatchingMeta(PacketMeta):
    """The metaclass of a class with its own ``dispatch_hook``: ``Base(raw)`` makes the
    class the hook answers (Scapy's ``dispatch_hook(cls, _pkt=None, *args, **kargs)``)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass's
        if "dispatch_hook" in cls.__dict__:
            chosen = cls.dispatch_hook(*args, **kwargs)
            if chosen is not None and chosen is not cls:
                return type.__call__(chosen, *args, **kwargs)
        return super().__call__(*args, **kwargs)


def _dispatched(cls: Any, payload: bytes) -> Any:
    """The class a user layer class's ``dispatch_hook`` picks for ``payload``."""
    if isinstance(cls, DispatchingMeta) and "dispatch_hook" in cls.__dict__:
        return cls.dispatch_hook(payload) or cls
    return cls


def _overrides(cls: type, method: str) -> bool:
    return getattr(cls, method) is not getattr(Packet, method, None)


def _prepare(cls: Any, own_fields: bool) -> None:
    """What ``Packet``'s build and parse need to know about a class, worked out once."""
    if "_dissect_table" not in vars(cls):  # bindings are per class, never inherited
        cls._dissect_table = {}
    if "Packet" not in globals():  # the base class itself
        return
    # Scapy's older way to bind for building only: overload_fields = {UDP: {"dport": 2000}}
    for lower, values in (vars(cls).get("overload_fields") or {}).items():
        BUILD_BINDINGS.setdefault((lower, cls), {}).update(values)
    fields = cls.fields
    # the tail: fields from the first variable-length one on, as steps; bit fields in runs
    first = next((i for i, f in enumerate(fields) if isinstance(f, F.TailField)), len(fields))
    try:
        units = _layer.bit_units(fields[first:])
    except TypeError as exc:
        raise TypeError(f"{cls.__name__}: {exc}") from None
    bad = next((u[0] for u in units if not u[0].bits and not hasattr(u[0], "take")), None)
    if bad is not None:
        raise TypeError(f"{cls.__name__}.{bad.name}: {type(bad).__name__} cannot follow a "
                        "variable-length field")
    cls._steps = tuple(BitRun(u) if u[0].bits else u[0] for u in units)
    cls._computed = tuple(f for f in fields if hasattr(f, "compute"))
    cls._post_build = _overrides(cls, "post_build")
    cls._extract = _overrides(cls, "extract_padding")
    cls._guess = _overrides(cls, "guess_payload_class")
    cls._default_class = _overrides(cls, "default_payload_class")
    cls._conditional = tuple(f.name for f in fields if hasattr(f, "cond"))
    cls.packet_lists = frozenset(f.name for f in fields if isinstance(f, PacketListField))
    if own_fields:  # names some fields' code templates use, in the generated code's globals
        extra: dict[str, Any] = {}
        for f in fields:
            if hasattr(f, "code_globals"):
                extra.update(f.code_globals())
        made = cls.__dict__.get("_pack_fixed")
        if extra and isinstance(made, _layer._CodeOnFirstUse):
            spec = made.spec
            if spec.namespace is None:
                spec.namespace = _layer._namespace(cls, spec.fields)
            spec.namespace.update(extra)
    # the fast forms, when nothing but the generated code is needed; a class that does not
    # qualify gets the general forms back (it may inherit a fast form from its base)
    cls._solo_build = bool(fields) and not (cls._steps or cls._computed or cls._post_build)
    if not any(_own_def(cls, n) for n in ("build_layer", "build", "__bytes__")):
        cls.build_layer = _build_fixed if cls._solo_build else Packet.build_layer
        cls.__bytes__ = _bytes_fixed if cls._solo_build else Layer.__bytes__
    if not _own_def(cls, "parse"):
        plain = bool(fields) and not (cls._steps or cls._extract or cls._user_init
                                      or _overrides(cls, "pre_dissect"))
        cls.parse = Layer.parse if plain else Packet.parse
    if own_fields and not cls._steps and cls.parse is Layer.parse:
        made = cls.__dict__.get("__init__")
        if type(made) is _layer._CodeOnFirstUse:
            cls.__init__ = _InitReadingBytes(cls, made)
    # nested packets are values of their own: copies and new packets get their own
    nested = tuple(f.name for f in fields if isinstance(f, PacketField)
                   or isinstance(getattr(f, "fld", None), PacketField))  # a wrapped one too
    if nested and own_fields:
        _copy_nested(cls, nested)


def _own_def(cls: type, name: str) -> bool:
    """True when ``cls`` or a user's class it derives from defines method ``name``
    (not one of the forms ``_prepare`` installs)."""
    mine = (_build_fixed, _bytes_fixed, Layer.parse, Layer.__bytes__,
            Packet.build_layer, Packet.parse)
    for klass in cls.__mro__:
        if klass is Packet:
            return False
        v = vars(klass).get(name)
        if v is not None and v not in mine:
            return True
    return False


def _build_fixed(self: Any, payload: bytes) -> bytes:
    return self._pack_fixed() + payload


def _bytes_fixed(self: Any) -> bytes:
    if self._payload is None and _layer.DRAW_VOLATILES is None:
        try:
            return self._pack_fixed()  # a lone fixed header: the generated code alone
        except Exception:  # build() explains what is wrong
            pass
    return self.build()


class _InitReadingBytes(_layer._CodeOnFirstUse):
    """The generated ``__init__`` of a fixed-size layer, with a short way for the commonest
    dissection, ``Hdr(raw)`` with exactly the header's bytes: one ``struct`` unpack.

    Written, like every generated method, the first time it is used: ``LayerMeta``'s
    own source with the short way put first; anything else takes the usual way.
    """

    __slots__ = ()

    def __init__(self, owner: Any, made: Any) -> None:
        super().__init__(owner, "__init__", made.spec)

    def source(self, g: dict[str, Any]) -> str:
        cls, spec = self.owner, self.spec
        g["_FIXED"] = cls.fixed_len
        g["_rawlen"] = len  # a field may be called ``len``
        g["_DISSECTED"] = getattr(_layer, "DISSECTED", None)
        src = _layer._WRITERS["__init__"](cls, spec)
        head, _, body = src.partition("\n")
        given = "".join(f" and {f.name} is _U" for f in spec.fields)
        # the generated unpack's own lines, pasted in (one call less)
        unpack = _layer._WRITERS["_unpack_fixed"](cls, spec).split("\n", 1)[1]
        unpack = unpack.replace("_S_unpack_from(buf, off)", "_S_unpack_from(_raw, 0)")
        unpack = "".join("    " + line + "\n" for line in unpack.splitlines() if line.strip())
        fast = ("    if _raw.__class__ is bytes and _rawlen(_raw) == _FIXED"
                f"{given} and not _extra:\n"
                + unpack +
                "        self._payload = self._under = self._errors = None\n"
                "        self._meta = _DISSECTED\n"
                "        return\n")
        return head + "\n" + fast + body


def _copy_nested(cls: Any, names: tuple[str, ...]) -> None:
    """Wrap the generated ``__init__`` and ``_copy_one`` so packet values are copied."""
    made_init = cls.__dict__["__init__"]
    made_copy = cls.__dict__["_copy_one"]
    defaults = {n: cls.fields_by_name[n].default for n in names}

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        made_init.generate()(self, *args, **kwargs)
        for n, d in defaults.items():
            v = getattr(self, n)
            if v is d and d is not None:
                setattr(self, n, d.copy())

    def _copy_one(self: Any) -> Any:
        n = made_copy.generate()(self)
        for name in names:
            v = getattr(n, name)
            if v is not None and hasattr(v, "copy"):
                setattr(n, name, v.copy())
        return n

    cls.__init__ = __init__
    cls._copy_one = _copy_one


#: class -> the generated ``__init__`` its instances are made with, when a user's class
#: defines its own ``__init__`` (which calls ``super().__init__``, reaching ``Packet``'s)
_MADE_INITS: dict[type, Any] = {}


def _made_init(cls: type) -> Any:
    func = _MADE_INITS.get(cls)
    if func is None:
        for klass in cls.__mro__:
            made = vars(klass).get("_made_init") or (
                vars(klass).get("__init__") if "fields" in vars(klass) else None)
            if made is not None:
                func = made.generate() if hasattr(made, "generate") else made
                break
        _MADE_INITS[cls] = func
    return func


class Packet(Layer, metaclass=PacketMeta):
    """Base class of protocols declared as in Scapy.

    ``name`` is what ``show()`` titles the layer with (the class name by default);
    ``fields_desc`` lists the fields in wire order. Override the hooks as in Scapy,
    ``__init__`` included (calling ``super().__init__(*args, **kargs)``).
    """

    __slots__ = ()
    _user_init = False
    _is_base = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # reached only from a user's own __init__: make the packet as the class's
        # generated __init__ does
        _made_init(type(self))(self, *args, **kwargs)
    name: Any = "Packet"
    _steps: tuple[Any, ...] = ()
    _computed: tuple[Any, ...] = ()
    _post_build = _extract = _guess = _default_class = _solo_build = False
    _conditional: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        # a field emptied by ``del pkt.x`` reads its default again, as in Scapy
        if name in type(self).fields_by_name and self._refill():
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _init_from_bytes(self, raw: bytes) -> None:
        # Scapy's pre_dissect hook: the bytes as the class wants to read them (a layer
        # made from bytes by hand, ``Obf(data)``; not one found while dissecting below)
        if type(self).pre_dissect is not Packet.pre_dissect:
            raw = self.pre_dissect(raw if isinstance(raw, bytes) else bytes(raw))
        Layer._init_from_bytes(self, raw)

    def shown_default(self, name: str) -> Any:
        f = type(self).fields_by_name.get(name)
        if isinstance(f, MultipleTypeField):
            return f.chosen_default(self)
        return Layer.shown_default(self, name)

    def pre_dissect(self, s: bytes) -> bytes:
        """Scapy's hook: the bytes this layer is read from, before they are read."""
        return s

    # -- building -----------------------------------------------------------------------------
    def build_layer(self, payload: bytes) -> bytes:
        """The fixed part (generated code), then the tail fields, then ``post_build``."""
        saved = []
        for f in self._computed:
            if getattr(self, f.name) is None:
                setattr(self, f.name, f.compute(self, payload))
                saved.append(f.name)
        try:
            hdr = self._pack_fixed()
            if self._steps:
                parts = [hdr]
                for step in self._steps:
                    if type(step) is BitRun:
                        parts.append(step.put(self))
                    else:
                        parts.append(step.put(self, getattr(self, step.name)))
                hdr = b"".join(parts)
        finally:
            for name in saved:
                setattr(self, name, None)
        if self._post_build:
            return self.post_build(hdr, payload)
        return hdr + payload

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        """Scapy's hook: this layer's bytes ``pkt`` and its payload's ``pay`` -> the bytes."""
        return pkt + pay

    # -- dissection ---------------------------------------------------------------------------
    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        """The fixed part (generated code), the tail fields in order, ``extract_padding``."""
        if self._user_init:  # a dissected layer is made by the user's __init__ too, as in Scapy
            under, meta = self._under, getattr(self, "_meta", _layer)
            type(self).__init__(self)
            self._under = under
            if meta is _layer:  # dissection marks the outermost layer only (layer._meta_of)
                del self._meta
            else:
                self._meta = meta
        n = self.fixed_len
        if end - off < n:
            raise Truncated(f"truncated header ({end - off} of {n} bytes)")
        if n:
            self._unpack_fixed(buf, off)
        off += n
        for step in self._steps:
            if type(step) is BitRun:
                off = step.take(self, buf, off, end)
            else:
                value, off = step.take(self, buf, off, end)
                setattr(self, step.name, value)
        if self._extract:
            pay, _pad = self.extract_padding(buf[off:end])
            return off, off + len(pay or b"")
        return off, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        if self._guess:
            upper = self.guess_payload_class(buf[off:end])
        else:
            upper = self._bound_upper()
            if upper is None and self._default_class:
                upper = self.default_payload_class(buf[off:end])
        return _as_layer(_dispatched(upper, buf[off:end]))

    def _bound_upper(self) -> type[Layer] | None:
        for (key, value), upper in self._dissect_table.items():
            if (key, value) == _layer.ANY_VALUE or getattr(self, key, None) == value:
                return upper
        return None

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        """Scapy's hook: the class of the layer above, from ``payload``'s bytes.

        The default asks the bindings (``bind_layers``) and answers ``Raw`` when none fits.
        """
        return self._bound_upper() or self.default_payload_class(payload)

    # -- matching -----------------------------------------------------------------------------
    def hashret(self) -> bytes:
        """Scapy's hook: bytes equal for a request and its answers (the payload's by
        default)."""
        return b"" if self._payload is None else _hashret(self._payload)

    def hashkey(self) -> bytes:
        if type(self).hashret is not Packet.hashret:
            return _to_key(self.hashret())
        return Layer.hashkey(self)

    # -- presentation -------------------------------------------------------------------------
    def shown_fields(self) -> Any:
        """The fields ``show()`` and ``repr()`` list: a ``ConditionalField`` whose
        condition does not hold is left out, as in Scapy."""
        fields = type(self).fields_desc
        if not self._conditional:
            return fields
        return [f for f in fields if f.name not in self._conditional or f.cond(self)]


class ReadEmpty(tuple):
    """An empty list read from the wire, which Scapy's ``repr`` shows (``reqopts=[]``,
    SVCB's ``value=[]``): ``repr`` leaves out the empty lists it takes for unset ones, so
    this one is no list (it iterates, compares and prints as ``[]``)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other == [] or (isinstance(other, tuple) and not other)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "[]"


def item_padding(self: Any, s: bytes) -> tuple[bytes, bytes | None]:
    """``extract_padding`` of a list item (Scapy's idiom): nothing inside it is a payload;
    what follows it is the next item."""
    return b"", s


def fills_length(name: str, at: int, size: int = 2, uncounted: int = 0,
                 payload: bool = False) -> Any:
    """A ``post_build`` that writes field ``name`` (``size`` bytes big-endian at byte
    ``at``) while it is unset: the layer's length less ``uncounted`` bytes, plus its
    payload's when ``payload`` (the length of a type-length-value item or header)."""
    mask = (1 << 8 * size) - 1

    def post_build(self: Any, pkt: bytes, pay: bytes) -> bytes:
        if getattr(self, name) is None:
            n = len(pkt) - uncounted + (len(pay) if payload else 0)
            pkt = pkt[:at] + (n & mask).to_bytes(size, "big") + pkt[at + size:]
        return pkt + pay

    return post_build


def fields_then_trailer(what: str, head: int = 4) -> Any:
    """A ``parse`` that reads the fields whatever the item's length says, as Scapy reads
    EDNS options and SVCB parameters: what follows them is trailing (``Padding``); fewer
    than ``head`` bytes are a truncated ``what``."""

    def parse(self: Any, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < head:
            raise Truncated(f"truncated {what} ({end - off} of {head} bytes)")
        start, _ = Packet.parse(self, buf, off, end)
        return start, start

    return parse


def _hashret(layer: Any) -> bytes:
    fn = getattr(layer, "hashret", None)
    return _to_key(fn()) if fn is not None else layer.hashkey()


def _to_key(v: Any) -> bytes:
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, int):
        return str(v).encode()
    return bytes(v)


def _as_layer(cls: Any) -> type[Layer] | None:
    """A class a ``guess_payload_class`` answered, as a netprobe layer class (None: Raw)."""
    if isinstance(cls, LayerMeta):
        return cls
    return None


def _on_stack(lower: Layer, upper: Layer) -> None:
    """Scapy's overloads: a bound field of ``lower`` still at its default takes the value
    ``bind_layers`` gave it, when a user layer is one of the two."""
    if not (isinstance(type(upper), PacketMeta) or isinstance(type(lower), PacketMeta)
            or getattr(upper, "overloads_lower", False)):  # BOOTP, VXLAN, HTTP: as Scapy
        return
    values = BUILD_BINDINGS.get((type(lower), type(upper)))
    if not values:
        return
    by_name = type(lower).fields_by_name
    for key, value in values.items():
        f = by_name.get(key)
        if f is not None:
            cur = getattr(lower, key, None)  # (a field emptied by ``del`` is unset too)
            if cur is None or is_default_value(cur, f.default):  # never given a value
                setattr(lower, key, f.check(value))


_layer.ON_STACK = _on_stack


def split_layers(lower: type[Layer], upper: type[Layer], **values: Any) -> None:
    """Undo ``bind_layers(lower, upper, **values)``: with no values, every binding of the two.

    Dissecting ``lower`` no longer gives ``upper``; building no longer fills ``lower``'s
    fields for it.
    """
    from netprobe.packet.scapy_functions import split_bottom_up, split_top_down

    if not values:  # every binding of the two (a user layer's may sit in the late table)
        for table in (lower._dissect_table, lower.__dict__.get("_late_dissect_table", {})):
            for key in [k for k, v in table.items() if v is upper]:
                del table[key]
        BUILD_BINDINGS.pop((lower, upper), None)
        return
    split_bottom_up(lower, upper, **values)
    split_top_down(lower, upper, **values)
