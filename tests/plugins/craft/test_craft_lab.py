"""``netprobe craft --send / --sr`` in the practice lab, checked against the lab's truth.

Every packet starts in the lab's scanner namespace (``lab.netprobe``); what the
hosts answer is compared with ``lab.expected``, and what arrives is seen by a
capture (``netprobe sniff``, bounded in count and time) in the target host's
own namespace.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from netprobe.engine.runfile import load_run
from netprobe.plugins.craft.interpret import report
from netprobe.plugins.lab import processes
from netprobe.services.output import json_line
from tests.labfixture import LabHandle

pytestmark = pytest.mark.lab


def reason(answer: dict[str, Any] | None) -> str:
    """The nmap-style reason an answer (a probe record's ``answer``) gives."""
    if answer is None:
        return "no-response"
    layers = {x["layer"]: x for x in answer["layers"]}
    if "ICMP" in layers:
        icmp = layers["ICMP"]
        return {(3, 13): "admin-prohibited", (3, 3): "port-unreach",
                (0, 0): "echo-reply"}.get((icmp["type"], icmp["code"]),
                                          f"icmp {icmp['type']}/{icmp['code']}")
    for name, layer in layers.items():
        if name.startswith("ICMPv6"):
            return {(1, 1): "admin-prohibited", (1, 4): "port-unreach",
                    (129, 0): "echo-reply"}.get((layer["type"], layer["code"]),
                                                f"icmpv6 {layer['type']}/{layer['code']}")
    if "TCP" in layers:
        flags = layers["TCP"]["flags"]
        if "R" in flags:
            return "reset"
        if "S" in flags and "A" in flags:
            return "syn-ack"
        return f"tcp {flags}"
    if "UDP" in layers:
        return "udp-response"
    return "other"


def net_layer(packet: dict[str, Any]) -> dict[str, Any]:
    return next(x for x in packet["layers"] if x["layer"] in ("IP", "IPv6"))


def l4(packet: dict[str, Any]) -> dict[str, Any]:
    return next(x for x in packet["layers"] if x["layer"] in ("TCP", "UDP"))


def craft_sr(lab: LabHandle, *args: str) -> tuple[list[dict], dict, str]:
    """Run ``craft ... --sr --json`` in the scanner; (probe records, summary, stdout)."""
    proc = lab.netprobe("craft", *args, "--sr", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert records and records[-1]["type"] == "summary"
    probes = [r for r in records if r["type"] == "probe"]
    return probes, records[-1], proc.stdout


def addr(lab: LabHandle, host: str, family: int) -> str:
    return lab.host(host)["ipv4" if family == 4 else "ipv6"]


def tcp_ports(lab: LabHandle, host: str) -> list[int]:
    return [p["port"] for p in lab.host(host)["ports"] if p["proto"] == "tcp"]


@contextmanager
def capture_in(lab: LabHandle, node: str, bpf: str, count: int,
               seconds: float = 12.0) -> Iterator[list[dict]]:
    """``netprobe sniff`` in ``node``'s namespace while the block runs; fills the list."""
    out: list[dict] = []
    proc = subprocess.Popen(
        ["ip", "netns", "exec", lab.namespace(node), sys.executable, "-m", "netprobe",
         "sniff", "-i", "eth0", "-f", bpf, "-c", str(count), "--timeout", str(seconds),
         "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=processes.child_environment())
    try:
        time.sleep(1.5)  # the capture is open by then (start-up is ~0.5 s)
        yield out
        stdout, stderr = proc.communicate(timeout=seconds + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    out.extend(json.loads(line) for line in stdout.splitlines() if line.strip())


# -- answers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", [4, 6])
def test_sr_shows_what_the_lab_answers(lab: LabHandle, family: int) -> None:
    hosts = ["h1", "h2"]
    ports = sorted({9, *tcp_ports(lab, "h1"), *tcp_ports(lab, "h2")})
    dsts = [addr(lab, h, family) for h in hosts]
    expected = {(dst, port): lab.expected(host, "tcp", port)[1]
                for host, dst in zip(hosts, dsts) for port in ports}
    assert {"syn-ack", "reset", "no-response", "admin-prohibited"} <= set(expected.values())
    net = "IP" if family == 4 else "IPv6"
    probes, summary, _ = craft_sr(lab, f"{net}(dst={dsts!r})/TCP(sport=41100, dport={ports!r})",
                                  "--flags", "S", "--timeout", "1", "--retry", "1")
    got = {(net_layer(p["sent"])["dst"], l4(p["sent"])["dport"]): reason(p["answer"])
           for p in probes}
    assert got == expected
    assert sorted(p["n"] for p in probes) == list(range(1, len(expected) + 1))
    assert summary["probes"] == len(expected)
    assert summary["unanswered"] == sum(v == "no-response" for v in expected.values())
    for p in probes:
        assert l4(p["sent"])["flags"] == "S"
        assert (p["rtt_ms"] is None) == (p["answer"] is None)
        if p["answer"] is None:
            assert p["sends"] == 2  # one retry


def test_sr_udp_and_text_output(lab: LabHandle) -> None:
    dst = addr(lab, "h1", 4)
    ports = [53, 123, 161]
    expected = {p: lab.expected("h1", "udp", p)[1] for p in ports}
    assert set(expected.values()) == {"udp-response", "no-response", "port-unreach"}
    expr = (f'IP(dst="{dst}")/UDP(sport=41101, dport={ports!r})/'
            'DNS(id=4242, qd=[DNSQR(qname="h1.lab.example")])')
    probes, _, _ = craft_sr(lab, expr, "--timeout", "1")
    assert {l4(p["sent"])["dport"]: reason(p["answer"]) for p in probes} == expected
    text = lab.netprobe("craft", expr, "--timeout", "1", "--sr", "--no-json")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == 4
    assert sum(line.endswith("==>  no answer") for line in lines) == 1
    assert sum("==>  IP " in line for line in lines) == 2
    assert lines[-1].startswith("3 probes: 2 answered, 1 without answer")


def test_flags_shortcuts_against_open_and_closed_ports(lab: LabHandle) -> None:
    # RFC 793: a segment without SYN, RST or ACK gets a reset from a closed port and
    # nothing from an open one
    dst = addr(lab, "h5", 4)
    assert lab.expected("h5", "tcp", 22)[0] == "closed"
    assert lab.expected("h5", "tcp", 80)[0] == "open"
    probes, _, _ = craft_sr(lab, f'IP(dst="{dst}")/TCP(sport=41102, dport=[22, 80])',
                            "--flags", "xmas", "--timeout", "1")
    got = {l4(p["sent"])["dport"]: reason(p["answer"]) for p in probes}
    assert got == {22: "reset", 80: "no-response"}
    assert {l4(p["sent"])["flags"] for p in probes} == {"FPU"}


def test_saved_run_reprints_the_live_records(lab: LabHandle, tmp_path: Path) -> None:
    dst = addr(lab, "h1", 4)
    saved = tmp_path / "run.pcapng"
    _, _, stdout = craft_sr(lab, f'IP(dst="{dst}")/TCP(sport=41103, dport=[22, 23, 8080])',
                            "--flags", "S", "--timeout", "0.5", "--save", str(saved))
    run = load_run(str(saved))
    assert run.plugin == "craft"
    assert len(run.results) == 3
    assert "".join(json_line(r) for r in report(run, {})) == stdout
    again = lab.netprobe("interpret", str(saved), "--json")
    assert again.returncode == 0, again.stderr
    assert again.stdout == stdout
    # the terminal form too
    text_run = tmp_path / "text.pcapng"
    live = lab.netprobe("craft", f'IP(dst="{dst}")/TCP(sport=41107, dport=[22, 8080])',
                        "--flags", "S", "--timeout", "0.5", "--sr", "--no-json",
                        "--save", str(text_run))
    assert live.returncode == 0, live.stderr
    assert "==>  no answer" in live.stdout
    again = lab.netprobe("interpret", str(text_run), "--no-json")
    assert again.returncode == 0, again.stderr
    assert again.stdout == live.stdout


# -- fragments -------------------------------------------------------------------------------------
FRAGMENTS_V4 = "ip[6:2] & 0x3fff != 0"
FRAGMENTS_V6 = "ip6 and ip6[6] == 44"


@pytest.mark.parametrize("family", [4, 6])
def test_fragmented_ping_is_reassembled_and_answered(lab: LabHandle, family: int) -> None:
    dst = addr(lab, "h1", family)
    data = "0123456789abcdef" * 4
    if family == 4:
        expr = f'IP(dst="{dst}", id=4321)/ICMP(id=77, seq=3)/"{data}"'
    else:
        expr = f'IPv6(dst="{dst}")/ICMPv6EchoRequest(id=77, seq=3, data=b"{data}")'
    # 8 + 64 bytes of ICMP in 24-byte pieces: 3 fragments
    with capture_in(lab, "h1", FRAGMENTS_V4 if family == 4 else FRAGMENTS_V6, 3) as seen:
        probes, summary, _ = craft_sr(lab, expr, "--fragment", "24", "--timeout", "1")
    (probe,) = probes
    assert probe["fragments"] == 3
    assert reason(probe["answer"]) == "echo-reply"
    answer = {x["layer"]: x for x in probe["answer"]["layers"]}
    echo = answer["ICMP"] if family == 4 else answer["ICMPv6EchoReply"]
    assert (echo["id"], echo["seq"]) == (77, 3)
    assert summary["packets_sent"] == 3
    assert len(seen) == 3  # the host got the pieces, not a whole packet
    assert all(net_layer(r)["dst"] == dst for r in seen)


@pytest.mark.parametrize("family", [4, 6])
def test_fragmented_udp_to_a_listening_port_is_answered(lab: LabHandle, family: int) -> None:
    dst = addr(lab, "h5", family)
    assert lab.expected("h5", "udp", 53)[1] == "udp-response"
    net = "IP" if family == 4 else "IPv6"
    expr = (f'{net}(dst="{dst}")/UDP(sport=41104, dport=53)/'
            'DNS(id=99, qd=[DNSQR(qname="h5.lab.example")])')
    with capture_in(lab, "h5", FRAGMENTS_V4 if family == 4 else FRAGMENTS_V6, 3) as seen:
        probes, _, _ = craft_sr(lab, expr, "--fragment", "16", "--timeout", "1")
    (probe,) = probes
    assert probe["fragments"] >= 3
    assert reason(probe["answer"]) == "udp-response"
    dns = next(x for x in probe["answer"]["layers"] if x["layer"] == "DNS")
    assert dns["id"] == 99
    assert len(seen) == 3  # at least three fragments arrived (the capture stops at three)


# -- bad checksums ---------------------------------------------------------------------------------
def test_bad_checksums_get_no_answer(lab: LabHandle) -> None:
    h5 = addr(lab, "h5", 4)
    h5v6 = addr(lab, "h5", 6)
    assert lab.expected("h5", "tcp", 80)[1] == "syn-ack"
    assert lab.expected("h5", "udp", 9)[1] == "port-unreach"
    cases = [
        f'IP(dst="{h5}")/TCP(sport=41105, dport=80, flags="S")',  # open: would be a SYN-ACK
        f'IP(dst="{h5}")/UDP(sport=41105, dport=9)',  # closed: would be port unreachable
        f'IPv6(dst="{h5v6}")/TCP(sport=41105, dport=80, flags="S")',
        f'Ether()/IP(dst="{h5}")/ICMP(id=5, seq=5)',  # at layer 2 the IP checksum stays wrong
    ]
    for expr in cases:
        good, _, _ = craft_sr(lab, expr, "--timeout", "1")
        assert reason(good[0]["answer"]) != "no-response", expr
        bad_proc = lab.netprobe("craft", expr, "--badsum", "--timeout", "1", "--sr", "--json")
        assert bad_proc.returncode == 0, bad_proc.stderr
        bad = json.loads(bad_proc.stdout.splitlines()[0])
        assert bad["answer"] is None, expr
        assert bad["sent"]["hex"] != good[0]["sent"]["hex"]


# -- --send ----------------------------------------------------------------------------------------
def test_send_is_seen_by_the_target(lab: LabHandle) -> None:
    h2 = lab.host("h2")
    scanner = lab.truth["scanner"]
    with capture_in(lab, "h2", "udp port 40404", 4) as seen:
        sent = lab.netprobe("craft", f'IP(dst="{h2["ipv4"]}")/UDP(sport=40405, dport=40404)/'
                            '"netprobe"', "--send", "-c", "3", "--interval", "0.2", "--json")
        sent6 = lab.netprobe("craft", f'Ether()/IPv6(dst="{h2["ipv6"]}")/UDP(sport=40406, '
                             'dport=40404)/"frame"', "--send", "--json")
    for proc in (sent, sent6):
        assert proc.returncode == 0, proc.stderr
    summary = json.loads(sent.stdout.splitlines()[-1])
    assert summary == {"type": "sent", "packets": 3, "accepted": 3}
    assert [net_layer(r)["src"] for r in seen] == [scanner["ipv4"]] * 3 + [scanner["ipv6"]]
    assert [l4(r)["sport"] for r in seen] == [40405] * 3 + [40406]
    raw = [next(x for x in r["layers"] if x["layer"] == "Raw")["load"] for r in seen]
    assert raw == [b"netprobe".hex()] * 3 + [b"frame".hex()]
    times = [float(r["ts"]) for r in seen[:3]]
    assert all(0.1 <= b - a <= 1.0 for a, b in itertools.pairwise(times))
    # the frame went with our MAC to the host's
    eth = next(x for x in seen[3]["layers"] if x["layer"] == "Ether")
    assert (eth["src"], eth["dst"]) == (scanner["mac"], h2["mac"])


def test_from_a_file_then_send_and_receive(lab: LabHandle, tmp_path: Path) -> None:
    dst = addr(lab, "h1", 4)
    first = tmp_path / "syn.pcap"
    made = lab.netprobe("craft", f'IP(dst="{dst}")/TCP(sport=41106, dport=23, flags="S")',
                        "-w", str(first))
    assert made.returncode == 0, made.stderr
    assert lab.expected("h1", "tcp", 23)[1] == "reset"
    assert lab.expected("h1", "tcp", 22)[1] == "syn-ack"
    probes, _, _ = craft_sr(lab, "--from", str(first), "--timeout", "1")
    assert reason(probes[0]["answer"]) == "reset"
    probes, _, _ = craft_sr(lab, "--from", str(first), "--set", "TCP.dport=22",
                            "--timeout", "1")
    assert reason(probes[0]["answer"]) == "syn-ack"


def test_destinations_outside_the_scope_are_refused(lab: LabHandle) -> None:
    # inside the scanner namespace, which has no way out of the lab anyway
    for args in (["--send"], ["--sr", "--timeout", "0.2"]):
        proc = lab.netprobe("craft", 'IP(dst="192.0.2.1")/ICMP()', *args)
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "scope" in lines[0], proc.stderr
        assert proc.stdout == ""


def test_interface_option(lab: LabHandle) -> None:
    scanner = lab.truth["scanner"]
    dst = addr(lab, "h1", 4)
    probes, _, _ = craft_sr(lab, f'IP(dst="{dst}")/ICMP(id=3, seq=3)', "-I",
                            scanner["interface"], "--timeout", "1")
    assert reason(probes[0]["answer"]) == "echo-reply"
    for action in ("--send", "--sr"):
        proc = lab.netprobe("craft", f'IP(dst="{dst}")/ICMP()', action, "-I", "nosuch0")
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert "nosuch0" in line and proc.stdout == ""
