"""Run a file of snippets under one library and print what each printed, as JSON.

Usage: ``python -m tests.compat.runner scapy|netprobe|netprobe.all FILE``.

A snippet file (``snippets/THEME.snip``) is Python split by lines of the form
``# --- name``. Every snippet starts with the import line
``from scapy.all import *``; under netprobe that one
line is replaced by ``from netprobe import *`` (or ``from netprobe.all import *``),
and nothing else changes. Each snippet runs in a fresh namespace with its own
working folder, ``random`` seeded to 0, stdout captured; an exception ends the
snippet and is recorded by its type and message.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import sys
import tempfile
from pathlib import Path

SCAPY_IMPORT = "from scapy.all import *"
IMPORTS = {
    "scapy": SCAPY_IMPORT,
    "netprobe": "from netprobe import *",
    "netprobe.all": "from netprobe.all import *",
}


def split_snippets(text: str) -> list[tuple[str, str]]:
    """(name, code) for each ``# --- name`` section of a snippet file."""
    out: list[tuple[str, str]] = []
    name, lines = None, []
    for line in text.splitlines():
        if line.startswith("# --- "):
            if name is not None:
                out.append((name, "\n".join(lines) + "\n"))
            name, lines = line[6:].strip(), []
        elif name is not None:
            lines.append(line)
    if name is not None:
        out.append((name, "\n".join(lines) + "\n"))
    return out


def run_one(code: str, library: str, corpus: str) -> dict[str, str]:
    """Run one snippet; what it printed and how it ended."""
    if SCAPY_IMPORT not in code:
        return {"out": "", "error": "snippet has no scapy import line"}
    code = code.replace(SCAPY_IMPORT, IMPORTS[library], 1)
    buf = io.StringIO()
    error = ""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        random.seed(0)
        namespace = {"__name__": "__main__", "CORPUS": corpus}
        try:
            with contextlib.redirect_stdout(buf):
                exec(compile(code, "<snippet>", "exec"), namespace)
        except BaseException as exc:  # a snippet's failure is a result, not a crash
            error = f"{type(exc).__name__}: {exc}"
        finally:
            os.chdir(here)
    return {"out": buf.getvalue(), "error": error}


def main(argv: list[str]) -> int:
    library, path = argv[1], argv[2]
    corpus = argv[3] if len(argv) > 3 else ""
    if library == "scapy":
        import logging

        logging.getLogger("scapy").setLevel(logging.ERROR)
    results = {}
    for name, code in split_snippets(Path(path).read_text()):
        results[name] = run_one(code, library, corpus)
    sys.stdout.write(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
