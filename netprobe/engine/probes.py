"""Probes made ready for the loop: bytes to send, the key answers will carry, the layer
they will be compared with."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from typing import TYPE_CHECKING

from netprobe.engine.strictkeys import probe_ip6, probe_key, probe_key6
from netprobe.errors import UsageError
from netprobe.packet import fastpath
from netprobe.packet.dissect import dissect, dissect_as
from netprobe.packet.field import SetValue
from netprobe.packet.layer import Layer
from netprobe.packet.linktypes import LINKTYPE_ETHERNET, LINKTYPE_RAW

if TYPE_CHECKING:  # templates are imported only for sets large enough to use them
    from netprobe.engine.template import ProbeTemplate


_UNPARSED = object()


class PreparedProbe:
    """One probe ready to go: ``data`` to send and ``key`` to find its answers.

    ``match_layer`` (the probe dissected from the bytes sent, every field filled)
    is made only when an answer needs comparing with it.
    """

    __slots__ = ("_fast", "_layer", "cls", "data", "key", "linktype", "strict")

    def __init__(self, data: bytes, key: bytes, linktype: int, cls: type[Layer] | None,
                 layer: Layer | None = None, fast: tuple | None = None,
                 strict: bytes | None = None) -> None:
        self.data = data
        self.key = key
        self.linktype = linktype
        self.cls = cls
        self._layer = layer
        self._fast = fast if fast is not None else _UNPARSED
        #: the exact-match key of TCP answers (``strictkeys``), or None
        self.strict = strict

    @property
    def fast(self) -> tuple | None:
        """The fast path's parse of ``data`` (None: answers are compared as layers)."""
        f = self._fast
        if f is _UNPARSED:
            f = self._fast = fastpath.parse(self.data, self.linktype)
        return f

    @property
    def match_layer(self) -> Layer:
        """The probe as sent, dissected."""
        if self._layer is None:
            self._layer = (dissect_as(self.cls, self.data) if self.cls is not None
                           else dissect(self.data, self.linktype))
        return self._layer


def prepare_one(packet: Layer | bytes, layer2: bool) -> PreparedProbe:
    """Build a packet and derive its key from the built bytes (every field filled)."""
    linktype = LINKTYPE_ETHERNET if layer2 else LINKTYPE_RAW
    if isinstance(packet, (bytes, bytearray)):
        return _prepared(bytes(packet), linktype, None)
    return _prepared(packet.build(), linktype, type(packet))


def _prepared(data: bytes, linktype: int, cls: type[Layer] | None) -> PreparedProbe:
    """A built probe keyed by the fast path, else by the layers."""
    fast = fastpath.parse(data, linktype)
    key = fastpath.key_of(fast, data)
    if key is not None:
        return PreparedProbe(data, key, linktype, cls, fast=fast, strict=probe_key(data, fast))
    return _prepared_by_layers(data, linktype, cls)


def _prepared_by_layers(data: bytes, linktype: int, cls: type[Layer] | None) -> PreparedProbe:
    """A probe the fast path does not key: dissected for its hash key (and, for IPv6
    TCP, given its strict key)."""
    # Answers are compared at the probe's top layer class: a frame's answer is found
    # inside the captured frame at that same class.
    sent = dissect_as(cls, data) if cls is not None else dissect(data, linktype)
    ip6 = probe_ip6(data, linktype)
    return PreparedProbe(data, sent.hashkey(), linktype, cls, sent,
                         strict=probe_key6(data, ip6) if ip6 is not None else None)


#: packet sets at least this large are stamped from a template instead of built one by one
TEMPLATE_MIN = 32


def _from_template(template: ProbeTemplate, layer2: bool) -> Iterator[PreparedProbe]:
    linktype = LINKTYPE_ETHERNET if layer2 else LINKTYPE_RAW
    cls = template.cls
    width = template.length
    same_link = template.linktype == linktype
    for start in range(0, len(template), BATCH):
        raw = template.stamp(start, BATCH)
        keyed = template.keys(raw) if same_link else None
        if keyed is not None:
            keys, stricts = keyed
            datas = [raw[k:k + width] for k in range(0, len(raw), width)]
            # map over columns: this runs once per probe of a scan
            yield from map(PreparedProbe, datas, keys, repeat(linktype), repeat(cls),
                           repeat(None), repeat(None), stricts)
            continue
        for k in range(0, len(raw), width):
            yield _prepared(raw[k:k + width], linktype, cls)


#: probes stamped per template batch
BATCH = 4096


def _filled_once(item: Layer | bytes, fill: Callable[[Layer], Layer]) -> Layer | None:
    """A packet set completed by ``fill`` as a whole, when one fill serves every member.

    ``fill`` completes a frame's link addresses from its network destination:
    when the set has one destination (or its addresses are all given), filling
    a copy of the set once is filling each member, and the set can still be
    stamped from a template. None: each member needs its own fill.
    """
    if not isinstance(item, Layer):
        return None
    net = item._payload if item._payload is not None else None
    dst = getattr(net, "pdst", None) if type(net).__name__ == "ARP" else getattr(net, "dst", 0)
    if isinstance(getattr(item, "src", None), SetValue) or isinstance(
            getattr(item, "dst", None), SetValue) or isinstance(dst, SetValue):
        return None
    return fill(item.copy())


def prepare(packets: Iterable[Layer | bytes] | Layer, layer2: bool = False,
            fill: Callable[[Layer], Layer] | None = None) -> Iterator[PreparedProbe]:
    """Expand packet sets, optionally complete each packet (``fill``), and prepare it."""
    if isinstance(packets, Layer):
        packets = [packets]
    for item in packets:
        base = item if fill is None else _filled_once(item, fill)
        if base is not None and isinstance(base, Layer) and base.set_size() >= TEMPLATE_MIN:
            from netprobe.engine.template import ProbeTemplate, TemplateUnsupported

            try:
                template = ProbeTemplate(base)
            except TemplateUnsupported:
                template = None
            if template is not None:
                yield from _from_template(template, layer2)
                continue
        if isinstance(item, Layer):
            for p in item:
                if fill is not None:
                    p = fill(p)
                yield prepare_one(p, layer2)
        elif isinstance(item, (bytes, bytearray)):
            yield prepare_one(item, layer2)
        else:
            raise UsageError(f"a probe is a packet or bytes, not {type(item).__name__}")
