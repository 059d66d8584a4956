"""``netprobe sniff``: live capture, printed like ``netprobe read``."""

from __future__ import annotations

import time

import click


@click.command("sniff")
@click.option("-i", "--iface", default=None, metavar="IFACE",
              help="Interface to capture on (default: the default route's; 'any' for all).")
@click.option("-f", "--filter", "bpf", default=None, metavar="BPF",
              help="Kernel capture filter, pcap-filter(7) syntax: 'tcp port 80'.")
@click.option("-c", "--count", type=click.IntRange(min=1), default=None,
              help="Stop after N packets.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="SECONDS", help="Stop after this many seconds.")
@click.option("-w", "--write", "out", default=None, metavar="OUT.pcapng",
              help="Also save the packets (pcapng), written atomically when the capture ends.")
@click.option("--json/--no-json", "as_json", default=None,
              help="JSON Lines, one object per packet (the default on a pipe).")
def command(iface: str | None, bpf: str | None, count: int | None, timeout: float | None,
            out: str | None, as_json: bool | None) -> None:
    """Capture live packets and print them like `netprobe read` (needs root).

    \b
    Examples:
      netprobe sniff -i eth0 -f 'icmp or arp' -c 10
      netprobe sniff -i any --timeout 5 -w five-seconds.pcapng --json | jq .layers[1]

    Without --count or --timeout it runs until Ctrl-C; the packets captured so
    far are printed (and saved with -w) before it exits. Drop counts from the
    kernel are reported on stderr at the end.
    """
    from netprobe.output import Output
    from netprobe.packet import dissect
    from netprobe.plugins.packetview import packet_line, packet_record
    from netprobe.wire import iface as iface_mod
    from netprobe.wire.capture import Capture
    from netprobe.wire.privileges import require_raw_sockets

    output = Output.current()
    if as_json is not None:
        output.json = as_json
    require_raw_sockets("capturing packets", "run as root")
    name = iface
    if name is None:
        gw = iface_mod.default_gateway(4) or iface_mod.default_gateway(6)
        name = getattr(gw, "iface", None) or "any"
    else:
        iface_mod.require_interface(name) if name != "any" else None
    writer = None
    n = 0
    deadline = None if timeout is None else time.monotonic() + timeout
    with Capture(name, bpf, timeout_ms=20) as cap:
        if out:
            from netprobe.wire.pcapfile import PcapngWriter

            writer = PcapngWriter(out)
            writer.add_interface(cap.linktype, name=name)
        try:
            while deadline is None or time.monotonic() < deadline:
                for ts, frame in cap.read_batch(256):
                    n += 1
                    ns = round(ts * 1e9)
                    ts_str = f"{ns // 10**9}.{ns % 10**9 // 1000:06d}"
                    if writer is not None:
                        writer.write(frame, ns // 10**9, ns % 10**9, 10**9)
                    pkt = dissect(frame, cap.linktype)
                    if output.json:
                        output.emit(packet_record(n, ts_str, len(frame), len(frame),
                                                  cap.linktype, pkt))
                    else:
                        output.line(packet_line(n, ts_str, len(frame), pkt))
                    if count is not None and n >= count:
                        break
                else:
                    continue
                break
        except KeyboardInterrupt:
            pass
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        if writer is not None:
            writer.close()
        stats = cap.stats()
    if stats.dropped or stats.if_dropped:
        output.warn(f"the kernel dropped {stats.dropped + stats.if_dropped} packets "
                    "(capture buffer full)")
