"""Scapy as the oracle for link-layer and ARP dissection: field-by-field comparison.

Scapy and netprobe name their layers and fields alike but show a few values
differently (Scapy strips trailing zero bytes from fixed-size byte fields, keeps
IEEE 802 hardware addresses as bytes, and writes 802.3 frames as ``Dot3``). The
comparison goes through the *wire meaning* of each value, so those differences
in presentation are not counted, while any difference in what was read is.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import scapy.layers.all  # noqa: F401 - registers every Scapy layer and link type
from scapy.config import conf
from scapy.packet import Packet
from scapy.utils import RawPcapReader

from netprobe.packet import Layer

#: netprobe layer classes this comparison knows field by field
LINK_LAYERS = {"Ether", "Dot3", "Dot1Q", "Dot1AD", "LLC", "SNAP", "CookedLinux", "CookedLinuxV2",
               "Loopback", "HDLC", "PPP", "NFLOG", "ARP"}

#: netprobe name -> Scapy names that stand for the same header
SCAPY_NAMES = {"Ether": {"Ether", "Dot3"},
               "Loopback": {"Loopback", "LoopbackOpenBSD"}}


def frames(path: Path) -> Iterator[tuple[int, bytes, int]]:
    """(link type, captured bytes, length on the wire) for each packet of a pcap/pcapng."""
    with RawPcapReader(str(path)) as reader:
        for data, meta in reader:
            linktype = getattr(meta, "linktype", None)
            if linktype is None:
                linktype = reader.linktype
            yield linktype, data, getattr(meta, "wirelen", len(data))


def scapy_dissect(linktype: int, data: bytes) -> Packet:
    """Scapy's reading of a frame of ``linktype``."""
    return conf.l2types.num2layer[linktype](data)


def _mac(v: Any) -> bytes:
    return bytes.fromhex(v.replace(":", "")) if isinstance(v, str) else bytes(v or b"")


def _addr(v: Any) -> bytes:
    """Wire bytes of an address value as either side shows it."""
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if v is None:
        return b""
    if ":" in v and len(v) == 17 and v.count(":") == 5 and "::" not in v:
        return _mac(v)
    return socket.inet_pton(socket.AF_INET6 if ":" in v else socket.AF_INET, v)


def _same_ints(names: tuple[str, ...]) -> Callable[[Layer, Packet], None]:
    def check(n: Layer, s: Packet) -> None:
        for name in names:
            assert getattr(n, name) == s.getfieldval(name), (type(n).__name__, name)
    return check


def _check_ether(n: Layer, s: Packet) -> None:
    assert n.dst == s.dst and n.src == s.src
    stype = s.len if type(s).__name__ == "Dot3" else s.type
    assert n.type == stype


def _check_cooked(names: tuple[str, ...]) -> Callable[[Layer, Packet], None]:
    ints = _same_ints(names)

    def check(n: Layer, s: Packet) -> None:
        ints(n, s)
        # Scapy strips trailing zeros from the 8-byte field; netprobe keeps all 8.
        assert n.src == bytes(s.src).ljust(8, b"\x00")
    return check


def _check_loopback(n: Layer, s: Packet) -> None:
    if type(s).__name__ == "LoopbackOpenBSD" or n.byteorder == "little":
        assert n.type == s.type
    else:
        # Scapy (outside OpenBSD) reads the family as little-endian; a big-endian
        # capture shows there as the family shifted by 24 bits.
        assert s.type == int.from_bytes(n.type.to_bytes(4, "big"), "little") >> 24


def _check_arp(n: Layer, s: Packet) -> None:
    _same_ints(("hwtype", "ptype", "hwlen", "plen", "op"))(n, s)
    for name, size in (("hwsrc", n.hwlen), ("psrc", n.plen), ("hwdst", n.hwlen),
                       ("pdst", n.plen)):
        mine = _addr(getattr(n, name))
        theirs = _addr(s.getfieldval(name))
        assert len(mine) == size, (name, mine)
        # Scapy shows an address that runs past the frame end shortened.
        assert mine.startswith(theirs.rstrip(b"\x00")), (name, mine, theirs)


CHECKS: dict[str, Callable[[Layer, Packet], None]] = {
    "Ether": _check_ether,
    "Dot3": _same_ints(("dst", "src", "len")),
    "Dot1Q": _same_ints(("prio", "dei", "vlan", "type")),
    "Dot1AD": _same_ints(("prio", "dei", "vlan", "type")),
    "LLC": _same_ints(("dsap", "ssap", "ctrl")),
    "SNAP": _same_ints(("OUI", "code")),
    "CookedLinux": _check_cooked(("pkttype", "lladdrtype", "lladdrlen", "proto")),
    "CookedLinuxV2": _check_cooked(("proto", "reserved", "ifindex", "lladdrtype", "pkttype",
                           "lladdrlen")),
    "Loopback": _check_loopback,
    "HDLC": _same_ints(("address", "control")),
    "PPP": _same_ints(("proto",)),
    "ARP": _check_arp,
}


def compare(mine: Layer, theirs: Packet) -> tuple[list[str], tuple[str, str] | None]:
    """Walk both dissections side by side through the link layers (and ARP).

    Each link layer must have the same class and the same field values as Scapy's;
    the first layer above them must have the same class name. Returns the layers
    compared and, where the two stop agreeing on the class, that pair of names
    (netprobe's, Scapy's): a place where one of them decodes further.
    """
    compared: list[str] = []
    s: Packet | None = theirs
    for n in mine.chain():
        if s is None or type(s).__name__ == "NoPayload":
            return compared, (type(n).__name__, "-")
        nname, sname = type(n).__name__, type(s).__name__
        if sname not in SCAPY_NAMES.get(nname, {nname}):
            return compared, (nname, sname)
        compared.append(nname)
        if nname not in LINK_LAYERS:
            break  # above the link: the class name is all this module is about
        CHECKS[nname](n, s)
        s = s.payload
    return compared, None


def link_headers_round_trip(mine: Layer, data: bytes) -> int:
    """Check that each link header (and ARP) rebuilds to exactly the bytes it was read from.

    Each header is rebuilt alone (a copy without what it carries), so layers of
    other families above do not take part. Returns how many headers were checked.
    """
    off = 0
    checked = 0
    for layer in mine.chain():
        if type(layer).__name__ not in LINK_LAYERS:
            break
        alone = layer._copy_one()  # this header only: the public copy() takes the payload too
        hdr = alone.build()
        assert data[off:off + len(hdr)] == hdr, (type(layer).__name__, off)
        off += len(hdr)
        checked += 1
    return checked
