"""``netprobe traceroute``: Paris traceroute, multipath (MDA), MPLS labels, mtr-style rounds."""

from __future__ import annotations

import click

from netprobe.cli_types import Duration, option
from netprobe.services.history.recorder import db_option
from netprobe.services.plugin_record import Plugin, deferred


@click.command("traceroute")
@click.argument("target")
@click.option("-P", "--method", type=click.Choice(["udp", "icmp", "tcp"]), default="udp",
              show_default=True, help="Probe with UDP datagrams, ICMP echo or TCP SYNs.")
@option("--port", "port", type=int, metavar=None, help="Destination port (UDP: 33434, TCP: 80).")
@option("-4", "family", flag_value=4, help="Use IPv4.")
@option("-6", "family", flag_value=6, help="Use IPv6.")
@click.option("-q", "--queries", type=int, default=3, show_default=True,
              help="Probes per hop.")
@click.option("-f", "--first-ttl", "first", type=int, default=1, show_default=True,
              help="First TTL probed.")
@click.option("-m", "--max-ttl", "max_ttl", type=int, default=30, show_default=True,
              help="Highest TTL probed (at most 255).")
@option("--timeout", "wait", old=("--wait",), type=Duration(), default=5.0, show_default=True,
        help="Longest wait for an answer; waves wait an RTO from the RTTs seen "
             "(traceroute's -w: here -w writes a file, as in tcpdump).")
@option("--retries", "retries", type=int, default=1, show_default=True, metavar=None,
        help="Times an unanswered probe is sent again.")
@click.option("--sport", type=int, default=33456, show_default=True,
              help="Source port of flow 0 (UDP, TCP) or ICMP identifier.")
@click.option("--flow", type=int, default=0, show_default=True,
              help="Paris flow to follow (another flow may take another branch).")
@click.option("--multipath", is_flag=True,
              help="Find every branch of load-balanced hops (MDA: more flows per hop).")
@click.option("--confidence", type=float, default=0.95, show_default=True,
              help="MDA's confidence that no branch was missed.")
@click.option("--rounds", type=int, default=1, show_default=True,
              help="Trace N times (mtr style): loss % and RTT statistics per hop.")
@option("--interval", "interval", type=Duration(min_open=False), default=1.0, show_default=True,
        help="Pause between rounds.")
@option("--iface", "iface", help="Send and capture on this interface, whatever the routes say.")
@option("-n", "numeric", expose_value=False,
        help="Numeric addresses (always: netprobe never looks names up).")
@option("--save", "save_path",
        help="Save probes, answers and options (netprobe interpret reprints them).")
@db_option
@click.pass_context
def command(ctx: click.Context, **options: object) -> None:
    """Trace the route to TARGET, probing every TTL at once (Paris traceroute).

    \b
    Every probe of a trace keeps the same flow identifier (addresses, ports,
    ICMP checksum, IPv6 flow label), so load balancers send them all down one
    branch and the path shown exists; --flow N follows another flow and
    --multipath finds every branch (MDA). Each hop lists its answers: RTT
    and kind (time-exceeded, port-unreach, echo-reply, syn-ack, reset, or
    traceroute's !H !N !P !F !S !X ...), '*' for no answer, and MPLS labels
    quoted in ICMP extensions (RFC 4884/4950). A hop whose ICMP rate limit
    cut its answers short is marked (rate-limited); a hop that is silent
    below one that answers, in a trace that shows rate limiting, is asked
    again once its limiter has refilled (about 1 s for IPv4). --rounds N
    redraws mtr's table after each round on a terminal; SNT counts rounds.
    -i IFACE sends and reads there, whatever the routes say.
    \b
    JSON Lines: {"type": "hop", "ttl", "probes": [{"addr", "rtt_ms", "reply"}],
    "addrs", "mpls", "rate_limited"} per hop (with rounds, sent, loss_pct and
    rtt_*_ms over --rounds), then {"type": "path", "dst", "reached", "hops", ...},
    once the trace is done.
    """
    from netprobe.plugins.traceroute.trace_command import execute

    execute(ctx.obj, **options)  # type: ignore[arg-type]


#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command, report=deferred("netprobe.plugins.traceroute.interpret:report"),
                render=deferred("netprobe.plugins.traceroute.interpret:render"),
                history_kind="traceroute")
