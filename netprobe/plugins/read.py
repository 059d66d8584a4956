"""``netprobe read``: print the packets of capture files (pcap or pcapng)."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

import click

from netprobe.cli_types import option, packet_view_options
from netprobe.errors import EXIT_RUNTIME, CaptureFileError, NetprobeError, UsageError
from netprobe.services.plugin_record import Plugin

if TYPE_CHECKING:  # imported when the command runs, not when the CLI starts
    from netprobe.services.capture_out import CaptureOut
    from netprobe.services.packet_show import PacketShow
    from netprobe.wire.bpf import CompiledFilter
    from netprobe.wire.pcapfile.reader import CaptureReader
    from netprobe.wire.pcapfile.record import CaptureRecord

_CAPTURE_NAME = re.compile(r"\.(pcap|pcapng|cap|dmp|trace|ntar|erf)(\.gz)?$", re.IGNORECASE)


def split_words(words: tuple[str, ...], from_r: bool) -> tuple[list[str], str | None]:
    """(capture files, trailing filter expression) from the positional words.

    With ``-r`` every word is the expression, as in tcpdump. Without it the
    first word is a file, and so is each next word that names an existing
    path, ``-`` or looks like a capture file's name (``x.pcap``, ``dir/x``);
    the first other word starts the expression (``read a.pcap tcp port 80``).
    """
    if from_r:
        return [], " ".join(words) or None
    files: list[str] = []
    for i, word in enumerate(words):
        if i == 0 or word == "-" or "/" in word or _CAPTURE_NAME.search(word) or (
                os.path.exists(word)):
            files.append(word)
            continue
        return files, " ".join(words[i:])
    return files, None


@click.command("read")
# No checks by click: a missing, unreadable or wrong file is an error of that file
# (one line, exit 4) and the other files are still read.
@click.argument("words", nargs=-1, metavar="[FILE]... [EXPRESSION]")
@option("--read", "read_files", multiple=True,
        help="Read this capture file ('-' for stdin), as tcpdump -r; repeatable. "
             "The words after the options are then all the filter expression.")
@option("--count", "count", type=click.IntRange(min=1), metavar=None,
        help="Stop after N packets (over all files).")
@option("--filter", "bpf", old=("-f",),
        help="Keep only packets matching this pcap-filter(7) expression (or give it "
             "as the trailing words, as tcpdump).")
@option("--write", "out", metavar="OUT",
        help="Write the packets read (after the filter) to OUT: pcapng if it ends in "
             ".pcapng, else pcap (one link type only). Written atomically: after a "
             "failure nothing is left at OUT.")
@packet_view_options
@click.pass_context
def command(ctx: click.Context, words: tuple[str, ...], read_files: tuple[str, ...],
            count: int | None, bpf: str | None, out: str | None, numeric: bool, link: bool,
            hexdump: int, tstamp: int, as_json: bool | None) -> None:
    """Dissect and print the packets of capture FILES (pcap or pcapng, by magic number).

    \b
    On a terminal: one tcpdump-like line per packet; at the end "N packets"
    on stderr (as tcpdump counts). '-' reads the capture from stdin.
    With --json or on a pipe, one JSON object per packet:
      {"n", "ts", "len", "caplen", "linktype", "layers": [{"layer": ...}], "errors"}

    \b
    Examples:
      netprobe read trace.pcap -c 10
      netprobe read -r trace.pcapng -tttt -e tcp port 443
      netprobe read trace.pcapng --filter 'tcp port 443' --json | jq .layers
      netprobe read a.pcap b.pcap icmp -w icmp-only.pcapng
      tcpdump -w - -i eth0 | netprobe read -

    A damaged file gives one error line naming the file and the offset; the
    packets before the damage are printed first (and written, with -w: a
    truncated capture can be salvaged) and the other files are still read;
    the exit status is then 4. A failure to write OUT stops the command and
    leaves nothing at OUT.
    """
    from netprobe.packet.optional_layers import load_all
    from netprobe.services.capture_out import CaptureOut
    from netprobe.services.output import Output
    from netprobe.services.packet_show import PacketShow, one_filter

    load_all()  # what Scapy dissects only once loaded (HTTP, MPLS): all of it here

    files, expression = split_words(words, bool(read_files))
    files = list(read_files) + files
    if not files:
        raise UsageError("read: no capture file: give FILE or -r FILE ('-' for stdin)")
    bpf = one_filter("read", bpf, expression)
    output = Output.current(as_json)
    if bpf is not None:
        _check_syntax(bpf)
    view = PacketShow(output, link, hexdump, tstamp)
    reading = _Reading(view, bpf, count, CaptureOut(out) if out else None)
    reading.run(files)
    sys.stdout.flush()
    n = reading.n
    click.echo(f"{n} packet{'' if n == 1 else 's'}", err=True)
    if reading.failed:
        ctx.exit(EXIT_RUNTIME)


class _Reading:
    """Reads the files in turn: filters, writes, shows; counts packets and failures."""

    def __init__(self, view: PacketShow, bpf: str | None, count: int | None,
                 writer: CaptureOut | None) -> None:
        from netprobe.packet import LINKTYPES, dissect

        self.linktypes = LINKTYPES
        self.dissect = dissect
        self.view = view
        self.bpf = bpf
        self.count = count
        self.writer = writer
        self.filters: dict[int, CompiledFilter] = {}
        self.unknown: set[tuple[str, int]] = set()
        self.n = 0
        self.failed = False

    def run(self, files: list[str]) -> None:
        """Read every file (until ``count`` packets); OUT is finished, or left empty."""
        writer = self.writer
        try:
            for path in files:
                self._read_file(path)
                if self.count is not None and self.n >= self.count:
                    break
            if writer is not None:
                writer.close()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise

    def _read_file(self, path: str) -> None:
        """One file's packets; a damaged or unreadable file is one error line."""
        from netprobe.wire.pcapfile import open_capture

        try:
            with open_capture(path) as reader:
                _warn_reserved_bits(path, reader)
                for rec in reader:
                    if self._keep(rec):
                        self._take(path, rec)
                        if self.count is not None and self.n >= self.count:
                            break
        except CaptureFileError as exc:
            self.failed = True
            click.echo(f"netprobe: error: {exc}", err=True)
        except BrokenPipeError:
            raise  # our reader (head, less) went away: the CLI ends quietly
        except OSError as exc:
            self.failed = True
            click.echo(f"netprobe: error: {path}: {exc.strerror or exc}", err=True)

    def _keep(self, rec: CaptureRecord) -> bool:
        """Whether ``rec`` passes the filter (compiled once per link type)."""
        if self.bpf is None:
            return True
        flt = self.filters.get(rec.linktype)
        if flt is None:
            flt = self.filters[rec.linktype] = _compile(self.bpf, rec.linktype)
        return flt.matches(rec.data)

    def _take(self, path: str, rec: CaptureRecord) -> None:
        """Write, dissect and show one packet that passed the filter."""
        self.n += 1
        if self.writer is not None:
            self.writer.write(rec.data, rec.linktype, rec.ts_sec, rec.ts_frac, rec.ts_units,
                              rec.wirelen)
        if rec.linktype not in self.linktypes and (path, rec.linktype) not in self.unknown:
            # shown as Raw all the same; said once per file, and exit 4
            self.unknown.add((path, rec.linktype))
            self.failed = True
            click.echo(f"netprobe: error: {path}: unknown link type "
                       f"{rec.linktype}; its packets are shown as Raw", err=True)
        pkt = self.dissect(rec.data, rec.linktype, rec.wirelen)
        if self.view.json:
            self.view.record(self.n, rec.ts_str, rec.wirelen, rec.caplen, rec.linktype, pkt)
        else:
            self.view.line(self.n, rec.ts_ns, rec.wirelen, rec.data, pkt)


#: bits of a pcap header's link-type field that must be zero (pcap spec: 16-25)
_RESERVED_LINKTYPE_BITS = 0x03FF0000


def _warn_reserved_bits(path: str, reader: CaptureReader) -> None:
    """Say so when a pcap's link-type field has reserved bits set (read as its low 16 bits)."""
    header = getattr(reader, "header", None)
    field = getattr(header, "linktype_field", None)
    if isinstance(field, int) and field & _RESERVED_LINKTYPE_BITS:
        click.echo(f"netprobe: warning: {path}: the link-type field 0x{field:08x} has "
                   f"reserved bits set (0x{field & _RESERVED_LINKTYPE_BITS:08x}); read as "
                   f"link type {field & 0xFFFF}", err=True)


def _check_syntax(expr: str) -> None:
    """Refuse a filter no link type could accept before reading anything.

    Whether a filter fits depends on each file's link type (``ether host`` has
    no meaning on raw IP), so it is compiled per link type as files are read;
    a filter that compiles neither for Ethernet nor for raw IP is refused here,
    also when the files hold no packet at all.
    """
    from netprobe.wire.bpf import compile_filter

    try:
        compile_filter(expr, 1)
    except UsageError:
        compile_filter(expr, 101)


def _compile(expr: str, linktype: int) -> CompiledFilter:
    from netprobe.wire.bpf import compile_filter

    try:
        return compile_filter(expr, linktype)
    except NetprobeError:
        raise
    except Exception as exc:
        raise UsageError(f"bad filter {expr!r}: {exc}") from None


#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command)
