"""``netprobe interpret`` on real runs in the practice lab.

- a capture of someone else's scan (tcpdump recording nmap) is matched like
  the engine matches, and agrees with nmap and with the lab's truth;
- an ``sr()`` run saved with ``ResultList``/``save_run`` comes back the same.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.plugins.lab import processes

pytestmark = pytest.mark.lab

PORTS = [22, 23, 80, 443, 8080, 8443]


def _layer(packet: dict, name: str) -> dict | None:
    """One layer of a probe record's packet (``sent``/``answer``), as ``read`` prints it."""
    return next((x for x in packet["layers"] if x["layer"] == name), None)


@pytest.mark.skipif(shutil.which("nmap") is None or shutil.which("tcpdump") is None,
                    reason="nmap and tcpdump are needed for this comparison")
def test_a_tcpdump_of_an_nmap_scan_reads_as_nmap_saw_it(lab: LabHandle, tmp_path: Path) -> None:
    host = lab.host("h1")
    iface = lab.truth["scanner"]["interface"]
    pcap = tmp_path / "nmap.pcap"
    xml = tmp_path / "nmap.xml"
    ports = ",".join(map(str, PORTS))
    script = (
        f"tcpdump -i {iface} --immediate-mode -Z root -U -n -w {pcap} "
        f"'host {host['ipv4']} and (tcp or icmp)' "
        f">/dev/null 2>&1 & pid=$!; sleep 1; "
        f"nmap -n -Pn -sS --max-retries 1 -p {ports} {host['ipv4']} -oX {xml} >/dev/null; "
        f"sleep 1.5; kill $pid; wait $pid"
    )
    proc = lab.run(["sh", "-c", script], timeout=120, env=processes.child_environment())
    assert proc.returncode in (0, 143), proc.stderr
    assert pcap.stat().st_size > 24
    got = lab.netprobe("--json", "interpret", str(pcap), "--as", "sr")
    assert got.returncode == 0, got.stderr
    records = [json.loads(line) for line in got.stdout.splitlines()]
    # each SYN nmap sent to an open port found its SYN-ACK; closed ones their RST
    answered: dict[int, set[str]] = {}
    for r in records:
        if r["type"] != "probe" or r["answer"] is None:
            continue
        ip, tcp = _layer(r["sent"], "IP"), _layer(r["sent"], "TCP")
        if (ip is None or tcp is None or ip["src"] != lab.truth["scanner"]["ipv4"]
                or ip["dst"] != host["ipv4"] or tcp["flags"] != "S"):
            continue
        answer = _layer(r["answer"], "TCP")
        answered.setdefault(tcp["dport"], set()).add(answer["flags"] if answer else "")
    for port in PORTS:
        state, _reason = lab.expected("h1", "tcp", port)
        if state == "open":
            assert "SA" in answered.get(port, set()), (port, answered)
        elif state == "closed":
            assert answered.get(port) == {"RA"}, (port, answered)
        else:
            assert not any(f in answered.get(port, set()) for f in ("SA", "RA")), port
    nmap_open = {int(p.split('portid="')[1].split('"')[0])
                 for p in xml.read_text().split("<port ")[1:] if 'state="open"' in p}
    assert nmap_open == {p for p in PORTS if lab.expected("h1", "tcp", p)[0] == "open"}
    hosts = lab.netprobe("--json", "interpret", str(pcap), "--as", "hosts")
    first = json.loads(hosts.stdout.splitlines()[0])
    assert first["host"] == host["ipv4"] and first["state"] == "up"


def test_a_saved_sr_run_comes_back_the_same(lab: LabHandle, tmp_path: Path) -> None:
    host = lab.host("h1")["ipv4"]
    out = tmp_path / "run.pcapng"
    code = f"""
import json
from netprobe.engine.api import sr
from netprobe.engine.runfile import save_run
from netprobe.packet import IP, TCP
ans, unans = res = sr(IP(dst={host!r}) / TCP(dport={PORTS!r}, flags="S"), timeout=1, retry=1,
                      progress=False)
save_run({str(out)!r}, list(ans) + list(unans), plugin="craft", argv=["test"],
         counters=res.counters)
print(json.dumps(sorted([r.probe.payload.dport, r.answer is not None] for r in ans + unans)))
"""
    proc = lab.python(code, timeout=60)
    assert proc.returncode == 0, proc.stderr
    live = json.loads(proc.stdout.strip().splitlines()[-1])
    got = lab.netprobe("--json", "interpret", str(out), "--as", "sr")
    assert got.returncode == 0, got.stderr
    records = [json.loads(line) for line in got.stdout.splitlines()]
    offline = sorted([_layer(r["sent"], "TCP")["dport"], r["answer"] is not None]
                     for r in records if r["type"] == "probe")
    assert offline == live
    assert records[-1]["probes"] == len(PORTS)
