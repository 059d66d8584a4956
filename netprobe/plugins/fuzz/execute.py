"""``netprobe fuzz`` from options to exit code: dry run, campaign or replay."""

from __future__ import annotations

import os
import sys
from contextlib import closing
from typing import TYPE_CHECKING

import click

from netprobe.errors import UsageError
from netprobe.plugins.fuzz.targets import STRATEGIES
from netprobe.services.output import Output

if TYPE_CHECKING:
    from collections.abc import Callable

    from netprobe.packet.layer import Layer
    from netprobe.plugins.fuzz.campaign import Outcome, Runner, Settings
    from netprobe.plugins.fuzz.cases import Template
    from netprobe.plugins.fuzz.link import Link
    from netprobe.services.json_value import JSONRecord
    from netprobe.wire.scope import Scope


def parse_strategies(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--strategy`` values (comma lists, repeatable) checked; all of them by default."""
    names = [part.strip().lower() for v in values for part in v.split(",") if part.strip()]
    if not names:
        return STRATEGIES
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        raise UsageError(f"--strategy {unknown[0]!r}: unknown (known: {', '.join(STRATEGIES)})")
    return tuple(s for s in STRATEGIES if s in names)


def _show(output: Output, records: list[JSONRecord]) -> None:
    from netprobe.plugins.fuzz.interpret import render

    if not output.json:
        return render(records, output)  # as netprobe interpret shows them again
    for rec in records:
        output.emit(rec)


def run_command(ctx: click.Context, *, expression: str | None, count: int, seed: int | None,
                start: int, fields: tuple[str, ...], strategies: tuple[str, ...],
                keep_invalid: bool, max_size: int, monitors: tuple[str, ...],
                monitor_every: int, monitor_timeout: float, monitor_retry: int,
                restart_cmd: str | None, restart_wait: float, max_bisect: int, out_dir: str,
                replay_file: str | None, dry_run: bool, rate: float, timeout: float,
                max_time: float | None, save_path: str | None, iface: str | None,
                as_json: bool | None) -> int:
    """Do what the options ask; return the exit code (0 or 1)."""
    from netprobe.plugins.fuzz.campaign import Settings
    from netprobe.plugins.fuzz.monitor import parse_monitor
    from netprobe.plugins.fuzz.restart import parse_command

    if replay_file is not None and expression is not None:
        raise UsageError("give either an EXPRESSION to fuzz or --replay FILE, not both")
    if replay_file is None and expression is None:
        raise UsageError("missing the packet EXPRESSION to fuzz (or --replay FILE)")
    if replay_file is not None and dry_run:
        raise UsageError("--dry-run makes cases; a replay sends a crash file's cases")
    wanted = parse_strategies(strategies)
    parsed_monitors = [parse_monitor(m) for m in monitors]
    settings = Settings(monitors=parsed_monitors, monitor_every=monitor_every, timeout=timeout,
                        monitor_timeout=monitor_timeout, monitor_retry=monitor_retry,
                        max_time=max_time, max_bisect=max_bisect,
                        restart_command=parse_command(restart_cmd), restart_wait=restart_wait,
                        out_dir=out_dir)
    output = Output.current(as_json)
    scope = getattr(ctx.obj, "scope", None) if ctx.obj is not None else None
    if replay_file is not None:
        return _replay(output, replay_file, settings, scope, iface, rate, save_path)
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    return _fuzz(output, expression or "", seed=seed, start=start, count=count, fields=fields,
                 strategies=wanted, keep_invalid=keep_invalid, max_size=max_size,
                 settings=settings, dry_run=dry_run, scope=scope, iface=iface, rate=rate,
                 save_path=save_path)


def _template(expression: str,
              layer2_fill: Callable[[Layer], Layer] | None = None) -> Template:
    from netprobe.packet.expr import parse_packet
    from netprobe.plugins.fuzz.cases import load_template

    packet = parse_packet(expression)
    if layer2_fill is not None and type(packet).__name__ not in ("IP", "IPv6"):
        packet = layer2_fill(packet)
    return load_template(expression, packet)


def _fuzz(output: Output, expression: str, *, seed: int, start: int, count: int,
          fields: tuple[str, ...], strategies: tuple[str, ...], keep_invalid: bool,
          max_size: int, settings: Settings, dry_run: bool, scope: Scope, iface: str | None,
          rate: float, save_path: str | None) -> int:
    from netprobe.plugins.fuzz.cases import CaseMaker
    from netprobe.plugins.fuzz.targets import parse_field_specs, select
    from netprobe.wire.route import install_source_hook

    install_source_hook()
    names = parse_field_specs(fields)
    # (a run checks what can be checked before any socket is opened)
    template = _template(expression)
    targets = select(template.chain, template.targets, names, keep_invalid=keep_invalid,
                     strategies=strategies)
    if dry_run:
        from netprobe.plugins.fuzz.render import case_line

        maker = CaseMaker(template, targets, seed, max_size=max_size)
        for case in maker.cases(start, count):
            output.emit({"type": "case", **case.to_dict(seed)}, case_line)
        return 0
    dst = template.destination
    if dst is None:
        raise UsageError("the template has no IP or IPv6 destination to fuzz")
    from netprobe.plugins.fuzz.link import Link

    with closing(Link(dst=dst, layer2=template.layer2, iface=iface, scope=scope,
                      rate=rate)) as link:
        if template.layer2:
            template = _template(expression, link.fill)
            targets = select(template.chain, template.targets, names,
                             keep_invalid=keep_invalid, strategies=strategies)
        maker = CaseMaker(template, targets, seed, max_size=max_size)
        options = {"mode": "fuzz", "target": dst, "seed": seed, "start": start, "count": count,
                   "expression": expression, "fields": [t.name for t in targets],
                   "strategies": list(strategies), "keep_invalid": keep_invalid,
                   "monitors": [m.spec for m in settings.monitors],
                   "monitor_every": settings.monitor_every if settings.monitors else None}

        def describe() -> JSONRecord:
            from netprobe.plugins.fuzz.crashfile import FORMAT
            from netprobe.version import package_version

            return {"format": FORMAT, "netprobe": package_version(), "target": dst,
                    "layer2": template.layer2, "expression": expression,
                    "template": template.data.hex(), "seed": seed,
                    "fields": options["fields"], "strategies": options["strategies"],
                    "keep_invalid": keep_invalid, "monitors": options["monitors"]}

        return _drive(output, link, dst, settings, options, save_path,
                      lambda runner: runner.fuzz(maker, start, count, describe), count)


def _replay(output: Output, path: str, settings: Settings, scope: Scope, iface: str | None,
            rate: float, save_path: str | None) -> int:
    from netprobe.plugins.fuzz.crashfile import read_crash
    from netprobe.plugins.fuzz.link import Link

    crash = read_crash(path)
    if not settings.monitors:
        settings.monitors = crash.monitors
    if not settings.monitors:
        raise UsageError(f"{path} names no monitor: give --monitor to tell whether the "
                         "target dies")
    options = {"mode": "replay", "file": path, "target": crash.target,
               "cases": [n for n, _ in crash.cases],
               "monitors": [m.spec for m in settings.monitors]}
    with closing(Link(dst=crash.target, layer2=crash.layer2, iface=iface, scope=scope,
                      rate=rate)) as link:
        return _drive(output, link, crash.target, settings, options, save_path,
                      lambda runner: runner.replay(crash), len(crash.cases))


def _drive(output: Output, link: Link, dst: str, settings: Settings, options: JSONRecord,
           save_path: str | None, work: Callable[[Runner], Outcome | JSONRecord],
           total: int) -> int:
    """Run ``work(runner)`` with live records and progress; save; return the exit code."""
    from netprobe.plugins.fuzz.campaign import Outcome, Runner
    from netprobe.plugins.fuzz.interpret import Reporter
    from netprobe.plugins.fuzz.progress import FuzzProgress

    reporter = Reporter(options)
    _show(output, reporter.start())

    def emit(results: list, round_done: bool) -> None:
        records = reporter.feed(results)
        if round_done:
            records += reporter.flush()
        _show(output, records)

    bar = FuzzProgress(total) if options["mode"] == "fuzz" else None
    runner = Runner(link, dst, settings, emit=emit, progress=bar)
    interrupted = False
    try:
        result = work(runner)
    except KeyboardInterrupt:
        interrupted = True
        result = Outcome("interrupted", runner.position)
    finally:
        if bar is not None:
            bar.close()
    counters = link.counters.to_dict()
    counters["elapsed"] = runner.elapsed
    counters["fuzzing"] = runner.fuzzing if runner.fuzzing is not None else runner.elapsed
    if isinstance(result, Outcome):
        extra: JSONRecord = {"stopped": result.stopped, "next_case": result.next_case,
                                 "crash": result.crash}
        code = 1 if result.crash is not None or result.stopped == "dead" else 0
    else:
        extra = dict(result)
        code = 1 if result.get("died") else 0
    _show(output, reporter.finish(counters, extra))
    if save_path:
        from netprobe.engine.runfile import save_run

        save_run(save_path, runner.log, plugin="fuzz", argv=sys.argv[1:], options=options,
                 counters=counters, extra=extra)
    if interrupted:
        raise KeyboardInterrupt
    return code
