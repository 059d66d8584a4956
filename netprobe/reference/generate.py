"""Which reference files exist and what they hold, and writing them to a tree."""

from __future__ import annotations

from pathlib import Path

from netprobe.reference import bash, fish, man, zsh
from netprobe.reference.tree import CommandInfo, netprobe_tree

MAN_DIR = "man"
COMPLETIONS_DIR = "completions"


def reference_files(tree: CommandInfo | None = None) -> dict[str, str]:
    """Every generated file, by path relative to the repository root.

    ``tree`` defaults to the installed netprobe with all plugins loaded
    (raising ``PluginLoadFailures`` if any cannot be).
    """
    from netprobe.cli import ENVIRONMENT, EXIT_STATUS
    from netprobe.version import package_version

    if tree is None:
        tree = netprobe_tree()
    version = package_version()
    files = {
        f"{COMPLETIONS_DIR}/netprobe.bash": bash.render(tree),
        f"{COMPLETIONS_DIR}/_netprobe": zsh.render(tree),
        f"{COMPLETIONS_DIR}/netprobe.fish": fish.render(tree),
        f"{MAN_DIR}/netprobe.1": man.render_root(tree, version, EXIT_STATUS, ENVIRONMENT),
    }
    for sub in tree.subcommands:
        files[f"{MAN_DIR}/netprobe-{sub.path[-1]}.1"] = man.render_subcommand(sub, version)
    return files


def stale_files(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Man pages under ``out_dir`` left from subcommands that no longer exist."""
    wanted = {out_dir / name for name in files}
    return sorted(p for p in (out_dir / MAN_DIR).glob("netprobe*.1") if p not in wanted)


def write_reference(out_dir: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` under ``out_dir``, drop stale man pages; return what changed."""
    from netprobe.services.output import atomic_text_file

    changed = []
    for name, text in files.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        with atomic_text_file(path) as handle:
            handle.write(text)
        changed.append(path)
    for path in stale_files(out_dir, files):
        path.unlink()
        changed.append(path)
    return changed
