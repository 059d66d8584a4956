"""Looking at packets as Scapy prints them: ``show()``, ``summary()``, ``repr()``,
``sprintf()``, ``command()`` and ``ls()``.

Every function here reads the layers' declarations (fields, ``hex_fields``,
``shown_names``, ``shown_fields``, ``mysummary``) and writes Scapy 2.x's text
layout, so that a script printing packets prints what it printed under Scapy.
Names of ports, IP protocols and EtherTypes come from the system's files, as in
Scapy (``sysnames.py``).
"""

from __future__ import annotations

import re
from typing import Any

from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.layer import Layer, is_default_value, overloads

__all__ = ["command", "field_text", "ls", "repr_packet", "show_text", "sprintf", "summary"]


# -- one value ------------------------------------------------------------------------------------
def field_text(layer: Layer, f: F.Field, value: Any) -> str:
    """A field's value as Scapy shows it (its ``i2repr``): names for enumerations, hex for
    the ``X`` fields, flags as letters, addresses as text, bytes as ``b'..'``."""
    own = getattr(f, "i2repr", None)
    if own is not None:
        return own(layer, value)
    if value is None:
        return "None"
    if type(value) is F.SetValue and value.given is not None:
        return _given_text(layer, f, value.given)
    if isinstance(value, F.Volatile):  # a random value shows as its kind: <RandShort>
        return repr(value)
    if isinstance(value, F.FlagValue):
        return str(value)
    if isinstance(f, F.FlagsField) and isinstance(value, int):
        return str(f.valuetype(value))
    if isinstance(value, Layer):
        return repr_packet(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        names = layer.shown_names(f.name)
        if names:
            name = names.get(value)
            if name is not None:
                return name
        return hex(value) if f.name in type(layer).hex_fields else str(value)
    if isinstance(value, (bytes, bytearray)):
        return repr(bytes(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if value and all(isinstance(x, int) and not isinstance(x, bool) for x in value):
            return "[" + ", ".join(field_text(layer, f, x) for x in value) + "]"
        return repr(value)
    return repr(value) if isinstance(value, tuple) else str(value)


def _given_text(layer: Layer, f: F.Field, given: Any) -> str:
    """A set's value as the user gave it, as Scapy prints it: names of an enumeration
    (quoted inside a list), hex numbers of an ``X`` field, address blocks as ``Net``."""
    names = layer.shown_names(f.name) if not isinstance(f, F.FlagsField) else None
    if names:
        def one(x: Any) -> str:
            try:
                return names[x] if x in names else repr(x)
            except TypeError:  # unhashable
                return repr(x)

        return repr([one(x) for x in given]) if isinstance(given, list) else one(given)
    if f.name in type(layer).hex_fields:
        from netprobe.packet.scapy_functions import lhex

        return str(lhex(given))
    if isinstance(f, (F.IPv4Field, F.IPv6Field)) and isinstance(given, (list, tuple)):
        kind = "Net" if isinstance(f, F.IPv4Field) else "Net6"
        parts = [f'{kind}("{x}")' if isinstance(x, str) and "/" in x else repr(x) for x in given]
        return "[" + ", ".join(parts) + "]" if isinstance(given, list) else repr(given)
    return repr(given)


def _shown_value(layer: Layer, f: F.Field, over: dict[str, Any]) -> Any:
    """What ``show()`` prints for a field: its value, else what will fill it."""
    v = getattr(layer, f.name, None)
    if f.name in type(layer).forgotten_when_read and layer.is_dissected():
        v = None
    if v is not None and not (is_default_value(v, f.default) and f.name in over):
        return v
    if f.name in over:
        return over[f.name]
    u = layer.unset_value(f.name)  # the no-payload default, or the route's value
    if (u is None and f.default is not None and not f.auto and layer.is_dissected()
            and f.name not in type(layer).forgotten_when_read):
        return f.default  # cut off before this field (a quote's 8 bytes): its default
    return u


# -- show() ---------------------------------------------------------------------------------------
def show_text(pkt: Layer, indent: int = 3, lvl: str = "", label_lvl: str = "") -> str:
    """The text ``show()`` prints (without its final empty line)."""
    pkt._refill()  # fields emptied by ``del`` show their default
    lines: list[str] = []
    _show_into(lines, pkt, indent, lvl, label_lvl)
    return "\n".join(lines) + "\n"


def _show_into(lines: list[str], pkt: Layer, indent: int, lvl: str, label_lvl: str) -> None:
    for cur in pkt.iterpayloads():
        lines.append(f"{label_lvl}###[ {type(cur).name} ]###")
        over = overloads(cur)
        for f in cur.shown_fields():
            v = _shown_value(cur, f, over)
            # a packet, or a list of them (an empty one, as IP options or DNS sections, shows
            # as a heading alone)
            if isinstance(v, Layer) or _is_packet_list(v) or (
                    f.name in type(cur).packet_lists and isinstance(v, list) and not v):
                lines.append(f"{label_lvl}{lvl}  \\{f.name:<10}\\")
                for sub in [v] if isinstance(v, Layer) else v:
                    _show_into(lines, sub, indent, "", f"{label_lvl}{lvl}   |")
                continue
            text = field_text(cur, f, v)
            lines.append(f"{label_lvl}{lvl}  {f.name:<10}= {text}")
        step = getattr(type(cur), "show_indent", 1)  # 0: 802.11 elements stay level
        lvl += " " * indent * step


def _is_packet_list(v: Any) -> bool:
    """True for a list of packets (not empty)."""
    return isinstance(v, list) and bool(v) and all(isinstance(x, Layer) for x in v)


# -- repr() ---------------------------------------------------------------------------------------
def repr_packet(pkt: Layer) -> str:
    """Scapy's ``repr``: ``<IP  frag=0 proto=tcp dst=198.18.0.1 |<TCP  dport=http |>>``."""
    parts = []
    for cur in pkt.iterpayloads():
        given = cur.fields_given()
        over = overloads(cur)
        args = []
        # a dissected layer lists every field Scapy read, also those shown only (ICMP's
        # ``extpad``) and those read as None that Scapy keeps (ICMPv6's ``ext``)
        dissected = cur.is_dissected()
        real = type(cur).fields_by_name
        kept_none = getattr(type(cur), "repr_none_fields", ())
        for f in cur.shown_fields():
            if f.name in given:
                v = given[f.name]
                if isinstance(v, (list, dict, set)) and not v:
                    continue
            elif f.name in over:
                v = over[f.name]
            elif dissected and (f.name not in real or f.name in kept_none):
                v = getattr(cur, f.name, None) if f.name in real else None
            else:
                continue
            args.append(f"{f.name}={field_text(cur, f, v)}")
        shown = getattr(type(cur), "repr_class_name", "") or type(cur).__name__
        parts.append(f"<{shown}  {' '.join(args)}{' ' if args else ''}|")
    return "".join(parts) + ">" * len(parts)


# -- summary() ------------------------------------------------------------------------------------
def summary(pkt: Layer) -> str:
    """Scapy's one line: the innermost layer that has something to say says it, the
    others give their class name (``Ether / IP / TCP 198.18.0.2:ftp_data > ... S``)."""
    pkt._refill()
    chain = pkt.chain()
    texts = [type(x).__name__ for x in chain]
    # A mysummary may be (text, [classes]): those layers below say their text too
    # (802.11's SSID element makes the 802.11 header speak), as in Scapy.
    found = False
    needed: list[Any] = []
    for i in range(len(chain) - 1, -1, -1):
        if found and type(chain[i]) not in needed:
            continue
        text = chain[i].mysummary()
        if isinstance(text, tuple):
            text, more = text
            needed.extend(more)
        if text:
            texts[i] = text
        found = found or bool(text) or bool(needed)
    return " / ".join(texts)


def value_text(layer: Layer, name: str) -> str:
    """One field's shown text, by name (what ``sprintf`` and the summaries print)."""
    f = type(layer).fields_by_name[name]
    return field_text(layer, f, _shown_value(layer, f, overloads(layer)))


# -- sprintf() ------------------------------------------------------------------------------------
_FORMAT = re.compile(r"%([^%{}]*?)%")


def sprintf(pkt: Layer, fmt: str, relax: bool = True) -> str:
    """Scapy's ``sprintf``: ``%IP.src%``, ``%TCP.sport%``, ``%r,IP.proto%`` (the raw value),
    ``%-15s,IP.src%`` (a width), ``%IP:2.src%`` (the second IP layer), ``%.time%``;
    ``{IP:text}`` is kept when the packet has IP, ``{!IP:text}`` when it has not.
    A field the packet lacks prints ``??``."""
    return _FORMAT.sub(lambda m: _directive(pkt, m.group(1), relax), _conditionals(pkt, fmt))


def _conditionals(pkt: Layer, fmt: str) -> str:
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "{":
            out.append(c)
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(fmt) and depth:
            depth += {"{": 1, "}": -1}.get(fmt[j], 0)
            j += 1
        body = fmt[i + 1:j - 1]
        cond, _, text = body.partition(":")
        negate = cond.startswith("!")
        cls = cond[1:] if negate else cond
        if (pkt.getlayer(cls) is not None) != negate:
            out.append(_conditionals(pkt, text))
        i = j
    return "".join(out)


def _chain_layer(pkt: Layer, cls: str, num: int) -> Layer | None:
    """The ``num``-th layer named ``cls`` among the packet's layers (not the records a
    field holds: Scapy's ``%DNSQR.qname%`` prints ``??``)."""
    for layer in pkt.chain():
        if type(layer).__name__ == cls or type(layer).name == cls:
            num -= 1
            if num == 0:
                return layer
    return None


def _directive(pkt: Layer, spec: str, relax: bool) -> str:
    if spec == "":
        return "%"
    fmt, _, what = spec.rpartition(",")
    raw = fmt.endswith("r")
    if raw:
        fmt = fmt[:-1]
    cls, dot, fname = what.rpartition(".")
    num = 1
    if ":" in cls:
        cls, _, n = cls.partition(":")
        num = int(n) if n.isdigit() else 1
    if not dot:
        fname, cls = what, ""
    if cls == "" and fname == "time" and (dot or _first_with(pkt, "time") is None):
        value: Any = pkt.time
        import time as _time

        # as Scapy shows it: the local time of day, to the microsecond (``r``: its repr)
        seconds = float(value)
        value = _time.strftime("%H:%M:%S", _time.localtime(seconds)) + (
            f".{int((seconds - int(seconds)) * 1_000_000):06d}")
        return ("%" + (fmt or "s")) % (repr(value) if raw else value)
    layer = _chain_layer(pkt, cls, num) if cls else _first_with(pkt, fname)
    if layer is None or fname not in type(layer).fields_by_name:
        if fname in ("time", "name") and layer is not None:
            return ("%" + (fmt or "s")) % getattr(layer, fname)
        return "??"
    f = type(layer).fields_by_name[fname]
    v = _shown_value(layer, f, overloads(layer))
    value = v if raw else field_text(layer, f, v)
    try:
        return ("%" + (fmt or "s")) % value
    except TypeError:
        return ("%" + (fmt.rstrip("xXdiouc") or "") + "s") % value


def _first_with(pkt: Layer, fname: str) -> Layer | None:
    return next((x for x in pkt.iterpayloads() if fname in type(x).fields_by_name), None)


# -- command() ------------------------------------------------------------------------------------
def command(pkt: Layer) -> str:
    """Python that makes this packet again: ``IP(dst='198.18.0.1')/TCP(dport=80, flags=18)``."""
    parts = []
    for cur in pkt.iterpayloads():
        args = []
        for name, v in cur.fields_given().items():
            if isinstance(v, (list, dict)) and not v:
                continue
            if isinstance(v, F.FlagValue):
                v = int(v)
            if _is_packet_list(v):
                text = "[" + ", ".join(command(x) for x in v) + "]"
            elif isinstance(v, Layer):
                text = command(v)
            else:
                text = repr(v)
            args.append(f"{name}={text}")
        parts.append(f"{type(cur).__name__}({', '.join(args)})")
    return "/".join(parts)


# -- ls() -----------------------------------------------------------------------------------------
def _kind_name(cls: Any, f: F.Field) -> str:
    """The Scapy field class a netprobe field stands for, for ``ls()``."""
    kind = getattr(f, "ls_kind", None)
    declared = cls.ls_kinds.get(f.name)
    if declared is not None:
        return declared
    if kind:
        return kind
    if hasattr(f, "i2repr"):
        return type(f).__name__
    if isinstance(f, F.FlagsField):
        return "FlagsField"
    enum = "Enum" if f.names or f.name in cls.shown_tables else ""
    x = "X" if f.name in cls.hex_fields else ""
    if isinstance(f, F.BitField):
        if enum:
            return f"{x}BitEnumField"
        return f"{x}BitField  ({f.bits} bit{'s' if f.bits > 1 else ''})"
    if isinstance(f, F.UIntField):
        base = {"B": "Byte", "H": "Short", "I": "Int", "Q": "Long"}.get(f.fmt, "Short")
        return f"{x}{base}{enum}Field"
    for kind, scapy_kind in ((F.IPv4Field, "IPField"), (F.IPv6Field, "IP6Field"),
                             (F.MACField, "MACField"), (F.ListField, "PacketListField")):
        if isinstance(f, kind):
            return scapy_kind
    return "StrField"


def field_owners(f: Any) -> list[type]:
    """Every layer class that declares field ``f`` (Scapy's ``owners``), oldest first."""
    from netprobe.packet.layer import _ALL_CLASSES

    return [c for c in _ALL_CLASSES if any(x is f for x in getattr(c, "fields_desc", ()))]


def field_repr(f: F.Field, kind: str = "") -> str:
    """A field as Scapy's ``repr`` shows it: ``<IntField (TCP,TCPerror).seq>``, its kind
    (``kind``, else as ``ls()`` names it) and every layer class that declares it."""
    owners = field_owners(f)
    if not kind:
        kind = _kind_name(owners[0], f).split(" ")[0] if owners else type(f).__name__
    return f"<{kind} ({','.join(c.__name__ for c in owners)}).{f.name}>"


def ls(obj: Any = None, verbose: bool = False) -> None:
    """Print a layer class's fields with their defaults, or a packet's with its values
    (Scapy's ``ls``); with no argument, every layer class and its name."""
    if obj is None:
        from netprobe.packet import layer_classes

        for name, cls in sorted(layer_classes().items(), key=lambda kv: kv[0].lower()):
            print(f"{name:<10}: {cls.name}")
        return
    if isinstance(obj, type) and issubclass(obj, Layer):
        _ls_layer(obj, None, verbose)
        return
    if isinstance(obj, Layer):
        for cur in obj.iterpayloads():
            if cur is not obj:
                print("--")
            # (Scapy's verbose reaches the first layer only)
            _ls_layer(type(cur), cur, verbose and cur is obj)
        return
    raise TypeError(f"ls() takes a layer class or a packet, not {type(obj).__name__}")


def _ls_layer(cls: Any, layer: Layer | None, verbose: bool) -> None:
    """``ls()``'s lines for one layer class: each field's kind and default, and with a
    ``layer`` its value there before the default."""
    over = overloads(layer) if layer is not None else {}
    for name, kind, d in cls.ls_leading:  # Scapy's fields kept elsewhere here
        now = "" if layer is None else f"{d!r:<15} "
        print(f"{name:<10} : {kind:<35} = {now}({str(_plain(d))!r})")
    for f in cls.fields_desc:
        now = ""
        if layer is not None:
            v = getattr(layer, f.name)  # a protocol number reads what will fill it
            if v is None and f.name in over:  # filled by the layer above, as in Scapy
                v = over[f.name]
            now = f"{v!r:<15} "
        d = cls.ls_defaults.get(f.name, f.default)
        print(f"{f.name:<10} : {_kind_name(cls, f):<35} = {now}({str(_plain(d))!r})")
        if verbose:
            _ls_flag_names(f)


def _ls_flag_names(f: F.Field) -> None:
    """``ls(..., verbose=True)``'s line under a flags field: its flags' names."""
    letters = getattr(getattr(f, "fld", f), "letters", None)
    if isinstance(f, F.FlagsField) and letters:
        print("               " + ", ".join(letters))


def _plain(v: Any) -> Any:
    # a packet default shows as its repr (its str() is now its summary line)
    return repr(v) if isinstance(v, (F.FlagValue, bytes, str, Layer)) else v
