"""Match answers to requests in a capture netprobe did not write, as the engine would.

A capture of someone else's probing (a tcpdump of an nmap scan, a Scapy
session) holds requests and answers in time order but no pairing. Each packet
is first offered as an answer to the requests still waiting under its hash
key (the layers' ``hashkey()`` / ``answers()``, the engine's own matching);
when none takes it, it becomes a request that later packets may answer. The
result is the same :class:`Result` stream a live run gives, so every view
works on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from netprobe.engine.results import Result
from netprobe.packet.dissect import dissect
from netprobe.packet.layer import Layer


def _key(pkt: Layer) -> bytes | None:
    try:
        return pkt.hashkey()
    except Exception:  # a malformed packet has no key: it is only ever a request
        return None


def match_packets(packets: Iterable[tuple[bytes, int, float]],
                  timeout: float | None = None) -> list[Result]:
    """Pair (data, linktype, time) packets into results, in the order requests were seen.

    ``timeout`` (seconds) drops answers that come later than that after their
    request, as a live run with that timeout would have.
    """
    results: list[Result] = []
    waiting: dict[bytes, list[tuple[Layer, Result]]] = {}
    for data, linktype, ts in packets:
        pkt = dissect(data, linktype)
        key = _key(pkt)
        taken = False
        for probe, res in waiting.get(key, ()) if key is not None else ():
            if res.answer_bytes is not None:
                continue
            ans = pkt if type(pkt) is type(probe) else pkt.getlayer(type(probe))
            try:
                ok = ans is not None and ans.answers(probe)
            except Exception:
                ok = False
            if not ok or (timeout is not None and ts - res.sent > timeout):
                continue
            res.answer_bytes, res.answer_linktype, res.received = data, linktype, ts
            taken = True
            break
        if taken:
            continue
        res = Result(data, linktype, ts, 1, probe=pkt)
        results.append(res)
        if key is not None:
            waiting.setdefault(key, []).append((pkt, res))
    return results
