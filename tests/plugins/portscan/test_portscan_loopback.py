"""A raw scan of loopback (127.0.0.1, ::1): our own addresses need no discovery and no
neighbour, and only answers count as received (our probes come back in too)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from netprobe.plugins.portscan.raw_scan import capture_filter
from netprobe.plugins.portscan.run import is_local

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a SYN scan needs root")


def test_own_addresses_are_local():
    assert is_local("127.0.0.1") and is_local("127.3.4.5") and is_local("::1")
    assert not is_local("198.18.1.11")


def test_loopback_filter_passes_answers_only():
    assert capture_filter(4, "198.18.1.2") == "(tcp or icmp) and dst host 198.18.1.2"
    lo = capture_filter(4, "127.0.0.1", loopback=True, ports=(40000, 40063))
    assert "tcp dst portrange 40000-40063" in lo and "tcp[13] & 4 != 0" in lo


@pytest.mark.parametrize(("family", "address"), [(4, "127.0.0.1"), (6, "::1")])
@pytest.mark.parametrize("scan", ["-sS", "-sT"])
def test_loopback_scan(family: int, address: str, scan: str) -> None:
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    with socket.socket(af) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, 0))
        server.listen(64)
        open_port = server.getsockname()[1]
        ports = f"1-20,{open_port}"
        done = subprocess.run([sys.executable, "-m", "netprobe", "portscan", scan, "-p", ports,
                               address, "--json"], capture_output=True, text=True, timeout=60,
                              check=False,
                              env={**os.environ, "NETPROBE_SCOPE": "127.0.0.0/8,::1/128"})
    assert done.returncode == 0, done.stderr
    recs = [json.loads(line) for line in done.stdout.splitlines()]
    host = next(r for r in recs if r["type"] == "host")
    assert (host["state"], host["reason"]) == ("up", "localhost-response")
    assert host["ports"] == {"open": 1, "closed": 20}
    opened = [r for r in recs if r["type"] == "port"]
    assert [(r["port"], r["state"]) for r in opened] == [(open_port, "open")]
    summary = recs[-1]
    assert summary["sent"] == 21 and summary["received"] == 21, summary
