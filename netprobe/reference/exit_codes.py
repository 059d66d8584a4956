"""Each subcommand's exit codes, as its man page lists them.

The codes themselves are the root command's (``netprobe.cli.EXIT_STATUS``);
this table says what each one means for one subcommand, where it says more
than the general meaning, and which subcommands never use 1 (findings).
"""

from __future__ import annotations

#: subcommand -> {code: what it means there}; a subcommand absent here uses the general table
COMMAND_EXITS: dict[str, dict[int, str]] = {
    "portscan": {1: "with --diff: something changed since the previous run's records",
                 130: "Ctrl-C: what was found so far is printed; -o and --save are left "
                      "untouched"},
    "arpscan": {1: "with --fail-on-conflict: an address answered from several MACs"},
    "history": {1: "diff: something changed between the two runs",
                3: "the database is locked by another process past the busy timeout",
                4: "not a netprobe history database, damaged, or written by a newer "
                   "netprobe"},
    "read": {4: "a file is missing, damaged or not a capture, or has an unknown link type "
                "(the packets before the damage and the other files are still read)"},
    "sniff": {3: "not root (capturing needs CAP_NET_RAW)",
              130: "Ctrl-C: the packets so far are printed (and written with -w), then the "
                   "counts"},
    "flows": {3: "an optional extra (--plot: matplotlib; --scheduler: dask) is missing",
              4: "a damaged capture file"},
    "traceroute": {3: "not root (raw sockets)"},
    "craft": {3: "--send/--sr without root (raw sockets)"},
    "fuzz": {3: "not root (raw sockets)"},
    "lab": {3: "not root, or a tool (ip, nft) or kernel feature is missing"},
}

#: subcommands that may exit 1 (findings); the others never do
FINDINGS = frozenset(name for name, codes in COMMAND_EXITS.items() if 1 in codes)


def exit_table(command: str, general: tuple[tuple[int, str], ...]) -> list[tuple[int, str]]:
    """(code, meaning) rows for ``command``'s man page."""
    special = COMMAND_EXITS.get(command, {})
    rows = []
    for code, meaning in general:
        if code == 1 and command not in FINDINGS:
            continue
        rows.append((code, special.get(code, meaning)))
    return rows


__all__ = ["COMMAND_EXITS", "FINDINGS", "exit_table"]
