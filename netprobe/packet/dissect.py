"""Dissection: bytes to layers, walking the binding tables; never raises.

What does not parse becomes ``Raw`` and a note in ``packet.errors``; bytes after
the length a header announces become ``Padding``.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from typing import Any

from netprobe.packet import code_cache
from netprobe.packet import layer as _layer
from netprobe.packet.layer import Layer, LayerMeta, LengthNote, ParseError, Truncated
from netprobe.packet.layers.raw import Padding, Raw

#: every layer family imported (then no lookup can gain from importing more): checked first,
#: since dissection asks after every payload it leaves as Raw
_all_loaded = False


def _families_done() -> bool:
    global _all_loaded
    _all_loaded = getattr(sys.modules.get("netprobe.packet"), "_families_loaded", False)
    return _all_loaded


#: layer class -> what ``FAMILIES_BINDING_UNDER`` says of it (None: not listed)
_BINDERS: dict[type, Any] = {}


def _load_binders(layer: Layer) -> bool:
    """Import the layer families that may bind a layer above ``layer`` (every family for a
    class ``FAMILIES_BINDING_UNDER`` does not list); True when any was imported just now."""
    if _all_loaded or _families_done():
        return False
    cls = type(layer)
    families = _BINDERS.get(cls, _MISSING)
    if families is _MISSING:  # asked once per class (a TCP payload on no known port: each)
        from netprobe.packet import FAMILIES_BINDING_UNDER

        families = _BINDERS[cls] = FAMILIES_BINDING_UNDER.get(
            f"{cls.__module__}.{cls.__qualname__}")
    if families is None:
        return _load_families()
    if isinstance(families, dict):  # keyed by the values of the class's dissect keys
        families = tuple(f for key in cls.dissect_keys
                         for f in families.get(getattr(layer, key, None), ()))
    new = False
    for family in families:
        name = f"netprobe.packet.layers.{family}"
        if name not in sys.modules:
            __import__(name)
            new = True
    return new


def _load_families() -> bool:
    """Import every layer family once (their link types and bindings register on import).

    Returns True when that was done just now: a lookup that missed is worth trying again.
    """
    import netprobe.packet as packet

    return packet.load_families()


class _LinkTypes(dict):
    """Link type number -> layer class, or a function choosing one from the first bytes.

    Layer families register their link types when imported, and ``netprobe.packet``
    imports families on first need: a lookup that misses, or a walk of the whole
    table, first makes sure that every family has been imported.
    """

    def get(self, key: Any, default: Any = None) -> Any:
        value = dict.get(self, key, _MISSING)
        if value is _MISSING and _load_families():
            value = dict.get(self, key, _MISSING)
        return default if value is _MISSING else value

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (
            _load_families() and dict.__contains__(self, key))

    def __missing__(self, key: Any) -> Any:
        if _load_families() and dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def _whole(name: str) -> Any:  # noqa: N805 - makes a method while the class is made
        """``dict``'s method ``name``, on the whole table: every family imported first."""
        plain = getattr(dict, name)

        def method(self: dict) -> Any:
            _load_families()
            return plain(self)

        method.__name__ = name
        return method

    __iter__, __len__, items, keys, values = map(_whole, (
        "__iter__", "__len__", "items", "keys", "values"))
    del _whole


_MISSING = object()


#: link type number -> layer class, or a function choosing one from the first bytes
LINKTYPES: dict[int, type[Layer] | Callable[[bytes], type[Layer]]] = _LinkTypes()

#: layers dissected at most in one packet (stacked extension headers, tunnels)
MAX_DEPTH = 256

_FAILURES = (ParseError, struct.error, ValueError, IndexError, KeyError, TypeError,
             UnicodeError, OverflowError, RecursionError)


#: where one dissected layer lay in the frame: (start, end, the failure it was replaced for)
Span = tuple[int, int, BaseException | None]


def dissect_as(cls: type[Layer], buf: bytes, wirelen: int | None = None,
               spans: list[Span] | None = None) -> Layer:
    """Dissect ``buf`` starting with layer class ``cls``; never raises on bad bytes.

    ``spans``, when given, receives one :data:`Span` per layer of the chain, in order
    (not the ``Padding`` of trailers): where it started and ended in ``buf`` and, for a
    ``Raw`` that stands for a layer that failed to parse, that failure.
    """
    if spans is None:
        return _chain(cls, buf, wirelen, None)
    top = object.__new__(cls)
    top._under = None
    return _walk(top, top, buf, 0, len(buf), 0, None, None, wirelen, spans)


def _walk(top: Layer, layer: Layer, buf: bytes, off: int, end: int, depth: int,
          errors: list[str] | None, trailers: list[tuple[bytes, int]] | None,
          wirelen: int | None, spans: list[Span] | None) -> Layer:
    """Dissect from ``layer`` (made, linked under, not parsed; ``depth`` layers above
    ``top``), whose bytes are ``buf[off:end]``, to the end of the chain; return ``top``.

    ``errors`` and ``trailers`` are what the layers under ``layer`` noted: the notes for
    ``packet.errors`` and (bytes after the end a layer announced, that layer's depth).
    """
    new = object.__new__
    prev = layer
    while True:
        layer._errors = None
        failure = None
        try:
            poff, pend = layer.parse(buf, off, end)
            if poff < pend:  # the usual case inline: a layer that names the next one
                nxt = layer.next_layer(buf, poff, pend) or _next_class(layer, buf, poff, pend)
            else:
                nxt = None
            # after next_layer: if it fails, the Raw that replaces this layer holds these bytes
            if pend < end:
                trailers = _trailer(trailers, layer, buf, pend, end, depth)
        except _FAILURES as exc:
            errors = _note_failure(errors, layer, exc, wirelen, len(buf))
            failure = exc
            raw = _replace_with_raw(layer, buf[off:end], layer is not top)
            if layer is top:
                top = raw
            layer = raw
            nxt = None
        if spans is not None:
            spans.append((off, end, failure))
        if layer._errors:
            errors = _note_layer_errors(errors, layer, wirelen, len(buf))
        prev = layer
        if nxt is None:
            break
        depth += 1
        if depth > MAX_DEPTH:
            errors = _too_deep(errors, prev, buf[poff:pend])
            prev = prev._payload
            break
        layer = new(nxt)
        layer._under = prev
        prev._payload = layer
        off, end = poff, pend
    return _finish(top, prev, buf, errors, trailers)


def _finish(top: Layer, last: Layer, buf: bytes, errors: list[str] | None,
            trailers: list[tuple[bytes, int]] | None) -> Layer:
    """End the chain at ``last``, put the trailers on it, note the errors; return ``top``."""
    last._payload = None
    if trailers:
        _add_trailers(top, last, trailers)
    top._errors = errors or None
    top._meta = (None, None, True, buf)
    return top


def _trailer(trailers: list[tuple[bytes, int]] | None, layer: Layer, buf: bytes, pend: int,
             end: int, depth: int) -> list[tuple[bytes, int]] | None:
    """``trailers`` with the bytes after the end ``layer`` announced (``buf[pend:end]``),
    unless the layer reads its own trailer (802.11's FCS keeps it as a field)."""
    if getattr(type(layer), "owns_trailer", False):
        return trailers
    if trailers is None:
        trailers = []
    trailers.append((buf[pend:end], depth))
    return trailers


#: layers read by the straight-line code of ``dissect_into`` before ``_walk`` takes over
_UNROLLED = 6

#: one layer of ``dissect_into`` (DEPTH is its depth): parse it, note what it says, make
#: the next one. Anything unusual (a failure) goes to ``_walk``, which parses it again.
_STEP = """
    layer._errors = None
    try:
        poff, pend = layer.parse(buf, off, end)
        nxt = (layer.next_layer(buf, poff, pend) or _next_class(layer, buf, poff, pend)
               ) if poff < pend else None
    except _FAILURES:
        return _walk(top, layer, buf, off, end, DEPTH, errors, trailers, wirelen, None)
    if pend < end:
        trailers = _trailer(trailers, layer, buf, pend, end, DEPTH)
    if layer._errors:
        errors = _note_layer_errors(errors, layer, wirelen, len(buf))
    if nxt is None:
        return _finish(top, layer, buf, errors, trailers)
    up = _new(nxt)
    up._under = layer
    layer._payload = up
    layer = up
    off = poff
    end = pend
"""


def _write_chain(write: bool | None = None) -> Callable[..., Layer]:
    """Write the walk of :func:`dissect_into` (compiled code from ``code_cache`` when it
    holds it; ``write`` as ``code_cache.compiled``).

    The same step is written out once per layer depth rather than looped over: CPython
    specializes each attribute access and method call for the one class it keeps seeing,
    and a loop's one call site sees every class of the chain (Ether, IP, TCP), so it gets
    none (the loop took a fifth more time per frame). Deeper layers go to ``_walk``.
    """
    src = ("def dissect_into(cls, buf, wirelen=None, top=None):\n"
           "    if top is None:\n"
           "        top = _new(cls)\n"
           "        top._under = None\n"
           "    layer = top\n    off = 0\n    end = len(buf)\n"
           "    errors = trailers = None\n"
           + "".join(_STEP.replace("DEPTH", str(d)) for d in range(_UNROLLED))
           + f"    return _walk(top, layer, buf, off, end, {_UNROLLED}, errors, trailers, "
           "wirelen, None)\n")
    g: dict[str, Any] = {
        "_new": object.__new__, "_FAILURES": _FAILURES, "_walk": _walk,
        "_trailer": _trailer, "_note_layer_errors": _note_layer_errors,
        "_finish": _finish, "_next_class": _next_class,
    }
    exec(code_cache.compiled(src, f"<{__name__}.dissect_into>", write=write), g)
    func = g["dissect_into"]
    func.__module__ = __name__
    func.__doc__ = dissect_into.__doc__
    return func


def _next_class(layer: Layer, buf: bytes, poff: int, pend: int) -> type[Layer]:
    """The class of the layer above ``layer``, whose bytes are ``buf[poff:pend]``."""
    nxt = layer.next_layer(buf, poff, pend)
    # a binding not known yet may belong to a family not imported yet
    if nxt is None and _load_binders(layer):
        nxt = layer.next_layer(buf, poff, pend)
    return nxt or Raw


def _note_failure(errors: list[str] | None, layer: Layer, exc: BaseException,
                  wirelen: int | None, caplen: int) -> list[str] | None:
    """Add why ``layer`` failed to parse, unless the snap length explains it."""
    if isinstance(exc, Truncated) and wirelen is not None and wirelen > caplen:
        return errors
    if errors is None:
        errors = []
    errors.append(f"{type(layer).__name__}: {exc}")
    return errors


def _replace_with_raw(layer: Layer, data: bytes, linked: bool) -> Raw:
    """A ``Raw`` holding ``data`` in the place of ``layer``: in its chain when ``linked``,
    else (the chain's first layer) on its own."""
    raw = Raw(load=data)
    if linked:
        under = layer._under
        raw._under = under
        under._payload = raw
    return raw


def _note_layer_errors(errors: list[str] | None, layer: Layer, wirelen: int | None,
                       caplen: int) -> list[str]:
    """Move the notes ``layer`` made while parsing to the packet's list."""
    if errors is None:
        errors = []
    snapped = wirelen is not None and wirelen > caplen
    errors.extend(f"{type(layer).__name__}: {e}" for e in layer._errors
                  if not (snapped and isinstance(e, LengthNote)))
    layer._errors = None
    return errors


def _too_deep(errors: list[str] | None, prev: Layer, rest: bytes) -> list[str]:
    """Keep the bytes past ``MAX_DEPTH`` layers as ``Raw`` above ``prev``, with a note."""
    if errors is None:
        errors = []
    errors.append(f"more than {MAX_DEPTH} nested layers; the rest is left as Raw")
    raw = Raw(load=rest)
    raw._under = prev
    prev._payload = raw
    return errors


def _add_trailers(top: Layer, prev: Layer, trailers: list[tuple[bytes, int]]) -> None:
    """Put the bytes after each layer's announced end on top of the chain, as ``Padding``."""
    n = len(top.chain())
    for t, owner in reversed(trailers):
        pad = Padding(load=t)
        # where the trailer belongs, counted back from itself: building puts it right
        # after that layer, outside its lengths and checksums, inside those below
        pad._back = n - owner
        n += 1
        pad._under = prev
        prev._payload = pad
        prev = pad


def dissect(data: bytes, linktype: int = 1, wirelen: int | None = None,
            spans: list[Span] | None = None) -> Layer:
    """Dissect a frame captured on ``linktype`` (1 = Ethernet). Never raises on bad bytes.

    ``wirelen`` (the length on the wire) lets notes about lengths that the
    capture's snap length explains be left out; ``spans`` receives where each layer
    lay (see :func:`dissect_as`).
    """
    if type(data) is not bytes:
        data = bytes(data)
    # the plain dict's lookup first: the table's own get() is for a miss
    chooser = dict.get(LINKTYPES, linktype) or LINKTYPES.get(linktype)
    if chooser is None:
        pkt = Raw(load=data)
        pkt._errors = [f"unknown link type {linktype}"]
        return pkt
    if chooser.__class__ is LayerMeta:
        cls = chooser
    elif chooser is ETHERNET[0] and len(data) > 13 and data[12] >= 6:
        cls = ETHERNET[1]  # a type of 0x0600 or more (above MAX_8023_LENGTH): Ethernet II
    else:
        cls = chooser(data)
    if spans is None:
        return _chain(cls, data, wirelen, None)
    return dissect_as(cls, data, wirelen, spans)


def dissect_into(cls: type[Layer], buf: bytes, wirelen: int | None = None,
                 top: Layer | None = None) -> Layer:
    """Dissect ``buf`` as a ``cls`` layer (``dissect_as`` without spans): into ``top``
    itself when given (``Ether(raw)``: a ``cls`` layer whose ``_under`` is set), what
    follows becoming its payload. Returns ``top``, or the ``Raw`` that stands for it
    when the bytes do not parse as ``cls``."""
    return _chain(cls, buf, wirelen, top)


def _write_on_first_use(cls: type[Layer], buf: bytes, wirelen: int | None = None,
                        top: Layer | None = None) -> Layer:
    """``_chain``'s first call: write it (compiling costs 2 ms, which importing the
    package does not pay; ``code_cache`` keeps it compiled), put it in its places,
    and call it."""
    global _chain
    func = _chain = _layer.DISSECT_INTO = _write_chain()
    return func(cls, buf, wirelen, top)


#: ``dissect_into``'s written-out walk (see ``_write_chain``), written on first use
_chain: Callable[..., Layer] = _write_on_first_use
_layer.DISSECT_INTO = _write_on_first_use

#: link type 1's chooser and the class it gives a frame whose type field is 0x0600 or more
#: (set by ``netprobe.packet.bindings``; the hottest case of ``dissect`` skips the call)
ETHERNET: list[Any] = [None, None]
