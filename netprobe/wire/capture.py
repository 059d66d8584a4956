"""Live capture with pcapy-ng, filtered in the kernel, read in batches.

The hot path is :meth:`Capture.read_raw_batch`: one call into pcapy-ng's
``next_batch`` returns up to N packets as one bytes object plus a packed
array of 16-byte records (native uint32 sec, usec, offset, caplen), so a
reader can slice packets out without a Python object per packet.
:meth:`Capture.read_batch` is the convenient form: a list of
(timestamp in float seconds, packet bytes).

pcapy-ng has no immediate mode; a short read timeout (20 ms by default)
bounds how long a packet can wait in the kernel's ring before a batch
returns it. The handle itself is always non-blocking and the waiting is
done here with ``poll``: Linux's TPACKET_V3 ring starts its timer only
once a packet has arrived, so a blocking read on a quiet interface would
never return.
"""

from __future__ import annotations

import os
import select
import socket
from typing import NamedTuple

import pcapy

from netprobe import costs
from netprobe.errors import RuntimeProblem, UsageError
from netprobe.wire.bpf import DEFAULT_SNAPLEN, linktype_for_dlt
from netprobe.wire.lightcapture import ignore_outgoing
from netprobe.wire.privileges import capture_denied

DEFAULT_TIMEOUT_MS = 20
DEFAULT_BUFFER = 32 << 20
DEFAULT_BATCH = 1024

_DIRECTIONS = {"in": pcapy.PCAP_D_IN, "out": pcapy.PCAP_D_OUT, "inout": pcapy.PCAP_D_INOUT}

# pcap_activate() status codes (pcap/pcap.h); pcapy-ng returns them instead
# of raising.
_NO_SUCH_DEVICE = -5
_PERM_DENIED = -8
_IFACE_NOT_UP = -9
_PROMISC_PERM_DENIED = -11


class CaptureStats(NamedTuple):
    """Counters from the kernel: seen by the filter, dropped by us, by the interface."""

    received: int
    dropped: int
    if_dropped: int


class Capture:
    """A live capture on one interface (``any`` for all of them).

    Use as a context manager, or call :meth:`close`. Raises UsageError for
    an interface that does not exist or a filter pcap cannot compile, and
    EnvironmentProblem without the privileges to capture.
    """

    def __init__(self, iface: str, bpf: str | None = None, *, snaplen: int = DEFAULT_SNAPLEN,
                 promisc: bool = True, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                 buffer_size: int = DEFAULT_BUFFER, nonblocking: bool = False,
                 direction: str | None = None) -> None:
        """Open and activate the capture; ``bpf`` is a pcap-filter(7) expression."""
        with costs.span("capture open"):
            self._open(iface, bpf, snaplen, promisc, timeout_ms, buffer_size, nonblocking,
                       direction)

    def _open(self, iface: str, bpf: str | None, snaplen: int, promisc: bool,
              timeout_ms: int, buffer_size: int, nonblocking: bool,
              direction: str | None) -> None:
        self.iface = iface
        self.filter: str | None = None
        self.timeout_ms = max(1, int(timeout_ms))
        self.nonblocking = nonblocking
        self._closed = False
        try:
            handle = pcapy.create(iface)
            handle.set_snaplen(snaplen)
            handle.set_promisc(1 if promisc else 0)
            handle.set_timeout(self.timeout_ms)
            handle.set_buffer_size(int(buffer_size))
            status = handle.activate()
        except pcapy.PcapError as exc:
            raise _open_error(iface, str(exc)) from None
        if status is not None and status < 0:
            handle.close()
            raise _open_error(iface, f"pcap error {status}", status)
        self._handle = handle
        # As a pcap file would record it (LINKTYPE_*), so that live and
        # file packets are dissected and filtered alike.
        self.linktype: int = linktype_for_dlt(handle.datalink())
        try:
            if direction is not None:
                if direction not in _DIRECTIONS:
                    raise UsageError(f"capture direction must be one of {', '.join(_DIRECTIONS)}, "
                                     f"not {direction!r}")
                handle.setdirection(_DIRECTIONS[direction])
                if direction == "in":
                    _ignore_outgoing(handle.getfd())
            if bpf:
                self.set_filter(bpf)
            handle.setnonblock(1)
            self._poll = select.poll()
            self._poll.register(handle.getfd(), select.POLLIN)
        except BaseException:
            self.close()
            raise

    # -- setup --------------------------------------------------------------

    def set_filter(self, expr: str) -> None:
        """Compile ``expr`` and install it in the kernel; UsageError if pcap rejects it."""
        try:
            self._handle.setfilter(expr)
        except pcapy.PcapError as exc:
            raise UsageError(f"bad capture filter {expr!r}: {exc}") from None
        self.filter = expr

    # -- reading ------------------------------------------------------------

    def read_raw_batch(self, max_n: int = DEFAULT_BATCH, timeout_ms: int | None = None
                       ) -> tuple[bytes, bytes]:
        """Up to ``max_n`` packets as (packet bytes, packed meta); both empty on timeout.

        ``meta`` holds one 16-byte record per packet: native uint32 sec,
        usec, offset, caplen; ``buffer[offset:offset + caplen]`` is the packet.
        When nothing is waiting, it waits up to ``timeout_ms`` (default: the
        capture's read timeout; 0 with ``nonblocking=True``) for packets.
        """
        try:
            buffer, meta = self._handle.next_batch(max_n)
            if meta:
                return buffer, meta
            if timeout_ms is None:
                timeout_ms = 0 if self.nonblocking else self.timeout_ms
            # poll wakes when the kernel hands over a block of packets: when
            # it is full, or when its timer (the read timeout) runs out after
            # the block's first packet.
            if timeout_ms > 0 and self._poll.poll(timeout_ms):
                return self._handle.next_batch(max_n)
            return buffer, meta
        except pcapy.PcapError as exc:
            raise RuntimeProblem(f"capture on {self.iface} failed: {exc}") from None

    def read_batch(self, max_n: int = DEFAULT_BATCH, timeout_ms: int | None = None
                   ) -> list[tuple[float, bytes]]:
        """Up to ``max_n`` packets as (timestamp in seconds, bytes); empty on timeout."""
        buffer, meta = self.read_raw_batch(max_n, timeout_ms)
        return split_batch(buffer, meta)

    def stats(self) -> CaptureStats:
        """Kernel counters since the capture opened."""
        try:
            received, dropped, if_dropped = self._handle.stats()
        except pcapy.PcapError as exc:
            raise RuntimeProblem(f"capture statistics on {self.iface}: {exc}") from None
        return CaptureStats(received, dropped, if_dropped)

    def fileno(self) -> int:
        """A file descriptor that polls readable when packets wait (for select/poll)."""
        return self._handle.getfd()

    def close(self) -> None:
        """Stop capturing and free the kernel ring; safe to call twice."""
        if not self._closed:
            self._closed = True
            handle = getattr(self, "_handle", None)
            if handle is not None:
                with costs.span("capture close"):
                    handle.close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def split_batch(buffer: bytes, meta: bytes) -> list[tuple[float, bytes]]:
    """Turn a raw batch into [(timestamp in seconds, packet bytes)]."""
    words = memoryview(meta).cast("I").tolist()
    return [(words[i] + words[i + 1] * 1e-6, buffer[words[i + 2] : words[i + 2] + words[i + 3]])
            for i in range(0, len(words), 4)]


def _open_error(iface: str, message: str, status: int = 0) -> Exception:
    """The error for a capture pcap could not open (``message``) or activate (``status``,
    a pcap_activate() code)."""
    lowered = message.lower()
    if status in (_PERM_DENIED, _PROMISC_PERM_DENIED) \
            or "permission" in lowered or "not permitted" in lowered:
        return capture_denied(f"capturing on {iface}")
    if status == _NO_SUCH_DEVICE or "no such device" in lowered or "doesn't exist" in lowered:
        return UsageError(f"no such interface: {iface!r}")
    if status == _IFACE_NOT_UP:
        return UsageError(f"interface {iface!r} is down; bring it up before capturing")
    return RuntimeProblem(f"cannot capture on {iface}: {message}")


def _ignore_outgoing(fd: int) -> None:
    """Ask the kernel not to hand this capture the packets we send.

    libpcap filters an inbound-only capture in user space on older versions
    (pcapy-ng's wheel bundles 1.9): every packet sent would still be copied
    into the ring, then thrown away. With this option the kernel skips the copy.
    """
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        ignore_outgoing(sock)
    finally:
        sock.close()
