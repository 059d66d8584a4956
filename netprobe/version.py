"""netprobe's version, for every floor that writes it down (saved runs, history,
crash files, nmap's XML, ``--version``).

A basement module: it imports no other netprobe module, so the engine can
stamp a saved run without importing the command line. The version itself lives
in ``pyproject.toml`` only and is read back from the installed metadata.
"""

from __future__ import annotations

__all__ = ["package_version"]


def package_version() -> str:
    """The installed version of netprobe (from its metadata, else the package); never
    raises (the version is informative only)."""
    from importlib.metadata import version

    try:
        return version("netprobe")
    except Exception:  # not installed, or unreadable metadata
        pass
    return _source_tree_version() or "unknown"


def _source_tree_version() -> str | None:
    """The version in ``pyproject.toml`` beside the package (a source tree that is not
    installed), or None."""
    import tomllib
    from pathlib import Path

    try:
        with open(Path(__file__).resolve().parent.parent / "pyproject.toml", "rb") as handle:
            version = tomllib.load(handle)["project"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None
