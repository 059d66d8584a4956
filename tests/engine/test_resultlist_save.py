"""``ans.save(path)`` after ``sr()`` writes a run that ``netprobe interpret`` reads back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from netprobe.engine.results import Result, ResultList
from netprobe.engine.runfile import load_run
from netprobe.packet import IP, TCP

REPO = Path(__file__).resolve().parents[2]


def test_saved_results_read_back_as_an_sr_run(tmp_path: Path) -> None:
    probe = IP(src="198.18.1.2", dst="198.18.1.11") / TCP(sport=40000, dport=22, flags="S")
    answer = IP(src="198.18.1.11", dst="198.18.1.2") / TCP(sport=22, dport=40000, ack=1,
                                                           flags="SA")
    answered = Result(bytes(probe), 101, 1_763_000_000.5, 1, bytes(answer), 101,
                      1_763_000_000.5004)
    silent = Result(bytes(probe / b"x"), 101, 1_763_000_000.6, 2)
    path = tmp_path / "run.pcapng"
    ResultList([answered, silent]).save(str(path))
    saved = load_run(str(path))
    assert saved.plugin == "sr"
    assert [(r.probe_bytes, r.answer_bytes, r.sent, r.received, r.sends)
            for r in saved.results] == [
        (answered.probe_bytes, answered.answer_bytes, answered.sent, answered.received, 1),
        (silent.probe_bytes, None, silent.sent, None, 2)]
    proc = subprocess.run([sys.executable, "-m", "netprobe", "--json", "interpret", str(path)],
                          capture_output=True, text=True, timeout=60, check=False,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary == {"type": "summary", "probes": 2, "answered": 1, "unanswered": 1}
