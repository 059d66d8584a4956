"""``netprobe craft`` as a user runs it: output forms, packet sets, files, and refusals.

Built bytes are checked against Scapy building the same expression; written
files are read back with Scapy. Every refusal is exit 2 with one line and no
traceback, and nothing in the expression is ever evaluated as Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")


def craft(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``netprobe craft ARGS`` with its output on pipes."""
    proc = subprocess.run([sys.executable, "-m", "netprobe", "craft", *args],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=cwd,
                          check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line: {stderr!r}"
    assert lines[0].startswith("netprobe: error: "), lines[0]
    return lines[0]


SYN = 'IP(src="198.18.0.1", dst="198.18.0.2", ttl=9)/TCP(sport=1234, dport=80, flags="S")'
SYN_SCAPY = IP(src="198.18.0.1", dst="198.18.0.2", ttl=9) / TCP(sport=1234, dport=80,
                                                                 flags="S")


# -- output forms --------------------------------------------------------------------------------
def test_json_on_a_pipe_with_hex() -> None:
    done = craft(SYN)
    assert done.returncode == 0, done.stderr
    (rec,) = [json.loads(x) for x in done.stdout.splitlines()]
    assert rec["hex"] == bytes(SYN_SCAPY).hex()
    assert rec["len"] == rec["caplen"] == len(bytes(SYN_SCAPY))
    assert rec["linktype"] == 101
    assert [x["layer"] for x in rec["layers"]] == ["IP", "TCP"]
    assert rec["layers"][0]["ttl"] == 9
    assert rec["layers"][0]["chksum"] == SYN_SCAPY.__class__(bytes(SYN_SCAPY)).chksum
    assert rec["layers"][1]["flags"] == "S"
    assert rec["errors"] == []


def test_hex_one_line_per_packet_also_on_a_pipe() -> None:
    done = craft('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/'
                 'IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=7, dport=[9, 10, 11])/"hi"',
                 "--hex")
    assert done.returncode == 0, done.stderr
    want = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(
        src="198.18.0.1", dst="198.18.0.2") / UDP(sport=7, dport=[9, 10, 11]) / b"hi"
    assert done.stdout.splitlines() == [bytes(p).hex() for p in want]


def test_show_prints_every_field() -> None:
    done = craft(SYN, "--show")
    assert done.returncode == 0
    text = done.stdout
    assert "###[ IP ]###" in text and "###[ TCP ]###" in text
    fields = {}
    for line in text.splitlines():
        if "=" in line:
            name, _, value = line.partition("=")
            fields.setdefault(name.strip(), value.strip())
    assert fields["ttl"] == "9"
    assert fields["dport"].startswith("80")
    assert fields["chksum"] == str(IP(bytes(SYN_SCAPY)).chksum)
    assert fields["flags"] == ""  # IP's flags come first: none set


def test_summary_lines_without_json() -> None:
    done = craft(SYN, "--no-json")
    assert done.returncode == 0
    (line,) = done.stdout.splitlines()
    assert line.startswith("1 ")
    assert "198.18.0.1:1234 > 198.18.0.2:80 TCP [S]" in line
    assert line.endswith(f"length {len(bytes(SYN_SCAPY))}")


def test_json_flag_wins_over_hex() -> None:
    done = craft(SYN, "--hex", "--json")
    assert json.loads(done.stdout)["hex"] == bytes(SYN_SCAPY).hex()


# -- packet sets ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("expr", "scapy_pkt"), [
    ('IP(src="198.18.0.1", dst="198.18.0.2")/TCP(dport=[22, 80, 443])',
     IP(src="198.18.0.1", dst="198.18.0.2") / TCP(dport=[22, 80, 443])),
    ('IP(src="198.18.0.1", dst="198.18.0.2")/TCP(dport=(20, 25))',
     IP(src="198.18.0.1", dst="198.18.0.2") / TCP(dport=(20, 25))),
    ('IP(src="198.18.0.1", dst="198.18.0.2", ttl=[1, 2])/UDP(dport=range(33434, 33437))',
     IP(src="198.18.0.1", dst="198.18.0.2", ttl=[1, 2]) / UDP(dport=[33434, 33435, 33436])),
    ('IP(src="198.18.0.1", dst="198.18.0.0/30")/TCP(flags="S")',
     IP(src="198.18.0.1", dst="198.18.0.0/30") / TCP(flags="S")),
])
def test_sets_build_what_scapy_builds(expr: str, scapy_pkt: object) -> None:
    done = craft(expr, "--hex")
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.splitlines()) == sorted(bytes(p).hex() for p in scapy_pkt)


@pytest.mark.parametrize(("save", "message"), [
    ("/nonexistent-dir/x.pcapng", "--save /nonexistent-dir/x.pcapng: no directory "
                                  "/nonexistent-dir"),
    (".", "--save .: is a directory"),
])
def test_unwritable_save_is_a_usage_error_before_sending(tmp_path: Path, save: str,
                                                         message: str) -> None:
    """As traceroute: a --save path that cannot be written is a bad argument (exit 2)."""
    done = craft(SYN, "--sr", "--save", save, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert one_error_line(done.stderr) == f"netprobe: error: {message}"
    assert done.stdout == ""


def test_limit_refuses_big_sets(tmp_path: Path) -> None:
    out = tmp_path / "big.pcap"
    done = craft('IP(dst="198.18.0.0/24")/TCP(dport=range(100))', "--limit", "1000",
                 "-w", str(out))
    assert done.returncode == 2
    assert "25600" in one_error_line(done.stderr)
    assert done.stdout == ""
    assert not out.exists()


# -- -w ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".pcap", ".pcapng"])
def test_write_ip_packets(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"syn{suffix}"
    done = craft('IP(src="198.18.0.1", dst="198.18.0.2")/TCP(dport=[1, 2])', "-w", str(out))
    assert done.returncode == 0, done.stderr
    got = rdpcap(str(out))
    want = IP(src="198.18.0.1", dst="198.18.0.2") / TCP(dport=[1, 2])
    assert [bytes(p) for p in got] == [bytes(p) for p in want]
    magic = out.read_bytes()[:4]
    assert magic == (b"\x0a\x0d\x0d\x0a" if suffix == ".pcapng" else b"\x4d\x3c\xb2\xa1")
    # raw IP link type, so that readers know the bytes start with IP
    again = subprocess.run([sys.executable, "-m", "netprobe", "read", str(out), "--json"],
                           capture_output=True, text=True, timeout=60, env=ENV, check=False)
    assert {json.loads(x)["linktype"] for x in again.stdout.splitlines()} == {101}


def test_write_ethernet_frames(tmp_path: Path) -> None:
    out = tmp_path / "eth.pcap"
    expr = ('Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/'
            'IP(src="198.18.0.1", dst="198.18.0.2")/UDP()')
    assert craft(expr, "-w", str(out)).returncode == 0
    (got,) = rdpcap(str(out))
    assert bytes(got) == bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                               / IP(src="198.18.0.1", dst="198.18.0.2") / UDP())
    assert Ether in got


def test_write_needs_a_link_layer(tmp_path: Path) -> None:
    out = tmp_path / "tcp.pcap"
    done = craft("TCP(dport=80)", "-w", str(out))
    assert done.returncode == 2
    one_error_line(done.stderr)
    assert list(tmp_path.iterdir()) == []


def test_write_to_a_missing_directory(tmp_path: Path) -> None:
    out = tmp_path / "no" / "dir.pcap"
    done = craft(SYN, "-w", str(out))
    assert done.returncode == 4
    assert str(out) in one_error_line(done.stderr)
    assert not (tmp_path / "no").exists()


# -- refusals ------------------------------------------------------------------------------------
BAD_EXPRESSIONS = [
    # unknown names
    "Foo()", "IP()/Bar()", "ip()", "IP(x)",
    # unknown fields, bad values
    "IP(foo=1)", "TCP(dportt=80)", "IP(ttl=300)", "IP(ttl=-1)", "IP(ttl=1.5)", "IP(ttl=True)",
    'IP(dst="1.2.3")', 'IP(dst="::1")', 'IP(dst="10.0.0.0/8")', 'Ether(dst="zz:zz:zz:zz:zz:zz")',
    'TCP(flags="Z")', "TCP(flags=1000)", 'IP(proto="nope")', "TCP(dport=[])",
    "TCP(dport=(5, 1))", "TCP(dport=(0, 70000))", "IP(dst=None)", 'Raw(load=5)',
    'IP()/TCP(options=[("MSS", "x")])', 'IP()/TCP(options=[("Timestamp", (1,))])',
    'IP()/TCP(options=[("SAck", (1, -2))])', 'IP()/TCP(options=[("WScale", 256)])',
    'IP()/TCP(options=[("Nope", 1)])', "IP()/TCP(options=[(300, b'')])",
    'IP()/TCP(options=[(5, "zz")])', 'IP(options=[(7, "zz")])', "IP(options=[(300, b'')])",
    "IP(options=[b''])", 'IP(b"E")', "IP(ttl=range(1, 5, 0))", "IP(ttl=range(1, 2, 3, 4))",
    "TCP(dport=range(2000000))", 'IP(ttl=1, ttl=2)',
    # broken expressions
    "", "   ", "IP(", "IP()/", "/", "IP(ttl=)", "IP()//TCP()", "1", "[IP()]",
    '"x"/IP()', "IP() TCP()", "(" * 200 + "IP()" + ")" * 200, "IP(" * 5000,
    # code, not packets: never evaluated
    '__import__("os").system("touch pwned")', 'IP().__class__', "IP.__init__",
    'eval("IP()")', 'exec("import os")', 'open("pwned", "w")', "lambda: IP()",
    "[x for x in range(3)]", "IP(ttl=1+1)", "IP(**{'ttl': 1})", "IP(*[1])",
    'IP(dst=f"{1}")', "(x := IP())", "IP()[0]", "IP() if 1 else TCP()", "IP(ttl=ttl)",
    "globals()", "IP(ttl=__debug__)", "TCP(dport=range(10**9))",
    'getattr(IP(), "build")()', "IP() and TCP()", "not IP()", "-IP()",
]


@pytest.mark.parametrize("expr", BAD_EXPRESSIONS)
def test_refused_with_one_line(expr: str, tmp_path: Path) -> None:
    done = craft("--", expr, cwd=tmp_path)  # "--": an expression may start with "-"
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    one_error_line(done.stderr)
    assert list(tmp_path.iterdir()) == []  # nothing ran: no file appeared


def test_messages_name_what_is_wrong() -> None:
    assert "'Foo'" in one_error_line(craft("Foo()").stderr)
    assert "'foo'" in one_error_line(craft("IP(foo=1)").stderr)
    assert "ttl" in one_error_line(craft("IP(ttl=300)").stderr)
    assert "column" in one_error_line(craft("IP(ttl=1+1)").stderr)
    assert "'Z'" in one_error_line(craft('TCP(flags="Z")').stderr)
