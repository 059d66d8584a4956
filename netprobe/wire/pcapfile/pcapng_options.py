"""pcapng options: the type-length-value list at the end of most blocks."""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping

from netprobe.errors import CaptureFileError

OPT_ENDOFOPT = 0
OPT_COMMENT = 1

# Section header block options.
SHB_HARDWARE = 2
SHB_OS = 3
SHB_USERAPPL = 4

# Interface description block options.
IF_NAME = 2
IF_DESCRIPTION = 3
IF_TSRESOL = 9
IF_TSOFFSET = 14

#: The text options a writer sets and a reader reports, by the attribute of
#: :class:`~netprobe.wire.pcapfile.file_info.SectionInfo` (SHB) and
#: :class:`~netprobe.wire.pcapfile.file_info.InterfaceInfo` (IDB) that holds them.
SHB_TEXTS = {"comment": OPT_COMMENT, "hardware": SHB_HARDWARE, "os": SHB_OS,
             "application": SHB_USERAPPL}
IDB_TEXTS = {"name": IF_NAME, "description": IF_DESCRIPTION}

OPTION_HEADER = {"little": struct.Struct("<HH"), "big": struct.Struct(">HH")}


def iter_options(buf: bytes, start: int, stop: int, order: str, path: str, base: int
                 ) -> Iterator[tuple[int, bytes]]:
    """Yield ``(code, value)`` for each option in ``buf[start:stop]``.

    ``base`` is the file offset of ``buf[0]``, for error messages.  An option
    whose value runs past ``stop`` (the end of its block's option area) is
    damage; fewer than 4 bytes left over after the last option are tolerated,
    as they can only be padding.
    """
    unpack = OPTION_HEADER[order].unpack_from
    pos = start
    while stop - pos >= 4:
        code, length = unpack(buf, pos)
        if code == OPT_ENDOFOPT:
            return
        vstart = pos + 4
        vend = vstart + length
        if vend > stop:
            raise CaptureFileError(path, base + pos,
                                   f"option {code} at offset {base + pos} is {length} bytes long "
                                   f"but only {stop - vstart} bytes of its block remain")
        yield code, buf[vstart:vend]
        pos = vstart + ((length + 3) & ~3)


def option_text(value: bytes) -> str:
    """Decode a UTF-8 string option (tolerating bad bytes and trailing NULs)."""
    return value.rstrip(b"\0").decode("utf-8", "replace")


def text_options(table: Mapping[str, int], texts: Mapping[str, str | None]
                 ) -> list[tuple[int, bytes]]:
    """The ``(code, UTF-8 value)`` options of the non-empty ``texts``, in ``table``'s order."""
    return [(code, text.encode("utf-8")) for attr, code in table.items()
            if (text := texts.get(attr))]


def keep_text(table: Mapping[str, int], texts: dict[str, str], code: int, value: bytes) -> None:
    """Record in ``texts`` the option ``code`` if ``table`` names it (the first one wins)."""
    for attr, wanted in table.items():
        if code == wanted:
            texts.setdefault(attr, option_text(value))
            return


def build_option(code: int, value: bytes, order: str = "little") -> bytes:
    """Encode one option, padded to a multiple of 4 bytes."""
    return OPTION_HEADER[order].pack(code, len(value)) + value + bytes(-len(value) % 4)


def build_options(options: list[tuple[int, bytes]], order: str = "little") -> bytes:
    """Encode an option list with its end-of-options marker (empty list: nothing)."""
    if not options:
        return b""
    return b"".join(build_option(code, value, order) for code, value in options) + bytes(4)
