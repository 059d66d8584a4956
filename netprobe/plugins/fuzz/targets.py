"""What a fuzz run may change in its template packet, read from the layers' field lists.

Every field of every layer is a candidate *target*, classified by its kind
(``netprobe/packet/field.py``):

========  ================================================  ==========================
kind      fields                                            strategies
========  ================================================  ==========================
int       integers and bit fields of a width                boundary, random, bitflip
flags     flag fields                                       boundary, random, bitflip
length    lengths and counts the layer fills itself         lie, boundary, random
checksum  checksums (only with ``--keep-invalid``)          lie, random
bytes     fixed-size byte strings                           boundary, random, bitflip
raw       variable bytes (``Raw.load``)                     bitflip, truncate, grow,
                                                            boundary, random
list      options and records (``TCP.options``, ``DNS.qd``) shuffle, truncate, grow,
                                                            bitflip, boundary, random, lie
tail      other variable parts (names, RDATA)               bitflip, boundary, random
========  ================================================  ==========================

Addresses (MAC, IPv4, IPv6, ARP's) are never targets: a fuzz case goes where
its template goes, inside the scope. *Integrity* fields, the lengths,
checksums and protocol numbers of the layers up to the transport layer (what
the kernel checks before a service ever sees the packet), stay correct unless
``--keep-invalid``; lengths and counts above the transport layer (DNS counts,
DNS over TCP's length) may lie by default, since lying is what they are for.

Without ``--fields``, the targets are the fields of the layers above the
first network layer (IP, IPv6, ARP), except ``dport``, which would only send
the cases to another service.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812 - F.UIntField reads as the kind it is
from netprobe.packet.layer import Layer

STRATEGIES = ("boundary", "random", "bitflip", "lie", "truncate", "grow", "shuffle")
"""Every mutation strategy, in the order ``--strategy`` documents them."""

KIND_STRATEGIES: dict[str, tuple[str, ...]] = {
    "int": ("boundary", "random", "bitflip"),
    "flags": ("boundary", "random", "bitflip"),
    "length": ("lie", "boundary", "random"),
    "checksum": ("lie", "random"),
    "bytes": ("boundary", "random", "bitflip"),
    "raw": ("bitflip", "truncate", "grow", "boundary", "random"),
    "list": ("shuffle", "truncate", "grow", "bitflip", "boundary", "random", "lie"),
    "tail": ("bitflip", "boundary", "random"),
}

#: how often a kind is picked relative to the others: variable parts hold more to break
KIND_WEIGHTS = {"int": 1, "flags": 1, "length": 2, "checksum": 1, "bytes": 1, "raw": 4,
                "list": 3, "tail": 2}

CHECKSUM_NAMES = ("chksum", "cksum", "checksum")
NETWORK_LAYERS = ("IP", "IPv6", "ARP")
#: upper layers whose checksum netprobe can recompute over patched bytes (the protocol
#: number their pseudo-header carries)
PSEUDO_PROTOCOLS = {"TCP": 6, "UDP": 17}
_ADDRESS_KINDS = (F.MACField, F.IPv4Field, F.IPv6Field)
_ADDRESS_NAMES = ("HwAddrField", "ProtoAddrField")


@dataclass(frozen=True)
class ItemField:
    """An integer field of the layers a list holds (``DNS.qd``'s ``qtype``)."""

    cls: type[Layer]
    name: str
    bits: int
    kind: str  # int, flags or length


@dataclass(frozen=True)
class Target:
    """One field of one layer of the template, and how it may be mutated."""

    name: str               # "UDP.sport"
    layer: int              # index of the layer in the template
    field: str
    kind: str
    bits: int               # width of an integer (0 otherwise)
    where: tuple[int, int, int, int] | None  # (offset, unit size, shift, bits) in the layer
    integrity: bool
    patchable: bool         # the built bytes may be patched (checksums can be redone)
    tlv: bool               # a list of type-length-value options (IP, TCP)
    items: tuple[ItemField, ...]
    strategies: tuple[str, ...]

    @property
    def weight(self) -> int:
        """How often this target is picked, relative to the others."""
        return KIND_WEIGHTS[self.kind]


def checksum_field(cls: type[Layer]) -> str | None:
    """The name of the layer's checksum field, declared or named like one; None if none."""
    if cls.checksum:
        return cls.checksum[0]
    return next((f.name for f in cls.fields if f.name in CHECKSUM_NAMES), None)


def refillable(chain: Sequence[Layer], index: int) -> bool:
    """True when netprobe can recompute the checksum of ``chain[index]`` over patched bytes.

    That is a declared checksum (``Layer.checksum``) over the header, the
    segment, or the segment and a pseudo-header it knows how to make.
    """
    cls = type(chain[index])
    if not cls.checksum:
        return False
    how = cls.checksum[1]
    if how == "pseudo":
        return cls.__name__ in PSEUDO_PROTOCOLS and index > 0
    return how in ("header", "segment")


def transport_index(chain: Sequence[Layer]) -> int:
    """Index of the transport layer: the first layer with a checksum above the network
    layer (UDP, TCP, ICMP), else the last layer that names the protocol above it.

    Integrity fields live in this layer and the ones under it.
    """
    first = _first_network(chain)
    for i in range(first + 1, len(chain)):
        if checksum_field(type(chain[i])) is not None:
            return i
    last = first
    for i, layer in enumerate(chain):
        if type(layer).payload_fields:
            last = i
    return last


def _is_address(f: F.Field) -> bool:
    return isinstance(f, _ADDRESS_KINDS) or type(f).__name__ in _ADDRESS_NAMES


def _int_kind(f: F.Field, lengths: bool = True) -> str:
    """flags, length (with ``lengths``: one the layer fills itself, a length or count)
    or int."""
    if isinstance(f, F.FlagsField):
        return "flags"
    return "length" if lengths and f.auto else "int"


def _classify(cls: type[Layer], f: F.Field, index: int, transport: int
              ) -> tuple[str, bool] | None:
    """(kind, integrity) of a field, or None when it is never a target."""
    if _is_address(f):
        return None
    below = index <= transport
    if f.name == checksum_field(cls):
        return "checksum", True
    if isinstance(f, F.UIntField):
        if f.name in cls.payload_fields:
            return _int_kind(f, lengths=False), True
        kind = _int_kind(f)
        return kind, below and kind == "length"
    if isinstance(f, F.BytesField):
        return "bytes", False
    if isinstance(f, F.RawBytesField):
        return "raw", False
    if isinstance(f, F.ListField):
        return "list", False
    if isinstance(f, F.TailField):
        return "tail", False
    return None


def _tlv(f: F.Field) -> bool:
    # IP and TCP options: kind, length (counting both bytes), data; 0 and 1 stand alone
    check = getattr(f, "item_check", None)
    return getattr(check, "__name__", "") in ("check_ip_option", "check_tcp_option")


def _item_fields(values: Iterable[object]) -> tuple[ItemField, ...]:
    """The integer fields of the layers in a list, one entry per (class, field)."""
    out: list[ItemField] = []
    seen: set[type] = set()
    for item in values:
        cls = type(item)
        if not isinstance(item, Layer) or cls in seen:
            continue
        seen.add(cls)
        for f in cls.fields:
            if isinstance(f, F.UIntField) and not _is_address(f):
                out.append(ItemField(cls, f.name, _bits(f), _int_kind(f)))
    return tuple(out)


def _bits(f: F.Field) -> int:
    if isinstance(f, F.UIntField):
        return f.maxval.bit_length()
    return 0


def _strategies(kind: str, *, patchable: bool, region: bool, tlv: bool,
                items: tuple[ItemField, ...]) -> tuple[str, ...]:
    """The strategies that can act on a target, given where it can be changed."""
    out = []
    for s in KIND_STRATEGIES[kind]:
        if kind == "list":
            if s in ("bitflip", "lie") and not (patchable and region):
                continue
            if s == "lie" and not tlv:
                continue
            if s in ("boundary", "random") and not (patchable and region) and not items:
                continue
        elif kind == "tail" and not (patchable and region):
            continue
        out.append(s)
    return tuple(out)


def _fit_size(strategies: tuple[str, ...], kind: str, value: object) -> tuple[str, ...]:
    """Leave out what cannot act on the template's value: an empty list has nothing to
    shuffle, cut or flip; empty bytes can only grow."""
    n = len(value) if isinstance(value, (bytes, bytearray, list, tuple)) else 0
    if kind == "raw":
        return strategies if n else tuple(s for s in strategies if s == "grow")
    if n == 0:
        return ()
    return tuple(s for s in strategies if s != "shuffle" or n >= 2)


def discover(chain: Sequence[Layer], base: bytes, starts: Sequence[int] | None,
             changes_bytes: object = None) -> list[Target]:
    """Every target of the template ``chain`` (integrity fields included, flagged).

    ``starts`` are the layers' offsets in the built template ``base`` (None when
    they cannot be known, e.g. with trailing padding: then nothing is patched).
    ``changes_bytes(index, field)`` tells whether setting a field not in the
    fixed header changes the bytes (ICMP's type-dependent fields may not be on
    the wire at all); fields it rejects are left out.
    """
    transport = transport_index(chain)
    opaque = [i for i, layer in enumerate(chain)
              if checksum_field(type(layer)) is not None and not refillable(chain, i)]
    targets = []
    for index, layer in enumerate(chain):
        cls = type(layer)
        n_tail = len(cls.tail_fields)
        for f in cls.fields:
            got = _classify(cls, f, index, transport)
            if got is None:
                continue
            kind, integrity = got
            where = cls.field_offsets.get(f.name) if not isinstance(f, F.TailField) else None
            # a patch is safe when every checksum covering it can be recomputed, or is
            # the patched field itself (a checksum that lies on purpose)
            blockers = [i for i in opaque if i <= index
                        and not (i == index and f.name == checksum_field(cls))]
            patchable = starts is not None and not blockers
            region = kind in ("raw", "list", "tail") and (n_tail == 1 or isinstance(
                f, F.ListField))
            tlv = kind == "list" and _tlv(f)
            items = (_item_fields(getattr(layer, f.name) or ()) if kind == "list"
                     else ())
            if (kind in ("int", "flags", "length", "checksum", "bytes") and where is None
                    and changes_bytes is not None and not changes_bytes(index, f.name)):
                continue
            strategies = _strategies(kind, patchable=patchable, region=region, tlv=tlv,
                                     items=items)
            if kind in ("raw", "list"):
                strategies = _fit_size(strategies, kind, getattr(layer, f.name))
            if not strategies:
                continue
            targets.append(Target(f"{cls.__name__}.{f.name}", index, f.name, kind, _bits(f),
                                  where, integrity, patchable, tlv, items, strategies))
    return targets


def _first_network(chain: Sequence[Layer]) -> int:
    for i, layer in enumerate(chain):
        if type(layer).__name__ in NETWORK_LAYERS:
            return i
    return -1


def parse_field_specs(specs: Iterable[str]) -> list[str]:
    """``--fields`` values (comma lists, the option repeated) as one list of names."""
    return [part.strip() for spec in specs for part in spec.split(",") if part.strip()]


def select(chain: Sequence[Layer], targets: list[Target], names: Sequence[str], *,
           keep_invalid: bool, strategies: Sequence[str]) -> list[Target]:
    """The targets a run mutates: named by ``--fields`` (or the default), with ``strategies``.

    Each target keeps only the wanted strategies. A name that matches nothing,
    an address, an integrity field without ``keep_invalid`` or a field none of
    the strategies fit is a usage error that says so.
    """
    wanted = tuple(strategies)
    chosen: list[Target] = []
    if not names:
        first = _first_network(chain)
        chosen = [t for t in targets if t.layer > first and t.field != "dport"
                  and (keep_invalid or not t.integrity)]
    else:
        layer_names = {type(layer).__name__.lower(): type(layer).__name__ for layer in chain}
        for name in names:
            if name in ("all", "*"):
                chosen += [t for t in targets if keep_invalid or not t.integrity]
                continue
            layer_name, _, field_name = name.partition(".")
            cls_name = layer_names.get(layer_name.lower())
            if cls_name is None:
                raise UsageError(f"--fields {name}: the template has no layer {layer_name!r} "
                                 f"(layers: {', '.join(layer_names.values())})")
            if not field_name or field_name == "*":
                chosen += [t for t in targets if t.name.startswith(cls_name + ".")
                           and (keep_invalid or not t.integrity)]
                continue
            full = f"{cls_name}.{field_name}"
            found = [t for t in targets if t.name == full]
            if not found:
                _explain_missing(chain, cls_name, field_name, targets)
            for t in found:
                if t.integrity and not keep_invalid:
                    raise UsageError(f"--fields {full}: a {t.kind} the receiving stack "
                                     "checks; add --keep-invalid to fuzz it")
                usable = [s for s in t.strategies if s in wanted]
                if not usable:
                    raise UsageError(f"--fields {full}: none of the strategies "
                                     f"{', '.join(wanted)} apply to it (it takes "
                                     f"{', '.join(t.strategies)})")
            chosen += found
    out: list[Target] = []
    seen: set[tuple[int, str]] = set()
    for t in chosen:
        usable = tuple(s for s in t.strategies if s in wanted)
        if not usable or (t.layer, t.field) in seen:
            continue
        seen.add((t.layer, t.field))
        out.append(replace(t, strategies=usable))
    if not out:
        raise UsageError("nothing to fuzz: no field of the template fits the chosen "
                         "--fields and --strategy (see netprobe fuzz --help)")
    return out


def _explain_missing(chain: Sequence[Layer], cls_name: str, field_name: str,
                     targets: list[Target]) -> None:
    cls = next(type(layer) for layer in chain if type(layer).__name__ == cls_name)
    f = cls.fields_by_name.get(field_name)
    if f is None:
        raise UsageError(f"--fields {cls_name}.{field_name}: {cls_name} has no field "
                         f"{field_name!r} (fields: {', '.join(cls.field_names)})")
    if _is_address(f):
        raise UsageError(f"--fields {cls_name}.{field_name}: addresses are never fuzzed "
                         "(every case goes where the template goes)")
    fuzzable = ", ".join(t.name for t in targets if t.name.startswith(cls_name + "."))
    raise UsageError(f"--fields {cls_name}.{field_name}: this field cannot be changed in "
                     f"this template (fuzzable here: {fuzzable or 'none'})")
