"""``-w OUT``: packets written to a capture file, as ``read``, ``craft`` and ``sniff`` do.

The file kind follows the name, as tcpdump and Wireshark choose it: pcapng
when OUT ends in ``.pcapng`` (one interface per link type, added as packets
of a new link type come), else pcap (one link type only). OUT is written
atomically: after a failure, or :meth:`CaptureOut.abort`, nothing is left
there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netprobe.errors import CaptureFileError, RuntimeProblem, UsageError

if TYPE_CHECKING:
    from netprobe.wire.pcapfile import PcapngWriter, PcapWriter


class OutputFileError(RuntimeProblem):
    """Writing ``-w OUT`` failed: the command stops (an input error lets it go on)."""


class CaptureOut:
    """One ``-w OUT`` file, opened on the first packet.

    Its failures are raised as ``OutputFileError``, never as the ``OSError`` or
    ``CaptureFileError`` that a read loop takes for a damaged input file.
    ``pcapng`` forces the kind (``sniff -w`` always writes pcapng);
    ``nanosecond`` the pcap timestamps (else nanoseconds when the first packet's
    timestamp is finer than microseconds).
    """

    def __init__(self, path: str, *, pcapng: bool | None = None,
                 nanosecond: bool | None = None) -> None:
        self.path = path
        self.pcapng = path.endswith(".pcapng") if pcapng is None else pcapng
        self.nanosecond = nanosecond
        self.writer: PcapWriter | PcapngWriter | None = None
        self.ifaces: dict[int, int] = {}
        #: the one link type of a pcap OUT (its first packet's)
        self.linktype: int | None = None

    def interface(self, linktype: int, name: str | None = None) -> int:
        """The pcapng interface of ``linktype`` (added, named ``name``, on first use;
        OUT is opened then)."""
        try:
            return self._interface(linktype, name)
        except (OSError, CaptureFileError) as exc:
            raise OutputFileError(_output_problem(self.path, exc)) from exc

    def _interface(self, linktype: int, name: str | None = None) -> int:
        idx = self.ifaces.get(linktype)
        if idx is not None:
            return idx
        from netprobe.wire.pcapfile import PcapngWriter

        if self.writer is None:
            self.writer = PcapngWriter(self.path)
        assert isinstance(self.writer, PcapngWriter)
        idx = self.ifaces[linktype] = self.writer.add_interface(linktype, name=name)
        return idx

    def write(self, data: bytes, linktype: int, ts_sec: int, ts_frac: int, ts_units: int,
              wirelen: int | None = None) -> None:
        """Write one packet (opening OUT on the first)."""
        try:
            self._write(data, linktype, ts_sec, ts_frac, ts_units, wirelen)
        except (OSError, CaptureFileError) as exc:
            raise OutputFileError(_output_problem(self.path, exc)) from exc

    def _write(self, data: bytes, linktype: int, ts_sec: int, ts_frac: int, ts_units: int,
               wirelen: int | None) -> None:
        idx = 0
        if self.pcapng:
            idx = self._interface(linktype)
        elif self.writer is None:
            from netprobe.wire.pcapfile import PcapWriter

            nano = ts_units > 10**6 if self.nanosecond is None else self.nanosecond
            self.writer = PcapWriter(self.path, linktype, nanosecond=nano)
            self.linktype = linktype
        elif linktype != self.linktype:
            raise UsageError(f"{self.path}: the packets have several link types; "
                             "write a .pcapng file instead")
        assert self.writer is not None
        self.writer.write(data, ts_sec, ts_frac, ts_units, wirelen, idx)

    def close(self, empty_linktype: int = 1) -> None:
        """Finish OUT and move it into place; without a packet, an empty capture of
        ``empty_linktype`` (as tcpdump writes)."""
        from netprobe.wire.pcapfile import PcapngWriter, PcapWriter

        try:
            if self.writer is None:
                self.writer = (PcapngWriter(self.path) if self.pcapng
                               else PcapWriter(self.path, empty_linktype,
                                               nanosecond=bool(self.nanosecond)))
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


__all__ = ["CaptureOut", "OutputFileError"]
