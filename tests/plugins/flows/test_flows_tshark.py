"""``netprobe flows`` against tshark's conversation tables on the shared capture corpus.

For every file, tshark runs at test time (``-z conv,tcp -z conv,udp`` with
reassembly and defragmentation off) and its TCP and UDP conversations must
be ours: endpoints in the same order (A is the sender of the first packet),
frames and bytes per direction, relative start and duration. Files tshark
rejects must be rejected by us too, with one line naming the file.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from flows_tshark import (
    Conversation,
    Times,
    conversation,
    from_records,
    parse_conversations,
    require_tshark,
    run_tshark,
)

from netprobe.cli import main

REPO = Path(__file__).resolve().parents[3]
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()
if not CORPUS.is_dir():
    pytest.skip(f"capture corpus not found at {CORPUS}", allow_module_level=True)

FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")

#: damaged files (the corpus README): tshark refuses them; we say where
REJECTED = {
    "libpcap__pcap-invalid-version-1.pcap",
    "libpcap__pcapng-invalid-vers-1.pcapng",
    "libpcap__shb-option-too-long.pcapng",
}
#: cut in the middle of a record: the packets before the cut still count
CUT_SHORT = {"dpkt__truncated_dns_2.pcap"}
#: valid files whose link type tshark 4.0 (and we) cannot decode
UNSUPPORTED_LINK = {"libpcap__brcm-tag.pcap": 281}
#: files whose times tshark cannot show as they are
TIMES_DIFFER = {
    "tcpdump__timestamp_invalid_micro.pcap":
        "microsecond field >= 10**6: wiretap wraps it into its 32-bit nanosecond field",
    "pcapplusplus__pcapng-example.pcapng":
        "packets dated in the year 586,000: times are int64 nanoseconds, clamped at 2262",
}

_AHEAD = ThreadPoolExecutor(max_workers=2)
_PENDING: dict[Path, Future[tuple[int, str, str]]] = {}


def _tshark(path: Path) -> tuple[int, str, str]:
    """tshark's results for ``path``, started a couple of files ahead."""
    require_tshark()
    at = FILES.index(path)
    for p in FILES[at:at + 3]:
        if p not in _PENDING:
            _PENDING[p] = _AHEAD.submit(run_tshark, p)
    return _PENDING.pop(path).result()


def run_flows(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    """``netprobe flows ARGS --json`` in this process: exit status, records, stderr."""
    code = main(["flows", *args, "--json"])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_conversations_match_tshark(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, text, terr = _tshark(path)
    code, records, err = run_flows(capsys, str(path), "--top", "0")
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    if path.name in REJECTED:
        assert rc != 0 and "<->" not in text, terr
        assert code == 4
        assert len(lines) == 1 and str(path) in lines[0] and "offset" in lines[0], err
        return
    if path.name in UNSUPPORTED_LINK:
        assert rc != 0 and "support" in terr, terr
        assert code == 4
        assert lines == [f"netprobe: error: {path}: link type {UNSUPPORTED_LINK[path.name]} "
                         f"is not supported; its {records[-1]['packets']:,} packets belong "
                         "to no flow"], err
        assert records[-1]["no_flow"] == {"unsupported_link": records[-1]["packets"]}
        return
    if path.name in CUT_SHORT:
        assert rc != 0 and "cut short" in terr, terr
        assert code == 4
        assert len(lines) == 1 and str(path) in lines[0] and "offset" in lines[0], err
    else:
        assert rc == 0, terr
        assert code == 0 and err == "", err
    times: dict[Conversation, list[Times]] = {}
    expected = parse_conversations(text, times)
    got = from_records(records)
    missing = expected - got
    extra = got - expected
    assert not missing and not extra, (
        f"{path.name}: only tshark has {sorted(missing.elements(), key=str)[:10]}, "
        f"only netprobe has {sorted(extra.elements(), key=str)[:10]}")
    if path.name in TIMES_DIFFER:
        return
    assert records[-1]["type"] == "summary"
    # tshark's start times are relative to its first frame, which may be a block
    # that is no packet (a pcapng custom block): compare them up to one offset
    offset = None
    for r in records[:-1]:
        key = conversation(r)
        if r["proto"] not in ("tcp", "udp") or len(times.get(key, ())) != 1:
            continue
        start, duration = times[key][0]
        if offset is None:
            offset = r["ts"] - start
        assert abs(r["ts"] - offset - start) < 2e-6, (key, r["ts"], start)
        assert abs(r["duration_s"] - duration) <= 0.00005 + 1e-9, (key, r["duration_s"], duration)


def test_corpus_has_conversations() -> None:
    """The comparison is not vacuous: the corpus holds TCP and UDP conversations."""
    require_tshark()
    total = 0
    for name in ("pcapplusplus__example.pcap", "pcapparser__wireshark_samples-test.pcapng"):
        _, text, _ = run_tshark(CORPUS / name)
        total += sum(parse_conversations(text).values())
    assert total > 1000


def test_tshark_oracle_parses_ipv6_and_units() -> None:
    """The parser reads IPv6 endpoints and rounded byte units as tshark prints them."""
    text = (
        "TCP Conversations\n"
        "fe80::1:5353 <-> ff02::fb:5353   1 110 bytes   2 11 kB   3 11 kB   0.5   1.2500\n"
    )
    times: dict[Conversation, list[Times]] = {}
    conv = parse_conversations(text, times)
    key = ("tcp", "fe80::1", 5353, "ff02::fb", 5353, 2, "11 kB", 1, "110 bytes")
    assert conv == {key: 1}
    assert times[key] == [(0.5, 1.25)]


@pytest.fixture(autouse=True)
def _no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("NETPROBE_DEBUG", raising=False)


def teardown_module() -> None:
    _AHEAD.shutdown(wait=False, cancel_futures=True)
    os.environ.pop("NETPROBE_FLOWS_TEST", None)
