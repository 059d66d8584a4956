"""``services/capture_out``: the one ``-w OUT`` writer of read, craft and sniff."""

from __future__ import annotations

from pathlib import Path

import pytest

from netprobe.services.capture_out import CaptureOut, OutputFileError
from netprobe.wire.pcapfile import open_capture


def test_pcapng_interfaces_come_in_order_of_first_use(tmp_path: Path) -> None:
    out = CaptureOut(str(tmp_path / "x.pcapng"))
    assert out.interface(101) == 0 and out.interface(1, name="eth0") == 1
    assert out.interface(101) == 0
    out.write(b"\x45" + bytes(19), 101, 1, 0, 10**6)
    out.write(bytes(14), 1, 2, 0, 10**6)
    out.close()
    with open_capture(str(tmp_path / "x.pcapng")) as reader:
        assert [r.linktype for r in reader] == [101, 1]


def test_a_pcap_refuses_a_second_link_type(tmp_path: Path) -> None:
    out = CaptureOut(str(tmp_path / "x.pcap"))
    out.write(bytes(14), 1, 1, 0, 10**6)
    with pytest.raises(Exception, match="several link types"):
        out.write(b"\x45" + bytes(19), 101, 1, 0, 10**6)
    out.abort()
    assert not (tmp_path / "x.pcap").exists()


@pytest.mark.parametrize("call", ["interface", "write"])
def test_an_unwritable_out_is_an_output_file_error(tmp_path: Path, call: str) -> None:
    out = CaptureOut(str(tmp_path / "missing" / "x.pcapng"))
    with pytest.raises(OutputFileError, match="missing"):
        if call == "interface":
            out.interface(1)
        else:
            out.write(bytes(14), 1, 1, 0, 10**6)
