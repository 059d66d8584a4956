"""Batched sending with ``sendmmsg(2)`` through ctypes.

One system call sends up to ``capacity`` packets. The message headers,
I/O vectors and socket addresses live in arrays allocated once; a message
header's pointers to its own I/O vector and address never change, so a
batch only writes each packet's (pointer, length) and destination bytes.
The packets themselves are joined into one bytes object and pointed into,
not copied one by one.

Temporary shortage of buffer space (ENOBUFS, EAGAIN) is retried a bounded
number of times with a short, growing sleep; any other error skips the one
packet that caused it. Both are counted in :class:`SendStats`.
"""

from __future__ import annotations

import ctypes
import errno
import struct
from array import array
from itertools import accumulate

from netprobe.wire.send_stats import FIRST_SLEEP_S, MAX_RETRIES, RETRY_ERRNOS, SendStats

# struct mmsghdr on 64-bit Linux: msghdr (name, namelen, iov, iovlen,
# control, controllen, flags) followed by msg_len, padded to 64 bytes.
_MMSGHDR = struct.Struct("=QI4xQQQQi4xI4x")
_IOVEC_WORDS = 2  # iov_base, iov_len


def _load_sendmmsg():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.sendmmsg
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    func.restype = ctypes.c_int
    return func


_sendmmsg = _load_sendmmsg() if struct.calcsize("P") == 8 else None
AVAILABLE = _sendmmsg is not None


class MessageBatch:
    """Preallocated ``sendmmsg`` arrays for up to ``capacity`` packets."""

    def __init__(self, capacity: int, name_size: int) -> None:
        """``name_size`` is the socket address size per message, 0 for none."""
        if not AVAILABLE:
            raise OSError(errno.ENOSYS, "sendmmsg is not available")
        self.capacity = capacity
        self.name_size = name_size
        self._iov = array("Q", bytes(8 * _IOVEC_WORDS * capacity))
        self._names = array("B", bytes(max(1, name_size * capacity)))
        self._names_view = memoryview(self._names)
        self._headers = array("B", bytes(_MMSGHDR.size * capacity))
        iov_addr = self._iov.buffer_info()[0]
        names_addr = self._names.buffer_info()[0]
        for i in range(capacity):
            name_ptr = names_addr + i * name_size if name_size else 0
            _MMSGHDR.pack_into(self._headers, i * _MMSGHDR.size, name_ptr, name_size,
                               iov_addr + i * 16, 1, 0, 0, 0, 0)
        self._headers_addr = self._headers.buffer_info()[0]

    def send(self, fd: int, frames: list[bytes], names: bytes, stats: SendStats) -> int:
        """Send ``frames`` (at most ``capacity``) on ``fd``; return how many went out.

        ``names`` holds the packed socket addresses, ``name_size`` bytes per
        frame and in the same order (empty when the socket is bound).
        """
        count = len(frames)
        if count == 0:
            return 0
        if count > self.capacity:
            raise ValueError(f"batch of {count} exceeds capacity {self.capacity}")
        data = b"".join(frames)
        # c_char_p over a bytes object points at its buffer without copying;
        # ``data`` stays referenced until the system call returns.
        base = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0
        lengths = [len(f) for f in frames]
        starts = [base + off for off in accumulate(lengths, initial=0)]
        del starts[-1]
        self._iov[0 : 2 * count : 2] = array("Q", starts)
        self._iov[1 : 2 * count : 2] = array("Q", lengths)
        if self.name_size:
            self._names_view[: len(names)] = names
        return self._call(fd, count, stats, data)

    def _call(self, fd: int, count: int, stats: SendStats, keepalive: bytes) -> int:
        done = 0  # messages dealt with: sent or given up
        sent = 0
        waits = 0
        sleep = FIRST_SLEEP_S
        while done < count:
            n = _sendmmsg(fd, self._headers_addr + done * _MMSGHDR.size, count - done, 0)
            if n > 0:
                done += n
                sent += n
                waits = 0
                sleep = FIRST_SLEEP_S
                continue
            err = ctypes.get_errno()
            if err in RETRY_ERRNOS:
                if waits >= MAX_RETRIES:
                    stats.record_failure(err, count - done)
                    break
                waits += 1
                sleep = stats.back_off(sleep)
                continue
            # The message at ``done`` was refused on its own (EMSGSIZE,
            # EPERM from a firewall, EINVAL ...): skip it, keep the rest.
            stats.record_failure(err)
            done += 1
        stats.sent += sent
        del keepalive  # the packet bytes must outlive the system calls above
        return sent
