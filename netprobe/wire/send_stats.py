"""What a sender counts, and how long it keeps trying when the kernel's buffers are full.

Shared by the senders (``sockets``) and their batching through ``sendmmsg(2)``
(``sendmmsg``), which is imported only for batches large enough to need it.
"""

from __future__ import annotations

import errno
import os
import time

#: resends of a packet the kernel had no buffer space for (ENOBUFS, EAGAIN), with a
#: short sleep growing from the first to the longest
MAX_RETRIES = 20
FIRST_SLEEP_S = 0.0002
MAX_SLEEP_S = 0.02
#: the errors that mean "no buffer space now": waited for and tried again
RETRY_ERRNOS = frozenset({errno.ENOBUFS, errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR})


class SendStats:
    """What a sender did so far in this run: packets sent, ``retries`` (waits for buffer
    space, ENOBUFS/EAGAIN), packets ``failed`` (given up on) and the last error."""

    __slots__ = ("failed", "last_error", "retries", "sent")

    def __init__(self) -> None:
        self.sent = 0
        self.retries = 0
        self.failed = 0
        self.last_error: str | None = None

    def record_failure(self, err: int, count: int = 1) -> None:
        """Count ``count`` packets lost to errno ``err``."""
        self.failed += count
        self.last_error = os.strerror(err)

    def back_off(self, sleep: float) -> float:
        """Count one wait for buffer space and sleep ``sleep`` seconds; the next wait's length."""
        self.retries += 1
        time.sleep(sleep)
        return min(sleep * 2, MAX_SLEEP_S)


__all__ = ["FIRST_SLEEP_S", "MAX_RETRIES", "MAX_SLEEP_S", "RETRY_ERRNOS", "SendStats"]
