"""Public functions of the plugins and services say what they take (issue 18: "88 plugin
parameters are typed Any").

Every public function and method of ``netprobe/plugins`` and ``netprobe/services``
(its name, its class's and its module's without a leading ``_``; dunder methods
count) is read with ``ast``, and each ``Any`` in its parameters' and return
annotations is counted, also spelled ``typing.Any``, imported under another name,
inside a string annotation or behind a module-level alias (``X = Any``).

A value that really is arbitrary JSON is typed with ``netprobe.services.json_value``
(``JSONValue``, ``JSONRecord``); one that is only passed on, with ``object``.

``ALLOWED`` names the few signatures where ``Any`` is the right word; ``PENDING``
gives the folders other work is typing at the moment a budget that may only shrink.
An allowance that is no longer used fails the test, so both lists stay small.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "netprobe"
ROOTS = ("plugins", "services")

#: "path:qualified name" -> why ``Any`` is right there
ALLOWED: dict[str, str] = {
    "netprobe/services/plugin_record.py:deferred": (
        "stands for either protocol (Report or Render) in a Plugin record; a protocol "
        "return type would need a cast at every plugin's declaration"
    ),
}

#: folder -> (most ``Any`` allowed, why): being typed by other work now; only shrinks
PENDING: dict[str, tuple[int, str]] = {}  # portscan 51 and traceroute 28 were typed: none left


def _any_names(tree: ast.Module) -> set[str]:
    """The names that mean ``typing.Any`` in a module: imports and plain aliases."""
    names = {"Any"}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module in ("typing", "typing_extensions"):
            names.update(a.asname or a.name for a in node.names if a.name == "Any")
    changed = True
    while changed:  # X = Any, Y = X ...
        changed = False
        for node in tree.body:
            target, value = None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (isinstance(target, ast.Name) and target.id not in names
                    and value is not None and _count(value, names)):
                names.add(target.id)
                changed = True
    return names


def _count(annotation: ast.expr | None, names: set[str]) -> int:
    """How many times ``Any`` appears in one annotation."""
    if annotation is None:
        return 0
    found = 0
    for node in ast.walk(annotation):
        if ((isinstance(node, ast.Name) and node.id in names)
                or (isinstance(node, ast.Attribute) and node.attr == "Any")):
            found += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                found += _count(ast.parse(node.value, mode="eval").body, names)
            except SyntaxError:
                pass
    return found


def _signature_count(fn: ast.FunctionDef | ast.AsyncFunctionDef, names: set[str]) -> int:
    a = fn.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *(p for p in (a.vararg, a.kwarg) if p)]
    return sum(_count(p.annotation, names) for p in params) + _count(fn.returns, names)


def _public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _public_functions(body: list[ast.stmt], prefix: str = ""
                      ) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(node.name):
            found.append((prefix + node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            found.extend(_public_functions(node.body, prefix + node.name + "."))
        elif isinstance(node, ast.If):  # if TYPE_CHECKING / sys.version_info branches
            found.extend(_public_functions(node.body + node.orelse, prefix))
    return found


def any_in_signatures(root: Path = PACKAGE) -> dict[str, int]:
    """``"path:qualified name" -> count`` of ``Any`` in public signatures below ``root``."""
    out: dict[str, int] = {}
    for sub in ROOTS:
        for path in sorted((root / sub).rglob("*.py")):
            if path.name.startswith("_") and path.name != "__init__.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            names = _any_names(tree)
            rel = path.relative_to(root.parent).as_posix()
            for qualname, fn in _public_functions(tree.body):
                n = _signature_count(fn, names)
                if n:
                    out[f"{rel}:{qualname}"] = n
    return out


def _pending_folder(key: str) -> str | None:
    return next((folder for folder in PENDING if key.startswith(folder)), None)


def test_no_any_in_public_signatures_beyond_the_allowances() -> None:
    found = any_in_signatures()
    per_folder: Counter[str] = Counter()
    unexplained = []
    for key, n in sorted(found.items()):
        folder = _pending_folder(key)
        if folder is not None:
            per_folder[folder] += n
        elif key not in ALLOWED:
            unexplained.append(f"{key}: {n} Any")
    assert not unexplained, (
        "Any in public signatures (type them: a class, a Protocol, a TypedDict, "
        "JSONValue/JSONRecord for JSON, object for a value only passed on):\n  "
        + "\n  ".join(unexplained))
    over = [f"{folder}: {per_folder[folder]} Any, budget {budget}"
            for folder, (budget, _) in PENDING.items() if per_folder[folder] > budget]
    assert not over, "more Any than the folder's budget:\n  " + "\n  ".join(over)


def test_allowances_are_still_needed() -> None:
    found = any_in_signatures()
    stale = [key for key in ALLOWED if key not in found]
    assert not stale, f"no longer needed, remove from ALLOWED: {stale}"
    per_folder = Counter(_pending_folder(k) for k, n in found.items() for _ in range(n))
    shrunk = [f"{folder}: budget {budget}, now {per_folder[folder]}"
              for folder, (budget, _) in PENDING.items() if per_folder[folder] < budget]
    assert not shrunk, "lower the budget in PENDING (it only shrinks):\n  " + "\n  ".join(shrunk)


def test_the_count_sees_every_spelling(tmp_path: Path) -> None:
    """The counter is not fooled by an alias, ``typing.Any`` or a string annotation."""
    plugin = tmp_path / "plugins" / "demo.py"
    plugin.parent.mkdir()
    (tmp_path / "services").mkdir()
    plugin.write_text(
        "import typing\n"
        "from typing import Any as Whatever\n"
        "Loose = Whatever\n"
        "def a(x: Whatever) -> typing.Any: ...\n"
        "def b(x: 'list[Loose]') -> None: ...\n"
        "def _private(x: Whatever) -> None: ...\n"
        "class Thing:\n"
        "    def __call__(self, *args: Loose) -> dict[str, Whatever]: ...\n"
        "    def _hidden(self, x: Whatever) -> None: ...\n"
        "def typed(x: int, y: object) -> str: ...\n",
        encoding="utf-8")
    demo = f"{tmp_path.name}/plugins/demo.py"
    assert any_in_signatures(tmp_path) == {f"{demo}:a": 2, f"{demo}:b": 1,
                                           f"{demo}:Thing.__call__": 2}
