"""tshark's conversation tables as the expectation for ``netprobe flows``.

tshark runs at test time on the file under test, with reassembly and
defragmentation off (``-z conv,tcp -z conv,udp``); nothing is stored. tshark
4.0 prints byte counts of 10,000 and more rounded down to kB (MB...), so our
exact counts are compared after the same rounding; frame counts, endpoints
and directions are compared exactly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

TSHARK = shutil.which("tshark")
PREFERENCES = ("ip.defragment:FALSE", "ipv6.defragment:FALSE", "tcp.desegment_tcp_streams:FALSE")

#: one conversation: proto, A, A port, B, B port, A->B frames and bytes, B->A frames and bytes
Conversation = tuple[str, str, int, str, int, int, str, int, str]
#: and its times: relative start (s, 9 decimals) and duration (s, 4 decimals)
Times = tuple[float, float]


def require_tshark() -> str:
    """tshark's path; skips without it, but fails under CI=true where it must exist."""
    if TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required when CI=true", pytrace=False)
        pytest.skip("tshark is not installed")
    return TSHARK


def tshark_size(n: int) -> str:
    """A byte count as tshark 4.0's conversation table prints it."""
    for power, unit in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if n // power >= 10:
            return f"{n // power} {unit}"
    return f"{n} bytes"


def run_tshark(path: Path, timeout: float = 300) -> tuple[int, str, str]:
    """tshark's exit status, conversation tables and stderr for ``path``."""
    args = [require_tshark(), "-n", "-r", str(path), "-q"]
    for pref in PREFERENCES:
        args += ["-o", pref]
    args += ["-z", "conv,tcp", "-z", "conv,udp"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def parse_conversations(text: str, times: dict[Conversation, list[Times]] | None = None,
                        ) -> Counter[Conversation]:
    """The TCP and UDP conversations of tshark's ``-z conv`` text output.

    ``times``, when given, receives each conversation's (relative start, duration).
    """
    out: Counter[Conversation] = Counter()
    proto = None
    for line in text.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
        elif line.startswith("UDP Conversations"):
            proto = "udp"
        if proto is None or "<->" not in line:
            continue
        left, right = line.split("<->", 1)
        a, a_port = left.strip().rsplit(":", 1)
        fields = right.split()
        b, b_port = fields[0].rsplit(":", 1)
        # <- frames bytes unit | -> frames bytes unit | total ... | start | duration
        rx_frames, rx_bytes = int(fields[1]), f"{fields[2]} {fields[3]}"
        tx_frames, tx_bytes = int(fields[4]), f"{fields[5]} {fields[6]}"
        key = (proto, a, int(a_port), b, int(b_port), tx_frames, tx_bytes, rx_frames, rx_bytes)
        out[key] += 1
        if times is not None:
            times.setdefault(key, []).append((float(fields[-2]), float(fields[-1])))
    return out


def conversation(record: dict) -> Conversation:
    """One of our flow records in tshark's shape."""
    ab, ba = record["a_to_b"], record["b_to_a"]
    return (record["proto"], record["a"], record["a_port"], record["b"], record["b_port"],
            ab["packets"], tshark_size(ab["bytes"]), ba["packets"], tshark_size(ba["bytes"]))


def from_records(records: list[dict]) -> Counter[Conversation]:
    """Our TCP and UDP flow records in the same shape."""
    return Counter(conversation(r) for r in records
                   if r.get("type") == "flow" and r["proto"] in ("tcp", "udp"))
