"""Integer fields safe to use in a layer that has a field named ``type``.

The generated ``__init__`` of a layer takes one keyword per field and checks
integers inline with ``type(value) is int``; a field *named* ``type`` shadows
the builtin there. Fields passed through :func:`type_safe` check their values
through their slow path instead, which makes no such call. (Remove this once
the generated code stops calling ``type``.)
"""

from __future__ import annotations

from netprobe.packet.field import BitField, Field, UIntField


class _SafeUInt(UIntField):
    __slots__ = ()

    def check_expr(self, v: str) -> str:
        return f"_chk_{self.name}({v})"


class _SafeBit(BitField):
    __slots__ = ()

    def check_expr(self, v: str) -> str:
        return f"_chk_{self.name}({v})"


def type_safe(*fields: Field) -> tuple[Field, ...]:
    """The same fields, integer ones switched to a check that does not call ``type``."""
    for f in fields:
        if type(f) is UIntField:
            f.__class__ = _SafeUInt
        elif type(f) is BitField:
            f.__class__ = _SafeBit
    return fields
