"""What ``craft`` makes of its sources: edited, expanded, broken and cut packets.

Pure: sources and options in, the final list of packets out, each remembering
which packet it was before fragmentation. The same list is printed, written
and sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from netprobe.errors import UsageError
from netprobe.packet.layer import Layer
from netprobe.plugins.craft.edit import (
    EditReport,
    Edits,
    apply_edits,
    break_checksums,
    keep_unset_addresses,
)
from netprobe.plugins.craft.source import Source, linktype_of

#: layers an Ethernet sender takes as the start of a frame
_ETHERNET_STARTS = ("Ether", "Dot3")
_NETWORK = ("IP", "IPv6")


@dataclass
class Crafted:
    """One packet ready to print, write or send."""

    layer: Layer
    linktype: int | None
    #: which packet (0-based) it is, or was before fragmentation
    unit: int
    #: its place among the fragments of that packet, and how many there are
    frag: int = 0
    frags: int = 1
    #: capture timestamp of the packet it was read as (seconds, fraction, units)
    ts: tuple[int, int, int] | None = None
    #: its exact bytes when they are known (read and left unchanged, or a fragment)
    raw: bytes | None = None

    def build(self) -> bytes:
        """The packet's bytes (unset link addresses as placeholders)."""
        return self.raw if self.raw is not None else self.layer.build()

    @property
    def probe(self) -> Layer | bytes:
        """What goes to the sender: the exact bytes when known, else the packet (whose
        unset link addresses the sender fills in)."""
        return self.raw if self.raw is not None else self.layer


def expand(sources: Iterable[Source], edits: Edits, limit: int,
           report: EditReport | None = None) -> Iterator[tuple[Layer, Source]]:
    """Every single packet of the sources, edited (packet sets expanded)."""
    total = 0
    for src in sources:
        refill = src.from_bytes and edits.edits_fields
        packet = apply_edits(src.layer, edits, refill, report) if (
            edits.changes or edits.deletions or refill) else src.layer
        total += packet.set_size()
        if total > limit:
            raise UsageError(f"{total} packets to craft (or more), more than --limit {limit}")
        for one in packet:
            yield one, src


def craft(sources: Iterable[Source], edits: Edits, *, fragment_size: int | None = None,
          limit: int = 1_000_000) -> list[Crafted]:
    """Edit, expand, break checksums and fragment: the packets to print, write or send.

    Raises UsageError for an edit whose layer no packet has, or a packet that
    cannot be fragmented.
    """
    from netprobe.packet.dissect import dissect_as
    from netprobe.packet.fragment import fragment

    report = EditReport()
    out: list[Crafted] = []
    unit = 0
    changes = edits.changes or edits.deletions or edits.badsum
    for packet, src in expand(sources, edits, limit, report):
        if edits.badsum:
            packet = break_checksums(packet)
        raw = src.raw if not changes else None
        # --del of the outer layer (Ether) leaves a packet of another link type
        linktype = src.linktype if type(packet) is type(src.layer) else linktype_of(packet)
        if fragment_size is None or not _has_ip(packet):
            out.append(Crafted(packet, linktype, unit, ts=src.ts, raw=raw))
            unit += 1
            continue
        if linktype is None:
            raise UsageError(f"--fragment: {type(packet).__name__} is no IP packet nor a link "
                             "layer carrying one")
        pieces = fragment(raw if raw is not None else packet.build(), fragment_size,
                          linktype=linktype)
        if len(pieces) == 1:
            out.append(Crafted(packet, linktype, unit, ts=src.ts, raw=raw))
        else:
            for k, data in enumerate(pieces):
                piece = dissect_as(type(packet), data)
                keep_unset_addresses(packet, piece)
                exact: bytes | None = data
                if edits.badsum:  # each piece has its own IP header checksum, computed anew
                    for layer in piece.chain():
                        if type(layer).__name__ == "IP":
                            layer.chksum = None
                            break
                    piece = break_checksums(piece, only=_NETWORK)
                    exact = None
                if type(piece).__name__ in _ETHERNET_STARTS and (
                        piece.is_unset("src") or piece.dst is None):
                    exact = None  # the sender fills the addresses in: it needs the packet
                out.append(Crafted(piece, linktype, unit, k, len(pieces), src.ts, exact))
                if len(out) > limit:
                    raise UsageError(f"more than --limit {limit} packets once fragmented")
        unit += 1
    report.check(edits)
    return out


def _has_ip(packet: Layer) -> bool:
    return any(type(x).__name__ in _NETWORK for x in packet.chain())


@dataclass
class SendPlan:
    """How the packets go out: at layer 2 (Ethernet frames) or 3 (IP packets).

    ``packets`` are what the sender gets: exact bytes where they are known, else
    packets (built by the engine, which fills unset link addresses).
    """

    layer2: bool
    packets: list[Layer | bytes]


def send_plan(crafted: list[Crafted]) -> SendPlan:
    """Layer 2 when the packets start with Ethernet, layer 3 when with IP or IPv6.

    A packet on another link (Linux cooked capture, loopback) is sent from its IP
    header at layer 3. A packet with no IP and no Ethernet header (a bare TCP
    header, ARP without Ether) cannot be sent; nor can a mix of frames and IP
    packets.
    """
    layers: list[Layer | bytes] = []
    kinds: set[bool] = set()
    for c in crafted:
        p = c.layer
        name = type(p).__name__
        if name in _ETHERNET_STARTS and c.linktype in (1, None):
            kinds.add(True)
            layers.append(c.probe)
            continue
        if name in _NETWORK:
            kinds.add(False)
            layers.append(c.probe)
            continue
        inner = next((x for x in p.chain() if type(x).__name__ in _NETWORK), None)
        if c.linktype is not None and inner is not None:
            kinds.add(False)
            layers.append(inner.copy())  # its link header is dropped: the kernel adds one
            continue
        raise UsageError(f"cannot send a packet that starts with {name}: put Ether()/ in "
                         "front to send it as a frame, or start it with IP()/IPv6()")
    if len(kinds) > 1:
        raise UsageError("the packets mix Ethernet frames and IP packets; send them "
                         "separately (layer 2 and layer 3)")
    return SendPlan(layer2=kinds == {True}, packets=layers)

