"""A minimal rtnetlink client: one request out, its answers back.

Only what ``route`` and ``neighbour`` need: send one request on a
NETLINK_ROUTE socket and collect the replies as (message type, fixed header
bytes, attributes). Written with the ``socket`` and ``struct`` modules so the
wire floor needs no netlink library.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from typing import NamedTuple

# Message types and flags from <linux/netlink.h> and <linux/rtnetlink.h>.
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x01
NLM_F_ROOT = 0x100
NLM_F_MATCH = 0x200
NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH

RTM_NEWROUTE = 24
RTM_GETROUTE = 26
RTM_NEWNEIGH = 28
RTM_GETNEIGH = 30
#: the message type that answers each request type
_ANSWER = {RTM_GETROUTE: RTM_NEWROUTE, RTM_GETNEIGH: RTM_NEWNEIGH}

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_RTATTR = struct.Struct("=HH")  # len, type
_ERRNO = struct.Struct("=i")

# The kernel never answers one request with more than a few pages; a dump of
# a large neighbour table arrives in several reads of this size.
_RECV_SIZE = 1 << 16
_TIMEOUT_S = 2.0


class Message(NamedTuple):
    """One netlink answer: its type, fixed family header and attributes."""

    type: int
    header: bytes
    attrs: dict[int, bytes]


def _align(n: int) -> int:
    return (n + 3) & ~3


def pack_attr(kind: int, value: bytes) -> bytes:
    """Encode one routing attribute (rtattr), padded to 4 bytes."""
    length = _RTATTR.size + len(value)
    return _RTATTR.pack(length, kind) + value + b"\0" * (_align(length) - length)


def parse_attrs(data: bytes | memoryview) -> dict[int, bytes]:
    """Decode a run of routing attributes into {type: payload}.

    A repeated type keeps its first value: the attributes we read (OIF,
    GATEWAY, PREFSRC, DST, LLADDR) appear once per message.
    """
    attrs: dict[int, bytes] = {}
    pos = 0
    end = len(data)
    while pos + _RTATTR.size <= end:
        length, kind = _RTATTR.unpack_from(data, pos)
        if length < _RTATTR.size or pos + length > end:
            break
        # The top bits of the type are flags (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
        attrs.setdefault(kind & 0x3FFF, bytes(data[pos + _RTATTR.size : pos + length]))
        pos += _align(length)
    return attrs


def request(msg_type: int, flags: int, header: bytes, attrs: bytes = b"") -> Iterator[Message]:
    """Send one rtnetlink request and yield its answers (RTM_NEWROUTE for RTM_GETROUTE...).

    ``header`` is the family header (rtmsg, ndmsg) already packed, and its
    size tells how to split each answer into header and attributes.
    Raises ``OSError`` with the kernel's errno when the kernel refuses, so
    callers can map e.g. ENETUNREACH to their own message.
    """
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.settimeout(_TIMEOUT_S)
        sock.bind((0, 0))
        seq = 1
        body = header + attrs
        sock.send(
            _NLMSGHDR.pack(_NLMSGHDR.size + len(body), msg_type, NLM_F_REQUEST | flags, seq, 0)
            + body
        )
        dump = bool(flags & NLM_F_DUMP)
        answer = _ANSWER[msg_type]
        while True:
            chunk = sock.recv(_RECV_SIZE)
            done = False
            for message in _split(chunk, len(header), seq):
                if message is None:
                    done = True
                    break
                if message.type == answer:
                    yield message
            # A plain request gets exactly one answer datagram; a dump ends
            # with NLMSG_DONE.
            if done or not dump:
                return


def _split(chunk: bytes, header_size: int, seq: int) -> Iterator[Message | None]:
    """Cut one datagram into messages; ``None`` marks the end of a dump."""
    view = memoryview(chunk)
    pos = 0
    while pos + _NLMSGHDR.size <= len(chunk):
        length, kind, _flags, msg_seq, _pid = _NLMSGHDR.unpack_from(chunk, pos)
        if length < _NLMSGHDR.size or pos + length > len(chunk):
            return
        payload = view[pos + _NLMSGHDR.size : pos + length]
        pos += _align(length)
        if msg_seq != seq:
            continue
        if kind == NLMSG_DONE:
            yield None
            return
        if kind == NLMSG_ERROR:
            (code,) = _ERRNO.unpack_from(payload, 0)
            if code == 0:  # an acknowledgement, not an error
                continue
            err = -code
            raise OSError(err, os.strerror(err))
        yield Message(kind, bytes(payload[:header_size]), parse_attrs(payload[header_size:]))
