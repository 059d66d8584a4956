"""Large IP packet sets to one next hop go out as Ethernet frames, invisibly to the caller."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.engine import api
from netprobe.packet import IP, TCP


def test_small_or_spread_sets_are_not_framed() -> None:
    assert api._framed(IP(dst="198.18.1.11") / TCP(dport=(1, 10)), None) is None
    assert api._framed(IP(dst=["198.18.1.11", "198.18.1.12"]) / TCP(dport=(1, 1000)),
                       None) is None
    assert api._framed(b"\x45" + bytes(39), None) is None


@pytest.mark.lab
def test_a_framed_sr_reads_like_a_layer3_one(lab: LabHandle) -> None:
    host = lab.host("h1")
    code = f"""
import json
from netprobe.engine import api
from netprobe.packet import IP, TCP
api.sr(IP(dst={host['ipv4']!r}) / TCP(dport=22, flags="S"), timeout=1, progress=False)
framed = api._framed(IP(dst={host['ipv4']!r}) / TCP(dport=(1, 1024), flags="S"), None)
ans, unans = api.sr(IP(dst={host['ipv4']!r}) / TCP(dport=(1, 1024), flags="S"), timeout=1,
                    progress=False)
print(json.dumps({{"framed": framed is not None,
                  "linktypes": sorted({{r.probe_linktype for r in ans + unans}}),
                  "first": ans[0].probe.summary(),
                  "open": sorted(r.probe[TCP].dport for r in ans
                                 if str(r.answer[TCP].flags) == "SA"),
                  "answered": len(ans), "unanswered": len(unans)}}))
"""
    proc = lab.python(code, timeout=60)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["framed"]  # the first sr() taught the kernel h1's MAC
    assert got["linktypes"] == [101] and got["first"].startswith("IP ")
    want_open = sorted(p for p in range(1, 1025) if lab.expected("h1", "tcp", p)[0] == "open")
    assert got["open"] == want_open
    assert got["answered"] + got["unanswered"] == 1024
