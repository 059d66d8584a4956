"""``python -m netprobe.reference --out-dir .``: regenerate completions and man pages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netprobe.errors import EXIT_FINDINGS, EXIT_OK, EXIT_RUNTIME
from netprobe.reference.generate import reference_files, stale_files, write_reference
from netprobe.reference.tree import PluginLoadFailures


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the reference files; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m netprobe.reference",
        description="Generate netprobe's shell completions and man pages from its commands.",
    )
    parser.add_argument("--out-dir", type=Path, default=Path("."),
                        help="repository root to write into")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if any file is missing or differs")
    args = parser.parse_args(argv)
    try:
        files = reference_files()
    except PluginLoadFailures as exc:
        # Loud on purpose: a reference missing a subcommand must not be committed.
        print(f"netprobe.reference: error: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    if args.check:
        differ = [
            name
            for name, text in files.items()
            if not (args.out_dir / name).is_file()
            or (args.out_dir / name).read_text(encoding="utf-8") != text
        ]
        differ += [str(p) for p in stale_files(args.out_dir, files)]
        for name in differ:
            print(f"out of date: {name}", file=sys.stderr)
        return EXIT_FINDINGS if differ else EXIT_OK
    for path in write_reference(args.out_dir, files):
        print(f"updated {path}")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
