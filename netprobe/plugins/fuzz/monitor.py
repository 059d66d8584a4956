"""Monitors: is the fuzzed target still alive? A probe that must get its answer.

``--monitor`` takes one of:

* ``icmp``: an echo request; alive when an echo reply comes back.
* ``tcp:PORT``: a SYN; alive when a SYN-ACK comes back (a reset means the
  service is gone).
* ``udp:PORT`` or ``udp:PORT:HEX``: a datagram (HEX is its payload, empty
  if left out); alive when a UDP datagram comes back (an ICMP port
  unreachable means the service is gone).

Parsing and judging are pure; the probe goes out through the engine like
every other packet of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

from netprobe.engine.results import Result
from netprobe.errors import UsageError
from netprobe.packet.layer import Layer

#: ICMP echo identifier of monitor probes ("NP")
ECHO_ID = 0x4E50
#: monitor probes use source ports from here on, one per check
FIRST_PORT = 49152
_MAX_PAYLOAD = 1024


@dataclass(frozen=True)
class Monitor:
    """One liveness probe: its kind (icmp, tcp, udp), port and payload."""

    kind: str
    port: int | None = None
    payload: bytes = b""

    @property
    def spec(self) -> str:
        """The canonical ``--monitor`` text of this monitor."""
        if self.kind == "icmp":
            return "icmp"
        if self.kind == "udp" and self.payload:
            return f"udp:{self.port}:{self.payload.hex()}"
        return f"{self.kind}:{self.port}"

    def probe(self, dst: str, number: int) -> Layer:
        """The probe for check ``number`` (ports, ids and sequence numbers vary with it)."""
        from netprobe.packet import ICMP, IP, TCP, UDP, ICMPv6EchoRequest, IPv6, Raw

        v6 = ":" in dst
        net: Layer = IPv6(dst=dst) if v6 else IP(dst=dst)
        sport = FIRST_PORT + number % 16384
        if self.kind == "icmp":
            if v6:
                return net / ICMPv6EchoRequest(id=ECHO_ID, seq=number & 0xFFFF)
            return net / ICMP(type=8, id=ECHO_ID, seq=number & 0xFFFF)
        if self.kind == "tcp":
            seq = (number * 2654435761 + 1) & 0xFFFFFFFF
            return net / TCP(sport=sport, dport=self.port, flags="S", seq=seq)
        probe = net / UDP(sport=sport, dport=self.port)
        return probe / Raw(load=self.payload) if self.payload else probe

    def alive(self, result: Result) -> bool:
        """True when ``result`` holds the answer a live target gives."""
        answer = result.answer
        if answer is None:
            return False
        first = _transport(answer)
        if first is None:
            return False
        name = type(first).__name__
        if self.kind == "icmp":
            return (name == "ICMP" and first.type == 0) or name == "ICMPv6EchoReply"
        if self.kind == "tcp":
            return name == "TCP" and first.flags & 0x12 == 0x12
        return name == "UDP"


def _transport(packet: Layer) -> Layer | None:
    """The first transport-level layer (TCP, UDP or an ICMP message) of a packet."""
    for layer in packet.chain():
        name = type(layer).__name__
        if name in ("TCP", "UDP") or name.startswith("ICMP"):
            return layer
    return None


def parse_monitor(text: str) -> Monitor:
    """Read a ``--monitor`` value; a usage error says what is wrong with it."""
    raw = text.strip()
    parts = raw.split(":")
    kind = parts[0].lower()
    usage = "expected icmp, tcp:PORT or udp:PORT[:HEX]"
    if kind == "icmp":
        if len(parts) != 1:
            raise UsageError(f"--monitor {text!r}: icmp takes no port ({usage})")
        return Monitor("icmp")
    if kind not in ("tcp", "udp") or len(parts) < 2:
        raise UsageError(f"--monitor {text!r}: {usage}")
    if (kind == "tcp" and len(parts) != 2) or (kind == "udp" and len(parts) > 3):
        raise UsageError(f"--monitor {text!r}: {usage}")
    try:
        port = int(parts[1], 10)
    except ValueError:
        raise UsageError(f"--monitor {text!r}: {parts[1]!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise UsageError(f"--monitor {text!r}: port {port} is not in 1-65535")
    payload = b""
    if len(parts) == 3:
        try:
            payload = bytes.fromhex(parts[2])
        except ValueError:
            raise UsageError(f"--monitor {text!r}: {parts[2]!r} is not hex") from None
        if len(payload) > _MAX_PAYLOAD:
            raise UsageError(f"--monitor {text!r}: a payload of at most {_MAX_PAYLOAD} "
                             "bytes")
    return Monitor(kind, port, payload)
