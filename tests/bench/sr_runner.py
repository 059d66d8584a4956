"""One ``sr()`` run inside the lab's scanner namespace, its figures printed as JSON.

The engine benchmarks start this file as a child process in the scanner
namespace (``ip netns exec <lab>-scan python sr_runner.py ...``), so that the
packets never leave the lab and each tool runs in a fresh interpreter. The
clock runs around the ``sr()`` call only: interpreter start and imports are
not part of the figure, for either tool (netprobe's wire modules, which it
imports on first use, are imported before the clock like Scapy's).

    sr_runner.py netprobe --dst 198.18.1.15 --dports 65535 [--sports 1] [--rate R]
    sr_runner.py scapy --dst 198.18.1.15 --dports 65535

Output (one JSON object on stdout): probes, elapsed (s), answered, the ports
that answered SYN-ACK and how many answered RST, and for netprobe the send
times (first, last, size of the last batch) and the engine's counters.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

SYN_ACK, RST = 0x12, 0x04
FIRST_SPORT = 40000


def _tally(pairs: list[tuple[int, int]]) -> dict[str, Any]:
    """(dport of probe, TCP flags of answer) pairs → open ports and RST count."""
    open_ports = sorted({port for port, flags in pairs if flags & SYN_ACK == SYN_ACK})
    resets = sum(1 for _, flags in pairs if flags & RST)
    return {"syn_ack_ports": open_ports, "rst": resets}


def run_netprobe(args: argparse.Namespace) -> dict[str, Any]:
    """``netprobe.engine.api.sr`` on the packet set; figures and send times."""
    # Imports outside the clock, as for Scapy: netprobe imports its wire modules (sockets,
    # capture, routes) on the first send, so that `import netprobe` stays cheap.
    import netprobe.wire.capture
    import netprobe.wire.iface
    import netprobe.wire.neighbour
    import netprobe.wire.route
    import netprobe.wire.sockets  # noqa: F401
    from netprobe.engine.api import sr
    from netprobe.packet import IP, TCP

    sports = [FIRST_SPORT + i for i in range(args.sports)] if args.sports > 1 else 20
    probes = IP(dst=args.dst) / TCP(sport=sports, dport=range(1, args.dports + 1), flags="S")
    start = time.perf_counter()
    answered, unanswered = result = sr(probes, timeout=args.timeout, rate=args.rate)
    elapsed = time.perf_counter() - start
    sends = [r.sent for r in answered] + [r.sent for r in unanswered]
    first, last = min(sends), max(sends)
    pairs = [(r.probe[TCP].dport, int(r.answer[TCP].flags)) for r in answered
             if r.answer is not None and r.answer.getlayer(TCP) is not None]
    return {"tool": "netprobe", "probes": len(sends), "elapsed": elapsed,
            "answered": len(answered), "unanswered": len(unanswered),
            "first_send": first, "last_send": last,
            "last_batch": sum(1 for t in sends if t == last),
            "counters": result.counters.to_dict(), **_tally(pairs)}


def run_scapy(args: argparse.Namespace) -> dict[str, Any]:
    """Scapy's ``sr()`` on the same probes, as its documentation writes it."""
    from scapy.layers.inet import IP, TCP
    from scapy.sendrecv import sr

    probes = IP(dst=args.dst) / TCP(dport=(1, args.dports), flags="S")
    start = time.perf_counter()
    answered, unanswered = sr(probes, timeout=args.timeout, verbose=0)
    elapsed = time.perf_counter() - start
    pairs = [(int(sent[TCP].dport), int(recv[TCP].flags)) for sent, recv in answered
             if recv.haslayer(TCP)]
    return {"tool": "scapy", "probes": len(answered) + len(unanswered), "elapsed": elapsed,
            "answered": len(answered), "unanswered": len(unanswered), **_tally(pairs)}


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the chosen tool, print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=["netprobe", "scapy"])
    parser.add_argument("--dst", required=True)
    parser.add_argument("--dports", type=int, default=65535, help="ports 1..N")
    parser.add_argument("--sports", type=int, default=1,
                        help="source ports 40000.. (more probes than 65,535)")
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.tool == "scapy" and (args.sports != 1 or args.rate is not None):
        parser.error("the Scapy run takes --dst, --dports and --timeout only")
    figures = run_netprobe(args) if args.tool == "netprobe" else run_scapy(args)
    json.dump(figures, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
