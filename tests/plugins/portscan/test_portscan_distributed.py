"""The pure parts of ``portscan --scheduler``: shards cut into tasks, host slices, and the
merge of the tasks' outcomes into one run (no cluster, no network)."""

from __future__ import annotations

import pickle

import numpy as np

from netprobe.engine.results import Tag
from netprobe.engine.runfile import SavedRun
from netprobe.plugins.portscan import interpret
from netprobe.plugins.portscan.distributed import (
    TaskOutcome,
    host_slices,
    merge_counters,
    merge_parts,
    missing_pairs,
    sub_shards,
)
from netprobe.plugins.portscan.permutation import Shard, order
from netprobe.plugins.portscan.plan import ScanPlan
from netprobe.plugins.portscan.targets import TargetSet
from netprobe.plugins.portscan.timing import TEMPLATES
from tests.plugins.portscan.portscan_samples import result


def test_sub_shards_cut_a_shard_into_disjoint_parts_of_the_same_order():
    size, seed = 1000, 7
    for shard in (Shard(), Shard(2, 3)):
        for tasks in (1, 2, 5):
            parts = [order(size, seed, s) for s in sub_shards(shard, tasks)]
            joined = np.concatenate(parts)
            assert len(set(joined.tolist())) == len(joined)  # disjoint
            assert set(joined.tolist()) == set(order(size, seed, shard).tolist())


def test_host_slices_are_contiguous_disjoint_and_complete():
    hosts = [f"198.18.1.{i}" for i in range(10)]
    for tasks in (1, 3, 4, 10, 20):
        slices = host_slices(hosts, tasks)
        assert [h for s in slices for h in s] == hosts
        assert all(slices) and len(slices) == min(tasks, len(hosts))
    assert host_slices([], 3) == []


def _outcome(phase: str, index: int, results, sent: int) -> TaskOutcome:
    return TaskOutcome(phase=phase, index=index, results=results,
                       counters={"sent": sent, "received": sent // 2, "retries": 1,
                                 "elapsed": 9.0, "rate": 1.0}, worker="w")


def test_merge_keeps_one_outcome_per_task_and_reports_like_one_scan():
    a, b = "198.18.1.11", "198.18.1.12"
    whole = [result(a, 22, "SA"), result(a, 80, "R"), result(b, 22, None), result(b, 80, "RA")]
    first = _outcome("ports", 0, whole[:2], 2)
    second = _outcome("ports", 1, whole[2:], 2)
    rerun = _outcome("ports", 1, [result(b, 22, "SA")], 5)  # the same task reported again
    results, counters = merge_parts([second, first, rerun])
    assert len(results) == 4 and len(counters) == 2
    options = {"scan": "syn", "discovery": "none"}
    merged = list(interpret.report(SavedRun("portscan", options=options, results=results)))
    single = list(interpret.report(SavedRun("portscan", options=options, results=whole)))
    assert merged == single
    ports = [(r["host"], r["port"]) for r in merged if r["type"] == "port"]
    assert len(ports) == len(set(ports))


def test_merged_counters_add_up_over_the_whole_duration():
    total = merge_counters([{"sent": 10, "received": 4, "elapsed": 3.0, "rate": 3.3},
                            {"sent": 30, "received": 6, "backoffs": 2, "elapsed": 5.0}], 4.0)
    assert total == {"sent": 40, "received": 10, "backoffs": 2, "elapsed": 4.0, "rate": 10.0}
    assert merge_counters([], 0.0) == {"sent": 0, "elapsed": 0.0, "rate": None}


def test_missing_pairs_counts_what_no_task_scanned():
    hosts = ["198.18.1.11", "198.18.1.12"]
    plan = ScanPlan(scan="syn", udp=False, discovery_only=False, skip_discovery=True,
                    targets=TargetSet.of_addresses(hosts), tcp_ports=[22, 80], udp_ports=[],
                    timing=TEMPLATES[3], seed=1, shard=Shard())
    full = [result(h, p, "R") for h in hosts for p in (22, 80)]
    assert missing_pairs(plan, 2, full) == 0
    assert missing_pairs(plan, 2, full[1:]) == 1


def test_an_outcome_travels_by_pickle():
    outcome = _outcome("ports", 3, [result("198.18.1.11", 22, "SA")], 1)
    back = pickle.loads(pickle.dumps(outcome))
    assert back.results[0].probe_bytes == outcome.results[0].probe_bytes
    assert back.results[0].answer_bytes == outcome.results[0].answer_bytes
    assert back.results[0].tag == Tag("tcp") and back.index == 3
