"""``netprobe read``: print the packets of capture files (pcap or pcapng)."""

from __future__ import annotations

from typing import Any

import click

from netprobe.errors import (
    EXIT_RUNTIME,
    CaptureFileError,
    NetprobeError,
    RuntimeProblem,
    UsageError,
)


@click.command("read")
# No checks by click: a missing, unreadable or wrong file is an error of that file
# (one line, exit 4) and the other files are still read.
@click.argument("files", nargs=-1, required=True, type=click.Path(readable=False,
                                                                  allow_dash=True))
@click.option("-c", "--count", type=click.IntRange(min=1), default=None,
              help="Stop after N packets (over all files).")
@click.option("-f", "--filter", "bpf", metavar="BPF", default=None,
              help="Keep only packets matching this pcap-filter(7) expression.")
@click.option("-w", "--write", "out", metavar="OUT", default=None,
              help="Write the packets read (after --filter) to OUT: pcapng if it ends in "
                   ".pcapng, else pcap (one link type only). Written atomically: after a "
                   "failure nothing is left at OUT.")
@click.option("--json/--no-json", "as_json", default=None,
              help="JSON Lines, one object per packet (the default on a pipe).")
@click.pass_context
def command(ctx: click.Context, files: tuple[str, ...], count: int | None, bpf: str | None,
            out: str | None, as_json: bool | None) -> None:
    """Dissect and print the packets of capture FILES (pcap or pcapng, by magic number).

    \b
    On a terminal: one tcpdump-like line per packet.
    With --json or on a pipe, one JSON object per packet:
      {"n", "ts", "len", "caplen", "linktype", "layers": [{"layer": ...}], "errors"}

    \b
    Examples:
      netprobe read trace.pcap -c 10
      netprobe read trace.pcapng -f 'tcp port 443' --json | jq .layers
      netprobe read a.pcap b.pcap -f icmp -w icmp-only.pcapng

    A damaged file gives one error line naming the file and the offset; the
    packets before the damage are printed first (and written, with -w: a
    truncated capture can be salvaged) and the other files are still read;
    the exit status is then 4. A failure to write OUT stops the command and
    leaves nothing at OUT.
    """
    from netprobe.output import Output
    from netprobe.packet import LINKTYPES, dissect
    from netprobe.plugins.packetview import packet_line, packet_record
    from netprobe.wire.pcapfile import open_capture

    output = Output.current()
    if as_json is not None:
        output.json = as_json
    filters: dict[int, Any] = {}
    if bpf is not None:
        _check_syntax(bpf)
    writer = _Writer(out) if out else None
    n = 0
    failed = False
    unknown: set[tuple[str, int]] = set()
    try:
        for path in files:
            try:
                with open_capture(path) as reader:
                    for rec in reader:
                        if bpf is not None:
                            flt = filters.get(rec.linktype)
                            if flt is None:
                                flt = filters[rec.linktype] = _compile(bpf, rec.linktype)
                            if not flt.matches(rec.data):
                                continue
                        n += 1
                        if writer is not None:
                            writer.add(rec)
                        if rec.linktype not in LINKTYPES and (path, rec.linktype) not in unknown:
                            # shown as Raw all the same; said once per file, and exit 4
                            unknown.add((path, rec.linktype))
                            failed = True
                            click.echo(f"netprobe: error: {path}: unknown link type "
                                       f"{rec.linktype}; its packets are shown as Raw",
                                       err=True)
                        pkt = dissect(rec.data, rec.linktype, rec.wirelen)
                        ts = rec.ts_str
                        if output.json:
                            output.emit(packet_record(n, ts, rec.wirelen, rec.caplen,
                                                      rec.linktype, pkt))
                        else:
                            output.line(packet_line(n, ts, rec.wirelen, pkt))
                        if count is not None and n >= count:
                            break
            except CaptureFileError as exc:
                failed = True
                click.echo(f"netprobe: error: {exc}", err=True)
            except BrokenPipeError:
                raise  # our reader (head, less) went away: the CLI ends quietly
            except OSError as exc:
                failed = True
                click.echo(f"netprobe: error: {path}: {exc.strerror or exc}", err=True)
            if count is not None and n >= count:
                break
        if writer is not None:
            writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if failed:
        ctx.exit(EXIT_RUNTIME)


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


def _compile(expr: str, linktype: int) -> Any:
    from netprobe.wire.bpf import compile_filter

    try:
        return compile_filter(expr, linktype)
    except NetprobeError:
        raise
    except Exception as exc:
        raise UsageError(f"bad filter {expr!r}: {exc}") from None


class OutputFileError(RuntimeProblem):
    """Writing ``-w OUT`` failed: the command stops (an input error lets it go on)."""


class _Writer:
    """Writes records to ``-w OUT``: pcapng if OUT ends in .pcapng, else pcap.

    Its failures are raised as ``OutputFileError``, never as the ``OSError`` or
    ``CaptureFileError`` that the read loop takes for a damaged input file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.records: list[Any] = []
        self.writer: Any = None
        self.ifaces: dict[int, int] = {}
        self.pcapng = path.endswith(".pcapng")

    def add(self, rec: Any) -> None:
        """Write one record (opening OUT on the first)."""
        try:
            self._add(rec)
        except (OSError, CaptureFileError) as exc:
            raise OutputFileError(_output_problem(self.path, exc)) from exc

    def _add(self, rec: Any) -> None:
        from netprobe.wire.pcapfile import PcapngWriter, PcapWriter

        if self.writer is None:
            if self.pcapng:
                self.writer = PcapngWriter(self.path)
            else:
                self.writer = PcapWriter(self.path, rec.linktype, nanosecond=rec.ts_units > 10**6)
        if self.pcapng:
            idx = self.ifaces.get(rec.linktype)
            if idx is None:
                idx = self.ifaces[rec.linktype] = self.writer.add_interface(rec.linktype)
            self.writer.write(rec.data, rec.ts_sec, rec.ts_frac, rec.ts_units, rec.wirelen, idx)
        else:
            if rec.linktype != self.writer.linktype:
                raise UsageError(f"{self.path}: the packets have several link types; "
                                 "write a .pcapng file instead")
            self.writer.write(rec.data, rec.ts_sec, rec.ts_frac, rec.ts_units, rec.wirelen)

    def close(self) -> None:
        """Finish OUT and move it into place."""
        try:
            if self.writer is None:
                from netprobe.wire.pcapfile import PcapngWriter, PcapWriter

                # no packet: an empty capture, as tcpdump writes
                self.writer = PcapngWriter(self.path) if self.pcapng else PcapWriter(
                    self.path, 1)
            self.writer.close()
        except (OSError, CaptureFileError) as exc:
            raise OutputFileError(_output_problem(self.path, exc)) from exc

    def abort(self) -> None:
        """Give up: nothing is left at OUT."""
        if self.writer is not None:
            self.writer.abort()


def _output_problem(path: str, exc: BaseException) -> str:
    if isinstance(exc, CaptureFileError):
        return str(exc)
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"{path}: cannot write: {reason}"
