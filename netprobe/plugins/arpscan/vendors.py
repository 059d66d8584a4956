"""MAC address → vendor, from the IEEE registries installed on the system.

The IEEE Registration Authority publishes its assignments as CSV files:
MA-L (24-bit OUIs), MA-M (28 bits), MA-S and IAB (36 bits). Debian's
``ieee-data`` package installs them under ``/usr/share/ieee-data``; arp-scan
ships the same registries merged into ``/usr/share/arp-scan/ieee-oui.txt``
(``PREFIX<TAB>Organisation``, prefixes of 6, 7 or 9 hex digits). The longest
matching prefix wins, so a MA-S block inside the IEEE's own MA-L names its
real owner. There is no hand-written list here: without any of these files
every vendor reads ``(unknown)``.

Files are parsed only when a universally administered MAC needs a name: the
registries assign no locally administered or group addresses, so those are
named from their bits alone.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

#: the ieee-data CSV files, in the order they are read (longest prefixes first)
IEEE_DATA_FILES = (
    Path("/usr/share/ieee-data/oui36.csv"),
    Path("/usr/share/ieee-data/iab.csv"),
    Path("/usr/share/ieee-data/mam.csv"),
    Path("/usr/share/ieee-data/oui.csv"),
)
#: arp-scan's merged registry, used when ieee-data is not installed
ARP_SCAN_FILE = Path("/usr/share/arp-scan/ieee-oui.txt")

UNKNOWN = "(unknown)"
LOCAL = "(unknown: locally administered)"
GROUP = "(unknown: group address)"

#: prefix lengths (hex digits) the registries assign: MA-S/IAB, MA-M, MA-L
_PREFIX_DIGITS = (9, 7, 6)


def mac_digits(mac: str) -> str:
    """The 12 hex digits of a MAC address, upper case (``02:00:c6:…`` → ``0200C6…``)."""
    return mac.replace(":", "").replace("-", "").replace(".", "").upper()


def is_local(mac: str) -> bool:
    """True for a locally administered address (the U/L bit of the first octet)."""
    return bool(int(mac_digits(mac)[:2], 16) & 0x02)


def is_group(mac: str) -> bool:
    """True for a multicast (group) address (the I/G bit of the first octet)."""
    return bool(int(mac_digits(mac)[:2], 16) & 0x01)


def default_files() -> list[Path]:
    """The registry files present on this system: ieee-data's, else arp-scan's."""
    present = [p for p in IEEE_DATA_FILES if p.is_file()]
    if present:
        return present
    return [ARP_SCAN_FILE] if ARP_SCAN_FILE.is_file() else []


def _read_csv(path: Path, wanted: set[str], found: dict[str, str]) -> None:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 3:
                prefix = row[1].strip().upper()
                if prefix in wanted and prefix not in found:
                    found[prefix] = row[2].strip()


def _read_tabbed(path: Path, wanted: set[str], found: dict[str, str]) -> None:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            prefix, _, name = line.rstrip("\r\n").partition("\t")
            prefix = prefix.strip().upper()
            if prefix in wanted and prefix not in found:
                found[prefix] = name.strip()


def read_registry(paths: Iterable[Path], wanted: set[str]) -> dict[str, str]:
    """{prefix: organisation} for the ``wanted`` hex prefixes found in ``paths``.

    ``.csv`` files are read as IEEE CSV (Registry, Assignment, Organization
    Name, ...); anything else as arp-scan's ``PREFIX<TAB>Name`` lines. A file
    that cannot be read is skipped.
    """
    found: dict[str, str] = {}
    for path in paths:
        try:
            if path.suffix.lower() == ".csv":
                _read_csv(path, wanted, found)
            else:
                _read_tabbed(path, wanted, found)
        except OSError:
            continue
    return found


class VendorRegistry:
    """Names the vendor of MAC addresses from IEEE registry files."""

    def __init__(self, paths: Sequence[Path] | None = None) -> None:
        """Use ``paths`` (default: :func:`default_files`)."""
        self.paths = list(default_files() if paths is None else paths)

    @property
    def available(self) -> bool:
        """True when there is at least one registry file to read."""
        return bool(self.paths)

    def names(self, macs: Iterable[str]) -> dict[str, str]:
        """{mac: vendor or one of the ``(unknown…)`` texts} for every MAC given."""
        macs = list(dict.fromkeys(macs))
        universal = [m for m in macs if not is_local(m) and not is_group(m)]
        wanted = {mac_digits(m)[:n] for m in universal for n in _PREFIX_DIGITS}
        registry = read_registry(self.paths, wanted) if wanted else {}
        out: dict[str, str] = {}
        for mac in macs:
            out[mac] = describe(mac, registry)
        return out


def describe(mac: str, registry: dict[str, str]) -> str:
    """The vendor of ``mac`` by longest prefix in ``registry``, or why it is unknown."""
    digits = mac_digits(mac)
    for n in _PREFIX_DIGITS:
        name = registry.get(digits[:n])
        if name:
            return name
    if is_group(mac):
        return GROUP
    if is_local(mac):
        return LOCAL
    return UNKNOWN
