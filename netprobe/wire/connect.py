"""Many TCP connection attempts at once, without privileges: the connect scan's wire.

Each attempt is a non-blocking ``connect()``; an epoll set says when the
kernel knows the outcome: connected (a SYN/ACK came), refused (a RST came),
or failed with an ICMP error. ``IP_RECVERR``/``IPV6_RECVERR`` put the ICMP
message itself (type, code, who sent it) on the socket's error queue even in
SYN-SENT, so "administratively prohibited" is told apart from "host
unreachable", which errno alone cannot do. Attempts with no outcome by their
deadline are "timeout". Sockets close with ``SO_LINGER`` 0: an open port
gets a RST after the handshake and no TIME-WAIT is left behind.

Every destination passes the scope guard before its first SYN.
"""

from __future__ import annotations

import errno
import heapq
import resource
import select
import socket
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from netprobe.wire.scope import Scope

IP_RECVERR = 11
IPV6_RECVERR = 25
_LINGER_RESET = struct.pack("ii", 1, 0)
_EXTENDED_ERR = struct.Struct("=IBBBBII")  # struct sock_extended_err
_ORIGIN_ICMP, _ORIGIN_ICMP6 = 2, 3

#: attempts in flight at most (each holds a file descriptor)
DEFAULT_PARALLEL = 2048


@dataclass
class ConnectOutcome:
    """What one connection attempt found.

    ``status``: ``open`` (connected), ``refused`` (RST), ``timeout`` (nothing
    by the deadline), ``unreachable`` (an ICMP error or a local routing
    failure; ``icmp`` then holds (IP version, type, code, sender) when the
    kernel passed the message on), ``denied`` (the local firewall refused),
    ``cancelled`` (stopped by ``max_time`` before an outcome).
    """

    host: str
    port: int
    status: str
    errno: int = 0
    icmp: tuple[int, int, int, str] | None = None
    started: float = 0.0
    finished: float = 0.0


def _raise_fd_limit(wanted: int) -> int:
    """Raise the soft descriptor limit towards ``wanted``; return the usable count."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted + 64 and (hard == resource.RLIM_INFINITY or soft < hard):
        new = wanted + 64 if hard == resource.RLIM_INFINITY else min(hard, wanted + 64)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    return max(1, min(wanted, soft - 64))


def _icmp_detail(sock: socket.socket) -> tuple[int, int, int, str] | None:
    """The ICMP error queued on ``sock`` (IP_RECVERR), if any."""
    try:
        _data, ancillary, _flags, _addr = sock.recvmsg(1, 512, socket.MSG_ERRQUEUE)
    except OSError:
        return None
    for _level, _type, data in ancillary:
        if len(data) < _EXTENDED_ERR.size:
            continue
        _err, origin, icmp_type, code, _pad, _info, _data = _EXTENDED_ERR.unpack_from(data)
        offender = data[_EXTENDED_ERR.size:]
        if origin == _ORIGIN_ICMP and len(offender) >= 8:
            return 4, icmp_type, code, socket.inet_ntop(socket.AF_INET, offender[4:8])
        if origin == _ORIGIN_ICMP6 and len(offender) >= 24:
            return 6, icmp_type, code, socket.inet_ntop(socket.AF_INET6, offender[8:24])
    return None


def _status_of(err: int) -> str:
    if err == 0:
        return "open"
    if err == errno.ECONNREFUSED:
        return "refused"
    if err in (errno.ETIMEDOUT,):
        return "timeout"
    if err in (errno.EACCES, errno.EPERM):
        return "denied"
    return "unreachable"


@dataclass(slots=True, eq=False)
class _Attempt:
    sock: socket.socket
    host: str
    port: int
    started: float
    deadline: float


def connect_many(targets: Iterable[tuple[str, int]], *, timeout: float | Callable[[], float],
                 parallel: int = DEFAULT_PARALLEL, rate: float | None = None,
                 scope: Scope | None = None, max_time: float | None = None,
                 on_tick: Callable[[], None] | None = None) -> Iterator[ConnectOutcome]:
    """Try to connect to every (address, port); yield each outcome as it is known.

    ``timeout`` may be a function, asked at each attempt's start (the caller
    adapts it to measured round trips). ``rate`` caps attempts per second.
    ``on_tick`` is called about every 50 ms (progress bars). A destination
    outside ``scope`` raises ScopeError before anything is sent to it.
    """
    timeout_of = timeout if callable(timeout) else (lambda: float(timeout))  # type: ignore[misc]
    attempts = _Attempts(scope or Scope.from_environment(), timeout_of)
    parallel = _raise_fd_limit(max(1, parallel))
    source = iter(targets)
    exhausted = False
    interval = 1.0 / rate if rate else 0.0
    next_start = time.monotonic()
    stop_at = None if max_time is None else time.monotonic() + max_time
    last_tick = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if stop_at is not None and now >= stop_at:
                yield from attempts.cancel_all()
                return
            # start attempts while there is room (and the pacing allows)
            while not exhausted and len(attempts.live) < parallel and now >= next_start:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                outcome = attempts.start(*item)
                if outcome is not None:
                    yield outcome
                if interval:
                    next_start = max(next_start + interval, now - 0.025)
                    now = time.monotonic()
            if exhausted and not attempts.live:
                return
            # outcomes the kernel knows now
            wait = 0.05
            if attempts.deadlines:
                wait = min(wait, max(0.0, attempts.deadlines[0][0] - now))
            if not exhausted and len(attempts.live) < parallel and interval:
                wait = min(wait, max(0.0, next_start - now))
            yield from attempts.known(wait)
            now = time.monotonic()
            yield from attempts.expired(now)
            if on_tick is not None and now - last_tick >= 0.05:
                last_tick = now
                on_tick()
    finally:
        attempts.close()


class _Attempts:
    """The attempts in flight: their sockets, the epoll set and the deadlines."""

    def __init__(self, scope: Scope, timeout_of: Callable[[], float]) -> None:
        self.scope = scope
        self.timeout_of = timeout_of
        self.allowed: set[str] = set()
        self.ep = select.epoll()
        self.live: dict[int, _Attempt] = {}
        self.deadlines: list[tuple[float, int, int]] = []  # (deadline, seq, fd)
        self.seq = 0
        self.wall0, self.mono0 = time.time(), time.monotonic()

    def start(self, host: str, port: int) -> ConnectOutcome | None:
        """Start connecting to ``host`` ``port``; its outcome when the kernel knows it at once.

        ``host`` is checked against the scope first (ScopeError when outside).
        """
        if host not in self.allowed:
            self.scope.check(host)
            self.allowed.add(host)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            if family == socket.AF_INET:
                sock.setsockopt(socket.SOL_IP, IP_RECVERR, 1)
            else:
                sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
            started = time.monotonic()
            err = sock.connect_ex((host, port))
        except BaseException:
            sock.close()
            raise
        att = _Attempt(sock, host, port, started, started + self.timeout_of())
        fd = sock.fileno()
        self.live[fd] = att
        if err != errno.EINPROGRESS:
            return self.finish(att, _status_of(err), err, _icmp_detail(sock))
        self.ep.register(fd, select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP)
        self.seq += 1
        heapq.heappush(self.deadlines, (att.deadline, self.seq, fd))
        return None

    def known(self, wait: float) -> Iterator[ConnectOutcome]:
        """The outcomes the kernel knows within ``wait`` seconds."""
        for fd, _events in self.ep.poll(wait, 1024):
            att = self.live.get(fd)
            if att is None:
                continue
            err = att.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            icmp = _icmp_detail(att.sock) if err else None
            yield self.finish(att, _status_of(err), err, icmp)

    def expired(self, now: float) -> Iterator[ConnectOutcome]:
        """The attempts whose time is up at ``now``: timeouts."""
        deadlines = self.deadlines
        while deadlines and deadlines[0][0] <= now:
            _, _, fd = heapq.heappop(deadlines)
            att = self.live.get(fd)
            if att is not None and att.deadline <= now:
                yield self.finish(att, "timeout", errno.ETIMEDOUT)

    def cancel_all(self) -> Iterator[ConnectOutcome]:
        """Every attempt in flight, cancelled."""
        for att in list(self.live.values()):
            yield self.finish(att, "cancelled")

    def finish(self, att: _Attempt, status: str, err: int = 0,
               icmp: tuple[int, int, int, str] | None = None) -> ConnectOutcome:
        """Close ``att``'s socket; its outcome."""
        fd = att.sock.fileno()
        self.live.pop(fd, None)
        try:
            self.ep.unregister(fd)
        except (OSError, ValueError):
            pass
        att.sock.close()
        return ConnectOutcome(att.host, att.port, status, err, icmp, self._wall(att.started),
                              self._wall(time.monotonic()))

    def _wall(self, mono: float) -> float:
        return self.wall0 + (mono - self.mono0)

    def close(self) -> None:
        """Close what is still open."""
        for att in list(self.live.values()):
            try:
                att.sock.close()
            except OSError:
                pass
        self.ep.close()
