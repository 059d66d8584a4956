"""``traceroute()`` and ``arping()``: Scapy's probing tools as functions on the engine.

Each sends through ``sr``/``srp`` (so the scope guard, pacing and matching are the
engine's) and returns Scapy's pair ``(results, unanswered)``; the results list
prints Scapy's tables with ``show()``.
"""

from __future__ import annotations

import random
from typing import Any

from netprobe.engine.api import sr, srp
from netprobe.engine.results import ResultList
from netprobe.library.sessions import layer_named

__all__ = ["ARPingResult", "TracerouteResult", "arping", "traceroute"]


def _ip(pkt: Any) -> Any:
    """The packet's IP layer, else its IPv6 layer."""
    return layer_named(pkt, "IP") or layer_named(pkt, "IPv6")


def _target(probe: Any) -> str:
    """``198.18.1.10:tcp80``: where a traceroute probe went, as Scapy labels it."""
    ip = _ip(probe)
    for name, label in (("TCP", "tcp"), ("UDP", "udp")):
        l4 = layer_named(probe, name)
        if l4 is not None:
            return f"{ip.dst}:{label}{int(l4.dport)}"
    return f"{ip.dst}:ICMP" if layer_named(probe, "ICMP") is not None else str(ip.dst)


def _hop_text(answer: Any) -> str:
    """The answering address, then TCP flags or the ICMP type (``11`` on the way)."""
    ip = _ip(answer)
    tcp, icmp = layer_named(answer, "TCP"), layer_named(answer, "ICMP")
    what = str(tcp.flags) if tcp is not None else (str(int(icmp.type)) if icmp is not None
                                                    else "")
    return f"{ip.src!s:<15} {what}"


def _ttl(probe: Any) -> int:
    ip = _ip(probe)
    return int(ip.ttl if type(ip).__name__ == "IP" else ip.hlim)


class TracerouteResult(ResultList):
    """A traceroute's answered probes; :meth:`show` prints the hop table."""

    __slots__ = ()
    default_name = "Traceroute"

    def show(self, *args: Any, **kwargs: Any) -> None:
        """The hops: one column per target, one row per TTL."""
        self.make_table(lambda s, r: (_target(s), _ttl(s), _hop_text(r)))

    def get_trace(self) -> dict[str, dict[int, tuple[str, bool]]]:
        """``{target: {ttl: (address, reached the target)}}``."""
        trace: dict[str, dict[int, tuple[str, bool]]] = {}
        for r in self:
            dst, src = str(_ip(r.probe).dst), str(_ip(r.answer).src)
            trace.setdefault(dst, {})[_ttl(r.probe)] = (src, src == dst)
        return trace


class ARPingResult(ResultList):
    """The hosts that answered an ARP ping; :meth:`show` lists their MAC and address."""

    __slots__ = ()
    default_name = "ARPing"

    def show(self, *args: Any, **kwargs: Any) -> None:
        """One line per answer: the MAC, then the IP address."""
        for r in self:
            print(f"{layer_named(r.answer, 'Ether').src}  {layer_named(r.answer, 'ARP').psrc}")


def traceroute(target: Any, dport: int = 80, minttl: int = 1, maxttl: int = 30,
               sport: int | None = None, l4: Any = None, filter: str | None = None,
               timeout: float = 2.0, verbose: int | None = None, **kwargs: Any,
               ) -> tuple[TracerouteResult, Any]:
    """TCP SYN traceroute (or ``l4``'s protocol) to ``target`` (an address or a list):
    ``(TracerouteResult, unanswered)``; shows the hop table when ``verbose``."""
    from netprobe.packet import IP, TCP

    targets = target if isinstance(target, list) else [target]
    ident = random.randint(1, 65535)
    if l4 is None:
        # one sequence number per TTL: the answers (the SYN-ACK's ack, the quoted
        # header in an ICMP error) then say which probe they answer
        port = sport if sport is not None else random.randint(1025, 65535)
        base = random.getrandbits(31)
        probes = [IP(dst=dst, id=ident, ttl=ttl) / TCP(sport=port, dport=dport, flags="S",
                                                       seq=base + ttl)
                  for dst in targets for ttl in range(minttl, maxttl + 1)]
    else:
        probes = [IP(dst=dst, id=ident, ttl=ttl) / l4 for dst in targets
                  for ttl in range(minttl, maxttl + 1)]
    ans, unans = sr(probes, filter=filter, timeout=timeout, verbose=verbose, **kwargs)
    result = TracerouteResult(ans.res)
    if verbose:
        result.show()
    return result, unans


def arping(net: str, timeout: float = 2.0, cache: int = 0, verbose: int | None = None,
           **kwargs: Any) -> tuple[ARPingResult, Any]:
    """ARP-ping every address of ``net`` (``"198.18.0.0/24"``): ``(ARPingResult,
    unanswered)``; lists the answers when ``verbose``."""
    from netprobe.packet import ARP, Ether

    ans, unans = srp(Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=net), timeout=timeout,
                     verbose=verbose, **kwargs)
    result = ARPingResult(ans.res)
    if verbose:
        result.show()
    return result, unans
