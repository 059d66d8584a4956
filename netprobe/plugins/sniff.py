"""``netprobe sniff``: live capture, printed like ``netprobe read``."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from netprobe.cli_types import Duration, option, packet_view_options
from netprobe.services.plugin_record import Plugin

if TYPE_CHECKING:  # imported when the command runs, not when the CLI starts
    from netprobe.services.capture_out import CaptureOut
    from netprobe.services.packet_show import PacketShow
    from netprobe.wire.capture import Capture


@click.command("sniff")
@click.argument("expression", nargs=-1, metavar="[EXPRESSION]")
@option("--iface", "iface",
        help="Interface to capture on (default: the default route's; 'any' for all).")
@option("--filter", "bpf", old=("-f",),
        help="Kernel capture filter, pcap-filter(7) syntax: 'tcp port 80' (or give it "
             "as the trailing words, as tcpdump).")
@option("--count", "count", type=click.IntRange(min=1), metavar=None,
        help="Stop after N packets.")
@option("--max-time", "max_time", old=("--timeout",), type=Duration(),
        help="Stop after this long (500ms, 2s, 5m).")
@option("--write", "out", metavar="OUT.pcapng",
        help="Also save the packets (pcapng), written atomically when the capture ends.")
@packet_view_options
def command(expression: tuple[str, ...], iface: str | None, bpf: str | None,
            count: int | None, max_time: float | None, out: str | None, numeric: bool,
            link: bool, hexdump: int, tstamp: int, as_json: bool | None) -> None:
    """Capture live packets and print them like `netprobe read` (needs root).

    \b
    Examples:
      netprobe sniff -i eth0 -c 10 icmp or arp
      netprobe sniff -i any --max-time 5s -w five-seconds.pcapng --json | jq .layers[1]

    Without --count or --max-time it runs until Ctrl-C; the packets captured
    so far are printed (and saved with -w), then the exit status is 130. At
    the end, on stderr, as tcpdump: "N packets captured", "N packets received
    by filter", "N packets dropped by kernel".
    """
    from netprobe.packet.optional_layers import load_all
    from netprobe.services.capture_out import CaptureOut
    from netprobe.services.output import Output
    from netprobe.services.packet_show import PacketShow, one_filter
    from netprobe.wire.capture import Capture
    from netprobe.wire.privileges import require_raw_sockets

    load_all()  # what Scapy dissects only once loaded (HTTP, MPLS): all of it here
    bpf = one_filter("sniff", bpf, " ".join(expression) if expression else None)
    output = Output.current(as_json)
    require_raw_sockets("capturing packets", "run as root")
    name = _interface(iface)
    show = PacketShow(output, link, hexdump, tstamp)
    deadline = None if max_time is None else time.monotonic() + max_time
    with Capture(name, bpf, timeout_ms=20) as cap:
        writer = None
        if out:
            writer = CaptureOut(out, pcapng=True)
            writer.interface(cap.linktype, name=name)
        n, interrupted = _capture(cap, show, writer, count, deadline)
        stats = cap.stats()
    sys.stdout.flush()
    for line in count_lines(n, stats.received, stats.dropped + stats.if_dropped):
        output.stderr.write(line + "\n")
    output.stderr.flush()
    if interrupted:
        raise KeyboardInterrupt  # the root command's Ctrl-C ending: one line, exit 130


def _interface(name: str | None) -> str:
    """The interface to capture on: the one asked for, else the default route's, else any."""
    from netprobe.wire import iface as iface_mod

    if name is None:
        gw = iface_mod.default_gateway(4) or iface_mod.default_gateway(6)
        return getattr(gw, "iface", None) or "any"
    if name != "any":
        iface_mod.require_interface(name)
    return name


def _capture(cap: Capture, show: PacketShow, writer: CaptureOut | None, count: int | None,
             deadline: float | None) -> tuple[int, bool]:
    """Show (and write) packets until ``count``, ``deadline`` or Ctrl-C: (packets, Ctrl-C).

    The capture file is finished, or left out when anything but Ctrl-C ends it.
    """
    from netprobe.packet import dissect

    n = 0
    interrupted = False
    try:
        while deadline is None or time.monotonic() < deadline:
            for ts, frame in cap.read_batch(256):
                n += 1
                ns = round(ts * 1e9)
                if writer is not None:
                    writer.write(frame, cap.linktype, ns // 10**9, ns % 10**9, 10**9)
                pkt = dissect(frame, cap.linktype)
                if show.json:
                    ts_str = f"{ns // 10**9}.{ns % 10**9 // 1000:06d}"
                    show.record(n, ts_str, len(frame), len(frame), cap.linktype, pkt)
                else:
                    show.line(n, ns, len(frame), frame, pkt)
                if count is not None and n >= count:
                    break
            else:
                continue
            break
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    return n, interrupted


def count_lines(captured: int, received: int, dropped: int) -> list[str]:
    """tcpdump's three closing lines: captured, received by filter, dropped by kernel."""
    def plural(k: int) -> str:
        return "packet" if k == 1 else "packets"
    return [f"{captured} {plural(captured)} captured",
            f"{received} {plural(received)} received by filter",
            f"{dropped} {plural(dropped)} dropped by kernel"]


#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command)
