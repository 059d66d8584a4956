"""What a capture file says about itself besides packets.

Interfaces (pcapng IDBs, or the one implicit interface of a classic pcap),
sections (pcapng SHBs) and custom blocks (pcapng 0xBAD / 0x40000BAD).
"""

from __future__ import annotations

from dataclasses import dataclass

from netprobe.wire.pcapfile.timestamp import units_from_tsresol

#: netprobe's Private Enterprise Number for its pcapng custom blocks.  This is
#: a made-up private value (not an IANA assignment); readers that do not know
#: it skip the blocks, as the pcapng specification requires.
NETPROBE_PEN = 0x4E455450  # "NETP"

#: pcapng custom block types: the first may be copied to new files by tools
#: that rewrite captures, the second must not be.
CUSTOM_BLOCK_COPY = 0x00000BAD
CUSTOM_BLOCK_NOCOPY = 0x40000BAD


@dataclass(slots=True)
class InterfaceInfo:
    """One capture interface.

    ``ts_units`` is units per second (``10**6``, ``10**9``, ``2**8``...);
    ``tsresol`` is the pcapng ``if_tsresol`` byte that gives it; ``tsoffset``
    is seconds added to every timestamp (``if_tsoffset``).  ``section`` and
    ``local_id`` locate the IDB in a pcapng file (the index within its
    section); records refer to interfaces by their position in
    :attr:`CaptureReader.interfaces`, which runs on across sections.
    """

    linktype: int
    snaplen: int
    ts_units: int
    tsresol: int
    tsoffset: int = 0
    name: str | None = None
    description: str | None = None
    section: int = 0
    local_id: int = 0

    @classmethod
    def from_idb(cls, linktype: int, snaplen: int, tsresol: int, tsoffset: int, *,
                 name: str | None = None, description: str | None = None, section: int = 0,
                 local_id: int = 0) -> InterfaceInfo:
        """The interface a pcapng IDB describes (or a classic pcap's header); its time units
        follow from ``tsresol``."""
        return cls(linktype, snaplen, units_from_tsresol(tsresol), tsresol, tsoffset,
                   name, description, section, local_id)


@dataclass(slots=True)
class SectionInfo:
    """One pcapng section (SHB): its byte order, version and descriptive options."""

    offset: int
    byte_order: str
    version: tuple[int, int]
    comment: str | None = None
    hardware: str | None = None
    os: str | None = None
    application: str | None = None


@dataclass(slots=True, frozen=True)
class CustomBlock:
    """A pcapng custom block: the vendor's PEN, its payload, whether tools may copy it."""

    pen: int
    data: bytes
    copyable: bool
    offset: int = 0
