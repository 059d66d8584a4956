"""Flow events: what the decoders say about each packet, as columns.

A packet that belongs to a flow gives one event (two or more when it
carries a tunnel: the outer flow and the inner one). Events are columns of
numpy arrays, never one Python object per packet.

Addresses are two 64-bit halves (the high half first); an IPv4 address is
``(0, addr)`` and ``ver`` tells the families apart. A port of -1 means
the flow has no ports (ICMP, GRE, ...). ``bits`` summarises a TCP segment
(see the ``TCP_*`` flags); ``icmp`` is ``type << 8 | code`` or -1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from netprobe.npimport import np

# TCP summary bits of one segment
TCP_SYN = 1  # SYN without ACK
TCP_SYNACK = 2  # SYN with ACK
TCP_FIN = 4
TCP_RST = 8
TCP_PLAIN = 16  # neither SYN nor RST: an ACK, data, a FIN
TCP_ACK = 32  # the ACK flag
TCP_DATA = 64  # payload bytes
TCP_SEQOK = 128  # whole header, not a fragment: tshark's sequence analysis sees it

# why a packet belongs to no flow (0: it does)
REASON_NONE = 0
REASON_NOT_IP = 1
REASON_TRUNCATED = 2
REASON_MALFORMED = 3
REASON_FRAGMENT = 4
REASON_LINKTYPE = 5
#: names used in the summary record
REASON_NAMES = {
    REASON_NOT_IP: "not_ip",
    REASON_TRUNCATED: "truncated",
    REASON_MALFORMED: "malformed",
    REASON_FRAGMENT: "fragment",
    REASON_LINKTYPE: "unsupported_link",
}
#: still to be decoded by the per-packet decoder (never left in a final result)
REASON_SLOW = -1

#: transport protocols whose flows are keyed with ports
PORT_PROTOCOLS = (6, 17, 132)
#: SCTP (which no layer reads): the bytes of its two ports, and of its common header
SCTP_PORTS, SCTP_HEADER = 4, 12


def tcp_bits(flags: np.ndarray, paylen: np.ndarray, seqok: np.ndarray) -> np.ndarray:
    """The summary bits of TCP segments from their flags (vectorised)."""
    bits = _FLAG_BITS.take(flags & 0x17)
    bits |= (paylen > 0).astype(np.uint8) * np.uint8(TCP_DATA)
    bits |= seqok.astype(np.uint8) * np.uint8(TCP_SEQOK)
    return bits


def tcp_bits_one(flags: int, paylen: int, seqok: bool) -> int:
    """The summary bits of one TCP segment."""
    syn = flags & 0x02
    ack = flags & 0x10
    rst = flags & 0x04
    bits = (TCP_SYN if syn and not ack else 0) | (TCP_SYNACK if syn and ack else 0)
    bits |= (TCP_FIN if flags & 0x01 else 0) | (TCP_RST if rst else 0)
    bits |= (TCP_PLAIN if not syn and not rst else 0) | (TCP_ACK if ack else 0)
    bits |= (TCP_DATA if paylen > 0 else 0) | (TCP_SEQOK if seqok else 0)
    return bits


#: summary bits (without DATA and SEQOK) for each value of flags & 0x17 (FIN SYN RST ACK)
_FLAG_BITS = np.array([tcp_bits_one(f, 0, False) for f in range(0x18)], dtype=np.uint8)


@dataclass
class Events:
    """Flow events as columns; ``pkt`` is the packet's index in its batch."""

    pkt: np.ndarray
    ver: np.ndarray
    proto: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    sport: np.ndarray
    dport: np.ndarray
    bits: np.ndarray
    seq: np.ndarray
    ack: np.ndarray
    paylen: np.ndarray
    icmp: np.ndarray

    def __len__(self) -> int:
        return len(self.pkt)

    @classmethod
    def empty(cls) -> Events:
        """No events."""
        return cls.from_tuples([])

    @classmethod
    def from_tuples(cls, rows: list[tuple]) -> Events:
        """From ``(pkt, ver, proto, src16, dst16, sport, dport, bits, seq, ack, paylen,
        icmp)`` tuples, addresses as 16 bytes (IPv4 right-aligned)."""
        n = len(rows)
        if n == 0:
            z = np.zeros(0, dtype=np.int64)
            return cls(z, z.astype(np.uint8), z.astype(np.uint8), np.zeros((0, 2), np.uint64),
                       np.zeros((0, 2), np.uint64), z.astype(np.int32), z.astype(np.int32),
                       z.astype(np.uint8), z.astype(np.uint32), z.astype(np.uint32), z,
                       z.astype(np.int32))
        cols = list(zip(*rows))
        src = np.frombuffer(b"".join(cols[3]), dtype=">u8").astype(np.uint64).reshape(n, 2)
        dst = np.frombuffer(b"".join(cols[4]), dtype=">u8").astype(np.uint64).reshape(n, 2)
        return cls(np.array(cols[0], np.int64), np.array(cols[1], np.uint8),
                   np.array(cols[2], np.uint8), src, dst, np.array(cols[5], np.int32),
                   np.array(cols[6], np.int32), np.array(cols[7], np.uint8),
                   np.array(cols[8], np.uint32), np.array(cols[9], np.uint32),
                   np.array(cols[10], np.int64), np.array(cols[11], np.int32))

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        """All events of ``parts``, in packet order (stable for one packet's events)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        joined = cls(*(np.concatenate([getattr(p, f.name) for p in parts])
                       for f in fields(cls)))
        order = np.argsort(joined.pkt, kind="stable")
        return joined.take(order)

    def take(self, idx: np.ndarray) -> Events:
        """The events at ``idx``."""
        return Events(*(getattr(self, f.name).take(idx, axis=0) for f in fields(self)))
