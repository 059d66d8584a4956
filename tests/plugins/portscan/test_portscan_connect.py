"""``netprobe.wire.connect`` on the loopback: open, refused, and the scope guard."""

from __future__ import annotations

import socket

import pytest

from netprobe.errors import ScopeError
from netprobe.wire.connect import connect_many
from netprobe.wire.scope import Scope


@pytest.fixture
def listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield s.getsockname()[1]
    s.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_open_and_refused(listener):
    closed = free_port()
    outs = {o.port: o for o in connect_many([("127.0.0.1", listener), ("127.0.0.1", closed)],
                                            timeout=2.0, scope=Scope(["127.0.0.0/8"]))}
    assert outs[listener].status == "open"
    assert outs[closed].status == "refused"
    assert all(o.finished >= o.started > 0 for o in outs.values())


def test_many_at_once_with_a_small_window(listener):
    targets = [("127.0.0.1", listener)] * 50
    outs = list(connect_many(targets, timeout=2.0, parallel=4, scope=Scope(["127.0.0.0/8"])))
    assert len(outs) == 50 and {o.status for o in outs} == {"open"}


def test_scope_guard_refuses_before_sending():
    with pytest.raises(ScopeError):
        list(connect_many([("198.51.100.1", 80)], timeout=0.1, scope=Scope(["127.0.0.0/8"])))


def test_max_time_cancels(listener):
    outs = list(connect_many([("127.0.0.1", listener)] * 3, timeout=1.0, rate=1.0,
                             max_time=0.3, scope=Scope(["127.0.0.0/8"])))
    assert outs[0].status == "open"
    assert len(outs) < 3
