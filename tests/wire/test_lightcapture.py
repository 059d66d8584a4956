"""The light captures see on loopback exactly what libpcap's capture sees.

A TCP handshake and a refused connection on 127.0.0.1 (and ::1), read at once
by a pcap capture (inbound, the kernel filter) and by ``IpCapture`` (raw IPv4
sockets) or ``LinkCapture`` (a packet socket without a ring), through the same
filter expression: the same packets, byte for byte, in the same order, with
time stamps from the kernel.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from netprobe.errors import UsageError
from netprobe.wire.capture import Capture, split_batch
from netprobe.wire.lightcapture import IpCapture, LinkCapture

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="raw and packet sockets need root")


def _traffic(family: int, port: int) -> None:
    """A connection accepted and closed, then one refused, on loopback ``port``(+1)."""
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    host = "127.0.0.1" if family == 4 else "::1"
    with socket.socket(af) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((host, port))
        server.listen(1)
        with socket.socket(af) as client:
            client.connect((host, port))
            peer, _ = server.accept()
            peer.close()
    with socket.socket(af) as client, pytest.raises(ConnectionRefusedError):
        client.connect((host, port + 1))


def _collect(cap: object, want: int, timeout: float = 3.0) -> list[tuple[float, bytes]]:
    got: list[tuple[float, bytes]] = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        buf, meta = cap.read_raw_batch(256)  # type: ignore[attr-defined]
        got += split_batch(buf, meta)
        if not meta:
            time.sleep(0.005)
    return got


@pytest.mark.parametrize("family", [4, 6])
def test_light_captures_see_what_pcap_sees(family: int) -> None:
    port = 47000 + os.getpid() % 1000 * 2
    expr = f"tcp and (port {port} or port {port + 1})"
    light = IpCapture("lo", expr) if family == 4 else LinkCapture("lo", expr)
    pcap = Capture("lo", expr, nonblocking=True, direction="in")
    try:
        _traffic(family, port)
        theirs = _collect(pcap, 6)
        ours = _collect(light, len(theirs))
    finally:
        light.close()
        pcap.close()
    assert len(theirs) >= 5  # SYN, SYN/ACK, ACK, FIN..., SYN, RST
    if family == 4:
        theirs_packets = [frame[14:] for _, frame in theirs]  # the IP packet of the frame
        assert light.linktype == 101
    else:
        theirs_packets = [frame for _, frame in theirs]
        assert light.linktype == pcap.linktype == 1
    assert [p for _, p in ours] == theirs_packets
    for (t_ours, _), (t_pcap, _) in zip(ours, theirs, strict=True):
        assert abs(t_ours - t_pcap) < 0.5  # both the kernel's receive stamps (epoch)
    assert light.stats()[0] == len(ours)


def test_filter_and_interface_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="bad capture filter"):
        IpCapture("lo", "tcp and and")
    with pytest.raises(UsageError, match="bad capture filter"):
        LinkCapture("lo", "port nonsense")
    with pytest.raises(UsageError, match="no such interface"):
        LinkCapture("npnosuch0", "tcp")


def test_link_capture_knows_its_interfaces() -> None:
    assert LinkCapture.supports("lo")
    assert not LinkCapture.supports("npnosuch0")
