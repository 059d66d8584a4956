"""Ctrl-C during discovery or the UDP scan: what the phase had is kept, and the scan stops.

discovery.discover and udp.scan_udp raise ``collect.PhaseInterrupted`` (a
KeyboardInterrupt carrying their results so far); the scan run files those results
with the collector before letting the interruption go on, so that the report of an
interrupted scan still shows them.
"""

from __future__ import annotations

import pytest

from netprobe.engine.results import Counters, Result
from netprobe.plugins.portscan.collect import PhaseInterrupted
from netprobe.plugins.portscan.plan import make_plan
from netprobe.plugins.portscan.run import ScanRun
from netprobe.wire.scope import Scope

PLAN = dict(targets=["198.18.1.11"], input_file=None, excludes=[], exclude_file=None,
            ports="22", top=None, scan_flags=[], privileged=True, skip_discovery=True,
            template=None, seed=1, shard=None, rate=None, min_rate=None, max_rate=None,
            max_retries=None, max_time=None, all_states=False, iface=None, ipv6=False)


def _run() -> ScanRun:
    return ScanRun(make_plan(**PLAN), scope=Scope(["198.18.0.0/15"]), privileged=True,
                   warn=lambda _: None)


def test_interrupted_phase_hands_its_results_to_the_collector():
    scan = _run()
    got = [Result(b"\x45" + bytes(19), 101, 1.0), Result(b"\x45" + bytes(19), 101, 2.0)]

    def phase(counters: Counters) -> list[Result]:
        raise PhaseInterrupted(got)

    with pytest.raises(KeyboardInterrupt):
        scan._other_phase(phase)
    assert scan.collector.other == got


def test_plain_ctrl_c_in_a_phase_still_stops_the_scan():
    scan = _run()

    def phase(counters: Counters) -> list[Result]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scan._other_phase(phase)
    assert scan.collector.other == []


def test_phase_interrupted_is_a_keyboard_interrupt():
    # the command's `except KeyboardInterrupt` must catch it, as it did the two old classes
    assert issubclass(PhaseInterrupted, KeyboardInterrupt)
    assert PhaseInterrupted([]).results == []
