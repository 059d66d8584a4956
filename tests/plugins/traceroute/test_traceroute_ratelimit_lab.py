"""``netprobe traceroute`` against routers that keep the kernel's stock ICMP rate limits.

The ``real_lab`` is the practice lab with every node's stock limits (a burst
of 6 ICMP errors to one peer, then one per second for IPv4, one per 100 ms at
most for IPv6), at 0 and 25 ms round trip (``real_lab_rtt``). Traces run back
to back, as a user runs them: the routers' tokens are spent by the traces
before, and every trace must still give the lab's exact path.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from netprobe.engine.runfile import load_run
from netprobe.plugins.traceroute.interpret import outcomes
from netprobe.plugins.traceroute.ratelimit import BURST
from tests.labfixture import REFILL_SECONDS, LabHandle, real_lab, real_lab_rtt  # noqa: F401
from tests.plugins.traceroute.test_traceroute_lab import check_path, far, truth_hops

pytestmark = pytest.mark.lab


def traceroute(lab: LabHandle, *args: str) -> list[dict[str, Any]]:
    proc = lab.netprobe("--json", "traceroute", *args, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_the_lab_keeps_stock_limits(real_lab: LabHandle) -> None:  # noqa: F811
    assert real_lab.ratelimited


@pytest.mark.parametrize("family", [4, 6])
def test_back_to_back_traces_of_every_method_then_multipath_are_exact(
        real_lab_rtt: LabHandle, family: int) -> None:  # noqa: F811
    lab = real_lab_rtt
    dst = far(lab, family)
    for method in ("udp", "icmp", "tcp", "udp", "tcp"):
        records = traceroute(lab, "-P", method, dst)
        check_path(lab, records, family, method, ecmp_both=False)
    # the routers' bursts are spent: MDA waits for their tokens, and still finds both
    records = traceroute(lab, "--multipath", dst)
    check_path(lab, records, family, "udp", ecmp_both=True)
    records = traceroute(lab, "-P", "tcp", dst)
    check_path(lab, records, family, "tcp", ecmp_both=False)


def test_multipath_spends_its_probes_within_the_routers_budgets(
        real_lab_rtt: LabHandle, tmp_path: Path) -> None:  # noqa: F811
    lab = real_lab_rtt
    time.sleep(REFILL_SECONDS)  # full buckets: what MDA may spend without waiting
    saved = tmp_path / "mda.pcapng"
    records = traceroute(lab, "--multipath", "--save", str(saved), far(lab, 4))
    check_path(lab, records, 4, "udp", ecmp_both=True)
    found = [o for o in outcomes(load_run(str(saved)).results) if o.role == "hop"]
    sent = Counter(o.ttl for o in found)
    answered = Counter(o.ttl for o in found if o.answered)
    for hop in truth_hops(lab, 4)[:-1]:
        ttl, routers = hop["ttl"], len(hop["addrs"]) if hop["answers"] else 1
        # no flood: at most twice what the routers there can answer at once ...
        assert sent[ttl] <= 2 * BURST * routers, (ttl, sent[ttl])
        if hop["answers"]:
            # ... and most probes to a router that answers get their answer
            assert answered[ttl] * 2 >= sent[ttl], (ttl, sent[ttl], answered[ttl])
    # the old planner sent 200 probes for 16 answers once the routers ran dry
    path = records[-1]
    assert path["probes"] <= 2 * path["answered"] + BURST + 2
