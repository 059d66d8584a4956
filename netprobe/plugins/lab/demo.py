"""The lab demo: one probe run through the engine against the practice lab's LAN.

Run inside the scanner namespace (``netprobe lab demo`` does that). It sends a
SYN to a handful of ports and an ICMP echo to every LAN host in one ``sr()``
run and prints what came back, next to what the lab says should come back.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from netprobe.packet.shape import icmp_error_reason

if TYPE_CHECKING:
    from netprobe.packet.layer import Layer
    from netprobe.services.json_value import JSONRecord

DEMO_PORTS = (22, 23, 53, 80, 139, 443, 8080, 8443)


def verdict(answer: Layer | None) -> tuple[str, str]:
    """(state, reason) that an answer to a TCP SYN means, nmap's words."""
    if answer is None:
        return "filtered", "no-response"
    tcp = answer.getlayer("TCP")
    if tcp is not None:
        if tcp.flags & 0x12 == 0x12:
            return "open", "syn-ack"
        if tcp.flags & 0x04:
            return "closed", "reset"
    icmp = answer.getlayer("ICMP")
    reason = None if icmp is None else icmp_error_reason(4, icmp.type, icmp.code)
    if reason is not None:
        return "filtered", reason
    return "unknown", answer.brief()


def _order(row: JSONRecord) -> tuple[tuple[int, ...], int, int]:
    host = tuple(int(x) for x in row["host"].split("."))
    probe = row["probe"]
    return (host, 0, 0) if probe.startswith("icmp") else (host, 1, int(probe.split("/")[1]))


def main(argv: list[str]) -> int:
    """Probe the hosts given as JSON on argv[1]; print JSON Lines or a table."""
    from netprobe.engine.api import sr
    from netprobe.packet import ICMP, IP, TCP

    hosts = json.loads(argv[1])
    as_json = "--json" in argv
    probes = [IP(dst=[h["ipv4"] for h in hosts]) / TCP(dport=list(DEMO_PORTS), flags="S"),
              IP(dst=[h["ipv4"] for h in hosts]) / ICMP()]
    res = sr(probes, timeout=1.0, retry=1)
    rows = []
    for r in list(res.answered) + list(res.unanswered):
        p = r.probe
        dst = p.getlayer("IP").dst
        tcp = p.getlayer("TCP")
        if tcp is not None:
            state, reason = verdict(r.answer)
            what = f"tcp/{tcp.dport}"
        else:
            state, reason = ("up", "echo-reply") if r.answer is not None else ("silent",
                                                                            "no-response")
            what = "icmp echo"
        rtt = None if r.rtt is None else round(r.rtt * 1000, 3)
        rows.append({"type": "demo", "host": dst, "probe": what, "state": state,
                     "reason": reason, "rtt_ms": rtt})
    rows.sort(key=_order)
    c = res.counters
    summary = {"type": "summary", "probes": len(rows), "sent": c.sent, "retries": c.retries,
               "answered": len(res.answered), "unanswered": len(res.unanswered),
               "elapsed_s": round(c.elapsed, 3)}
    if as_json:
        for row in rows:
            print(json.dumps(row))
        print(json.dumps(summary))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="netprobe lab demo: one sr() run over the LAN", box=None)
    for col in ("host", "probe", "state", "reason", "rtt ms"):
        table.add_column(col)
    for row in rows:
        table.add_row(row["host"], row["probe"], row["state"], row["reason"],
                      "" if row["rtt_ms"] is None else f"{row['rtt_ms']:.3f}")
    console = Console()
    console.print(table)
    console.print(f"{summary['probes']} probes ({summary['sent']} packets sent, "
                  f"{summary['retries']} retries), "
                  f"{summary['answered']} answered, {summary['unanswered']} unanswered "
                  f"in {summary['elapsed_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
