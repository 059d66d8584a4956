"""``netprobe lab``: the click group and its subcommands (thin: lifecycle does the work).

Errors are raised as netprobe errors (UsageError exit 2, EnvironmentProblem
exit 3, RuntimeProblem exit 4); the root CLI turns them into one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from netprobe.cli_types import Duration, json_option, option
from netprobe.plugins.lab import lifecycle
from netprobe.plugins.lab.impair import LAN
from netprobe.services.output import Output

_NAME_HELP = "lab name, prefix of every namespace (env NETPROBE_LAB_NAME)"


def _name_option(function):
    return click.option("--name", "name", default=lifecycle.DEFAULT_NAME, show_default=True,
                        envvar="NETPROBE_LAB_NAME", help=_NAME_HELP)(function)


def _in_ms(_ctx: click.Context, _param: click.Parameter, seconds: float | None) -> float | None:
    """A Duration option's seconds as the milliseconds the lab's impairments take."""
    return None if seconds is None else round(seconds * 1000, 6)


_json_option = json_option("print JSON")


def emit(ctx: click.Context, as_json: bool | None, data: dict, line: str) -> None:
    """Print ``data`` as one JSON line, or ``line`` for a human.

    The record's ``type`` is ``lab-<subcommand>`` (``lab-up``, ``lab-impair``...).
    """
    if Output.current(as_json).json:  # --json here, else as the root decided
        click.echo(json.dumps({**data, "type": f"lab-{ctx.info_name}"}, sort_keys=True))
    else:
        click.echo(line)


def _lab_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A lab subcommand taking ``--name`` and ``--json/--no-json`` (before its own options)
    and the click context."""
    def decorate(function: Callable[..., None]) -> click.Command:
        return command.command(name)(_name_option(_json_option(click.pass_context(function))))
    return decorate


@click.group("lab")
def command() -> None:
    """A disposable practice network of namespaces (198.18.0.0/15, 2001:db8::/32).

    A scanner, six LAN hosts with real services and firewalls, and a chain of
    routers (ECMP split, one silent) to a far network. Needs root.
    """


@_lab_command("up")
@click.option("--no-ratelimit", is_flag=True,
              help="routers send ICMP errors without rate limit (fast tests; hosts keep "
                   "theirs). By default every node keeps the kernel's: ~1 error/s per peer "
                   "after a burst of ~6, like a real router")
def up_command(ctx: click.Context, name: str, as_json: bool | None, no_ratelimit: bool) -> None:
    """Build the lab and start its services."""
    built = lifecycle.up(name, ratelimit=not no_ratelimit)
    emit(ctx, as_json,
         {"lab": built.name, "up": True, "elapsed_s": built.built_seconds,
          "namespaces": built.namespaces, "processes": [p.pid for p in built.processes],
          "icmp_ratelimit": lifecycle.impairments(built)["icmp_ratelimit"]},
         f"lab {built.name} up in {built.built_seconds:.2f} s: {len(built.namespaces)} "
         f"namespaces, {len(built.processes)} service processes "
         f"(netprobe lab status --name {built.name})")


@_lab_command("down")
@option("--force", "force", help="without a state file, remove namespaces named like this lab's")
def down_command(ctx: click.Context, name: str, as_json: bool | None, force: bool) -> None:
    """Remove exactly what up created: its processes, then its namespaces."""
    report = lifecycle.down(name, force=force)
    emit(ctx, as_json, report,
         f"lab {name} down: {len(report['namespaces'])} namespaces, "
         f"{len(report['processes'])} processes removed")
    for ns, pids in report["left_running"].items():
        click.echo(f"warning: processes not started by the lab still use {ns}: "
                   f"{' '.join(map(str, pids))}", err=True)


@_lab_command("status")
def status_command(ctx: click.Context, name: str, as_json: bool | None) -> None:
    """Describe the lab and the results a correct probe must find (the truth)."""
    doc = lifecycle.status(name)
    if Output.current(as_json).json:
        click.echo(json.dumps({**doc, "type": "lab-status"}, sort_keys=True))
        return
    from netprobe.plugins.lab.display import show_status
    show_status(doc)


@command.command("run", context_settings={"ignore_unknown_options": True,
                                          "allow_interspersed_args": False})
@_name_option
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run_command(ctx: click.Context, name: str, args: tuple[str, ...]) -> None:
    """Run netprobe ARGS inside the scanner namespace; its exit code passes through.

    NETPROBE_SCOPE passes through; when it is unset, the lab's ranges are used.
    Example: netprobe lab run -- portscan 198.18.1.11
    """
    ctx.exit(lifecycle.run_in_scanner(name, ["-m", "netprobe", *args]))


@_lab_command("impair")
@click.option("--loss", type=click.IntRange(0, 100), default=None,
              help="percent of packets to drop at random, each direction (0 clears)")
@click.option("--delay", type=Duration(0, min_open=False, maximum=10, bare="ms"), default=None,
              metavar="DURATION", callback=_in_ms,
              help="time added to each direction (0 clears; a plain number is ms): 12.5 on "
                   "lan gives a 25 ms round trip")
@click.option("--jitter", type=Duration(0, min_open=False, maximum=10, bare="ms"), default=None,
              metavar="DURATION", callback=_in_ms,
              help="spread of the delay, uniform +/- (a plain number is ms; order is kept)")
@click.option("--icmp-ratelimit", default=None, metavar="MS|stock",
              help="the node's ICMP rate limits (IPv4 and IPv6): one error per MS per peer "
                   "(0: unlimited; stock: as lab up left them)")
@click.option("--on", "target", default=LAN, show_default=True,
              help="lan (the switch, every frame once), a LAN member's cable (scan, h1..h6, "
                   "r1), a link between routers (r1-r2, r2-r3a, r2-r3b, r3a-r4, r3b-r4, "
                   "farnet), both directions; for --loss also a router (what it forwards); "
                   "for --icmp-ratelimit a node, or lan for every node")
def impair_command(ctx: click.Context, name: str, as_json: bool | None, loss: int | None,
                   delay: float | None, jitter: float | None, icmp_ratelimit: str | None,
                   target: str) -> None:
    """Make the lab less kind: loss (nftables), delay and jitter, ICMP rate limits.

    This kernel has no sch_netem, so delay runs through a userspace delay line
    spliced into the switch (netem is used where it exists).
    """
    report = lifecycle.impair(name, loss, target, delay=delay, jitter=jitter,
                              icmp_ratelimit=icmp_ratelimit)
    parts = [f"{report['loss_percent']}% loss"]
    if "delay_ms" in report:
        parts.append(f"{report['delay_ms']:g} ms delay +/- {report['jitter_ms']:g} ms")
    if icmp_ratelimit is not None:
        parts.append(f"ICMP rate limit {report['icmp_ratelimit_ms']}"
                     + ("" if report["icmp_ratelimit_ms"] == "stock" else " ms"))
    emit(ctx, as_json, report, f"lab {name}: {', '.join(parts)} on {target}")


@_lab_command("restart-service")
@click.option("--proto", type=click.Choice(["tcp", "udp"]), default=None)
@click.argument("host")
@click.argument("port", type=click.IntRange(1, 65535))
def restart_service_command(ctx: click.Context, name: str, as_json: bool | None,
                            proto: str | None, host: str, port: int) -> None:
    """(Re)start the service process serving HOST PORT, e.g. after crashing it."""
    report = lifecycle.restart_service(name, host, port, proto)
    emit(ctx, as_json, report, f"lab {name}: service on {host} port {port} "
                               f"{'restarted' if report['was_running'] else 'started'} "
                               f"(pid {report['pid']})")


@_lab_command("add-duplicate")
@click.option("--of", "of", default=lifecycle.DEFAULT_DUPLICATE_OF, show_default=True,
              help="LAN host whose IPv4 and IPv6 addresses the new host claims")
def add_duplicate_command(ctx: click.Context, name: str, as_json: bool | None, of: str) -> None:
    """Plug a host 'dup' into the LAN with another host's addresses (a conflict)."""
    report = lifecycle.add_duplicate(name, of)
    emit(ctx, as_json, report, f"lab {name}: dup claims {report['ipv4']} and "
                               f"{report['ipv6']} with MAC {report['mac']}")


@_lab_command("remove-duplicate")
def remove_duplicate_command(ctx: click.Context, name: str, as_json: bool | None) -> None:
    """Remove the host added by add-duplicate."""
    report = lifecycle.remove_duplicate(name)
    emit(ctx, as_json, report, f"lab {name}: duplicate host removed")


@command.command("demo")
@click.option("--name", default="npdemo", show_default=True,
              help="Name of the throw-away lab the demo builds.")
@_json_option
@click.pass_context
def demo_command(ctx: click.Context, name: str, as_json: bool | None) -> None:
    """Build a lab, probe its LAN through the engine, show the answers, take it down.

    One sr() run sends a SYN to a few ports and an ICMP echo to every LAN
    host from the scanner namespace; the table shows each answer as a port
    state with its reason. Nothing outside the lab is touched.
    """
    lifecycle.up(name)
    try:
        hosts = [{"name": h["name"], "ipv4": h["ipv4"]} for h in lifecycle.status(name)["hosts"]
                 if h.get("network") == "lan" and h["name"] != lifecycle.DUPLICATE]
        args = ["-m", "netprobe.plugins.lab.demo", json.dumps(hosts)]
        if Output.current(as_json).json:
            args.append("--json")
        code = lifecycle.run_in_scanner(name, args)
    finally:
        lifecycle.down(name)
    ctx.exit(code)

