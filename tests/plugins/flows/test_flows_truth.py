"""``netprobe flows`` against the flow table of the trace generator (make_trace.py --truth).

Small traces (pcap with microsecond and nanosecond times, pcapng, frames cut
by a snaplen) are generated in a temporary directory; every flow's packets
and frame bytes per direction must equal the generator's own counts, and
the totals its totals. Byte ranges read by separate parts (``--jobs``) must
give the same table as one pass, byte for byte.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.cli import main
from netprobe.plugins.flows.analysis import analyse_part, join_parts, merge_files, plan_parts
from netprobe.plugins.flows.interpret import Options, flow_records, summary_record

REPO = Path(__file__).resolve().parents[3]
MAKE_TRACE = (REPO / ".." / "shared" / "tools" / "make_trace.py").resolve()
if not MAKE_TRACE.is_file():
    pytest.skip(f"make_trace.py not found at {MAKE_TRACE}", allow_module_level=True)

VARIANTS = {
    "pcap-us": [],
    "pcap-ns": ["--nanosecond"],
    "pcapng-us": ["--pcapng"],
    "pcapng-ns": ["--pcapng", "--nanosecond"],
    "pcap-snaplen": ["--snaplen", "96"],  # every header still whole (IPv6 SYN: 94 bytes)
}


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict]]:
    """Each variant's trace and its truth (one generator run each, same flows)."""
    out = {}
    base = tmp_path_factory.mktemp("traces")
    for name, extra in VARIANTS.items():
        suffix = ".pcapng" if "--pcapng" in extra else ".pcap"
        trace = base / f"{name}{suffix}"
        truth = base / f"{name}.json"
        subprocess.run([sys.executable, str(MAKE_TRACE), "--packets", "30000", "--flows", "900",
                        "--seed", "11", "--ipv6", "0.3", "--out", str(trace), "--truth",
                        str(truth), *extra], check=True, capture_output=True, timeout=300)
        out[name] = (trace, json.loads(truth.read_text()))
    return out


def flows_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    code = main(["flows", *args, "--json"])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def _by_endpoints(records: list[dict]) -> dict[tuple, dict]:
    return {(r["proto"], r["a"], r["a_port"], r["b"], r["b_port"]): r
            for r in records if r["type"] == "flow"}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_flows_equal_generator_truth(variant: str, traces: dict,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    trace, truth = traces[variant]
    code, records, err = flows_json(capsys, str(trace), "--top", "0")
    assert code == 0 and err == "", err
    got = _by_endpoints(records)
    assert len(got) == len(truth["flows"])
    for f in truth["flows"]:
        # the client sends every flow's first packet: it is endpoint A
        key = (f["proto"], f["client"], f["client_port"], f["server"], f["server_port"])
        r = got.get(key)
        assert r is not None, f"flow {f['flow']} ({f['kind']}) missing: {key}"
        assert (r["a_to_b"]["packets"], r["a_to_b"]["bytes"], r["b_to_a"]["packets"],
                r["b_to_a"]["bytes"]) == (f["c2s_packets"], f["c2s_bytes"], f["s2c_packets"],
                                          f["s2c_bytes"]), f
        # complete sessions close cleanly; refused ones are rejected; UDP answered
        assert r["state"] == {"tcp": "SF", "refused": "REJ"}.get(f["kind"], "SF"), (f, r)
    summary = records[-1]
    assert summary["type"] == "summary"
    assert summary["packets"] == truth["packets"]
    assert summary["bytes"] == truth["bytes"]
    assert summary["flows"] == len(truth["flows"])
    assert summary["no_flow_packets"] == 0


def test_largest_flow_first(traces: dict, capsys: pytest.CaptureFixture[str]) -> None:
    trace, truth = traces["pcap-us"]
    code, records, _ = flows_json(capsys, str(trace), "--top", "5")
    assert code == 0
    flows = [r for r in records if r["type"] == "flow"]
    expected = sorted((f["c2s_bytes"] + f["s2c_bytes"] for f in truth["flows"]), reverse=True)
    assert [r["bytes"] for r in flows] == expected[:5]
    summary = records[-1]
    assert summary["top"] == 5
    assert summary["top_bytes_share"] == pytest.approx(sum(expected[:5]) / truth["bytes"],
                                                       abs=1e-6)
    code, records, _ = flows_json(capsys, str(trace), "--top", "3", "--by", "packets")
    pk = sorted((f["c2s_packets"] + f["s2c_packets"] for f in truth["flows"]), reverse=True)
    assert [r["packets"] for r in records if r["type"] == "flow"] == pk[:3]
    code, records, _ = flows_json(capsys, str(trace), "--top", "3", "--by", "duration")
    durations = [r["duration_s"] for r in records if r["type"] == "flow"]
    assert durations == sorted(durations, reverse=True) and len(durations) == 3


@pytest.mark.parametrize("variant", ["pcap-us", "pcap-ns", "pcap-snaplen"])
def test_byte_ranges_give_the_one_pass_table(variant: str, traces: dict) -> None:
    trace, _ = traces[variant]
    one = _records(plan_parts([str(trace)], 1))
    for jobs, split in ((2, 1 << 16), (5, 1 << 15)):
        parts = plan_parts([str(trace)], jobs, split_min=split)
        assert len(parts) > 2 and not parts[1].exact
        assert _records(parts) == one


def test_a_wrong_resync_is_read_again(traces: dict) -> None:
    """A part whose first record does not follow the part before is re-read from there."""
    trace, _ = traces["pcap-us"]
    parts = plan_parts([str(trace)], 3, split_min=1 << 16)
    results = [analyse_part(p) for p in parts]
    one = _records(plan_parts([str(trace)], 1))
    # pretend the second part started one record late
    results[1].first_offset = (results[1].first_offset or 0) + 1
    reread = []

    def rerun(part):  # type: ignore[no-untyped-def]
        reread.append(part)
        return analyse_part(part)

    files = join_parts(results, rerun)
    assert len(reread) == 1 and reread[0].exact and reread[0].start == results[0].next_offset
    table = merge_files(files)
    options = Options(top=0)
    assert [*flow_records(table, options), summary_record(table, options)] == one


def _records(parts: list) -> list[dict]:
    # through pickle, as results come back from worker processes
    results = [pickle.loads(pickle.dumps(analyse_part(p))) for p in parts]
    table = merge_files(join_parts(results))
    options = Options(top=0)
    return [*flow_records(table, options), summary_record(table, options)]


def test_several_files_are_one_stream(traces: dict, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Two halves of a trace, given in either order, make the table of the whole."""
    trace, _ = traces["pcap-us"]
    data = trace.read_bytes()
    # cut at a record boundary near the middle, found with the project reader
    from netprobe.wire.pcapfile import open_capture

    with open_capture(str(trace)) as reader:
        offset = 24
        for i, rec in enumerate(reader):
            if i == 15000:
                break
            offset += 16 + rec.caplen
    first, second = tmp_path / "first.pcap", tmp_path / "second.pcap"
    first.write_bytes(data[:offset])
    second.write_bytes(data[:24] + data[offset:])
    _, whole, _ = flows_json(capsys, str(trace), "--top", "0")
    _, halves, _ = flows_json(capsys, str(second), str(first), "--top", "0")
    assert halves == whole
    code, per_file, _ = flows_json(capsys, str(first), str(second), "--top", "2", "--per-file")
    assert code == 0
    summaries = [r for r in per_file if r["type"] == "summary"]
    assert [s["file"] for s in summaries] == [str(first), str(second)]
    assert sum(s["packets"] for s in summaries) == whole[-1]["packets"]
    assert all("file" in r for r in per_file)


def test_jobs_give_the_same_output(traces: dict, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(traces[v][0]) for v in ("pcap-us", "pcapng-ns")]
    _, one, _ = flows_json(capsys, *paths, "--top", "0")
    code, two, err = flows_json(capsys, *paths, "--top", "0", "--jobs", "2")
    assert code == 0 and err == ""
    assert two == one


def test_tables_survive_pickling_and_growth(traces: dict, tmp_path: Path) -> None:
    """A table back from a worker (pickled) grows and merges like the original."""
    other = tmp_path / "other.pcap"
    subprocess.run([sys.executable, str(MAKE_TRACE), "--packets", "8000", "--flows", "700",
                    "--seed", "12", "--out", str(other)], check=True, capture_output=True,
                   timeout=300)
    first = analyse_part(plan_parts([str(traces["pcap-us"][0])], 1)[0]).table
    second = analyse_part(plan_parts([str(other)], 1)[0]).table
    copy = pickle.loads(pickle.dumps(first))
    first.merge(second, by_time=True)
    copy.merge(pickle.loads(pickle.dumps(second)), by_time=True)  # grows past its size
    options = Options(top=0)
    assert first.n == copy.n > 1024
    assert list(flow_records(copy, options)) == list(flow_records(first, options))
    assert summary_record(copy, options) == summary_record(first, options)
