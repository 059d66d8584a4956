"""Probe templates: build a packet once, then stamp out a whole packet set in C.

A packet set such as ``IP(dst="198.18.1.0/24")/TCP(dport=range(1, 65536))`` differs
from probe to probe only in a few fixed-position fields. The template builds
the first packet, learns where those fields sit (``Layer.field_offsets``) and
which checksums cover them (``Layer.checksum``), and then writes a batch of
probes as rows of a byte matrix: the varying fields are written column-wise
and every automatic checksum is corrected incrementally (RFC 1624) from the
16-bit words that changed. Per probe there is no Python object at all.

The stamping and keying run in C (``_batch.c``, see ``compiled``). Where that
was not built there are no templates: ``ProbeTemplate`` refuses every set, and
``prepare()`` builds each probe with the layers and keys it with the per-packet
functions (``fastpath.key_of``, ``strictkeys.probe_key``), which is what the
tests hold the C functions to, byte for byte.
"""

from __future__ import annotations

import math
import socket
from array import array
from typing import Any

from netprobe.engine.compiled import batch as cbatch
from netprobe.packet import fastpath
from netprobe.packet import field as F  # noqa: N812 - F.Field reads as the kind it is
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layer import Layer
from netprobe.packet.linktypes import LINKTYPE_ETHERNET, LINKTYPE_RAW


class TemplateUnsupported(Exception):
    """This packet set cannot be stamped (a varying field changes lengths, say)."""


def _encode_values(f: F.Field, values: list[Any]) -> array:
    """Field values as unsigned 64-bit integers (``array('Q')``), as they go on the wire."""
    if isinstance(f, F.IPv4Field):
        return array("Q", [int.from_bytes(socket.inet_pton(socket.AF_INET, v), "big")
                           for v in values])
    if isinstance(f, F.MACField):
        return array("Q", [int.from_bytes(F._mac_to_bytes(v), "big") for v in values])
    if isinstance(f, F.UIntField):
        try:
            try:
                return array("Q", values)  # plain ints (ranges): converted in C
            except TypeError:
                return array("Q", [int(v) for v in values])  # flags, enums, numbers
        except OverflowError:
            raise TemplateUnsupported(f"field {f.name}: a value does not fit 64 bits") from None
    raise TemplateUnsupported(f"field {f.name} of kind {type(f).__name__}")


#: destinations whose automatic source addresses are compared, at most (spread evenly)
SOURCE_SAMPLE = 1024


def _require_one_source(layers: list[Layer], sets: list[tuple[int, str, list[Any]]]) -> None:
    """Refuse a set whose unset source address would differ from probe to probe.

    Built one by one, each probe asks the route for its own destination's source;
    the template builds only the first. Route lookups are slow (a netlink round
    trip), so a set of more than SOURCE_SAMPLE destinations is checked at evenly
    spread ones: a route that gives another source to a smaller slice goes unseen.
    """
    for i, name, values in sets:
        layer = layers[i]
        auto_src = getattr(layer, "auto_src", None)
        if auto_src is None or not any(n in layer.fields_by_name and layer.is_unset(n)
                                       for n in ("src", "psrc")):
            continue
        step = max(1, len(values) // SOURCE_SAMPLE)
        sample = [*values[::step], values[-1]]
        first = getattr(layer, name)
        sources = set()
        try:
            for v in sample:
                setattr(layer, name, v)
                sources.add(auto_src())
                if len(sources) > 1:
                    raise TemplateUnsupported(f"{type(layer).__name__}.{name}: the probes "
                                              "have different source addresses")
        finally:
            setattr(layer, name, first)


#: fields that may vary without changing where the fast path finds the key's parts
_LAYOUT_NEUTRAL = frozenset({"src", "dst", "ttl", "id", "tos", "sport", "dport", "seq",
                             "ack", "window", "urgptr"})


class ProbeTemplate:
    """A packet set stamped out in batches; ``len()`` probes in product order.

    Probe ``i`` is exactly ``bytes(list(packet)[i])``: the fields vary in the same
    order as iterating the packet set (the last varying field fastest).
    """

    def __init__(self, packet: Layer) -> None:
        if cbatch is None:
            raise TemplateUnsupported("no compiled stamper (not built, or NETPROBE_PURE set)")
        sets = packet._set_fields()
        if not sets:
            raise TemplateUnsupported("not a packet set")
        first = packet.copy()
        layers = first.chain()
        for i, name, values in sets:
            setattr(layers[i], name, values[0])
        _require_one_source(layers, sets)
        self.cls = type(packet)
        self.base = first.build()
        built = dissect_as(self.cls, self.base).chain()
        if len(built) != len(layers):
            raise TemplateUnsupported("the built packet dissects differently")
        # layer start offsets in the built bytes
        starts = []
        total = len(self.base)
        for layer in built:
            starts.append(total - len(layer.build()))
        self.length = total
        self.radices = [len(v) for _, _, v in sets]
        self.count = math.prod(self.radices)
        #: the varying fields, as the compiled stamper takes them: (frame offset, size,
        #: shift, bits, values) each
        varying: list[tuple[int, int, int, int, array]] = []
        self.varying_names = [name for _, name, _ in sets]
        #: the link type the bytes start with (Ethernet frames or bare IP)
        self.linktype = LINKTYPE_ETHERNET if self.cls.__name__ == "Ether" else LINKTYPE_RAW
        changed: set[int] = set()
        for i, name, values in sets:
            cls = type(layers[i])
            f = cls.fields_by_name[name]
            if name not in cls.field_offsets or (f.auto and f.name != "src"):
                raise TemplateUnsupported(f"{cls.__name__}.{name} cannot vary in a template")
            off, size, shift, bits = cls.field_offsets[name]
            varying.append((starts[i] + off, size, shift, bits,
                            _encode_values(f, list(values))))
            changed.update(range(starts[i] + off, starts[i] + off + size))
        #: the automatic checksums, as the compiled stamper takes them: (frame offset,
        #: value in the first probe, the 16-bit words (frame offsets) that feed it,
        #: whether a sum of 0 goes out as 0xffff) each
        checksums: list[tuple[int, int, tuple[int, ...], bool]] = []
        for j, layer in enumerate(layers):
            spec = type(layer).checksum
            if spec is None or getattr(layer, spec[0]) is not None:
                continue  # no checksum, or one set by hand (kept, even if wrong)
            name, kind = spec
            if kind == "pseudo" and (j == 0 or getattr(layers[j - 1], "pseudo_header",
                                                       None) is None):
                continue  # no pseudo-header below: the build leaves the checksum as packed
            c_off = starts[j] + type(layer).field_offsets[name][0]
            if kind == "header":
                lo, hi = starts[j], starts[j + 1] if j + 1 < len(starts) else total
            else:
                lo, hi = starts[j], total
            parity = lo & 1
            feeding = {b for b in changed if lo <= b < hi}
            if kind == "pseudo" and j > 0:
                under = type(layers[j - 1]).field_offsets
                for addr in ("src", "dst"):
                    if addr in under:
                        o, size, _, _ = under[addr]
                        a = starts[j - 1] + o
                        feeding.update(b for b in range(a, a + size) if b in changed)
                        if (a - lo) & 1:
                            raise TemplateUnsupported("pseudo-header words misaligned")
            if not feeding:
                continue
            words = sorted({b - ((b - parity) & 1) for b in feeding})
            base_cs = int.from_bytes(self.base[c_off:c_off + 2], "big")
            checksums.append((c_off, base_cs, tuple(words), type(layer).__name__ == "UDP"))

        #: ``stamp``'s description of the template for the compiled stamper
        self._c_args = (tuple(self.radices), tuple(varying), tuple(checksums))
        self._spot_check(packet, sets)

    def _spot_check(self, packet: Layer, sets: list[tuple[int, str, list[Any]]]) -> None:
        """Build a few probes one by one and refuse the set unless the stamped ones agree.

        Why: a checksum the template does not know about (a layer that does not
        declare ``Layer.checksum``, such as ICMPv6's, or one fed from farther down
        than the layer below) would otherwise be stamped wrong without a word.
        Each varying field is checked at its last value, and the last probe too.
        """
        picks = {self.count - 1}
        stride = 1
        for radix in reversed(self.radices):
            picks.add((radix - 1) * stride)
            stride *= radix
        for index in sorted(picks):
            probe = packet.copy()
            layers = probe.chain()
            rest = index
            digits = []
            for radix in reversed(self.radices):
                digits.append(rest % radix)
                rest //= radix
            for (i, name, values), d in zip(sets, reversed(digits), strict=True):
                setattr(layers[i], name, values[d])
            if self.stamp(index, 1) != probe.build():
                raise TemplateUnsupported(f"stamped probe {index} differs from the built one")

        #: (IP offset, transport offset) when every probe keeps the fast path's shape:
        #: plain IPv4 TCP/UDP whose varying fields leave the layout alone
        self.key_shape: tuple[int, int] | None = None
        parsed = fastpath.parse(self.base, self.linktype)
        if (parsed is not None and fastpath.key_of(parsed, self.base) is not None
                and all(name in _LAYOUT_NEUTRAL for name in self.varying_names)):
            self.key_shape = (parsed[0], parsed[0] + 20)

    def __len__(self) -> int:
        return self.count

    def stamp(self, start: int, count: int) -> bytes:
        """Probes ``start`` .. ``start + count - 1``, ``self.length`` bytes each, end to end."""
        count = max(0, min(count, self.count - start))
        return cbatch.stamp(self.base, start, count, *self._c_args)

    def keys(self, raw: bytes) -> tuple[list[bytes], list[bytes | None]] | None:
        """Hash keys and strict keys of stamped probes (``stamp``'s bytes), or None when
        the probes are not of the fast path's shape (``key_shape``).

        The hash key is ``fastpath.key_of``'s; the strict key ``strictkeys.probe_key``'s
        (None for rows that are not TCP).
        """
        if self.key_shape is None:
            return None
        return cbatch.ipv4_keys(raw, self.length, self.key_shape[0])

    def packets(self, batch_size: int = 4096) -> Any:
        """Every probe's bytes, in order."""
        width = self.length
        for s in range(0, self.count, batch_size):
            raw = self.stamp(s, batch_size)
            for k in range(0, len(raw), width):
                yield raw[k:k + width]
