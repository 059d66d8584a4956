"""``netprobe craft --from / --from-hex / --set / --del / --badsum / --fragment`` as a user
runs it, offline: files written with -w are read back with Scapy and checked by tshark
(checksum verdicts, reassembly of the fragments); every refusal is one line, exit 2 or 4.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import PcapNgWriter, rdpcap, wrpcap

REPO = Path(__file__).resolve().parents[3]
ENV = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
TSHARK = shutil.which("tshark")

ADDR = {"src": "198.18.1.2", "dst": "198.18.1.11"}
ADDR6 = {"src": "2001:db8:1::2", "dst": "2001:db8:1::11"}


def craft(*args: str, stdin: str | None = None,
          cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``netprobe craft ARGS`` with its output on pipes."""
    proc = subprocess.run([sys.executable, "-m", "netprobe", "craft", *args],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=cwd,
                          input=stdin, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def one_error_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line: {proc.stderr!r}"
    assert lines[0].startswith("netprobe: error: "), lines[0]
    return lines[0]


def tshark_fields(path: Path, *fields: str, prefs: tuple[str, ...] = ()) -> list[list[str]]:
    """One row per packet with the asked fields (tshark -T fields)."""
    if TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required when CI=true", pytrace=False)
        pytest.skip("tshark is not installed")
    cmd = [TSHARK, "-n", "-r", str(path), "-T", "fields", "-E", "separator=|"]
    for p in prefs:
        cmd += ["-o", p]
    for f in fields:
        cmd += ["-e", f]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return [line.split("|") for line in proc.stdout.splitlines()]


CHECKSUMS = ("ip.check_checksum:TRUE", "tcp.check_checksum:TRUE", "udp.check_checksum:TRUE")
GOOD, BAD = "1", "0"  # tshark's checksum status values (2 would be "unverified")


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    """A pcap of three packets: a TCP SYN with data, a UDP datagram, an ICMP echo."""
    pkts = [IP(id=1, **ADDR) / TCP(sport=1234, dport=80, flags="S") / Raw(b"hello"),
            IP(id=2, **ADDR) / UDP(sport=53, dport=5353) / Raw(b"dns?"),
            IP(id=3, **ADDR) / ICMP(id=9, seq=1) / Raw(b"ping")]
    for i, p in enumerate(pkts):
        p.time = 1_700_000_000 + i + 0.25
    path = tmp_path / "in.pcap"
    wrpcap(str(path), pkts)
    return path


# -- --from and -w round trips --------------------------------------------------------------------
def test_from_without_edits_writes_the_same_packets(capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "same.pcap"
    done = craft("--from", str(capture), "-w", str(out))
    assert done.returncode == 0, done.stderr
    a, b = rdpcap(str(capture)), rdpcap(str(out))
    assert [bytes(p) for p in a] == [bytes(p) for p in b]
    assert [float(p.time) for p in a] == [float(p.time) for p in b]  # timestamps kept
    records = [json.loads(x) for x in done.stdout.splitlines()]
    assert [r["hex"] for r in records] == [bytes(p).hex() for p in a]
    assert [r["ts"] for r in records] == [1_700_000_000 + i + 0.25 for i in range(3)]


def test_set_changes_fields_and_refills_like_scapy(capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "set.pcapng"
    done = craft("--from", str(capture), "--set", "TCP.dport=443", "--set", "IP.ttl=5",
                 "-w", str(out))
    assert done.returncode == 0, done.stderr
    got = [bytes(p) for p in rdpcap(str(out))]
    want = []
    for p in rdpcap(str(capture)):
        q = p.copy()
        q.ttl = 5
        del q.chksum
        if TCP in q:
            q[TCP].dport = 443
        if q.payload.haslayer(TCP) or q.payload.haslayer(UDP) or q.payload.haslayer(ICMP):
            del q.payload.chksum
        want.append(bytes(q.__class__(bytes(q))))
    assert got == want
    rows = tshark_fields(out, "ip.ttl", "tcp.dstport", "ip.checksum.status",
                         "tcp.checksum.status", prefs=CHECKSUMS)
    assert [r[0] for r in rows] == ["5", "5", "5"]
    assert rows[0][1] == "443"
    assert {r[2] for r in rows} == {GOOD}
    assert rows[0][3] == GOOD


def test_set_then_read_back_with_from(tmp_path: Path) -> None:
    first = tmp_path / "a.pcap"
    second = tmp_path / "b.pcap"
    expr = 'IP(src="198.18.1.2", dst="198.18.1.11")/TCP(sport=1000, dport=22, flags="S")'
    assert craft(expr, "-w", str(first)).returncode == 0
    done = craft("--from", str(first), "--set", "TCP.dport=8080", "--flags", "SA",
                 "--set", "IP.dst=198.18.1.12", "-w", str(second))
    assert done.returncode == 0, done.stderr
    direct = craft('IP(src="198.18.1.2", dst="198.18.1.12")/TCP(sport=1000, dport=8080, '
                   'flags="SA")', "--hex")
    (pkt,) = rdpcap(str(second))
    assert bytes(pkt).hex() == direct.stdout.strip()


def test_del_raw_and_badsum(capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "bad.pcap"
    done = craft("--from", str(capture), "--del", "Raw", "--badsum", "-w", str(out))
    assert done.returncode == 0, done.stderr
    pkts = rdpcap(str(out))
    assert all(Raw not in p for p in pkts)
    assert [p[IP].len for p in pkts] == [40, 28, 28]
    rows = tshark_fields(out, "ip.checksum.status", "tcp.checksum.status",
                         "udp.checksum.status", prefs=CHECKSUMS)
    assert [r[0] for r in rows] == [BAD, BAD, BAD]
    assert rows[0][1] == BAD and rows[1][2] == BAD
    # ICMP: tshark says so in its own field
    icmp = tshark_fields(out, "icmp.checksum.status")
    assert icmp[2] == [BAD]


def test_fragments_reassemble_in_tshark(tmp_path: Path) -> None:
    out = tmp_path / "frag.pcapng"
    data = "0123456789abcdef" * 4
    done = craft(f'IP(src="198.18.1.2", dst="198.18.1.11", id=99)/ICMP(id=5, seq=1)/"{data}"',
                 "--fragment", "24", "-w", str(out), "--json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(x) for x in done.stdout.splitlines()]
    assert [r["fragment"] for r in records] == [{"unit": 1, "index": i, "of": 3}
                                                for i in (1, 2, 3)]
    rows = tshark_fields(out, "ip.frag_offset", "ip.flags.mf", "icmp.type", "data.data",
                         prefs=("ip.defragment:TRUE",))
    assert [r[0] for r in rows] == ["0", "3", "6"]  # in units of 8 bytes
    assert [r[1] for r in rows] == ["1", "1", "0"]
    assert rows[-1][2] == "8"  # the last fragment completes the echo request
    assert rows[-1][3] == data.encode().hex()


def test_ipv6_fragments_reassemble_in_tshark(tmp_path: Path) -> None:
    out = tmp_path / "frag6.pcap"
    data = "fedcba9876543210" * 4
    done = craft('IPv6(src="2001:db8:1::2", dst="2001:db8:1::11")/'
                 f'ICMPv6EchoRequest(id=5, seq=1, data=b"{data}")', "--fragment", "32",
                 "-w", str(out))
    assert done.returncode == 0, done.stderr
    rows = tshark_fields(out, "ipv6.fraghdr.offset", "ipv6.fraghdr.more", "icmpv6.type",
                         "icmpv6.data", prefs=("ipv6.defragment:TRUE",))
    assert [r[0] for r in rows] == ["0", "4", "8"]  # in units of 8 bytes
    assert [r[1] for r in rows] == ["1", "1", "0"]
    assert rows[-1][2] == "128"
    whole = IPv6(**ADDR6) / ICMPv6EchoRequest(id=5, seq=1, data=data.encode())
    assert len(rdpcap(str(out))) == 3
    assert sum(len(bytes(p)) - 48 for p in rdpcap(str(out))) == len(bytes(whole)) - 40


def test_text_lines_for_fragments() -> None:
    done = craft('IP(src="198.18.1.2", dst="198.18.1.11")/UDP()/"0123456789abcdef012345678"',
                 "--fragment", "16", "--no-json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("[fragment 1/3]") and lines[2].endswith("[fragment 3/3]")


def test_pcapng_with_several_link_types(tmp_path: Path) -> None:
    src = tmp_path / "mixed.pcapng"
    with PcapNgWriter(str(src)) as w:
        w.write(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(**ADDR) / ICMP())
    raw = tmp_path / "raw.pcap"
    assert craft('IP(src="198.18.1.2", dst="198.18.1.11")/UDP()', "-w", str(raw)).returncode == 0
    both = tmp_path / "both.pcapng"
    # one source at a time: --from FILE; a pcap may not hold two link types
    assert craft("--from", str(src), "-w", str(both)).returncode == 0
    assert rdpcap(str(both))[0].haslayer(Ether)


# -- --from-hex -----------------------------------------------------------------------------------
def test_from_hex_round_trip() -> None:
    expr = 'Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", ' \
           'dst="198.18.1.11")/UDP(dport=[7, 9])/"x"'
    hexes = craft(expr, "--hex").stdout
    again = craft("--from-hex", "-", "--hex", stdin=hexes)
    assert again.returncode == 0, again.stderr
    assert again.stdout == hexes
    one = hexes.splitlines()[0]
    changed = craft("--from-hex", one, "--set", "UDP.dport=53", "--hex")
    want = Ether(bytes.fromhex(one))
    want[UDP].dport = 53
    del want[UDP].chksum
    assert changed.stdout.strip() == bytes(Ether(bytes(want))).hex()


def test_from_hex_of_an_ip_packet() -> None:
    pkt = IP(**ADDR) / TCP(dport=80)
    done = craft("--from-hex", bytes(pkt).hex(), "--json")
    (rec,) = [json.loads(x) for x in done.stdout.splitlines()]
    assert rec["linktype"] == 101
    assert [x["layer"] for x in rec["layers"]] == ["IP", "TCP"]


# -- refusals ------------------------------------------------------------------------------------
def test_from_a_missing_file(tmp_path: Path) -> None:
    line = one_error_line(craft("--from", str(tmp_path / "nope.pcap")), 4)
    assert "nope.pcap" in line


def test_from_a_file_that_is_not_a_capture(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("these are not packets\n" * 10)
    line = one_error_line(craft("--from", str(text)), 4)
    assert "notes.txt" in line


def test_from_a_damaged_capture(capture: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(capture.read_bytes()[:-7])
    out = tmp_path / "out.pcap"
    one_error_line(craft("--from", str(cut), "-w", str(out)), 4)
    assert not out.exists()


@pytest.mark.parametrize(("args", "words"), [
    (["--set", "TCP.nope=1"], "no field 'nope'"),
    (["--set", "Bogus.x=1"], "unknown layer 'Bogus'"),
    (["--set", "UDP.dport=1"], None),  # the capture fixture has UDP: not refused
    (["--set", "DNS.id=1"], "no packet has a DNS layer"),
    (["--del", "DNS"], "no packet has a DNS layer"),
    (["--set", "IP.ttl=999"], "ttl"),
    (["--set", "IP.ttl"], "LAYER.field=VALUE"),
    (["--fragment", "12"], "multiple of 8"),
    (["--flags", "Q"], "'Q'"),
    (["--count", "3"], "--send or --sr"),
    (["--interval", "1"], "--send or --sr"),
    (["-I", "lo"], "--send or --sr"),
    (["--timeout", "1", "--send"], "--sr"),
    (["--retry", "1", "--send"], "--sr"),
    (["--save", "x.pcapng"], "--send or --sr"),
    (["--rate", "5", "--interval", "1", "--send"], "give one"),
    (["--linktype", "1"], "--from-hex"),
])
def test_bad_options_with_from(capture: Path, tmp_path: Path, args: list[str],
                               words: str | None) -> None:
    out = tmp_path / "out.pcap"
    done = craft("--from", str(capture), *args, "-w", str(out), cwd=tmp_path)
    if words is None:
        assert done.returncode == 0, done.stderr
        return
    assert words in one_error_line(done, 2)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pcap"]


@pytest.mark.parametrize("args", [
    [], ["IP()", "--from", "x.pcap"], ["IP()", "--from-hex", "4500"],
    ["--from", "x.pcap", "--from-hex", "4500"],
])
def test_one_source_of_packets(args: list[str]) -> None:
    line = one_error_line(craft(*args), 2)
    assert "EXPRESSION" in line or "only one source" in line


def test_set_values_are_never_evaluated(capture: Path, tmp_path: Path) -> None:
    for value in ('__import__("os").system("touch pwned")', 'open("pwned", "w")',
                  "exec('import os')", "[x for x in (1,)]"):
        done = craft("--from", str(capture), "--set", f"IP.ttl={value}", cwd=tmp_path)
        one_error_line(done, 2)
        done = craft("--from", str(capture), "--set", f"Raw.load={value}", cwd=tmp_path)
        assert done.returncode in (0, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.pcap"]


def test_unchanged_packets_keep_their_exact_bytes(corpus_dir: Path, tmp_path: Path) -> None:
    # DNS names compressed another way, odd padding: dissecting and building again
    # need not give the same bytes, so packets read and left alone are not rebuilt
    src = corpus_dir / "pcapplusplus__DnsPackets.pcap"
    out = tmp_path / "copy.pcap"
    done = craft("--from", str(src), "-w", str(out), "--hex")
    assert done.returncode == 0, done.stderr
    want = [bytes(p) for p in rdpcap(str(src))]
    assert [bytes(p) for p in rdpcap(str(out))] == want
    assert done.stdout.split() == [w.hex() for w in want]
    # changed, they are built again (and still read as DNS)
    changed = craft("--from", str(src), "--set", "IP.ttl=7", "--json")
    assert changed.returncode == 0, changed.stderr
    records = [json.loads(x) for x in changed.stdout.splitlines()]
    assert len(records) == len(want)
    assert all(next(x for x in r["layers"] if x["layer"] == "IP")["ttl"] == 7 for r in records
               if any(x["layer"] == "IP" for x in r["layers"]))
