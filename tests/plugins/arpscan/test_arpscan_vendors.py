"""MAC vendors from IEEE registry files (small fixture files written here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netprobe.plugins.arpscan import vendors
from netprobe.plugins.arpscan.vendors import GROUP, LOCAL, UNKNOWN, VendorRegistry

OUI_CSV = """Registry,Assignment,Organization Name,Organization Address
MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop Ferndale WA US 98248
MA-L,70B3D5,IEEE Registration Authority,445 Hoes Lane Piscataway NJ US 08554
MA-L,3C5AB4,"Google, Inc.","1600 Amphitheatre Parkway
Mountain View CA US 94043 "
MA-L,08002B,Digital Equipment Corporation,Maynard MA US 01754
"""
MAM_CSV = """Registry,Assignment,Organization Name,Organization Address
MA-M,08002B1,Should Not Win Over MA-S,Nowhere
"""
OUI36_CSV = """Registry,Assignment,Organization Name,Organization Address
MA-S,70B3D5F2F,TELEPLATFORMS,"Polbina st., 3/1 Moscow  RU 109388 "
MA-S,08002B1AB,Small Block Owner,Somewhere
"""
ARP_SCAN_TXT = """# arp-scan's registry
002272\tAmerican Micro-Fuel Device Corp.
70B3D5F2F\tTELEPLATFORMS
"""


@pytest.fixture
def ieee_files(tmp_path: Path) -> list[Path]:
    files = []
    for name, text in (("oui36.csv", OUI36_CSV), ("mam.csv", MAM_CSV), ("oui.csv", OUI_CSV)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def test_longest_prefix_wins(ieee_files):
    names = VendorRegistry(ieee_files).names(["00:22:72:01:02:03", "70:b3:d5:f2:f1:23",
                                              "70:b3:d5:00:00:01", "08:00:2b:1a:bc:de",
                                              "08:00:2b:1f:00:00", "08:00:2b:00:00:00"])
    assert names == {
        "00:22:72:01:02:03": "American Micro-Fuel Device Corp.",
        "70:b3:d5:f2:f1:23": "TELEPLATFORMS",  # MA-S inside the IEEE's own MA-L
        "70:b3:d5:00:00:01": "IEEE Registration Authority",
        "08:00:2b:1a:bc:de": "Small Block Owner",
        "08:00:2b:1f:00:00": "Should Not Win Over MA-S",  # MA-M: only 28 bits match
        "08:00:2b:00:00:00": "Digital Equipment Corporation",
    }


def test_quoted_names_and_addresses_over_several_lines(ieee_files):
    assert VendorRegistry(ieee_files).names(["3c-5a-b4-00-00-01"]) == {
        "3c-5a-b4-00-00-01": "Google, Inc."}


def test_unknown_local_and_group_addresses(ieee_files):
    names = VendorRegistry(ieee_files).names(["00:00:01:00:00:01", "02:00:c6:12:01:0b",
                                              "33:33:00:00:00:01"])
    assert names == {"00:00:01:00:00:01": UNKNOWN, "02:00:c6:12:01:0b": LOCAL,
                     "33:33:00:00:00:01": GROUP}


def test_arp_scan_file_format(tmp_path):
    path = tmp_path / "ieee-oui.txt"
    path.write_text(ARP_SCAN_TXT, encoding="utf-8")
    names = VendorRegistry([path]).names(["00:22:72:aa:bb:cc", "70:b3:d5:f2:f0:00"])
    assert names == {"00:22:72:aa:bb:cc": "American Micro-Fuel Device Corp.",
                     "70:b3:d5:f2:f0:00": "TELEPLATFORMS"}


def test_without_any_registry_everything_is_unknown(tmp_path):
    registry = VendorRegistry([])
    assert not registry.available
    assert registry.names(["00:22:72:01:02:03"]) == {"00:22:72:01:02:03": UNKNOWN}
    # a file that vanished is skipped, not an error
    assert VendorRegistry([tmp_path / "gone.csv"]).names(["00:22:72:01:02:03"]) == {
        "00:22:72:01:02:03": UNKNOWN}


def test_files_are_not_read_for_local_addresses(tmp_path, monkeypatch):
    read = []
    monkeypatch.setattr(vendors, "read_registry", lambda paths, wanted: read.append(wanted)
                        or {})
    VendorRegistry([tmp_path / "oui.csv"]).names(["02:00:c6:12:01:0b"])
    assert read == []


def test_default_files_prefer_ieee_data(tmp_path, monkeypatch):
    a, b = tmp_path / "oui.csv", tmp_path / "ieee-oui.txt"
    monkeypatch.setattr(vendors, "IEEE_DATA_FILES", (a,))
    monkeypatch.setattr(vendors, "ARP_SCAN_FILE", b)
    assert vendors.default_files() == []
    b.write_text(ARP_SCAN_TXT)
    assert vendors.default_files() == [b]
    a.write_text(OUI_CSV)
    assert vendors.default_files() == [a]
