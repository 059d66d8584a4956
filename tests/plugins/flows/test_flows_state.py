"""Zeek-style connection states from the segments each side sent (pure functions)."""

from __future__ import annotations

import pytest

from netprobe.packet.flow_events import TCP_ACK, TCP_DATA, tcp_bits_one
from netprobe.plugins.flows.conn_state import conn_state

S, SA, A, PA, FA, R, RA = 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14


def bits(*flags: int, data: bool = False) -> int:
    out = 0
    for f in flags:
        out |= tcp_bits_one(f, 100 if data and f & 0x08 else 0, True)
    return out


@pytest.mark.parametrize(("orig", "resp", "pay", "state"), [
    (bits(S), 0, (0, 0), "S0"),
    (bits(S, A), bits(SA), (0, 0), "S1"),
    (bits(S, A, PA, FA), bits(SA, PA, FA), (100, 900), "SF"),
    (bits(S), bits(RA), (0, 0), "REJ"),
    (bits(S, A, FA), bits(SA, A), (0, 0), "S2"),
    (bits(S, A), bits(SA, FA), (0, 0), "S3"),
    (bits(S, A, R), bits(SA), (0, 0), "RSTO"),
    (bits(S, A), bits(SA, R), (10, 0), "RSTR"),
    (bits(S, R), 0, (0, 0), "RSTOS0"),
    (0, bits(SA, R), (0, 0), "RSTRH"),
    (bits(S, FA), 0, (0, 0), "SH"),
    (0, bits(SA, FA), (0, 0), "SHR"),
    (bits(A, PA), bits(A), (50, 0), "OTH"),
])
def test_tcp_states(orig: int, resp: int, pay: tuple[int, int], state: str) -> None:
    assert conn_state(6, orig, resp, 1 if orig else 0, 1 if resp else 0, *pay) == state


def test_other_protocols_follow_zeeks_udp_rule() -> None:
    assert conn_state(17, 0, 0, 3, 2, 0, 0) == "SF"
    assert conn_state(17, 0, 0, 3, 0, 0, 0) == "S0"
    assert conn_state(1, 0, 0, 1, 1, 0, 0) == "SF"


def test_segment_bits() -> None:
    assert tcp_bits_one(PA, 5, True) & TCP_DATA
    assert tcp_bits_one(A, 0, False) & TCP_ACK
    assert not tcp_bits_one(SA, 0, True) & 0x01  # a SYN/ACK is not a SYN alone
