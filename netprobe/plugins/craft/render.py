"""How ``craft`` shows packets and probe results on a terminal (pure text functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from netprobe.services.packetview import packet_text

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONValue
    from netprobe.services.output import Output


def _packet_text(packet: Mapping[str, JSONValue]) -> str:
    """A packet of a probe record as one line: dissected again from its hex when the
    record has it, else the names of its layers."""
    data = packet.get("hex")
    if isinstance(data, str):
        from netprobe.packet.dissect import dissect

        try:
            return packet_text(dissect(bytes.fromhex(data), packet.get("linktype") or 1))
        except ValueError:
            pass
    return " / ".join(str(x.get("layer")) for x in packet.get("layers") or ())


def record_line(record: Mapping[str, JSONValue]) -> str:
    """A probe record as ``n probe ==> answer (rtt ms)``, or ``==> no answer``."""
    n = record.get("n")
    sent = _packet_text(record["sent"])
    frags = record.get("fragments", 1)
    if frags > 1:
        sent += f" [{frags} fragments]"
    if record.get("sends", 1) > 1:
        sent += f" (sent {record['sends']} times)"
    answer = record.get("answer")
    if answer is None:
        return f"{'-' if n is None else n} {sent}  ==>  no answer"
    rtt = record.get("rtt_ms")
    text = f"{'-' if n is None else n} {sent}  ==>  {_packet_text(answer)}"
    return text + (f"  ({rtt:.3f} ms)" if isinstance(rtt, (int, float)) else "")


def render(records: Iterable[Mapping[str, JSONValue]], output: Output) -> None:
    """Print ``craft --sr`` records as text lines (the live run's terminal form)."""
    for record in records:
        if record.get("type") == "summary":
            output.line(summary_line(record))
        elif record.get("type") == "probe":
            output.line(record_line(record))


def summary_line(summary: Mapping[str, JSONValue]) -> str:
    """The summary record as one sentence."""
    elapsed = summary.get("elapsed_s")
    took = f" in {elapsed:.3f} s" if isinstance(elapsed, (int, float)) else ""
    return (f"{plural(summary['probes'], 'probe')}: {summary['answered']} answered, "
            f"{summary['unanswered']} without answer ({plural(summary['packets_sent'], 'packet')}"
            f" sent, {plural(summary['retries'], 'retry', 'retries')}){took}")


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 probe``, ``2 probes``."""
    return f"{n} {one if n == 1 else many or one + 's'}"
