"""Which runs ``history diff`` compares: the rules of ``pick.py`` on lists of runs (pure)."""

from __future__ import annotations

import pytest

from netprobe.errors import UsageError
from netprobe.plugins.history.pick import (
    choose,
    has_target,
    is_run_id,
    latest_round,
    named_pair,
    scan_pair,
    since_round,
)
from netprobe.services.history.store import Run

#: scan key -> (kind, targets)
SCANS = {"ps-a": ("portscan", ["198.18.1.0/24"]), "ps-b": ("portscan", ["198.18.2.0/24"]),
         "tr": ("traceroute", ["198.19.2.10"]), "arp": ("arpscan", ["198.18.1.0/24"])}


def runs(*keys: str, partial: tuple[int, ...] = ()) -> list[Run]:
    """Runs of the given scans in this order, ids from 1, an hour apart."""
    return [Run(id=n, kind=SCANS[key][0], scan_key=key, argv=[], targets=SCANS[key][1],
                started=3600.0 * n, ended=3600.0 * n + 5, partial=n in partial, summary={},
                counts={}, version="") for n, key in enumerate(keys, start=1)]


def pairs(comparisons: list) -> list[tuple]:
    return [(c.scan, c.before.id if c.before else None, c.after.id if c.after else None)
            for c in comparisons]


@pytest.mark.parametrize("keys, expected", [
    (("ps-a", "ps-a", "tr"), ["ps-a", "tr"]),  # the case: the trace came last
    (("ps-a", "tr", "ps-a", "tr"), ["ps-a", "tr"]),  # a nightly round of two scans
    (("ps-a", "ps-b", "tr", "ps-a", "ps-b", "tr"), ["ps-a", "ps-b", "tr"]),
    (("arp", "arp", "ps-a", "ps-a", "tr"), ["ps-a", "tr"]),  # arp is an older round
    (("ps-a", "tr", "ps-a"), ["tr", "ps-a"]),
    (("tr",), ["tr"]),
    ((), []),
])
def test_latest_round(keys: tuple[str, ...], expected: list[str]) -> None:
    assert latest_round(runs(*keys)) == expected


def test_choose_without_arguments_compares_each_scan_of_the_round() -> None:
    assert pairs(choose(runs("ps-a", "ps-a", "tr"))) == [("ps-a", 1, 2), ("tr", None, 3)]
    assert pairs(choose(runs("ps-a", "tr", "ps-a", "tr"))) == [("ps-a", 1, 3), ("tr", 2, 4)]
    assert choose([]) == []


def test_choose_by_kind_scan_and_target() -> None:
    every = runs("ps-a", "ps-b", "tr", "ps-a", "ps-b", "tr")
    assert pairs(choose(every, kind="portscan")) == [("ps-b", 2, 5)]
    assert pairs(choose(every, scan_key="ps-a")) == [("ps-a", 1, 4)]
    assert pairs(choose(every, target="198.18.1.0/24")) == [("ps-a", 1, 4)]
    assert pairs(choose(every, target="198.18.2.7")) == [("ps-b", 2, 5)]  # inside the block
    assert pairs(choose(every, target="198.19.2.10", kind="traceroute")) == [("tr", 3, 6)]
    with pytest.raises(UsageError, match=r"no portscan run of target '198\.19\.2\.10'"):
        choose(every, target="198.19.2.10", kind="portscan")


def test_choose_since_takes_every_scan_run_since_then() -> None:
    every = runs("arp", "ps-a", "tr", "ps-a", "tr")
    assert since_round(every, 3600.0 * 3.5) == ["ps-a", "tr"]
    assert pairs(choose(every, since=3600.0 * 3.5)) == [("ps-a", 2, 4), ("tr", 3, 5)]
    assert pairs(choose(every, since=3600.0 * 10)) == []


def test_scan_pair_skips_a_partial_latest_run() -> None:
    every = runs("ps-a", "ps-a", "ps-a", partial=(3,))
    comparison = scan_pair(every)
    assert (comparison.before, comparison.after.id) == (None, 3)
    assert "compared with run 2" in comparison.note
    assert pairs([scan_pair(every, since=3600.0 * 1.5)]) == [("ps-a", 1, 2)]
    assert scan_pair(runs("ps-a", partial=(1,))).note.startswith("no complete run")


def test_named_pair_refuses_two_kinds() -> None:
    a, b, c = runs("ps-a", "ps-b", "tr")
    assert pairs([named_pair(a, b)]) == [("ps-b", 1, 2)]  # one kind, other targets: allowed
    with pytest.raises(UsageError, match=r"runs 1 \(portscan\) and 3 \(traceroute\) are of "
                                         "different kinds"):
        named_pair(a, c)


def test_targets_and_run_ids() -> None:
    (run,) = runs("ps-a")
    assert has_target(run, "198.18.1.0/24") and has_target(run, "198.18.1.77")
    assert has_target(run, "198.18.1.128/25")
    assert not has_target(run, "198.18.0.0/16")  # wider than the scan
    assert not has_target(run, "2001:db8::1") and not has_target(run, "lab-host")
    assert is_run_id("12") and is_run_id("last") and is_run_id("LAST")
    assert not is_run_id("198.18.1.1") and not is_run_id("-1")
