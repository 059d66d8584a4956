"""The floors of the house (README, "How the code is laid out"): who may import whom.

Every ``import`` in ``netprobe/`` (at module level, inside functions and under
``TYPE_CHECKING`` alike) is read from the source with ``ast`` and checked:

* each module imports only modules of its own floor or of the floors under it;
* a plugin never imports another plugin (what two plugins share lives in
  ``netprobe/services``);
* the basement modules import no other netprobe module, so every floor may
  import them.

The floor of a module is decided by its path (``FLOORS``), the most specific
prefix winning.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "netprobe"

BASEMENT = 0
PACKET, WIRE, LIBRARY, ENGINE, SERVICES, PLUGINS, FACE = 1, 2, 2.5, 3, 3.5, 4, 5

#: module prefix -> floor (README's picture); the longest matching prefix wins
FLOORS: dict[str, float] = {
    "netprobe": FACE,  # the library face: netprobe/__init__.py
    "netprobe.__main__": FACE,
    "netprobe.all": FACE,
    "netprobe.cli": FACE,
    "netprobe.reference": FACE,  # man pages and completions, generated from the click tree
    "netprobe.layers": FACE,  # Scapy's module paths, re-exporting the face
    "netprobe.library.tools": FACE,  # traceroute() and arping() on the engine
    "netprobe.plugins": PLUGINS,
    "netprobe.services": SERVICES,
    "netprobe.engine": ENGINE,
    "netprobe.library": LIBRARY,
    "netprobe.wire": WIRE,
    "netprobe.packet": PACKET,
    "netprobe.schemas": BASEMENT,
    # importing no netprobe module, these serve every floor
    "netprobe.errors": BASEMENT,
    "netprobe.version": BASEMENT,
    "netprobe.costs": BASEMENT,
    "netprobe.proc_status": BASEMENT,  # /proc/self/status, read by several floors
    "netprobe.npimport": BASEMENT,
    "netprobe.entry_index": BASEMENT,
    "netprobe.cli_types": BASEMENT,  # click parameter types every subcommand takes
    "netprobe.cli_vocabulary": BASEMENT,
}

#: imports across floors that are known and why; this list may only shrink
ALLOWED: dict[tuple[str, str], str] = {
    # floor 1 asks the face, by name, for the route hook floor 2 installs (no import of
    # floor 2 itself): netprobe._SOURCE_HOOK
    ("netprobe.packet.route", "netprobe"): "reads the hook's name from the face",
}


def module_name(path: Path) -> str:
    """``netprobe/a/b.py`` -> ``netprobe.a.b``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def floor_of(module: str) -> float:
    """The floor of a module: its longest prefix in ``FLOORS``."""
    best = ""
    for prefix in FLOORS:
        if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return FLOORS[best]


def plugin_of(module: str) -> str | None:
    """``netprobe.plugins.portscan.verdict`` -> ``portscan``; None outside plugins."""
    parts = module.split(".")
    if parts[:2] != ["netprobe", "plugins"] or len(parts) < 3:
        return None
    return parts[2]


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".")
    if not str(MODULES[importer]).endswith("__init__.py"):
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str) -> set[str]:
    """The netprobe modules ``module`` imports (``from pkg import mod`` names the module)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            for alias in node.names:
                child = f"{source}.{alias.name}"
                found.add(child if child in MODULES else source)
    return {name for name in found if name == "netprobe" or name.startswith("netprobe.")}


def _violations() -> list[str]:
    bad = []
    for module in MODULES:
        here = floor_of(module)
        for target in sorted(imports_of(module)):
            if (module, target) in ALLOWED:
                continue
            there = floor_of(target)
            if here == BASEMENT and there != BASEMENT:
                bad.append(f"{module} (basement) imports {target}")
            elif there > here:
                bad.append(f"{module} (floor {here}) imports {target} (floor {there})")
            elif plugin_of(module) and plugin_of(target) and plugin_of(module) != plugin_of(
                    target):
                bad.append(f"plugin {module} imports another plugin: {target}")
    return bad


def test_the_walk_sees_the_imports() -> None:
    """The AST walk finds imports of every kind (else the floor test proves nothing)."""
    assert "netprobe.engine.results" in imports_of("netprobe.engine.runfile")  # top level
    assert "netprobe.wire.pcapfile" in imports_of("netprobe.engine.runfile")  # in a function
    assert "netprobe.services.output" in imports_of("netprobe.services.plugin_record")  # typing
    assert floor_of("netprobe.plugins.portscan.verdict") == PLUGINS
    assert floor_of("netprobe.library.tools") == FACE
    assert floor_of("netprobe.library.packet_list") == LIBRARY


def test_each_floor_imports_only_floors_under_it() -> None:
    assert _violations() == []


@pytest.mark.parametrize(("lower", "upper"), [
    ("netprobe.engine", "netprobe.plugins"),
    ("netprobe.engine", "netprobe.cli"),
    ("netprobe.engine", "netprobe.services"),
    ("netprobe.packet", "netprobe.engine"),
    ("netprobe.wire", "netprobe.engine"),
    ("netprobe.services", "netprobe.plugins"),
    ("netprobe.plugins", "netprobe.cli"),
])
def test_named_rules(lower: str, upper: str) -> None:
    """The rules the README states, spelled out (the general test covers them too)."""
    offenders = [f"{module} -> {target}" for module in MODULES
                 if module == lower or module.startswith(lower + ".")
                 for target in imports_of(module)
                 if target == upper or target.startswith(upper + ".")]
    assert offenders == []


def test_allowed_exceptions_are_still_needed() -> None:
    """An exception that no longer happens is taken off the list."""
    for module, target in ALLOWED:
        assert target in imports_of(module), (module, target)


def test_every_module_has_a_floor() -> None:
    assert all(module.startswith("netprobe") for module in MODULES)
    assert set(FLOORS) - set(MODULES) == set(), "a floor names a module that is gone"
