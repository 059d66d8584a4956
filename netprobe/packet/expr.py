"""Packet expressions from the command line, parsed and never evaluated.

``Ether(dst="ff:ff:ff:ff:ff:ff")/IP(dst="198.18.1.10")/TCP(dport=[22,80],flags="S")``
is read with Python's parser and then walked: only layer names, literal
arguments, lists, tuples, ``range`` and ``/`` are accepted; anything else is a
usage error that names what was refused and where.
"""

from __future__ import annotations

import ast
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.layer import Layer

_MAX_RANGE = 1 << 20


def parse_packet(text: str) -> Layer:
    """Build the packet (or packet set) that ``text`` describes. Raises UsageError."""
    from netprobe.packet import layer_classes

    text = text.strip()
    if not text:
        raise UsageError("empty packet expression")
    if len(text) > 100_000:
        raise UsageError("packet expression too long")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise UsageError(f"cannot parse packet expression{col}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise UsageError("cannot parse packet expression") from None
    walker = _Walker(layer_classes())
    try:
        value = walker.value(tree.body)
    except RecursionError:
        raise UsageError("packet expression nested too deeply") from None
    if isinstance(value, (bytes, str)):
        from netprobe.packet.layers.raw import Raw

        value = Raw(load=value)
    if not isinstance(value, Layer):
        raise UsageError(f"the expression gives a {type(value).__name__}, not a packet")
    return value


class _Walker:
    """Evaluates the few node kinds a packet expression may hold."""

    def __init__(self, layers: dict[str, type[Layer]]) -> None:
        self.layers = layers

    def refuse(self, node: ast.AST, what: str) -> UsageError:
        col = getattr(node, "col_offset", None)
        where = f" at column {col + 1}" if col is not None else ""
        return UsageError(f"{what}{where}: only layers, literals, lists, range() and / "
                          "are allowed")

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, (int, str, bytes, float, bool)) or node.value is None:
                return node.value
            raise self.refuse(node, f"constant {node.value!r} not allowed")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.value(node.operand)
            if isinstance(inner, (int, float)) and not isinstance(inner, bool):
                return -inner
            raise self.refuse(node, "minus applies to numbers only")
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.value(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.value(node.left), self.value(node.right)
            if not isinstance(left, (Layer, bytes, str)) or not isinstance(
                    right, (Layer, bytes, str)):
                raise self.refuse(node, "'/' stacks layers only")
            if not isinstance(left, Layer):
                raise self.refuse(node, "a packet cannot start with a payload")
            return left / right
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Name):
            if node.id in self.layers:
                return self.layers[node.id]()
            raise UsageError(f"unknown name {node.id!r} at column {node.col_offset + 1} "
                             f"(layers: {', '.join(sorted(self.layers))})")
        raise self.refuse(node, f"{type(node).__name__.lower()} not allowed")

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node, "only layer names and range() may be called")
        name = node.func.id
        if name == "range":
            if node.keywords or not 1 <= len(node.args) <= 3:
                raise self.refuse(node, "range() takes 1 to 3 integers")
            args = [self.value(a) for a in node.args]
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
                raise self.refuse(node, "range() takes integers")
            try:
                r = range(*args)
            except ValueError as exc:  # a step of 0
                raise self.refuse(node, f"range(): {exc}") from None
            if len(r) > _MAX_RANGE:
                raise UsageError(f"range() of {len(r)} values is too large "
                                 f"(at most {_MAX_RANGE})")
            return r
        cls = self.layers.get(name)
        if cls is None:
            raise UsageError(f"unknown layer {name!r} at column {node.col_offset + 1} "
                             f"(layers: {', '.join(sorted(self.layers))})")
        if len(node.args) > 1:
            raise self.refuse(node, f"{name}() takes keyword arguments")
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.refuse(kw, "**arguments not allowed")
            if kw.arg in kwargs:
                raise UsageError(f"{name}(): field {kw.arg!r} given twice")
            kwargs[kw.arg] = self.value(kw.value)
        raw = None
        if node.args:
            raw = self.value(node.args[0])
            if not isinstance(raw, (bytes, str)):
                raise self.refuse(node, f"{name}() takes bytes to dissect as its only "
                                  "positional argument")
            if isinstance(raw, str):
                raw = raw.encode()
        if cls.__name__ in ("Raw", "Padding") and raw is not None and not kwargs:
            return cls(load=raw)
        try:
            return cls(raw, **kwargs) if raw is not None else cls(**kwargs)
        except UsageError as exc:
            raise UsageError(f"{name}: {exc}") from None
