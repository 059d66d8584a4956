"""Send packets the engine built: raw IP (layer 3) and AF_PACKET (layer 2).

Bytes in, bytes out: these senders never build or parse packets beyond
reading the destination address at its fixed offset in the header (IPv4
bytes 16-19, IPv6 bytes 24-39), which is where the kernel needs it.

Sockets are opened once per sender and kept for the run. ``send_many``
hands whole batches to ``sendmmsg(2)`` (see :mod:`netprobe.wire.sendmmsg`)
and sends one ``sendto`` per packet where that is unavailable, and for runs
shorter than ``SMALL_BATCH`` (a small job then never imports ctypes).
When a scope is given, every destination is checked before anything of a
batch is sent.
"""

from __future__ import annotations

import errno
import socket
import struct
import threading
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Self

from netprobe.errors import EnvironmentProblem, ScopeError, UsageError
from netprobe.packet.shape import ETHERTYPE_IPV4, ETHERTYPE_IPV6, VLAN_TAG_LEN, VLAN_TPIDS
from netprobe.wire.privileges import raw_denied_message
from netprobe.wire.scope import Scope
from netprobe.wire.send_stats import FIRST_SLEEP_S, MAX_RETRIES, RETRY_ERRNOS, SendStats

if TYPE_CHECKING:
    from netprobe.wire.sendmmsg import MessageBatch

#: a run of fewer packets goes out one ``sendto`` each: ``sendmmsg(2)`` is reached
#: through ctypes, whose import (and its 44 classes) costs a small job more than the
#: system calls a batch saves
SMALL_BATCH = 16


def _sendmmsg() -> ModuleType:
    """The batching module, imported when a batch first needs it."""
    from netprobe.wire import sendmmsg

    return sendmmsg

__all__ = ["L2Sender", "L3Sender", "SendStats"]

IPV6_HDRINCL = 36  # <linux/in6.h>; Python's socket module does not name it
SO_SNDBUFFORCE = 32  # lets root go past net.core.wmem_max
DEFAULT_SNDBUF = 8 << 20
DEFAULT_BATCH = 1024
_SEND_TIMEOUT = struct.pack("ll", 1, 0)  # a full send buffer blocks at most 1 s

_V4_NAME_HEAD = struct.pack("=HH", socket.AF_INET, 0)
_V4_NAME_TAIL = bytes(8)
_V6_NAME_HEAD = struct.pack("=HHI", socket.AF_INET6, 0, 0)

#: where an IP packet's destination address is, by version
_DST = {4: slice(16, 20), 6: slice(24, 40)}
#: the ethertype of ARP, and where its target protocol address is in its payload
_ETHERTYPE_ARP = 0x0806
_ARP_TARGET = slice(24, 28)


class _Sender:
    """What both senders share: stats, batching, retries, closing."""

    def __init__(self, batch: int, scope: Scope | None) -> None:
        self.stats = SendStats()
        self._batch_size = max(1, batch)
        self.scope = scope
        #: destinations found inside the scope (a scan sends to few, many times)
        self._allowed: set[bytes] = set()
        #: ``sendmmsg`` arrays by socket, made at the first batch that needs them
        self._batches: dict[int, MessageBatch] = {}

    def close(self, wait: bool = True) -> None:
        """Close the socket(s); the sender cannot be used afterwards.

        ``wait=False`` lets a close that makes the kernel wait (packet sockets:
        an RCU grace period, 10-40 ms) finish in a background thread.
        """
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_scope(self, dsts: Iterable[bytes | None]) -> None:
        """Raise ScopeError at the first packed destination outside the scope (None:
        a packet with no IP destination to judge)."""
        if self.scope is None:
            return
        contains = self.scope.contains_packed
        allowed = self._allowed
        for dst in dsts:
            if dst is None or dst in allowed:
                continue  # nothing to check, or checked already in this run
            if not contains(dst):
                af = socket.AF_INET if len(dst) == 4 else socket.AF_INET6
                raise ScopeError(self.scope.refusal(socket.inet_ntop(af, dst)))
            if len(allowed) < 65536:
                allowed.add(dst)

    def _send_one(self, sock: socket.socket, frame: bytes, address: tuple | None) -> bool:
        """One packet with the same bounded retry as the batches."""
        sleep = FIRST_SLEEP_S
        for _ in range(MAX_RETRIES + 1):
            try:
                if address is None:
                    sock.send(frame)
                else:
                    sock.sendto(frame, address)
            except OSError as exc:
                if exc.errno in RETRY_ERRNOS:
                    sleep = self.stats.back_off(sleep)
                    continue
                self.stats.record_failure(exc.errno or errno.EIO)
                return False
            self.stats.sent += 1
            return True
        self.stats.record_failure(errno.ENOBUFS)
        return False

    def _send_run(self, sock: socket.socket, run: Sequence[bytes], key: int,
                  name_size: int) -> int:
        """Send ``run`` on ``sock`` (of IP version ``key``; 0 for frames), a ``sendmmsg``
        per chunk of ``SMALL_BATCH`` packets or more, else a ``sendto`` per packet; how
        many the kernel accepted."""
        batch = self._batch(key, name_size) if len(run) >= SMALL_BATCH else None
        sent = 0
        for start in range(0, len(run), self._batch_size):
            chunk = run[start : start + self._batch_size]
            if batch is None or len(chunk) < SMALL_BATCH:
                sent += sum(self._send_one(sock, p, self._address(key, p)) for p in chunk)
            else:
                sent += batch.send(sock.fileno(), chunk, self._names(key, chunk), self.stats)
        return sent

    def _address(self, key: int, packet: bytes) -> tuple | None:
        return None  # a bound packet socket's frames need no address

    def _names(self, key: int, chunk: Sequence[bytes]) -> bytes:
        return b""  # nor do its batches

    def _batch(self, key: int, name_size: int) -> MessageBatch | None:
        """The ``sendmmsg`` arrays of socket ``key`` (``name_size`` bytes of address per
        message), made at first need; None where ``sendmmsg(2)`` is unavailable."""
        sendmmsg = _sendmmsg()
        if not sendmmsg.AVAILABLE:
            return None
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = sendmmsg.MessageBatch(self._batch_size, name_size)
        return batch

    @property
    def batching(self) -> bool:
        """True when ``send_many`` goes through ``sendmmsg(2)`` (batches of
        ``SMALL_BATCH`` packets or more)."""
        return _sendmmsg().AVAILABLE


def _open(family: int, kind: int, proto: int, what: str) -> socket.socket:
    try:
        return socket.socket(family, kind, proto)
    except PermissionError:
        raise EnvironmentProblem(raw_denied_message(what)) from None
    except OSError as exc:
        raise EnvironmentProblem(f"cannot open a socket for {what}: {exc.strerror}") from None


def _tune(sock: socket.socket, sndbuf: int) -> None:
    # A large send buffer absorbs bursts of a fast scan; SO_SNDBUFFORCE
    # (root) goes past the sysctl limit, SO_SNDBUF is the polite fallback.
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, sndbuf)
    except OSError:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        except OSError:
            pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _SEND_TIMEOUT)


class L3Sender(_Sender):
    """Sends complete IPv4 and IPv6 packets through raw IP sockets.

    The packets carry their own IP header (IP_HDRINCL / IPV6_HDRINCL); the
    kernel routes them by their destination and adds the link layer. The
    IPv4 socket is opened at once, so missing privileges show up at
    construction; the IPv6 one at the first IPv6 packet.
    """

    def __init__(self, iface: str | None = None, *, scope: Scope | None = None,
                 sndbuf: int = DEFAULT_SNDBUF, batch: int = DEFAULT_BATCH) -> None:
        """``iface`` pins the sockets to one interface (and gives IPv6
        link-local destinations their scope); ``scope`` refuses packets to
        destinations outside it."""
        super().__init__(batch, scope)
        self.iface = iface
        self._sndbuf = sndbuf
        self._ifindex = _ifindex(iface) if iface else 0
        self._sockets: dict[int, socket.socket] = {}
        self._socket(4)

    def send(self, packet: bytes) -> bool:
        """Send one IP packet; False (and counted in ``stats``) if the kernel refused it."""
        version, dst = _ip_destination(packet)
        self._check_scope([dst])
        return self._send_one(self._socket(version), packet, self._address(version, packet))

    def send_many(self, packets: Sequence[bytes]) -> int:
        """Send IP packets in batches; return how many the kernel accepted."""
        runs = _runs_by_version(packets)
        if self.scope is not None:
            for version, run in runs:
                dst = _DST[version]
                self._check_scope([p[dst] for p in run])
        sent = 0
        for version, run in runs:
            sent += self._send_run(self._socket(version), run, version,
                                   16 if version == 4 else 28)
        return sent

    def close(self, wait: bool = True) -> None:
        """Close the raw sockets (quick: ``wait`` changes nothing)."""
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    def _socket(self, version: int) -> socket.socket:
        sock = self._sockets.get(version)
        if sock is not None:
            return sock
        if version == 4:
            sock = _open(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW,
                         "sending raw IPv4 packets")
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        else:
            sock = _open(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW,
                         "sending raw IPv6 packets")
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_HDRINCL, 1)
        _tune(sock, self._sndbuf)
        if self.iface:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.iface.encode())
        self._sockets[version] = sock
        return sock

    def _names(self, version: int, chunk: Sequence[bytes]) -> bytes:
        dst = _DST[version]
        if version == 4:
            head, tail = _V4_NAME_HEAD, _V4_NAME_TAIL
            return b"".join([head + p[dst] + tail for p in chunk])
        head = _V6_NAME_HEAD
        return b"".join([head + p[dst] + struct.pack("=I", self._scope_id(p[dst])) for p in chunk])

    def _address(self, version: int, packet: bytes) -> tuple:
        if version == 4:
            return (socket.inet_ntop(socket.AF_INET, packet[_DST[4]]), 0)
        dst = packet[_DST[6]]
        return (socket.inet_ntop(socket.AF_INET6, dst), 0, 0, self._scope_id(dst))

    def _scope_id(self, dst: bytes) -> int:
        # Link-local (fe80::/10) and multicast destinations mean nothing
        # without an interface; give them the pinned one.
        if dst[0] == 0xFF or (dst[0] == 0xFE and dst[1] & 0xC0 == 0x80):
            return self._ifindex
        return 0


class L2Sender(_Sender):
    """Sends complete link-layer frames on one interface (AF_PACKET)."""

    def __init__(self, iface: str, *, scope: Scope | None = None, sndbuf: int = DEFAULT_SNDBUF,
                 batch: int = DEFAULT_BATCH) -> None:
        """Open an AF_PACKET socket bound to ``iface``.

        With ``scope``, Ethernet frames carrying IPv4, IPv6 or ARP are
        refused when their destination address is outside it; other frames
        have no IP destination to judge and pass.
        """
        super().__init__(batch, scope)
        self.iface = iface
        self.ifindex = _ifindex(iface)
        # Protocol 0: this socket only sends, so the kernel queues nothing
        # received to it.
        self._sock = _open(socket.AF_PACKET, socket.SOCK_RAW, 0, f"sending frames on {iface}")
        try:
            self._sock.bind((iface, 0))
        except OSError as exc:
            self._sock.close()
            raise UsageError(f"cannot send on interface {iface!r}: {exc.strerror}") from None
        _tune(self._sock, sndbuf)

    def send(self, frame: bytes) -> bool:
        """Send one frame; False (and counted in ``stats``) if the kernel refused it."""
        self._check_frames((frame,))
        return self._send_one(self._sock, frame, None)

    def send_many(self, frames: Sequence[bytes]) -> int:
        """Send frames in batches; return how many the kernel accepted."""
        self._check_frames(frames)
        return self._send_run(self._sock, frames, 0, 0)

    def close(self, wait: bool = True) -> None:
        """Close the packet socket (with ``wait=False``, in a background thread: the
        kernel waits for a grace period before a packet socket is gone)."""
        if wait:
            self._sock.close()
        else:
            threading.Thread(target=self._sock.close, name="sender-close").start()

    def _check_frames(self, frames: Sequence[bytes]) -> None:
        if self.scope is not None:
            # untagged IPv4, the common case, without a call per frame
            self._check_scope(frame[30:34] if frame[12:14] == b"\x08\x00" and len(frame) >= 34
                              else _frame_destination(frame) for frame in frames)


def _ifindex(iface: str) -> int:
    try:
        return socket.if_nametoindex(iface)
    except OSError:
        raise UsageError(f"no such interface: {iface!r}") from None


def _ip_destination(packet: bytes) -> tuple[int, bytes]:
    """(version, packed destination) of an IP packet; UsageError if it is none."""
    version = packet[0] >> 4 if packet else 0
    if (version == 4 and len(packet) >= 20) or (version == 6 and len(packet) >= 40):
        return version, packet[_DST[version]]
    raise UsageError(f"not an IPv4/IPv6 packet ({len(packet)} bytes, version nibble {version}); "
                     "cannot send at layer 3")


def _runs_by_version(packets: Sequence[bytes]) -> list[tuple[int, list[bytes]]]:
    """Cut the packets into consecutive runs of one IP version, order kept."""
    runs: list[tuple[int, list[bytes]]] = []
    current: list[bytes] = []
    current_version = 0
    for packet in packets:
        version = packet[0] >> 4 if packet else 0
        if version not in (4, 6) or len(packet) < (20 if version == 4 else 40):
            _ip_destination(packet)  # raises the clear UsageError
        if version != current_version:
            if current:
                runs.append((current_version, current))
            current, current_version = [], version
        current.append(packet)
    if current:
        runs.append((current_version, current))
    return runs


def _frame_destination(frame: bytes) -> bytes | None:
    """The IPv4/IPv6/ARP-target address in an Ethernet frame, or None.

    Every VLAN tag (802.1Q, 802.1ad, QinQ 0x9100) is skipped, however deep the stack:
    a tagged frame is judged by what it carries."""
    offset = 12
    ethertype = int.from_bytes(frame[offset : offset + 2], "big")
    while ethertype in VLAN_TPIDS:
        offset += VLAN_TAG_LEN
        ethertype = int.from_bytes(frame[offset : offset + 2], "big")
    payload = frame[offset + 2 :]
    if ethertype == ETHERTYPE_IPV4 and len(payload) >= 20:
        return payload[_DST[4]]
    if ethertype == ETHERTYPE_IPV6 and len(payload) >= 40:
        return payload[_DST[6]]
    if ethertype == _ETHERTYPE_ARP and len(payload) >= 28:
        return payload[_ARP_TARGET]
    if ethertype in (ETHERTYPE_IPV4, ETHERTYPE_IPV6, _ETHERTYPE_ARP):
        # Too short to hold a destination: refuse rather than guess.
        raise UsageError(
            f"truncated frame ({len(frame)} bytes) cannot be checked against the scope")
    return None
