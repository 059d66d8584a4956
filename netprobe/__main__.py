"""``python -m netprobe``: the same as the ``netprobe`` console script."""

from netprobe.console import console

if __name__ == "__main__":
    raise SystemExit(console())
