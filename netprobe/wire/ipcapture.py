"""Answers to IPv4 probes read from raw IP sockets: a capture without a packet socket.

A live capture (:mod:`netprobe.wire.capture`) is an AF_PACKET socket with a
ring, and the kernel makes opening and closing one wait for RCU grace periods
(binding it, setting up its ring, releasing it: 10-25 ms each here). For a
small job that is most of the command's time. A raw IPv4 socket of a protocol
gets a copy of every packet of that protocol delivered to this host, header
included, and opens and closes in microseconds. :class:`IpCapture` reads the
answers to a scan from one such socket per protocol, through the same kernel
filter expression, and offers the reading side of ``Capture``
(``read_raw_batch``, ``fileno``, ``linktype``, ``stats``, ``close``); packets
come as raw IP (link type 101) with the kernel's receive time stamp.

What it does not see, a packet socket would: packets not addressed to this
host, and packets a firewall on this host drops before local delivery. IPv6
raw sockets hand over the payload without the IPv6 header, so this is IPv4
only.
"""

from __future__ import annotations

import array
import select
import socket
import struct

import pcapy

from netprobe import costs
from netprobe.errors import EnvironmentProblem, UsageError
from netprobe.wire.privileges import raw_denied_message

LINKTYPE_RAW = 101
#: pcap's DLT_RAW on Linux (what LINKTYPE_RAW is called when compiling a filter)
_DLT_RAW = 12
_SNAPLEN = 65535
_RCVBUF = 4 << 20
#: SO_RCVBUFFORCE (asm-generic/socket.h): root may go past net.core.rmem_max
_SO_RCVBUFFORCE = 33
_SO_ATTACH_FILTER = 26
#: SO_TIMESTAMP (asm-generic/socket.h; Python does not name it): a struct timeval per packet
_SO_TIMESTAMP = 29
_TIMEVAL = struct.Struct("@ll")
_META = struct.Struct("=IIII")
#: space for one SCM_TIMESTAMP control message
_ANC = socket.CMSG_SPACE(_TIMEVAL.size)


def attach_filter(sock: socket.socket, expression: str) -> None:
    """Compile ``expression`` (pcap-filter(7)) for raw IP and attach it to ``sock``."""
    try:
        program = pcapy.compile(_DLT_RAW, _SNAPLEN, expression, 1, 0).get_bpf()
    except pcapy.PcapError as exc:
        raise UsageError(f"bad capture filter {expression!r}: {exc}") from None
    code = array.array("B", b"".join(struct.pack("=HBBI", *ins) for ins in program))
    address = code.buffer_info()[0]
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER,
                    struct.pack("=HxxxxxxQ", len(program), address))


class IpCapture:
    """Packets of ``protocols`` (IP protocol numbers) delivered to this host, through
    the kernel filter ``bpf``; ``iface`` limits them to those arriving on it."""

    linktype = LINKTYPE_RAW

    def __init__(self, iface: str | None, bpf: str | None = None, *,
                 protocols: tuple[int, ...] = (socket.IPPROTO_TCP, socket.IPPROTO_ICMP),
                 **_ignored: object) -> None:
        """Open one raw socket per protocol (IPv4). Extra keywords that ``Capture``
        takes (``nonblocking``, ``direction``...) are accepted and need nothing: the
        sockets never block and get incoming packets only."""
        self.iface = iface
        self.filter = bpf
        self.received = 0
        self._sockets: list[socket.socket] = []
        self._closed = False
        with costs.span("capture open"):
            try:
                for proto in protocols:
                    self._sockets.append(self._open(proto))
                self._poll = select.epoll()
                for sock in self._sockets:
                    self._poll.register(sock.fileno(), select.EPOLLIN)
            except BaseException:
                self.close()
                raise

    def _open(self, proto: int) -> socket.socket:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
        except PermissionError:
            raise EnvironmentProblem(raw_denied_message(
                "reading answers", "run as root or with CAP_NET_RAW")) from None
        try:
            if self.iface:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.iface.encode())
            if self.filter:
                attach_filter(sock, self.filter)
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)
            sock.setblocking(False)
            # what came in before the filter was attached is nobody's answer
            while True:
                try:
                    sock.recv(1)
                except BlockingIOError:
                    break
        except BaseException:
            sock.close()
            raise
        return sock

    def read_raw_batch(self, max_n: int = 1024, timeout_ms: int | None = None
                       ) -> tuple[bytes, bytes]:
        """Up to ``max_n`` packets as (packet bytes, packed meta), as ``Capture`` gives
        them: native uint32 sec, usec, offset, caplen per packet. Never waits."""
        parts: list[bytes] = []
        meta: list[bytes] = []
        offset = 0
        for sock in self._sockets:
            recvmsg = sock.recvmsg
            while len(meta) < max_n:
                try:
                    data, anc, _flags, _addr = recvmsg(_SNAPLEN, _ANC)
                except BlockingIOError:
                    break
                sec = usec = 0
                for level, kind, value in anc:
                    if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMP:
                        sec, usec = _TIMEVAL.unpack_from(value)
                parts.append(data)
                meta.append(_META.pack(sec, usec, offset, len(data)))
                offset += len(data)
        self.received += len(meta)
        return b"".join(parts), b"".join(meta)

    next_batch = read_raw_batch

    def fileno(self) -> int:
        """A descriptor that polls readable when any socket holds a packet."""
        return self._poll.fileno()

    def stats(self) -> tuple[int, int, int]:
        """(packets read, 0, 0): raw sockets keep no drop counter to read."""
        return (self.received, 0, 0)

    def close(self) -> None:
        """Close the sockets; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        poll = getattr(self, "_poll", None)
        if poll is not None:
            poll.close()
        for sock in self._sockets:
            sock.close()

    def __enter__(self) -> IpCapture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["IpCapture", "attach_filter"]
