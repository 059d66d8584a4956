"""Which runs ``netprobe history diff`` compares (pure functions of the recorded runs).

A diff compares two runs of one scan: the same kind (portscan, traceroute,
arpscan...), the same targets and the same options that decide what is
probed (the scan key, ``recorder.make_scan_key``). Runs of different kinds
are never compared: a traceroute has no ports, a port scan no hops.

Without arguments, ``diff`` compares every scan of the *latest round*: walking
back from the latest run, the runs up to the first scan seen twice. A cron job
that runs a port scan and a traceroute, then ``history diff``, hears of the
changes of both, whichever ran last; a scan run once long ago is not in the
round and is not reported again and again.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from netprobe.errors import UsageError
from netprobe.services.history.store import Run


@dataclass(frozen=True)
class Comparison:
    """Two runs of one scan to compare; ``before`` None: nothing to compare (``note`` says
    why), ``after`` then names the latest run of the scan, if any."""

    scan: str
    kind: str
    before: Run | None
    after: Run | None
    note: str | None = None


def latest_round(runs: Sequence[Run]) -> list[str]:
    """The scan keys of the latest round, oldest first (by each scan's latest run).

    ``runs`` oldest first. Walking back from the latest run, a scan joins the
    round until one is met a second time: ``portscan, portscan, traceroute``
    gives both scans; ``portscan A, traceroute, portscan A`` gives the
    traceroute and scan A.
    """
    seen: list[str] = []
    for run in reversed(runs):
        if run.scan_key in seen:
            break
        seen.append(run.scan_key)
    return seen[::-1]


def since_round(runs: Sequence[Run], since: float) -> list[str]:
    """The scan keys with a run started at or after ``since``, oldest first."""
    keys: list[str] = []
    for run in runs:
        if run.started >= since:
            if run.scan_key in keys:
                keys.remove(run.scan_key)
            keys.append(run.scan_key)
    return keys


def scan_pair(every: Sequence[Run], since: float | None = None) -> Comparison:
    """The two runs of one scan to compare, from all of its runs (oldest first, not empty).

    Without ``since``: its last two complete runs, unless its latest run is
    partial (stopped early): comparing the two complete runs before it would
    report again what the previous diff reported, so nothing is compared and
    the next complete run will be compared with the last complete one.
    With ``since``: its last complete run started at or before ``since``
    against its latest complete run.
    """
    last = every[-1]
    key, kind = last.scan_key, last.kind
    runs = [r for r in every if not r.partial]
    if not runs:
        return Comparison(key, kind, None, last,
                          f"no complete run of scan {key} yet: nothing to compare")
    if since is not None:
        earlier = [r for r in runs if r.started <= since]
        if not earlier:
            return Comparison(key, kind, None, runs[-1],
                              f"no complete run of scan {key} started before --since: "
                              "nothing to compare")
        if earlier[-1].id == runs[-1].id:
            return Comparison(key, kind, None, runs[-1],
                              f"no run of scan {key} since run {runs[-1].id}: nothing to "
                              "compare")
        return Comparison(key, kind, earlier[-1], runs[-1])
    if last.partial:
        return Comparison(key, kind, None, last,
                          f"the latest run of scan {key} (run {last.id}) is partial (stopped "
                          f"early): not compared; the next complete run will be compared "
                          f"with run {runs[-1].id}")
    if len(runs) < 2:
        return Comparison(key, kind, None, runs[-1],
                          f"only one complete run of scan {key} (run {runs[-1].id}): "
                          "nothing to compare yet")
    return Comparison(key, kind, runs[-2], runs[-1])


def named_pair(before: Run, after: Run) -> Comparison:
    """Two runs named on the command line: refused (exit 2) when of different kinds."""
    if before.kind != after.kind:
        raise UsageError(f"runs {before.id} ({before.kind}) and {after.id} ({after.kind}) are "
                         f"of different kinds: diff compares runs of one kind (try --scan "
                         f"{after.kind})")
    return Comparison(after.scan_key, after.kind, before, after)


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def has_target(run: Run, target: str) -> bool:
    """True when ``target`` is one of the run's targets, as typed or as an address or block
    inside one of them (``198.18.1.11`` is a target of a scan of ``198.18.1.0/24``)."""
    if target in run.targets:
        return True
    wanted = _network(target)
    if wanted is None:
        return False
    for text in run.targets:
        network = _network(text)
        if (network is not None and network.version == wanted.version
                and wanted.subnet_of(network)):  # type: ignore[arg-type]
            return True
    return False


def is_run_id(text: str) -> bool:
    """True when a positional argument of ``diff`` names a run (an id or ``last``), not a
    target."""
    value = text.strip().lower()
    return value == "last" or value.isdigit()


def choose(runs: Sequence[Run], *, kind: str | None = None, scan_key: str | None = None,
           target: str | None = None, since: float | None = None) -> list[Comparison]:
    """The comparisons of ``diff`` without named runs (see the module docstring).

    ``runs``: every run, oldest first. ``kind``, ``scan_key`` and ``target``
    narrow the runs to one scan: the scan of the latest run left. Without any,
    every scan of the latest round (with ``since``: every scan run since then).
    """
    left = list(runs)
    if kind is not None:
        left = [r for r in left if r.kind == kind]
    if scan_key is not None:
        left = [r for r in left if r.scan_key == scan_key]
    if target is not None:
        left = [r for r in left if has_target(r, target)]
        if not left:
            what = f"{kind} run" if kind else "run"
            raise UsageError(f"no {what} of target {target!r} (the TARGETS column of "
                             "`history list`)")
    if not left:
        return []
    if kind is None and scan_key is None and target is None:
        keys = latest_round(left) if since is None else since_round(left, since)
    else:
        keys = [left[-1].scan_key]
    return [scan_pair([r for r in runs if r.scan_key == key], since) for key in keys]


__all__ = ["Comparison", "choose", "has_target", "is_run_id", "latest_round", "named_pair",
           "scan_pair", "since_round"]
