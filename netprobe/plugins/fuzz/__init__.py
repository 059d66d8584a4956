"""``netprobe fuzz``: field-aware, replayable fuzzing of a template packet, with monitors.

Light on purpose (``netprobe --help`` imports it): the work is in
``execute.py`` and the modules it imports.
"""

from __future__ import annotations

import click

from netprobe.cli_types import Duration, json_option, option
from netprobe.services.plugin_record import Plugin, deferred

_STRATEGY_HELP = ("Mutation strategies, comma-separated (repeatable): boundary, random, "
                  "bitflip, lie, truncate, grow, shuffle. Default: all.")


@click.command("fuzz")
@click.argument("expression", required=False)
@option("--count", "count", type=click.IntRange(min=1), default=1000, show_default=True,
        metavar=None, help="Number of cases to send.")
@option("--seed", "seed", type=click.IntRange(min=0, max=2**64 - 1), metavar=None,
        help="Seed of the cases (default: a random one, reported in the start record).")
@click.option("--start", type=click.IntRange(min=0), default=0, show_default=True,
              help="First case number: case I of a seed is the same bytes on every run.")
@click.option("--fields", "fields", multiple=True, metavar="LAYER.FIELD,...",
              help="Fields to mutate: TCP.options,DNS.qd; a layer name alone means all its "
                   "fields; 'all' every field (repeatable). Default: the fields of the layers "
                   "above IP/IPv6, except dport.")
@click.option("--strategy", "strategies", multiple=True, metavar="NAME,...",
              help=_STRATEGY_HELP)
@click.option("--keep-invalid", is_flag=True,
              help="Also fuzz the lengths, checksums and protocol numbers the receiving "
                   "stack checks, and keep them broken (default: they stay correct).")
@click.option("--max-size", type=click.IntRange(min=20, max=65535), default=1500,
              show_default=True, help="Largest case in bytes (growing stops there).")
@click.option("--monitor", "monitors", multiple=True, metavar="SPEC",
              help="Liveness probe: icmp, tcp:PORT, or udp:PORT[:HEX] (repeatable; the "
                   "target is alive when every monitor answers).")
@click.option("--monitor-every", type=click.IntRange(min=1), default=10, show_default=True,
              help="Check the monitors after every K cases.")
@click.option("--monitor-timeout", type=Duration(0.01, min_open=False), default=1.0,
              show_default=True, metavar="DURATION", help="Wait this long for a monitor's answer.")
@click.option("--monitor-retry", type=click.IntRange(min=0, max=10), default=2,
              show_default=True, help="Send an unanswered monitor probe again this many times.")
@click.option("--restart-cmd", default=None, metavar="CMD",
              help="Command that restarts the target between minimisation steps (and at the "
                   "end), split like a shell would but run without one; e.g. "
                   "'netprobe lab restart-service h2 9999'. Without it: a prompt on a "
                   "terminal, else a wait for the target to come back by itself.")
@click.option("--restart-wait", type=Duration(min_open=False), default=10.0,
              show_default=True, metavar="DURATION",
              help="How long a restarted target may take to answer again.")
@click.option("--max-bisect", type=click.IntRange(min=1), default=32, show_default=True,
              help="Most minimisation steps (each: restart, send, check).")
@click.option("--out", "out_dir", default="netprobe-fuzz", show_default=True, metavar="DIR",
              help="Where crash files go: crash-s<SEED>-c<CASE>.json and .pcapng.")
@click.option("--replay", "replay_file", default=None, metavar="CASE.json",
              help="Send the cases of a crash file again and tell whether the target dies.")
@option("--dry-run", "dry_run",
        help="Print the cases (number, mutations, bytes) without sending anything.")
@option("--rate", "rate", type=click.FloatRange(min=0, min_open=True), default=1000.0,
        show_default=True, help="Packets per second at most.")
@option("--timeout", "timeout", type=Duration(min_open=False), default=0.2, show_default=True,
        help="Wait this long for answers to each batch of cases.")
@option("--max-time", "max_time", type=Duration(), help="Stop sending cases after this long.")
@option("--save", "save_path",
        help="Save every probe and answer with the run's description "
             "(netprobe interpret RUN.pcapng prints the records again).")
@option("--iface", "iface", old=("-I",), help="Interface to send on (default: the route's).")
@json_option("JSON Lines, one record per event")
@click.pass_context
def command(ctx: click.Context, **options: object) -> None:
    """Fuzz a service with mutations of the packet EXPRESSION; find what kills it.

    \b
    Each case is the template with one to three field-aware mutations:
    boundary values for integers (0, 1, max, max-1, sign edges), lengths and
    counts that lie, random values, bit flips, truncation and growth of raw
    bytes, shuffled or cut option and record lists. Lengths and checksums
    stay correct unless --keep-invalid. Case I of seed S is always the same
    bytes and is made on its own (--start I --count 1 replays one case).

    \b
    With --monitor, the target is probed every --monitor-every cases; when it
    stops answering, the cases since the last good check are minimised (the
    target restarted between steps, see --restart-cmd) to the smallest set
    that kills it, written to --out as JSON and pcapng, and the run stops.

    \b
    Examples:
      netprobe fuzz 'IP(dst="198.18.1.12")/UDP(dport=9999)/Raw(load=b"hello")' \\
        --seed 7 --monitor udp:9999:6869 --restart-cmd 'netprobe lab restart-service h2 9999'
      netprobe fuzz 'IP(dst="198.18.1.11")/TCP(dport=80,options=[("MSS",1460)])' \\
        --fields TCP.options --strategy shuffle,lie --dry-run --count 5
      netprobe fuzz --replay netprobe-fuzz/crash-s7-c117.json

    \b
    JSON Lines records ("type" first): start, check (each monitor round),
    failure, bisect (each minimisation step), crash, summary; a replay
    prints replay, check and replay_result. --save keeps the run for
    netprobe interpret.

    \b
    Exit status: 0 no failure (a replay: the target survived); 1 the target
    stopped answering and a crash was written (a replay: it died again);
    2 usage; 3 no privileges; 4 the target does not answer before the run,
    or the replay file is damaged.
    """
    from netprobe.plugins.fuzz.execute import run_command

    code = run_command(ctx, **options)  # type: ignore[arg-type]
    if code:
        ctx.exit(code)


#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command, report=deferred("netprobe.plugins.fuzz.interpret:report"),
                render=deferred("netprobe.plugins.fuzz.interpret:render"))
