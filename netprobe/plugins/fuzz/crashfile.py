"""Crash files: the cases that kill a target, as JSON (to replay) and pcapng (to look at).

``DIR/crash-s<SEED>-c<CASE>.json`` (CASE: the last case of the killing set)
holds everything a replay needs and everything a person wants to know::

    {"format": "netprobe-fuzz-crash/1", "netprobe": "0.1.0",
     "target": "198.18.1.12", "layer2": false, "expression": "...",
     "template": "<hex>", "seed": 7, "fields": [...], "strategies": [...],
     "keep_invalid": false, "monitors": ["udp:9999:6e70"],
     "window": [110, 119], "reproduced": true, "minimal": true, "steps": 5,
     "cases": [{"case": 117, "seed": 7, "length": 128,
                "mutations": [{"field": "Raw.load", "strategy": "grow", ...}],
                "hex": "4500..."}]}

``netprobe fuzz --replay FILE`` sends the ``hex`` of each case, in order.
The pcapng next to it holds the same packets. Both are written atomically.
Reading checks every part a replay uses; anything wrong is a
``RuntimeProblem`` (exit 4) naming the file and the problem.
"""

from __future__ import annotations

import ipaddress
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from netprobe.errors import RuntimeProblem, UsageError
from netprobe.plugins.fuzz.monitor import Monitor, parse_monitor

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

FORMAT = "netprobe-fuzz-crash/1"
#: the most cases a crash file may hold (a replay sends them all)
MAX_CASES = 100_000


@dataclass
class CrashFile:
    """A crash file read back: what to send, where, and how to tell the target died."""

    path: str
    target: str
    layer2: bool
    cases: list[tuple[int, bytes]]
    monitors: list[Monitor]
    seed: int | None
    doc: JSONRecord


def crash_name(seed: int, cases: list[int]) -> str:
    """The file name (without extension) of a crash ending with the last of ``cases``."""
    return f"crash-s{seed}-c{cases[-1]}"


def write_crash(out_dir: str, doc: JSONRecord, packets: list[bytes], linktype: int
                ) -> tuple[str, str]:
    """Write ``doc`` as JSON and ``packets`` as pcapng into ``out_dir``; return both paths."""
    from netprobe.services.output import atomic_text_file
    from netprobe.wire.pcapfile import PcapngWriter

    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuntimeProblem(f"cannot create {folder}: {exc.strerror or exc}") from None
    stem = crash_name(int(doc["seed"]), [c["case"] for c in doc["cases"]])
    json_path = folder / f"{stem}.json"
    pcap_path = folder / f"{stem}.pcapng"
    with atomic_text_file(json_path) as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    comment = (f"netprobe fuzz crash: seed {doc['seed']}, cases "
               f"{' '.join(str(c['case']) for c in doc['cases'])}")[:1000]
    try:
        with PcapngWriter(str(pcap_path), comment=comment) as writer:  # aborted on an error
            writer.add_interface(linktype)
            now = time.time_ns()
            for data in packets:
                writer.write(data, now // 10**9, now % 10**9, 10**9)
    except OSError as exc:
        raise RuntimeProblem(f"cannot write {pcap_path}: {exc.strerror or exc}") from None
    return str(json_path), str(pcap_path)


def _damaged(path: str, why: str) -> RuntimeProblem:
    return RuntimeProblem(f"{path}: damaged fuzz case file: {why}")


def read_crash(path: str) -> CrashFile:
    """Read and check a crash file. Raises RuntimeProblem (exit 4) when it is damaged."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuntimeProblem(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuntimeProblem(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}"
                             ) from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _damaged(path, f"not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise _damaged(path, "not a JSON object")
    if doc.get("format") != FORMAT:
        raise _damaged(path, f"format is {doc.get('format')!r}, not {FORMAT!r}")
    target = doc.get("target")
    if not isinstance(target, str) or not target:
        raise _damaged(path, "no target address")
    try:
        ipaddress.ip_address(target)
    except ValueError:
        raise _damaged(path, f"target {target!r} is not an IP address") from None
    layer2 = doc.get("layer2", False)
    if not isinstance(layer2, bool):
        raise _damaged(path, "layer2 is not true or false")
    raw_cases = doc.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise _damaged(path, "no cases")
    if len(raw_cases) > MAX_CASES:
        raise _damaged(path, f"{len(raw_cases)} cases, more than {MAX_CASES}")
    cases = []
    for n, item in enumerate(raw_cases):
        if not isinstance(item, dict):
            raise _damaged(path, f"case {n} is not an object")
        number, hex_text = item.get("case"), item.get("hex")
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise _damaged(path, f"case {n} has no case number")
        if not isinstance(hex_text, str):
            raise _damaged(path, f"case {number} has no hex bytes")
        try:
            data = bytes.fromhex(hex_text)
        except ValueError:
            raise _damaged(path, f"case {number}: the hex bytes do not read") from None
        if not data:
            raise _damaged(path, f"case {number} is empty")
        cases.append((number, data))
    specs = doc.get("monitors", [])
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise _damaged(path, "monitors is not a list of monitor specs")
    try:
        monitors = [parse_monitor(s) for s in specs]
    except UsageError as exc:
        raise _damaged(path, str(exc)) from None
    seed = doc.get("seed")
    return CrashFile(path, target, layer2, cases, monitors,
                     seed if isinstance(seed, int) else None, doc)
