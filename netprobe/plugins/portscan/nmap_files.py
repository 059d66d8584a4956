"""Where a scan's records go besides the screen: ``-oN``/``-oX``/``-oG``/``-oA`` (nmap's
formats) and ``-o``/``-oJ`` (JSON Lines); ``-`` is standard output.

Files are written atomically once the scan is complete (an interrupted scan
leaves them untouched, as ``-o`` always did).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from netprobe.errors import UsageError

if TYPE_CHECKING:
    from netprobe.plugins.portscan.records import Record


def _formatters(args: str, reason: bool, verbose: int,
                ) -> dict[str, Callable[[list[Record]], str]]:
    from netprobe.plugins.portscan.nmap_text import to_grepable, to_normal
    from netprobe.plugins.portscan.nmap_xml import to_xml
    from netprobe.services.output import json_line
    from netprobe.version import package_version

    return {
        "normal": lambda r: to_normal(r, args, reason=reason),
        "xml": lambda r: to_xml(r, args, verbose=verbose, version=package_version()),
        "grepable": lambda r: to_grepable(r, args),
        "jsonl": lambda r: "".join(json_line(x) for x in r),
    }


class NmapFiles:
    """The output files asked for: (format, path) pairs, and how to write them."""

    def __init__(self, files: list[tuple[str, str]] | None = None, args: str = "",
                 reason: bool = False, verbose: int = 0) -> None:
        self.files: list[tuple[str, str]] = [] if files is None else files
        self.args = args
        self.reason = reason
        self.verbose = verbose

    @classmethod
    def from_options(cls, *, normal: str | None, xml: str | None, grepable: str | None,
                     all_base: str | None, jsonl: str | None, argv: list[str],
                     reason: bool = False, verbose: int = 0) -> NmapFiles:
        """The files of -oN/-oX/-oG/-oA/-o(J); UsageError when two want standard output."""
        files = [(kind, path) for kind, path in (("normal", normal), ("xml", xml),
                                                  ("grepable", grepable), ("jsonl", jsonl))
                 if path]
        if all_base:
            if all_base == "-":
                raise UsageError("-oA needs a base name, not - (it writes three files)")
            files += [("normal", f"{all_base}.nmap"), ("xml", f"{all_base}.xml"),
                      ("grepable", f"{all_base}.gnmap")]
        if sum(1 for _kind, path in files if path == "-") > 1:
            raise UsageError("only one of -oN/-oX/-oG/-oJ can write to standard output (-)")
        args = " ".join(shlex.quote(a) for a in ["netprobe", *argv[1:]])
        return cls(files, args, reason, verbose)

    def __bool__(self) -> bool:
        return bool(self.files)

    @property
    def to_stdout(self) -> bool:
        """Whether one of the files is standard output (the table then stays away)."""
        return any(path == "-" for _kind, path in self.files)

    def write(self, records: list[Record], stdout: IO[str]) -> None:
        """Write every file (atomically) and the standard-output one."""
        if not self.files:
            return  # nothing asked: not even the formatters are imported
        from netprobe.services.output import atomic_text_file

        make = _formatters(self.args, self.reason, self.verbose)
        for kind, path in self.files:
            text = make[kind](records)
            if path == "-":
                stdout.write(text)
                stdout.flush()
                continue
            with atomic_text_file(path) as handle:
                handle.write(text)


__all__ = ["NmapFiles"]
