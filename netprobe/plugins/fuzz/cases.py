"""Fuzz cases: the template packet with one to three mutations, as the bytes to send.

Case ``i`` of seed ``S`` depends on nothing but the template, the targets,
``S`` and ``i``: its random numbers come from ``CaseRandom(S, i)`` and are
drawn in a fixed order, so any case can be made on its own (``--start``).

Making a case is two steps. Mutations that change sizes or lists (truncate,
grow, shuffle, list items, and fields outside a fixed header) are applied
to a copy of the template, which is then built: lengths and checksums fill
themselves as in any packet. Mutations of fixed header fields and
same-size byte changes are then written straight into the built bytes (much
faster than building), and the checksums covering them are recomputed from
the layers' declared checksums (``Layer.checksum``). A checksum or length
that lies on purpose (``--keep-invalid``) is written last and left alone.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.packet import field as F  # noqa: N812
from netprobe.packet.checksum import checksum
from netprobe.packet.layer import Layer
from netprobe.plugins.fuzz.rng import CaseRandom
from netprobe.plugins.fuzz.strategies import (
    NotApplicable,
    fixed_bytes,
    int_value,
    list_cut,
    list_grow,
    list_order,
    resized,
    same_size,
    tlv_lie,
)
from netprobe.plugins.fuzz.targets import PSEUDO_PROTOCOLS, Target, discover, refillable
from netprobe.services.packetview import ip_layer

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

#: tries per case before giving up on mutating it (a mutation may not build)
MAX_ATTEMPTS = 8
#: the largest header that IP's ihl and TCP's data offset can express
MAX_OPTION_HEADER = 60
_BUILD_ERRORS = (struct.error, TypeError, ValueError, AttributeError, OSError, OverflowError,
                 IndexError, KeyError, UsageError)
_INT_KINDS = ("int", "flags", "length", "checksum", "bytes")


class Unbuildable(Exception):
    """The mutated packet does not build, or breaks a limit; the case tries again."""


@dataclass(slots=True, eq=False, repr=False)
class Case:
    """One fuzz case: its number, the bytes to send and what was changed."""

    number: int
    data: bytes
    mutations: tuple[JSONRecord, ...]

    def to_dict(self, seed: int) -> JSONRecord:
        """JSON form (the crash file's and the dry run's)."""
        return {"case": self.number, "seed": seed, "length": len(self.data),
                "mutations": list(self.mutations), "hex": self.data.hex()}

    def __repr__(self) -> str:
        return f"<Case {self.number} {len(self.data)}B {list(self.mutations)}>"


def build_spans(chain: Sequence[Layer]) -> tuple[bytes, list[int] | None]:
    """Build a packet and say where each layer starts in the bytes.

    This is ``Layer.build``'s own loop (innermost layer first), keeping the
    sizes; with trailing padding the starts are not known (None).
    """
    if chain[-1].is_padding:
        return chain[0].build(), None
    out = b""
    sizes = []
    for layer in reversed(chain):
        out = layer.build_layer(out)
        sizes.append(len(out))
    total = len(out)
    return out, [total - size for size in reversed(sizes)]


def read_field(buf: bytes | bytearray, at: int, where: tuple[int, int, int, int]) -> int:
    """The value of a fixed field of the layer starting at ``at``."""
    pos, size, shift, bits = where
    unit = int.from_bytes(buf[at + pos:at + pos + size], "big")
    return (unit >> shift) & ((1 << bits) - 1)


def write_field(buf: bytearray, at: int, where: tuple[int, int, int, int], value: int) -> None:
    """Write ``value`` into a fixed field of the layer starting at ``at``."""
    pos, size, shift, bits = where
    mask = ((1 << bits) - 1) << shift
    unit = int.from_bytes(buf[at + pos:at + pos + size], "big")
    unit = (unit & ~mask) | ((value << shift) & mask)
    buf[at + pos:at + pos + size] = unit.to_bytes(size, "big")


@dataclass
class Template:
    """The packet every case starts from, built once, and everything that can change in it."""

    expression: str
    packet: Layer
    chain: list[Layer]
    data: bytes
    starts: list[int] | None
    targets: list[Target]

    @property
    def destination(self) -> str | None:
        """The address the cases go to (the first IP or IPv6 destination)."""
        net = ip_layer(self.packet)
        return None if net is None else str(net.dst)

    @property
    def layer2(self) -> bool:
        """True when the template starts with a link layer (cases are frames)."""
        return type(self.chain[0]).__name__ not in ("IP", "IPv6")


def resolve_sources(packet: Layer) -> None:
    """Fill unset IP/IPv6 sources from the route once, so cases never ask again."""
    for layer in packet.chain():
        auto = getattr(layer, "auto_src", None)
        if auto is not None and getattr(layer, "src", "") is None:
            layer.src = auto()


def load_template(expression: str, packet: Layer | None = None) -> Template:
    """Parse ``expression`` (or take ``packet``), fill its sources and build it once.

    A packet set (a field with several values) is refused: a run fuzzes one
    packet. Raises UsageError.
    """
    if packet is None:
        from netprobe.packet.expr import parse_packet

        packet = parse_packet(expression)
    if packet.set_size() != 1:
        raise UsageError(f"the template is a set of {packet.set_size()} packets; fuzz takes one "
                         "packet (give each field a single value)")
    resolve_sources(packet)
    chain = packet.chain()
    try:
        data, starts = build_spans(chain)
    except UsageError:
        raise
    except _BUILD_ERRORS:
        raise packet._explain_build_error(ValueError("cannot build")) from None

    def changes_bytes(index: int, name: str) -> bool:
        copy = packet.copy()
        layer = copy.chain()[index]
        f = type(layer).fields_by_name[name]
        now = getattr(layer, name)
        top = getattr(f, "maxval", 1)
        layer_value = 1 if now is None else (int(now) ^ 1) & top
        setattr(layer, name, layer_value)
        try:
            return copy.build() != data
        except _BUILD_ERRORS:
            return False

    return Template(expression, packet, chain, data, starts,
                    discover(chain, data, starts, changes_bytes))


def _copy_item(item: object) -> object:
    return item.copy() if isinstance(item, Layer) else item


class CaseMaker:
    """Makes case ``i`` of a seed from a template and the chosen targets."""

    def __init__(self, template: Template, targets: Sequence[Target], seed: int, *,
                 max_size: int = 1500) -> None:
        if not targets:
            raise UsageError("nothing to fuzz: no targets")
        self.template = template
        self.targets = list(targets)
        self.seed = seed
        self.base = template.data
        self.starts = template.starts
        self.chain = template.chain
        self.max_size = max(max_size, len(self.base))
        total = 0
        self.cumulative = []
        for t in self.targets:
            total += t.weight
            self.cumulative.append(total)
        self.modes = [{s: _mode(t, s) for s in t.strategies} for t in self.targets]
        # checksums to recompute after a patch: layers whose declared checksum the
        # template leaves unset, as (how, offset in the layer, pseudo protocol, is UDP)
        self.refill_info: dict[int, tuple[str, int, int | None, bool]] = {}
        for i, layer in enumerate(self.chain):
            cls = type(layer)
            if refillable(self.chain, i) and getattr(layer, cls.checksum[0]) is None:
                off = cls.field_offsets[cls.checksum[0]][0]
                self.refill_info[i] = (cls.checksum[1], off, PSEUDO_PROTOCOLS.get(cls.__name__),
                                       cls.__name__ == "UDP")
        self.refill_after = [
            tuple(sorted((j for j, info in self.refill_info.items()
                          if j == k or (j < k and info[0] != "header")), reverse=True))
            for k in range(len(self.chain))]
        self.option_layers = sorted({t.layer for t in self.targets if t.tlv})
        # the template's own regions and pseudo-headers: a case that only patches bytes
        # has the template's sizes, so they are worked out once
        self._base_regions: dict[str, tuple[int, int]] = {}
        self._base_pseudo: dict[int, bytes] = {}
        if self.starts is not None:
            for t in self.targets:
                if t.kind in ("raw", "list", "tail"):
                    self._base_regions[t.name] = self._region(self.chain, self.starts,
                                                              len(self.base), t)
            for j, (how, _, proto, _) in self.refill_info.items():
                ph = getattr(self.chain[j - 1], "pseudo_header", None) if j else None
                if how == "pseudo" and ph is not None:
                    self._base_pseudo[j] = ph(proto, len(self.base) - self.starts[j])

    # -- the public part -------------------------------------------------------------------------
    def case(self, number: int) -> Case:
        """Case ``number``: always the same bytes for the same template, targets and seed."""
        rng = CaseRandom(self.seed, number)
        draw = rng.below(100)
        count = min(1 if draw < 70 else 2 if draw < 91 else 3, len(self.targets))
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._attempt(number, rng, count)
            except (NotApplicable, Unbuildable):
                continue
        return Case(number, bytes(self.base),
                    ({"strategy": "none", "note": f"no mutation built in {MAX_ATTEMPTS} tries"},))

    def cases(self, start: int, count: int) -> Iterator[Case]:
        """Cases ``start .. start+count-1``."""
        for number in range(start, start + count):
            yield self.case(number)

    # -- one try -------------------------------------------------------------------------------
    def _pick(self, rng: CaseRandom, index: int) -> tuple[Target, str, str]:
        """A strategy for target ``index``, and how it is applied."""
        t = self.targets[index]
        strategies = t.strategies
        strategy = strategies[rng.below(len(strategies))]
        mode = self.modes[index][strategy]
        if mode == "either":  # a list of layers: an item's field, or the list's bytes
            mode = "item" if not t.patchable or rng.below(2) else "patch"
        return t, strategy, mode

    def _attempt(self, number: int, rng: CaseRandom, count: int) -> Case:
        if count == 1:
            picks = [self._pick(rng, rng.weighted(self.cumulative))]
        else:
            picks = []
            used: list[int] = []
            for _ in range(4 * count):
                index = rng.weighted(self.cumulative)
                if index not in used:
                    used.append(index)
                    picks.append(self._pick(rng, index))
                    if len(picks) == count:
                        break
        modes = {mode for _, _, mode in picks}
        patches, objects = "patch" in modes, bool(modes - {"patch"})
        described = [{"field": t.name, "strategy": s} for t, s, _ in picks]
        chain = self.chain
        data, starts = self.base, self.starts
        if objects:
            chain = self.template.packet.copy().chain()
            grown = 0
            for n, (t, strategy, mode) in enumerate(picks):
                if mode != "patch":
                    grown += self._object_op(chain, t, strategy, mode, rng, grown, described[n])
            data, starts = self._build(chain)
        if not patches:
            return Case(number, data if objects else bytes(bytearray(data)), tuple(described))
        if starts is None:
            raise NotApplicable("patch")
        buf = bytearray(data)
        refill: set[int] = set()
        lying: set[int] = set()  # a checksum that lies on purpose is left as it is
        for n, (t, strategy, mode) in enumerate(picks):
            if mode == "patch":
                self._patch_op(buf, starts, chain, t, strategy, rng, described[n])
                refill.update(self.refill_after[t.layer])
                if t.kind == "checksum":
                    lying.add(t.layer)
        if refill - lying:
            self._refill(buf, starts, chain, sorted(refill - lying, reverse=True))
        return Case(number, bytes(buf), tuple(described))

    def _build(self, chain: list[Layer]) -> tuple[bytes, list[int] | None]:
        try:
            data, starts = build_spans(chain)
        except _BUILD_ERRORS:
            raise Unbuildable from None
        if len(data) > self.max_size:
            raise Unbuildable
        if starts is not None:
            for k in self.option_layers:
                end = starts[k + 1] if k + 1 < len(starts) else len(data)
                if end - starts[k] > MAX_OPTION_HEADER:
                    raise Unbuildable
        return data, starts

    # -- mutations on layer objects -----------------------------------------------------------
    def _object_op(self, chain: list[Layer], t: Target, strategy: str, mode: str,
                   rng: CaseRandom, grown: int, out: JSONRecord) -> int:
        """Change a field of the copy ``chain``; describe it in ``out``; return bytes added."""
        layer = chain[t.layer]
        current = getattr(layer, t.field)
        if t.kind in _INT_KINDS:
            if current is None and t.where is not None and self.starts is not None:
                current = read_field(self.base, self.starts[t.layer], t.where)
            if t.kind == "bytes":
                size = t.where[1] if t.where else len(current or b"")
                new, detail = fixed_bytes(strategy, rng, bytes(current or bytes(size)))
                setattr(layer, t.field, new)
            else:
                value, detail = int_value(strategy, rng, t.bits,
                                          None if current is None else int(current), t.kind)
                setattr(layer, t.field, value)
            out.update(detail)
            return 0
        if t.kind == "raw":
            old = bytes(current or b"")
            if strategy in ("truncate", "grow"):
                room = self.max_size - len(self.base) - grown
                new, detail = resized(strategy, rng, old, room)
            else:
                new, detail = same_size(strategy, rng, old)
            setattr(layer, t.field, new)
            out.update(detail)
            return len(new) - len(old)
        items = list(current or ())
        if strategy == "shuffle":
            new_items, detail = list_order(rng, items)
        elif strategy == "truncate":
            new_items, detail = list_cut(rng, items)
        elif strategy == "grow":
            new_items, detail = list_grow(rng, items, _copy_item)
        elif mode == "item":
            choices = [(j, f) for j, item in enumerate(items) for f in t.items
                       if type(item) is f.cls]
            if not choices:
                raise NotApplicable(strategy)
            j, f = rng.choice(choices)
            now = getattr(items[j], f.name)
            value, detail = int_value(strategy, rng, f.bits,
                                      None if now is None else int(now), f.kind)
            setattr(items[j], f.name, value)  # items are the copy's own
            detail = {"item": j, "item_field": f.name, **detail}
            new_items = items
        else:
            raise NotApplicable(strategy)
        setattr(layer, t.field, new_items)
        out.update(detail)
        return 0

    # -- mutations on the built bytes ----------------------------------------------------------
    def _patch_op(self, buf: bytearray, starts: list[int], chain: list[Layer], t: Target,
                  strategy: str, rng: CaseRandom, out: JSONRecord) -> None:
        """Change the built bytes ``buf`` in place; describe the change in ``out``."""
        where = t.where
        if where is not None:
            at = starts[t.layer]
            current = read_field(buf, at, where)
            if t.kind == "bytes":
                new, detail = fixed_bytes(strategy, rng, current.to_bytes(where[1], "big"))
                write_field(buf, at, where, int.from_bytes(new, "big"))
            else:
                value, detail = int_value(strategy, rng, t.bits, current, t.kind)
                write_field(buf, at, where, value)
            out.update(detail)
            return
        if chain is self.chain:
            lo, hi = self._base_regions[t.name]
        else:
            lo, hi = self._region(chain, starts, len(buf), t)
        region = bytes(buf[lo:hi])
        if strategy == "lie":
            new, detail = tlv_lie(rng, region)
        else:
            new, detail = same_size(strategy, rng, region)
        buf[lo:hi] = new
        out.update(detail)

    @staticmethod
    def _region(chain: list[Layer], starts: list[int], total: int, t: Target
                ) -> tuple[int, int]:
        """Where a variable field's bytes are: the layer's part after its fixed header,
        or one list's share of it when the layer has several lists (DNS)."""
        k = t.layer
        layer = chain[k]
        cls = type(layer)
        lo = starts[k] + cls.fixed_len
        hi = starts[k + 1] if k + 1 < len(starts) else total
        tails = cls.tail_fields
        if len(tails) > 1 and all(isinstance(f, F.ListField) for f in tails):
            sizes = []
            for f in tails:
                items = getattr(layer, f.name) or ()
                sizes.append(sum(len(x.build_layer(b"")) if isinstance(x, Layer)
                                 else len(bytes(x)) for x in items))
            if sum(sizes) == hi - lo:
                names = [f.name for f in tails]
                i = names.index(t.field)
                first = lo + sum(sizes[:i])
                return first, first + sizes[i]
        return lo, hi

    def _refill(self, buf: bytearray, starts: list[int], chain: list[Layer],
                layers: Sequence[int]) -> None:
        """Recompute the checksums of ``layers`` (innermost first) over the patched bytes."""
        for j in layers:
            how, off, proto, udp = self.refill_info[j]
            s = starts[j]
            end = starts[j + 1] if how == "header" and j + 1 < len(starts) else len(buf)
            buf[s + off:s + off + 2] = b"\x00\x00"
            if how == "pseudo":
                seg = bytes(buf[s:end])
                pseudo = self._base_pseudo.get(j) if chain is self.chain else None
                if pseudo is None:
                    ph = getattr(chain[j - 1], "pseudo_header", None)
                    if ph is None:
                        continue
                    pseudo = ph(proto, len(seg))
                cs = checksum(pseudo + seg)
                if udp:
                    cs = cs or 0xFFFF
            else:
                cs = checksum(bytes(buf[s:end]))
            buf[s + off:s + off + 2] = cs.to_bytes(2, "big")


def _mode(t: Target, strategy: str) -> str:
    """How a strategy acts on a target: "patch" (the built bytes), "object" (a copy of
    the layers, then built), or "either" (a list of layers: an item's field or bytes)."""
    if t.kind in _INT_KINDS:
        return "patch" if t.where is not None and t.patchable else "object"
    if t.kind == "raw":
        if strategy in ("truncate", "grow") or not t.patchable:
            return "object"
        return "patch"
    if t.kind == "list":
        if strategy in ("shuffle", "truncate", "grow"):
            return "object"
        if strategy in ("boundary", "random") and t.items:
            return "either"
        return "patch"
    return "patch"
