"""``netprobe flows``: the command line, from options to output."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from netprobe.cli_types import json_option, option
from netprobe.errors import EXIT_RUNTIME, UsageError

if TYPE_CHECKING:  # imported when the command runs
    from netprobe.plugins.flows.flow_table import FlowTable
    from netprobe.services.output import Output


@click.command("flows")
# No checks by click: a missing or unreadable file is an error of that file
# (one line, exit 4 at the end) and the other files are still analysed.
@click.argument("files", nargs=-1, required=True, type=click.Path(readable=False,
                                                                  allow_dash=True))
@option("--top", "top", type=int, default=10, show_default=True,
        help="Show the N largest flows; 0 shows every flow.")
@click.option("--by", type=click.Choice(["bytes", "packets", "duration"]), default="bytes",
              show_default=True, help="What makes a flow large.")
@click.option("--per-file", is_flag=True,
              help="One table per file instead of one for all files together (JSON records "
                   "then carry a \"file\" key).")
@click.option("--plot", "plot", metavar="OUT",
              help="Plot the top flows' bytes and the flow-size distribution into OUT "
                   "(.png, .svg or .pdf; needs matplotlib), or draw the bars in the "
                   "terminal with --plot -.")
@click.option("--jobs", "-j", type=int, default=1, show_default=True, metavar="N",
              help="Local processes to use: files are shared out, and large pcap files "
                   "cut into byte ranges.")
@option("--scheduler", "scheduler",
        help="Run the parts on this Dask distributed cluster (needs the 'distributed' "
             "package; the workers must see the same file paths).")
@json_option("JSON Lines: one object per flow, then a summary")
@click.pass_context
def command(ctx: click.Context, files: tuple[str, ...], top: int, by: str, per_file: bool,
            plot: str | None, jobs: int, scheduler: str | None, as_json: bool | None) -> None:
    """Group the packets of capture FILES into flows and show the largest ones.

    A flow is a conversation: protocol and two endpoints (address and port),
    both directions together, as tshark's conversation tables count them
    with reassembly off. Endpoint A is the sender of the first packet; bytes
    are frame lengths on the wire. TCP and UDP over IPv4 and IPv6 (in VLANs,
    tunnels, on every link type decoded); other IP protocols (ICMP, GRE, ...)
    make flows without ports. Several files are one stream in time order,
    unless --per-file.

    \b
    With --json or on a pipe, one object per flow, then a summary:
      {"type": "flow", "proto", "a", "a_port", "b", "b_port", "packets",
       "bytes", "a_to_b": {"packets", "bytes"}, "b_to_a": {...}, "ts",
       "duration_s", "community_id", "state"}
      {"type": "summary", "packets", "bytes", "flows", "flow_bytes",
       "flow_packets", "top_bytes_share", "no_flow": {"not_ip", "truncated", ...}, ...}
      flow_bytes/flow_packets: what the flows hold; a tunnelled packet counts
      in each of its flows (as in tshark's conversations), and shares are of these
      state: Zeek's conn_state (S0, SF, REJ, RSTO, ...)
      community_id: the Community ID v1 (seed 0), to join Zeek and Suricata logs

    \b
    Examples:
      netprobe flows trace.pcap
      netprobe flows a.pcap b.pcapng --top 20 --by packets --plot flows.png
      netprobe flows big.pcap --jobs 4 --top 0 --json > flows.jsonl
      netprobe flows big.pcap --scheduler tcp://10.0.0.5:8786

    A missing, unreadable, damaged or non-capture file, or one of a link type
    that is not decoded, gives one error line (with the offset of any
    damage); the packets before the damage are counted, the other files
    analysed, and the exit status is 4.
    """
    from netprobe.services.output import Output

    if top < 0:
        raise UsageError(f"--top must be 0 (every flow) or more, not {top}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {jobs}")
    if plot and plot != "-":
        from netprobe.plugins.flows.plot import check_destination

        check_destination(plot)
    output = Output.current(as_json)
    failed = run(output, list(files), top=top, by=by, per_file=per_file, plot=plot, jobs=jobs,
                 scheduler=scheduler)
    if failed:
        ctx.exit(EXIT_RUNTIME)


def run(output: Output, files: list[str], *, top: int, by: str, per_file: bool, plot: str | None,
        jobs: int, scheduler: str | None) -> bool:
    """Analyse, print, plot; True when some file was bad."""
    import os

    # numpy's BLAS is never used here: its idle threads would only take CPU
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from netprobe.plugins.flows.analysis import (
        analyse_part,
        join_parts,
        merge_files,
        plan_parts,
    )
    from netprobe.services.cluster import run_tasks

    parts = plan_parts(files, jobs if not scheduler else max(jobs, 2))
    total = sum(p.size for p in parts)
    with output.progress(total or None, "reading") as bar:
        if jobs == 1 and not scheduler:
            results = [analyse_part(p, bar.advance) for p in parts]
        else:
            results = run_tasks(analyse_part, parts, jobs=jobs, scheduler=scheduler,
                                on_done=lambda _i, r: bar.advance(r.part.size))
        file_results = join_parts(results)
    failed = False
    for fr in file_results:
        for message in fr.errors:
            failed = True
            _error(message)
        for lt, count in sorted(fr.table.totals.unknown_links.items()):
            failed = True
            _error(f"{fr.path}: link type {lt} is not supported; its {count:,} packets "
                   "belong to no flow")
    if per_file:
        tables = [(fr.path, fr.table) for fr in file_results]
    else:
        tables = [(", ".join(files) if len(files) <= 3 else f"{len(files)} files",
                   merge_files(file_results))]
    _report(output, tables, top=top, by=by, per_file=per_file, plot=plot)
    return failed


def _report(output: Output, tables: list[tuple[str, FlowTable]], *, top: int, by: str,
            per_file: bool, plot: str | None) -> None:
    from netprobe.plugins.flows import render
    from netprobe.plugins.flows.interpret import Options, flow_records, summary_record

    options = Options(top=top, by=by)
    plots = []
    for name, table in tables:
        records = list(flow_records(table, options))
        summary = summary_record(table, options)
        if output.json:
            for record in records:
                output.emit(_with_file(record, name) if per_file else record)
            output.emit(_with_file(summary, name) if per_file else summary)
        else:
            shown = f"top {len(records)}" if top else "all"
            render.show(output, records, summary, f"{name}: {shown} flows by {by}")
        if plot == "-":
            render.draw_bars(output, records, f"{name}: bytes of the {len(records)} largest "
                                              f"flows by {by}")
        elif plot:
            from netprobe.plugins.flows.plot import PlotData

            sizes = table.column("by_lo") + table.column("by_hi")
            plots.append(PlotData(name, records, sizes, by, summary["flow_bytes"]))
    if plot and plot != "-":
        from netprobe.plugins.flows.plot import write_plot

        write_plot(plot, plots)


def _with_file(record: dict, name: str) -> dict:
    out = {"type": record["type"], "file": name}
    out.update((k, v) for k, v in record.items() if k != "type")
    return out


def _error(message: str) -> None:
    text = " ".join(str(message).split())
    sys.stderr.write(f"netprobe: error: {text}\n")
    sys.stderr.flush()
