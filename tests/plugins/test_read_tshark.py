"""``netprobe read --json`` against tshark on every file of the shared capture corpus.

For each file both tools run at test time (nothing is stored) and each packet
is compared: count, lengths, timestamp, link type, and the fields of every
layer both understand (see ``tshark_compare.SPECS``). Differences that are
understood are listed below per file and field, with the reason; a listed
difference that no longer occurs fails too, so the list stays true.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from tshark_compare import Mismatch, compare_frame
from tshark_oracle import command, parse_output, require_tshark

from netprobe.packet import LINKTYPES, layer_classes

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "pcaps" / "corpus").resolve()
if not CORPUS.is_dir():
    pytest.skip(f"capture corpus not found at {CORPUS}", allow_module_level=True)

FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md")
#: seconds one tool may take on one file before it counts as hanging
TIMEOUT = 180

#: damaged files (the corpus README): tshark refuses them; netprobe must say where
REJECTED = {
    "libpcap__pcap-invalid-version-1.pcap",
    "libpcap__pcapng-invalid-vers-1.pcapng",
    "libpcap__shb-option-too-long.pcapng",
}
#: cut in the middle of a record: the packets before the cut are delivered
CUT_SHORT = {"dpkt__truncated_dns_2.pcap"}
#: valid files whose link type tshark 4.0 does not know; netprobe reads them as Raw
TSHARK_UNSUPPORTED = {"libpcap__brcm-tag.pcap": 281}

#: file -> {field -> why netprobe and tshark differ there}; every entry must still occur
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "tcpdump__bigtcp-ipv4.pcap": {
        "ip.len": "BIG TCP sends total length 0; tshark shows the length it infers from the "
                  "frame, netprobe the field as it is on the wire (needed to rebuild it)",
    },
    "tcpdump__timestamp_invalid_micro.pcap": {
        "frame.time_epoch": "the microsecond field is >= 10**6; netprobe keeps the exact "
                            "time, wiretap scales it into a 32-bit nanosecond field that "
                            "wraps (the reader's own tests check the wrapped value)",
    },
    "tcpdump__dns-badlabel.pcap": {
        "dns.qry.name": "the question name is longer than 255 bytes: netprobe refuses it "
                        "(and says so in errors), tshark shows the text '<Name too long>'",
    },
    "pcapplusplus__raw_ip.pcap": {
        "dhcp.secs": "the client wrote 26 seconds little-endian (1a 00); tshark guesses the "
                     "byte order back, netprobe (like Scapy) reads the field as RFC 2131 "
                     "says, big-endian: 6656",
    },
    "tcpdump__ipv6-bad-version.pcap": {
        "icmpv6.layer": "IPv6 headers with version 0: netprobe, like Scapy, notes the "
                        "version and decodes on; tshark stops at the IPv6 header",
    },
}

#: per field, how many comparisons the corpus run made (checked by the last test)
COMPARED: Counter[str] = Counter()
#: files whose comparison ran to the end
COMPARED_FILES: set[str] = set()
#: fields the corpus must exercise, when netprobe has the layer
MUST_COMPARE = {
    "Ether": ("eth.src", "eth.dst", "eth.type", "eth.len"),
    "Dot1Q": ("vlan.id", "vlan.priority", "vlan.dei", "vlan.etype"),
    "Dot1AD": ("ieee8021ad.id", "ieee8021ah.etype"),
    "IP": ("ip.src", "ip.dst", "ip.ttl", "ip.proto", "ip.id", "ip.len", "ip.flags",
           "ip.frag_offset", "ip.checksum", "ip.hdr_len"),
    "IPv6": ("ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim", "ipv6.plen"),
    "TCP": ("tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.flags",
            "tcp.window_size_value", "tcp.hdr_len", "tcp.option_kind", "tcp.checksum"),
    "UDP": ("udp.srcport", "udp.dstport", "udp.length", "udp.checksum"),
    "ICMP": ("icmp.type", "icmp.code"),
    "ARP": ("arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac",
            "arp.dst.proto_ipv4"),
    "DNS": ("dns.id", "dns.qry.name", "dns.count.queries"),
    "DNSTCP": ("dns.length",),
    "ICMPv6EchoRequest": ("icmpv6.type", "icmpv6.code"),
    "MPLS": ("mpls.label", "mpls.exp", "mpls.bottom", "mpls.ttl"),
    "GRE": ("gre.flags_and_version", "gre.proto"),
    "BOOTP": ("dhcp.type", "dhcp.id", "dhcp.hw.mac_addr", "dhcp.ip.your"),
    "RadioTap": ("radiotap.length", "radiotap.flags", "radiotap.mactime",
                 "radiotap.channel.freq", "radiotap.dbm_antsignal", "radiotap.antenna"),
    "Dot11FCS": ("wlan.duration", "wlan.ra", "wlan.ta", "wlan.seq", "wlan.frag", "wlan.fcs"),
    "": ("frame.len", "frame.cap_len", "frame.time_epoch", "frame.encap_type"),
}


@dataclass
class _Outputs:
    """Both tools' raw results for one file (or which one hung)."""

    netprobe: subprocess.CompletedProcess[bytes] | None
    tshark: subprocess.CompletedProcess[bytes] | None


def _run_both(path: Path) -> _Outputs:
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for args in ([sys.executable, "-m", "netprobe", "read", str(path), "--json"],
                          command(path))]
    done: list[subprocess.CompletedProcess[bytes] | None] = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            done.append(None)
        else:
            done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return _Outputs(*done)


#: the tools run one file ahead in a worker, while the test compares the current file
_AHEAD = ThreadPoolExecutor(max_workers=1)
_PENDING: dict[Path, Future[_Outputs]] = {}


def _outputs(path: Path) -> _Outputs:
    if path not in _PENDING:
        _PENDING[path] = _AHEAD.submit(_run_both, path)
    following = FILES.index(path) + 1
    if following < len(FILES) and FILES[following] not in _PENDING:
        _PENDING[FILES[following]] = _AHEAD.submit(_run_both, FILES[following])
    return _PENDING.pop(path).result()


def _records(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]


def _libpcap_count(path: Path) -> int:
    import pcapy

    reader = pcapy.open_offline(str(path))
    n = 0
    while True:
        header, _ = reader.next()
        if header is None:
            return n
        n += 1


def _error_line(stderr: str, path: Path) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got: {stderr!r}"
    line = lines[0]
    assert str(path) in line and "offset" in line, line
    return line


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_read_matches_tshark(path: Path) -> None:
    require_tshark()
    outputs = _outputs(path)
    done = outputs.netprobe
    assert done is not None, f"netprobe read did not finish in {TIMEOUT} s"
    assert outputs.tshark is not None, f"tshark did not finish in {TIMEOUT} s"
    tshark = parse_output(outputs.tshark.stdout, outputs.tshark.returncode,
                          outputs.tshark.stderr.decode("utf-8", "replace"))
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    records = _records(done.stdout)
    count_line = f"{len(records)} packet{'' if len(records) == 1 else 's'}\n"
    assert stderr.endswith(count_line), stderr  # the closing count, as tcpdump's
    stderr = stderr[: -len(count_line)]

    if path.name in REJECTED:
        assert tshark.returncode != 0 and not tshark.frames, tshark.stderr
        assert done.returncode == 4, stderr
        _error_line(stderr, path)
        assert records == []
        COMPARED_FILES.add(path.name)
        return
    if path.name in TSHARK_UNSUPPORTED:
        linktype = TSHARK_UNSUPPORTED[path.name]
        assert tshark.returncode != 0 and "support" in tshark.stderr, tshark.stderr
        # a valid file with a link type netprobe does not know: every packet shown as
        # Raw, one clear line naming the file and the link type, exit 4
        assert done.returncode == 4, stderr
        assert stderr.strip().splitlines() == [
            f"netprobe: error: {path}: unknown link type {linktype}; its packets are shown "
            "as Raw"], stderr
        assert len(records) == _libpcap_count(path) > 0
        for rec in records:
            assert rec["linktype"] == linktype
            assert rec["errors"] == [f"unknown link type {linktype}"]
            assert [x["layer"] for x in rec["layers"]] == ["Raw"]
        COMPARED_FILES.add(path.name)
        return
    if path.name in CUT_SHORT:
        assert tshark.returncode != 0 and "cut short" in tshark.stderr, tshark.stderr
        assert done.returncode == 4, stderr
        _error_line(stderr, path)
    else:
        assert tshark.returncode == 0, tshark.stderr
        unknown = sorted({rec["linktype"] for rec in records} - set(LINKTYPES))
        if unknown:
            # link types netprobe does not decode: said once each, and exit 4
            assert done.returncode == 4, stderr
            assert stderr.strip().splitlines() == [
                f"netprobe: error: {path}: unknown link type {lt}; its packets are shown "
                "as Raw" for lt in unknown], stderr
        else:
            assert done.returncode == 0, stderr
            assert stderr == ""

    assert len(records) == len(tshark.frames), "packet count"
    classes = set(layer_classes())
    found: list[Mismatch] = []
    compared: Counter[str] = Counter()
    for number, (rec, frame) in enumerate(zip(records, tshark.frames), 1):
        assert rec["n"] == number
        found += compare_frame(number, rec, frame, classes, compared)
    COMPARED.update(compared)
    if records:
        assert compared["frame.len"] == len(records)

    known = KNOWN_DIFFERENCES.get(path.name, {})
    unexpected = [m for m in found if m.field not in known]
    seen = defaultdict(int)
    for m in found:
        seen[m.field] += 1
    stale = [f for f in known if not seen[f]]
    report = [str(m) for m in unexpected[:40]]
    if len(unexpected) > 40:
        report.append(f"... and {len(unexpected) - 40} more")
    assert not unexpected, f"{path.name}: {len(unexpected)} differences from tshark:\n" + \
        "\n".join(report)
    assert not stale, f"{path.name}: listed differences no longer occur: {stale}"
    COMPARED_FILES.add(path.name)


def test_corpus_exercised_every_field() -> None:
    """The comparison above is not vacuous: each field was compared somewhere."""
    if {p.name for p in FILES} != COMPARED_FILES:
        pytest.skip("the whole corpus was not compared in this session (-k, -x or failures)")
    classes = set(layer_classes())
    missing = [f for cls, fields in MUST_COMPARE.items() if not cls or cls in classes
               for f in fields if not COMPARED[f]]
    assert not missing, f"never compared: {missing}"
