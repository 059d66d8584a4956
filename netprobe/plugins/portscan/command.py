"""``netprobe portscan``: the click command (options → plan → run → records → output)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from netprobe.cli_types import Duration, json_option, option
from netprobe.services.history.recorder import db_option

if TYPE_CHECKING:  # imported when a scan runs, not when the CLI starts
    from netprobe.engine.runfile import SavedRun
    from netprobe.plugins.portscan.distributed import DistributedScan
    from netprobe.plugins.portscan.nmap_files import NmapFiles
    from netprobe.plugins.portscan.plan import ScanPlan
    from netprobe.plugins.portscan.run import ScanRun
    from netprobe.services.history.recorder import Recording
    from netprobe.services.json_value import JSONRecord
    from netprobe.services.output import Output
    from netprobe.wire.scope import Scope

_TEMPLATE_NAMES = {"paranoid": 0, "sneaky": 1, "polite": 2, "normal": 3, "aggressive": 4,
                   "insane": 5}


def _template(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text in _TEMPLATE_NAMES:
        return _TEMPLATE_NAMES[text]
    if text.isdigit() and 0 <= int(text) <= 5:
        return int(text)
    raise click.BadParameter(f"{value!r}: expected 0-5 or a template name "
                             f"({', '.join(_TEMPLATE_NAMES)})")


class NmapStyleCommand(click.Command):
    """A click command that first turns nmap's ``-oX FILE`` forms into long options and
    refuses nmap's options netprobe does not have (see ``nmap_argv``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Rewrite nmap's spellings, then parse as click does."""
        from netprobe.plugins.portscan.nmap_argv import rewrite

        return super().parse_args(ctx, rewrite(list(args)))


#: the command's help (its first line is the summary ``netprobe --help`` lists)
_HELP = """Scan TCP and UDP ports: nmap's states and reasons, fast and exact under loss.

    \b
    TARGETS: addresses, prefixes (198.18.1.0/24, 2001:db8:1::/120), ranges
    (198.18.1.1-20), host names; or -iL FILE.
    \b
    Examples:
      netprobe portscan 198.18.1.11                  # 1000 common TCP ports
      netprobe portscan -p- -T4 198.18.1.15          # every TCP port
      netprobe portscan -sU -sS -p T:22,80,U:53,161 198.18.1.0/24
      netprobe portscan -p 1-1024 --shard 2/4 --seed 7 198.18.0.0/16
      netprobe portscan 198.18.1.0/24 -o now.jsonl --diff last.jsonl
      netprobe portscan -F --open -oX scan.xml 198.18.1.0/24  # then: ndiff old.xml scan.xml
      netprobe portscan 198.18.1.0/24 --db scans.db  # then: netprobe history diff
      netprobe portscan 198.18.0.0/16 --scheduler tcp://10.0.0.5:8786

    \b
    On a terminal: a table per host up, hiding the host's dominant state
    ("Not shown: 995 closed tcp ports (reset)"); --reason adds REASON and TTL.
    With --json or on a pipe, JSON Lines (netprobe/schemas/portscan.json), per host:
      {"type": "host", "host", "state", "reason", "ports": {state: count},
       "not_shown": [{"state", "proto", "reason", "count"}]}
      {"type": "port", "host", "proto", "port", "state", "reason", "ttl", "service"}
    then {"type": "summary", "scan", "hosts", "ports", "ts", "elapsed_s", "scanned",
    "sent", "received", "retries", "rate", "seed", "shard"}. With --diff, stdout gets
    the changes as `netprobe history diff` gives them ({"type": "host-change" or
    "port-change", "change": up|gone|opened|closed|changed..., "host", "proto",
    "port", "before", "after"}) and the summary instead.

    \b
    nmap's output files (written when the scan completes; - is standard output):
      -oN FILE  normal text     -oX FILE  XML (nmap.dtd; ndiff reads it)
      -oG FILE  grepable        -oJ FILE  JSON Lines (as -o)
      -oA BASE  BASE.nmap, BASE.xml and BASE.gnmap
    nmap options netprobe does not have (-sV, -A, -O, -sC, --script...) are
    refused with a one-line reason (exit 2).

    Probes go out in a random order of (host, port); lost probes are resent
    as long as the measured loss says answers may still be missing, and the
    send rate backs off when answers stop keeping up. Raw scans (-sS -sF -sN
    -sX -sA -sU) need root or CAP_NET_RAW; -sT needs nothing. Ctrl-C prints
    what was found so far and leaves -o and --save untouched (exit 130).
    """


@click.command("portscan", cls=NmapStyleCommand, help=_HELP)
@click.argument("targets", nargs=-1)
@click.option("-sS", "syn", is_flag=True, help="TCP SYN scan (default when privileged).")
@click.option("-sT", "connect", is_flag=True,
              help="TCP connect scan (default without privileges; needs none).")
@click.option("-sF", "fin", is_flag=True, help="TCP FIN scan.")
@click.option("-sN", "null", is_flag=True, help="TCP NULL scan (no flags).")
@click.option("-sX", "xmas", is_flag=True, help="TCP Xmas scan (FIN, PSH, URG).")
@click.option("-sA", "ack", is_flag=True, help="TCP ACK scan (firewall rules: unfiltered or "
              "filtered).")
@click.option("-sU", "udp", is_flag=True, help="UDP scan (may join one TCP scan type).")
@click.option("-sn", "ping_only", is_flag=True, help="Host discovery only, no port scan.")
@click.option("-Pn", "skip_discovery", is_flag=True,
              help="Skip host discovery: treat every target as up.")
@option("-4", "ipv4", help="IPv4 only (the default for names; IPv6 targets are refused).")
@option("-6", "ipv6", help="IPv6 (implied by IPv6 targets).")
@option("--port", "ports",
        help="Ports: 22,80,1000-2000; - or -p- for all; T:80,U:53 per protocol.")
@click.option("--top-ports", "top", type=click.IntRange(1, 65535), metavar="N",
              help="The N most common ports (default: 1000).")
@click.option("-F", "fast", is_flag=True, help="Fast mode: the 100 most common ports.")
@option("-n", "no_resolve",
        help="No reverse DNS (accepted for nmap's habit: netprobe never resolves "
             "addresses to names).")
@click.option("--open", "only_open", is_flag=True,
              help="Show only open (or possibly open) ports, and only hosts with some.")
@click.option("--reason", is_flag=True, help="Add the REASON and TTL columns to the table.")
@click.option("-v", "verbose", count=True,
              help="More detail: with -v, hosts found down are listed too (-vv: and "
                   "every port, as --all-states).")
@click.option("-iL", "input_file", metavar="FILE",
              help="Read targets from FILE (- for stdin), blank- or line-separated.")
@click.option("--exclude", "excludes", multiple=True, metavar="TARGETS",
              help="Leave out these targets (comma-separated; repeatable).")
@click.option("--exclude-file", metavar="FILE", help="Leave out the targets listed in FILE.")
@click.option("-T", "template", callback=_template, metavar="0-5",
              help="Timing template: 0 paranoid .. 3 normal (default) .. 5 insane.")
@option("--rate", "rate", type=float,
        help="Send at this fixed rate (packets per second; no congestion control).")
@click.option("--min-rate", type=float, metavar="PPS", help="Never send slower than this.")
@click.option("--max-rate", type=float, metavar="PPS", help="Never send faster than this.")
@option("--retries", "max_retries", old=("--max-retries",), type=click.IntRange(min=0),
        help="Resend a silent probe at most N times (default: as measured loss "
             "requires, up to the template's bound; nmap's --max-retries works too).")
@option("--max-time", "max_time", type=Duration(),
        help="Stop the whole scan after this long (90, 30s, 5m, 1h) and report it.")
@option("--seed", "seed", type=click.IntRange(min=0),
        help="Seed of the random probe order (the same seed, the same order).")
@click.option("--shard", metavar="K/N",
              help="Scan only part K of N disjoint parts of the same (seeded) order.")
@option("--iface", "iface", help="Send from this interface.")
@option("--all-states", "all_states",
        help="List every port (and down hosts), not only those outside each host's "
             "dominant state.")
@click.option("-o", "--output", "out_file", metavar="FILE",
              help="Also write the JSON Lines records to FILE (atomically; also -oJ FILE).")
@click.option("--output-normal", "normal_file", metavar="FILE",
              help="-oN FILE: nmap's normal text output (- for standard output).")
@click.option("--output-xml", "xml_file", metavar="FILE",
              help="-oX FILE: nmap's XML (nmap.dtd; ndiff reads it; - for standard output).")
@click.option("--output-grepable", "grepable_file", metavar="FILE",
              help="-oG FILE: nmap's grepable output (- for standard output).")
@click.option("--output-all", "all_base", metavar="BASENAME",
              help="-oA BASENAME: BASENAME.nmap, BASENAME.xml and BASENAME.gnmap at once.")
@click.option("--diff", "diff_file", metavar="PREV.jsonl",
              help="Show what changed since a previous run's records; exit 1 if anything did.")
@option("--save", "save",
        help="Save probes, answers and the run's description (netprobe interpret).")
@json_option()
@option("--scheduler", "scheduler",
        help="Run the scan as tasks on this Dask cluster and merge their results "
             "(each worker scans from its own machine, with its own privileges and "
             "scope).")
@click.option("--tasks", type=click.IntRange(min=1), metavar="N",
              help="With --scheduler: cut the scan into N shards (default: one per worker).")
@db_option
@click.pass_context
def command(ctx: click.Context, targets: tuple[str, ...], syn: bool, connect: bool,
            fin: bool, null: bool, xmas: bool, ack: bool, udp: bool, ping_only: bool,
            skip_discovery: bool, ipv4: bool, ipv6: bool, ports: str | None, top: int | None,
            fast: bool, no_resolve: bool, only_open: bool, reason: bool, verbose: int,
            input_file: str | None, excludes: tuple[str, ...], exclude_file: str | None,
            template: int | None, rate: float | None, min_rate: float | None,
            max_rate: float | None, max_retries: int | None, max_time: float | None,
            seed: int | None, shard: str | None, iface: str | None, all_states: bool,
            out_file: str | None, normal_file: str | None, xml_file: str | None,
            grepable_file: str | None, all_base: str | None, diff_file: str | None,
            save: str | None,
            as_json: bool | None, scheduler: str | None = None, tasks: int | None = None,
            db: str | None = None) -> None:
    """Scan TCP and UDP ports: nmap's states and reasons, fast and exact under loss."""
    from netprobe.errors import EXIT_FINDINGS, EnvironmentProblem
    from netprobe.plugins.portscan.plan import make_plan
    from netprobe.services.output import Output
    from netprobe.wire.privileges import can_open_raw_sockets, raw_denied_message

    settings = ctx.obj
    output = Output.current(as_json)
    flags = [name for name, on in (("sS", syn), ("sT", connect), ("sF", fin), ("sN", null),
                                   ("sX", xmas), ("sA", ack), ("sU", udp), ("sn", ping_only))
             if on]
    if fast:
        if ports is not None or top is not None:
            from netprobe.errors import UsageError

            raise UsageError("-F, -p and --top-ports all choose the ports: give one of them")
        top = 100
    if verbose >= 2:
        all_states = True
    privileged = can_open_raw_sockets()
    plan = make_plan(targets=list(targets), input_file=input_file, excludes=list(excludes),
                     exclude_file=exclude_file, ports=ports, top=top, scan_flags=flags,
                     privileged=privileged, skip_discovery=skip_discovery, template=template,
                     seed=seed, shard=shard, rate=rate, min_rate=min_rate, max_rate=max_rate,
                     max_retries=max_retries, max_time=max_time, all_states=all_states,
                     iface=iface, ipv6=ipv6, ipv4=ipv4)
    if plan.needs_raw and not privileged and not scheduler:
        kind = "a UDP scan (-sU)" if plan.scan in (None, "connect") else \
            f"a {plan.scan.upper()} scan"
        raise EnvironmentProblem(raw_denied_message(
            kind, "use a connect scan (-sT), which needs no privileges, or run as root"))
    previous = None
    if diff_file is not None:
        from netprobe.plugins.portscan.diff import read_records

        previous = read_records(diff_file)
    scope = settings.scope if settings is not None and hasattr(settings, "scope") else None
    if scope is None:
        from netprobe.wire.scope import Scope

        scope = Scope.from_environment()
    _check_scope(plan, scope)
    if tasks is not None and not scheduler:
        from netprobe.errors import UsageError

        raise UsageError("--tasks needs --scheduler")
    from netprobe.plugins.portscan.nmap_files import NmapFiles

    nmap_files = NmapFiles.from_options(normal=normal_file, xml=xml_file,
                                        grepable=grepable_file, all_base=all_base,
                                        jsonl=out_file, argv=sys.argv, reason=reason,
                                        verbose=verbose)
    view = {"only_open": only_open, "reason": reason, "stdout_taken": nmap_files.to_stdout}
    if verbose:
        output.stderr.write(f"netprobe portscan: scanning {plan.targets.count():,} target(s): "
                    f"{len(plan.tcp_ports):,} TCP and {len(plan.udp_ports):,} UDP ports "
                    f"({plan.scan or 'no TCP'} scan{', UDP' if plan.udp else ''})\n")
    changed = _scan_and_report(plan, scope, privileged, output, nmap_files, save, previous,
                               db=db, given=[*targets, *([f"-iL {input_file}"] if input_file
                                                          else [])],
                               scheduler=scheduler, tasks=tasks, view=view)
    if changed:
        ctx.exit(EXIT_FINDINGS)


def _check_scope(plan: ScanPlan, scope: Scope) -> None:
    """Refuse, before sending anything, targets whose first or last address is out of scope."""
    from netprobe.errors import ScopeError
    from netprobe.services.targets import address_text

    for family, ranges in plan.targets.ranges.items():
        for first, last in ranges:
            for value in {first, last}:
                addr = address_text(value, family)
                if not scope.contains(addr):
                    raise ScopeError(scope.refusal(addr))


def _scan_and_report(plan: ScanPlan, scope: Scope, privileged: bool, output: Output,
                     out_file: NmapFiles, save: str | None,
                     previous: list[JSONRecord] | None, db: str | None = None,
                     given: list[str] | None = None, scheduler: str | None = None,
                     tasks: int | None = None, view: dict[str, bool] | None = None) -> bool:
    """Run the scan, print its records; return whether --diff found changes."""
    from netprobe.services.history.recorder import make_scan_key, recording

    # the key only names a recorded run (hashing it loads OpenSSL: 2 ms of a small scan)
    key = "" if db is None else make_scan_key("portscan", [
                                     f"{f}:{a}-{b}" for f, rs in plan.targets.ranges.items()
                                     for a, b in rs],
                        {"scan": plan.scan, "udp": plan.udp, "sn": plan.discovery_only,
                         "tcp": plan.tcp_ports, "udp_ports": plan.udp_ports,
                         "shard": str(plan.shard)})
    with recording(db, kind="portscan", scan_key=key, targets=given or []) as history:
        interrupted, changed = _scan_and_print(plan, scope, privileged, output, out_file, save,
                                               previous, history, scheduler, tasks,
                                               keep=db is not None, view=view)
    if interrupted:
        raise KeyboardInterrupt
    return changed


def _scan_and_print(plan: ScanPlan, scope: Scope, privileged: bool, output: Output,
                    out_file: NmapFiles, save: str | None,
                    previous: list[JSONRecord] | None, history: Recording,
                    scheduler: str | None, tasks: int | None,
                    keep: bool = True, view: dict[str, bool] | None = None,
                    ) -> tuple[bool, bool]:
    """Scan, print and add to ``history`` every record; (interrupted?, --diff changes?).

    ``keep=False`` (no history database): JSON Lines with nothing else wanting the
    records (-o, --diff) are written as they are made, not held (a sweep's records).
    """
    import time

    from netprobe.plugins.portscan import interpret
    from netprobe.plugins.portscan.interpret import only_open

    if scheduler:
        from netprobe.plugins.portscan.distributed import DistributedScan

        scan: ScanRun | DistributedScan = DistributedScan(plan, scheduler=scheduler,
                                                          tasks=tasks, warn=output.warn)
    else:
        from netprobe.plugins.portscan.run import ScanRun

        scan = ScanRun(plan, scope=scope, privileged=privileged, warn=output.warn)
    view = view or {}
    interrupted = False
    started = round(time.time(), 6)
    try:
        scan.run()
    except KeyboardInterrupt:
        interrupted = True
    saved = _saved_run(scan, plan, started, interrupted)
    every = {**interpret.DEFAULT_OPTIONS, **saved.options}
    unsaved = not save or interrupted
    if unsaved:
        scan.collector.clear()  # its tables: the list has every result
    hosts = interpret.build(saved.results, every)
    if unsaved:
        # nothing needs the probes any more: a sweep's results go before its records come
        saved.results = []
    made = interpret.records(hosts, every, dict(saved.counters), saved.extra)
    if output.json and not keep and previous is None and not out_file and not save:
        for rec in (only_open(made) if view.get("only_open") else made):
            output.emit(rec)
        return interrupted, False
    records = list(made)
    del hosts
    found = _write_and_show(records, saved, output, out_file, save, previous, view,
                            interrupted)
    for rec in records:  # the run's findings, whatever --diff showed
        history.add(rec)
    return interrupted, bool(found)


def _saved_run(scan: ScanRun | DistributedScan, plan: ScanPlan, started: float,
               interrupted: bool) -> SavedRun:
    """What ``--save`` keeps of a finished (or interrupted) scan."""
    from netprobe.engine.runfile import SavedRun
    from netprobe.plugins.portscan.ports import describe

    extra: JSONRecord = {"targets": plan.targets.count(), "started": started}
    if interrupted:
        extra["interrupted"] = True
    if scan.max_time_reached:
        extra["max_time_reached"] = True
    options = scan.options()
    options["scanned"] = {proto: describe(ports) for proto, ports
                          in (("tcp", plan.tcp_ports), ("udp", plan.udp_ports)) if ports}
    return SavedRun(plugin="portscan", argv=sys.argv[1:], options=options,
                    counters=scan.counters(), extra=extra, results=scan.collector.results())


def _write_and_show(records: list[JSONRecord], saved: SavedRun, output: Output,
                    files: NmapFiles, save: str | None,
                    previous: list[JSONRecord] | None, view: dict[str, bool],
                    interrupted: bool) -> list[JSONRecord] | None:
    """Write -o and --save (a whole scan only) and show the records, or the changes since
    ``previous`` (--diff): those changes, or None without --diff."""
    from netprobe.engine.runfile import save_run
    from netprobe.plugins.portscan import render
    from netprobe.plugins.portscan.diff import changes
    from netprobe.plugins.portscan.interpret import only_open

    # --diff and the history compare whole scans; --open narrows what is shown and written
    found = changes(previous, records) if previous is not None else None
    shown = list(only_open(records)) if view.get("only_open") else records
    if not interrupted:
        # -o and --save appear complete or not at all; an interrupted scan leaves them be
        files.write(shown, output.stdout)
        if save:
            save_run(save, saved.results, plugin="portscan", argv=saved.argv,
                     options=saved.options, counters=saved.counters, extra=saved.extra)
    summary = records[-1]
    if view.get("stdout_taken"):
        pass  # an nmap output file (-oX -) has standard output
    elif output.json:
        for rec in (shown if found is None else [*found, summary]):
            output.emit(rec)
    elif found is None:
        render.render_records(shown, output, reason=bool(view.get("reason")))
    else:
        render.change_table(output, found)
        output.line(render.summary_line(summary))
    return found
