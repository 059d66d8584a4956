"""nmap's spellings that click cannot parse, turned into portscan's own options (pure).

nmap writes its output files with two-letter options that take the next
argument (``-oX scan.xml``) or a glued one (``-oXscan.xml``); click would read
``-oX`` as ``-o X``. :func:`rewrite` turns them into long options before click
parses the arguments, and refuses, in one line, the nmap options netprobe
does not have (``-sV``, ``-A``, ``-O``...).
"""

from __future__ import annotations

from netprobe.errors import UsageError

#: nmap's output options -> the long option portscan declares for them
OUTPUT_OPTIONS = {"-oN": "--output-normal", "-oX": "--output-xml", "-oG": "--output-grepable",
                  "-oA": "--output-all", "-oJ": "--output"}

#: nmap options netprobe does not have -> what nmap does with them
UNSUPPORTED = {
    "-sV": "service version detection", "-A": "OS, version, script and traceroute detection",
    "-O": "OS detection", "-sC": "default scripts", "--script": "NSE scripts",
    "--script-args": "NSE script arguments", "--version-intensity": "version detection",
    "--version-all": "version detection", "--osscan-guess": "OS detection",
    "--osscan-limit": "OS detection", "--traceroute": "traceroute (use netprobe traceroute)",
    "-sO": "IP protocol scan", "-sY": "SCTP INIT scan", "-sZ": "SCTP COOKIE-ECHO scan",
    "-sW": "TCP window scan", "-sM": "TCP Maimon scan", "-sI": "idle scan", "-b": "FTP bounce scan",
    "-sL": "list scan", "-oS": "script kiddie output", "-oM": "machine output",
    "-D": "decoys", "-S": "source address spoofing", "--spoof-mac": "MAC address spoofing",
    "-f": "fragmented probes", "--mtu": "fragmented probes", "-R": "reverse DNS resolution",
    "--resolve-all": "resolving every address of a name", "--resume": "resuming a scan",
    "--data-length": "probe padding", "--badsum": "bad checksums",
}


def _unsupported(arg: str) -> str | None:
    name = arg.split("=", 1)[0]
    if name in UNSUPPORTED:
        return name
    # -sV and -sC glued together (-sCV), -O2... : nmap allows these too
    if arg.startswith("-s") and len(arg) > 3 and arg[1:].isalpha() and "V" in arg[2:]:
        return "-sV"
    return None


def rewrite(args: list[str]) -> list[str]:
    """``args`` with nmap's ``-oX FILE`` / ``-oXFILE`` forms as long options.

    Raises :class:`UsageError` (one line, exit 2) for nmap options netprobe
    does not have. Arguments after ``--`` are left alone.
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            out.extend(args[i - 1:])
            break
        head = arg[:3]
        if head in OUTPUT_OPTIONS:
            long = OUTPUT_OPTIONS[head]
            if len(arg) > 3:
                value = arg[3:]
            elif i < len(args):
                value = args[i]
                i += 1
            else:
                raise UsageError(f"{head} needs a file name (- for standard output)")
            out += [long, value]
            continue
        name = _unsupported(arg)
        if name is not None:
            raise UsageError(f"{name} ({UNSUPPORTED[name]}) is not supported; netprobe "
                             "reports port states only")
        out.append(arg)
    return out


__all__ = ["OUTPUT_OPTIONS", "UNSUPPORTED", "rewrite"]
