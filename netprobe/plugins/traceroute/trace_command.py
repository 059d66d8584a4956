"""The body of ``netprobe traceroute``: check the arguments, trace, print, save."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from netprobe.errors import UsageError
from netprobe.plugins.traceroute.plan import TraceOptions
from netprobe.services.save_path import check_save_path

if TYPE_CHECKING:
    from netprobe.plugins.traceroute.live import LiveRounds
    from netprobe.plugins.traceroute.run import TraceRun
    from netprobe.services.json_value import JSONRecord
    from netprobe.services.output import Output
    from netprobe.services.root_settings import RootSettings

DEFAULT_PORTS = {"udp": 33434, "tcp": 80, "icmp": 0}
#: probes per hop at most (traceroute(8)'s limit)
MAX_QUERIES = 10


def check(opts: TraceOptions) -> None:
    """Refuse options that make no sense, with one line each (UsageError, exit 2)."""
    if not 1 <= opts.max_ttl <= 255:
        raise UsageError(f"max TTL {opts.max_ttl}: a TTL is 1 to 255")
    if not 1 <= opts.first <= 255:
        raise UsageError(f"first TTL {opts.first}: a TTL is 1 to 255")
    if opts.first > opts.max_ttl:
        raise UsageError(f"first TTL {opts.first} is beyond the max TTL {opts.max_ttl}")
    if not 1 <= opts.queries <= MAX_QUERIES:
        raise UsageError(f"{opts.queries} probes per hop: give 1 to {MAX_QUERIES}")
    if not (opts.wait > 0 and math.isfinite(opts.wait)):
        raise UsageError(f"wait {opts.wait}: give a positive number of seconds")
    if not 0 <= opts.retries <= 10:
        raise UsageError(f"{opts.retries} retries: give 0 to 10")
    if opts.method != "icmp" and not 1 <= opts.port <= 65535:
        raise UsageError(f"port {opts.port}: give 1 to 65535")
    if not 1 <= opts.sport <= 65535:
        raise UsageError(f"source port {opts.sport}: give 1 to 65535")
    if not 0 <= opts.flow <= 65535:
        raise UsageError(f"flow {opts.flow}: give 0 to 65535")
    if not 0 < opts.confidence < 1:
        raise UsageError(f"confidence {opts.confidence}: give a number between 0 and 1")
    if not 1 <= opts.rounds <= 10000:
        raise UsageError(f"{opts.rounds} rounds: give 1 to 10000")
    if not (0 <= opts.interval <= 3600):
        raise UsageError(f"interval {opts.interval}: give 0 to 3600 seconds")
    if opts.multipath and opts.rounds > 1:
        raise UsageError("--multipath and --rounds do not go together: rounds follow one flow")


def execute(settings: RootSettings | None, *, target: str, port: int | None,
            family: int | None, save_path: str | None, db: str | None = None,
            iface: str | None = None, **fields: object) -> None:
    """Run one trace and write its records (JSON Lines or traceroute's lines).

    ``fields`` are the other :class:`TraceOptions` as the command line gives them
    (method, queries, first, max_ttl, wait...); ``port`` None is the method's default.
    ``iface`` (``-i``): the probes leave by it and the answers are read there.
    With ``db``, the run and its records go into that history database.
    """
    from netprobe.plugins.traceroute.target import resolve
    from netprobe.services.history.recorder import make_scan_key, recording
    from netprobe.services.output import Output

    method = str(fields["method"])
    draft = TraceOptions(dst="0.0.0.0", port=DEFAULT_PORTS[method] if port is None else port,
                         **fields)  # type: ignore[arg-type]
    check(draft)
    if iface is not None:
        from netprobe.plugins.traceroute.source import check_interface

        check_interface(iface)
    if save_path:
        check_save_path(save_path)
    dst, fam = resolve(target, family)
    opts = draft._replace(dst=dst, family=fam, target=target)
    # the key only names a recorded run (hashing it loads OpenSSL: 2 ms of a small job)
    key = "" if db is None else make_scan_key(
        "traceroute", [target], {"method": method, "port": opts.port, "family": fam,
                                 "multipath": opts.multipath, "flow": opts.flow})
    output = Output.current()
    live = _live(opts, output)
    try:
        with recording(db, kind="traceroute", scan_key=key, targets=[target]) as history:
            run = _trace(opts, settings, iface, None if live is None else live.round_done)
            for record in _report(output, opts, run, save_path, live):
                history.add(record)
    finally:
        if live is not None:
            live.close()


def _live(opts: TraceOptions, output: Output) -> LiveRounds | None:
    """The live table of ``--rounds`` on a terminal, or None (one table at the end)."""
    from netprobe.plugins.traceroute import live

    return live.LiveRounds(output.console, opts) if live.wanted(opts, output) else None


def _trace(opts: TraceOptions, settings: RootSettings | None, iface: str | None = None,
           on_round: Callable[[TraceRun, int], None] | None = None) -> TraceRun:
    from netprobe.engine.api import Session
    from netprobe.plugins.traceroute.probes import ProbeMaker
    from netprobe.plugins.traceroute.run import Tracer
    from netprobe.plugins.traceroute.source import answer_capture, answer_filter, source
    from netprobe.wire import privileges, route

    privileges.require_raw_sockets("traceroute", "run it as root or with CAP_NET_RAW")
    route.install_source_hook()
    where = source(opts.dst, opts.family, iface)
    maker = ProbeMaker(opts.method, opts.family, where.src, opts.dst, opts.sport, opts.port)
    scope = getattr(settings, "scope", None)
    pinned = where.iface is not None
    with Session(iface=where.iface, layer2=False, first_dst=opts.dst, scope=scope, pin=pinned,
                 capture_filter=answer_filter(opts.family, opts.dst),
                 capture_class=answer_capture(opts.family, opts.method, pinned)) as session:
        return Tracer(opts, maker, session.sender, session.capture,
                      on_round=on_round).trace()


def _report(output: Output, opts: TraceOptions, run: TraceRun, save_path: str | None,
            live: LiveRounds | None = None) -> list[JSONRecord]:
    from netprobe.engine.runfile import SavedRun, save_run
    from netprobe.plugins.traceroute.interpret import PLUGIN, render, report

    argv = sys.argv[1:]
    counters = run.counters.to_dict()
    saved = SavedRun(plugin=PLUGIN, argv=argv, options=opts.to_dict(), counters=counters,
                     results=run.results)
    records = list(report(saved, {}))
    if save_path:
        save_run(save_path, run.results, plugin=PLUGIN, argv=argv, options=opts.to_dict(),
                 counters=counters)
    if output.json:
        for rec in records:
            output.emit(rec)
    elif live is not None:
        live.show(records)  # the last frame: the finished trace's table
    else:
        render(records, output)
    return records
