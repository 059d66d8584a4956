"""Changing packets that exist: ``--set LAYER.field=VALUE``, ``--del LAYER``, ``--flags``,
``--badsum``. Pure functions: packets in, new packets out.

Values are read by the packet expression parser, exactly as the same value
written inside ``LAYER(field=VALUE)``: literals, lists, ``range()``; a value that
is not one of those (an address, a name, flag letters) is taken as text. Nothing
is ever evaluated as Python.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from netprobe.errors import UsageError
from netprobe.packet.layer import Layer

#: fields a layer computes from what it holds: lengths, counts and checksums. A
#: packet read from bytes has them filled; once it is edited they are computed again.
DERIVED_FIELDS = frozenset({
    "ihl", "len", "chksum", "cksum", "dataofs", "plen", "payloadlen", "hwlen",
    "qdcount", "ancount", "nscount", "arcount", "rdlen", "length", "optlen", "jumboplen",
    "payload_len",
})
#: fields naming the protocol of the layer above (filled again under a deleted layer)
PROTOCOL_FIELDS = frozenset({"proto", "nh", "type", "dsap", "ssap", "ctrl", "code"})
CHECKSUM_FIELDS = ("chksum", "cksum")

#: --flags names for the classic probe shapes
FLAG_NAMES = {"null": "", "none": "", "syn": "S", "synack": "SA", "ack": "A", "fin": "F",
              "finack": "FA", "rst": "R", "rstack": "RA", "psh": "P", "pshack": "PA",
              "xmas": "FPU", "maimon": "FA"}


@dataclass(frozen=True)
class FieldChange:
    """One ``--set``: the layer class name, the field and its checked value."""

    layer: str
    field: str
    value: object  # as the layer's parser read it: a literal, a list, a range
    spec: str


@dataclass
class Edits:
    """Everything asked of the packets, in the order it applies: deletions, then
    field changes (``--flags`` is a change of TCP.flags), then checksums broken."""

    changes: list[FieldChange] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    badsum: bool = False

    @property
    def edits_fields(self) -> bool:
        """True when a packet read from bytes must have its lengths and checksums redone."""
        return bool(self.changes or self.deletions or self.badsum)


def _layer_class(name: str, option: str) -> type[Layer]:
    from netprobe.packet import layer_classes

    classes = layer_classes()
    cls = classes.get(name)
    if cls is None:
        close = [n for n in classes if n.lower() == name.lower()]
        hint = f"did you mean {close[0]}?" if close else f"layers: {', '.join(sorted(classes))}"
        raise UsageError(f"{option}: unknown layer {name!r} ({hint})")
    return cls


def value_source(text: str) -> str:
    """The expression-language text for a ``--set`` value.

    A literal, a list, a tuple, ``range()``, a negative number or ``None`` stays as
    written; anything that is not (``198.18.1.10``, ``2001:db8::1``, ``SA``,
    ``www.example``) becomes a quoted string.
    """
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return repr(text)
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and not (
                isinstance(call.func, ast.Name) and call.func.id == "range"):
            raise UsageError(f"{text!r}: a value is a literal, a list, range() or text; "
                             "nothing is called")
    node = tree.body
    while isinstance(node, ast.Attribute):  # a dotted name: www.example.com
        node = node.value
    if isinstance(node, ast.Name) and not (
            node is tree.body and node.id in ("True", "False", "None")):
        return repr(text)
    return stripped


def parse_set(spec: str) -> FieldChange:
    """Read ``LAYER.field=VALUE``; UsageError naming what is wrong."""
    from netprobe.packet.expr import parse_packet

    target, eq, text = spec.partition("=")
    layer_name, dot, name = target.strip().partition(".")
    if not eq or not dot or not layer_name or not name:
        raise UsageError(f"--set {spec}: expected LAYER.field=VALUE (e.g. TCP.dport=443)")
    cls = _layer_class(layer_name.strip(), f"--set {spec}")
    if name not in cls.field_names:
        raise UsageError(f"--set {spec}: {cls.__name__} has no field {name!r} (fields: "
                         f"{', '.join(cls.field_names)})")
    if not name.isidentifier():  # pragma: no cover - field names are identifiers
        raise UsageError(f"--set {spec}: bad field name")
    try:
        parsed = parse_packet(f"{cls.__name__}({name}={value_source(text)})")
        value = getattr(parsed, name)
    except UsageError as exc:
        raise UsageError(f"--set {spec}: {exc}") from None
    return FieldChange(cls.__name__, name, value, spec)


def parse_del(spec: str) -> str:
    """Check a ``--del LAYER`` name; return the class name."""
    return _layer_class(spec.strip(), f"--del {spec}").__name__


def flags_change(text: str) -> FieldChange:
    """``--flags S``, ``SA``, ``FPU``, ``""`` or a name (syn, xmas, null...) as TCP.flags."""
    letters = FLAG_NAMES.get(text.strip().lower(), text.strip())
    try:
        return parse_set(f"TCP.flags={letters!r}")
    except UsageError as exc:
        msg = str(exc).split(": ", 1)[-1]
        raise UsageError(f"--flags {text}: {msg} (or one of: {', '.join(FLAG_NAMES)})") from None


def _delete(packet: Layer, name: str) -> tuple[Layer | None, list[Layer], bool]:
    """Remove every layer called ``name``; return (new top, layers left under a gap, found)."""
    under: list[Layer] = []
    found = False
    top: Layer | None = packet
    while top is not None and type(top).__name__ == name:
        found = True
        top = top._payload
    if top is None:
        return None, under, found
    top._under = None
    cur = top
    while cur._payload is not None:
        nxt = cur._payload
        if type(nxt).__name__ == name:
            found = True
            cur._payload = nxt._payload
            if nxt._payload is not None:
                nxt._payload._under = cur
            if not under or under[-1] is not cur:
                under.append(cur)
            continue
        cur = nxt
    return top, under, found


@dataclass
class EditReport:
    """Which edits found their layer in at least one packet."""

    used: set[str] = field(default_factory=set)

    def check(self, edits: Edits) -> None:
        """UsageError for an edit whose layer no packet holds."""
        for name in edits.deletions:
            if f"del:{name}" not in self.used:
                raise UsageError(f"--del {name}: no packet has a {name} layer")
        for change in edits.changes:
            if f"set:{change.spec}" not in self.used:
                raise UsageError(f"--set {change.spec}: no packet has a {change.layer} layer")


def apply_edits(packet: Layer, edits: Edits, refill: bool,
                report: EditReport | None = None) -> Layer:
    """A copy of ``packet`` with the deletions and field changes made.

    ``refill`` (a packet read from bytes): lengths, counts and checksums not set
    by ``--set`` are cleared so that building computes them again, and so is
    the protocol field of a layer whose payload was deleted.
    """
    top: Layer | None = packet.copy()
    gaps: list[Layer] = []
    for name in edits.deletions:
        assert top is not None
        top, under, found = _delete(top, name)
        if found and report is not None:
            report.used.add(f"del:{name}")
        if top is None:
            raise UsageError(f"--del {name}: nothing of the packet would be left")
        gaps += under
    assert top is not None
    explicit: set[tuple[int, str]] = set()
    for change in edits.changes:
        target = top.getlayer(change.layer)
        if target is None:
            continue
        if report is not None:
            report.used.add(f"set:{change.spec}")
        setattr(target, change.field, change.value)
        explicit.add((id(target), change.field))
    if refill:
        gap_ids = {id(x) for x in gaps}
        for layer in top.chain():
            for f in layer.fields_desc:
                if not f.auto or (id(layer), f.name) in explicit:
                    continue
                if f.name in DERIVED_FIELDS or (id(layer) in gap_ids
                                                and f.name in PROTOCOL_FIELDS):
                    setattr(layer, f.name, None)
    return top


def _wrong(value: int) -> int:
    """A checksum that is surely wrong: not ``value``, and neither 0 nor 0xffff (UDP's
    "no checksum", and the other spelling of a ones'-complement zero)."""
    for step in (1, 2, 3):
        bad = (value + step) & 0xFFFF
        if bad not in (value, 0, 0xFFFF):
            return bad
    raise AssertionError("unreachable: three steps always find one")  # pragma: no cover


def break_checksums(packet: Layer, only: Iterable[str] | None = None) -> Layer:
    """The built packet with every computed checksum made wrong (set ones stay).

    ``packet`` is one packet (not a set); checksums it sets itself are kept.
    Only the packet's own headers are touched, not a packet an ICMP error
    quotes. ``only`` limits the change to layers of those class names. Link
    addresses left unset stay unset (the sender fills them).
    """
    from netprobe.packet.dissect import dissect_as

    built = dissect_as(type(packet), packet.build())
    wanted = set(only) if only is not None else None
    for mine, theirs in zip(packet.chain(), built.chain()):
        if type(mine) is not type(theirs):
            break
        if wanted is None or type(mine).__name__ in wanted:
            for name in CHECKSUM_FIELDS:
                if name in mine.fields_by_name and getattr(mine, name) is None:
                    value = getattr(theirs, name)
                    if isinstance(value, int):
                        setattr(theirs, name, _wrong(value))
        if getattr(mine, "quotes_packet", False):
            break
    keep_unset_addresses(packet, built)
    return built


def keep_unset_addresses(original: Layer, built: Layer) -> None:
    """Clear in ``built`` the Ethernet addresses ``original`` left unset, so that the
    sender fills them (our MAC, the next hop's) as it does for a crafted frame."""
    mine, theirs = original, built
    if type(mine) is not type(theirs) or type(mine).__name__ not in ("Ether", "Dot3"):
        return
    for name in ("src", "dst"):
        if mine.is_unset(name):
            setattr(theirs, name, None)
