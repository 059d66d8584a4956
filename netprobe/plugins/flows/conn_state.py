"""Zeek-style connection states from what each endpoint sent.

Zeek tracks each TCP endpoint through INACTIVE, SYN_SENT, SYN_ACK_SENT,
PARTIAL, ESTABLISHED, CLOSED and RESET and then names the connection (its
``conn_state``): S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH,
SHR, OTH. Here each endpoint's final state comes from the union of the
segments it sent (see ``events.TCP_*``), which needs no per-packet state:

* RESET if it sent a RST; else CLOSED if it sent a FIN;
* ESTABLISHED once both sides sent their SYN (or SYN/ACK) and an ACK
  followed; else SYN_ACK_SENT or SYN_SENT after a SYN/ACK or a SYN;
* PARTIAL if it only sent segments without SYN; INACTIVE if nothing.

The originator is endpoint A (the sender of the first packet), as in the
conversation table. Without a per-packet history, RSTOS0 is an originator
that sent a SYN and a RST and nothing else while the responder stayed
silent. UDP, ICMP and other protocols follow Zeek's rule for them: SF when
both sides sent, S0 when only the originator did.
"""

from __future__ import annotations

from netprobe.packet.flow_events import (
    TCP_FIN,
    TCP_PLAIN,
    TCP_RST,
    TCP_SYN,
    TCP_SYNACK,
)

INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET = range(7)


def endpoint_state(bits: int, established: bool) -> int:
    """The final Zeek endpoint state of a sender from the union of its segments' bits."""
    if bits & TCP_RST:
        return RESET
    if bits & TCP_FIN:
        return CLOSED
    if established:
        return ESTABLISHED
    if bits & TCP_SYNACK:
        return SYN_ACK_SENT
    if bits & TCP_SYN:
        return SYN_SENT
    if bits & TCP_PLAIN:
        return PARTIAL
    return INACTIVE


def conn_state(proto: int, bits_a: int, bits_b: int, packets_a: int, packets_b: int,
               payload_a: int, payload_b: int) -> str:
    """Zeek's ``conn_state`` for a conversation whose originator is A."""
    if proto != 6:
        if packets_a and packets_b:
            return "SF"
        return "S0" if packets_a else ("SHR" if packets_b else "OTH")
    syns = TCP_SYN | TCP_SYNACK
    established = bool(bits_a & syns and bits_b & syns and (bits_a | bits_b) & TCP_PLAIN)
    os_ = endpoint_state(bits_a, established)
    rs = endpoint_state(bits_b, established)
    o_inactive = os_ in (INACTIVE, PARTIAL)
    r_inactive = rs in (INACTIVE, PARTIAL)
    if rs == RESET:
        if os_ in (SYN_SENT, SYN_ACK_SENT) or (os_ == RESET and not payload_a and not payload_b):
            return "REJ"
        return "RSTRH" if o_inactive else "RSTR"
    if os_ == RESET:
        if r_inactive:
            only_syn_rst = bits_a & TCP_SYN and not bits_a & (TCP_SYNACK | TCP_FIN) \
                and not payload_a
            return "RSTOS0" if only_syn_rst and rs == INACTIVE else "OTH"
        return "RSTO"
    if rs == CLOSED and os_ == CLOSED:
        return "SF"
    if os_ == CLOSED:
        return "SH" if r_inactive else "S2"
    if rs == CLOSED:
        return "SHR" if o_inactive else "S3"
    if os_ == SYN_SENT and rs == INACTIVE:
        return "S0"
    if os_ == ESTABLISHED and rs == ESTABLISHED:
        return "S1"
    return "OTH"
