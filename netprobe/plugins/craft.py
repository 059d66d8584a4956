"""``netprobe craft``: build packets from an expression and print or save them."""

from __future__ import annotations

import time

import click


@click.command("craft")
@click.argument("expression")
@click.option("--show", "mode", flag_value="show", help="Print every field, layer by layer.")
@click.option("--hex", "mode", flag_value="hex", help="Print each packet as one hex line.")
@click.option("--json/--no-json", "as_json", default=None,
              help="JSON Lines, one object per packet (the default on a pipe).")
@click.option("-w", "--write", "out", metavar="OUT",
              help="Write the packets to a capture file (pcapng if OUT ends in .pcapng, "
                   "else pcap), atomically.")
@click.option("--limit", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Refuse packet sets larger than this.")
def command(expression: str, mode: str | None, as_json: bool | None, out: str | None,
            limit: int) -> None:
    """Build the packets EXPRESSION describes and print them (nothing is sent).

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
    """
    from netprobe.errors import UsageError
    from netprobe.output import Output
    from netprobe.packet import dissect_as
    from netprobe.packet.expr import parse_packet
    from netprobe.plugins.packetview import packet_record, packet_text
    from netprobe.wire.route import install_source_hook

    install_source_hook()
    output = Output.current()
    if as_json is not None:
        output.json = as_json
    elif mode is not None:
        output.json = False  # --hex / --show asked for that form, also on a pipe
    packet = parse_packet(expression)
    total = len(packet)
    if total > limit:
        raise UsageError(f"the expression makes {total} packets, more than --limit {limit}")
    writer = None
    if out:
        writer = _open_writer(out, packet)
    try:
        for n, p in enumerate(packet, 1):
            data = p.build()
            built = dissect_as(type(p), data)
            if writer is not None:
                ns = time.time_ns()
                writer.write(data, ns // 10**9, ns % 10**9, 10**9)
            if output.json:
                rec = packet_record(n, None, len(data), len(data), _linktype(p), built)
                rec["hex"] = data.hex()
                output.emit(rec)
            elif mode == "hex":
                output.line(data.hex())
            elif mode == "show":
                output.line(built.show_text())
            else:
                output.line(f"{n} {packet_text(built)} length {len(data)}")
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()


def _linktype(p: object) -> int | None:
    """The capture link type a packet starting with ``p``'s layer is written with.

    IP and IPv6 go as LINKTYPE_RAW (101); a link layer as the link type it is
    registered for (Ether 1, Loopback 0, CookedLinux 113, ...); anything else
    (a bare TCP header, ARP without Ether) has none.
    """
    from netprobe.packet import LINKTYPES

    cls = type(p)
    if cls.__name__ in ("IP", "IPv6"):
        return 101
    found = [n for n, c in LINKTYPES.items() if c is cls]
    return min(found) if found else None


def _open_writer(path: str, packet: object) -> object:
    from netprobe.errors import UsageError
    from netprobe.wire.pcapfile import PcapngWriter, PcapWriter

    lt = _linktype(packet)
    if lt is None:
        raise UsageError(f"{type(packet).__name__} is no link layer: a capture file needs "
                         "packets that start with Ether(), IP() or IPv6() (or another "
                         "link layer)")
    if path.endswith(".pcapng"):
        w = PcapngWriter(path)
        w.add_interface(lt)
        return w
    return PcapWriter(path, lt, nanosecond=True)
