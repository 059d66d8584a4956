"""Captures for small jobs, without a ring: raw IP sockets, or a plain packet socket.

A live capture (:mod:`netprobe.wire.capture`) is pcap's AF_PACKET socket with a
ring, and the kernel makes opening and closing one wait for RCU grace periods
(binding it, setting up its ring, releasing it: 10-25 ms each here). For a
small job that is most of the command's time. Two lighter readers offer the
reading side of ``Capture`` (``read_raw_batch``, ``fileno``, ``linktype``,
``stats``, ``close``), through the same kernel filter expressions, with the
kernel's receive time stamps:

* :class:`IpCapture`: a raw IPv4 socket of a protocol gets a copy of every
  packet of that protocol delivered to this host, header included (link type
  101), and opens and closes in microseconds. What it does not see, a packet
  socket would: packets not addressed to this host, and packets a firewall on
  this host drops before local delivery. IPv6 raw sockets hand over the
  payload without the IPv6 header, so this is IPv4 only.
* :class:`LinkCapture`: a packet socket opened without a protocol, filtered,
  then bound (the kernel waits for nothing: no hook was registered before),
  read one packet at a time (no ring), and closed in the background (the
  release waits for a grace period that nothing after a run needs). Frames as
  the interface carries them (link type 1), ARP and IPv6 included.
"""

from __future__ import annotations

import array
import select
import socket
import struct
import threading
from typing import Self

from netprobe import costs
from netprobe.errors import UsageError
from netprobe.packet.linktypes import LINKTYPE_ETHERNET, LINKTYPE_RAW
from netprobe.wire.bpf import compile_program
from netprobe.wire.privileges import capture_denied

_ETH_P_ALL = 3
#: PACKET_IGNORE_OUTGOING (linux/if_packet.h): our own frames are not handed back
_PACKET_IGNORE_OUTGOING = 23
_SOL_PACKET = 263
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


def attach_filter(sock: socket.socket, expression: str, linktype: int = LINKTYPE_RAW) -> None:
    """Compile ``expression`` (pcap-filter(7)) for ``linktype`` (raw IP by default)
    and attach it to ``sock``."""
    program = compile_program(expression, linktype, _SNAPLEN, what="capture filter").get_bpf()
    code = array.array("B", b"".join(struct.pack("=HBBI", *ins) for ins in program))
    address = code.buffer_info()[0]
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER,
                    struct.pack("=HxxxxxxQ", len(program), address))


def ignore_outgoing(sock: socket.socket) -> None:
    """Ask the kernel not to hand packet socket ``sock`` the frames this host sends
    (PACKET_IGNORE_OUTGOING); before Linux 4.20 the kernel refuses and nothing changes:
    our frames come back and match nothing."""
    try:
        sock.setsockopt(_SOL_PACKET, _PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass


def _read(sockets: list[socket.socket], max_n: int) -> tuple[bytes, bytes]:
    """Up to ``max_n`` packets waiting on ``sockets``, as ``Capture.read_raw_batch`` gives
    them (packet bytes, and native uint32 sec, usec, offset, caplen per packet)."""
    parts: list[bytes] = []
    meta: list[bytes] = []
    offset = 0
    for sock in sockets:
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
    return b"".join(parts), b"".join(meta)


def _prepare(sock: socket.socket) -> None:
    """Receive buffer, time stamps, non-blocking; drop what came before the filter."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
    sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMP, 1)
    sock.setblocking(False)
    while True:
        try:
            sock.recv(1)
        except BlockingIOError:
            break


#: ARPHRD_* (linux/if_arp.h) of interfaces whose frames carry an Ethernet header
_ETHERNET_LIKE = {1, 772}  # ARPHRD_ETHER, ARPHRD_LOOPBACK


class _SocketCapture:
    """What both light captures share: reading every socket, counting, the context."""

    _sockets: list[socket.socket]
    received: int

    def read_raw_batch(self, max_n: int = 1024, timeout_ms: int | None = None
                       ) -> tuple[bytes, bytes]:
        """Up to ``max_n`` packets as (packet bytes, packed meta), as ``Capture`` gives
        them: native uint32 sec, usec, offset, caplen per packet. Never waits."""
        buf, meta = _read(self._sockets, max_n)
        self.received += len(meta) // _META.size
        return buf, meta

    def stats(self) -> tuple[int, int, int]:
        """(packets read, 0, 0): these sockets keep no drop counter to read."""
        return (self.received, 0, 0)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LinkCapture(_SocketCapture):
    """Frames arriving on ``iface`` through the kernel filter ``bpf`` (pcap-filter(7)),
    from a packet socket without a ring. Ethernet (and loopback) interfaces only:
    see :meth:`supports`."""

    linktype = LINKTYPE_ETHERNET

    @staticmethod
    def supports(iface: str) -> bool:
        """Whether ``iface``'s frames start with an Ethernet header (else use ``Capture``,
        which reads the interface's own link type)."""
        from netprobe.wire.iface import sys_net_int

        return sys_net_int(iface, "type") in _ETHERNET_LIKE

    def __init__(self, iface: str, bpf: str | None = None, **_ignored: object) -> None:
        """Open the socket; the keywords ``Capture`` takes need nothing here (it never
        blocks and gets incoming frames only)."""
        self.iface = iface
        self.filter = bpf
        self.received = 0
        self._closed = False
        with costs.span("capture open"):
            try:
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            except PermissionError:
                raise capture_denied(f"capturing on {iface}") from None
            self._sock = sock
            self._sockets = [sock]
            try:
                if bpf:
                    attach_filter(sock, bpf, LINKTYPE_ETHERNET)
                ignore_outgoing(sock)
                _prepare(sock)
                try:
                    sock.bind((iface, _ETH_P_ALL))
                except OSError:
                    raise UsageError(f"no such interface: {iface!r}") from None
            except BaseException:
                sock.close()
                raise

    def fileno(self) -> int:
        """The socket, for select/poll."""
        return self._sock.fileno()

    def close(self) -> None:
        """Close the socket in the background (the kernel's release waits for an RCU grace
        period); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        threading.Thread(target=self._sock.close, name="capture-close").start()


class IpCapture(_SocketCapture):
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
            raise capture_denied("reading answers") from None
        try:
            if self.iface:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.iface.encode())
            if self.filter:
                attach_filter(sock, self.filter)
            _prepare(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def fileno(self) -> int:
        """A descriptor that polls readable when any socket holds a packet."""
        return self._poll.fileno()

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


__all__ = ["IpCapture", "LinkCapture", "attach_filter"]
