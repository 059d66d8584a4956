"""The exact-match key of a TCP answer, made from what the layers declare beside ``hashkey``.

``answers()`` pairs a TCP answer with its probe by a few equalities between
header fields. The layers that hold those fields say which ones, next to their
``hashkey`` and ``answers``:

- ``match_fields``: pairs (the answer's field, the probe's field) that must be
  equal. IP: the answer's ``src`` is the probe's ``dst``. IPv6 (whose
  ``answers()`` also checks the destination): ``src`` is ``dst`` and ``dst``
  is ``src``. TCP: the ports, swapped.
- ``match_next`` (TCP): (probe flag, answer flag, answer field, probe field):
  a probe carrying SYN, answered by a segment carrying ACK, is answered with
  ``ack`` = the probe's ``seq`` + 1.
- ``match_never`` (TCP): (flag, unless flag): an answer with SYN and without
  ACK (a bare SYN) answers nothing.

This module turns them into byte offsets (from the layers' fields, through
``Layer.field_offsets``: nothing is typed twice) for the readers of whole
batches: the engine's strict keys in Python and numpy
(:mod:`netprobe.engine.strictkeys`) and in C (``netprobe/engine/_batch.c``,
whose constants :func:`c_key_table` writes; a test checks the C file holds
exactly that text). The other IPv4, IPv6, TCP and UDP facts that readers at
fixed offsets need (header sizes, lengths, fragments, addresses, ports,
sequence numbers) are made here the same way, once at import: the answer
shortcuts (:mod:`netprobe.packet.fastpath`, through :func:`header_struct`)
and the flows' column decoder (:mod:`netprobe.packet.columns`) read only these.

A key is the bytes of the ``match_fields`` in order (IP's, then TCP's), read
from the answer at the answer's offsets, or from the probe at the probe's: the
*prefix* (:attr:`KeyLayout.prefix` bytes). A SYN probe's key adds ``seq`` + 1;
an answer carrying ACK adds its ``ack`` (a non-SYN probe is then found by the
prefix alone). All offsets count from the start of the IP header, for a plain
segment: an IPv4 header without options, or an IPv6 header with TCP right
after it.
"""

from __future__ import annotations

from struct import Struct
from typing import NamedTuple

from netprobe.packet.layer import Layer, bindings_of
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.layers.udp import UDP

__all__ = ["KEY4", "KEY6", "Bits", "KeyLayout", "KeyPart", "c_key_table", "field_bits",
           "flag_bits", "header_struct"]

#: IPv4's header length and TCP's data offset count 32-bit words
HEADER_WORD = 4
#: the first byte of every IPv6 multicast address (the answer matchers leave probes to
#: groups to the layers: ``IPv6.answers`` pairs them differently)
MULTICAST6_FIRST = 0xFF


class Bits(NamedTuple):
    """Where a header field is: ``size`` bytes at ``at`` (from the header's start) hold it;
    read big-endian, its value is ``(word & mask) >> shift``."""

    at: int
    size: int
    shift: int
    mask: int


class KeyPart(NamedTuple):
    """One field of a key: ``size`` bytes at ``answer_at`` in an answer equal ``size``
    bytes at ``probe_at`` in its probe (both from the start of the IP header)."""

    answer_at: int
    probe_at: int
    size: int


class KeyLayout(NamedTuple):
    """The exact-match key of one IP version (see the module's docstring)."""

    version: int
    #: the key's fields before the acknowledgement number, in key order
    parts: tuple[KeyPart, ...]
    #: the answer's ``ack`` and the probe's ``seq`` (the SYN + 1 rule), from the IP header
    ack_at: int
    seq_at: int
    #: where TCP starts (the IP header's fixed length)
    tcp_at: int

    @property
    def prefix(self) -> int:
        """Length of a key without the acknowledgement number."""
        return sum(p.size for p in self.parts)

    @property
    def answer_runs(self) -> tuple[tuple[int, int], ...]:
        """``(offset, size)`` of the answer's bytes of the prefix, adjacent parts joined
        (the answer side reads these: IPv4 two runs, IPv6 one)."""
        runs: list[tuple[int, int]] = []
        for p in self.parts:
            if runs and sum(runs[-1]) == p.answer_at:
                runs[-1] = (runs[-1][0], runs[-1][1] + p.size)
            else:
                runs.append((p.answer_at, p.size))
        return tuple(runs)


def field_bits(cls: type[Layer], name: str) -> Bits:
    """Where field ``name`` of a layer class is, narrowed to the bytes that hold it."""
    pos, unit, shift, bits = cls.field_offsets[name]
    first = unit - 1 - (shift + bits - 1) // 8
    last = unit - 1 - shift // 8
    low = shift % 8
    return Bits(pos + first, last - first + 1, low, ((1 << bits) - 1) << low)


def flag_bits(cls: type[Layer], name: str, letter: str) -> Bits:
    """Where one flag (``letter``) of flags field ``name`` is: its byte and its mask."""
    pos, unit, shift, _bits = cls.field_offsets[name]
    bit = shift + list(cls.fields_by_name[name].letters).index(letter)  # type: ignore[attr-defined]
    return Bits(pos + unit - 1 - bit // 8, 1, bit % 8, 1 << (bit % 8))


def header_struct(*fields: Bits) -> Struct:
    """A struct reading ``fields`` (in header order) from a header's start: each one's
    bytes as one big-endian number, the bytes between them skipped."""
    fmt, pos = "!", 0
    for b in fields:
        fmt += f"{b.at - pos}x{_STRUCT_CODES[b.size]}"
        pos = b.at + b.size
    return Struct(fmt)


_STRUCT_CODES = {1: "B", 2: "H", 4: "I"}


def _whole(cls: type[Layer], name: str) -> int:
    """Offset of a field made of whole bytes."""
    b = field_bits(cls, name)
    if b.shift or b.mask != (1 << (8 * b.size)) - 1:
        raise TypeError(f"{cls.__name__}.{name} is not whole bytes")
    return b.at


def _layout(version: int, ip: type[Layer]) -> KeyLayout:
    parts = []
    for layer, at in ((ip, 0), (TCP, ip.fixed_len)):
        for answer_field, probe_field in layer.match_fields:  # type: ignore[attr-defined]
            size = field_bits(layer, answer_field).size
            if size != field_bits(layer, probe_field).size:
                raise TypeError(f"{layer.__name__}: {answer_field} and {probe_field} differ")
            parts.append(KeyPart(at + _whole(layer, answer_field),
                                 at + _whole(layer, probe_field), size))
    _flag, _answer_flag, ack, seq = TCP.match_next  # type: ignore[attr-defined]
    if field_bits(TCP, ack).size != ACK_SIZE:
        raise TypeError("the acknowledgement and sequence numbers differ in size")
    return KeyLayout(version, tuple(parts), ip.fixed_len + _whole(TCP, ack),
                     ip.fixed_len + _whole(TCP, seq), ip.fixed_len)


#: bytes of the sequence and acknowledgement numbers (the key's last part)
ACK_SIZE = field_bits(TCP, TCP.match_next[3]).size  # type: ignore[attr-defined]


#: the exact-match keys of TCP over IPv4 and over IPv6
KEY4 = _layout(4, IP)
KEY6 = _layout(6, IPv6)

# -- the other header facts the matchers check (a plain segment), all from the layers' fields
#: the fixed headers: IPv4 without options, IPv6, TCP without options
IP4_HEADER = IP.fixed_len
IP6_HEADER = IPv6.fixed_len
TCP_HEADER = TCP.fixed_len
#: TCP's protocol number, as IP and IPv6 bind it
PROTO_TCP = bindings_of(IP, TCP)["proto"]  # type: ignore[index]
_V4 = field_bits(IP, "version")
_IHL = field_bits(IP, "ihl")
#: the byte of IPv4's version and header length, and its value without options (0x45)
IP4_VERSION = _V4.at
IP4_FIRST = ((IP.fields_by_name["version"].default << _V4.shift)
             | (IP.fixed_len // HEADER_WORD) << _IHL.shift)
#: the shift of the version in that byte, and the bits of the header length (in words)
IP4_VERSION_SHIFT = _V4.shift
IP4_IHL_MASK = _IHL.mask
IP4_LEN = _whole(IP, "len")
IP4_PROTO = _whole(IP, "proto")
IP4_SRC = _whole(IP, "src")
IP4_DST = _whole(IP, "dst")
_MF = flag_bits(IP, "flags", "MF")
_FRAG = field_bits(IP, "frag")
#: the 16-bit word of IPv4's flags and fragment offset, the bits that make a fragment,
#: and those of the offset (a fragment after the first)
IP4_FRAG = _FRAG.at
IP4_FRAG_MASK = _FRAG.mask | _MF.mask << 8 * (_FRAG.at + _FRAG.size - 1 - _MF.at)
IP4_FRAG_OFFSET = _FRAG.mask
_V6 = field_bits(IPv6, "version")
#: the byte of IPv6's version, its shift, and the version
IP6_VERSION = _V6.at
IP6_VERSION_SHIFT = _V6.shift
IP6_VERSION_VALUE = IPv6.fields_by_name["version"].default
IP6_PLEN = _whole(IPv6, "plen")
IP6_NH = _whole(IPv6, "nh")
IP6_SRC = _whole(IPv6, "src")
IP6_DST = _whole(IPv6, "dst")
#: bytes of an IPv6 address
IP6_ADDRESS = field_bits(IPv6, "src").size
TCP_SPORT = _whole(TCP, "sport")
TCP_DPORT = _whole(TCP, "dport")
TCP_SEQ_AT = _whole(TCP, "seq")
TCP_ACK_AT = _whole(TCP, "ack")
#: UDP's header and protocol number
UDP_HEADER = UDP.fixed_len
PROTO_UDP = bindings_of(IP, UDP)["proto"]  # type: ignore[index]
if (_whole(UDP, "sport"), _whole(UDP, "dport")) != (TCP_SPORT, TCP_DPORT):
    raise TypeError("the column decoder reads TCP's and UDP's ports at the same place")
_DATAOFS = field_bits(TCP, "dataofs")
#: the byte of TCP's data offset and its shift (the value counts words)
TCP_DATAOFS = _DATAOFS.at
TCP_DATAOFS_SHIFT = _DATAOFS.shift
_NEXT = TCP.match_next  # type: ignore[attr-defined]
_NEVER = TCP.match_never  # type: ignore[attr-defined]
_SYN, _ACK = flag_bits(TCP, "flags", _NEXT[0]), flag_bits(TCP, "flags", _NEXT[1])
_BARE, _UNLESS = flag_bits(TCP, "flags", _NEVER[0]), flag_bits(TCP, "flags", _NEVER[1])
if len({_SYN.at, _ACK.at, _BARE.at, _UNLESS.at}) != 1:
    raise TypeError("the matchers read TCP's flags in one byte")
#: the byte of TCP's flags the key reads, and its bits: a probe with ``TCP_SYN`` gets
#: ``seq`` + 1 in its key, an answer with ``TCP_ACK`` its ``ack``; an answer with
#: ``TCP_BARE`` but not ``TCP_BARE_UNLESS`` has no key
TCP_FLAGS = _SYN.at
TCP_SYN = _SYN.mask
TCP_ACK = _ACK.mask
TCP_BARE = _BARE.mask
TCP_BARE_UNLESS = _UNLESS.mask

if _IHL.at != _V4.at:
    raise TypeError("IPv4's version and header length are read as one byte")
for _nibble in (_V6, _DATAOFS):  # read as ``byte >> shift``: the top bits of their byte
    if _nibble.size != 1 or _nibble.mask != 0xFF >> _nibble.shift << _nibble.shift:
        raise TypeError("IPv6's version and TCP's data offset are read as a byte's top bits")

#: the constants the C matchers use, by their C names (``c_key_table``)
C_CONSTANTS = {name: globals()[name] for name in (
    "HEADER_WORD", "PROTO_TCP", "MULTICAST6_FIRST",
    "IP4_HEADER", "IP4_VERSION", "IP4_FIRST", "IP4_LEN", "IP4_FRAG", "IP4_FRAG_MASK",
    "IP4_PROTO", "IP4_SRC", "IP4_DST",
    "IP6_HEADER", "IP6_VERSION", "IP6_VERSION_SHIFT", "IP6_VERSION_VALUE", "IP6_PLEN",
    "IP6_NH", "IP6_DST",
    "TCP_HEADER", "TCP_SPORT", "TCP_DPORT", "TCP_DATAOFS", "TCP_DATAOFS_SHIFT", "TCP_FLAGS",
    "TCP_SYN", "TCP_ACK", "TCP_BARE", "TCP_BARE_UNLESS")}
C_CONSTANTS.update({"KEY_ACK_SIZE": ACK_SIZE,
                    "KEY4_PREFIX": KEY4.prefix, "KEY4_ACK_AT": KEY4.ack_at,
                    "KEY4_SEQ_AT": KEY4.seq_at,
                    "KEY6_PREFIX": KEY6.prefix, "KEY6_ACK_AT": KEY6.ack_at,
                    "KEY6_SEQ_AT": KEY6.seq_at})
#: the constants written in hexadecimal (byte values and masks)
_C_HEX = frozenset({"MULTICAST6_FIRST", "IP4_FIRST", "IP4_FRAG_MASK", "TCP_SYN", "TCP_ACK",
                    "TCP_BARE", "TCP_BARE_UNLESS"})
#: the first line of the generated C text (the test finds the block by it)
C_MARK = "/* generated from netprobe.packet.matchkey (c_key_table()): do not edit */"
#: its last line
C_END = "/* end of generated text */"


def c_key_table() -> str:
    """The header offsets and key parts as ``netprobe/engine/_batch.c`` holds them
    (generated text; a test checks the C file holds exactly this)."""
    defines = "".join(f"#define {name} {value:#x}\n" if name in _C_HEX
                      else f"#define {name} {value}\n" for name, value in C_CONSTANTS.items())
    parts = ("static const key_part_t key4_parts[] = {\n"
             + "".join(f"    {{{p.answer_at}, {p.probe_at}, {p.size}}},\n" for p in KEY4.parts)
             + "};\n")
    runs = "".join(f"static const key_run_t key{k.version}_runs[] = {{\n"
                   + "".join(f"    {{{at}, {size}}},\n" for at, size in k.answer_runs)
                   + "};\n" for k in (KEY4, KEY6))
    return (f"{C_MARK}\n{defines}"
            "/* the IPv4 key's fields: (offset in the answer, offset in the probe, length)\n"
            " * from the IP header's start, in key order (netprobe.packet.matchkey.KeyPart,\n"
            " * for the probes' keys); the answer's bytes of each key, adjacent fields\n"
            " * joined (KeyLayout.answer_runs) */\n"
            "typedef struct { int answer_at, probe_at, size; } key_part_t;\n"
            "typedef struct { int at, size; } key_run_t;\n"
            f"{parts}{runs}"
            f"{C_END}\n")
