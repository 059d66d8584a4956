"""DNS domain names: the value form, the wire form, and reading compressed names safely.

A name is stored as Scapy stores it: bytes, labels joined by dots, ending with
a dot (``b"www.example.com."``; the root is ``b"."``). Building writes plain
labels and never compresses, as Scapy does by default. Reading follows
compression pointers (RFC 1035 4.1.4) with hard bounds, so a hostile message
costs at most a few hundred steps and never loops.
"""

from __future__ import annotations

from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.field import TailField
from netprobe.packet.layer import LengthNote

#: most compression pointers followed while reading one name
MAX_POINTER_JUMPS = 128
#: longest name on the wire, length bytes and the root byte included (RFC 1035 2.3.4)
MAX_NAME_LENGTH = 255


def looks_encoded(name: bytes) -> bool:
    """True when ``name`` seems already in wire form: it ends with the root byte or a pointer.

    This is Scapy's test; such values are written as they are, which is how a
    compressed or deliberately broken name is crafted.
    """
    return bool(name) and (name[-1] == 0 or (len(name) >= 2 and name[-2] & 0xC0 == 0xC0))


def normalise_name(value: Any, field: str = "name") -> bytes:
    """The stored form of a user-given name: bytes ending with a dot (root: ``b"."``).

    Bytes that look already encoded (see ``looks_encoded``) are kept as they
    are, as in Scapy. Text is UTF-8 and only counts as encoded when it ends
    with NUL: Scapy's pointer test would take the last two bytes of a name
    ending in a non-ASCII letter for a pointer.
    """
    if isinstance(value, str):
        raw = value.encode()
        if not raw:
            return b"."
        return raw if raw[-1:] in (b".", b"\x00") else raw + b"."
    if isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    elif not isinstance(value, bytes):
        raise UsageError(f"{field}: expected a domain name, got {type(value).__name__} "
                         f"{value!r}")
    if not value:
        return b"."
    if value[-1:] != b"." and not looks_encoded(value):
        return value + b"."
    return value


def encode_name(name: bytes) -> bytes:
    """Wire form of a stored name, without compression.

    A name ending with a dot (every dissected name, every normalised text
    name) is written label by label; labels longer than 63 bytes are cut to
    63, as Scapy does. Other values that look encoded are written as they are.
    """
    if type(name) is not bytes:  # set directly on the layer, so never normalised
        name = normalise_name(name)
    if not name or name == b".":
        return b"\x00"
    if name[-1] != 0x2E and looks_encoded(name):
        return name
    out = b"".join(bytes((len(label[:63]),)) + label[:63] for label in name.split(b"."))
    return out if out[-1] == 0 else out + b"\x00"


def name_text(name: bytes | str | None) -> str | None:
    """A name as text for JSON: ASCII kept, other bytes as ``\\xNN``."""
    if name is None or isinstance(name, str):
        return name
    return name.decode("ascii", "backslashreplace")


#: a clean suffix read from a pointer target: (labels, pointers followed after it, its length)
NameCache = dict[int, tuple[tuple[bytes, ...], int, int]]


def decode_name(buf: bytes, off: int, base: int, end: int, cache: NameCache | None = None
                ) -> tuple[bytes, int, bool, str | None]:
    """Read the name at ``off`` of the message ``buf[base:end]``.

    Returns ``(name, next, compressed, problem)``: ``next`` is the offset just
    after the name in the record (after the first pointer when one was
    followed), or -1 when the record's own bytes cannot be walked past the name
    (a label or pointer running past the end, a reserved label type, an
    over-long name); ``compressed`` says a pointer was followed; ``problem``
    describes what was wrong (the name read so far is still returned). A
    pointer loop, too many jumps or a pointer outside the message stop the name
    but leave ``next`` usable, since the record's own bytes end at the pointer.
    Offsets in problems count from the first byte of the message.

    ``cache`` (one dict per message) remembers the names found behind pointer
    targets, so a hostile message whose every name runs down the same long
    pointer chain is read in time proportional to its length.
    """
    labels: list[bytes] = []
    pos = off
    after = -1          # where the record continues once a pointer was followed
    jumps = 0
    total = 1           # the root byte
    visited: dict[int, tuple[int, int, int]] = {}   # target -> (labels, jumps, total) there
    while True:
        if pos >= end:
            return _name(labels), after, after >= 0, LengthNote(
                f"name at offset {off - base} runs past the end of the message")
        c = buf[pos]
        if c == 0:
            if cache is not None and visited:
                _remember(cache, visited, labels, jumps, total)
            return _name(labels), (pos + 1 if after < 0 else after), after >= 0, None
        kind = c & 0xC0
        if kind == 0xC0:
            if pos + 1 >= end:
                return _name(labels), after, after >= 0, LengthNote(
                    f"compression pointer at offset {pos - base} cut short")
            if after < 0:
                after = pos + 2
            target = base + ((c & 0x3F) << 8 | buf[pos + 1])
            if target >= end:
                return _name(labels), after, True, (
                    f"compression pointer at offset {pos - base} points outside the "
                    f"message (to {target - base})")
            if target in visited:
                return _name(labels), after, True, (
                    f"compression loop at offset {pos - base} (back to {target - base})")
            jumps += 1
            if jumps > MAX_POINTER_JUMPS:
                return _name(labels), after, True, (
                    f"more than {MAX_POINTER_JUMPS} compression pointers in one name")
            known = cache.get(target) if cache is not None else None
            if (known is not None and jumps + known[1] <= MAX_POINTER_JUMPS
                    and total + known[2] <= MAX_NAME_LENGTH):
                # A clean suffix cannot revisit this path's targets (that would be a
                # loop it had met itself), so it continues this name unchanged.
                labels.extend(known[0])
                if visited:
                    _remember(cache, visited, labels, jumps + known[1], total + known[2])
                return _name(labels), after, True, None
            visited[target] = (len(labels), jumps, total)
            pos = target
            continue
        if kind:
            problem = f"label type 0x{kind:02x} at offset {pos - base} is reserved"
            return _name(labels), after, after >= 0, problem
        total += c + 1
        if total > MAX_NAME_LENGTH:
            return _name(labels), after, after >= 0, (
                f"name at offset {off - base} is longer than {MAX_NAME_LENGTH} bytes")
        nxt = pos + 1 + c
        if nxt > end:
            return _name(labels), after, after >= 0, LengthNote(
                f"label at offset {pos - base} runs past the end of the message")
        labels.append(buf[pos + 1:nxt])
        pos = nxt


def _remember(cache: NameCache, visited: dict[int, tuple[int, int, int]], labels: list[bytes],
              jumps: int, total: int) -> None:
    """Store the clean suffix behind each pointer target this name went through."""
    for target, (n_labels, n_jumps, n_total) in visited.items():
        cache[target] = (tuple(labels[n_labels:]), jumps - n_jumps, total - n_total)


def _name(labels: list[bytes]) -> bytes:
    return b".".join(labels) + b"." if labels else b"."


class DNSNameField(TailField):
    """A domain name (``b"example.com."``); given as text or bytes, stored as bytes."""

    __slots__ = ()
    ls_kind = "DNSStrField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, normalise_name(default, name))
        self.auto = False

    def check_one(self, value: Any) -> Any:
        return normalise_name(value, self.name)

    def check(self, value: Any) -> Any:
        return None if value is None else normalise_name(value, self.name)

    def to_json(self, value: Any) -> Any:
        return name_text(value)
