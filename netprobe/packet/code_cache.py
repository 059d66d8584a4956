"""Compiled code of the layers' generated functions, kept on disk as Python keeps ``.pyc``.

A layer class writes its ``__init__``, pack, unpack and copy functions as source the
first time each is used (``layer.py``). Compiling that source is most of what a small
command pays for its layers: about 7 % of a 3-port scan's instructions, measured with
``valgrind --tool=cachegrind``. The compiled code does not change while the class's
fields do not, so it is kept in ``__pycache__/generated`` beside this module, one file a
function, and read back with ``marshal`` (a twentieth of the cost of compiling).

A cache file holds the Python version, the source and the code. It is used only when
its version and source equal the ones asked for, so a changed class or another
interpreter compiles again (and rewrites the file). Files are written atomically, not
at all when Python is told not to write bytecode (``PYTHONDONTWRITEBYTECODE``) or when
the directory cannot be written; :func:`fill` fills the cache for every layer family,
as the install step (``.ci/setup``) does.
"""

from __future__ import annotations

import marshal
import os
import sys
from types import CodeType

#: where the compiled functions are kept
CACHE_DIR = os.path.join(os.path.dirname(__file__), "__pycache__", "generated")
_TAG = f"{sys.implementation.cache_tag}"


def _path(filename: str) -> str:
    # filename is "<module.Class.function>": a file name once the brackets are gone
    return os.path.join(CACHE_DIR, f"{filename.strip('<>')}.{_TAG}.bin")


def compiled(source: str, filename: str, *, write: bool | None = None) -> CodeType:
    """``compile(source, filename, "exec")``, read from the cache when it holds it.

    ``write`` keeps a freshly compiled code object in the cache; by default only
    netprobe's own classes' are kept (a script's classes are not written into
    netprobe's directory), and none under ``sys.dont_write_bytecode``.
    """
    path = _path(filename)
    try:
        with open(path, "rb") as handle:
            version, cached_source, code = marshal.loads(handle.read())
        if version == sys.version and cached_source == source and isinstance(code, CodeType):
            return code
    except (OSError, ValueError, EOFError, TypeError):
        pass  # missing, damaged or from another format: compile below
    code = compile(source, filename, "exec")
    if write is None:
        write = filename.startswith("<netprobe.") and not sys.dont_write_bytecode
    if write:
        _store(path, source, code)
    return code


def _store(path: str, source: str, code: CodeType) -> None:
    """Write one cache file atomically; a failure only means no cache."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(CACHE_DIR, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(marshal.dumps((sys.version, source, code)))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def fill() -> int:
    """Compile every generated function of every layer class into the cache (the install
    step runs this); the number of functions."""
    from netprobe.packet import Layer, load_families
    from netprobe.packet.dissect import _write_chain
    from netprobe.packet.layer import _WRITERS

    load_families()
    _write_chain(write=True)  # dissect's written-out walk
    count = 1
    seen: set[type] = set()
    todo = [Layer]
    while todo:
        cls = todo.pop()
        todo.extend(c for c in cls.__subclasses__() if c not in seen)
        seen.update(cls.__subclasses__())
        for name in _WRITERS:
            # a method not generated yet stands in the class as an object with generate()
            generate = getattr(cls.__dict__.get(name), "generate", None)
            if generate is not None:
                generate(write=True)
                count += 1
    return count
