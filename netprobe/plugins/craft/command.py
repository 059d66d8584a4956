"""The ``netprobe craft`` command: options, checks, and the order things happen in."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TypedDict

import click

from netprobe.cli_types import Duration, Suggest, json_option, option
from netprobe.errors import UsageError
from netprobe.services.save_path import check_save_path

if TYPE_CHECKING:
    from collections.abc import Iterable

    from netprobe.engine.results import Result
    from netprobe.plugins.craft.edit import Edits
    from netprobe.plugins.craft.plan import Crafted, SendPlan
    from netprobe.plugins.craft.source import Source
    from netprobe.services.output import Output
    from netprobe.wire.scope import Scope


def _layer_names() -> tuple[str, ...]:
    """Every layer's name (for shell completion; imports the packet floor only then)."""
    from netprobe.packet import layer_classes

    return tuple(sorted(layer_classes()))


#: options that only mean something when packets are sent
class SendOptions(TypedDict):
    """The options of ``--send`` and ``--sr``, as given (None: not given)."""

    count: int | None
    interval: float | None
    rate: float | None
    iface: str | None
    timeout: float | None
    retry: int | None
    save: str | None


_SENDING = ("count", "interval", "rate", "iface")
_MATCHING = ("timeout", "retry", "save")


@click.command("craft")
@click.argument("expression", required=False)
@click.option("--from", "from_file", metavar="FILE",
              help="Craft from the packets of a capture file (pcap or pcapng) instead of an "
                   "expression.")
@click.option("--from-hex", "from_hex", metavar="HEX", multiple=True,
              help="Craft from a packet given in hex (repeatable; '-' reads one packet per "
                   "line of standard input).")
@click.option("--linktype", type=click.IntRange(min=0), default=None, metavar="N",
              help="Link type of --from-hex packets (1 Ethernet, 101 raw IP); default: "
                   "guessed from the first byte.")
@click.option("--set", "sets", metavar="LAYER.FIELD=VALUE", multiple=True,
              help="Change a field of the first LAYER of each packet, e.g. TCP.dport=443, "
                   "IP.ttl=5, IP.dst=198.18.1.11, TCP.dport=[80,443]; None recomputes it. "
                   "Repeatable.")
@click.option("--del", "dels", metavar="LAYER", multiple=True, type=Suggest(_layer_names),
              help="Remove every LAYER of each packet (e.g. Raw, Padding, Dot1Q). Repeatable.")
@click.option("--flags", "flags", metavar="FLAGS", default=None,
              type=Suggest(("syn", "synack", "ack", "fin", "rst", "psh", "xmas", "null",
                            "maimon", "S", "SA", "A", "F", "R", "PA", "FA")),
              help="TCP flags: letters (S, SA, FPU, '') or a name (syn, synack, ack, fin, "
                   "rst, psh, xmas, null, maimon).")
@click.option("--badsum", is_flag=True,
              help="Make every checksum the packet computes wrong (those set by hand stay).")
@click.option("--fragment", "fragment_size", type=click.IntRange(min=1), default=None,
              metavar="SIZE",
              help="Cut IPv4 and IPv6 packets into fragments of SIZE payload bytes (a multiple "
                   "of 8).")
@click.option("--send", "action", flag_value="send",
              help="Send the packets (layer 2 if they start with Ethernet, else layer 3).")
@click.option("--sr", "action", flag_value="sr",
              help="Send the packets and show each with its answer, or 'no answer'.")
@option("--count", "count", type=click.IntRange(min=1),
        help="Send each packet N times (default 1).")
@option("--interval", "interval", type=Duration(), help="Wait this long between two packets.")
@option("--rate", "rate", type=click.FloatRange(min=0, min_open=True),
        help="Send at most this many packets per second.")
@option("--timeout", "timeout", type=Duration(min_open=False),
        help="--sr: wait this long for an answer after the last send (default 2).")
@option("--retries", "retry", old=("--retry",), type=click.IntRange(min=0),
        help="--sr: send unanswered probes again this many times (default 0).")
@option("--iface", "iface", old=("-I",), help="Send on this interface (default: the route's).")
@option("--save", "save",
        help="--sr: keep probes, answers and the run's description in a pcapng file "
             "(netprobe interpret RUN.pcapng prints the results again).")
@click.option("--show", "mode", flag_value="show", help="Print every field, layer by layer.")
@click.option("--hex", "mode", flag_value="hex", help="Print each packet as one hex line.")
@json_option("JSON Lines, one object per packet")
@option("--write", "out", metavar="OUT",
        help="Write the packets to a capture file (pcapng if OUT ends in .pcapng, "
             "else pcap), atomically.")
@click.option("--limit", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              metavar="N",
              help="Refuse to make more packets than this.")
@click.pass_context
def command(ctx: click.Context, expression: str | None, from_file: str | None,
            from_hex: tuple[str, ...], linktype: int | None, sets: tuple[str, ...],
            dels: tuple[str, ...], flags: str | None, badsum: bool,
            fragment_size: int | None, action: str | None, count: int | None,
            interval: float | None, rate: float | None, timeout: float | None,
            retry: int | None, iface: str | None, save: str | None, mode: str | None,
            as_json: bool | None, out: str | None, limit: int) -> None:
    """Build packets, change them, and print, write or send them.

    \b
    EXPRESSION stacks layers with '/', Scapy style; a field given a list or
    range() makes a set of packets (one per combination):
      'Ether(dst="ff:ff:ff:ff:ff:ff")/IP(dst="198.18.1.10")/TCP(dport=[22,80],flags="S")'
      'IP(dst="198.18.1.0/30")/UDP(dport=range(33434,33437))/"payload"'
    Unset fields are filled while building: lengths, checksums, protocol
    numbers, and the source address from the route to the destination.
    Setting a field by hand keeps it (a wrong checksum on purpose stays).
    Only layer names, literals, lists, range() and '/' are accepted: the
    expression is parsed, never evaluated.

    \b
    Instead of an expression, --from FILE or --from-hex HEX gives packets
    to change: --del removes layers, then --set and --flags change fields
    (lengths and checksums are computed again unless set), --badsum breaks
    checksums, --fragment cuts IP packets into fragments.

    \b
    Examples:
      netprobe craft 'IP(dst="198.18.1.11")/TCP(dport=[22,80,81])' --flags S --sr
      netprobe craft 'IP(dst="198.18.1.11")/ICMP()/"0123456789abcdef0123"' --fragment 16 --sr
      netprobe craft --from syn.pcap --set TCP.dport=443 --set IP.ttl=5 -w out.pcap
      netprobe craft 'IP(dst="198.18.1.12")/UDP(dport=514)' --send -c 5 --interval 0.2

    Nothing is sent without --send or --sr. --sr prints one record per probe
    ({"type": "probe", "n", "sent", "answer" or null, "rtt_ms", "sends"})
    and a summary ({"type": "summary", ...}).
    """
    from netprobe.plugins.craft import plan as planning
    from netprobe.plugins.craft import source
    from netprobe.services.output import Output
    from netprobe.wire.route import install_source_hook

    given: SendOptions = {"count": count, "interval": interval, "rate": rate, "iface": iface,
                          "timeout": timeout, "retry": retry, "save": save}
    _check_combinations(expression, from_file, from_hex, linktype, action, given)
    edits = _edits(sets, dels, flags, badsum)
    install_source_hook()
    output = Output.current(as_json)
    if as_json is None and mode is not None:
        output.json = False  # --hex / --show asked for that form, also on a pipe

    if from_file is not None:
        sources: Iterable[Source] = source.from_capture(from_file)
    elif from_hex:
        sources = source.from_hex(from_hex, linktype)
    else:
        sources = source.from_expression(expression or "")
    crafted = planning.craft(sources, edits, fragment_size=fragment_size, limit=limit)
    send_plan = planning.send_plan(crafted) if action else None
    if send_plan is not None and badsum and not send_plan.layer2 and any(
            c.layer.haslayer("IP") for c in crafted):
        output.warn("sent at layer 3, IPv4 packets get their header checksum from the kernel; "
                    "the checksums above it stay wrong (start with Ether()/ to send a wrong "
                    "IPv4 header checksum)")
    if save:
        check_save_path(save)
    if out:
        from netprobe.plugins.craft.capture_out import write_capture

        write_capture(out, crafted)
    if action == "sr":
        assert send_plan is not None
        _send_receive(ctx, output, crafted, send_plan, given, save)
    elif action == "send":
        assert send_plan is not None
        _send(ctx, output, crafted, send_plan, given, mode)
    else:
        _print_packets(output, crafted, mode)


def _check_combinations(expression: str | None, from_file: str | None,
                        from_hex: tuple[str, ...], linktype: int | None, action: str | None,
                        given: SendOptions) -> None:
    """Refuse option combinations that cannot mean anything, before any work."""
    inputs = [x for x, on in (("EXPRESSION", expression is not None),
                              ("--from", from_file is not None),
                              ("--from-hex", bool(from_hex))) if on]
    if not inputs:
        raise UsageError("give a packet EXPRESSION, --from FILE or --from-hex HEX")
    if len(inputs) > 1:
        raise UsageError(f"{' and '.join(inputs)}: give only one source of packets")
    if linktype is not None and not from_hex:
        raise UsageError("--linktype goes with --from-hex")
    for name in (*_SENDING, *_MATCHING):
        if given[name] is None:
            continue
        flag = "-I" if name == "iface" else f"--{name}"
        if action is None:
            raise UsageError(f"{flag} goes with --send or --sr")
        if name in _MATCHING and action != "sr":
            raise UsageError(f"{flag} goes with --sr")
    if given["interval"] is not None and given["rate"] is not None:
        raise UsageError("--interval and --rate both set the pace: give one")


def _edits(sets: tuple[str, ...], dels: tuple[str, ...], flags: str | None,
           badsum: bool) -> Edits:
    from netprobe.plugins.craft.edit import Edits, flags_change, parse_del, parse_set

    changes = [parse_set(s) for s in sets]
    if flags is not None:
        changes.append(flags_change(flags))
    return Edits(changes=changes, deletions=[parse_del(d) for d in dels], badsum=badsum)


def _scope(ctx: click.Context) -> Scope | None:
    """The root command's scope (--scope FILE or NETPROBE_SCOPE), when run from the CLI."""
    settings = ctx.find_root().obj
    return getattr(settings, "scope", None)


def _print_packets(output: Output, crafted: list[Crafted], mode: str | None) -> None:
    from netprobe.packet import dissect_as
    from netprobe.services.packetview import packet_line, packet_record
    from netprobe.wire.pcapfile import format_timestamp

    for n, c in enumerate(crafted, 1):
        data = c.build()
        built = dissect_as(type(c.layer), data)
        if output.json:
            ts = None if c.ts is None else format_timestamp(*c.ts)
            rec = packet_record(n, ts, len(data), len(data), c.linktype, built)
            if c.frags > 1:
                rec["fragment"] = {"unit": c.unit + 1, "index": c.frag + 1, "of": c.frags}
            rec["hex"] = data.hex()
            output.emit(rec)
        elif mode == "hex":
            output.line(data.hex())
        elif mode == "show":
            output.line(built.show_text())
        else:
            output.line(packet_line(n, "", len(data), built, piece=(c.frag, c.frags)))


def _send(ctx: click.Context, output: Output, crafted: list[Crafted], send_plan: SendPlan,
          given: SendOptions, mode: str | None) -> None:
    """--send: send, then print the packets and how many went out."""
    from netprobe.plugins.craft.render import plural
    from netprobe.plugins.craft.run import Pacing, send_packets

    pacing = Pacing(given["count"] or 1, given["interval"], given["rate"])
    accepted = send_packets(send_plan, pacing, iface=given["iface"], scope=_scope(ctx))
    _print_packets(output, crafted, mode)
    total = len(send_plan.packets) * pacing.count
    if output.json:
        output.emit({"type": "sent", "packets": total, "accepted": accepted})
    else:
        output.line(f"sent {accepted} of {plural(total, 'packet')}")
    if accepted < total:
        output.warn(f"the kernel refused {total - accepted} of {total} packets")


def _send_receive(ctx: click.Context, output: Output, crafted: list[Crafted],
                  send_plan: SendPlan, given: SendOptions, save: str | None) -> None:
    from netprobe.engine.runfile import save_run
    from netprobe.plugins.craft.interpret import (
        DEFAULT_OPTIONS,
        is_shown,
        probe_record,
        summary_record,
    )
    from netprobe.plugins.craft.render import record_line, summary_line
    from netprobe.plugins.craft.run import Pacing, send_receive

    options = dict(DEFAULT_OPTIONS)
    pacing = Pacing(given["count"] or 1, given["interval"], given["rate"])

    def show(result: Result) -> None:
        if not is_shown(result):
            return
        output.emit(probe_record(result, options), record_line)

    timeout = 2.0 if given["timeout"] is None else given["timeout"]
    retry = given["retry"] or 0
    outcome = send_receive(crafted, send_plan, pacing, timeout=timeout, retry=retry,
                           iface=given["iface"], scope=_scope(ctx), on_result=show)
    counters = outcome.counters.to_dict()
    summary = summary_record(outcome.results, counters)
    output.emit(summary, summary_line)
    if save:
        save_run(save, outcome.results, plugin="craft", argv=sys.argv[1:], options=options,
                 counters=counters)
