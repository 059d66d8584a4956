"""The light entry-point reader agrees with importlib.metadata."""

from __future__ import annotations

from importlib.metadata import entry_points as metadata_entry_points

from netprobe.entry_index import _parse, entry_points


def test_same_plugins_as_importlib_metadata() -> None:
    ours = {(e.name, e.value) for e in entry_points("netprobe.plugins")}
    theirs = {(e.name, e.value) for e in metadata_entry_points(group="netprobe.plugins")}
    assert ours == theirs
    assert {"read", "craft", "sniff", "lab"} <= {name for name, _ in ours}


def test_other_groups_too() -> None:
    ours = {(e.name, e.value) for e in entry_points("console_scripts")}
    theirs = {(e.name, e.value) for e in metadata_entry_points(group="console_scripts")}
    assert ours == theirs


def test_parse_reads_only_the_group() -> None:
    text = "[a]\nx = m:f\n# note\n[netprobe.plugins]\n  demo = pkg.mod:command \n[b]\ny=z\n"
    got = _parse(text, "netprobe.plugins")
    assert [(e.name, e.value, e.group) for e in got] == [
        ("demo", "pkg.mod:command", "netprobe.plugins")]


def test_load_resolves_the_object() -> None:
    ep = next(e for e in entry_points("netprobe.plugins") if e.name == "read")
    assert ep.load().name == "read"
