"""The batch decoder and the per-packet decoder, and the two readers, agree.

Every corpus file is analysed three ways: as usual (memory-mapped, batch
decoder, per-packet decoder for the rest), with every packet sent through
the per-packet decoder, and read by the project's streaming reader. The
whole tables (every protocol, not only TCP and UDP) and the summaries must
be equal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import netprobe.wire.pcapfile.batch as capture_file
from netprobe.plugins.flows.analysis import Part, analyse_part
from netprobe.plugins.flows.interpret import Options, flow_records, summary_record

REPO = Path(__file__).resolve().parents[3]
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()
FILES = sorted(p for p in CORPUS.glob("*") if p.name != "README.md") if CORPUS.is_dir() else []


def table(path: Path, *, slow: bool = False) -> tuple[list[dict], dict, str | None]:
    result = analyse_part(Part(str(path), 0), slow_only=slow)
    options = Options(top=0)
    records = sorted(flow_records(result.table, options), key=repr)
    return records, summary_record(result.table, options), result.error


@pytest.mark.skipif(not FILES, reason="capture corpus not found")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_decoders_and_readers_agree(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usual = table(path)
    assert table(path, slow=True) == usual
    monkeypatch.setattr(capture_file.BatchReader, "batches",
                        lambda self, *a, **k: self._stream_batches())
    streamed = table(path)
    assert streamed[:2] == usual[:2]
    assert (streamed[2] is None) == (usual[2] is None)
