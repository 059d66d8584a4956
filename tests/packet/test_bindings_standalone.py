"""A layer module netprobe imports builds what it builds with every family loaded.

Bindings (``bind_layers``) fill protocol numbers when a packet is built. When a
module's classes are bound in another module, a program importing only the
first builds other bytes (an IPv6 neighbour solicitation went out with next
header 59, "no next header", and the neighbour never answered). Each module is
imported alone in a fresh interpreter and its classes' bindings compared with
the ones every family gives.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, json, sys
mods = sys.argv[1:]
if mods != ["*"]:
    for m in mods:
        importlib.import_module(m)
else:
    import netprobe.packet as pk
    pk.load_families()
from netprobe.packet.layer import BUILD_BINDINGS, bindings_of
pairs = list(BUILD_BINDINGS)
if mods != ["*"]:  # the pairs every family binds, asked as a build asks
    pairs = []
    for key in json.loads(sys.stdin.read()):
        lo, up = (side.split(":") for side in key.split("/"))
        pairs.append((getattr(sys.modules[lo[0]], lo[1]), getattr(sys.modules[up[0]], up[1])))
out = {}
for lo, up in pairs:
    vals = bindings_of(lo, up)
    if vals is None:
        continue
    out[f"{lo.__module__}:{lo.__qualname__}/{up.__module__}:{up.__qualname__}"] = \
        sorted((k, str(v)) for k, v in vals.items())
print(json.dumps(out))
"""


def _bindings(*modules: str, ask: list[str] | None = None) -> dict[str, list]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *modules], capture_output=True,
                          input=json.dumps(ask or []), text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _imported_by_netprobe() -> set[str]:
    """The layer modules netprobe's own code (outside the layer modules) imports classes
    from, and the family modules (what ``netprobe.packet`` loads)."""
    found = set()
    pattern = re.compile(r"from (netprobe\.packet\.layers\.\w+) import")
    for path in (REPO / "netprobe").rglob("*.py"):
        if "packet/layers" in path.as_posix():
            continue
        found.update(pattern.findall(path.read_text()))
    from netprobe.packet import FAMILIES

    return found | {f"netprobe.packet.layers.{f}" for f in FAMILIES}


def _module_pairs() -> list[tuple[str, str]]:
    every = _bindings("*")
    used = _imported_by_netprobe()
    pairs = set()
    for key in every:
        lo, up = (side.split(":")[0] for side in key.split("/"))
        if lo in used and up in used:
            pairs.add((lo, up))
    return sorted(pairs)


@pytest.fixture(scope="module")
def everything() -> dict[str, list]:
    return _bindings("*")


@pytest.mark.parametrize("pair", _module_pairs(), ids="+".join)
def test_two_modules_alone_bind_their_classes(pair: tuple[str, str],
                                              everything: dict[str, list]) -> None:
    lower, upper = pair
    mine = {k: v for k, v in everything.items()
            if k.split("/")[0].startswith(lower + ":") and k.split("/")[1].startswith(upper + ":")}
    alone = _bindings(lower, upper, ask=sorted(mine))
    missing = sorted(set(mine) - set(alone))
    assert not missing, f"bound only when other modules are imported: {missing[:5]}"
    assert {k: alone[k] for k in mine} == mine
