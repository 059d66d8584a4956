"""The command line's one vocabulary: every option more than one subcommand has.

Each ``Word`` is one meaning, spelt the same way by every subcommand that has
it (``names``), with the option (its click parameter name) that carries it in
each of them (``users``). Old spellings kept for scripts (``old``) still parse
but are hidden from ``--help``. The README's vocabulary table is
``markdown_table()`` of this data, and ``tests/test_cli_vocabulary.py`` walks
the click tree against it: one name, one meaning; one meaning, one name.
Pure data, no imports of plugins or of click.
"""

from __future__ import annotations

from typing import NamedTuple


class Word(NamedTuple):
    """One meaning and its names across subcommands (a tuple: the commands that declare
    their options with ``cli_types.option`` read it at import, and a dataclass costs ~1 ms)."""

    meaning: str
    names: tuple[str, ...]
    accepts: str
    users: dict[str, str]
    old: tuple[str, ...] = ()


GLOBAL: tuple[tuple[str, str], ...] = (
    ("--json/--no-json", "JSON Lines or tables (default: JSON when stdout is not a terminal)"),
    ("--debug", "full tracebacks, and where the time went (stderr)"),
    ("--scope FILE", "networks probes may reach (overrides NETPROBE_SCOPE)"),
)
"""Root options: accepted before or after the subcommand's name."""

WORDS: tuple[Word, ...] = (
    Word("interface to send or capture on", ("-i", "--iface"), "IFACE",
         {"arpscan": "iface", "craft": "iface", "fuzz": "iface", "portscan": "iface",
          "sniff": "iface", "traceroute": "iface"}, old=("-I", "--interface")),
    Word("how long to wait for an answer", ("-W", "--timeout"), "DURATION",
         {"arpscan": "timeout", "craft": "timeout", "fuzz": "timeout",
          "interpret": "timeout", "traceroute": "wait"}, old=("--wait",)),
    Word("resends of an unanswered probe", ("--retries",), "N",
         {"arpscan": "retry", "craft": "retry", "traceroute": "retries",
          "portscan": "max_retries"}, old=("--retry", "--max-retries")),
    Word("packets per second", ("--rate",), "PPS",
         {"arpscan": "rate", "craft": "rate", "fuzz": "rate", "portscan": "rate"}),
    Word("pause between sends or rounds", ("--interval",), "DURATION",
         {"craft": "interval", "traceroute": "interval"}),
    Word("stop after this long", ("--max-time",), "DURATION",
         {"fuzz": "max_time", "portscan": "max_time", "sniff": "max_time"},
         old=("--timeout (sniff)",)),
    Word("how many packets (or cases)", ("-c", "--count"), "N",
         {"craft": "count", "fuzz": "count", "read": "count", "sniff": "count"}),
    Word("write the packets to a capture file", ("-w", "--write"), "FILE",
         {"craft": "out", "read": "out", "sniff": "out"}),
    Word("read packets from a capture file", ("-r", "--read"), "FILE",
         {"read": "read_files"}),
    Word("capture filter (pcap-filter(7)); also the trailing words", ("--filter",), "BPF",
         {"read": "bpf", "sniff": "bpf"}, old=("-f (read, sniff)",)),
    Word("numeric addresses (netprobe never looks names up)", ("-n",), "",
         {"read": "numeric", "sniff": "numeric", "traceroute": "numeric",
          "portscan": "no_resolve"}),
    Word("print the link-level header", ("-e",), "", {"read": "link", "sniff": "link"}),
    Word("hex and ASCII of each packet (-XX: with the link header)", ("-X",), "",
         {"read": "hexdump", "sniff": "hexdump"}),
    Word("time stamp format, as tcpdump's -t .. -tttt", ("-t",), "",
         {"read": "tstamp", "sniff": "tstamp"}),
    Word("IPv4 only", ("-4",), "", {"arpscan": "want4", "traceroute": "family",
                                   "portscan": "ipv4"}),
    Word("IPv6 only", ("-6",), "", {"arpscan": "want6", "portscan": "ipv6",
                                   "traceroute": "family"}),
    Word("destination port(s), or the ports to show", ("-p", "--port"), "PORTS",
         {"portscan": "ports", "traceroute": "port", "history diff": "port_text",
          "history list": "port_text", "history show": "port_text"}),
    Word("save probes and answers for `netprobe interpret`", ("--save",), "RUN.pcapng",
         {"arpscan": "save_path", "craft": "save", "fuzz": "save_path",
          "portscan": "save", "traceroute": "save_path"}),
    Word("record the run in a history database", ("--db",), "FILE",
         {"arpscan": "db", "portscan": "db", "traceroute": "db", "history": "db",
          "history diff": "db", "history list": "db", "history prune": "db",
          "history show": "db"}),
    Word("seed of the random order", ("--seed",), "N", {"fuzz": "seed", "portscan": "seed"}),
    Word("show only the N largest", ("--top",), "N", {"flows": "top", "interpret": "top"}),
    Word("list every state, not only the unusual ones", ("--all-states",), "",
         {"interpret": "all_states", "portscan": "all_states"}),
    Word("say what would be done, do nothing", ("--dry-run",), "",
         {"fuzz": "dry_run", "history prune": "dry_run"}),
    Word("go ahead although a safety check says no", ("--force",), "",
         {"arpscan": "force", "lab down": "force"}),
    Word("run as tasks on this Dask cluster", ("--scheduler",), "tcp://HOST:PORT",
         {"flows": "scheduler", "portscan": "scheduler"}),
)
"""Every option that more than one subcommand has, one meaning each."""

def markdown_table() -> str:
    """The README's vocabulary table (rows in ``WORDS`` order)."""
    rows = ["| Option | Meaning | Subcommands |", "|---|---|---|"]
    for names, meaning in GLOBAL:
        rows.append(f"| `{names}` | {meaning} | all (before or after the subcommand) |")
    for word in WORDS:
        value = f" {word.accepts}" if word.accepts else ""
        spelled = ", ".join(f"`{name}{value}`" for name in word.names)
        users = ", ".join(sorted({cmd.split()[0] for cmd in word.users}))
        rows.append(f"| {spelled} | {word.meaning} | {users} |")
    return "\n".join(rows) + "\n"


__all__ = ["GLOBAL", "WORDS", "Word", "markdown_table"]
